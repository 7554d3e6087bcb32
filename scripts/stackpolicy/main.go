// Command stackpolicy sets, on each deployed stack of a synthesized cloud
// assembly, the stack policy that forbids replacing or deleting the
// resources holding data (internal/stackpolicy). `make deploy PROFILE=prod`
// runs it after the deploy; without -apply it prints the policies.
//
//	go run ./scripts/stackpolicy -templates cdk.out/prod [-apply]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/refdatalake/datalake/internal/stackpolicy"
)

func main() {
	dir := flag.String("templates", "cdk.out/prod", "cloud assembly folder (cdk synth -o)")
	apply := flag.Bool("apply", false, "set the policies on the deployed stacks (otherwise print them)")
	flag.Parse()
	if err := run(context.Background(), *dir, *apply); err != nil {
		fmt.Fprintln(os.Stderr, "stackpolicy:", err)
		os.Exit(1)
	}
}

// stack is one stack of the assembly.
type stack struct {
	name     string
	template map[string]any
}

// readAssembly returns the assembly's stacks, sorted by stack name.
func readAssembly(dir string) ([]stack, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read the assembly (run cdk synth -o %s first): %w", dir, err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	var out []stack
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, a.Properties.TemplateFile))
		if err != nil {
			return nil, err
		}
		var tpl map[string]any
		if err := json.Unmarshal(body, &tpl); err != nil {
			return nil, fmt.Errorf("%s: %w", a.Properties.TemplateFile, err)
		}
		name := a.Properties.StackName
		if name == "" {
			name = id
		}
		out = append(out, stack{name: name, template: tpl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func run(ctx context.Context, dir string, apply bool) error {
	stacks, err := readAssembly(dir)
	if err != nil {
		return err
	}
	var cfn *cloudformation.Client
	if apply {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return err
		}
		cfn = cloudformation.NewFromConfig(cfg)
	}
	for _, s := range stacks {
		policy, err := stackpolicy.Policy(s.template)
		if err != nil {
			return err
		}
		if policy == nil {
			fmt.Printf("%s: holds no data, no policy\n", s.name)
			continue
		}
		if !apply {
			fmt.Printf("%s:\n%s\n", s.name, policy)
			continue
		}
		if _, err := cfn.SetStackPolicy(ctx, &cloudformation.SetStackPolicyInput{StackName: aws.String(s.name), StackPolicyBody: aws.String(string(policy))}); err != nil {
			return fmt.Errorf("set the stack policy of %s: %w", s.name, err)
		}
		fmt.Printf("%s: replacing or deleting %v is now refused\n", s.name, stackpolicy.Protected(s.template))
	}
	return nil
}
