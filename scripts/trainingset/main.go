// Command trainingset rebuilds a registered model's training set from the
// Iceberg snapshot its registry entry names, behind `make training-set`:
//
//	go run ./scripts/trainingset                            # the newest registered model, sandbox
//	go run ./scripts/trainingset -registered-at 2026-03-15T04:12:09.123Z -profile prod
//
// It reads the model registry entry (featuresSnapshotId, manifestUri,
// trainingDataUri, which the train-and-transform workflow records), starts
// the training-set Glue job with them and waits: the job exports
// training_features as of that snapshot under training/rebuilt/ and fails
// unless the rows are the registered ones (docs/etl.md, ML lineage). Names
// come from the stacks' outputs; AWS settings from the environment like any
// SDK program. Exit status 0 when the rebuilt set is the registered one, 1
// when it is not or the run failed, 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/refdatalake/datalake/lake/layout"
)

type cfnAPI interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

type ddbAPI interface {
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

type glueAPI interface {
	StartJobRun(context.Context, *glue.StartJobRunInput, ...func(*glue.Options)) (*glue.StartJobRunOutput, error)
	GetJobRun(context.Context, *glue.GetJobRunInput, ...func(*glue.Options)) (*glue.GetJobRunOutput, error)
}

type clients struct {
	cfn  cfnAPI
	ddb  ddbAPI
	glue glueAPI
}

type options struct {
	project, profile, registeredAt string
	poll                           time.Duration
}

func main() {
	o, err := parse(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "trainingset: AWS configuration:", err)
		os.Exit(2)
	}
	c := clients{cfn: cloudformation.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), glue: glue.NewFromConfig(cfg)}
	if err := run(context.Background(), c, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trainingset:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("trainingset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.project, "project", "datalake", "project `name`: stacks are <project>-<profile>-<stack>")
	fs.StringVar(&o.profile, "profile", "sandbox", "deployment `profile`")
	fs.StringVar(&o.registeredAt, "registered-at", "latest", "the registry item's registeredAt, or latest")
	fs.DurationVar(&o.poll, "poll", 30*time.Second, "how often to look at the job run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "trainingset: unexpected arguments %q\n", fs.Args())
		return o, errors.New("usage")
	}
	return o, nil
}

// Registered is what the registry item says about a model's training set.
type Registered struct {
	RegisteredAt, ModelName, SnapshotID, ManifestURI, TrainURI string
}

// registeredFrom reads the item, refusing one without a snapshot (a model
// registered before the lake recorded them).
func registeredFrom(item map[string]ddbtypes.AttributeValue) (Registered, error) {
	str := func(k string) string {
		if v, ok := item[k].(*ddbtypes.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	r := Registered{RegisteredAt: str("registeredAt"), ModelName: str("modelName"), SnapshotID: str("featuresSnapshotId"),
		ManifestURI: str("manifestUri"), TrainURI: str("trainingDataUri")}
	if r.SnapshotID == "" || r.ManifestURI == "" || !strings.HasSuffix(r.TrainURI, "/train/") {
		return r, fmt.Errorf("model %s (registered %s) records no training_features snapshot: it was registered before the curated zone moved to Iceberg, and its set (%s) cannot be rebuilt", r.ModelName, r.RegisteredAt, r.TrainURI)
	}
	return r, nil
}

// jobArguments are the training-set job's per-run arguments.
func (r Registered) jobArguments() map[string]string {
	return map[string]string{
		"--features_snapshot_id": r.SnapshotID,
		"--manifest_uri":         r.ManifestURI,
		"--compare_with":         strings.TrimSuffix(r.TrainURI, "train/"),
	}
}

func run(ctx context.Context, c clients, o options, out io.Writer) error {
	d := layout.Deployment{Project: o.project, Profile: o.profile}
	table, err := output(ctx, c.cfn, d.StackName(layout.StackML), "ModelRegistryTableName")
	if err != nil {
		return err
	}
	job, err := output(ctx, c.cfn, d.StackName(layout.StackCatalog), "TrainingSetJobName")
	if err != nil {
		return err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("modelFamily = :f"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":f": &ddbtypes.AttributeValueMemberS{Value: layout.ModelFamily}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
	}
	if o.registeredAt != "latest" {
		in.KeyConditionExpression = aws.String("modelFamily = :f AND registeredAt = :t")
		in.ExpressionAttributeValues[":t"] = &ddbtypes.AttributeValueMemberS{Value: o.registeredAt}
	}
	got, err := c.ddb.Query(ctx, in)
	if err != nil {
		return fmt.Errorf("read the registry %s: %w", table, err)
	}
	if len(got.Items) == 0 {
		return fmt.Errorf("the registry %s has no %s model registered at %s", table, layout.ModelFamily, o.registeredAt)
	}
	r, err := registeredFrom(got.Items[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "model %s, registered %s: training_features snapshot %s, set %s\n", r.ModelName, r.RegisteredAt, r.SnapshotID, r.TrainURI)
	started, err := c.glue.StartJobRun(ctx, &glue.StartJobRunInput{JobName: aws.String(job), Arguments: r.jobArguments()})
	if err != nil {
		return fmt.Errorf("start %s: %w", job, err)
	}
	id := aws.ToString(started.JobRunId)
	fmt.Fprintf(out, "started %s run %s\n", job, id)
	for {
		jr, err := c.glue.GetJobRun(ctx, &glue.GetJobRunInput{JobName: aws.String(job), RunId: aws.String(id)})
		if err != nil {
			return fmt.Errorf("read %s run %s: %w", job, id, err)
		}
		switch state := jr.JobRun.JobRunState; state {
		case gluetypes.JobRunStateSucceeded:
			fmt.Fprintf(out, "rebuilt: the rows of snapshot %s are the registered set's (%s)\n", r.SnapshotID, r.TrainURI)
			return nil
		case gluetypes.JobRunStateFailed, gluetypes.JobRunStateError, gluetypes.JobRunStateTimeout, gluetypes.JobRunStateStopped:
			return fmt.Errorf("%s run %s %s: %s", job, id, state, aws.ToString(jr.JobRun.ErrorMessage))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(o.poll):
		}
	}
}

func output(ctx context.Context, c cfnAPI, stack, key string) (string, error) {
	got, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return "", fmt.Errorf("stack %s: %w (deployed? right region?)", stack, err)
	}
	for _, s := range got.Stacks {
		for _, o := range s.Outputs {
			if aws.ToString(o.OutputKey) == key {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no output %s: deploy this version first", stack, key)
}
