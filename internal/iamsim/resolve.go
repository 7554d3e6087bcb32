// Package iamsim evaluates the run-time calls of a deployed CDK app against
// the policies in its synthesized CloudFormation templates.
//
// An emulator accepts IAM, KMS key policies and resource policies without
// enforcing them, so a local run cannot show that a role lacks a key grant or
// that a topic policy shuts a service out. This package stands in for the
// account: it resolves the templates' intrinsics as CloudFormation would in
// one fixed account and region (Deployment), gathers every role's identity
// policies and trust policy and every bucket, key, topic, queue and function
// policy (Policies), and hands each request to the maintained IAM policy
// evaluator @cloud-copilot/iam-simulate (Simulator), which runs under Node
// from the repository's node_modules. It is a test-time tool; nothing here
// is deployed.
package iamsim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Deployment is the account, region and partition the templates are resolved in.
type Deployment struct {
	Account, Region, Partition string
}

// Stack is one synthesized template and the name CloudFormation gives its stack.
type Stack struct {
	ID, Name string
	Template map[string]any
}

// Resolved is a set of templates with every intrinsic function replaced by
// the value CloudFormation would produce in Deployment. Physical names that
// CloudFormation generates are replaced by stable stand-ins of the same shape
// ("<stack>-<logical id>-gen"), so ARNs compare as they would on AWS.
type Resolved struct {
	Deployment
	// Stacks by ID, with resolved resources: Resources[logicalID] is the
	// resource's "Properties" after resolution. Resources whose condition is
	// false are left out, as CloudFormation leaves them out.
	Stacks map[string]*ResolvedStack
}

// ResolvedStack is one stack after resolution.
type ResolvedStack struct {
	ID, Name  string
	Resources map[string]*Resource
}

// Resource is one resolved resource.
type Resource struct {
	Stack, LogicalID, Type string
	Properties             map[string]any
	// Ref and Arn are what Ref and Fn::GetAtt Arn return for it.
	Ref, Arn string
	// Name is its physical name (the bucket, role, table, ... name).
	Name string
}

// Resolve resolves stacks in d. An intrinsic it cannot resolve is an error
// that names the stack, logical ID and function, so a new kind of reference
// in a template fails loudly instead of comparing as garbage.
func Resolve(d Deployment, stacks []Stack) (*Resolved, error) {
	if d.Partition == "" {
		d.Partition = "aws"
	}
	r := &Resolved{Deployment: d, Stacks: map[string]*ResolvedStack{}}
	ctxs := map[string]*stackCtx{}
	for _, s := range stacks {
		c := &stackCtx{d: d, stack: s, resources: map[string]*Resource{}, conditions: map[string]bool{}}
		ctxs[s.ID] = c
		c.nameResources()
	}
	// Exports first: Fn::ImportValue in one stack reads another's outputs.
	exports := map[string]any{}
	for _, c := range ctxs {
		c.exports = exports
	}
	for _, c := range ctxs {
		if err := c.evalConditions(); err != nil {
			return nil, err
		}
	}
	for _, id := range sortedKeys(ctxs) {
		c := ctxs[id]
		outs, _ := c.stack.Template["Outputs"].(map[string]any)
		for _, name := range sortedKeys(outs) {
			o, _ := outs[name].(map[string]any)
			exp, ok := o["Export"].(map[string]any)
			if !ok {
				continue
			}
			n, err := c.resolve(exp["Name"], "Outputs/"+name+"/Export")
			if err != nil {
				return nil, err
			}
			v, err := c.resolve(o["Value"], "Outputs/"+name)
			if err != nil {
				return nil, err
			}
			exports[fmt.Sprint(n)] = v
		}
	}
	for _, id := range sortedKeys(ctxs) {
		c := ctxs[id]
		rs := &ResolvedStack{ID: c.stack.ID, Name: c.stack.Name, Resources: map[string]*Resource{}}
		res, _ := c.stack.Template["Resources"].(map[string]any)
		for _, lid := range sortedKeys(res) {
			raw := res[lid].(map[string]any)
			if cond, ok := raw["Condition"].(string); ok && !c.conditions[cond] {
				continue
			}
			props, err := c.resolve(raw["Properties"], lid+"/Properties")
			if err != nil {
				return nil, err
			}
			out := c.resources[lid]
			out.Properties, _ = props.(map[string]any)
			if out.Properties == nil {
				out.Properties = map[string]any{}
			}
			if out.Ref, err = c.ref(lid); err != nil {
				return nil, err
			}
			out.Arn, _ = c.arn(lid) // types without an ARN format keep ""
			rs.Resources[lid] = out
		}
		r.Stacks[id] = rs
	}
	return r, nil
}

