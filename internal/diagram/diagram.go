// Package diagram draws the lake's architecture from its synthesized
// templates as Graphviz DOT, twice: an overview that reads the data path
// left to right with analytics and operations as bands beside it (Draw's
// Main, overview.go), and a full picture with one cluster per stack and a
// node per resource that holds data, moves it or reports on it (Full).
//
// Edges come from what the templates say, not from a hand-kept list: a
// delivery stream's source and destination, the S3, Kinesis, DynamoDB,
// SNS, Glue, Lambda and SageMaker actions each role's identity policies
// allow (a role that may read a bucket's objects draws bucket -> compute,
// one that may write them compute -> bucket), rule targets, alarm actions,
// the budget's subscriber, the trail's buckets, workgroup result locations
// and table locations. So the picture cannot drift from the stacks.
package diagram

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/refdatalake/datalake/internal/iamsim"
)

// kinds are the resource types drawn, with a short kind shown under the name.
var kinds = map[string]string{
	"AWS::Kinesis::Stream":                 "Kinesis stream",
	"AWS::KinesisFirehose::DeliveryStream": "Firehose",
	"AWS::Lambda::Function":                "Lambda",
	"AWS::S3::Bucket":                      "S3 bucket",
	"AWS::KMS::Key":                        "KMS key",
	"AWS::Glue::Database":                  "Glue database",
	"AWS::Glue::Crawler":                   "Glue crawler",
	"AWS::Glue::Job":                       "Glue job",
	"AWS::Glue::Workflow":                  "Glue workflow",
	"AWS::Glue::DataQualityRuleset":        "data quality ruleset",
	"AWS::Athena::WorkGroup":               "Athena workgroup",
	"AWS::StepFunctions::StateMachine":     "state machine",
	"AWS::DynamoDB::Table":                 "DynamoDB table",
	"AWS::SNS::Topic":                      "SNS topic",
	"AWS::SQS::Queue":                      "SQS queue",
	"AWS::Events::Rule":                    "EventBridge rule",
	"AWS::CloudWatch::Dashboard":           "dashboard",
	"AWS::Budgets::Budget":                 "budget",
	"AWS::CloudTrail::Trail":               "CloudTrail trail",
	"AWS::EC2::VPC":                        "VPC",
	"AWS::EC2::VPCEndpoint":                "gateway endpoint",
}

// External nodes: who writes the stream, and the SageMaker jobs the
// workflows start (they run as a role SageMaker assumes).
const (
	producers = "ext_producers"
	sagemaker = "ext_sagemaker"
)

type node struct{ id, stack, typ, label string }

type edge struct{ from, to string }

// graph is being drawn.
type graph struct {
	nodes  map[string]node
	edges  map[edge]map[string]bool // labels
	byRef  map[string]string        // Ref, ARN or name -> node id
	alarms map[string]int           // stack -> count
}

var cdkHash = regexp.MustCompile(`[0-9A-F]{8}$`)

// name is a logical ID without CDK's hash suffix.
func name(logicalID string) string { return cdkHash.ReplaceAllString(logicalID, "") }

// Pictures are the two drawings of one app, as DOT.
type Pictures struct {
	// Main is the overview: the data path left to right, analytics above
	// it, operations below, alarms and failure rules summarised.
	Main string
	// Full keeps every drawn resource, one cluster per stack.
	Full string
}

// Draw draws the resolved templates.
func Draw(r *iamsim.Resolved) (Pictures, error) {
	g, err := build(r)
	if err != nil {
		return Pictures{}, err
	}
	return Pictures{Main: g.overview().render(), Full: g.render()}, nil
}

