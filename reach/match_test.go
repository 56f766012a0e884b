package reach_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
)

func evProto(t testing.TB, s string) model.Protocol {
	t.Helper()
	p, err := model.ParseProtocol(s)
	require.NoError(t, err)
	return p
}

func evNamed(names ...string) []model.PortMatch {
	var out []model.PortMatch
	for _, n := range names {
		out = append(out, model.PortMatch{Name: n})
	}
	return out
}

// evMore adds to the base cluster: prod/db2 (app=db, pg on 6432), a
// network set with frontend's address, a global network set of outside
// addresses, and services in front of the databases and web.
func evMore(o *model.Objects) {
	db2 := evPod("prod", "db2", "10.0.0.12", "app=db")
	db2.NamedPorts = []model.NamedPort{{Name: "pg", Protocol: model.TCP, Port: 6432}}
	o.Pods = append(o.Pods, db2)
	for _, p := range o.Pods {
		if p.ID() == "prod/frontend" {
			p.NamedPorts = []model.NamedPort{{Name: "src", Protocol: model.TCP, Port: 40000}}
		}
	}
	o.NetworkSets = append(o.NetworkSets,
		&model.NetworkSet{Namespace: "prod", Name: "trusted", Labels: map[string]string{"role": "trusted"}, Nets: evNets("10.0.0.1/32")},
		&model.NetworkSet{Name: "partners", Labels: map[string]string{"role": "partner"}, Nets: evNets("203.0.113.0/24")},
		&model.NetworkSet{Namespace: "prod", Name: "looks-like-web", Labels: map[string]string{"app": "web"}, Nets: evNets("10.0.0.2/32")},
	)
	o.Services = append(o.Services,
		&model.Service{Namespace: "prod", Name: "db-svc", Selector: map[string]string{"app": "db"}, ClusterIP: netip.MustParseAddr("10.96.0.10"),
			Ports: []model.ServicePort{{Name: "sql", Protocol: model.TCP, Port: 80, TargetName: "pg"}}},
		&model.Service{Namespace: "prod", Name: "web-svc", Selector: map[string]string{"app": "web"},
			Ports: []model.ServicePort{{Port: 80, TargetPort: 8080}, {Protocol: model.TCP, Port: 443}}},
		&model.Service{Namespace: "prod", Name: "external", Ports: []model.ServicePort{{Protocol: model.TCP, Port: 80}}},
	)
}