// Find returns the one resource of stack whose logical ID starts with prefix
// and whose type is typ. CDK appends an 8-character hash to logical IDs, so
// a construct path prefix ("RawBucket") identifies a resource without
// restating the hash.
func (r *Resolved) Find(stack, prefix, typ string) (*Resource, error) {
	s, ok := r.Stacks[stack]
	if !ok {
		return nil, fmt.Errorf("no stack %q", stack)
	}
	var found []*Resource
	for _, lid := range sortedKeys(s.Resources) {
		res := s.Resources[lid]
		if strings.HasPrefix(lid, prefix) && (typ == "" || res.Type == typ) {
			found = append(found, res)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("stack %s has no %s whose logical ID starts with %q", stack, typ, prefix)
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.LogicalID
	}
	return nil, fmt.Errorf("stack %s has %d %s starting with %q (%s): use a longer prefix", stack, len(found), typ, prefix, strings.Join(ids, ", "))
}

// HasStack reports whether the synthesized app has the stack (the upkeep
// and budget stacks exist only in some configurations).
func (r *Resolved) HasStack(stack string) bool {
	_, ok := r.Stacks[stack]
	return ok
}

// All returns every resource of typ in every stack, sorted by stack and logical ID.
func (r *Resolved) All(typ string) []*Resource {
	var out []*Resource
	for _, sid := range sortedKeys(r.Stacks) {
		s := r.Stacks[sid]
		for _, lid := range sortedKeys(s.Resources) {
			if s.Resources[lid].Type == typ {
				out = append(out, s.Resources[lid])
			}
		}
	}
	return out
}

type stackCtx struct {
	d          Deployment
	stack      Stack
	resources  map[string]*Resource
	conditions map[string]bool
	exports    map[string]any
}

// nameResources gives each resource its physical name, Ref and Arn.
func (c *stackCtx) nameResources() {
	res, _ := c.stack.Template["Resources"].(map[string]any)
	for lid, raw := range res {
		m := raw.(map[string]any)
		typ, _ := m["Type"].(string)
		// Explicit names are applied on first use (name): they may be intrinsics.
		c.resources[lid] = &Resource{Stack: c.stack.ID, LogicalID: lid, Type: typ, Name: c.generatedName(lid, typ)}
	}
}

// generatedName is the stand-in for a name CloudFormation would generate.
func (c *stackCtx) generatedName(lid, typ string) string {
	n := c.stack.Name + "-" + lid + "-gen"
	if typ == "AWS::S3::Bucket" {
		n = strings.ToLower(n)
	}
	return n
}

// explicitName is the name property of typ, when the template sets one.
var explicitName = map[string]string{
	"AWS::S3::Bucket":                      "BucketName",
	"AWS::IAM::Role":                       "RoleName",
	"AWS::IAM::ManagedPolicy":              "ManagedPolicyName",
	"AWS::SNS::Topic":                      "TopicName",
	"AWS::SQS::Queue":                      "QueueName",
	"AWS::Lambda::Function":                "FunctionName",
	"AWS::Kinesis::Stream":                 "Name",
	"AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
	"AWS::DynamoDB::Table":                 "TableName",
	"AWS::Logs::LogGroup":                  "LogGroupName",
	"AWS::Glue::Job":                       "Name",
	"AWS::Glue::Crawler":                   "Name",
	"AWS::Glue::Workflow":                  "Name",
	"AWS::Glue::Trigger":                   "Name",
	"AWS::Glue::SecurityConfiguration":     "Name",
	"AWS::Glue::DataQualityRuleset":        "Name",
	"AWS::StepFunctions::StateMachine":     "StateMachineName",
	"AWS::Athena::WorkGroup":               "Name",
	"AWS::Events::Rule":                    "Name",
	"AWS::CloudWatch::Alarm":               "AlarmName",
	"AWS::CloudTrail::Trail":               "TrailName",
}

// name resolves the resource's explicit name property, if any, on first use.
func (c *stackCtx) name(lid string) (string, error) {
	r := c.resources[lid]
	raw := c.stack.Template["Resources"].(map[string]any)[lid].(map[string]any)
	props, _ := raw["Properties"].(map[string]any)
	var v any
	switch r.Type {
	case "AWS::Glue::Database":
		if in, ok := props["DatabaseInput"].(map[string]any); ok {
			v = in["Name"]
		}
	case "AWS::Glue::Table":
		if in, ok := props["TableInput"].(map[string]any); ok {
			v = in["Name"]
		}
	default:
		if p, ok := explicitName[r.Type]; ok {
			v = props[p]
		}
	}
	if v == nil {
		return r.Name, nil
	}
	s, err := c.resolve(v, lid+"/name")
	if err != nil {
		return "", err
	}
	return fmt.Sprint(s), nil
}

// ref is what Ref returns for a resource.
func (c *stackCtx) ref(lid string) (string, error) {
	r, ok := c.resources[lid]
	if !ok {
		return "", fmt.Errorf("Ref to unknown resource %s", lid)
	}
	n, err := c.name(lid)
	if err != nil {
		return "", err
	}
	r.Name = n
	d := c.d
	switch r.Type {
	case "AWS::IAM::ManagedPolicy":
		return "arn:" + d.Partition + ":iam::" + d.Account + ":policy/" + n, nil
	case "AWS::SNS::Topic", "AWS::StepFunctions::StateMachine":
		return c.arn(lid)
	case "AWS::SQS::Queue":
		return "https://sqs." + d.Region + ".amazonaws.com/" + d.Account + "/" + n, nil
	case "AWS::KMS::Key":
		return keyID(lid), nil
	case "AWS::EC2::VPC":
		return "vpc-" + shortID(lid), nil
	case "AWS::EC2::Subnet":
		return "subnet-" + shortID(lid), nil
	case "AWS::EC2::SecurityGroup":
		return "sg-" + shortID(lid), nil
	case "AWS::EC2::VPCEndpoint":
		return "vpce-" + shortID(lid), nil
	case "AWS::EC2::RouteTable":
		return "rtb-" + shortID(lid), nil
	}
	return n, nil
}

// arn is what Fn::GetAtt <resource>.Arn returns.
func (c *stackCtx) arn(lid string) (string, error) {
	r := c.resources[lid]
	n, err := c.name(lid)
	if err != nil {
		return "", err
	}
	d := c.d
	p, reg, acct := d.Partition, d.Region, d.Account
	switch r.Type {
	case "AWS::S3::Bucket":
		return "arn:" + p + ":s3:::" + n, nil
	case "AWS::IAM::Role":
		return "arn:" + p + ":iam::" + acct + ":role/" + n, nil
	case "AWS::IAM::ManagedPolicy":
		return "arn:" + p + ":iam::" + acct + ":policy/" + n, nil
	case "AWS::KMS::Key":
		return "arn:" + p + ":kms:" + reg + ":" + acct + ":key/" + keyID(lid), nil
	case "AWS::SNS::Topic":
		return "arn:" + p + ":sns:" + reg + ":" + acct + ":" + n, nil
	case "AWS::SQS::Queue":
		return "arn:" + p + ":sqs:" + reg + ":" + acct + ":" + n, nil
	case "AWS::Lambda::Function":
		return "arn:" + p + ":lambda:" + reg + ":" + acct + ":function:" + n, nil
	case "AWS::Kinesis::Stream":
		return "arn:" + p + ":kinesis:" + reg + ":" + acct + ":stream/" + n, nil
	case "AWS::KinesisFirehose::DeliveryStream":
		return "arn:" + p + ":firehose:" + reg + ":" + acct + ":deliverystream/" + n, nil
	case "AWS::DynamoDB::Table":
		return "arn:" + p + ":dynamodb:" + reg + ":" + acct + ":table/" + n, nil
	case "AWS::Logs::LogGroup":
		return "arn:" + p + ":logs:" + reg + ":" + acct + ":log-group:" + n + ":*", nil
	case "AWS::StepFunctions::StateMachine":
		return "arn:" + p + ":states:" + reg + ":" + acct + ":stateMachine:" + n, nil
	case "AWS::Events::Rule":
		return "arn:" + p + ":events:" + reg + ":" + acct + ":rule/" + n, nil
	case "AWS::CloudWatch::Alarm":
		return "arn:" + p + ":cloudwatch:" + reg + ":" + acct + ":alarm:" + n, nil
	case "AWS::Athena::WorkGroup":
		return "arn:" + p + ":athena:" + reg + ":" + acct + ":workgroup/" + n, nil
	case "AWS::Glue::Job":
		return "arn:" + p + ":glue:" + reg + ":" + acct + ":job/" + n, nil
	case "AWS::Glue::Crawler":
		return "arn:" + p + ":glue:" + reg + ":" + acct + ":crawler/" + n, nil
	case "AWS::Glue::Workflow":
		return "arn:" + p + ":glue:" + reg + ":" + acct + ":workflow/" + n, nil
	case "AWS::Glue::Database":
		return "arn:" + p + ":glue:" + reg + ":" + acct + ":database/" + n, nil
	case "AWS::Budgets::Budget":
		return "arn:" + p + ":budgets::" + acct + ":budget/" + n, nil
	case "AWS::CloudTrail::Trail":
		return "arn:" + p + ":cloudtrail:" + reg + ":" + acct + ":trail/" + n, nil
	}
	return "", fmt.Errorf("Fn::GetAtt %s.Arn: no ARN format for %s", lid, r.Type)
}

// getAtt is Fn::GetAtt for the attributes the lake's templates use.
func (c *stackCtx) getAtt(lid, attr string) (any, error) {
	r, ok := c.resources[lid]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt to unknown resource %s", lid)
	}
	switch attr {
	case "StreamArn":
		a, err := c.arn(lid)
		if r.Type == "AWS::DynamoDB::Table" {
			a += "/stream/gen"
		}
		return a, err
	case "Arn", "TopicArn", "QueueArn":
		return c.arn(lid)
	case "Name", "TopicName", "QueueName", "StateMachineName":
		return c.name(lid)
	case "GroupId":
		return c.ref(lid)
	case "KeyId":
		return keyID(lid), nil
	case "CidrBlock":
		return "10.0.0.0/16", nil
	case "DefaultSecurityGroup":
		return "sg-default" + shortID(lid), nil
	case "PrefixListId":
		return "pl-" + shortID(lid), nil
	case "DomainName", "RegionalDomainName":
		n, err := c.name(lid)
		return n + ".s3." + c.d.Region + ".amazonaws.com", err
	case "QueueUrl":
		return c.ref(lid)
	}
	return lid + "." + attr, nil // opaque but stable: compares equal to itself only
}

