package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/internal/sagemakerimage"
	"github.com/refdatalake/datalake/lake/curated"
	"github.com/refdatalake/datalake/lake/ops"
)

// pinnedSandbox is the sandbox profile pinned to an account and region.
var pinnedSandbox = map[string]any{"profile": "sandbox", "account": "123456789012", "region": "eu-west-1"}

// accountWideNames are the resource types whose names are unique per
// account (or partition) across regions, with the property that names one.
// One profile deployed to two regions of one account collides on any of
// them whose name lacks the region.
//   - Budgets: "Budget names must be unique within an account."
//     https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_CreateBudget.html
//   - Dashboards: "All dashboards in your account are global, not region-specific."
//     https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html
//   - IAM: "names must be unique within the account" (IAM is global).
//     https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
//   - S3 general purpose buckets: unique "across all AWS accounts in all the AWS Regions within a partition".
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/gpbucketnamespaces.html
var accountWideNames = map[string][]string{
	"AWS::Budgets::Budget":        {"Budget", "BudgetName"},
	"AWS::CloudWatch::Dashboard":  {"DashboardName"},
	"AWS::IAM::Role":              {"RoleName"},
	"AWS::IAM::ManagedPolicy":     {"ManagedPolicyName"},
	"AWS::IAM::User":              {"UserName"},
	"AWS::IAM::Group":             {"GroupName"},
	"AWS::IAM::InstanceProfile":   {"InstanceProfileName"},
	"AWS::IAM::OIDCProvider":      {"Url"},
	"AWS::S3::Bucket":             {"BucketName"},
	"AWS::CloudFront::Function":   {"Name"},
	"AWS::Route53::HostedZone":    {"Name"},
	"AWS::Organizations::Account": {"AccountName"},
}

// Every account-wide name the app gives carries the region; names
// CloudFormation generates (no name property) are unique already. Pinned
// templates carry the region as a literal, agnostic ones as AWS::Region.
func TestAccountWideNamesCarryTheRegion(t *testing.T) {
	for _, p := range []struct {
		name, region string
		ctx          map[string]any
	}{
		{"sandbox", "", sandbox}, {"prod", "", prod},
		{"sandbox pinned", "eu-west-1", pinnedSandbox},
	} {
		r := synth(t, p.ctx)
		if r.err != nil {
			t.Fatal(r.err)
		}
		named := 0
		for _, stack := range sortedKeys(r.templates) {
			for id, raw := range r.templates[stack]["Resources"].(map[string]any) {
				res := raw.(map[string]any)
				path, ok := accountWideNames[res["Type"].(string)]
				if !ok {
					continue
				}
				var name any = res["Properties"]
				for _, k := range path {
					m, _ := name.(map[string]any)
					name = m[k]
				}
				if name == nil {
					continue
				}
				named++
				raw, _ := json.Marshal(name)
				hasRegion := strings.Contains(string(raw), `{"Ref":"AWS::Region"}`) || (p.region != "" && strings.Contains(string(raw), p.region))
				if !hasRegion {
					t.Errorf("%s %s/%s (%s) is named %s, unique per account: put the region in it (ops.AccountWideName)", p.name, stack, id, res["Type"], raw)
				}
			}
		}
		// The budget and the dashboard have fixed names: a check that
		// found none would prove nothing.
		if named < 2 {
			t.Errorf("%s: %d account-wide names found, want at least the budget's and the dashboard's", p.name, named)
		}
	}
}

// Each template names the regions it deploys to, for cfn-lint (make
// lint-templates): every region the ML stack's XGBoost rule accepts, but the
// budget's and the upkeep's templates leave out those without
// AWS::Budgets::Budget and AWS::Glue::TableOptimizer; a pinned synth names
// its one region.
func TestTemplatesNameTheirRegions(t *testing.T) {
	regionsOf := func(tpl map[string]any) []string {
		md, _ := tpl["Metadata"].(map[string]any)
		lint, _ := md["cfn-lint"].(map[string]any)
		cfg, _ := lint["config"].(map[string]any)
		var out []string
		for _, r := range cfg["regions"].([]any) {
			out = append(out, r.(string))
		}
		return out
	}
	r := synth(t, sandbox)
	if r.err != nil {
		t.Fatal(r.err)
	}
	all := sagemakerimage.Regions()
	for _, stack := range sortedKeys(r.templates) {
		want := all
		switch stack {
		case "Budget":
			want = ops.BudgetRegions(all)
		case "Upkeep":
			want = curated.TableOptimizerRegions(all)
		}
		if (stack == "Budget" || stack == "Upkeep") && (len(want) == len(all) || len(want) == 0) {
			t.Errorf("%s regions %v: the regions without the type were not left out", stack, want)
		}
		if got := regionsOf(r.templates[stack]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s names regions %v, want %v", stack, got, want)
		}
	}
	rule := r.templates["ML"]["Rules"].(map[string]any)["XGBoostRegion"].(map[string]any)
	raw, _ := json.Marshal(rule)
	for _, region := range all {
		if !strings.Contains(string(raw), `"`+region+`"`) {
			t.Errorf("the ML stack's region rule lacks %s", region)
		}
	}
	pinned := synth(t, pinnedSandbox)
	if pinned.err != nil {
		t.Fatal(pinned.err)
	}
	for _, stack := range sortedKeys(pinned.templates) {
		if got := regionsOf(pinned.templates[stack]); !reflect.DeepEqual(got, []string{"eu-west-1"}) {
			t.Errorf("pinned %s names regions %v", stack, got)
		}
	}
}

// A budget in a region whose CloudFormation lacks the type is refused at
// synth when the region is known, naming the setting that turns it off.
func TestBudgetRefusedWhereTheTypeDoesNotExist(t *testing.T) {
	for _, region := range []string{"eu-north-1", "eu-central-2", "ca-west-1"} {
		_, err := LoadConfig(lookupFrom(map[string]any{"account": "111122223333", "region": region}))
		if err == nil || !strings.Contains(err.Error(), "-c monthlyBudgetUsd=0") || !strings.Contains(err.Error(), region) {
			t.Errorf("%s: %v", region, err)
		}
		// Two of them lack the table optimizers too.
		off := map[string]any{"account": "111122223333", "region": region, "monthlyBudgetUsd": "0", "tableOptimizers": "false"}
		if _, err := LoadConfig(lookupFrom(off)); err != nil {
			t.Errorf("%s without a budget: %v", region, err)
		}
	}
	if _, err := LoadConfig(lookupFrom(map[string]any{"account": "111122223333", "region": "eu-west-1"})); err != nil {
		t.Errorf("eu-west-1: %v", err)
	}
}

// The table optimizers in a region whose CloudFormation lacks their type
// are refused at synth when the region is known, naming the setting.
func TestTableOptimizersRefusedWhereTheTypeDoesNotExist(t *testing.T) {
	for _, region := range []string{"us-west-1", "eu-west-3"} {
		_, err := LoadConfig(lookupFrom(map[string]any{"account": "111122223333", "region": region}))
		if err == nil || !strings.Contains(err.Error(), "-c tableOptimizers=false") || !strings.Contains(err.Error(), region) {
			t.Errorf("%s: %v", region, err)
		}
		if _, err := LoadConfig(lookupFrom(map[string]any{"account": "111122223333", "region": region, "tableOptimizers": "false"})); err != nil {
			t.Errorf("%s without optimizers: %v", region, err)
		}
	}
}
