// Package sagemakerimage resolves the ECR image URIs of SageMaker built-in
// algorithms without calling AWS, so `cdk synth` needs no credentials.
package sagemakerimage

import (
	"fmt"
	"sort"
	"strings"
)

// XGBoostVersion is the framework version of the built-in XGBoost algorithm
// the state machines train and serve with.
const XGBoostVersion = "1.7-1"

const xgboostRepository = "sagemaker-xgboost"

// xgboostRegistries maps a region to the account that owns the
// sagemaker-xgboost repository for version 1.7-1 (the same account serves
// training and inference). Source: the SageMaker Python SDK's xgboost.json
// (src/sagemaker/image_uri_config/, in newer releases
// sagemaker-core/src/sagemaker/core/image_uri_config/), "1.7-1" registries.
var xgboostRegistries = map[string]string{
	"af-south-1":      "510948584623",
	"ap-east-1":       "651117190479",
	"ap-northeast-1":  "354813040037",
	"ap-northeast-2":  "366743142698",
	"ap-northeast-3":  "867004704886",
	"ap-south-1":      "720646828776",
	"ap-south-2":      "628508329040",
	"ap-southeast-1":  "121021644041",
	"ap-southeast-2":  "783357654285",
	"ap-southeast-3":  "951798379941",
	"ap-southeast-4":  "106583098589",
	"ca-central-1":    "341280168497",
	"ca-west-1":       "190319476487",
	"cn-north-1":      "450853457545",
	"cn-northwest-1":  "451049120500",
	"eu-central-1":    "492215442770",
	"eu-central-2":    "680994064768",
	"eu-north-1":      "662702820516",
	"eu-south-1":      "978288397137",
	"eu-south-2":      "104374241257",
	"eu-west-1":       "141502667606",
	"eu-west-2":       "764974769150",
	"eu-west-3":       "659782779980",
	"il-central-1":    "898809789911",
	"me-central-1":    "272398656194",
	"me-south-1":      "801668240914",
	"sa-east-1":       "737474898029",
	"us-east-1":       "683313688378",
	"us-east-2":       "257758044811",
	"us-gov-east-1":   "237065988967",
	"us-gov-west-1":   "414596584902",
	"us-iso-east-1":   "833128469047",
	"us-isob-east-1":  "281123927165",
	"us-isof-east-1":  "108575199400",
	"us-isof-south-1": "124985052026",
	"us-west-1":       "746614075791",
	"us-west-2":       "246618743249",
}

// XGBoost returns the ECR image URI of the SageMaker built-in XGBoost
// algorithm, version 1.7-1, in region, e.g.
// 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1.
func XGBoost(region string) (string, error) {
	account, ok := xgboostRegistries[region]
	if !ok {
		return "", fmt.Errorf("SageMaker's built-in XGBoost %s is not published in region %q (it is in %d regions, listed in internal/sagemakerimage)", XGBoostVersion, region, len(xgboostRegistries))
	}
	return fmt.Sprintf("%s.dkr.ecr.%s.%s/%s:%s", account, region, dnsSuffix(region), xgboostRepository, XGBoostVersion), nil
}

// Regions lists the regions XGBoost resolves, sorted.
func Regions() []string {
	out := make([]string, 0, len(xgboostRegistries))
	for r := range xgboostRegistries {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// dnsSuffix is the DNS suffix of the partition a region belongs to.
func dnsSuffix(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "amazonaws.com.cn"
	case strings.HasPrefix(region, "us-isob-"):
		return "sc2s.sgov.gov"
	case strings.HasPrefix(region, "us-isof-"):
		return "csp.hci.ic.gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "c2s.ic.gov"
	default:
		return "amazonaws.com"
	}
}