// build reads the graph out of the resolved templates.
func build(r *iamsim.Resolved) (*graph, error) {
	pol, err := iamsim.Collect(r)
	if err != nil {
		return nil, err
	}
	g := &graph{nodes: map[string]node{}, edges: map[edge]map[string]bool{}, byRef: map[string]string{}, alarms: map[string]int{}}
	for _, s := range sortedKeys(r.Stacks) {
		st := r.Stacks[s]
		for _, lid := range sortedKeys(st.Resources) {
			res := st.Resources[lid]
			if res.Type == "AWS::CloudWatch::Alarm" {
				g.alarms[s]++
				continue
			}
			kind, ok := kinds[res.Type]
			// CDK's own custom resource handlers ("Custom..." functions) move no data.
			if !ok || (res.Type == "AWS::Lambda::Function" && strings.HasPrefix(lid, "Custom")) {
				continue
			}
			id := s + "_" + name(lid)
			g.nodes[id] = node{id: id, stack: s, typ: res.Type, label: name(lid) + "\\n(" + kind + ")"}
			for _, k := range []string{res.Ref, res.Arn} {
				if k != "" {
					g.byRef[k] = id
				}
			}
			switch res.Type {
			case "AWS::S3::Bucket":
				g.byRef["s3://"+res.Ref] = id
			case "AWS::Glue::DataQualityRuleset": // CloudFormation gives it no ARN; policies name it by this one
				g.byRef[fmt.Sprintf("arn:%s:glue:%s:%s:dataQualityRuleset/%s", r.Partition, r.Region, r.Account, res.Ref)] = id
			}
		}
	}
	g.structure(r)
	g.roles(r, pol)
	return g, nil
}

func (g *graph) add(from, to, label string) {
	if from == "" || to == "" || from == to {
		return
	}
	e := edge{from, to}
	if g.edges[e] == nil {
		g.edges[e] = map[string]bool{}
	}
	if label != "" {
		g.edges[e][label] = true
	}
}

// find maps a Ref, ARN, s3:// URI or an S3 object ARN to a node.
func (g *graph) find(v any) string {
	s := fmt.Sprint(v)
	if id, ok := g.byRef[s]; ok {
		return id
	}
	if strings.HasPrefix(s, "arn:aws:s3:::") || strings.HasPrefix(s, "s3://") {
		bucket := strings.TrimPrefix(strings.TrimPrefix(s, "arn:aws:s3:::"), "s3://")
		bucket, _, _ = strings.Cut(bucket, "/")
		return g.byRef["s3://"+bucket]
	}
	return ""
}

