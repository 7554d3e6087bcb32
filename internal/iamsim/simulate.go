package iamsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Request is one call AWS would authorize at run time.
type Request struct {
	// Principal is a role ARN (the call is made by a session of that role) or
	// a service principal such as "cloudwatch.amazonaws.com".
	Principal string
	Action    string
	// Resource is the ARN the action is authorized on.
	Resource string
	// Context is the request context AWS sends: aws:SecureTransport,
	// kms:ViaService, s3:x-amz-server-side-encryption, aws:SourceArn, ...
	// The evaluator fills in nothing itself.
	Context map[string]any
	// Endpoints names VPC endpoint policies (by logical ID) the call passes through.
	Endpoints []string
}

// Decision is the evaluator's answer for one request.
type Decision struct {
	// Result is Allowed, ExplicitlyDenied or ImplicitlyDenied.
	Result string
	// Mode says how the request was evaluated (see simulate.mjs).
	Mode string
	// Policies lists the policies handed to the evaluator, for messages.
	Policies []string
	// Explain names the statements that decided, when the evaluator says.
	Explain []string
}

// Allowed reports whether the request was allowed.
func (d Decision) Allowed() bool { return d.Result == "Allowed" }

// Simulator evaluates requests with the Node evaluator.
type Simulator struct {
	// Node is the node binary; ModuleRoot is the folder whose node_modules
	// holds @cloud-copilot/iam-simulate.
	Node, ModuleRoot string
}

// ErrNoEvaluator says the evaluator is not installed.
var ErrNoEvaluator = errors.New("@cloud-copilot/iam-simulate is not installed: run `make deps` (npm ci)")

// NewSimulator finds node and the evaluator under root (the repository),
// preferring the Node 22 that `make deps` installs in node_modules/.bin.
func NewSimulator(root string) (*Simulator, error) {
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		return nil, ErrNoEvaluator
	}
	node := filepath.Join(root, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		if node, err = exec.LookPath("node"); err != nil {
			return nil, fmt.Errorf("no node binary: %w", err)
		}
	}
	return &Simulator{Node: node, ModuleRoot: root}, nil
}

type simInput struct {
	ID         int            `json:"id"`
	Simulation map[string]any `json:"simulation"`
}

type simOutput struct {
	ID       int             `json:"id"`
	Decision string          `json:"decision"`
	Mode     string          `json:"mode"`
	Errors   json.RawMessage `json:"errors"`
	Explain  []string        `json:"explain"`
}

// Evaluate decides every request against p in one run of the evaluator.
// The identity policies of a role principal, the resource's policy (bucket,
// key, topic, queue, function, or a role's trust policy for sts:AssumeRole)
// and the named VPC endpoint policies are handed over; the evaluator applies
// AWS's rules for same-account requests, key policies and trust policies.
func (s *Simulator) Evaluate(p *Policies, reqs []Request) ([]Decision, error) {
	in := make([]simInput, len(reqs))
	names := make([][]string, len(reqs))
	for i, rq := range reqs {
		sim, used, err := p.simulation(rq)
		if err != nil {
			return nil, fmt.Errorf("request %d (%s %s on %s): %w", i, rq.Principal, rq.Action, rq.Resource, err)
		}
		in[i] = simInput{ID: i, Simulation: sim}
		names[i] = used
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	// Node resolves the evaluator from the script's folder upwards: the
	// repository's node_modules.
	cmd := exec.Command(s.Node, filepath.Join(s.ModuleRoot, "internal", "iamsim", "simulate.mjs"))
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("iam-simulate: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var out []simOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("iam-simulate output: %w", err)
	}
	if len(out) != len(reqs) {
		return nil, fmt.Errorf("iam-simulate answered %d of %d requests", len(out), len(reqs))
	}
	ds := make([]Decision, len(reqs))
	for _, o := range out {
		if o.Decision == "" {
			return nil, fmt.Errorf("request %d (%s %s on %s) was not evaluated: %s", o.ID, reqs[o.ID].Principal, reqs[o.ID].Action, reqs[o.ID].Resource, string(o.Errors))
		}
		ds[o.ID] = Decision{Result: o.Decision, Mode: o.Mode, Policies: names[o.ID], Explain: o.Explain}
	}
	return ds, nil
}

// simulation builds the evaluator's input for one request.
func (p *Policies) simulation(rq Request) (map[string]any, []string, error) {
	var used []string
	identity := []any{}
	principal := rq.Principal
	if role, ok := p.Roles[rq.Principal]; ok {
		for _, pol := range role.Identity {
			if strings.HasPrefix(pol.Name, "unknown:") {
				return nil, nil, fmt.Errorf("role %s/%s holds a managed policy whose text is not in the templates (%s)", role.Stack, role.LogicalID, strings.TrimPrefix(pol.Name, "unknown:"))
			}
			identity = append(identity, map[string]any{"name": pol.Name, "policy": pol.Document})
			used = append(used, pol.Name)
		}
		// A role acts through a session; resource policies that name the role match it.
		principal = "arn:" + p.r.Partition + ":sts::" + p.r.Account + ":assumed-role/" + role.Name + "/session"
	} else if strings.HasPrefix(rq.Principal, "arn:") {
		return nil, nil, fmt.Errorf("principal %s is no role of the templates", rq.Principal)
	}
	ctx := map[string]any{}
	for k, v := range rq.Context {
		switch x := v.(type) {
		case bool:
			ctx[k] = fmt.Sprint(x)
		case []string:
			ctx[k] = x
		default:
			ctx[k] = fmt.Sprint(x)
		}
	}
	sim := map[string]any{
		"request": map[string]any{
			"principal": principal, "action": rq.Action,
			"resource":         map[string]any{"resource": rq.Resource, "accountId": p.r.Account},
			"contextVariables": ctx,
		},
		"identityPolicies":        identity,
		"serviceControlPolicies":  []any{},
		"resourceControlPolicies": []any{},
	}
	if pol, ok := p.ResourcePolicy(rq.Resource); ok {
		sim["resourcePolicy"] = pol.Document
		used = append(used, pol.Name)
	}
	if len(rq.Endpoints) > 0 {
		var eps []any
		for _, e := range rq.Endpoints {
			var found *Policy
			for lid, pol := range p.Endpoints {
				if strings.HasPrefix(lid, e) {
					pol := pol
					found = &pol
				}
			}
			if found == nil {
				return nil, nil, fmt.Errorf("no VPC endpoint policy %s", e)
			}
			eps = append(eps, map[string]any{"name": found.Name, "policy": found.Document})
			used = append(used, found.Name)
		}
		sim["vpcEndpointPolicies"] = eps
	}
	return sim, used, nil
}
