package reach_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/selector"
)

// Helpers for building small clusters in code. They carry an "ev" prefix so
// they do not collide with the helpers of other test files of the package.

func evLabels(kv []string) map[string]string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return m
}

// evPod returns a running pod with the comma-separated addresses ips (none
// if empty) and labels given as "k=v".
func evPod(ns, name, ips string, labels ...string) *model.Pod {
	p := &model.Pod{Namespace: ns, Name: name, Labels: evLabels(labels), Phase: "Running"}
	for _, ip := range strings.Split(ips, ",") {
		if ip != "" {
			p.IPs = append(p.IPs, netip.MustParseAddr(ip))
		}
	}
	return p
}

func evSel(s string) *selector.Selector {
	sel := selector.MustParse(s)
	return &sel
}

func evOrder(f float64) *float64 { return &f }

func evNets(cidrs ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range cidrs {
		out = append(out, netip.MustParsePrefix(c).Masked())
	}
	return out
}

func evPorts(ranges ...uint16) []model.PortMatch {
	var out []model.PortMatch
	for i := 0; i+1 < len(ranges); i += 2 {
		out = append(out, model.PortMatch{Range: model.PortRange{Min: ranges[i], Max: ranges[i+1]}})
	}
	return out
}

// evKNP returns a Kubernetes NetworkPolicy in ns selecting pods matching
// podSel ("" for all pods of ns), as model converts it: tier default, order
// 1000, the orchestrator and namespace clauses in its selector.
func evKNP(ns, name, podSel string) *model.Policy {
	sel := "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == '" + ns + "'"
	if podSel != "" {
		sel += " && (" + podSel + ")"
	}
	return &model.Policy{
		Kind: model.KubernetesNetworkPolicy, Namespace: ns, Name: name, Tier: model.DefaultTier,
		Order: evOrder(1000), SortKey: ns + "/knp.default." + name, Selector: selector.MustParse(sel),
	}
}

// evGNP returns a GlobalNetworkPolicy in tier selecting sel.
func evGNP(tier, name, sel string, order *float64) *model.Policy {
	return &model.Policy{
		Kind: model.GlobalNetworkPolicy, Name: name, Tier: tier, Order: order,
		SortKey: tier + "." + name, Selector: selector.MustParse(sel),
	}
}

func evIngress(p *model.Policy, rules ...model.Rule) *model.Policy {
	p.Ingress, p.IngressRules = true, rules
	return p
}

func evEgress(p *model.Policy, rules ...model.Rule) *model.Policy {
	p.Egress, p.EgressRules = true, rules
	return p
}

// evStaged makes p the staged kind of its kind, with its v1 sort key.
func evStaged(p *model.Policy, action string) *model.Policy {
	p.Staged, p.StagedAction = true, action
	switch p.Kind {
	case model.KubernetesNetworkPolicy:
		p.Kind, p.SortKey = model.StagedKubernetesNetworkPolicy, p.Namespace+"/staged:knp.default."+p.Name
	case model.GlobalNetworkPolicy:
		p.Kind, p.SortKey = model.StagedGlobalNetworkPolicy, "staged:"+p.SortKey
	}
	return p
}

func evTier(name string, order *float64, def model.Action) *model.Tier {
	return &model.Tier{Name: name, Order: order, DefaultAction: def}
}

func evAllow() model.Rule { return model.Rule{Action: model.Allow} }
func evDeny() model.Rule  { return model.Rule{Action: model.Deny} }
func evPass() model.Rule  { return model.Rule{Action: model.Pass} }
func evLog() model.Rule   { return model.Rule{Action: model.Log} }

// evBase returns fresh objects of a small cluster: namespace prod with
// frontend, database (named port pg) and web; other/client; a host-network
// pod; a finished pod; a dual-stack and an IPv6-only pod; two host endpoints.
func evBase() model.Objects {
	db := evPod("prod", "database", "10.0.0.2", "app=db")
	db.NamedPorts = []model.NamedPort{{Name: "pg", Protocol: model.TCP, Port: 5432}}
	hostnet := evPod("kube-system", "agent", "192.168.0.10", "app=agent")
	hostnet.HostNetwork = true
	done := evPod("prod", "done", "", "app=db")
	done.Phase = "Succeeded"
	return model.Objects{
		Namespaces: []*model.Namespace{{Name: "prod", Labels: map[string]string{"env": "prod"}}},
		Pods: []*model.Pod{
			evPod("prod", "frontend", "10.0.0.1", "app=fe"),
			db,
			evPod("prod", "web", "10.0.0.3", "app=web"),
			evPod("prod", "dual", "fd00::4,10.0.0.4", "app=dual"),
			evPod("prod", "v6only", "fd00::5", "app=v6"),
			evPod("prod", "dual2", "fd00::6,10.0.0.6", "app=dual"),
			evPod("other", "client", "10.0.1.1", "app=client"),
			hostnet,
			done,
		},
		HostEndpoints: []*model.HostEndpoint{
			{Name: "node1-eth0", Node: "node1", ExpectedIPs: []netip.Addr{netip.MustParseAddr("192.168.0.1")}, Labels: map[string]string{"role": "node"}},
			{Name: "node2-eth0", Node: "node2", ExpectedIPs: []netip.Addr{netip.MustParseAddr("192.168.0.2")}, Labels: map[string]string{"role": "node"},
				Profiles: []string{"projectcalico-default-allow"}},
		},
	}
}

