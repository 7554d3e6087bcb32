package diagram

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// The overview reads the data path left to right, one column per stage,
// with analytics as a band above it and operations as a band below.
//
// The stages are a fixed order of roles, but who plays each role is found
// in the graph, so a new bucket, job or consumer lands in its place and a
// removed one leaves it: the stream is what producers write, delivery is
// what reads the stream, the raw zone is what the delivery streams write,
// curate is the Glue jobs reading raw, and so on. Orchestrators (state
// machines, workflows, scheduled rules) stand in the column of the last
// stage they start. Alarms and the rules that route failures to the alarm
// topic are each drawn as one summary node.

// band is a horizontal band of the overview.
type band int

const (
	analyticsBand band = iota // the catalog and what queries or checks it
	pathBand                  // the data path
	opsBand                   // what watches the lake and whom it tells
)

var bandLabels = map[band]string{
	analyticsBand: "Analytics: catalog, queries, data quality",
	pathBand:      "Data path",
	opsBand:       "Operations: alarms, failures, audit, cost",
}

// Summary nodes of the overview.
const (
	alarmSummary = "all_alarms"
	ruleSummary  = "failure_rules"
)

// stages are the data path, left to right. A stage's members are the free
// nodes of its kinds that read the stage before it ("reads") or that the
// stage before writes ("writes"; with by, only what members of those kinds
// write counts).
var stages = []struct {
	name  string
	from  string
	by    []string
	kinds []string
}{
	{"producers", "", nil, []string{producers}},
	{"stream", "writes", nil, []string{"AWS::Kinesis::Stream"}},
	{"delivery", "reads", nil, []string{"AWS::KinesisFirehose::DeliveryStream", "AWS::Lambda::Function"}},
	{"raw zone", "writes", []string{"AWS::KinesisFirehose::DeliveryStream"}, []string{"AWS::S3::Bucket"}},
	{"curate", "reads", nil, []string{"AWS::Glue::Job"}},
	{"curated zone", "writes", nil, []string{"AWS::S3::Bucket"}},
	{"features", "reads", nil, []string{"AWS::Glue::Job"}},
	{"training sets", "writes", nil, []string{"AWS::S3::Bucket"}},
	{"training", "reads", nil, []string{sagemaker, "AWS::Lambda::Function"}},
	{"registry", "writes", nil, []string{"AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::S3::Bucket"}},
}

// Edge labels by what they mean.
var (
	readLabels     = []string{"records", "reads"}
	writeLabels    = []string{"records", "Parquet", "writes", "notifies"}
	controlLabels  = []string{"starts", "runs", "invokes", "transform"}
	describeLabels = []string{"tables", "data events"}
)

// Types the overview leaves to the full picture: the key every store uses,
// the network, and the queues that keep what could not be delivered.
var leftOut = []string{"AWS::KMS::Key", "AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::SQS::Queue"}

// Types that orchestrate: they stand beside the last stage they start.
var orchestrators = []string{"AWS::StepFunctions::StateMachine", "AWS::Glue::Workflow", "AWS::Events::Rule"}

type overview struct {
	g       *graph
	band    map[string]band   // drawn node -> band
	column  map[string]int    // node -> column: its stage, or the stage it stands beside
	merged  map[string]string // node -> the summary node drawn for it
	summary map[string]node
	stages  [][]string
	edges   []drawnEdge // cached by drawnEdges
}

// overview places every node of g.
func (g *graph) overview() *overview {
	o := &overview{g: g, band: map[string]band{}, column: map[string]int{}, merged: map[string]string{}, summary: map[string]node{}}
	o.bands()
	o.path()
	o.rest()
	o.columns()
	return o
}

