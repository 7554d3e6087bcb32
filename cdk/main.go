// Command cdk is the data lake's CDK app: `cdk synth -c profile=sandbox|prod|local`.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
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
	cfg, err := LoadConfig(func(key string) any { return app.Node().TryGetContext(&key) })
	if err != nil {
		return err
	}
	_, err = NewLake(app, cfg)
	return err
}
