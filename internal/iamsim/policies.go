package iamsim

import (
	"fmt"
	"strings"
)

// Policy is one named policy document (already resolved).
type Policy struct {
	Name     string
	Document map[string]any
}

// Role is an IAM role of the templates with everything that governs it.
type Role struct {
	*Resource
	// Identity are its inline and customer-managed policies.
	Identity []Policy
	// Trust is its assume-role policy.
	Trust map[string]any
}

// Policies indexes the resolved templates' policies by the principal or
// resource they govern.
type Policies struct {
	r *Resolved
	// Roles by role ARN.
	Roles map[string]*Role
	// byResource holds resource policies by the ARN (or bucket name) they govern.
	byResource map[string]Policy
	// Endpoints are VPC endpoint policies by the endpoint's logical ID prefix.
	Endpoints map[string]Policy
}

// Collect gathers every role's identity and trust policies and every
// resource policy in r. A role that holds an AWS managed policy is an error:
// its text is not in the templates, so no decision about that role could be
// trusted.
func Collect(r *Resolved) (*Policies, error) {
	p := &Policies{r: r, Roles: map[string]*Role{}, byResource: map[string]Policy{}, Endpoints: map[string]Policy{}}
	managed := map[string]Policy{} // ARN -> document
	for _, mp := range r.All("AWS::IAM::ManagedPolicy") {
		managed[mp.Ref] = Policy{Name: mp.Stack + "/" + mp.LogicalID, Document: doc(mp.Properties["PolicyDocument"])}
	}
	for _, role := range r.All("AWS::IAM::Role") {
		rr := &Role{Resource: role, Trust: doc(role.Properties["AssumeRolePolicyDocument"])}
		for i, inline := range list(role.Properties["Policies"]) {
			m, _ := inline.(map[string]any)
			rr.Identity = append(rr.Identity, Policy{Name: fmt.Sprintf("%s/%s/inline%d", role.Stack, role.LogicalID, i), Document: doc(m["PolicyDocument"])})
		}
		for _, a := range list(role.Properties["ManagedPolicyArns"]) {
			pol, ok := managed[fmt.Sprint(a)]
			if !ok {
				rr.Identity = append(rr.Identity, Policy{Name: "unknown:" + fmt.Sprint(a)})
				continue
			}
			rr.Identity = append(rr.Identity, pol)
		}
		p.Roles[role.Arn] = rr
	}
	attach := func(typ string) {
		for _, pol := range r.All(typ) {
			for _, ref := range list(pol.Properties["Roles"]) {
				for _, rr := range p.Roles {
					if rr.Ref == fmt.Sprint(ref) {
						rr.Identity = append(rr.Identity, Policy{Name: pol.Stack + "/" + pol.LogicalID, Document: doc(pol.Properties["PolicyDocument"])})
					}
				}
			}
		}
	}
	attach("AWS::IAM::ManagedPolicy")
	attach("AWS::IAM::Policy")

	for _, bp := range r.All("AWS::S3::BucketPolicy") {
		p.byResource["s3:"+fmt.Sprint(bp.Properties["Bucket"])] = Policy{Name: bp.Stack + "/" + bp.LogicalID, Document: doc(bp.Properties["PolicyDocument"])}
	}
	for _, k := range r.All("AWS::KMS::Key") {
		p.byResource[k.Arn] = Policy{Name: k.Stack + "/" + k.LogicalID + "/KeyPolicy", Document: doc(k.Properties["KeyPolicy"])}
	}
	for _, tp := range r.All("AWS::SNS::TopicPolicy") {
		for _, t := range list(tp.Properties["Topics"]) {
			p.byResource[fmt.Sprint(t)] = Policy{Name: tp.Stack + "/" + tp.LogicalID, Document: doc(tp.Properties["PolicyDocument"])}
		}
	}
	for _, t := range r.All("AWS::SNS::Topic") {
		if _, ok := p.byResource[t.Arn]; !ok {
			p.byResource[t.Arn] = Policy{Name: "SNS default policy of " + t.LogicalID, Document: snsDefaultPolicy(r.Deployment, t.Arn)}
		}
	}
	for _, qp := range r.All("AWS::SQS::QueuePolicy") {
		for _, q := range list(qp.Properties["Queues"]) {
			for _, queue := range r.All("AWS::SQS::Queue") {
				if queue.Ref == fmt.Sprint(q) {
					p.byResource[queue.Arn] = Policy{Name: qp.Stack + "/" + qp.LogicalID, Document: doc(qp.Properties["PolicyDocument"])}
				}
			}
		}
	}
	// Lambda keeps its resource policy as permissions; each becomes a statement.
	fnStatements := map[string][]any{}
	for _, perm := range r.All("AWS::Lambda::Permission") {
		fn := fmt.Sprint(perm.Properties["FunctionName"])
		arn := fn
		if !strings.HasPrefix(fn, "arn:") {
			arn = "arn:" + r.Partition + ":lambda:" + r.Region + ":" + r.Account + ":function:" + fn
		}
		st := map[string]any{"Sid": perm.LogicalID, "Effect": "Allow", "Action": perm.Properties["Action"], "Resource": arn}
		principal := fmt.Sprint(perm.Properties["Principal"])
		if strings.HasSuffix(principal, ".amazonaws.com") {
			st["Principal"] = map[string]any{"Service": principal}
		} else {
			st["Principal"] = map[string]any{"AWS": principal}
		}
		cond := map[string]any{}
		if v, ok := perm.Properties["SourceArn"]; ok {
			cond["ArnLike"] = map[string]any{"aws:SourceArn": v}
		}
		if v, ok := perm.Properties["SourceAccount"]; ok {
			cond["StringEquals"] = map[string]any{"aws:SourceAccount": v}
		}
		if len(cond) > 0 {
			st["Condition"] = cond
		}
		fnStatements[arn] = append(fnStatements[arn], st)
	}
	for arn, sts := range fnStatements {
		p.byResource[arn] = Policy{Name: "permissions of " + arn, Document: map[string]any{"Version": "2012-10-17", "Statement": sts}}
	}
	for _, ep := range r.All("AWS::EC2::VPCEndpoint") {
		if d, ok := ep.Properties["PolicyDocument"]; ok {
			p.Endpoints[ep.LogicalID] = Policy{Name: ep.Stack + "/" + ep.LogicalID, Document: doc(d)}
		}
	}
	return p, nil
}

