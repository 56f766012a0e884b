package reach_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
)

func TestExplainSide(t *testing.T) {
	allowFE := model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'fe'")}}
	tests := []struct {
		name     string
		tiers    []*model.Tier
		profiles []*model.Profile
		policies []*model.Policy
		src, dst string
		ingress  bool // explain the ingress side instead of the egress side
		want     string
	}{
		{
			name:     "rule allows",
			policies: []*model.Policy{evEgress(evKNP("prod", "allow-fe", "app == 'fe'"), model.Rule{Action: model.Allow})},
			want:     "egress of prod/frontend: allowed by rule 0 (Allow) of KubernetesNetworkPolicy prod/allow-fe in tier default",
		},
		{
			name: "rule position counts rules that did not match",
			policies: []*model.Policy{evIngress(evGNP("default", "deny", "app == 'db'", nil),
				model.Rule{Action: model.Allow, Protocol: model.UDP}, evLog(), evDeny())},
			ingress: true,
			want:    "ingress of prod/database: denied by rule 2 (Deny) of GlobalNetworkPolicy deny in tier default",
		},
		{
			name:     "end of tier",
			policies: []*model.Policy{evIngress(evKNP("prod", "default-deny", "")), evIngress(evKNP("prod", "web", "app == 'db'"), model.Rule{Action: model.Allow, Protocol: model.UDP})},
			ingress:  true,
			want:     "ingress of prod/database: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy prod/default-deny, KubernetesNetworkPolicy prod/web",
		},
		{
			name:    "no policy",
			ingress: true,
			want:    "ingress of prod/database: allowed: no policy selects it (namespace profile kns.prod allows)",
		},
		{
			name:     "passed to profiles",
			tiers:    []*model.Tier{evTier("a", evOrder(1), model.Pass), evTier("b", evOrder(2), model.Deny)},
			policies: []*model.Policy{evIngress(evGNP("a", "x", "all()", nil)), evIngress(evGNP("b", "y", "all()", nil), evPass())},
			ingress:  true,
			want:     "ingress of prod/database: allowed: tiers a, b passed (namespace profile kns.prod allows)",
		},
		{
			name:     "rule after a pass",
			tiers:    []*model.Tier{evTier("security", evOrder(1), model.Deny)},
			policies: []*model.Policy{evIngress(evGNP("security", "x", "all()", nil), evPass()), evIngress(evKNP("prod", "allow-fe", ""), allowFE)},
			ingress:  true,
			want:     "ingress of prod/database: allowed by rule 0 (Allow) of KubernetesNetworkPolicy prod/allow-fe in tier default, after tier security passed",
		},
		{
			name: "outside address",
			src:  "203.0.113.9",
			want: "egress of 203.0.113.9: allowed: not a Calico endpoint",
		},
		{
			name: "host-network pod",
			src:  "kube-system/agent",
			want: "egress of kube-system/agent: allowed: not a Calico endpoint (host-network pod)",
		},
		{
			name: "self",
			dst:  "prod/frontend",
			want: "egress of prod/frontend: allowed: traffic to itself never leaves the pod",
		},
		{
			name:    "host endpoint without profiles",
			dst:     "host/node1-eth0",
			ingress: true,
			want:    "ingress of host/node1-eth0: denied: no policy selects it (the host endpoint has no profiles)",
		},
		{
			name:    "host endpoint with the built-in allow profile",
			dst:     "host/node2-eth0",
			ingress: true,
			want:    "ingress of host/node2-eth0: allowed: no policy selects it (built-in profile projectcalico-default-allow allows)",
		},
		{
			name:     "host endpoint profile rule",
			profiles: []*model.Profile{{Name: "web", Egress: []model.Rule{{Action: model.Allow, Protocol: model.UDP}, {Action: model.Deny, Protocol: model.TCP}}}},
			src:      "host/h",
			want:     "egress of host/h: denied: no policy selects it (rule 1 (Deny) of profile web denies)",
		},
		{
			name:     "host endpoint profiles without a matching rule",
			profiles: []*model.Profile{{Name: "web", Egress: []model.Rule{{Action: model.Allow, Protocol: model.UDP}}}},
			src:      "host/h",
			want:     "egress of host/h: denied: no policy selects it (no rule of profiles web matched)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := evBase()
			objs.Tiers = tc.tiers
			objs.Profiles = tc.profiles
			objs.Policies = tc.policies
			objs.HostEndpoints = append(objs.HostEndpoints, &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"web"}})
			c := evBuild(t, objs)
			v := evEvaluate(t, c, evTCP(t, c, cmpOr(tc.src, "prod/frontend"), cmpOr(tc.dst, "prod/database"), 5432))
			side := v.Egress
			if tc.ingress {
				side = v.Ingress
			}
			assert.Equal(t, tc.want, side.String())
		})
	}
}