// bands claims the nodes the analytics and operations bands hold by kind.
func (o *overview) bands() {
	g := o.g
	alarmTopics := map[string]bool{}
	alarms := 0
	for _, id := range sortedKeys(g.nodes) {
		n := g.nodes[id]
		switch n.typ {
		case "AWS::Glue::Database", "AWS::Glue::Crawler", "AWS::Athena::WorkGroup", "AWS::Glue::DataQualityRuleset":
			o.band[id] = analyticsBand
		case "AWS::Budgets::Budget", "AWS::CloudWatch::Dashboard", "AWS::CloudTrail::Trail":
			o.band[id] = opsBand
			for _, to := range g.targets(id, "logs") { // the trail's own bucket
				o.band[to] = opsBand
			}
		case "AWS::CloudWatch::Alarm": // the full picture's per-stack alarm nodes
			o.merged[id] = alarmSummary
			o.band[id] = opsBand
			alarms += g.alarms[n.stack]
			for _, to := range g.targets(id) {
				alarmTopics[to] = true
				o.band[to] = opsBand
			}
		}
	}
	if alarms > 0 {
		o.summary[alarmSummary] = node{id: alarmSummary, typ: "AWS::CloudWatch::Alarm", label: plural(alarms, "alarm")}
	}
	rules := 0
	for _, id := range sortedKeys(g.nodes) {
		if g.nodes[id].typ != "AWS::Events::Rule" {
			continue
		}
		for _, to := range g.targets(id) {
			if alarmTopics[to] {
				o.merged[id] = ruleSummary
				o.band[id] = opsBand
				rules++
				break
			}
		}
	}
	if rules > 0 {
		o.summary[ruleSummary] = node{id: ruleSummary, typ: "AWS::Events::Rule", label: plural(rules, "failure rule")}
	}
	for _, id := range sortedKeys(g.nodes) {
		if contains(leftOut, g.nodes[id].typ) {
			o.merged[id] = ""
		}
	}
}

// path finds the members of each stage, then the orchestrators beside them.
func (o *overview) path() {
	g := o.g
	for i, st := range stages {
		var prev []string
		if i > 0 {
			prev = o.stages[i-1]
		}
		var members []string
		for _, id := range sortedKeys(g.nodes) {
			if !o.free(id) || !contains(st.kinds, g.nodes[id].typ) {
				continue
			}
			found := i == 0
			for _, p := range prev {
				switch st.from {
				case "reads":
					found = found || g.has(p, id, readLabels...)
				case "writes":
					found = found || ((len(st.by) == 0 || contains(st.by, g.nodes[p].typ)) && g.has(p, id, writeLabels...))
				}
			}
			if found {
				members = append(members, id)
			}
		}
		o.stages = append(o.stages, nil)
		for _, id := range members {
			o.place(id, i)
		}
		// Functions a member invokes work in its column (a delivery stream's transform).
		for _, id := range members {
			for _, to := range g.targets(id, "transform") {
				if o.free(to) {
					o.place(to, i)
				}
			}
		}
		o.orchestrate(i)
	}
}

// orchestrate places the free orchestrators whose targets are all placed
// and of which the last on the path is in stage i.
func (o *overview) orchestrate(i int) {
	g := o.g
	for changed := true; changed; {
		changed = false
		for _, id := range sortedKeys(g.nodes) {
			if !o.free(id) || !contains(orchestrators, g.nodes[id].typ) {
				continue
			}
			last, ok := -1, true
			for _, to := range g.targets(id) {
				if !g.controls(id, to) || o.merged[to] == "" && o.isMerged(to) {
					continue
				}
				if o.free(to) {
					ok = false
					break
				}
				if c, onPath := o.column[to]; onPath && c > last {
					last = c
				}
			}
			if ok && last == i {
				o.place(id, i)
				changed = true
			}
		}
	}
}

func (o *overview) place(id string, stage int) {
	o.band[id] = pathBand
	o.column[id] = stage
	o.stages[stage] = append(o.stages[stage], id)
}

// rest puts every node no role claimed in the band of its neighbours:
// analytics if it touches that band, the path if it touches the path,
// operations otherwise.
func (o *overview) rest() {
	g := o.g
	for changed := true; changed; {
		changed = false
		for _, id := range sortedKeys(g.nodes) {
			if !o.free(id) {
				continue
			}
			best := band(-1)
			for e := range g.edges {
				var other string
				switch id {
				case e.from:
					other = e.to
				case e.to:
					other = e.from
				default:
					continue
				}
				if b, ok := o.band[other]; ok && !o.isMerged(other) && (best < 0 || b < best) {
					best = b
				}
			}
			if best >= 0 {
				o.band[id] = best
				changed = true
			}
		}
	}
	for _, id := range sortedKeys(g.nodes) {
		if o.free(id) {
			o.band[id] = opsBand
		}
	}
}

