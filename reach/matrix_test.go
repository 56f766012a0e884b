package reach_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/selector"
)

// Helpers for the matrix tests carry an "mx" prefix so that they do not
// collide with the helpers of other test files of the package.

func mxPod(ns, name, ips string, labels ...string) *model.Pod {
	p := &model.Pod{Namespace: ns, Name: name, Labels: map[string]string{}, Phase: "Running"}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		p.Labels[k] = v
	}
	for _, ip := range strings.Split(ips, ",") {
		if ip != "" {
			p.IPs = append(p.IPs, netip.MustParseAddr(ip))
		}
	}
	return p
}

func mxSel(s string) *selector.Selector {
	sel := selector.MustParse(s)
	return &sel
}

func mxOrder(f float64) *float64 { return &f }

func mxTCP(ports ...uint16) []model.PortMatch {
	var out []model.PortMatch
	for _, p := range ports {
		out = append(out, model.PortMatch{Range: model.PortRange{Min: p, Max: p}})
	}
	return out
}

// mxKNP is a Kubernetes NetworkPolicy of ns as model converts it; podSel is
// Calico syntax over pod labels ("" for every pod of ns).
func mxKNP(ns, name, podSel string) *model.Policy {
	sel := "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == '" + ns + "'"
	if podSel != "" {
		sel += " && " + podSel
	}
	return &model.Policy{
		Kind: model.KubernetesNetworkPolicy, Namespace: ns, Name: name, Tier: model.DefaultTier,
		Order: mxOrder(1000), SortKey: ns + "/knp.default." + name, Selector: selector.MustParse(sel),
	}
}

func mxGNP(tier, name, sel string, order float64) *model.Policy {
	return &model.Policy{
		Kind: model.GlobalNetworkPolicy, Name: name, Tier: tier, Order: mxOrder(order),
		SortKey: tier + "." + name, Selector: selector.MustParse(sel),
	}
}

func mxIngress(p *model.Policy, rules ...model.Rule) *model.Policy {
	p.Ingress, p.IngressRules = true, rules
	return p
}

func mxEgress(p *model.Policy, rules ...model.Rule) *model.Policy {
	p.Egress, p.EgressRules = true, rules
	return p
}

// mxFrom is an Allow rule from pods of ns matching sel to TCP ports.
func mxFrom(ns, sel string, ports ...uint16) model.Rule {
	return model.Rule{
		Action: model.Allow, Protocol: model.TCP,
		Source:      model.EntityMatch{Selector: mxSel("projectcalico.org/namespace == '" + ns + "' && " + sel)},
		Destination: model.EntityMatch{Ports: mxTCP(ports...)},
	}
}

func mxMatrix(t *testing.T, objs model.Objects, opt reach.MatrixOptions) (*model.Cluster, *reach.Matrix) {
	t.Helper()
	c, err := model.Build(objs, model.Options{})
	require.NoError(t, err)
	m, err := reach.ComputeMatrix(c, opt)
	require.NoError(t, err)
	return c, m
}

// mxRow finds "ns/pod", "host/name" or an address among the rows.
func mxRow(t *testing.T, m *reach.Matrix, name string) int {
	t.Helper()
	for i, p := range m.Endpoints() {
		if p.String() == name {
			return i
		}
	}
	t.Fatalf("no row %q", name)
	return -1
}

// mxThreeTier is the classic namespace shop: frontend, backend and database
// under an ingress default-deny, with frontend -> backend:8080 and
// backend -> database:5432 allowed.
func mxThreeTier() model.Objects {
	return model.Objects{
		Pods: []*model.Pod{
			mxPod("shop", "frontend", "10.0.0.1", "app=frontend"),
			mxPod("shop", "backend", "10.0.0.2", "app=backend"),
			mxPod("shop", "database", "10.0.0.3", "app=database"),
		},
		Policies: []*model.Policy{
			mxIngress(mxKNP("shop", "default-deny", "")),
			mxIngress(mxKNP("shop", "backend", "app == 'backend'"), mxFrom("shop", "app == 'frontend'", 8080)),
			mxIngress(mxKNP("shop", "database", "app == 'database'"), mxFrom("shop", "app == 'backend'", 5432)),
		},
	}
}

type mxCell struct {
	src, dst string
	proto    model.Protocol
	port     uint16
	allowed  bool
}

