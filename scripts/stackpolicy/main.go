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
	"strings"

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
	// region is the stack's pinned region (-c region=), "" when the
	// template is environment-agnostic and goes to the credentials' region.
	region string
}

// readAssembly returns the assembly's stacks, sorted by stack name.
func readAssembly(dir string) ([]stack, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read the assembly (run cdk synth -o %s first): %w", dir, err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
			Properties  struct {
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
		out = append(out, stack{name: name, template: tpl, region: pinnedRegion(a.Environment)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// pinnedRegion reads the region of an artifact environment,
// "aws://<account>/<region>"; "" for "unknown-region".
func pinnedRegion(env string) string {
	rest, ok := strings.CutPrefix(env, "aws://")
	if !ok {
		return ""
	}
	_, region, ok := strings.Cut(rest, "/")
	if !ok || region == "unknown-region" {
		return ""
	}
	return region
}

func run(ctx context.Context, dir string, apply bool) error {
	stacks, err := readAssembly(dir)
	if err != nil {
		return err
	}
	// A stack pinned with -c region= lives in that region whatever the
	// credentials' default: each gets a client of its own region.
	clients := map[string]*cloudformation.Client{}
	client := func(region string) (*cloudformation.Client, error) {
		if c, ok := clients[region]; ok {
			return c, nil
		}
		var opts []func(*config.LoadOptions) error
		if region != "" {
			opts = append(opts, config.WithRegion(region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, err
		}
		clients[region] = cloudformation.NewFromConfig(cfg)
		return clients[region], nil
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
		cfn, err := client(s.region)
		if err != nil {
			return err
		}
		if _, err := cfn.SetStackPolicy(ctx, &cloudformation.SetStackPolicyInput{StackName: aws.String(s.name), StackPolicyBody: aws.String(string(policy))}); err != nil {
			return fmt.Errorf("set the stack policy of %s (region %s): %w", s.name, cfn.Options().Region, err)
		}
		fmt.Printf("%s: replacing or deleting %v is now refused\n", s.name, stackpolicy.Protected(s.template))
	}
	return nil
}