func keyID(lid string) string { return "key-" + strings.ToLower(lid) }

func shortID(lid string) string {
	s := strings.ToLower(lid)
	if len(s) > 17 {
		s = s[len(s)-17:]
	}
	return s
}

func (c *stackCtx) pseudo(name string) (any, bool, error) {
	d := c.d
	switch name {
	case "AWS::AccountId":
		return d.Account, true, nil
	case "AWS::Region":
		return d.Region, true, nil
	case "AWS::Partition":
		return d.Partition, true, nil
	case "AWS::URLSuffix":
		return "amazonaws.com", true, nil
	case "AWS::StackName":
		return c.stack.Name, true, nil
	case "AWS::StackId":
		return "arn:" + d.Partition + ":cloudformation:" + d.Region + ":" + d.Account + ":stack/" + c.stack.Name + "/00000000-0000-4000-8000-" + fmt.Sprintf("%012x", len(c.stack.Name)), true, nil
	case "AWS::NoValue":
		return noValue{}, true, nil
	case "AWS::NotificationARNs":
		return []any{}, true, nil
	}
	return nil, false, nil
}

// noValue marks AWS::NoValue: the property is removed.
type noValue struct{}

func (c *stackCtx) evalConditions() error {
	conds, _ := c.stack.Template["Conditions"].(map[string]any)
	for name := range conds {
		if _, err := c.condition(name, conds, 0); err != nil {
			return err
		}
	}
	return nil
}