func TestExplainEncapsulation(t *testing.T) {
	c := evBuild(t, evBase())
	v := evEvaluate(t, c, reach.Flow{Src: evPeer(t, c, "prod/web"), Dst: evPeer(t, c, "192.168.0.1"), Protocol: model.UDP, Port: 4789})
	assert.Equal(t, "egress of prod/web: denied: Felix drops VXLAN (UDP 4789) and IP-in-IP from workloads before any policy", v.Egress.String())
}

func TestExplainVerdict(t *testing.T) {
	objs := evBase()
	objs.Tiers = []*model.Tier{evTier("security", evOrder(100), model.Deny)}
	objs.Policies = []*model.Policy{
		evIngress(evGNP("security", "audit", "app == 'db'", evOrder(1)),
			evLog(), model.Rule{Action: model.Deny, Protocol: model.TCP, Source: model.EntityMatch{Ports: evPorts(0, 1023)}}, evPass()),
		evIngress(evKNP("prod", "default-deny", "")),
		evStaged(evIngress(evKNP("prod", "allow-fe", "app == 'db'"), model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'fe'")}}), "Set"),
	}
	c := evBuild(t, objs)

	v := evEvaluate(t, c, evTCP(t, c, "prod/frontend", "prod/database", 5432))
	assert.Equal(t, `DENIED prod/frontend -> prod/database 5432/TCP
  egress of prod/frontend: allowed: no policy selects it (namespace profile kns.prod allows)
  ingress of prod/database: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy prod/default-deny, after tier security passed
  logged (ingress): rule 0 (Log) of GlobalNetworkPolicy audit in tier security
  assumed: source port not given: assumed the ephemeral port 32768
  pending (staged policies enforced): ALLOWED prod/frontend -> prod/database 5432/TCP
    egress of prod/frontend: allowed: no policy selects it (namespace profile kns.prod allows)
    ingress of prod/database: allowed by rule 0 (Allow) of StagedKubernetesNetworkPolicy prod/allow-fe in tier default, after tier security passed
    logged (ingress): rule 0 (Log) of GlobalNetworkPolicy audit in tier security
    assumed: source port not given: assumed the ephemeral port 32768`, v.String())

	v = evEvaluate(t, c, evTCP(t, c, "prod/web", "other/client", 80))
	assert.Equal(t, `ALLOWED prod/web -> other/client 80/TCP
  egress of prod/web: allowed: no policy selects it (namespace profile kns.prod allows)
  ingress of other/client: allowed: no policy selects it (namespace profile kns.other allows)
  pending (staged policies enforced): same`, v.String())
}

func TestExplainReason(t *testing.T) {
	assert.Equal(t, "RuleMatched", reach.RuleMatched.String())
	assert.Equal(t, "EncapsulationDropped", reach.EncapsulationDropped.String())
	assert.Equal(t, "Reason(0)", reach.Reason(0).String())
}

func TestExplainRuleRef(t *testing.T) {
	p := evIngress(evGNP("default", "p", "all()", nil), evAllow(), evDeny())
	assert.Equal(t, "rule 1 (Deny) of GlobalNetworkPolicy p in tier default", reach.RuleRef{Policy: p, Tier: &model.Tier{Name: "default"}, Rule: &p.IngressRules[1]}.String())
	copied := model.Rule{Action: model.Log, Index: 7}
	assert.Equal(t, "rule 7 (Log) of GlobalNetworkPolicy p", reach.RuleRef{Policy: p, Rule: &copied}.String())
	assert.Equal(t, "no rule", reach.RuleRef{}.String())
}