func TestMatrix(t *testing.T) {
	udp4789 := "ICMP; TCP all; UDP 0-4788, 4790-65535; SCTP all"
	namedPorts := func() model.Objects {
		a := mxPod("app", "a", "10.0.0.1", "app=web")
		a.NamedPorts = []model.NamedPort{{Name: "http", Protocol: model.TCP, Port: 8080}}
		b := mxPod("app", "b", "10.0.0.2", "app=web")
		b.NamedPorts = []model.NamedPort{{Name: "http", Protocol: model.TCP, Port: 9000}, {Name: "dns", Protocol: model.UDP, Port: 53}}
		return model.Objects{
			Pods: []*model.Pod{a, b, mxPod("app", "client", "10.0.0.3", "app=client")},
			Policies: []*model.Policy{mxIngress(mxKNP("app", "web", "app == 'web'"), model.Rule{
				Action:      model.Allow,
				Destination: model.EntityMatch{Ports: []model.PortMatch{{Name: "http"}, {Name: "dns"}}},
			})},
		}
	}
	tiers := func() model.Objects {
		objs := mxThreeTier()
		objs.Tiers = []*model.Tier{{Name: "security", Order: mxOrder(100), DefaultAction: model.Deny}}
		objs.Policies = append(objs.Policies,
			// The security tier passes traffic from the shop to the default
			// tier, logs, and denies the rest of TCP 22.
			mxIngress(mxGNP("security", "ssh", "all()", 10),
				model.Rule{Action: model.Log},
				model.Rule{Action: model.Pass, Source: model.EntityMatch{Selector: mxSel("projectcalico.org/namespace == 'shop'")}},
				model.Rule{Action: model.Deny, Protocol: model.TCP, Destination: model.EntityMatch{Ports: mxTCP(22)}},
				model.Rule{Action: model.Allow},
			))
		objs.Pods = append(objs.Pods, mxPod("ops", "admin", "10.0.1.1", "app=admin"))
		return objs
	}
	tests := []struct {
		name  string
		objs  model.Objects
		opt   reach.MatrixOptions
		cells []mxCell
		ports map[[2]string]string // (src, dst) -> Ports(src, dst).String()
	}{{
		name: "three-tier default deny",
		objs: mxThreeTier(),
		cells: []mxCell{
			{"shop/frontend", "shop/backend", model.TCP, 8080, true},
			{"shop/frontend", "shop/backend", model.TCP, 8081, false},
			{"shop/frontend", "shop/database", model.TCP, 5432, false},
			{"shop/backend", "shop/database", model.TCP, 5432, true},
			{"shop/backend", "shop/database", model.UDP, 5432, false},
			{"shop/database", "shop/frontend", model.TCP, 80, false},
			{"shop/database", "shop/database", model.TCP, 1, true}, // itself
		},
		ports: map[[2]string]string{
			{"shop/frontend", "shop/backend"}:  "TCP 8080",
			{"shop/backend", "shop/database"}:  "TCP 5432",
			{"shop/frontend", "shop/database"}: "none",
			{"shop/database", "shop/frontend"}: "none",
			{"shop/backend", "shop/frontend"}:  "none",
			{"shop/frontend", "shop/frontend"}: "ICMP; TCP all; UDP all; SCTP all",
		},
	}, {
		name: "no policy: everything but VXLAN from workloads",
		objs: model.Objects{Pods: []*model.Pod{mxPod("a", "x", "10.0.0.1"), mxPod("b", "y", "10.0.0.2")}},
		cells: []mxCell{
			{"a/x", "b/y", model.UDP, 4789, false},
			{"a/x", "b/y", model.UDP, 4790, true},
			{"a/x", "b/y", model.ICMP, 0, true},
		},
		ports: map[[2]string]string{{"a/x", "b/y"}: udp4789},
	}, {
		name: "named ports resolve per destination",
		objs: namedPorts(),
		cells: []mxCell{
			{"app/client", "app/a", model.TCP, 8080, true},
			{"app/client", "app/a", model.TCP, 9000, false},
			{"app/client", "app/b", model.TCP, 9000, true},
			{"app/client", "app/b", model.UDP, 53, true},
		},
		ports: map[[2]string]string{
			{"app/client", "app/a"}: "TCP 8080",
			{"app/client", "app/b"}: "TCP 9000; UDP 53",
		},
	}, {
		name: "tiers: pass, log, deny, allow",
		objs: tiers(),
		cells: []mxCell{
			{"shop/frontend", "shop/backend", model.TCP, 8080, true},   // passed to the default tier
			{"shop/frontend", "shop/backend", model.TCP, 22, false},    // passed, then default tier denies
			{"ops/admin", "shop/backend", model.TCP, 22, false},        // security denies
			{"ops/admin", "shop/backend", model.TCP, 8080, true},       // security allows
			{"shop/frontend", "ops/admin", model.TCP, 80, true},        // passed, no default-tier policy
			{"shop/frontend", "ops/admin", model.UDP, 4789, false},     // VXLAN
			{"shop/backend", "shop/frontend", model.SCTP, 80, false},   // passed, default deny
			{"ops/admin", "shop/frontend", model.SCTP, 80, true},       // security allows
			{"ops/admin", "shop/database", model.ICMP, 0, true},        // security allows
			{"shop/database", "shop/database", model.ICMP, 0, true},    // itself
			{"shop/frontend", "shop/database", model.TCP, 5432, false}, // passed, default deny
		},
		ports: map[[2]string]string{
			{"ops/admin", "shop/backend"}: "ICMP; TCP 0-21, 23-65535; UDP 0-4788, 4790-65535; SCTP all",
		},
	}, {
		name: "staged policies are pending only; staged Delete never",
		objs: func() model.Objects {
			objs := mxThreeTier()
			deny := mxIngress(mxKNP("shop", "deny-all", "app == 'backend'"))
			deny.Kind, deny.Staged, deny.StagedAction = model.StagedKubernetesNetworkPolicy, true, "Delete"
			deny.SortKey = "shop/staged:knp.default.deny-all"
			block := mxIngress(mxGNP(model.DefaultTier, "block", "app == 'backend'", 1), model.Rule{Action: model.Deny})
			block.Kind, block.Staged, block.StagedAction = model.StagedGlobalNetworkPolicy, true, "Delete"
			objs.Policies = append(objs.Policies, deny, block)
			return objs
		}(),
		opt: reach.MatrixOptions{Pending: true},
		cells: []mxCell{
			{"shop/frontend", "shop/backend", model.TCP, 8080, true},
		},
	}, {
		name: "external peers",
		objs: model.Objects{
			Pods: []*model.Pod{mxPod("a", "x", "10.0.0.1")},
			Policies: []*model.Policy{mxEgress(mxKNP("a", "egress", ""), model.Rule{
				Action: model.Allow, Destination: model.EntityMatch{Nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
			})},
		},
		opt: reach.MatrixOptions{ExternalPeers: []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("10.1.2.3")}},
		cells: []mxCell{
			{"a/x", "8.8.8.8", model.TCP, 443, false},
			{"a/x", "10.1.2.3", model.TCP, 443, true},
			{"8.8.8.8", "a/x", model.TCP, 443, true},
			{"8.8.8.8", "10.1.2.3", model.UDP, 4789, true}, // no endpoint, no drop
		},
	}, {
		name: "host network pods, host endpoints, families",
		objs: func() model.Objects {
			hn := mxPod("kube-system", "agent", "192.168.0.10")
			hn.HostNetwork = true
			done := mxPod("a", "done", "")
			done.Phase = "Succeeded"
			return model.Objects{
				Pods: []*model.Pod{mxPod("a", "x", "10.0.0.1"), mxPod("a", "v6", "fd00::1"), hn, done},
				HostEndpoints: []*model.HostEndpoint{
					{Name: "bare", ExpectedIPs: []netip.Addr{netip.MustParseAddr("192.168.0.1")}},
					{Name: "open", ExpectedIPs: []netip.Addr{netip.MustParseAddr("192.168.0.2")}, Profiles: []string{"projectcalico-default-allow"}},
				},
				Policies: []*model.Policy{mxIngress(mxGNP(model.DefaultTier, "deny-all", "all()", 1), model.Rule{Action: model.Deny})},
			}
		}(),
		cells: []mxCell{
			{"a/x", "kube-system/agent", model.TCP, 80, true}, // no policy of its own
			{"kube-system/agent", "a/x", model.TCP, 80, false},
			{"a/x", "host/bare", model.TCP, 80, false},
			{"host/bare", "host/open", model.TCP, 80, false}, // bare has no profile: egress denied
			{"host/open", "host/open", model.TCP, 80, false}, // a host endpoint is not exempt from its own policy
			{"a/x", "a/v6", model.TCP, 80, false},            // no IP family in common
		},
		ports: map[[2]string]string{{"a/x", "a/v6"}: "none"},
	}, {
		name: "restricted ports",
		objs: mxThreeTier(),
		opt:  reach.MatrixOptions{Ports: []reach.ProtoPort{{Protocol: model.TCP, Port: 8080}, {Protocol: model.TCP, Port: 5432}, {Protocol: model.ICMP}}},
		cells: []mxCell{
			{"shop/frontend", "shop/backend", model.TCP, 8080, true},
			{"shop/frontend", "shop/frontend", model.TCP, 80, false}, // not covered
			{"shop/frontend", "shop/frontend", model.UDP, 8080, false},
		},
		ports: map[[2]string]string{
			{"shop/frontend", "shop/frontend"}: "ICMP; TCP 5432, 8080",
			{"shop/backend", "shop/database"}:  "TCP 5432",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, m := mxMatrix(t, tc.objs, tc.opt)
			for _, cell := range tc.cells {
				src, dst := mxRow(t, m, cell.src), mxRow(t, m, cell.dst)
				assert.Equal(t, cell.allowed, m.Allowed(src, dst, cell.proto, cell.port),
					"%s -> %s %d/%s", cell.src, cell.dst, cell.port, cell.proto)
				assert.Equal(t, cell.allowed, m.Ports(src, dst).Contains(cell.proto, cell.port))
				if tc.opt.Ports != nil {
					continue
				}
				// The reference evaluator agrees.
				v, err := reach.Evaluate(c, reach.Flow{Src: m.Endpoints()[src], Dst: m.Endpoints()[dst], Protocol: cell.proto, Port: cell.port})
				if err != nil {
					assert.False(t, cell.allowed, err.Error())
					continue
				}
				if tc.opt.Pending && v.Pending != nil {
					v = *v.Pending
				}
				assert.Equal(t, cell.allowed, v.Allowed, v.String())
			}
			for pair, want := range tc.ports {
				assert.Equal(t, want, m.Ports(mxRow(t, m, pair[0]), mxRow(t, m, pair[1])).String(), "%s -> %s", pair[0], pair[1])
			}
		})
	}
}