// structure draws the edges resources state in their own properties.
func (g *graph) structure(r *iamsim.Resolved) {
	for _, st := range sortedKeys(r.Stacks) {
		for _, lid := range sortedKeys(r.Stacks[st].Resources) {
			res := r.Stacks[st].Resources[lid]
			self := g.byRef[res.Ref]
			p := res.Properties
			switch res.Type {
			case "AWS::Kinesis::Stream":
				g.nodes[producers] = node{id: producers, typ: producers, label: "producers\\n(PutRecords)"}
				g.add(producers, self, "records")
			case "AWS::KinesisFirehose::DeliveryStream":
				if src, ok := p["KinesisStreamSourceConfiguration"].(map[string]any); ok {
					g.add(g.find(src["KinesisStreamARN"]), self, "records")
				}
				if dst, ok := p["ExtendedS3DestinationConfiguration"].(map[string]any); ok {
					g.add(self, g.find(dst["BucketARN"]), "Parquet")
					for _, proc := range list(dig(dst, "ProcessingConfiguration", "Processors")) {
						for _, param := range list(dig(proc, "Parameters")) {
							if m, _ := param.(map[string]any); m["ParameterName"] == "LambdaArn" {
								g.add(self, g.find(strings.TrimSuffix(fmt.Sprint(m["ParameterValue"]), ":$LATEST")), "transform")
							}
						}
					}
				}
			case "AWS::Glue::Crawler":
				g.add(self, g.findDatabase(p["DatabaseName"]), "tables")
			case "AWS::Glue::DataQualityRuleset":
				g.add(g.findDatabase(dig(p, "TargetTable", "DatabaseName")), self, "checks")
			case "AWS::Glue::Trigger":
				wf := g.find(p["WorkflowName"])
				for _, a := range list(p["Actions"]) {
					g.add(wf, g.find(dig(a, "JobName")), "runs")
					g.add(wf, g.find(dig(a, "CrawlerName")), "runs")
				}
			case "AWS::Glue::Table":
				g.add(g.find(dig(p, "TableInput", "StorageDescriptor", "Location")), g.findDatabase(p["DatabaseName"]), "tables")
			case "AWS::Athena::WorkGroup":
				g.add(self, g.find(dig(p, "WorkGroupConfiguration", "ResultConfiguration", "OutputLocation")), "results")
				// A workgroup queries the account's catalog: every database of the app.
				for _, db := range r.All("AWS::Glue::Database") {
					g.add(g.byRef[db.Ref], self, "queries")
				}
			case "AWS::Events::Rule":
				for _, t := range list(p["Targets"]) {
					g.add(self, g.find(dig(t, "Arn")), "")
					g.add(self, g.find(dig(t, "DeadLetterConfig", "Arn")), "undeliverable")
				}
			case "AWS::CloudWatch::Alarm":
				for _, a := range list(p["AlarmActions"]) {
					g.add("alarms_"+st, g.find(a), "")
				}
			case "AWS::Budgets::Budget":
				for _, n := range list(p["NotificationsWithSubscribers"]) {
					for _, sub := range list(dig(n, "Subscribers")) {
						g.add(self, g.find(dig(sub, "Address")), "")
					}
				}
			case "AWS::CloudTrail::Trail":
				g.add(self, g.find(p["S3BucketName"]), "logs")
				for _, sel := range list(p["EventSelectors"]) {
					for _, dr := range list(dig(sel, "DataResources")) {
						for _, v := range list(dig(dr, "Values")) {
							g.add(g.find(v), self, "data events")
						}
					}
				}
			}
		}
	}
	for st, n := range g.alarms {
		id := "alarms_" + st
		g.nodes[id] = node{id: id, stack: st, typ: "AWS::CloudWatch::Alarm", label: fmt.Sprintf("%d alarms\\n(CloudWatch)", n)}
	}
}

// findDatabase maps a Glue database name to its node.
func (g *graph) findDatabase(v any) string {
	for ref, id := range g.byRef {
		if ref == fmt.Sprint(v) && g.nodes[id].typ == "AWS::Glue::Database" {
			return id
		}
	}
	return ""
}

// flows are the actions that move data, and which way.
var flows = []struct {
	action string
	in     bool // true: resource -> principal
	label  string
}{
	{"s3:GetObject", true, "reads"},
	{"s3:PutObject", false, "writes"},
	{"kinesis:GetRecords", true, "reads"},
	{"dynamodb:PutItem", false, "writes"},
	{"dynamodb:UpdateItem", false, "writes"},
	{"sns:Publish", false, "notifies"},
	{"glue:StartJobRun", false, "starts"},
	{"glue:StartCrawler", false, "starts"},
	{"glue:StartDataQualityRulesetEvaluationRun", false, "starts"},
	{"lambda:InvokeFunction", false, "invokes"},
	{"states:StartExecution", false, "starts"},
	{"sqs:SendMessage", false, "failures"},
}

// roles draws what each principal's identity policies let it move.
func (g *graph) roles(r *iamsim.Resolved, pol *iamsim.Policies) {
	// Which node acts as each role.
	actor := map[string][]string{} // one role can act for several resources
	for _, typ := range []string{"AWS::Lambda::Function", "AWS::Glue::Job", "AWS::Glue::Crawler", "AWS::StepFunctions::StateMachine", "AWS::Events::Rule"} {
		for _, res := range r.All(typ) {
			for _, k := range []string{"Role", "RoleArn"} {
				if v, ok := res.Properties[k]; ok {
					actor[fmt.Sprint(v)] = append(actor[fmt.Sprint(v)], g.byRef[res.Ref])
				}
			}
			for _, t := range list(res.Properties["Targets"]) {
				if v := dig(t, "RoleArn"); v != nil {
					actor[fmt.Sprint(v)] = append(actor[fmt.Sprint(v)], g.byRef[res.Ref])
				}
			}
		}
	}
	for _, arn := range sortedKeys(pol.Roles) {
		role := pol.Roles[arn]
		for _, who := range actor[arn] {
			g.policyFlows(who, role)
		}
		if len(actor[arn]) == 0 && trusts(role.Trust, "sagemaker.amazonaws.com") {
			g.nodes[sagemaker] = node{id: sagemaker, typ: sagemaker, label: "SageMaker jobs\\n(training, tuning, batch transform)"}
			g.policyFlows(sagemaker, role)
		}
	}
}

