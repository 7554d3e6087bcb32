package localharness

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// StackStatuses returns the status of each stack, by name.
func StackStatuses(ctx context.Context, t Target, stacks []string) (map[string]string, error) {
	cfn := cloudformation.NewFromConfig(t.AWSConfig())
	out := map[string]string{}
	for _, name := range stacks {
		res, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			return out, fmt.Errorf("describe stack %s: %w", name, err)
		}
		if len(res.Stacks) != 1 {
			return out, fmt.Errorf("describe stack %s: %d stacks returned", name, len(res.Stacks))
		}
		out[name] = string(res.Stacks[0].StackStatus)
	}
	return out, nil
}

// transformLogGroup finds the transform Lambda's log group: the stack's
// AWS::Logs::LogGroup whose logical id starts with the construct id of the
// function (cdk/streaming.go "Transform", cdk/gofunction.go "LogGroup").
func transformLogGroup(ctx context.Context, t Target) (string, error) {
	cfn := cloudformation.NewFromConfig(t.AWSConfig())
	res, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(StackStreaming)})
	if err != nil {
		return "", fmt.Errorf("list the resources of %s: %w", StackStreaming, err)
	}
	for _, r := range res.StackResources {
		if aws.ToString(r.ResourceType) == "AWS::Logs::LogGroup" && strings.HasPrefix(aws.ToString(r.LogicalResourceId), "TransformLogGroup") {
			return aws.ToString(r.PhysicalResourceId), nil
		}
	}
	return "", fmt.Errorf("stack %s has no TransformLogGroup* log group", StackStreaming)
}

// FailureLog is one "record failed" line the transform writes per rejected
// record (lambdas/transform/batch.go).
type FailureLog struct {
	RecordID   string `json:"recordId"`
	Reason     string `json:"reason"`
	DataPrefix string `json:"dataPrefix"`
	DataBytes  int    `json:"dataBytes"`
}

// TransformLogs is what the transform's log group holds.
type TransformLogs struct {
	Group string
	// Failures are the transform's own "record failed" lines: proof that the
	// Go bootstrap ran and rejected those records.
	Failures []FailureLog
	// BatchSummaries counts its "batch had failed records" lines.
	BatchSummaries int
	// Reports counts REPORT lines (one per invocation; emulators may write
	// them without running any code).
	Reports int
	// Events is the number of log events read.
	Events int
}

// ReadTransformLogs reads every event of the transform's log group.
func ReadTransformLogs(ctx context.Context, t Target) (TransformLogs, error) {
	group, err := transformLogGroup(ctx, t)
	if err != nil {
		return TransformLogs{}, err
	}
	tl := TransformLogs{Group: group}
	cwl := cloudwatchlogs.NewFromConfig(t.AWSConfig())
	p := cloudwatchlogs.NewFilterLogEventsPaginator(cwl, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return tl, fmt.Errorf("read log group %s: %w", group, err)
		}
		for _, ev := range page.Events {
			tl.Events++
			tl.add(aws.ToString(ev.Message))
		}
	}
	return tl, nil
}

// add classifies one log message.
func (tl *TransformLogs) add(msg string) {
	msg = strings.TrimSpace(msg)
	if strings.HasPrefix(msg, "REPORT RequestId:") {
		tl.Reports++
		return
	}
	if !strings.HasPrefix(msg, "{") {
		return
	}
	var line struct {
		Msg string `json:"msg"`
		FailureLog
	}
	if json.Unmarshal([]byte(msg), &line) != nil {
		return
	}
	switch line.Msg {
	case "record failed":
		tl.Failures = append(tl.Failures, line.FailureLog)
	case "batch had failed records":
		tl.BatchSummaries++
	}
}

// logDataPrefix is how many bytes of a rejected record the transform logs
// (lambdas/transform/batch.go).
const logDataPrefix = 64

// LogPrefix is how a record's start appears in a "record failed" line once
// decoded: its first logDataPrefix bytes, each byte that is not part of valid
// UTF-8 replaced by U+FFFD, as log/slog's JSON handler writes them.
func LogPrefix(data []byte) string {
	data = data[:min(len(data), logDataPrefix)]
	var b strings.Builder
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		b.WriteRune(r) // RuneError for an invalid byte, with n == 1
		data = data[n:]
	}
	return b.String()
}
