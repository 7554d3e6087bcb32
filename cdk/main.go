// Command cdk is the data lake's CDK app: `cdk synth -c profile=sandbox|prod|local`.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/curated"
	"github.com/refdatalake/datalake/lake/ops"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if err := build(app); err != nil {
		fmt.Fprintln(os.Stderr, "datalake synth failed: "+err.Error())
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}

// build reads the configuration from app's context and adds the stacks.
func build(app awscdk.App) error {
	if err := checkContextKeys(contextKeys(app)); err != nil {
		return err
	}
	cfg, err := LoadConfig(func(key string) any { return app.Node().TryGetContext(&key) })
	if err != nil {
		return err
	}
	// An environment-agnostic synth still learns where `cdk deploy` will
	// go: the CLI passes the region of the credentials as CDK_DEFAULT_REGION.
	if r := os.Getenv("CDK_DEFAULT_REGION"); cfg.Region == "" && r != "" {
		if err := ops.CheckBudgetRegion(cfg.MonthlyBudgetUsd, r, "the region of your AWS configuration, where cdk deploy goes"); err != nil {
			return err
		}
		if err := curated.CheckTableOptimizerRegion(cfg.TableOptimizers, r, "the region of your AWS configuration, where cdk deploy goes"); err != nil {
			return err
		}
	}
	_, err = NewLake(app, cfg)
	return err
}

// contextKeys lists every context key the app was given: cdk.json,
// cdk.context.json and -c on the command line.
func contextKeys(app awscdk.App) []string {
	all, _ := app.Node().GetAllContext(nil).(map[string]any)
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	return keys
}