func evBuild(t testing.TB, objs model.Objects) *model.Cluster {
	t.Helper()
	c, err := model.Build(objs, model.Options{})
	require.NoError(t, err)
	return c
}

// evPeer finds "ns/name" among the pods, "host/name" among the host
// endpoints, or parses an address.
func evPeer(t testing.TB, c *model.Cluster, s string) reach.Peer {
	t.Helper()
	if name, ok := strings.CutPrefix(s, "host/"); ok {
		i := slices.IndexFunc(c.HostEndpoints, func(h *model.HostEndpoint) bool { return h.Name == name })
		require.GreaterOrEqual(t, i, 0, "no host endpoint %q", name)
		return reach.Peer{Host: c.HostEndpoints[i]}
	}
	if strings.Contains(s, "/") {
		i := slices.IndexFunc(c.Pods, func(p *model.Pod) bool { return p.ID() == s })
		require.GreaterOrEqual(t, i, 0, "no pod %q", s)
		return reach.Peer{Pod: c.Pods[i]}
	}
	return reach.Peer{IP: netip.MustParseAddr(s)}
}

func evTCP(t testing.TB, c *model.Cluster, src, dst string, port uint16) reach.Flow {
	return reach.Flow{Src: evPeer(t, c, src), Dst: evPeer(t, c, dst), Protocol: model.TCP, Port: port}
}

func evEvaluate(t testing.TB, c *model.Cluster, f reach.Flow) reach.Verdict {
	t.Helper()
	v, err := reach.Evaluate(c, f)
	require.NoError(t, err)
	return v
}

func policyName(p *model.Policy) string {
	if p == nil {
		return ""
	}
	return p.Name
}