// columns puts each band node in a column of the path beside what it
// touches: the rounded mean of its placed neighbours' columns, counting
// one to the right of what it gets data from and one to the left of what
// it sends to (but the very column of a bucket it describes: a table's
// location, a trail's data events), and counting what starts it only when
// nothing else places it. It goes in rounds, so that a node placed in one
// round places its neighbours in the next. Nodes that touch nothing take
// their band's free columns from the left.
func (o *overview) columns() {
	last := len(o.stages) - 1
	ids := o.drawnNodes()
	for {
		next := map[string]int{}
		for _, id := range ids {
			if _, placed := o.column[id]; placed {
				continue
			}
			sum, n, csum, cn := 0, 0, 0, 0
			for _, e := range o.drawnEdges() {
				var c, off int
				var ok bool
				switch id {
				case e.from:
					c, ok = o.column[e.to]
					off = -1
				case e.to:
					c, ok = o.column[e.from]
					off = 1
				}
				switch {
				case !ok:
				case anyLabel(e.labels, describeLabels):
					sum, n = sum+c, n+1
				case anyLabel(e.labels, controlLabels) || len(e.labels) == 0:
					csum, cn = csum+c+off, cn+1
				default:
					sum, n = sum+c+off, n+1
				}
			}
			if n == 0 {
				sum, n = csum, cn
			}
			if n > 0 {
				next[id] = min(max((2*sum+n)/(2*n), 0), last) // rounded mean
			}
		}
		if len(next) == 0 {
			break
		}
		for id, c := range next {
			o.column[id] = c
		}
	}
	used := map[band]map[int]bool{}
	for _, id := range ids {
		if c, ok := o.column[id]; ok {
			if used[o.bandOf(id)] == nil {
				used[o.bandOf(id)] = map[int]bool{}
			}
			used[o.bandOf(id)][c] = true
		}
	}
	for _, id := range ids {
		if _, ok := o.column[id]; ok {
			continue
		}
		b := o.bandOf(id)
		if used[b] == nil {
			used[b] = map[int]bool{}
		}
		c := 0
		for c < last && used[b][c] {
			c++
		}
		o.column[id] = c
		used[b][c] = true
	}
}

func (o *overview) free(id string) bool {
	_, placed := o.band[id]
	return !placed && !o.isMerged(id)
}

func (o *overview) isMerged(id string) bool { _, ok := o.merged[id]; return ok }

// drawn is the node the overview draws for id: itself, its summary, or "" when left out.
func (o *overview) drawn(id string) string {
	if m, ok := o.merged[id]; ok {
		return m
	}
	return id
}

// targets are the nodes id has an edge to (with one of labels, if any given).
func (g *graph) targets(id string, labels ...string) []string {
	var out []string
	for e, ls := range g.edges {
		if e.from == id && (len(labels) == 0 || anyLabel(ls, labels)) {
			out = append(out, e.to)
		}
	}
	sort.Strings(out)
	return out
}

// controls says whether from starts, runs or invokes to (an unlabelled
// edge is a rule's target).
func (g *graph) controls(from, to string) bool {
	ls, ok := g.edges[edge{from, to}]
	return ok && (len(ls) == 0 || anyLabel(ls, controlLabels))
}

// has says whether from -> to is an edge with one of labels.
func (g *graph) has(from, to string, labels ...string) bool {
	ls, ok := g.edges[edge{from, to}]
	return ok && anyLabel(ls, labels)
}

