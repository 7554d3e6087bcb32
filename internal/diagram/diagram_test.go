package diagram

import (
	"reflect"
	"strings"
	"testing"
)

// testLake is a small lake drawn as the graph build reads it from the
// templates: every role of the overview once, plus what must be left out,
// summarised or put in a band by its neighbours.
func testLake() *graph {
	g := &graph{nodes: map[string]node{}, edges: map[edge]map[string]bool{}, byRef: map[string]string{}, alarms: map[string]int{}}
	for _, n := range []struct{ id, typ string }{
		{producers, producers}, {sagemaker, sagemaker},
		{"Streaming_Stream", "AWS::Kinesis::Stream"}, {"Streaming_Delivery", "AWS::KinesisFirehose::DeliveryStream"},
		{"Streaming_Transform", "AWS::Lambda::Function"}, {"Streaming_Detect", "AWS::Lambda::Function"},
		{"Streaming_AlarmTopic", "AWS::SNS::Topic"}, {"alarms_Streaming", "AWS::CloudWatch::Alarm"},
		{"Storage_Raw", "AWS::S3::Bucket"}, {"Storage_Curated", "AWS::S3::Bucket"}, {"Storage_Analytics", "AWS::S3::Bucket"},
		{"Storage_Audit", "AWS::S3::Bucket"}, {"Storage_Trail", "AWS::CloudTrail::Trail"}, {"Storage_Key", "AWS::KMS::Key"},
		{"Catalog_Curate", "AWS::Glue::Job"}, {"Catalog_Features", "AWS::Glue::Job"}, {"Catalog_Crawler", "AWS::Glue::Crawler"},
		{"Catalog_Db", "AWS::Glue::Database"}, {"Catalog_Quality", "AWS::Glue::DataQualityRuleset"},
		{"Catalog_Etl", "AWS::Glue::Workflow"}, {"Catalog_QualityRuns", "AWS::StepFunctions::StateMachine"},
		{"Catalog_QualitySchedule", "AWS::Events::Rule"}, {"Analytics_Wg", "AWS::Athena::WorkGroup"},
		{"ML_Train", "AWS::StepFunctions::StateMachine"}, {"ML_Evaluate", "AWS::Lambda::Function"},
		{"ML_Registry", "AWS::DynamoDB::Table"}, {"ML_Notify", "AWS::SNS::Topic"}, {"ML_Schedule", "AWS::Events::Rule"},
		{"Ops_JobFailed", "AWS::Events::Rule"}, {"Ops_CrawlerFailed", "AWS::Events::Rule"}, {"Ops_DeadLetters", "AWS::SQS::Queue"},
		{"Ops_Dashboard", "AWS::CloudWatch::Dashboard"}, {"Budget_MonthlyBudget", "AWS::Budgets::Budget"},
	} {
		stack, _, _ := strings.Cut(n.id, "_")
		switch stack {
		case "ext":
			stack = ""
		case "alarms": // build's one node for a stack's alarms
			stack = strings.TrimPrefix(n.id, "alarms_")
		}
		g.nodes[n.id] = node{id: n.id, stack: stack, typ: n.typ, label: n.id}
	}
	g.alarms["Streaming"] = 3
	for _, e := range [][3]string{
		{producers, "Streaming_Stream", "records"}, {"Streaming_Stream", "Streaming_Delivery", "records"},
		{"Streaming_Delivery", "Streaming_Transform", "transform"}, {"Streaming_Delivery", "Storage_Raw", "Parquet"},
		{"Streaming_Stream", "Streaming_Detect", "reads"}, {"Streaming_Detect", "Storage_Analytics", "writes"},
		{"Storage_Analytics", "Streaming_Detect", "reads"}, {"Streaming_Detect", "Streaming_AlarmTopic", "notifies"},
		{"Streaming_Detect", "Ops_DeadLetters", "failures"},
		{"Storage_Raw", "Catalog_Curate", "reads"}, {"Catalog_Curate", "Storage_Curated", "writes"}, {"Storage_Curated", "Catalog_Curate", "reads"},
		{"Storage_Curated", "Catalog_Features", "reads"}, {"Catalog_Features", "Storage_Analytics", "writes"},
		{"Storage_Raw", "Catalog_Crawler", "reads"}, {"Catalog_Crawler", "Catalog_Db", "tables"},
		{"Storage_Raw", "Catalog_Db", "tables"}, {"Storage_Curated", "Catalog_Db", "tables"}, {"Catalog_Db", "Catalog_Quality", "checks"},
		{"Catalog_Db", "Analytics_Wg", "queries"}, {"Analytics_Wg", "Storage_Analytics", "results"},
		{"Catalog_Etl", "Catalog_Crawler", "runs"}, {"Catalog_Etl", "Catalog_Curate", "runs"}, {"Catalog_Etl", "Catalog_Features", "runs"},
		{"Catalog_QualityRuns", "Catalog_Quality", "starts"}, {"Catalog_QualitySchedule", "Catalog_QualityRuns", ""},
		{"Storage_Analytics", sagemaker, "reads"}, {sagemaker, "Storage_Analytics", "writes"},
		{"Storage_Analytics", "ML_Evaluate", "reads"}, {"ML_Evaluate", "Storage_Analytics", "writes"},
		{"ML_Train", "Catalog_Features", "starts"}, {"ML_Train", sagemaker, "starts"}, {"ML_Train", "ML_Evaluate", "invokes"},
		{"ML_Train", "ML_Registry", "writes"}, {"ML_Train", "ML_Notify", "notifies"}, {"ML_Schedule", "ML_Train", ""},
		{"alarms_Streaming", "Streaming_AlarmTopic", ""}, {"Ops_JobFailed", "Streaming_AlarmTopic", ""},
		{"Ops_CrawlerFailed", "Streaming_AlarmTopic", ""}, {"Ops_JobFailed", "Ops_DeadLetters", "undeliverable"},
		{"Budget_MonthlyBudget", "Streaming_AlarmTopic", ""},
		{"Storage_Trail", "Storage_Audit", "logs"}, {"Storage_Raw", "Storage_Trail", "data events"},
	} {
		g.add(e[0], e[1], e[2])
	}
	return g
}

