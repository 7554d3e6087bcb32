package baseline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// SkipOnEmulator puts resources behind a template parameter that defaults to
// false, when the deployment targets an emulator that rejects their types
// (and with them the whole stack). The resources stay in the template, so
// the compliance packs and the local-vs-sandbox comparison still see them;
// for AWS (emulator false) nothing changes.
func SkipOnEmulator(emulator bool, stack awscdk.Stack, parameterID, why string, resources ...awscdk.CfnResource) {
	if !emulator {
		return
	}
	enabled := awscdk.NewCfnParameter(stack, jsii.String(parameterID), &awscdk.CfnParameterProps{
		Type:          jsii.String("String"),
		AllowedValues: jsii.Strings("true", "false"),
		Default:       jsii.String("false"),
		Description:   jsii.String(why),
	})
	when := awscdk.NewCfnCondition(stack, jsii.String(parameterID+"Condition"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(enabled.ValueAsString(), jsii.String("true")),
	})
	for _, r := range resources {
		r.CfnOptions().SetCondition(when)
	}
}