func anyLabel(ls map[string]bool, labels []string) bool {
	for _, l := range labels {
		if ls[l] {
			return true
		}
	}
	return false
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Short kinds shown under a name in the overview.
var shortKinds = map[string]string{
	"AWS::Kinesis::Stream":                 "Kinesis",
	"AWS::KinesisFirehose::DeliveryStream": "Firehose",
	"AWS::Lambda::Function":                "Lambda",
	"AWS::S3::Bucket":                      "S3",
	"AWS::Glue::Database":                  "Glue catalog",
	"AWS::Glue::Crawler":                   "Glue crawler",
	"AWS::Glue::Job":                       "Glue job",
	"AWS::Glue::Workflow":                  "Glue workflow",
	"AWS::Glue::DataQualityRuleset":        "Glue DQ",
	"AWS::Athena::WorkGroup":               "Athena",
	"AWS::StepFunctions::StateMachine":     "Step Functions",
	"AWS::DynamoDB::Table":                 "DynamoDB",
	"AWS::SNS::Topic":                      "SNS",
	"AWS::SQS::Queue":                      "SQS",
	"AWS::Events::Rule":                    "EventBridge",
	"AWS::CloudWatch::Dashboard":           "CloudWatch",
	"AWS::CloudWatch::Alarm":               "CloudWatch",
	"AWS::Budgets::Budget":                 "Budgets",
	"AWS::CloudTrail::Trail":               "CloudTrail",
	"AWS::EC2::VPC":                        "VPC",
	"AWS::EC2::VPCEndpoint":                "VPC endpoint",
	"AWS::KMS::Key":                        "KMS",
	producers:                              "PutRecords",
	sagemaker:                              "SageMaker",
}

// Fills by kind: stores blue, compute yellow, orchestration green,
// catalog and queries purple, alerting red.
var fills = map[string]string{
	"AWS::Kinesis::Stream":             "#dbeafe",
	"AWS::S3::Bucket":                  "#dbeafe",
	"AWS::DynamoDB::Table":             "#dbeafe",
	"AWS::StepFunctions::StateMachine": "#dcfce7",
	"AWS::Glue::Workflow":              "#dcfce7",
	"AWS::Events::Rule":                "#dcfce7",
	"AWS::Glue::Database":              "#ede9fe",
	"AWS::Glue::Crawler":               "#ede9fe",
	"AWS::Glue::DataQualityRuleset":    "#ede9fe",
	"AWS::Athena::WorkGroup":           "#ede9fe",
	"AWS::SNS::Topic":                  "#fee2e2",
	"AWS::CloudWatch::Alarm":           "#fee2e2",
	"AWS::Budgets::Budget":             "#fee2e2",
	"AWS::CloudWatch::Dashboard":       "#f3f4f6",
	"AWS::CloudTrail::Trail":           "#f3f4f6",
	producers:                          "#f3f4f6",
}

// acronyms are written as such in titles.
var acronyms = map[string]string{"Ml": "ML", "Etl": "ETL", "Dq": "DQ", "Sns": "SNS", "Sqs": "SQS", "Vpc": "VPC"}

// title is a logical ID in words ("TelemetryStream" -> "Telemetry Stream"),
// wrapped to short lines.
func title(id string) string {
	var words []string
	var w []rune
	rs := []rune(id)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			words = append(words, string(w))
			w = nil
		}
		w = append(w, r)
	}
	words = append(words, string(w))
	for i, word := range words {
		if a, ok := acronyms[word]; ok {
			words[i] = a
		}
	}
	var lines []string
	for _, word := range words {
		if n := len(lines); n > 0 && len(lines[n-1])+1+len(word) <= 10 {
			lines[n-1] += " " + word
			continue
		}
		lines = append(lines, word)
	}
	return strings.Join(lines, "<BR/>")
}

// label is a node's HTML label: its name, and its kind below in grey.
func (o *overview) label(id string) string {
	n, ok := o.summary[id]
	if !ok {
		n = o.g.nodes[id]
	}
	var name string
	switch {
	case ok:
		name = n.label
	case id == producers:
		name = "Producers"
	case id == sagemaker:
		name = "Training,<BR/>tuning,<BR/>transform"
	default:
		name = title(name0(id, n.stack))
	}
	return fmt.Sprintf("<%s<BR/><FONT POINT-SIZE=\"13\" COLOR=\"#4b5563\">%s</FONT>>", name, shortKinds[n.typ])
}

