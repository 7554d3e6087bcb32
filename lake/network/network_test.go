package network_test

import (
	"testing"

	"github.com/refdatalake/datalake/lake/laketest"
	"github.com/refdatalake/datalake/lake/network"
)

func TestMain(m *testing.M) { laketest.Main(m) }

// The stack, with only its required props, passes the five packs; it has
// no NAT or internet gateway, so nothing in its subnets reaches the internet.
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	app, _, st := laketest.Lake(t)
	network.NewStack(app, "Network", &network.Props{LakeKey: st.LakeKey, LakeBuckets: st.DataBuckets()})
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl := r.Templates["Network"]
	for typ, want := range map[string]int{"AWS::EC2::VPC": 1, "AWS::EC2::Subnet": 2, "AWS::EC2::VPCEndpoint": 2, "AWS::EC2::FlowLog": 1,
		"AWS::EC2::NatGateway": 0, "AWS::EC2::InternetGateway": 0} {
		if n := laketest.Count(tpl, typ); n != want {
			t.Errorf("%d %s, want %d", n, typ, want)
		}
	}
}
