package smoke

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/refdatalake/datalake/lake/layout"
)

// The stacks of the app (cdk/app.go), by the last part of their names.
const (
	stackStorage   = layout.StackStorage
	stackNetwork   = layout.StackNetwork
	stackCatalog   = layout.StackCatalog
	stackStreaming = layout.StackStreaming
	stackAnalytics = layout.StackAnalytics
	stackML        = layout.StackML
	stackOps       = layout.StackOps
)

// stackNeeds lists the stacks whose outputs or resources each step reads.
var stackNeeds = map[Step][]string{
	StepIngest:  {stackStorage, stackStreaming},
	StepQuery:   {stackAnalytics, stackCatalog},
	StepLanding: {stackStorage},
	StepETL:     {stackCatalog},
	StepAlarm:   {stackStreaming},
	StepFailure: {stackStreaming, stackML, stackOps},
	StepML:      {stackML, stackNetwork},
}

// StackName is the deployed name of one of the app's stacks.
func StackName(project, profile, stack string) string {
	return layout.Deployment{Project: project, Profile: profile}.StackName(stack)
}

// Stacks are the deployed stacks a run reads, with their outputs.
type Stacks struct {
	project, profile string
	cf               CloudFormationAPI
	stacks           map[string]deployedStack // by short name
}

type deployedStack struct {
	name, status string
	outputs      map[string]string
	// problem says why the stack cannot be used ("" when it can).
	problem string
}

// usableStatus reports whether a stack in this status has a complete set of
// resources and outputs. UPDATE_ROLLBACK_COMPLETE is the previous version,
// intact; ROLLBACK_COMPLETE is a create that failed and holds nothing.
func usableStatus(s string) bool {
	switch cftypes.StackStatus(s) {
	case cftypes.StackStatusCreateComplete, cftypes.StackStatusUpdateComplete,
		cftypes.StackStatusUpdateRollbackComplete, cftypes.StackStatusImportComplete:
		return true
	}
	return false
}

// isMissingStack reports CloudFormation's answer for a stack that does not
// exist: a ValidationError "Stack with id X does not exist".
func isMissingStack(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist")
}

// readStacks is the stacks step: it describes every stack a planned step
// needs. A missing or unusable stack fails the step, but the outputs of the
// others stay available, so the steps that do not need it still run.
func (r *runner) readStacks(ctx context.Context) (string, error) {
	need := map[string]bool{}
	for _, s := range r.planned() {
		for _, st := range stackNeeds[s] {
			need[st] = true
		}
	}
	names := make([]string, 0, len(need))
	for st := range need {
		names = append(names, st)
	}
	sort.Strings(names)
	st := &Stacks{project: r.cfg.Project, profile: r.cfg.Profile, cf: r.cfg.Clients.CloudFormation, stacks: map[string]deployedStack{}}
	var problems []string
	for _, short := range names {
		name := StackName(r.cfg.Project, r.cfg.Profile, short)
		d := deployedStack{name: name, outputs: map[string]string{}}
		out, err := r.cfg.Clients.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		switch {
		case isMissingStack(err):
			d.problem = "not deployed"
		case err != nil:
			// Not about one stack (credentials, region, network): no step can run.
			return "", fmt.Errorf("describe stack %s: %w", name, err)
		case len(out.Stacks) != 1:
			d.problem = fmt.Sprintf("DescribeStacks returned %d stacks", len(out.Stacks))
		default:
			s := out.Stacks[0]
			d.status = string(s.StackStatus)
			for _, o := range s.Outputs {
				d.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
			}
			if !usableStatus(d.status) {
				d.problem = "in status " + d.status
			}
		}
		if d.problem != "" {
			problems = append(problems, name+" "+d.problem)
		}
		st.stacks[short] = d
	}
	r.stacks = st
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	var parts []string
	for _, short := range names {
		d := st.stacks[short]
		parts = append(parts, fmt.Sprintf("%s %s", d.name, d.status))
	}
	return fmt.Sprintf("%d stack(s) read: %s", len(names), strings.Join(parts, ", ")), nil
}

func (r *runner) stacksHint() string {
	return fmt.Sprintf("the CloudFormation console or `make deploy PROFILE=%s` (are AWS_REGION and the account the ones you deployed to?)", r.cfg.Profile)
}

// Usable returns an error unless the stack was read and is usable.
func (s *Stacks) Usable(stack string) error {
	d, ok := s.stacks[stack]
	name := StackName(s.project, s.profile, stack)
	switch {
	case !ok:
		return fmt.Errorf("stack %s was not read", name)
	case d.problem != "":
		return fmt.Errorf("stack %s is %s", name, d.problem)
	}
	return nil
}

// Output returns one output of a stack, or an error that says how to get it.
func (s *Stacks) Output(stack, key string) (string, error) {
	if err := s.Usable(stack); err != nil {
		return "", err
	}
	d := s.stacks[stack]
	name := d.name
	v := d.outputs[key]
	if v == "" {
		return "", fmt.Errorf("stack %s has no output %s: deploy the current code with make deploy", name, key)
	}
	return v, nil
}

// resource is one physical resource of a stack.
type resource struct {
	logicalID, physicalID, typ string
}

// Resources lists a stack's resources of one CloudFormation type, sorted by
// logical ID.
func (s *Stacks) Resources(ctx context.Context, stack, typ string) ([]resource, error) {
	if err := s.Usable(stack); err != nil {
		return nil, err
	}
	d := s.stacks[stack]
	var out []resource
	p := cloudformation.NewListStackResourcesPaginator(s.cf, &cloudformation.ListStackResourcesInput{StackName: aws.String(d.name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the resources of %s: %w", d.name, err)
		}
		for _, rs := range page.StackResourceSummaries {
			if aws.ToString(rs.ResourceType) == typ {
				out = append(out, resource{aws.ToString(rs.LogicalResourceId), aws.ToString(rs.PhysicalResourceId), typ})
			}
		}
	}
	slices.SortFunc(out, func(a, b resource) int { return strings.Compare(a.logicalID, b.logicalID) })
	return out, nil
}

// resourceByPrefix picks the resource whose logical ID starts with prefix:
// CDK appends a hash to the construct ID it was given.
func resourceByPrefix(rs []resource, prefix string) (resource, bool) {
	for _, x := range rs {
		if strings.HasPrefix(x.logicalID, prefix) {
			return x, true
		}
	}
	return resource{}, false
}