func (c *stackCtx) condition(name string, conds map[string]any, depth int) (bool, error) {
	if v, ok := c.conditions[name]; ok {
		return v, nil
	}
	if depth > 20 {
		return false, fmt.Errorf("stack %s: condition %s nests too deep", c.stack.ID, name)
	}
	expr, ok := conds[name]
	if !ok {
		return false, fmt.Errorf("stack %s: unknown condition %s", c.stack.ID, name)
	}
	v, err := c.condExpr(expr, conds, depth+1)
	if err != nil {
		return false, fmt.Errorf("stack %s: condition %s: %w", c.stack.ID, name, err)
	}
	c.conditions[name] = v
	return v, nil
}

func (c *stackCtx) condExpr(expr any, conds map[string]any, depth int) (bool, error) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("not a condition: %v", expr)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			return c.condition(fmt.Sprint(arg), conds, depth)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals takes 2 arguments")
			}
			a, err := c.resolve(args[0], "Conditions")
			if err != nil {
				return false, err
			}
			b, err := c.resolve(args[1], "Conditions")
			if err != nil {
				return false, err
			}
			return fmt.Sprint(a) == fmt.Sprint(b), nil
		case "Fn::Not":
			if len(args) != 1 {
				return false, fmt.Errorf("Fn::Not takes 1 argument")
			}
			v, err := c.condExpr(args[0], conds, depth)
			return !v, err
		case "Fn::And", "Fn::Or":
			all := fn == "Fn::And"
			for _, a := range args {
				v, err := c.condExpr(a, conds, depth)
				if err != nil {
					return false, err
				}
				if all && !v {
					return false, nil
				}
				if !all && v {
					return true, nil
				}
			}
			return all, nil
		}
		return false, fmt.Errorf("unsupported condition function %s", fn)
	}
	return false, nil
}

