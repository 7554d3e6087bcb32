package main

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// localDrift is every way the local profile's templates may differ from the
// sandbox's, each with its reason. The end-to-end test deploys the local
// profile, so anything it proves holds for sandbox only as far as this list
// allows. Paths are stack/JSON paths with logical IDs; an entry that matches
// nothing fails the test too, so the list cannot go stale.
var localDrift = []struct {
	path, reason string
}{
	{`^(Streaming/Resources/(TransformFunction|DetectFunction)|ML/Resources/EvaluateFunction|Upkeep/Resources/TableWatchFunction)\w+/Properties/Architectures/0$`,
		"the emulator runs the bootstrap as a host process: built for the host's architecture"},
	{`^(Streaming/Resources/(TransformFunction|DetectFunction)|ML/Resources/EvaluateFunction|Upkeep/Resources/TableWatchFunction)\w+/Properties/Code/S3Key$`,
		"the asset hash is the hash of that host-architecture build"},
	{`^\w+/Resources/\w+/(DeletionPolicy|UpdateReplacePolicy)$`,
		"an emulator is thrown away after each run: DESTROY instead of RETAIN"},
	{`^\w+/Resources/\w+/Properties/RetentionInDays$`,
		"log retention is one day locally"},
	{`^Storage/Resources/\w+Bucket\w+/Properties/LifecycleConfiguration/Rules/\d+/(ExpirationInDays|NoncurrentVersionExpiration/NoncurrentDays|AbortIncompleteMultipartUpload/DaysAfterInitiation)$`,
		"lifecycle days are shorter locally (the emulator does not run lifecycle rules at all)"},
	{`^Streaming/Resources/TelemetryDelivery\w+/Properties/ExtendedS3DestinationConfiguration/BufferingHints/IntervalInSeconds$`,
		"Firehose flushes every minute locally, so a run sees its data sooner"},
	{`^Streaming/Resources/DataFreshnessAlarm\w+/Properties/Threshold$`,
		"the freshness alarm allows the buffer interval plus 15 minutes"},
	{`^Network/(Parameters/FlowLogsEnabled|Conditions|Resources/LakeVpcFlowLog\w+/Condition)$`,
		"emulators reject AWS::EC2::FlowLog: locally it sits behind a parameter that defaults to false"},
	{`^Analytics/(Parameters/NamedQueriesEnabled|Conditions|Resources/\w+Query/Condition)$`,
		"emulators reject AWS::Athena::NamedQuery: locally they sit behind a parameter that defaults to false (the e2e test runs their SQL directly)"},
	{`^Catalog/(Parameters/(GlueSecurityConfigurationEnabled|GlueWorkflowEnabled)|Conditions|Resources/(SecurityConfiguration|EtlWorkflow)\w+/Condition)$`,
		"emulators reject AWS::Glue::SecurityConfiguration and Workflow (and its triggers): locally they sit behind parameters that default to false"},
	{`^Curated/(Parameters/DataQualityEnabled|Conditions|Resources/CuratedQuality\w+/Condition)$`,
		"emulators reject AWS::Glue::DataQualityRuleset: locally it sits behind a parameter that defaults to false"},
	{`^Upkeep/(Parameters/TableOptimizersEnabled|Conditions|Resources/\w+(Compaction|SnapshotRetention|OrphanFileDeletion)/Condition)$`,
		"emulators reject AWS::Glue::TableOptimizer: locally the optimizers sit behind a parameter that defaults to false"},
	{`^Catalog/Resources/(LandingCrawler|CurateJob\w+|FeaturesJob\w+|MigrateCuratedJob\w+|TrainingSetJob\w+)/DependsOn$`,
		"on AWS the crawler and jobs wait for the security configuration they name; locally it is not created, so they cannot depend on it"},
	{`^Streaming/Resources/DetectFunction\w+/Properties/Environment/Variables/DETECT_(SAMPLE_SIZE|TREES|WARM_UP|ANY_HOUR)$`,
		"the anomaly detector's forest and warm-up are small locally, and it scores hours of the day its profile has not learnt, so the short end-to-end stream can show an anomaly"},
	{`^Budget/`,
		"emulators have no AWS Budgets: the local profile sets monthlyBudgetUsd=0, so it has no Budget stack"},
}

func TestLocalProfileDoesNotDrift(t *testing.T) {
	sb, lc := synth(t, sandbox), synth(t, local)
	if sb.err != nil || lc.err != nil {
		t.Fatalf("synth: %v / %v", sb.err, lc.err)
	}
	var diffs []string
	for _, stack := range sortedKeys(sb.templates) {
		diffs = append(diffs, diffJSON(stack, normalizeProfile(sb.templates[stack]), normalizeProfile(lc.templates[stack]))...)
	}
	used := make([]bool, len(localDrift))
	for _, d := range diffs {
		allowed := false
		for i, a := range localDrift {
			if regexp.MustCompile(a.path).MatchString(d) {
				used[i], allowed = true, true
			}
		}
		if !allowed {
			t.Errorf("local differs from sandbox at %s: make the profiles agree, or add the path to localDrift with a reason", d)
		}
	}
	for i, u := range used {
		if !u {
			t.Errorf("localDrift entry %q matches no difference: remove it", localDrift[i].path)
		}
	}
}

// normalizeProfile replaces the profile's name in every string (stack names,
// export names, descriptions, tags), which differ by design.
func normalizeProfile(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeProfile(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeProfile(e)
		}
		return out
	case string:
		return strings.NewReplacer("sandbox", "<profile>", "local", "<profile>").Replace(x)
	}
	return v
}

// diffJSON lists the paths at which a and b differ.
func diffJSON(path string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		var out []string
		for _, k := range sortedKeys(keys) {
			out = append(out, diffJSON(path+"/"+k, am[k], bm[k])...)
		}
		return out
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		var out []string
		for i := range as {
			out = append(out, diffJSON(fmt.Sprintf("%s/%d", path, i), as[i], bs[i])...)
		}
		return out
	}
	if reflect.DeepEqual(a, b) {
		return nil
	}
	return []string{path}
}