// TestMatrixClasses checks that replicas of a workload share one class and
// that a CIDR splits them when a policy can tell them apart.
func TestMatrixClasses(t *testing.T) {
	objs := model.Objects{}
	for i := range 10 {
		objs.Pods = append(objs.Pods, mxPod("a", fmt.Sprintf("web-%d", i), fmt.Sprintf("10.0.0.%d", i+1), "app=web"))
	}
	for i := range 5 {
		objs.Pods = append(objs.Pods, mxPod("a", fmt.Sprintf("db-%d", i), fmt.Sprintf("10.0.1.%d", i+1), "app=db"))
	}
	objs.Policies = []*model.Policy{mxIngress(mxKNP("a", "db", "app == 'db'"), mxFrom("a", "app == 'web'", 5432))}
	_, m := mxMatrix(t, objs, reach.MatrixOptions{})
	assert.Equal(t, 2, m.Classes())

	objs.Policies = append(objs.Policies, mxIngress(mxKNP("a", "web", "app == 'web'"), model.Rule{
		Action: model.Allow, Source: model.EntityMatch{Nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/30")}},
	}))
	for _, p := range objs.Pods {
		p.Labels = map[string]string{"app": p.Labels["app"]}
	}
	_, m = mxMatrix(t, objs, reach.MatrixOptions{})
	assert.Equal(t, 3, m.Classes()) // web-0..web-2 are in 10.0.0.0/30
}

func TestMatrixIndex(t *testing.T) {
	c, m := mxMatrix(t, mxThreeTier(), reach.MatrixOptions{ExternalPeers: []netip.Addr{netip.MustParseAddr("::ffff:8.8.8.8")}})
	i, ok := m.Index(reach.Peer{Pod: c.Pods[1]})
	require.True(t, ok)
	assert.Equal(t, c.Pods[1], m.Endpoints()[i].Pod)
	i, ok = m.Index(reach.Peer{IP: netip.MustParseAddr("8.8.8.8")})
	require.True(t, ok)
	assert.Equal(t, "8.8.8.8", m.Endpoints()[i].String())
	_, ok = m.Index(reach.Peer{IP: netip.MustParseAddr("1.1.1.1")})
	assert.False(t, ok)
}

func TestComputeMatrixErrors(t *testing.T) {
	c, err := model.Build(mxThreeTier(), model.Options{})
	require.NoError(t, err)
	for name, opt := range map[string]reach.MatrixOptions{
		"port without protocol": {Ports: []reach.ProtoPort{{Port: 80}}},
		"invalid external peer": {ExternalPeers: []netip.Addr{{}}},
	} {
		_, err := reach.ComputeMatrix(c, opt)
		assert.Error(t, err, name)
	}
	_, err = reach.ComputeMatrix(nil, reach.MatrixOptions{})
	assert.Error(t, err)
}

func TestExternalPeers(t *testing.T) {
	objs := mxThreeTier()
	objs.NetworkSets = []*model.NetworkSet{{Name: "dns", Nets: []netip.Prefix{netip.MustParsePrefix("8.8.8.0/24")}}}
	objs.Policies = append(objs.Policies, mxEgress(mxKNP("shop", "out", ""), model.Rule{
		Action: model.Allow, Destination: model.EntityMatch{Nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/30")}},
	}))
	c, err := model.Build(objs, model.Options{})
	require.NoError(t, err)
	// 10.0.0.1-3 are pods, so 10.0.0.0/30 is represented by 10.0.0.0.
	assert.Equal(t, []string{"0.0.0.0", "8.8.8.8", "8.8.9.0", "10.0.0.0", "10.0.0.4"}, mxStrings(reach.ExternalPeers(c)))
}

func mxStrings[T fmt.Stringer](s []T) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.String()
	}
	return out
}