// resolve replaces every intrinsic in v. where names the place for errors.
func (c *stackCtx) resolve(v any, where string) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			r, err := c.resolve(e, where+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); skip {
				continue
			}
			out = append(out, r)
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return c.intrinsic(k, arg, where)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := c.resolve(e, where+"/"+k)
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); skip {
				continue
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

func (c *stackCtx) intrinsic(fn string, arg any, where string) (any, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("stack %s, %s: %s: %s", c.stack.ID, where, fn, fmt.Sprintf(format, a...))
	}
	switch fn {
	case "Ref":
		name := fmt.Sprint(arg)
		if v, ok, err := c.pseudo(name); ok {
			return v, err
		}
		if _, ok := c.resources[name]; ok {
			return c.ref(name)
		}
		params, _ := c.stack.Template["Parameters"].(map[string]any)
		if p, ok := params[name].(map[string]any); ok {
			if def, ok := p["Default"]; ok {
				return def, nil
			}
			return nil, fail("parameter %s has no default", name)
		}
		return nil, fail("unknown name %s", name)
	case "Fn::GetAtt":
		var lid, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return nil, fail("takes [resource, attribute]")
			}
			lid, attr = fmt.Sprint(a[0]), fmt.Sprint(a[1])
		case string:
			lid, attr, _ = strings.Cut(a, ".")
		}
		v, err := c.getAtt(lid, attr)
		if err != nil {
			return nil, fail("%v", err)
		}
		return v, nil
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fail("takes [delimiter, list]")
		}
		list, err := c.resolve(a[1], where)
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok {
			return nil, fail("second argument is not a list")
		}
		parts := make([]string, len(items))
		for i, it := range items {
			if _, ok := it.(map[string]any); ok {
				return nil, fail("item %d is not a string after resolution: %v", i, it)
			}
			parts[i] = fmt.Sprint(it)
		}
		return strings.Join(parts, fmt.Sprint(a[0])), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fail("takes [index, list]")
		}
		idx, err := c.resolve(a[0], where)
		if err != nil {
			return nil, err
		}
		list, err := c.resolve(a[1], where)
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(fmt.Sprint(idx))
		items, ok := list.([]any)
		if err != nil || !ok || i < 0 || i >= len(items) {
			return nil, fail("index %v out of %v", idx, list)
		}
		return items[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fail("takes [delimiter, string]")
		}
		s, err := c.resolve(a[1], where)
		if err != nil {
			return nil, err
		}
		parts := strings.Split(fmt.Sprint(s), fmt.Sprint(a[0]))
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "Fn::GetAZs":
		return []any{c.d.Region + "a", c.d.Region + "b", c.d.Region + "c"}, nil
	case "Fn::FindInMap":
		a, ok := arg.([]any)
		if !ok || len(a) < 3 {
			return nil, fail("takes [map, key, key]")
		}
		keys := make([]string, 3)
		for i := 0; i < 3; i++ {
			k, err := c.resolve(a[i], where)
			if err != nil {
				return nil, err
			}
			keys[i] = fmt.Sprint(k)
		}
		maps, _ := c.stack.Template["Mappings"].(map[string]any)
		m1, _ := maps[keys[0]].(map[string]any)
		m2, _ := m1[keys[1]].(map[string]any)
		v, ok := m2[keys[2]]
		if !ok {
			return nil, fail("no %s/%s/%s in Mappings", keys[0], keys[1], keys[2])
		}
		return c.resolve(v, where)
	case "Fn::ImportValue":
		n, err := c.resolve(arg, where)
		if err != nil {
			return nil, err
		}
		v, ok := c.exports[fmt.Sprint(n)]
		if !ok {
			return nil, fail("no stack exports %v", n)
		}
		return v, nil
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, fail("takes [condition, then, else]")
		}
		cond := fmt.Sprint(a[0])
		v, ok := c.conditions[cond]
		if !ok {
			return nil, fail("unknown condition %s", cond)
		}
		if v {
			return c.resolve(a[1], where)
		}
		return c.resolve(a[2], where)
	case "Fn::Sub":
		var tmpl string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, fail("takes string or [string, vars]")
			}
			tmpl = fmt.Sprint(a[0])
			m, _ := a[1].(map[string]any)
			for k, e := range m {
				r, err := c.resolve(e, where)
				if err != nil {
					return nil, err
				}
				vars[k] = r
			}
		}
		return c.sub(tmpl, vars, where)
	case "Fn::Base64":
		return c.resolve(arg, where)
	}
	return nil, fail("not supported")
}

func (c *stackCtx) sub(tmpl string, vars map[string]any, where string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		if strings.HasPrefix(tmpl[i:], "${!") { // literal ${
			b.WriteString(tmpl[:i] + "${")
			tmpl = tmpl[i+3:]
			continue
		}
		j := strings.Index(tmpl[i:], "}")
		if j < 0 {
			return "", fmt.Errorf("stack %s, %s: Fn::Sub: unclosed ${", c.stack.ID, where)
		}
		name := tmpl[i+2 : i+j]
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i+j+1:]
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if lid, attr, ok := strings.Cut(name, "."); ok {
			v, err = c.getAtt(lid, attr)
		} else {
			v, err = c.intrinsic("Ref", name, where)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(fmt.Sprint(v))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