// TestEvaluatePolicies checks the per-direction algorithm of semantics §1.2,
// §1.4, §1.5 and §1.8 on flows from prod/frontend to prod/database.
func TestEvaluatePolicies(t *testing.T) {
	tests := []struct {
		name     string
		tiers    []*model.Tier
		policies []*model.Policy
		src, dst string
		port     uint16

		allowed         bool
		egress, ingress reach.Reason
		// egressBy and ingressBy name the policy that decided, if any.
		egressBy, ingressBy string
		// passed are the tiers the ingress side passed through.
		passed []string
		// logged counts the Log rules the ingress side matched.
		logged int
	}{
		{
			name:    "no policy: namespace profile allows both sides",
			allowed: true, egress: reach.NoPolicy, ingress: reach.NoPolicy,
		},
		{
			name:     "default deny isolates ingress",
			policies: []*model.Policy{evIngress(evKNP("prod", "default-deny", ""))},
			allowed:  false, egress: reach.NoPolicy, ingress: reach.TierDefault, ingressBy: "default-deny",
		},
		{
			name: "allow rule decides",
			policies: []*model.Policy{
				evIngress(evKNP("prod", "default-deny", "")),
				evIngress(evKNP("prod", "allow-fe", "app == 'db'"), model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'fe'")}}),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "allow-fe",
		},
		{
			name: "allow rule of another source does not match",
			policies: []*model.Policy{
				evIngress(evKNP("prod", "allow-web", "app == 'db'"), model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'web'")}}),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.TierDefault, ingressBy: "allow-web",
		},
		{
			name: "deny rule is final within a policy",
			policies: []*model.Policy{
				evIngress(evGNP("default", "deny-then-allow", "app == 'db'", evOrder(10)), evDeny(), evAllow()),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "deny-then-allow",
		},
		{
			name: "allow is final: later policies do not run",
			policies: []*model.Policy{
				evIngress(evGNP("default", "allow", "app == 'db'", evOrder(10)), evAllow()),
				evIngress(evGNP("default", "deny", "app == 'db'", evOrder(20)), evDeny()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "allow",
		},
		{
			name: "lower order first",
			policies: []*model.Policy{
				evIngress(evGNP("default", "allow", "app == 'db'", evOrder(200)), evAllow()),
				evIngress(evGNP("default", "deny", "app == 'db'", evOrder(100)), evDeny()),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "deny",
		},
		{
			name: "nil order runs after every numbered policy",
			policies: []*model.Policy{
				evIngress(evGNP("default", "a-deny", "app == 'db'", nil), evDeny()),
				evIngress(evGNP("default", "z-allow", "app == 'db'", evOrder(5000)), evAllow()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "z-allow",
		},
		{
			name: "equal order: SortKey breaks the tie",
			policies: []*model.Policy{
				evIngress(evGNP("default", "b-allow", "app == 'db'", evOrder(5)), evAllow()),
				evIngress(evGNP("default", "a-deny", "app == 'db'", evOrder(5)), evDeny()),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "a-deny",
		},
		{
			name: "both nil order: SortKey breaks the tie",
			policies: []*model.Policy{
				evIngress(evGNP("default", "b-deny", "app == 'db'", nil), evDeny()),
				evIngress(evGNP("default", "a-allow", "app == 'db'", nil), evAllow()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "a-allow",
		},
		{
			name:  "lower tier order first",
			tiers: []*model.Tier{evTier("security", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("default", "allow", "app == 'db'", evOrder(1)), evAllow()),
				evIngress(evGNP("security", "deny", "app == 'db'", evOrder(1)), evDeny()),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "deny",
		},
		{
			name:  "nil tier order runs after the default tier",
			tiers: []*model.Tier{evTier("late", nil, model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("default", "allow", "app == 'db'", evOrder(1)), evAllow()),
				evIngress(evGNP("late", "deny", "app == 'db'", evOrder(1)), evDeny()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "allow",
		},
		{
			name:  "equal tier order: name breaks the tie",
			tiers: []*model.Tier{evTier("beta", evOrder(100), model.Deny), evTier("alpha", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("beta", "allow", "app == 'db'", evOrder(1)), evAllow()),
				evIngress(evGNP("alpha", "deny", "app == 'db'", evOrder(1)), evDeny()),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "deny",
		},
		{
			name:  "both nil tier orders: name breaks the tie",
			tiers: []*model.Tier{evTier("zeta", nil, model.Deny), evTier("eta", nil, model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("zeta", "deny", "app == 'db'", evOrder(1)), evDeny()),
				evIngress(evGNP("eta", "allow", "app == 'db'", evOrder(1)), evAllow()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "allow",
		},
		{
			name:  "pass goes to the next applicable tier",
			tiers: []*model.Tier{evTier("security", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("security", "pass", "app == 'db'", evOrder(1)), evPass()),
				evIngress(evKNP("prod", "default-deny", "")),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.TierDefault, ingressBy: "default-deny",
			passed: []string{"security"},
		},
		{
			name:  "pass skips the rest of its tier, rules and policies",
			tiers: []*model.Tier{evTier("security", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("security", "pass", "app == 'db'", evOrder(1)), evPass(), evDeny()),
				evIngress(evGNP("security", "deny", "app == 'db'", evOrder(2)), evDeny()),
				evIngress(evGNP("default", "allow", "app == 'db'", evOrder(1)), evAllow()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "allow",
			passed: []string{"security"},
		},
		{
			name:  "pass from the last applicable tier reaches the profiles",
			tiers: []*model.Tier{evTier("security", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("security", "pass", "app == 'db'", evOrder(1)), evPass()),
				evIngress(evKNP("prod", "web-only", "app == 'web'")), // default tier does not select database
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.PassedToProfiles,
			passed: []string{"security"},
		},
		{
			name: "log is recorded and evaluation continues with the next rule",
			policies: []*model.Policy{
				evIngress(evGNP("default", "log-then-deny", "app == 'db'", evOrder(1)), evLog(), evLog(), evDeny()),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "log-then-deny",
			logged: 2,
		},
		{
			name: "a policy whose rules do not match takes no action: the next policy runs",
			policies: []*model.Policy{
				evIngress(evGNP("default", "web-only", "app == 'db'", evOrder(1)), model.Rule{Action: model.Deny, Source: model.EntityMatch{Selector: evSel("app == 'web'")}}),
				evIngress(evGNP("default", "allow", "app == 'db'", evOrder(2)), evAllow()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.RuleMatched, ingressBy: "allow",
		},
		{
			name:  "tier default Pass continues to the next tier",
			tiers: []*model.Tier{evTier("platform", evOrder(100), model.Pass)},
			policies: []*model.Policy{
				evIngress(evGNP("platform", "nothing", "app == 'db'", evOrder(1))),
				evIngress(evKNP("prod", "default-deny", "")),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.TierDefault, ingressBy: "default-deny",
			passed: []string{"platform"},
		},
		{
			name:  "tier default Deny drops",
			tiers: []*model.Tier{evTier("platform", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("platform", "nothing", "app == 'db'", evOrder(1))),
			},
			allowed: false, egress: reach.NoPolicy, ingress: reach.TierDefault, ingressBy: "nothing",
		},
		{
			name:  "tier default Pass on the last tier reaches the profiles",
			tiers: []*model.Tier{evTier("platform", evOrder(100), model.Pass)},
			policies: []*model.Policy{
				evIngress(evGNP("platform", "nothing", "app == 'db'", evOrder(1))),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.PassedToProfiles,
			passed: []string{"platform"},
		},
		{
			name:  "a tier selecting nothing is skipped, default action included",
			tiers: []*model.Tier{evTier("security", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evIngress(evGNP("security", "web-only", "app == 'web'", evOrder(1)), evAllow()),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.NoPolicy,
		},
		{
			name: "egress-only policy does not isolate ingress",
			policies: []*model.Policy{
				evEgress(evKNP("prod", "egress-deny", "app == 'db'")),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.NoPolicy,
		},
		{
			name: "ingress rules of a policy that does not govern ingress are ignored",
			policies: []*model.Policy{
				func() *model.Policy {
					p := evEgress(evKNP("prod", "egress-only", "app == 'db'"))
					p.IngressRules = []model.Rule{evDeny()}
					return p
				}(),
			},
			allowed: true, egress: reach.NoPolicy, ingress: reach.NoPolicy,
		},
		{
			name: "both sides must allow: egress denied",
			policies: []*model.Policy{
				evEgress(evKNP("prod", "fe-egress", "app == 'fe'"), model.Rule{Action: model.Allow, Destination: model.EntityMatch{Selector: evSel("app == 'web'")}}),
			},
			allowed: false, egress: reach.TierDefault, ingress: reach.NoPolicy, egressBy: "fe-egress",
		},
		{
			name: "both sides allow",
			policies: []*model.Policy{
				evEgress(evKNP("prod", "fe-egress", "app == 'fe'"), model.Rule{Action: model.Allow, Destination: model.EntityMatch{Selector: evSel("app == 'db'")}}),
				evIngress(evKNP("prod", "db-ingress", "app == 'db'"), model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'fe'")}}),
			},
			allowed: true, egress: reach.RuleMatched, ingress: reach.RuleMatched, egressBy: "fe-egress", ingressBy: "db-ingress",
		},
		{
			name:     "namespaced policy does not select pods of another namespace",
			policies: []*model.Policy{evIngress(evKNP("other", "default-deny", ""))},
			allowed:  true, egress: reach.NoPolicy, ingress: reach.NoPolicy,
		},
		{
			name:     "external source: only the destination's ingress applies",
			src:      "203.0.113.9",
			policies: []*model.Policy{evIngress(evKNP("prod", "default-deny", ""))},
			allowed:  false, egress: reach.NotEndpoint, ingress: reach.TierDefault, ingressBy: "default-deny",
		},
		{
			name: "external destination: only the source's egress applies",
			dst:  "203.0.113.9",
			policies: []*model.Policy{
				evEgress(evKNP("prod", "allow-out", "app == 'fe'"), model.Rule{Action: model.Allow, Destination: model.EntityMatch{Nets: evNets("203.0.113.0/24")}}),
			},
			allowed: true, egress: reach.RuleMatched, ingress: reach.NotEndpoint, egressBy: "allow-out",
		},
		{
			name:     "host-network source is not an endpoint",
			src:      "kube-system/agent",
			policies: []*model.Policy{evIngress(evGNP("default", "deny-all", "all()", nil))},
			allowed:  false, egress: reach.NotEndpoint, ingress: reach.TierDefault, ingressBy: "deny-all",
		},
		{
			name:     "host-network destination is not an endpoint",
			dst:      "kube-system/agent",
			policies: []*model.Policy{evIngress(evGNP("default", "deny-all", "all()", nil))},
			allowed:  true, egress: reach.NoPolicy, ingress: reach.NotEndpoint,
		},
		{
			name: "preDNAT and doNotTrack policies never apply to pods",
			policies: []*model.Policy{func() *model.Policy {
				p := evIngress(evGNP("default", "untracked", "all()", nil), evDeny())
				p.HostOnly = true
				return p
			}()},
			allowed: true, egress: reach.NoPolicy, ingress: reach.NoPolicy,
		},
		{
			name:     "self traffic is allowed whatever the policy",
			src:      "prod/database",
			policies: []*model.Policy{evIngress(evGNP("default", "deny-all", "all()", nil), evDeny()), evEgress(evGNP("default", "deny-out", "all()", nil), evDeny())},
			allowed:  true, egress: reach.SelfTraffic, ingress: reach.SelfTraffic,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := evBase()
			objs.Tiers = tc.tiers
			objs.Policies = tc.policies
			c := evBuild(t, objs)
			src, dst := cmpOr(tc.src, "prod/frontend"), cmpOr(tc.dst, "prod/database")
			v := evEvaluate(t, c, evTCP(t, c, src, dst, cmpOr(tc.port, 5432)))
			assert.Equal(t, tc.allowed, v.Allowed, "%s", v)
			assert.Equal(t, tc.egress, v.Egress.Reason, "egress: %s", v.Egress)
			assert.Equal(t, tc.ingress, v.Ingress.Reason, "ingress: %s", v.Ingress)
			assert.Equal(t, tc.egressBy, policyName(v.Egress.Policy), "egress: %s", v.Egress)
			assert.Equal(t, tc.ingressBy, policyName(v.Ingress.Policy), "ingress: %s", v.Ingress)
			assert.Equal(t, tc.passed, v.Ingress.Passed, "ingress: %s", v.Ingress)
			assert.Len(t, v.Ingress.Logged, tc.logged)
			assert.Nil(t, v.Pending, "no staged policy: no pending verdict")
		})
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// TestEvaluateFollowsGivenOrder checks that Evaluate walks c.Tiers and each
// tier's policies in the order of the slices, whatever their Order fields:
// sorting is model.Build's job.
func TestEvaluateFollowsGivenOrder(t *testing.T) {
	objs := evBase()
	objs.Tiers = []*model.Tier{evTier("first", evOrder(1), model.Deny), evTier("second", evOrder(2), model.Deny)}
	objs.Policies = []*model.Policy{
		evIngress(evGNP("first", "first-allow", "app == 'db'", evOrder(1)), evAllow()),
		evIngress(evGNP("second", "second-deny", "app == 'db'", evOrder(1)), evDeny()),
		evIngress(evGNP("default", "default-allow", "app == 'db'", evOrder(1)), evAllow()),
		evIngress(evGNP("default", "default-deny", "app == 'db'", evOrder(2)), evDeny()),
	}
	c := evBuild(t, objs)
	f := evTCP(t, c, "prod/frontend", "prod/database", 5432)

	v := evEvaluate(t, c, f)
	require.True(t, v.Allowed)
	assert.Equal(t, "first-allow", v.Ingress.Policy.Name)

	// Put tier "second" first.
	i := slices.IndexFunc(c.Tiers, func(t *model.Tier) bool { return t.Name == "second" })
	second := c.Tiers[i]
	c.Tiers = append([]*model.Tier{second}, slices.Delete(slices.Clone(c.Tiers), i, i+1)...)
	v = evEvaluate(t, c, f)
	require.False(t, v.Allowed)
	assert.Equal(t, "second-deny", v.Ingress.Policy.Name)

	// Drop the first two tiers and reverse the default tier's policies.
	c.Tiers = slices.DeleteFunc(c.Tiers, func(t *model.Tier) bool { return t.Name == "first" || t.Name == "second" })
	i = slices.IndexFunc(c.Tiers, func(t *model.Tier) bool { return t.Name == model.DefaultTier })
	slices.Reverse(c.Tiers[i].Policies)
	v = evEvaluate(t, c, f)
	require.False(t, v.Allowed)
	assert.Equal(t, "default-deny", v.Ingress.Policy.Name)
}

// TestEvaluateTierDefaultKeepsSelecting checks that a tier's default action
// reports every policy that selected the endpoint, in order.
func TestEvaluateTierDefaultKeepsSelecting(t *testing.T) {
	objs := evBase()
	objs.Policies = []*model.Policy{
		evIngress(evKNP("prod", "b-web", "app == 'db'"), model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'web'")}}),
		evIngress(evKNP("prod", "a-client", "app == 'db'"), model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'client'")}}),
		evIngress(evKNP("prod", "c-fe-only", "app == 'fe'")),
		evEgress(evKNP("prod", "d-egress", "app == 'db'")),
	}
	c := evBuild(t, objs)
	v := evEvaluate(t, c, evTCP(t, c, "prod/frontend", "prod/database", 5432))
	require.Equal(t, reach.TierDefault, v.Ingress.Reason)
	var names []string
	for _, p := range v.Ingress.Selecting {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"a-client", "b-web"}, names)
	assert.Equal(t, model.DefaultTier, v.Ingress.Tier.Name)
	assert.Equal(t, "a-client", v.Ingress.Policy.Name)
	assert.Nil(t, v.Ingress.Rule)
}

// TestEvaluateUnknownDefaultActionDenies checks that a tier whose default
// action is neither Pass nor Deny denies (semantics §1.4).
func TestEvaluateUnknownDefaultActionDenies(t *testing.T) {
	objs := evBase()
	objs.Tiers = []*model.Tier{{Name: "odd", Order: evOrder(5)}}
	objs.Policies = []*model.Policy{evIngress(evGNP("odd", "nothing", "app == 'db'", nil))}
	c := evBuild(t, objs)
	v := evEvaluate(t, c, evTCP(t, c, "prod/frontend", "prod/database", 5432))
	assert.False(t, v.Allowed)
	assert.Equal(t, reach.TierDefault, v.Ingress.Reason)
}

func TestEvaluateStaged(t *testing.T) {
	allowFE := func() model.Rule {
		return model.Rule{Action: model.Allow, Source: model.EntityMatch{Selector: evSel("app == 'fe'")}}
	}
	tests := []struct {
		name     string
		tiers    []*model.Tier
		policies []*model.Policy
		allowed  bool
		// pending is nil when no pending verdict is expected.
		pending *bool
		reason  reach.Reason
	}{
		{
			name:     "staged deny is ignored for enforced, applied in pending",
			policies: []*model.Policy{evStaged(evIngress(evKNP("prod", "deny", "")), "Set")},
			allowed:  true, pending: ptr(false), reason: reach.NoPolicy,
		},
		{
			name:     "stagedAction empty counts as Set",
			policies: []*model.Policy{evStaged(evIngress(evKNP("prod", "deny", "")), "")},
			allowed:  true, pending: ptr(false), reason: reach.NoPolicy,
		},
		{
			name:     "staged Learn counts as enforced in pending",
			policies: []*model.Policy{evStaged(evIngress(evKNP("prod", "deny", "")), "Learn")},
			allowed:  true, pending: ptr(false), reason: reach.NoPolicy,
		},
		{
			name:     "staged Ignore counts as enforced in pending",
			policies: []*model.Policy{evStaged(evIngress(evKNP("prod", "deny", "")), "Ignore")},
			allowed:  true, pending: ptr(false), reason: reach.NoPolicy,
		},
		{
			name:     "staged Delete is ignored in both verdicts",
			policies: []*model.Policy{evStaged(evIngress(evKNP("prod", "deny", "")), "Delete")},
			allowed:  true, pending: nil, reason: reach.NoPolicy,
		},
		{
			name: "staged Delete does not hide the enforced policy",
			policies: []*model.Policy{
				evIngress(evKNP("prod", "deny", "")),
				evStaged(evIngress(evKNP("prod", "deny", "")), "Delete"),
				evStaged(evIngress(evKNP("prod", "other", "app == 'web'")), "Set"),
			},
			allowed: false, pending: ptr(false), reason: reach.TierDefault,
		},
		{
			name: "staged Delete is ignored in pending too",
			policies: []*model.Policy{
				evStaged(evIngress(evKNP("prod", "deny", "")), "Delete"),
				evStaged(evIngress(evKNP("prod", "other", "app == 'web'")), "Set"),
			},
			allowed: true, pending: ptr(true), reason: reach.NoPolicy,
		},
		{
			name: "staged allow sits at its sorted place in pending",
			policies: []*model.Policy{
				evIngress(evKNP("prod", "deny", "")),
				evStaged(evIngress(evKNP("prod", "allow-fe", "app == 'db'"), allowFE()), "Set"),
			},
			allowed: false, pending: ptr(true), reason: reach.TierDefault,
		},
		{
			name:  "a tier with only staged policies is skipped for enforced, default action included",
			tiers: []*model.Tier{evTier("security", evOrder(100), model.Deny)},
			policies: []*model.Policy{
				evStaged(evIngress(evGNP("security", "nothing", "app == 'db'", nil)), "Set"),
			},
			allowed: true, pending: ptr(false), reason: reach.NoPolicy,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := evBase()
			objs.Tiers = tc.tiers
			objs.Policies = tc.policies
			c := evBuild(t, objs)
			v := evEvaluate(t, c, evTCP(t, c, "prod/frontend", "prod/database", 5432))
			assert.Equal(t, tc.allowed, v.Allowed, "%s", v)
			assert.Equal(t, tc.reason, v.Ingress.Reason)
			if tc.pending == nil {
				assert.Nil(t, v.Pending)
				return
			}
			require.NotNil(t, v.Pending)
			assert.Equal(t, *tc.pending, v.Pending.Allowed, "%s", v)
			assert.Nil(t, v.Pending.Pending)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestEvaluateHostEndpoints(t *testing.T) {
	tests := []struct {
		name     string
		profiles []*model.Profile
		hep      *model.HostEndpoint
		policies []*model.Policy
		flow     func(c *model.Cluster) reach.Flow // default: TCP 22 from 203.0.113.9 to the host endpoint
		allowed  bool
		reason   reach.Reason
		profile  string
		assumed  string
	}{
		{
			name:    "no profiles: deny",
			hep:     &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1")},
			allowed: false, reason: reach.NoPolicy,
		},
		{
			name:    "built-in default-allow profile",
			hep:     &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"projectcalico-default-allow"}},
			allowed: true, reason: reach.NoPolicy, profile: "projectcalico-default-allow",
		},
		{
			name: "profile rules in order: first Allow or Deny decides",
			profiles: []*model.Profile{{Name: "ssh", Ingress: []model.Rule{
				{Action: model.Deny, Source: model.EntityMatch{Nets: evNets("203.0.113.128/25")}},
				{Action: model.Allow, Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(22, 22)}},
			}}},
			hep:     &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"ssh"}},
			allowed: true, reason: reach.NoPolicy, profile: "ssh",
		},
		{
			name: "profile deny rule",
			profiles: []*model.Profile{{Name: "no-ssh", Ingress: []model.Rule{
				{Action: model.Deny, Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(22, 22)}},
				evAllow(),
			}}},
			hep:     &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"no-ssh", "projectcalico-default-allow"}},
			allowed: false, reason: reach.NoPolicy, profile: "no-ssh",
		},
		{
			name: "no profile rule matches: deny",
			profiles: []*model.Profile{{Name: "web", Ingress: []model.Rule{
				{Action: model.Allow, Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(443, 443)}},
			}}},
			hep:     &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"web"}},
			allowed: false, reason: reach.NoPolicy,
		},
		{
			name:     "profile rules of the other direction do not apply",
			profiles: []*model.Profile{{Name: "out", Egress: []model.Rule{evAllow()}}},
			hep:      &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"out"}},
			allowed:  false, reason: reach.NoPolicy,
		},
		{
			name: "pass in a profile ends it; the next profile runs",
			profiles: []*model.Profile{
				{Name: "a-pass", Ingress: []model.Rule{evPass(), evDeny()}},
				{Name: "b-allow", Ingress: []model.Rule{evAllow()}},
			},
			hep:     &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"a-pass", "b-allow"}},
			allowed: true, reason: reach.NoPolicy, profile: "b-allow",
		},
		{
			name:    "missing profile is skipped with an assumption",
			hep:     &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"gone", "projectcalico-default-allow"}},
			allowed: true, reason: reach.NoPolicy, profile: "projectcalico-default-allow",
			assumed: `profile "gone" of host endpoint "h" does not exist; skipped`,
		},
		{
			name:     "a global policy selects the host endpoint",
			hep:      &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Labels: map[string]string{"role": "gw"}, Profiles: []string{"projectcalico-default-allow"}},
			policies: []*model.Policy{evIngress(evGNP("default", "gw", "role == 'gw'", nil), model.Rule{Action: model.Allow, Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(443, 443)}})},
			allowed:  false, reason: reach.TierDefault,
		},
		{
			name:     "tier passes to the host endpoint's profiles",
			hep:      &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Labels: map[string]string{"role": "gw"}, Profiles: []string{"projectcalico-default-allow"}},
			policies: []*model.Policy{evIngress(evGNP("default", "gw", "role == 'gw'", nil), evPass())},
			allowed:  true, reason: reach.PassedToProfiles, profile: "projectcalico-default-allow",
		},
		{
			name:     "a Kubernetes policy never selects a host endpoint",
			hep:      &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"projectcalico-default-allow"}},
			policies: []*model.Policy{evIngress(evKNP("prod", "deny", ""))},
			allowed:  true, reason: reach.NoPolicy, profile: "projectcalico-default-allow",
		},
		{
			name: "a preDNAT or doNotTrack policy applies to host endpoints, with an assumption",
			hep:  &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1"), Profiles: []string{"projectcalico-default-allow"}},
			policies: []*model.Policy{func() *model.Policy {
				p := evIngress(evGNP("default", "untracked", "all()", nil), evDeny())
				p.HostOnly = true
				return p
			}()},
			allowed: false, reason: reach.RuleMatched,
			assumed: "GlobalNetworkPolicy untracked is preDNAT or doNotTrack: reach evaluates it in order with the normal policies of host/h",
		},
		{
			name: "egress of a host endpoint to a pod",
			hep:  &model.HostEndpoint{Name: "h", ExpectedIPs: evAddrs("192.168.1.1")},
			flow: func(c *model.Cluster) reach.Flow {
				return reach.Flow{Src: evPeer(t, c, "host/h"), Dst: evPeer(t, c, "prod/web"), Protocol: model.TCP, Port: 80}
			},
			allowed: false, reason: reach.NoPolicy,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := evBase()
			objs.Profiles = tc.profiles
			objs.HostEndpoints = append(objs.HostEndpoints, tc.hep)
			objs.Policies = tc.policies
			c := evBuild(t, objs)
			f := reach.Flow{Src: evPeer(t, c, "203.0.113.9"), Dst: evPeer(t, c, "host/h"), Protocol: model.TCP, Port: 22}
			if tc.flow != nil {
				f = tc.flow(c)
			}
			v := evEvaluate(t, c, f)
			assert.Equal(t, tc.allowed, v.Allowed, "%s", v)
			side := v.Ingress
			if f.Src.Host != nil {
				side = v.Egress
			}
			assert.Equal(t, tc.reason, side.Reason, "%s", side)
			assert.Equal(t, "host/h", side.Endpoint)
			if tc.profile == "" {
				assert.Nil(t, side.Profile, "%s", side)
			} else if assert.NotNil(t, side.Profile, "%s", side) {
				assert.Equal(t, tc.profile, side.Profile.Name)
			}
			if tc.assumed != "" {
				assert.Contains(t, v.Assumptions, tc.assumed)
			}
		})
	}
}

func evAddrs(ips ...string) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		out = append(out, netip.MustParseAddr(ip))
	}
	return out
}

// TestEvaluatePodProfile checks that a pod's profile is its namespace's
// kns profile, which allows.
func TestEvaluatePodProfile(t *testing.T) {
	c := evBuild(t, evBase())
	v := evEvaluate(t, c, evTCP(t, c, "other/client", "prod/web", 80))
	require.True(t, v.Allowed)
	require.NotNil(t, v.Egress.Profile)
	require.NotNil(t, v.Ingress.Profile)
	assert.Equal(t, "kns.other", v.Egress.Profile.Name)
	assert.Equal(t, "kns.prod", v.Ingress.Profile.Name)
}

func TestEvaluateAddresses(t *testing.T) {
	c := evBuild(t, evBase())
	tests := []struct {
		name     string
		src, dst reach.Peer
		srcIP    string
		dstIP    string
	}{
		{name: "IPv4 pods", src: evPeer(t, c, "prod/frontend"), dst: evPeer(t, c, "prod/web"), srcIP: "10.0.0.1", dstIP: "10.0.0.3"},
		{name: "dual-stack prefers IPv4", src: evPeer(t, c, "prod/dual"), dst: evPeer(t, c, "prod/web"), srcIP: "10.0.0.4", dstIP: "10.0.0.3"},
		{name: "dual-stack to dual-stack prefers IPv4", src: evPeer(t, c, "prod/dual"), dst: evPeer(t, c, "prod/dual2"), srcIP: "10.0.0.4", dstIP: "10.0.0.6"},
		{name: "dual-stack to IPv6-only uses IPv6", src: evPeer(t, c, "prod/dual"), dst: evPeer(t, c, "prod/v6only"), srcIP: "fd00::4", dstIP: "fd00::5"},
		{name: "dual-stack to an IPv6 address", src: evPeer(t, c, "prod/dual"), dst: evPeer(t, c, "2001:db8::1"), srcIP: "fd00::4", dstIP: "2001:db8::1"},
		{name: "pod with a chosen address", src: reach.Peer{Pod: evPeer(t, c, "prod/dual").Pod, IP: netip.MustParseAddr("fd00::4")}, dst: evPeer(t, c, "prod/dual"), srcIP: "fd00::4", dstIP: "fd00::4"},
		{name: "host endpoint", src: evPeer(t, c, "host/node1-eth0"), dst: evPeer(t, c, "prod/web"), srcIP: "192.168.0.1", dstIP: "10.0.0.3"},
		{name: "host-network pod uses its address", src: evPeer(t, c, "kube-system/agent"), dst: evPeer(t, c, "prod/web"), srcIP: "192.168.0.10", dstIP: "10.0.0.3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := evEvaluate(t, c, reach.Flow{Src: tc.src, Dst: tc.dst, Protocol: model.TCP, Port: 80})
			assert.Equal(t, tc.srcIP, v.Flow.Src.IP.String())
			assert.Equal(t, tc.dstIP, v.Flow.Dst.IP.String())
			assert.Equal(t, tc.src.Pod, v.Flow.Src.Pod)
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	c := evBuild(t, evBase())
	web := evPeer(t, c, "prod/web")
	hostnet := evPeer(t, c, "kube-system/agent")
	hostnet.Pod.IPs = nil
	tests := []struct {
		name    string
		c       *model.Cluster
		flow    reach.Flow
		wantErr string
	}{
		{name: "nil cluster", flow: reach.Flow{Src: web, Dst: web, Protocol: model.TCP}, wantErr: "nil cluster"},
		{name: "no protocol", c: c, flow: reach.Flow{Src: web, Dst: evPeer(t, c, "prod/frontend")}, wantErr: "no protocol"},
		{name: "nil source", c: c, flow: reach.Flow{Dst: web, Protocol: model.TCP}, wantErr: "source: peer has no pod, host endpoint or address"},
		{name: "nil destination", c: c, flow: reach.Flow{Src: web, Protocol: model.TCP}, wantErr: "destination: peer has no pod, host endpoint or address"},
		{name: "finished pod", c: c, flow: reach.Flow{Src: web, Dst: evPeer(t, c, "prod/done"), Protocol: model.TCP}, wantErr: "pod prod/done has finished"},
		{name: "host-network pod without address", c: c, flow: reach.Flow{Src: hostnet, Dst: web, Protocol: model.TCP}, wantErr: "host-network pod kube-system/agent has no address"},
		{name: "IPv4-only to IPv6-only", c: c, flow: reach.Flow{Src: web, Dst: evPeer(t, c, "prod/v6only"), Protocol: model.TCP}, wantErr: "no IP family in common: source has IPv4 only, destination has IPv6 only"},
		{name: "IPv4 pod to IPv6 address", c: c, flow: reach.Flow{Src: web, Dst: evPeer(t, c, "2001:db8::1"), Protocol: model.TCP}, wantErr: "no IP family in common"},
		{name: "address not the pod's", c: c, flow: reach.Flow{Src: reach.Peer{Pod: web.Pod, IP: netip.MustParseAddr("10.9.9.9")}, Dst: web, Protocol: model.TCP}, wantErr: "10.9.9.9 is not an address of prod/web"},
		{name: "pod and host endpoint", c: c, flow: reach.Flow{Src: reach.Peer{Pod: web.Pod, Host: c.HostEndpoints[0]}, Dst: web, Protocol: model.TCP}, wantErr: "peer is both pod prod/web and host endpoint"},
		{name: "host endpoint without addresses", c: c, flow: reach.Flow{Src: reach.Peer{Host: &model.HostEndpoint{Name: "bare"}}, Dst: web, Protocol: model.TCP}, wantErr: `host endpoint "bare" has no expectedIPs`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := reach.Evaluate(tc.c, tc.flow)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// TestEvaluateEncapsulation checks that a workload's VXLAN and IP-in-IP
// packets are dropped before policy (semantics §1.1).
func TestEvaluateEncapsulation(t *testing.T) {
	c := evBuild(t, evBase())
	tests := []struct {
		name     string
		src, dst string
		proto    model.Protocol
		port     uint16
		allowed  bool
		egress   reach.Reason
	}{
		{name: "VXLAN from a workload", src: "prod/frontend", dst: "prod/web", proto: model.UDP, port: 4789, egress: reach.EncapsulationDropped},
		{name: "IP-in-IP from a workload", src: "prod/frontend", dst: "192.168.0.1", proto: 4, egress: reach.EncapsulationDropped},
		{name: "UDP to another port", src: "prod/frontend", dst: "prod/web", proto: model.UDP, port: 4790, allowed: true, egress: reach.NoPolicy},
		{name: "TCP to 4789", src: "prod/frontend", dst: "prod/web", proto: model.TCP, port: 4789, allowed: true, egress: reach.NoPolicy},
		{name: "VXLAN into a workload from outside", src: "203.0.113.9", dst: "prod/web", proto: model.UDP, port: 4789, allowed: true, egress: reach.NotEndpoint},
		{name: "VXLAN from a host-network pod", src: "kube-system/agent", dst: "prod/web", proto: model.UDP, port: 4789, allowed: true, egress: reach.NotEndpoint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := evEvaluate(t, c, reach.Flow{Src: evPeer(t, c, tc.src), Dst: evPeer(t, c, tc.dst), Protocol: tc.proto, Port: tc.port})
			assert.Equal(t, tc.allowed, v.Allowed, "%s", v)
			assert.Equal(t, tc.egress, v.Egress.Reason)
		})
	}
}

func TestEvaluateSynthesizedAddress(t *testing.T) {
	objs := evBase()
	objs.Pods = append(objs.Pods, evPod("prod", "new", "", "app=new"))
	c := evBuild(t, objs)
	v := evEvaluate(t, c, evTCP(t, c, "prod/new", "prod/new", 80))
	require.True(t, v.Self)
	require.Len(t, v.Assumptions, 1, "once per verdict")
	assert.Contains(t, v.Assumptions[0], "pod prod/new has no address in the input; reach gave it 10.244.")

	v = evEvaluate(t, c, evTCP(t, c, "prod/web", "prod/frontend", 80))
	assert.Empty(t, v.Assumptions)
}

// TestEvaluateSelf checks self traffic: same pod only.
func TestEvaluateSelf(t *testing.T) {
	objs := evBase()
	objs.Policies = []*model.Policy{evIngress(evKNP("prod", "deny", ""))}
	c := evBuild(t, objs)
	v := evEvaluate(t, c, evTCP(t, c, "prod/web", "prod/web", 80))
	assert.True(t, v.Allowed)
	assert.True(t, v.Self)
	assert.Equal(t, reach.SelfTraffic, v.Egress.Reason)
	assert.Equal(t, reach.SelfTraffic, v.Ingress.Reason)

	// The pod's own address as an IP peer is not "self": the IP is not an
	// endpoint, and the pod's ingress applies.
	v = evEvaluate(t, c, reach.Flow{Src: reach.Peer{IP: netip.MustParseAddr("10.0.0.3")}, Dst: evPeer(t, c, "prod/web"), Protocol: model.TCP, Port: 80})
	assert.False(t, v.Self)
	assert.False(t, v.Allowed)
}