// TestMatchRule checks every rule field of semantics §4. Each case puts one
// Allow rule into a policy selecting every endpoint, for the ingress of the
// destination (or the egress of the source), and checks whether that rule
// decided.
func TestMatchRule(t *testing.T) {
	type flow struct {
		src, dst string
		proto    string
		port     uint16
		srcPort  uint16
		icmp     *reach.ICMPType
	}
	echo := `ICMP type and code not given: assumed an echo request (type 8, code 0)`
	ephemeral := `source port not given: assumed the ephemeral port 32768`
	tests := []struct {
		name    string
		rule    model.Rule
		egress  bool // the rule is an egress rule of the source
		flow    flow // default: prod/frontend -> prod/database 5432/TCP
		match   bool
		assumed []string
	}{
		// §4.1, §4.2 protocol, notProtocol, ipVersion.
		{name: "empty rule matches everything", rule: model.Rule{}, match: true},
		{name: "empty rule matches ICMP", rule: model.Rule{}, flow: flow{proto: "ICMP"}, match: true},
		{name: "protocol by name", rule: model.Rule{Protocol: evProto(t, "TCP")}, match: true},
		{name: "protocol by number equals the name", rule: model.Rule{Protocol: evProto(t, "6")}, match: true},
		{name: "protocol UDP does not match TCP", rule: model.Rule{Protocol: model.UDP}, match: false},
		{name: "protocol by number 17 matches UDP", rule: model.Rule{Protocol: evProto(t, "17")}, flow: flow{proto: "UDP"}, match: true},
		{name: "SCTP", rule: model.Rule{Protocol: evProto(t, "SCTP")}, flow: flow{proto: "SCTP"}, match: true},
		{name: "notProtocol UDP matches TCP", rule: model.Rule{NotProtocol: model.UDP}, match: true},
		{name: "notProtocol TCP does not match TCP", rule: model.Rule{NotProtocol: model.TCP}, match: false},
		{name: "protocol and notProtocol both hold", rule: model.Rule{Protocol: model.TCP, NotProtocol: model.UDP}, match: true},
		{name: "ipVersion 4 matches IPv4", rule: model.Rule{IPVersion: 4}, match: true},
		{name: "ipVersion 6 does not match IPv4", rule: model.Rule{IPVersion: 6}, match: false},
		{name: "ipVersion 6 matches IPv6", rule: model.Rule{IPVersion: 6}, flow: flow{src: "prod/dual", dst: "prod/v6only"}, match: true},
		{name: "ipVersion 4 does not match IPv6", rule: model.Rule{IPVersion: 4}, flow: flow{src: "prod/dual", dst: "prod/v6only"}, match: false},

		// §4.3 nets and notNets, §4.2 implicit family restriction.
		{name: "source nets contain the source", rule: model.Rule{Source: model.EntityMatch{Nets: evNets("10.0.0.0/24")}}, match: true},
		{name: "source nets are OR'ed", rule: model.Rule{Source: model.EntityMatch{Nets: evNets("172.16.0.0/12", "10.0.0.1/32")}}, match: true},
		{name: "source nets miss", rule: model.Rule{Source: model.EntityMatch{Nets: evNets("10.1.0.0/16")}}, match: false},
		{name: "destination nets are tested against the destination", rule: model.Rule{Destination: model.EntityMatch{Nets: evNets("10.0.0.2/32")}}, match: true},
		{name: "destination nets do not test the source", rule: model.Rule{Destination: model.EntityMatch{Nets: evNets("10.0.0.1/32")}}, match: false},
		{name: "source notNets exclude the source", rule: model.Rule{Source: model.EntityMatch{NotNets: evNets("10.0.0.0/8")}}, match: false},
		{name: "source notNets let others through", rule: model.Rule{Source: model.EntityMatch{NotNets: evNets("10.0.0.0/8")}}, flow: flow{src: "203.0.113.9"}, match: true},
		{name: "notNets match none of the list", rule: model.Rule{Source: model.EntityMatch{NotNets: evNets("192.168.0.0/16", "10.0.0.0/30")}}, match: false},
		{name: "nets and notNets both hold", rule: model.Rule{Source: model.EntityMatch{Nets: evNets("10.0.0.0/8"), NotNets: evNets("10.0.0.2/32")}}, match: true},
		{name: "IPv4 nets never match IPv6", rule: model.Rule{Source: model.EntityMatch{Nets: evNets("0.0.0.0/0")}}, flow: flow{src: "prod/dual", dst: "prod/v6only"}, match: false},
		{name: "IPv4 notNets alone make the rule IPv4-only", rule: model.Rule{Source: model.EntityMatch{NotNets: evNets("10.0.0.0/8")}}, flow: flow{src: "prod/dual", dst: "prod/v6only"}, match: false},
		{name: "IPv6 notNets alone make the rule IPv6-only", rule: model.Rule{Destination: model.EntityMatch{NotNets: evNets("2001:db8::/32")}}, match: false},
		{name: "IPv6 notNets hold for other IPv6 addresses", rule: model.Rule{Destination: model.EntityMatch{NotNets: evNets("2001:db8::/32")}}, flow: flow{src: "prod/dual", dst: "prod/v6only"}, match: true},
		{name: "mixed-family nets: the other family is ignored", rule: model.Rule{Destination: model.EntityMatch{Nets: evNets("10.0.0.0/8", "fd00::/64")}}, flow: flow{src: "prod/dual", dst: "prod/v6only"}, match: true},
		{name: "IPv6 destination nets restrict the whole rule", rule: model.Rule{Source: model.EntityMatch{Nets: evNets("10.0.0.0/8")}, Destination: model.EntityMatch{Nets: evNets("fd00::/64")}}, match: false},

		// §4.3 ports and notPorts.
		{name: "port range contains the port", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(5000, 5500)}}, match: true},
		{name: "port range edges are inclusive", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(5432, 5432)}}, match: true},
		{name: "port range misses", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(5433, 6000)}}, match: false},
		{name: "ports are OR'ed", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(80, 80, 5432, 5432)}}, match: true},
		{name: "notPorts exclude the port", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{NotPorts: evPorts(5400, 5500)}}, match: false},
		{name: "notPorts let other ports through", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{NotPorts: evPorts(80, 80, 443, 443)}}, match: true},
		{name: "ports and notPorts both hold", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(5000, 6000), NotPorts: evPorts(5432, 5432)}}, match: false},
		{name: "ports never match a protocol without ports", rule: model.Rule{Destination: model.EntityMatch{Ports: evPorts(0, 65535)}}, flow: flow{proto: "ICMP"}, match: false},
		{name: "notPorts never match a protocol without ports", rule: model.Rule{Destination: model.EntityMatch{NotPorts: evPorts(80, 80)}}, flow: flow{proto: "ICMP"}, match: false},
		{name: "AND across fields: nets hold but ports do not", rule: model.Rule{Protocol: model.TCP, Source: model.EntityMatch{Nets: evNets("10.0.0.0/8")}, Destination: model.EntityMatch{Ports: evPorts(80, 80)}}, match: false},

		// §4.6 named ports.
		{name: "named port on the destination pod", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evNamed("pg")}}, match: true},
		{name: "named port: other number", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evNamed("pg")}}, flow: flow{port: 5433}, match: false},
		{name: "named port resolved per pod", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evNamed("pg")}}, flow: flow{dst: "prod/db2", port: 6432}, match: true},
		{name: "named port: another pod's number does not count", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evNamed("pg")}}, flow: flow{dst: "prod/db2", port: 5432}, match: false},
		{name: "named port OR'ed with numbers", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: append(evPorts(80, 80), evNamed("pg")...)}}, match: true},
		{name: "named port without rule protocol matches the port's protocol", rule: model.Rule{Destination: model.EntityMatch{Ports: evNamed("pg")}}, match: true},
		{name: "named port is protocol-restricted", rule: model.Rule{Destination: model.EntityMatch{Ports: evNamed("pg")}}, flow: flow{proto: "UDP"}, match: false},
		{name: "named port of another protocol than the rule's", rule: model.Rule{Protocol: model.UDP, Destination: model.EntityMatch{Ports: evNamed("pg")}}, flow: flow{proto: "UDP"}, match: false},
		{name: "unknown named port", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evNamed("http")}}, match: false},
		{name: "named notPort excludes", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{NotPorts: evNamed("pg")}}, match: false},
		{name: "named notPort lets other pods' ports through", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{NotPorts: evNamed("pg")}}, flow: flow{dst: "prod/db2", port: 5432}, match: true},
		{
			name:  "named port counts only endpoints the same side's selector matches",
			rule:  model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Selector: evSel("app == 'web'"), Ports: evNamed("pg")}},
			match: false, // database's address is in network set looks-like-web, but database is not app=web
		},
		{name: "named port never matches an outside address", egress: true, rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evNamed("pg")}}, flow: flow{dst: "203.0.113.9"}, match: false},
		{name: "source named port", rule: model.Rule{Protocol: model.TCP, Source: model.EntityMatch{Ports: evNamed("src")}}, flow: flow{srcPort: 40000}, match: true},

		// Source ports.
		{name: "source port: ephemeral assumed", rule: model.Rule{Protocol: model.TCP, Source: model.EntityMatch{Ports: evPorts(32768, 60999)}}, match: true, assumed: []string{ephemeral}},
		{name: "source port given", rule: model.Rule{Protocol: model.TCP, Source: model.EntityMatch{Ports: evPorts(32768, 60999)}}, flow: flow{srcPort: 1000}, match: false},
		{name: "source notPorts: ephemeral assumed", rule: model.Rule{Protocol: model.TCP, Source: model.EntityMatch{NotPorts: evPorts(0, 1023)}}, match: true, assumed: []string{ephemeral}},
		{name: "destination ports make no source port assumption", rule: model.Rule{Protocol: model.TCP, Destination: model.EntityMatch{Ports: evPorts(5432, 5432)}}, match: true},

		// §4.5 selectors are IP sets.
		{name: "selector matches a pod by its labels", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("app == 'fe'")}}, match: true},
		{name: "selector matches a pod inside a selected network set", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("role == 'trusted'")}}, match: true},
		{name: "network set CIDR does not cover the pod", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("role == 'trusted'")}}, flow: flow{src: "prod/web"}, match: false},
		{name: "selector matches an outside address in a global network set", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("role == 'partner'")}}, flow: flow{src: "203.0.113.9"}, match: true},
		{name: "selector all() does not match an unknown address", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("all()")}}, flow: flow{src: "198.51.100.1"}, match: false},
		{name: "no selector matches an unknown address", rule: model.Rule{}, flow: flow{src: "198.51.100.1"}, match: true},
		{name: "selector matches a host endpoint's expected IP", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("role == 'node'")}}, flow: flow{src: "192.168.0.1"}, match: true},
		{name: "a host-network pod is in no workload IP set", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("app == 'agent'")}}, flow: flow{src: "kube-system/agent"}, match: false},
		{name: "destination selector", rule: model.Rule{Destination: model.EntityMatch{Selector: evSel("app == 'db'")}}, match: true},
		{name: "notSelector excludes a matching pod", rule: model.Rule{Source: model.EntityMatch{NotSelector: evSel("app == 'fe'")}}, match: false},
		{name: "notSelector lets other pods through", rule: model.Rule{Source: model.EntityMatch{NotSelector: evSel("app == 'fe'")}}, flow: flow{src: "prod/web"}, match: true},
		{name: "notSelector lets unknown addresses through", rule: model.Rule{Source: model.EntityMatch{NotSelector: evSel("app == 'fe'")}}, flow: flow{src: "198.51.100.1"}, match: true},
		{name: "notSelector excludes by address: network sets", rule: model.Rule{Source: model.EntityMatch{NotSelector: evSel("role == 'partner'")}}, flow: flow{src: "203.0.113.9"}, match: false},
		{name: "selector and notSelector both hold", rule: model.Rule{Source: model.EntityMatch{Selector: evSel("has(app)"), NotSelector: evSel("app == 'web'")}}, match: true},

		// §4.2 ICMP.
		{name: "icmp type: echo request assumed", rule: model.Rule{Protocol: model.ICMP, ICMP: &model.ICMPMatch{Type: 8}}, flow: flow{proto: "ICMP"}, match: true, assumed: []string{echo}},
		{name: "icmp type: echo reply does not match the assumed request", rule: model.Rule{Protocol: model.ICMP, ICMP: &model.ICMPMatch{Type: 0}}, flow: flow{proto: "ICMP"}, match: false, assumed: []string{echo}},
		{name: "icmp type and code", rule: model.Rule{Protocol: model.ICMP, ICMP: &model.ICMPMatch{Type: 3, Code: ptr(1)}}, flow: flow{proto: "ICMP", icmp: &reach.ICMPType{Type: 3, Code: 1}}, match: true},
		{name: "icmp code differs", rule: model.Rule{Protocol: model.ICMP, ICMP: &model.ICMPMatch{Type: 3, Code: ptr(2)}}, flow: flow{proto: "ICMP", icmp: &reach.ICMPType{Type: 3, Code: 1}}, match: false},
		{name: "icmp type only matches every code", rule: model.Rule{Protocol: model.ICMP, ICMP: &model.ICMPMatch{Type: 3}}, flow: flow{proto: "ICMP", icmp: &reach.ICMPType{Type: 3, Code: 13}}, match: true},
		{name: "icmp never matches TCP", rule: model.Rule{ICMP: &model.ICMPMatch{Type: 8}}, match: false},
		{name: "notICMP matches another type", rule: model.Rule{Protocol: model.ICMP, NotICMP: &model.ICMPMatch{Type: 8}}, flow: flow{proto: "ICMP", icmp: &reach.ICMPType{Type: 0}}, match: true},
		{name: "notICMP excludes the type", rule: model.Rule{Protocol: model.ICMP, NotICMP: &model.ICMPMatch{Type: 8}}, flow: flow{proto: "ICMP"}, match: false, assumed: []string{echo}},
		{name: "notICMP with code excludes only that code", rule: model.Rule{Protocol: model.ICMP, NotICMP: &model.ICMPMatch{Type: 3, Code: ptr(1)}}, flow: flow{proto: "ICMP", icmp: &reach.ICMPType{Type: 3, Code: 2}}, match: true},
		{name: "notICMP never matches TCP", rule: model.Rule{NotICMP: &model.ICMPMatch{Type: 8}}, match: false},
		{name: "protocol ICMP alone makes no assumption", rule: model.Rule{Protocol: model.ICMP}, flow: flow{proto: "ICMP"}, match: true},
		{name: "ICMPv6 echo request assumed", rule: model.Rule{Protocol: model.ICMPv6, ICMP: &model.ICMPMatch{Type: 128}}, flow: flow{src: "prod/dual", dst: "prod/v6only", proto: "ICMPv6"}, match: true,
			assumed: []string{`ICMPv6 type and code not given: assumed an echo request (type 128, code 0)`}},
		{name: "ICMP over IPv6 is not ICMPv6", rule: model.Rule{ICMP: &model.ICMPMatch{Type: 128}}, flow: flow{src: "prod/dual", dst: "prod/v6only", proto: "ICMP"}, match: false},

		// §4.2 HTTP, §4.3 domains.
		{name: "http rule matches on its L4 part", rule: model.Rule{Protocol: model.TCP, HTTP: &model.HTTPMatch{Methods: []string{"GET"}}}, match: true,
			assumed: []string{"rule 0 (Allow) of GlobalNetworkPolicy all in tier default has an HTTP match, which reach cannot evaluate offline; it matched on its L4 part"}},
		{name: "http rule whose L4 part fails", rule: model.Rule{Protocol: model.UDP, HTTP: &model.HTTPMatch{Methods: []string{"GET"}}}, match: false},
		{name: "domains never match", egress: true, rule: model.Rule{Destination: model.EntityMatch{Domains: []string{"example.com", "*.example.org"}}}, flow: flow{dst: "203.0.113.9"}, match: false,
			assumed: []string{"domains rule (rule 0 (Allow) of GlobalNetworkPolicy all in tier default, domains example.com, *.example.org) cannot be evaluated offline; treated as not matching"}},

		// §4.7 services.
		{name: "service: backend with named target port", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, match: true},
		{name: "service: named target port resolved per backend", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{dst: "prod/db2", port: 6432}, match: true},
		{name: "service: another backend's target port", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{dst: "prod/db2", port: 5432}, match: false},
		{name: "service: the service port is not a backend port", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{port: 80}, match: false},
		{name: "service: the cluster IP is not a backend", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{dst: "10.96.0.10", port: 80}, match: false},
		{name: "service: not a backend", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{dst: "prod/web"}, match: false},
		{name: "service: other protocol", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{proto: "UDP"}, match: false},
		{name: "service: numeric target port, protocol defaults to TCP", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "web-svc"}}}, flow: flow{dst: "prod/web", port: 8080}, match: true},
		{name: "service: no target port means the service port", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "web-svc"}}}, flow: flow{dst: "prod/web", port: 443}, match: true},
		{name: "service without selector has no backends", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "external"}}}, flow: flow{dst: "prod/web", port: 80}, match: false},
		{name: "source service matches backend addresses", rule: model.Rule{Source: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{src: "prod/db2", dst: "prod/web", port: 80}, match: true},
		{name: "source service: not a backend", rule: model.Rule{Source: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "db-svc"}}}, flow: flow{dst: "prod/web", port: 80}, match: false},
		{name: "missing service", egress: true, rule: model.Rule{Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "prod", Name: "nope"}}}, match: false,
			assumed: []string{"service prod/nope named by rule 0 (Allow) of GlobalNetworkPolicy all in tier default does not exist; the rule does not match"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := evBase()
			evMore(&objs)
			tc.rule.Action = model.Allow
			pol := evGNP("default", "all", "", nil)
			if tc.egress {
				evEgress(pol, tc.rule)
			} else {
				evIngress(pol, tc.rule)
			}
			objs.Policies = []*model.Policy{pol}
			c := evBuild(t, objs)

			f := reach.Flow{
				Src:      evPeer(t, c, cmpOr(tc.flow.src, "prod/frontend")),
				Dst:      evPeer(t, c, cmpOr(tc.flow.dst, "prod/database")),
				Protocol: evProto(t, cmpOr(tc.flow.proto, "TCP")),
				Port:     cmpOr(tc.flow.port, 5432),
				SrcPort:  tc.flow.srcPort,
				ICMP:     tc.flow.icmp,
			}
			v := evEvaluate(t, c, f)
			side := v.Ingress
			if tc.egress {
				side = v.Egress
			}
			if tc.match {
				assert.Equal(t, reach.RuleMatched, side.Reason, "%s", v)
				assert.True(t, v.Allowed, "%s", v)
			} else {
				assert.Equal(t, reach.TierDefault, side.Reason, "%s", v)
				assert.False(t, v.Allowed, "%s", v)
			}
			assert.Equal(t, tc.assumed, v.Assumptions)
		})
	}
}