// policyFlows draws the flows a role's identity policies allow, with who acting.
func (g *graph) policyFlows(who string, role *iamsim.Role) {
	{
		for _, p := range role.Identity {
			for _, s := range list(p.Document["Statement"]) {
				st, _ := s.(map[string]any)
				if st["Effect"] != "Allow" {
					continue
				}
				actions := strs(st["Action"])
				for _, f := range flows {
					if !contains(actions, f.action) {
						continue
					}
					for _, res := range strs(st["Resource"]) {
						target := g.find(res)
						if f.in {
							g.add(target, who, f.label)
						} else {
							g.add(who, target, f.label)
						}
					}
				}
				if contains(actions, "sagemaker:CreateTrainingJob") || contains(actions, "sagemaker:CreateHyperParameterTuningJob") || contains(actions, "sagemaker:CreateTransformJob") {
					g.nodes[sagemaker] = node{id: sagemaker, typ: sagemaker, label: "SageMaker jobs\\n(training, tuning, batch transform)"}
					g.add(who, sagemaker, "starts")
				}
			}
		}
	}
}

func trusts(doc map[string]any, service string) bool {
	for _, s := range list(doc["Statement"]) {
		st, _ := s.(map[string]any)
		if p, ok := st["Principal"].(map[string]any); ok && contains(strs(p["Service"]), service) {
			return true
		}
	}
	return false
}

// render writes the full picture: clusters by stack in a fixed order, nodes and
// edges sorted, so the same app always gives the same bytes.
func (g *graph) render() string {
	var b strings.Builder
	b.WriteString("// Generated by `make diagram` from the synthesized prod templates (internal/diagram). Do not edit.\n")
	b.WriteString("// The full picture: one cluster per stack, every resource that holds, moves or reports on data.\n")
	b.WriteString("digraph lake {\n")
	b.WriteString("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, nodesep=0.25, ranksep=0.7, newrank=true];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n")
	byStack := map[string][]node{}
	for _, id := range sortedKeys(g.nodes) {
		n := g.nodes[id]
		byStack[n.stack] = append(byStack[n.stack], n)
	}
	for _, st := range sortedKeys(byStack) {
		indent := "  "
		if st != "" {
			fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q; style=\"rounded\"; color=\"#888888\";\n", st, st+" stack")
			indent = "    "
		}
		for _, n := range byStack[st] {
			fill := ""
			if st == "" {
				fill = ", fillcolor=\"#eeeeee\", style=\"rounded,filled,dashed\""
			}
			fmt.Fprintf(&b, "%s%s [label=\"%s\"%s];\n", indent, n.id, n.label, fill)
		}
		if st != "" {
			b.WriteString("  }\n")
		}
	}
	edges := make([]edge, 0, len(g.edges))
	for e := range g.edges {
		if _, ok := g.nodes[e.from]; !ok {
			continue
		}
		if _, ok := g.nodes[e.to]; !ok {
			continue
		}
		edges = append(edges, e)
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].from != edges[j].from {
			return edges[i].from < edges[j].from
		}
		return edges[i].to < edges[j].to
	})
	for _, e := range edges {
		labels := sortedKeys(g.edges[e])
		if len(labels) == 0 {
			fmt.Fprintf(&b, "  %s -> %s;\n", e.from, e.to)
			continue
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%q];\n", e.from, e.to, strings.Join(labels, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