func TestOverviewStages(t *testing.T) {
	o := testLake().overview()
	want := [][]string{
		{producers}, {"Streaming_Stream"}, {"Streaming_Delivery", "Streaming_Detect", "Streaming_Transform"}, {"Storage_Raw"},
		{"Catalog_Curate"}, {"Storage_Curated"}, {"Catalog_Features", "Catalog_Etl"}, {"Storage_Analytics"},
		{"ML_Evaluate", sagemaker, "ML_Train", "ML_Schedule"}, {"ML_Notify", "ML_Registry"},
	}
	if !reflect.DeepEqual(o.stages, want) {
		t.Errorf("stages:\n got %v\nwant %v", o.stages, want)
	}
	for id, b := range map[string]band{
		"Catalog_Db": analyticsBand, "Catalog_Crawler": analyticsBand, "Analytics_Wg": analyticsBand,
		// A state machine that starts data quality runs, and its schedule,
		// join the band of the ruleset they start.
		"Catalog_QualityRuns": analyticsBand, "Catalog_QualitySchedule": analyticsBand,
		"Streaming_AlarmTopic": opsBand, "Budget_MonthlyBudget": opsBand, "Ops_Dashboard": opsBand,
		"Storage_Trail": opsBand, "Storage_Audit": opsBand, alarmSummary: opsBand, ruleSummary: opsBand,
	} {
		if got := o.bandOf(id); got != b {
			t.Errorf("%s is in band %d, want %d", id, got, b)
		}
	}
	for id, to := range map[string]string{
		"alarms_Streaming": alarmSummary, "Ops_JobFailed": ruleSummary, "Ops_CrawlerFailed": ruleSummary,
		"Storage_Key": "", "Ops_DeadLetters": "",
	} {
		if got := o.drawn(id); got != to {
			t.Errorf("%s is drawn as %q, want %q", id, got, to)
		}
	}
	if o.summary[alarmSummary].label != "3 alarms" || o.summary[ruleSummary].label != "2 failure rules" {
		t.Errorf("summaries: %+v", o.summary)
	}
}

// A job that reads the raw zone curates, wherever it is declared.
func TestOverviewPlacesNewMembers(t *testing.T) {
	g := testLake()
	g.nodes["Other_Compact"] = node{id: "Other_Compact", stack: "Other", typ: "AWS::Glue::Job", label: "Compact"}
	g.add("Storage_Raw", "Other_Compact", "reads")
	g.add("Other_Compact", "Storage_Curated", "writes")
	if got := g.overview().stages[4]; !reflect.DeepEqual(got, []string{"Catalog_Curate", "Other_Compact"}) {
		t.Errorf("curate stage: %v", got)
	}
}