// name0 is the node's logical ID without its stack prefix.
func name0(id, stack string) string { return strings.TrimPrefix(id, stack+"_") }

// main is the member of stage i that carries the path: the first of the
// stage's first kind (the delivery stream, not the functions beside it).
func (o *overview) main(i int) string {
	for _, id := range o.stages[i] {
		if o.g.nodes[id].typ == stages[i].kinds[0] {
			return id
		}
	}
	if len(o.stages[i]) > 0 {
		return o.stages[i][0]
	}
	return ""
}

// drawnNodes are the nodes the overview draws: itself or a summary for each.
func (o *overview) drawnNodes() []string {
	var ids []string
	for _, id := range sortedKeys(o.band) {
		if o.drawn(id) == id {
			ids = append(ids, id)
		}
	}
	return append(ids, sortedKeys(o.summary)...)
}

func (o *overview) bandOf(id string) band {
	if _, ok := o.summary[id]; ok {
		return opsBand
	}
	return o.band[id]
}

// typeOf is the resource type of a drawn node.
func (o *overview) typeOf(id string) string {
	if s, ok := o.summary[id]; ok {
		return s.typ
	}
	return o.g.nodes[id].typ
}

// drawnEdge is one edge of the overview, with the labels of every edge of
// the full graph it stands for.
type drawnEdge struct {
	from, to string
	labels   map[string]bool
}

// drawnEdges are the edges between drawn nodes, once per pair, sorted.
func (o *overview) drawnEdges() []drawnEdge {
	if o.edges != nil {
		return o.edges
	}
	type pair struct{ from, to string }
	labels := map[pair]map[string]bool{}
	for e, ls := range o.g.edges {
		from, to := o.drawn(e.from), o.drawn(e.to)
		if from == "" || to == "" || from == to {
			continue
		}
		p := pair{from, to}
		if labels[p] == nil {
			labels[p] = map[string]bool{}
		}
		for l := range ls {
			labels[p][l] = true
		}
	}
	for p, ls := range labels {
		o.edges = append(o.edges, drawnEdge{p.from, p.to, ls})
	}
	sort.Slice(o.edges, func(i, j int) bool {
		if o.edges[i].from != o.edges[j].from {
			return o.edges[i].from < o.edges[j].from
		}
		return o.edges[i].to < o.edges[j].to
	})
	return o.edges
}