func TestPortSet(t *testing.T) {
	s := reach.PortSet{
		model.UDP:  {{Min: 53, Max: 53}},
		model.TCP:  {{Min: 80, Max: 80}, {Min: 8000, Max: 8080}},
		model.ICMP: {model.AllPorts},
		model.SCTP: {model.AllPorts},
	}
	assert.Equal(t, "ICMP; TCP 80, 8000-8080; UDP 53; SCTP all", s.String())
	assert.True(t, s.Contains(model.TCP, 8000))
	assert.True(t, s.Contains(model.TCP, 8080))
	assert.False(t, s.Contains(model.TCP, 8081))
	assert.False(t, s.Contains(model.TCP, 79))
	assert.True(t, s.Contains(model.ICMP, 0))
	assert.False(t, s.Contains(model.ICMPv6, 0))
	assert.Equal(t, []model.Protocol{model.ICMP, model.TCP, model.UDP, model.SCTP}, s.Protocols())
	assert.Equal(t, "none", reach.PortSet(nil).String())
	assert.True(t, reach.PortSet(nil).Empty())
}

func ExampleComputeMatrix() {
	c, err := model.Build(mxThreeTier(), model.Options{})
	if err != nil {
		panic(err)
	}
	m, err := reach.ComputeMatrix(c, reach.MatrixOptions{})
	if err != nil {
		panic(err)
	}
	rows := m.Endpoints()
	for src := range rows {
		for dst := range rows {
			if src != dst {
				fmt.Printf("%s -> %s: %s\n", rows[src], rows[dst], m.Ports(src, dst))
			}
		}
	}
	fmt.Println(m.Allowed(0, 1, model.TCP, 8080))
	// Output:
	// shop/backend -> shop/database: TCP 5432
	// shop/backend -> shop/frontend: none
	// shop/database -> shop/backend: none
	// shop/database -> shop/frontend: none
	// shop/frontend -> shop/backend: TCP 8080
	// shop/frontend -> shop/database: none
	// false
}