func TestOverviewRender(t *testing.T) {
	dot := testLake().overview().render()
	if again := testLake().overview().render(); again != dot {
		t.Fatal("two renders of one graph differ")
	}
	d, err := Parse(dot)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range [][2]string{
		{producers, "Stream"}, {"Delivery", "Raw"}, {"Raw", "Curate"}, {"Curated", "Curate"}, {"Curate", "Curated"},
		{"Detect", "AlarmTopic"}, {alarmSummary, "AlarmTopic"}, {ruleSummary, "AlarmTopic"}, {"MonthlyBudget", "AlarmTopic"},
		{"Train", "Registry"}, {"Raw", "Trail"},
	} {
		if !d.Has(e[0], e[1]) {
			t.Errorf("no edge %s -> %s", e[0], e[1])
		}
	}
	if d.Has("JobFailed", "AlarmTopic") || d.Node("DeadLetters") != "" || d.Node("Key") != "" {
		t.Error("summarised or left-out nodes are drawn")
	}
	ranks, err := d.Ranks()
	if err != nil {
		t.Fatal(err)
	}
	path := []string{producers, "Stream", "Delivery", "Raw", "Curate", "Curated", "Features", "Analytics", "Train", "Registry"}
	for i, name := range path {
		if r := ranks[d.Node(name)]; r != i {
			t.Errorf("%s is in column %d, want %d", name, r, i)
		}
	}
	for id, r := range ranks {
		if r >= len(path) {
			t.Errorf("%s is in column %d, right of the last stage", id, r)
		}
	}
	for name, band := range map[string]string{"Db": "Analytics", "Stream": "Data path", "AlarmTopic": "Operations", alarmSummary: "Operations"} {
		if c := d.Cluster[d.Node(name)]; !strings.HasPrefix(c, band) {
			t.Errorf("%s is in cluster %q, want %s", name, c, band)
		}
	}
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"TelemetryStream":   "Telemetry<BR/>Stream",
		"RawBucket":         "Raw Bucket",
		"MlWorkgroup":       "ML<BR/>Workgroup",
		"TrainAndTransform": "Train And<BR/>Transform",
		"Tune":              "Tune",
	} {
		if got := title(in); got != want {
			t.Errorf("title(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	dot := `// comment
digraph lake {
  graph [rankdir=LR];
  subgraph cluster_0 {
    label="Band A"; style="rounded";
    S_a [label=<A<BR/><FONT POINT-SIZE="13">kind</FONT>>];
    S_b [label="b\n(x, y)"];
  }
  T_c [label="c"];
  d [shape=point, style=invis];
  { rank=same; S_a; d } // first
  S_a -> S_b -> T_c [style=invis];
  S_b -> T_c [dir=both, constraint=false];
  T_c -> S_a [constraint=false];
}
`
	d, err := Parse(dot)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Nodes, []string{"S_a", "S_b", "T_c", "d"}) || d.Cluster["S_b"] != "Band A" || d.Cluster["T_c"] != "" {
		t.Errorf("nodes %v, clusters %v", d.Nodes, d.Cluster)
	}
	if !d.Has("c", "b") || !d.Has("S_b", "c") || d.Has("a", "b") || !d.Has("c", "a") || d.Has("a", "c") {
		t.Error("Has: an invisible edge counts, or a two-headed one does not")
	}
	ranks, err := d.Ranks()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"S_a": 0, "d": 0, "S_b": 1, "T_c": 2}; !reflect.DeepEqual(ranks, want) {
		t.Errorf("ranks %v, want %v", ranks, want)
	}
	cycle := strings.Replace(dot, "T_c -> S_a [constraint=false];", "T_c -> S_a;", 1)
	if d, err := Parse(cycle); err != nil {
		t.Fatal(err)
	} else if _, err := d.Ranks(); err == nil {
		t.Error("a cycle of constraining edges has ranks")
	}
	for _, bad := range []string{"  S_a -> X;\n", "  something else\n", "  S_a [label=\"again\"];\n", "  { rank=same; Y }\n"} {
		if _, err := Parse(strings.Replace(dot, "}\n", bad+"}\n", 1)); err == nil {
			t.Errorf("Parse accepts %q", bad)
		}
	}
}

func TestNodeByName(t *testing.T) {
	d := &Drawing{Nodes: []string{"A_Bucket", "B_Bucket", "A_Stream", "ext_x"}}
	for name, want := range map[string]string{"Stream": "A_Stream", "Bucket": "", "A_Bucket": "A_Bucket", "ext_x": "ext_x", "None": ""} {
		if got := d.Node(name); got != want {
			t.Errorf("Node(%q) = %q, want %q", name, got, want)
		}
	}
}
