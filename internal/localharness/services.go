package localharness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Service is an AWS service the local profile needs from an emulator.
type Service struct {
	// Name is how messages name it.
	Name string
	// Keys are the names an emulator's health listing may give it:
	// LocalStack's first, then the bundled emulator's where they differ.
	Keys []string
	// For says what needs it.
	For string
}

// RequiredServices are the services `make local` uses: every resource type
// of the local profile's templates (cdk bootstrap's included) and the calls
// the harness makes afterwards.
var RequiredServices = []Service{
	{Name: "CloudFormation", Keys: []string{"cloudformation"}, For: "deploying every stack"},
	{Name: "S3", Keys: []string{"s3"}, For: "the lake buckets and the CDK assets"},
	{Name: "SSM", Keys: []string{"ssm"}, For: "the CDK bootstrap version parameter"},
	{Name: "IAM", Keys: []string{"iam"}, For: "roles and policies"},
	{Name: "STS", Keys: []string{"sts"}, For: "the CDK CLI's identity"},
	{Name: "KMS", Keys: []string{"kms"}, For: "the lake key"},
	{Name: "EC2", Keys: []string{"ec2"}, For: "the VPC and its gateway endpoints"},
	{Name: "Kinesis", Keys: []string{"kinesis"}, For: "the telemetry stream"},
	{Name: "Firehose", Keys: []string{"firehose"}, For: "delivery to the raw bucket"},
	{Name: "Lambda", Keys: []string{"lambda"}, For: "the transform, detect and evaluate functions"},
	{Name: "CloudWatch Logs", Keys: []string{"logs"}, For: "log groups and the transform's log"},
	{Name: "CloudWatch", Keys: []string{"cloudwatch", "monitoring"}, For: "alarms and the dashboard"},
	{Name: "SNS", Keys: []string{"sns"}, For: "the alarm and notification topics"},
	{Name: "SQS", Keys: []string{"sqs"}, For: "the dead-letter and failure queues"},
	{Name: "DynamoDB", Keys: []string{"dynamodb"}, For: "the model registry"},
	{Name: "Glue", Keys: []string{"glue"}, For: "the catalog: database, tables, crawler, jobs"},
	{Name: "Athena", Keys: []string{"athena"}, For: "the workgroups and the queries"},
	{Name: "Step Functions", Keys: []string{"stepfunctions", "states"}, For: "the ML state machines"},
	{Name: "EventBridge", Keys: []string{"events"}, For: "the failure rules"},
}

// HealthPath is where LocalStack lists its services and their state; the
// bundled emulator answers the same path in the same shape.
const HealthPath = "/_localstack/health"

// usableStates are the states in which a listed service answers calls.
// LocalStack reports available, running, starting, stopping, stopped,
// disabled, error or unknown; the bundled emulator reports available.
var usableStates = []string{"available", "running"}

// MissingService is a required service an endpoint does not serve.
type MissingService struct {
	Service
	// State is the state the listing gives, or "" when it is not listed.
	State string
}

func (m MissingService) String() string {
	if m.State == "" {
		return m.Name + " (not listed)"
	}
	return m.Name + " (" + m.State + ")"
}

// MissingServices compares a health listing (service key -> state) with
// the services the local profile needs.
func MissingServices(listed map[string]string, need []Service) []MissingService {
	var out []MissingService
	for _, s := range need {
		state := ""
		for _, k := range s.Keys {
			if st, ok := listed[k]; ok {
				state = st
				if slices.Contains(usableStates, st) {
					break
				}
			}
		}
		if !slices.Contains(usableStates, state) {
			out = append(out, MissingService{Service: s, State: state})
		}
	}
	return out
}

// ServiceListing asks endpoint for its health listing and returns each
// service's state and the edition it reports ("" if none).
func ServiceListing(ctx context.Context, endpoint string) (map[string]string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := strings.TrimRight(endpoint, "/") + HealthPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("nothing answers at %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s answered %s, not the service listing of LocalStack or the bundled emulator", url, resp.Status)
	}
	var health struct {
		Services map[string]string `json:"services"`
		Edition  string            `json:"edition"`
	}
	if err := json.Unmarshal(body, &health); err != nil || len(health.Services) == 0 {
		return nil, "", fmt.Errorf("GET %s answered without a list of services, as LocalStack and the bundled emulator give", url)
	}
	return health.Services, health.Edition, nil
}

// CheckServices fails unless endpoint lists every service in need as
// available or running. Its error is one sentence naming what is missing.
func CheckServices(ctx context.Context, endpoint string, need []Service) error {
	listed, edition, err := ServiceListing(ctx, endpoint)
	if err != nil {
		return err
	}
	missing := MissingServices(listed, need)
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, len(missing))
	for i, m := range missing {
		names[i] = m.String()
	}
	what := endpoint
	if edition != "" {
		what += " (edition " + edition + ")"
	}
	return fmt.Errorf("%s lacks %d of the %d services the local profile needs: %s", what, len(missing), len(need), strings.Join(names, ", "))
}
