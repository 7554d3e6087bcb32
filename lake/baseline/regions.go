package baseline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// DeployableIn records in the stack's template the regions it is meant to
// deploy to, where cfn-lint reads them (Metadata cfn-lint.config.regions,
// https://github.com/aws-cloudformation/cfn-lint#metadata): `make
// lint-templates` then checks every resource type and property against each
// of those regions' CloudFormation, and a type a region lacks (E3006) fails
// the build instead of the user's deploy.
func DeployableIn(stack awscdk.Stack, regions []string) {
	stack.AddMetadata(jsii.String("cfn-lint"), map[string]any{"config": map[string]any{"regions": regions}})
}