// Role returns the role of stack whose logical ID starts with prefix.
func (p *Policies) Role(stack, prefix string) (*Role, error) {
	res, err := p.r.Find(stack, prefix, "AWS::IAM::Role")
	if err != nil {
		return nil, err
	}
	return p.Roles[res.Arn], nil
}

// ResourcePolicy returns the policy that governs arn (a bucket or object,
// key, topic, queue, function or role ARN), or false when it has none.
func (p *Policies) ResourcePolicy(arn string) (Policy, bool) {
	if rest, ok := strings.CutPrefix(arn, "arn:"+p.r.Partition+":s3:::"); ok {
		bucket, _, _ := strings.Cut(rest, "/")
		pol, ok := p.byResource["s3:"+bucket]
		return pol, ok
	}
	if rr, ok := p.Roles[arn]; ok {
		return Policy{Name: rr.Stack + "/" + rr.LogicalID + "/Trust", Document: rr.Trust}, true
	}
	if strings.Contains(arn, ":lambda:") {
		// A qualified function ARN (version or alias) is governed by the function's policy.
		parts := strings.Split(arn, ":")
		if len(parts) > 7 {
			arn = strings.Join(parts[:7], ":")
		}
	}
	pol, ok := p.byResource[arn]
	return pol, ok
}

// snsDefaultPolicy is the access policy SNS gives a topic created without
// one: the owner account may manage and publish. A topic policy set by the
// template replaces it.
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
func snsDefaultPolicy(d Deployment, topicArn string) map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid": "__default_statement_ID", "Effect": "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []any{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
				"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource":  topicArn,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": d.Account}},
		}},
	}
}

func doc(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}