// TestMatrixPending checks that a staged policy changes only the pending
// matrix, and a staged Delete neither.
func TestMatrixPending(t *testing.T) {
	objs := mxThreeTier()
	block := mxIngress(mxGNP(model.DefaultTier, "block", "app == 'backend'", 1), model.Rule{Action: model.Deny, Protocol: model.TCP})
	block.Kind, block.Staged, block.StagedAction = model.StagedGlobalNetworkPolicy, true, "Set"
	gone := mxIngress(mxGNP(model.DefaultTier, "gone", "all()", 0), model.Rule{Action: model.Deny})
	gone.Kind, gone.Staged, gone.StagedAction = model.StagedGlobalNetworkPolicy, true, "Delete"
	objs.Policies = append(objs.Policies, block, gone)
	c, err := model.Build(objs, model.Options{})
	require.NoError(t, err)
	for _, tc := range []struct {
		pending bool
		want    string
	}{{false, "TCP 8080"}, {true, "none"}} {
		m, err := reach.ComputeMatrix(c, reach.MatrixOptions{Pending: tc.pending})
		require.NoError(t, err)
		assert.Equal(t, tc.want, m.Ports(mxRow(t, m, "shop/frontend"), mxRow(t, m, "shop/backend")).String(), "pending %v", tc.pending)
		assert.Equal(t, "TCP 5432", m.Ports(mxRow(t, m, "shop/backend"), mxRow(t, m, "shop/database")).String(), "pending %v", tc.pending)
	}
}
