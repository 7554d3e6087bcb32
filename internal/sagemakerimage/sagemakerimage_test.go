package sagemakerimage

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Expected values are copied from the SageMaker Python SDK's xgboost.json,
// version 1.7-1.
func TestXGBoost(t *testing.T) {
	cases := map[string]string{
		"us-east-1":      "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"us-east-2":      "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.7-1",
		"us-west-2":      "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1",
		"eu-west-1":      "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"eu-central-1":   "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"ap-southeast-2": "783357654285.dkr.ecr.ap-southeast-2.amazonaws.com/sagemaker-xgboost:1.7-1",
		"ap-northeast-1": "354813040037.dkr.ecr.ap-northeast-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"ca-west-1":      "190319476487.dkr.ecr.ca-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"il-central-1":   "898809789911.dkr.ecr.il-central-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"us-gov-west-1":  "414596584902.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"cn-north-1":     "450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1",
		"cn-northwest-1": "451049120500.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1",
		"us-iso-east-1":  "833128469047.dkr.ecr.us-iso-east-1.c2s.ic.gov/sagemaker-xgboost:1.7-1",
		"us-isob-east-1": "281123927165.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/sagemaker-xgboost:1.7-1",
		"us-isof-east-1": "108575199400.dkr.ecr.us-isof-east-1.csp.hci.ic.gov/sagemaker-xgboost:1.7-1",
	}
	for region, want := range cases {
		got, err := XGBoost(region)
		if err != nil {
			t.Errorf("XGBoost(%q): %v", region, err)
			continue
		}
		if got != want {
			t.Errorf("XGBoost(%q) = %s, want %s", region, got, want)
		}
	}
}

func TestXGBoostUnknownRegion(t *testing.T) {
	for _, region := range []string{"", "mars-north-1", "US-EAST-1", "eu-isoe-west-1"} {
		got, err := XGBoost(region)
		if err == nil {
			t.Errorf("XGBoost(%q) = %s, want an error", region, got)
			continue
		}
		// There is no setting for another image: the message names the region
		// and where the supported ones are listed.
		if !strings.Contains(err.Error(), `"`+region+`"`) || !strings.Contains(err.Error(), "internal/sagemakerimage") {
			t.Errorf("XGBoost(%q) error %q should name the region and where the supported regions are listed", region, err)
		}
	}
}

func TestRegions(t *testing.T) {
	regions := Regions()
	if len(regions) != 37 {
		t.Errorf("Regions() has %d entries, want the 37 of the SDK table", len(regions))
	}
	if !sort.StringsAreSorted(regions) {
		t.Error("Regions() is not sorted")
	}
	uri := regexp.MustCompile(`^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.[a-z0-9.-]+/sagemaker-xgboost:1\.7-1$`)
	for _, r := range regions {
		got, err := XGBoost(r)
		if err != nil {
			t.Errorf("XGBoost(%q): %v", r, err)
			continue
		}
		if !uri.MatchString(got) || !strings.Contains(got, ".dkr.ecr."+r+".") {
			t.Errorf("XGBoost(%q) = %s, malformed", r, got)
		}
	}
	regions[0] = "changed"
	if Regions()[0] == "changed" {
		t.Error("Regions() shares its slice with the caller")
	}
}