// render writes the overview. Every node sits in a rank=same group for
// its column, and the columns are chained in path order by invisible
// edges, so no column can slide; the bands are clusters, kept in order
// by anchors in the first column.
func (o *overview) render() string {
	var b strings.Builder
	b.WriteString("// Generated by `make diagram` from the synthesized prod templates (internal/diagram). Do not edit.\n")
	b.WriteString("// The overview: the data path left to right, analytics above, operations below.\n")
	b.WriteString("digraph lake {\n")
	b.WriteString("  graph [rankdir=LR, newrank=true, size=\"9.375,30\", fontname=\"Helvetica\", fontsize=14, nodesep=0.12, ranksep=0.22, pad=0.05, labeljust=l, label=\"solid: data (two heads: read and written)   dashed: starts or invokes   red: alerts, notifications\\ldotted: catalog tables, audited data events   dashed box: not in the templates\\l\", labelloc=b];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#fef9c3\", color=\"#6b7280\", fontname=\"Helvetica\", fontsize=14, margin=\"0.05,0.03\", height=0.4];\n")
	b.WriteString("  edge [color=\"#374151\", arrowsize=0.6];\n")
	ids := o.drawnNodes()
	mains := map[string]bool{}
	for i := range o.stages {
		mains[o.main(i)] = true
	}
	bands := []band{analyticsBand, pathBand, opsBand}
	for _, bd := range bands {
		var members []string
		for _, id := range ids {
			if o.bandOf(id) == bd {
				members = append(members, id)
			}
		}
		if len(members) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%q; style=\"rounded\"; color=\"#9ca3af\";\n", bd, bandLabels[bd])
		for _, id := range members {
			attrs := ""
			if f, ok := fills[o.typeOf(id)]; ok {
				attrs = fmt.Sprintf(", fillcolor=%q", f)
			}
			if _, ok := o.summary[id]; ok {
				attrs = ", fillcolor=\"#fee2e2\""
			}
			if id == producers || id == sagemaker { // not in the templates
				attrs += ", style=\"rounded,filled,dashed\""
			}
			if mains[id] {
				attrs += ", group=path"
			}
			fmt.Fprintf(&b, "    %s [label=%s%s];\n", id, o.label(id), attrs)
		}
		b.WriteString("  }\n")
	}
	// Graphviz orders clusters only to cross fewer edges, which a mirror
	// image does not change, and ignores edges within a column between
	// clusters. So an invisible anchor per band stands in the first
	// column outside the clusters, the anchors are ordered top to bottom
	// by edges within that column, and each has an invisible edge to its
	// band's first node right of the first column: bands in another order
	// would cross those edges.
	var anchors []string
	for _, bd := range bands {
		first := ""
		for _, id := range ids {
			if c := o.column[id]; o.bandOf(id) == bd && c > 0 && (first == "" || c < o.column[first]) {
				first = id
			}
		}
		if first == "" {
			continue
		}
		anchor := fmt.Sprintf("band_%d", bd)
		fmt.Fprintf(&b, "  %s [shape=point, style=invis, width=0.01, height=0.01];\n", anchor)
		fmt.Fprintf(&b, "  %s -> %s [style=invis, weight=0];\n", anchor, first)
		anchors = append(anchors, anchor)
	}
	if len(anchors) > 1 {
		fmt.Fprintf(&b, "  %s [style=invis];\n", strings.Join(anchors, " -> "))
	}
	// Columns, and the invisible chain that orders them.
	var spine []string
	for i := range o.stages {
		var col []string
		if i == 0 {
			col = append(col, anchors...)
		}
		for _, id := range ids {
			if c, ok := o.column[id]; ok && c == i {
				col = append(col, id)
			}
		}
		if len(col) > 0 {
			fmt.Fprintf(&b, "  { rank=same; %s } // %s\n", strings.Join(col, "; "), stages[i].name)
		}
		if m := o.main(i); m != "" {
			spine = append(spine, m)
		} else if len(col) > 0 {
			spine = append(spine, col[0])
		}
	}
	if len(spine) > 1 {
		fmt.Fprintf(&b, "  %s [style=invis];\n", strings.Join(spine, " -> "))
	}
	drawn := map[[2]string]bool{}
	for _, e := range o.drawnEdges() {
		drawn[[2]string{e.from, e.to}] = true
	}
	for _, e := range o.drawnEdges() {
		var attrs []string
		// A pair that moves data both ways (a job reading its own output)
		// is one edge with two heads, drawn from the left.
		if drawn[[2]string{e.to, e.from}] && o.typeOf(e.to) != "AWS::SNS::Topic" && o.typeOf(e.from) != "AWS::SNS::Topic" {
			if o.column[e.from] > o.column[e.to] || o.column[e.from] == o.column[e.to] && e.from > e.to {
				continue
			}
			attrs = append(attrs, "dir=both")
		}
		switch {
		case o.typeOf(e.to) == "AWS::SNS::Topic":
			attrs = append(attrs, "color=\"#dc2626\"")
		case anyLabel(e.labels, controlLabels) || len(e.labels) == 0:
			attrs = append(attrs, "style=dashed", "color=\"#6b7280\"")
		case anyLabel(e.labels, describeLabels):
			attrs = append(attrs, "style=dotted", "color=\"#6b7280\"")
		}
		// Only forward edges along the path rank anything; the columns do the rest.
		fc, fok := o.column[e.from]
		tc, tok := o.column[e.to]
		if !(fok && tok && o.bandOf(e.from) == pathBand && o.bandOf(e.to) == pathBand && fc < tc) {
			attrs = append(attrs, "constraint=false")
		}
		if len(attrs) == 0 {
			fmt.Fprintf(&b, "  %s -> %s;\n", e.from, e.to)
			continue
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}
