package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCalicoTypesDefaulting is the table of semantics §1.10.
func TestCalicoTypesDefaulting(t *testing.T) {
	tests := []struct {
		name string
		kind string
		spec string
		want string
	}{
		{name: "no rules", kind: "NetworkPolicy", spec: "selector: all()", want: "Ingress"},
		{name: "ingress rules only", kind: "NetworkPolicy", spec: "ingress: [{action: Allow}]", want: "Ingress"},
		{name: "egress rules only", kind: "NetworkPolicy", spec: "egress: [{action: Allow}]", want: "Egress"},
		{name: "both", kind: "NetworkPolicy", spec: "ingress: [{action: Allow}]\negress: [{action: Allow}]", want: "Ingress,Egress"},
		{name: "explicit types win", kind: "NetworkPolicy", spec: "types: [Egress]\ningress: [{action: Allow}]", want: "Egress"},
		{name: "GNP egress rules only", kind: "GlobalNetworkPolicy", spec: "egress: [{action: Deny}]", want: "Egress"},
		{name: "GNP no rules", kind: "GlobalNetworkPolicy", spec: "selector: all()", want: "Ingress"},
		{name: "staged NP both", kind: "StagedNetworkPolicy", spec: "ingress: [{action: Allow}]\negress: [{action: Allow}]", want: "Ingress,Egress"},
		{name: "staged GNP egress only", kind: "StagedGlobalNetworkPolicy", spec: "egress: [{action: Allow}]", want: "Egress"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onePolicy(t, calicoYAML(tc.kind, "p", tc.spec))
			assert.Equal(t, tc.want, types(p))
		})
	}
}

// TestPolicyTierNaming checks both tier conventions: the <tier>.<name>
// prefix of Calico v3.29–v3.31 and spec.tier.
func TestPolicyTierNaming(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		polName string
		spec    string
		tier    string
		key     string
		problem string
	}{
		{name: "default tier without prefix", kind: "NetworkPolicy", polName: "p", tier: "default", key: "ns1/default.p"},
		{name: "default. prefix", kind: "NetworkPolicy", polName: "default.p", tier: "default", key: "ns1/default.p"},
		{name: "tier from the name", kind: "NetworkPolicy", polName: "sec.p", tier: "sec", key: "ns1/sec.p"},
		{name: "name and spec.tier agree", kind: "NetworkPolicy", polName: "sec.p", spec: "tier: sec", tier: "sec", key: "ns1/sec.p"},
		{name: "tier from spec.tier", kind: "NetworkPolicy", polName: "p", spec: "tier: sec", tier: "sec", key: "ns1/sec.p"},
		{name: "converted-name prefix", kind: "NetworkPolicy", polName: "knp.default.x", tier: "default", key: "ns1/knp.default.x"},
		{name: "GNP default", kind: "GlobalNetworkPolicy", polName: "p", tier: "default", key: "default.p"},
		{name: "GNP tier from name", kind: "GlobalNetworkPolicy", polName: "sec.p", tier: "sec", key: "sec.p"},
		{name: "staged NP", kind: "StagedNetworkPolicy", polName: "sec.p", tier: "sec", key: "ns1/staged:sec.p"},
		{name: "staged GNP", kind: "StagedGlobalNetworkPolicy", polName: "p", spec: "tier: sec", tier: "sec", key: "staged:sec.p"},
		{name: "disagreement", kind: "NetworkPolicy", polName: "sec.p", spec: "tier: other",
			problem: `test.yaml:4 (doc 1, NetworkPolicy ns1/sec.p): metadata.name: name "sec.p" puts the policy in tier "sec" but spec.tier is "other": a name with a dot must begin with "other."`},
		{name: "default-tier name with a dot must begin default.", kind: "GlobalNetworkPolicy", polName: "a.b", spec: "tier: default",
			problem: `test.yaml:4 (doc 1, GlobalNetworkPolicy a.b): metadata.name: name "a.b" puts the policy in tier "a" but spec.tier is "default": a name with a dot must begin with "default."`},
		{name: "bad tier name", kind: "NetworkPolicy", polName: "p", spec: "tier: Sec",
			problem: `test.yaml:7 (doc 1, NetworkPolicy ns1/p): spec.tier: "Sec" is not a valid tier name: must be lower-case letters, digits and '-'`},
		{name: "two dots", kind: "GlobalNetworkPolicy", polName: "a.b.c",
			problem: `test.yaml:4 (doc 1, GlobalNetworkPolicy a.b.c): metadata.name: "a.b.c": ` + wantPolicyName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			if spec == "" {
				spec = "order: 10"
			}
			objs, problems := readObjects(t, calicoYAML(tc.kind, tc.polName, spec))
			if tc.problem != "" {
				assert.Equal(t, []string{tc.problem}, problems)
				assert.Empty(t, objs.Policies)
				return
			}
			require.Empty(t, problems)
			require.Len(t, objs.Policies, 1)
			assert.Equal(t, tc.tier, objs.Policies[0].Tier)
			assert.Equal(t, tc.key, objs.Policies[0].SortKey)
		})
	}
}

func TestStagedCalicoPolicies(t *testing.T) {
	t.Run("staged set is a staged policy with rules", func(t *testing.T) {
		p := onePolicy(t, calicoYAML("StagedNetworkPolicy", "p", "stagedAction: Learn\nselector: a == 'b'\ningress: [{action: Deny}]"))
		assert.Equal(t, StagedNetworkPolicy, p.Kind)
		assert.True(t, p.Staged)
		assert.Equal(t, "Learn", p.StagedAction)
		assert.Equal(t, []string{"0: Deny everything (spec.ingress[0])"}, ruleLines(p.IngressRules))
	})
	t.Run("default action is Set", func(t *testing.T) {
		p := onePolicy(t, calicoYAML("StagedGlobalNetworkPolicy", "p", "order: 1"))
		assert.Equal(t, "Set", p.StagedAction)
	})
	t.Run("delete keeps tier, no types, no rules", func(t *testing.T) {
		p := onePolicy(t, calicoYAML("StagedNetworkPolicy", "sec.p", "stagedAction: Delete\ntier: sec"))
		assert.Equal(t, "Delete", p.StagedAction)
		assert.Equal(t, "sec", p.Tier)
		assert.Equal(t, "ns1/staged:sec.p", p.SortKey)
		assert.Equal(t, "none", types(p))
		assert.Empty(t, p.IngressRules)
		assert.Empty(t, p.EgressRules)
	})
	t.Run("delete with fields", func(t *testing.T) {
		_, problems := readObjects(t, calicoYAML("StagedGlobalNetworkPolicy", "p", "stagedAction: Delete\nselector: a == 'b'"))
		assert.Equal(t, []string{"test.yaml:5 (doc 1, StagedGlobalNetworkPolicy p): spec: spec fields, except tier, should all be zero-value if stagedAction is Delete"}, problems)
	})
}

func TestGlobalNetworkPolicyFlags(t *testing.T) {
	t.Run("preDNAT is host-only", func(t *testing.T) {
		p := onePolicy(t, calicoYAML("GlobalNetworkPolicy", "p", "preDNAT: true\napplyOnForward: true\ningress: [{action: Deny}]"))
		assert.True(t, p.HostOnly)
		assert.Equal(t, []string{"spec.preDNAT: applies to host endpoints only, never to pods"}, p.Notes)
	})
	t.Run("doNotTrack is host-only", func(t *testing.T) {
		p := onePolicy(t, calicoYAML("GlobalNetworkPolicy", "p", "doNotTrack: true\napplyOnForward: true\negress: [{action: Allow}]"))
		assert.True(t, p.HostOnly)
		assert.Equal(t, "Egress", types(p))
	})
	t.Run("applyOnForward alone is normal", func(t *testing.T) {
		p := onePolicy(t, calicoYAML("GlobalNetworkPolicy", "p", "applyOnForward: true"))
		assert.False(t, p.HostOnly)
	})
	t.Run("flag rules", func(t *testing.T) {
		_, problems := readObjects(t, calicoYAML("GlobalNetworkPolicy", "p", "preDNAT: true\ndoNotTrack: true\ntypes: [Egress]\negress: [{action: Allow}]"))
		assert.Equal(t, []string{
			"test.yaml:5 (doc 1, GlobalNetworkPolicy p): spec.applyOnForward: must be true if either preDNAT or doNotTrack is true",
			"test.yaml:6 (doc 1, GlobalNetworkPolicy p): spec.preDNAT: preDNAT and doNotTrack cannot both be true",
			"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.types: a preDNAT policy cannot have the Egress type",
			"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress: a preDNAT policy cannot have egress rules",
		}, problems)
	})
}

// TestCalicoRules checks how Calico rules convert.
func TestCalicoRules(t *testing.T) {
	tests := []struct {
		name  string
		rules string // ingress and egress lists
		want  []string
	}{
		{name: "actions", rules: "ingress: [{action: Allow}, {action: Deny}, {action: Pass}, {action: Log}]",
			want: []string{"0: Allow everything (spec.ingress[0])", "1: Deny everything (spec.ingress[1])", "2: Pass everything (spec.ingress[2])", "3: Log everything (spec.ingress[3])"}},
		{name: "protocol by number", rules: "ingress: [{action: Allow, protocol: 6, destination: {ports: [80, '90:99', http]}}]",
			want: []string{"0: Allow TCP to ports [80, 90-99, http] (spec.ingress[0])"}},
		{name: "protocol as a numeric string", rules: "ingress: [{action: Allow, protocol: '17', notProtocol: 47}]",
			want: []string{"0: Allow UDP not 47 (spec.ingress[0])"}},
		{name: "icmp", rules: "ingress: [{action: Allow, protocol: ICMP, ipVersion: 4, icmp: {type: 8, code: 0}, notICMP: {type: 3}}]",
			want: []string{"0: Allow ICMP IPv4 icmp type 8 code 0 not icmp type 3 (spec.ingress[0])"}},
		{name: "empty icmp matches any; ICMPv6 implies IPv6", rules: "ingress: [{action: Allow, protocol: ICMPv6, icmp: {}}]",
			want: []string{"0: Allow ICMPv6 IPv6 (spec.ingress[0])"}},
		{name: "notProtocol ICMP implies IPv4", rules: "ingress: [{action: Deny, notProtocol: ICMP}]",
			want: []string{"0: Deny not ICMP IPv4 (spec.ingress[0])"}},
		{name: "nets and notPorts", rules: "egress: [{action: Deny, protocol: UDP, destination: {nets: ['fd00::/8'], notNets: ['fd00:1::/32'], notPorts: [53]}, source: {ports: ['1000:2000']}}]",
			want: []string{"0: Deny UDP from ports [1000-2000] to nets [fd00::/8] not nets [fd00:1::/32] not ports [53] (spec.egress[0])"}},
		{name: "services", rules: "egress: [{action: Allow, destination: {services: {name: db, namespace: data}}}]",
			want: []string{"0: Allow to service data/db (spec.egress[0])"}},
		{name: "http", rules: "ingress: [{action: Allow, http: {methods: [GET], paths: [{exact: /a}, {prefix: /b}]}}]",
			want: []string{"0: Allow http methods [GET] paths [exact:/a, prefix:/b] (not enforced at L3/L4) (spec.ingress[0])"}},
		{name: "Enterprise domains on egress", rules: "egress: [{action: Allow, protocol: TCP, destination: {ports: [443], domains: [api.example.com]}}]",
			want: []string{"0: Allow TCP to ports [443] domains [api.example.com] (Calico Enterprise, not matched) (spec.egress[0])"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onePolicy(t, calicoYAML("GlobalNetworkPolicy", "p", tc.rules))
			assert.Equal(t, tc.want, append(ruleLines(p.IngressRules), ruleLines(p.EgressRules)...))
		})
	}
}

func TestNamespacedServiceWithoutNamespace(t *testing.T) {
	p := onePolicy(t, calicoYAML("NetworkPolicy", "p", "egress: [{action: Allow, destination: {services: {name: db}}}]"))
	require.Len(t, p.EgressRules, 1)
	assert.Equal(t, &ServiceRef{Name: "db"}, p.EgressRules[0].Destination.Services)
	assert.Equal(t, []string{"spec.egress[0].destination.services: no namespace: Calico v3.31 matches no service then (not the policy's namespace), so the rule never matches"}, p.Notes)
}

// TestCalicoRuleValidation checks each validation rule of §4.10 and Calico's
// validator with its exact problem line (problems come in line order).
// The spec begins on line 6.
func TestCalicoRuleValidation(t *testing.T) {
	tests := []struct {
		name  string
		kind  string // GlobalNetworkPolicy unless set
		rules string
		want  []string
	}{
		{name: "action required", rules: "ingress:\n- protocol: TCP",
			want: []string{"test.yaml:7 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].action: required"}},
		{name: "bad action", rules: "ingress:\n- action: allow",
			want: []string{`test.yaml:7 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].action: "allow": must be Allow, Deny, Log or Pass`}},
		{name: "protocol casing", rules: "ingress:\n- action: Allow\n  protocol: tcp",
			want: []string{`test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].protocol: protocol name "tcp" invalid: want TCP, UDP, ICMP, ICMPv6, SCTP or UDPLite (exact case) or a number from 1 to 255`}},
		{name: "protocol 0", rules: "ingress:\n- action: Allow\n  notProtocol: 0",
			want: []string{"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].notProtocol: protocol number invalid: must be from 1 to 255"}},
		{name: "protocol 256", rules: "ingress:\n- action: Allow\n  protocol: 256",
			want: []string{"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].protocol: protocol number 256 invalid: must be from 1 to 255"}},
		{name: "ipVersion", rules: "ingress:\n- action: Allow\n  ipVersion: 5",
			want: []string{"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].ipVersion: 5: must be 4 or 6"}},
		{name: "ports need a port protocol", rules: "ingress:\n- action: Allow\n  source:\n    ports: [80]\n  destination:\n    notPorts: [http]",
			want: []string{
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.ports: rules that specify ports must set protocol to TCP or UDP or SCTP",
				"test.yaml:11 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.notPorts: rules that specify ports must set protocol to TCP or UDP or SCTP",
			}},
		{name: "UDPLite has no ports in Calico", rules: "ingress:\n- action: Allow\n  protocol: UDPLite\n  destination: {ports: [1]}",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.ports: rules that specify ports must set protocol to TCP or UDP or SCTP"}},
		{name: "bad ports", rules: "ingress:\n- action: Allow\n  protocol: TCP\n  destination:\n    ports: [0, '9:1', 'a_b', 70000, '1:70000']",
			want: []string{
				"test.yaml:10 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.ports[0]: port 0: must be a number from 1 to 65535",
				`test.yaml:10 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.ports[1]: range "9:1": minimum port 9 is greater than maximum port 1`,
				`test.yaml:10 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.ports[2]: named port "a_b": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
				"test.yaml:10 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.ports[3]: port 70000: must be a number from 1 to 65535",
				`test.yaml:10 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.ports[4]: range "1:70000": port 70000: must be a number from 1 to 65535`,
			}},
		{name: "icmp bounds and type", rules: "ingress:\n- action: Allow\n  protocol: ICMP\n  icmp: {type: 255, code: 256}\n  notICMP: {code: 1}",
			want: []string{
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].icmp.type: 255: must be from 0 to 254",
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].icmp.code: 256: must be from 0 to 255",
				"test.yaml:10 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].notICMP.code: ICMP code specified without an ICMP type",
			}},
		{name: "icmp needs an ICMP protocol", rules: "ingress:\n- action: Allow\n  protocol: TCP\n  icmp: {type: 8}",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].icmp: rules that specify ICMP fields must set protocol to ICMP or ICMPv6"}},
		{name: "ICMP forces IPv4", rules: "ingress:\n- action: Allow\n  protocol: ICMP\n  ipVersion: 6",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].ipVersion: must be 4 with protocol ICMP"}},
		{name: "notProtocol ICMPv6 forces IPv6", rules: "ingress:\n- action: Allow\n  notProtocol: ICMPv6\n  ipVersion: 4",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].ipVersion: must be 6 with protocol ICMPv6"}},
		{name: "nets syntax", rules: "egress:\n- action: Allow\n  destination:\n    nets: [10.0.0.1, 10.0.0.1/8, bogus]",
			want: []string{
				`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.nets[0]: "10.0.0.1" is not a CIDR: write 10.0.0.1/32`,
				`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.nets[1]: "10.0.0.1/8" has host bits set: write 10.0.0.0/8`,
				`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.nets[2]: "bogus" is not a valid CIDR`,
			}},
		{name: "catch-all notNets", rules: "egress:\n- action: Allow\n  destination:\n    notNets: [0.0.0.0/0, '::/0']",
			want: []string{
				`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.notNets[0]: catch-all CIDR "0.0.0.0/0" in a negation matches no traffic`,
				`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.notNets[1]: catch-all CIDR "::/0" in a negation matches no traffic`,
			}},
		{name: "mixed families", rules: "egress:\n- action: Allow\n  source: {nets: [10.0.0.0/8]}\n  destination: {nets: ['fd00::/8']}",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.nets: rule contains both IPv4 and IPv6 CIDRs"}},
		{name: "ipVersion against nets", rules: "egress:\n- action: Allow\n  ipVersion: 6\n  destination: {nets: [10.0.0.0/8]}",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.nets: rule IP version doesn't match CIDR version"}},
		{name: "selector syntax error with offset", rules: "ingress:\n- action: Allow\n  source:\n    selector: app == 'x' &&",
			want: []string{`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.selector: selector "app == 'x' &&": offset 13: expected label, found end of input`}},
		{name: "global() in a rule selector", rules: "ingress:\n- action: Allow\n  source:\n    selector: global() && a == 'b'",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.selector: global() can only be used in an EntityRule namespaceSelector"}},
		{name: "global() combined in namespaceSelector", rules: "ingress:\n- action: Allow\n  source:\n    namespaceSelector: global() || all()",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.namespaceSelector: global() cannot be combined with other selectors"}},
		{name: "global() in the policy selectors", rules: "selector: global()\nnamespaceSelector: global()\nserviceAccountSelector: global()",
			want: []string{
				"test.yaml:6 (doc 1, GlobalNetworkPolicy p): spec.selector: global() can only be used in an EntityRule namespaceSelector",
				"test.yaml:7 (doc 1, GlobalNetworkPolicy p): spec.namespaceSelector: global() can only be used in an EntityRule namespaceSelector",
				"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.serviceAccountSelector: global() can only be used in an EntityRule namespaceSelector",
			}},
		{name: "policy selector syntax", rules: "serviceAccountSelector: a in b",
			want: []string{`test.yaml:6 (doc 1, GlobalNetworkPolicy p): spec.serviceAccountSelector: selector "a in b": offset 5: expected "{" after "in", found label "b"`}},
		{name: "http on egress, Deny, UDP", rules: "egress:\n- action: Deny\n  protocol: UDP\n  http: {methods: [GET, GET], paths: [{exact: a}]}",
			want: []string{
				"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.egress[0].protocol: rules that specify HTTP fields must set protocol to TCP or leave it out",
				`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].http.methods[1]: duplicate method "GET"`,
				`test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].http.paths[0]: invalid path "a": must start with / and not contain ?, # or spaces`,
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].http: not allowed in egress rules",
			}},
		{name: "http on a Deny ingress rule", rules: "ingress:\n- action: Deny\n  http: {paths: [{exact: /a, prefix: /b}]}",
			want: []string{
				"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].http.paths[0]: both exact and prefix are set",
				"test.yaml:8 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].http: only valid for Allow rules",
			}},
		{name: "services misplaced and combined", rules: "ingress:\n- action: Allow\n  protocol: TCP\n  destination:\n    services: {name: a, namespace: b}\n    ports: [80]\n  source:\n    services: {namespace: b}\n    selector: x == 'y'\n    nets: [10.0.0.0/8]",
			want: []string{
				"test.yaml:10 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.services: not allowed in ingress rule destination",
				"test.yaml:11 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.ports: cannot specify ports with a service selector",
				"test.yaml:13 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.services.name: must specify a service name",
				"test.yaml:13 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.services: cannot specify Selector/NotSelector and Services on the same rule",
				"test.yaml:13 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.services: cannot specify Nets/NotNets and Services on the same rule",
			}},
		{name: "GNP services need a namespace", rules: "egress:\n- action: Allow\n  destination:\n    services: {name: a}",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.services.namespace: must specify a namespace"}},
		{name: "services in an egress source", rules: "egress:\n- action: Allow\n  source:\n    services: {name: a, namespace: b}\n    namespaceSelector: all()\n    serviceAccounts: {names: [x]}",
			want: []string{
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].source.services: not allowed in egress rule source",
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].source.services: cannot specify NamespaceSelector and Services on the same rule",
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].source.services: cannot specify ServiceAccounts and Services on the same rule",
			}},
		{name: "domains outside an egress destination", rules: "ingress:\n- action: Allow\n  source:\n    domains: [a.example]",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].source.domains: domains (Calico Enterprise) are only allowed in the destination of egress rules"}},
		{name: "domains need Allow and no nets or selector", rules: "egress:\n- action: Deny\n  destination:\n    domains: [a.example]\n    nets: [10.0.0.0/8]",
			want: []string{
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.domains: only valid for Allow rules",
				"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.egress[0].destination.domains: cannot be combined with destination nets or selector",
			}},
		{name: "types", rules: "types: [Ingress, Ingress, Other]",
			want: []string{
				"test.yaml:6 (doc 1, GlobalNetworkPolicy p): spec.types: 'Ingress' type specified more than once",
				`test.yaml:6 (doc 1, GlobalNetworkPolicy p): spec.types[2]: "Other": must be Ingress or Egress`,
			}},
		{name: "performance hints", rules: "performanceHints: [Fast]",
			want: []string{`test.yaml:6 (doc 1, GlobalNetworkPolicy p): spec.performanceHints[0]: "Fast": must be AssumeNeededOnEveryNode`}},
		{name: "unknown field", rules: "ingress:\n- action: Allow\n  destination:\n    nett: [10.0.0.0/8]",
			want: []string{"test.yaml:9 (doc 1, GlobalNetworkPolicy p): spec.ingress[0].destination.nett: unknown field"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, problems := readObjects(t, calicoYAML("GlobalNetworkPolicy", "p", tc.rules))
			assert.Equal(t, tc.want, problems)
			assert.Empty(t, objs.Policies)
		})
	}
}

func TestTiers(t *testing.T) {
	tier := func(name, spec string) string {
		return "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: " + name + "\nspec:\n" + indent(2, spec) + "\n"
	}
	t.Run("user tier", func(t *testing.T) {
		objs, problems := readObjects(t, tier("sec", "order: 100\ndefaultAction: Pass"))
		require.Empty(t, problems)
		require.Len(t, objs.Tiers, 1)
		assert.Equal(t, "sec", objs.Tiers[0].Name)
		assert.Equal(t, 100.0, *objs.Tiers[0].Order)
		assert.Equal(t, Pass, objs.Tiers[0].DefaultAction)
	})
	t.Run("no order, default Deny", func(t *testing.T) {
		objs, problems := readObjects(t, tier("sec", "{}"))
		require.Empty(t, problems)
		assert.Nil(t, objs.Tiers[0].Order)
		assert.Equal(t, Deny, objs.Tiers[0].DefaultAction)
	})
	t.Run("built-in tiers keep their order", func(t *testing.T) {
		objs, problems := readObjects(t, tier("default", "order: 1000000"))
		require.Empty(t, problems)
		require.Len(t, objs.Tiers, 1)
		for _, tc := range []struct{ name, want string }{
			{"default", "test.yaml:6 (doc 1, Tier default): spec.order: default tier order must be 1000000"},
			{"adminnetworkpolicy", "test.yaml:6 (doc 1, Tier adminnetworkpolicy): spec.order: adminnetworkpolicy tier order must be 1000"},
			{"baselineadminnetworkpolicy", "test.yaml:6 (doc 1, Tier baselineadminnetworkpolicy): spec.order: baselineadminnetworkpolicy tier order must be 10000000"},
		} {
			_, problems := readObjects(t, tier(tc.name, "order: 5"))
			assert.Equal(t, []string{tc.want}, problems)
		}
	})
	t.Run("bad name and action", func(t *testing.T) {
		_, problems := readObjects(t, tier("a.b", "defaultAction: Allow"))
		assert.Equal(t, []string{
			`test.yaml:4 (doc 1, Tier a.b): metadata.name: "a.b": must be lower-case letters, digits and '-' (regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)`,
			`test.yaml:6 (doc 1, Tier a.b): spec.defaultAction: "Allow": must be Deny or Pass`,
		}, problems)
	})
}

func TestNetworkSetsHostEndpointsProfiles(t *testing.T) {
	src := `apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: ext
  labels: {role: ext}
spec:
  nets: [203.0.113.7, 198.51.100.9/24]
  allowedEgressDomains: [example.com]
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkSet
metadata:
  name: local
  namespace: ns1
spec:
  nets: ['fd00::1/64']
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-eth0
  labels: {host: "yes"}
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [192.0.2.1]
  profiles: [hosts]
  ports:
  - {name: ssh, port: 22, protocol: TCP}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: hosts
spec:
  labelsToApply: {zone: a}
  ingress:
  - action: Allow
    source: {selector: role == 'ext'}
  egress:
  - action: Allow
`
	objs, problems := readObjects(t, src)
	require.Empty(t, problems)
	require.Len(t, objs.NetworkSets, 2)
	g := objs.NetworkSets[0]
	assert.Equal(t, "", g.Namespace)
	assert.Equal(t, "[203.0.113.7/32, 198.51.100.0/24]", dumpPrefixes(g.Nets))
	assert.Equal(t, []string{"example.com"}, g.AllowedDomains)
	assert.Equal(t, "ns1", objs.NetworkSets[1].Namespace)
	assert.Equal(t, "[fd00::/64]", dumpPrefixes(objs.NetworkSets[1].Nets))
	require.Len(t, objs.HostEndpoints, 1)
	assert.Equal(t, "node1-eth0 node node1 interface eth0 expectedIPs [192.0.2.1] profiles [hosts] ports [ssh=22/TCP] {host=yes}", dumpHostEndpoint(objs.HostEndpoints[0]))
	require.Len(t, objs.Profiles, 1)
	assert.Equal(t, []string{`0: Allow from selector role == "ext" (spec.ingress[0])`}, ruleLines(objs.Profiles[0].Ingress))
	assert.Equal(t, []string{"0: Allow everything (spec.egress[0])"}, ruleLines(objs.Profiles[0].Egress))

	bad := `apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: h
spec:
  expectedIPs: [not-an-ip]
  ports:
  - {name: SSH, port: 0, protocol: ICMP}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata:
  name: n
  labels: {projectcalico.org/namespace: x}
spec:
  nets: [300.0.0.0/8]
`
	_, problems = readObjects(t, bad)
	assert.Equal(t, []string{
		"test.yaml:5 (doc 1, HostEndpoint h): spec.node: no node has been specified",
		`test.yaml:6 (doc 1, HostEndpoint h): spec.expectedIPs[0]: "not-an-ip" is not an IP address`,
		`test.yaml:8 (doc 1, HostEndpoint h): spec.ports[0].name: "SSH" is not a valid port name: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z)`,
		`test.yaml:8 (doc 1, HostEndpoint h): spec.ports[0].protocol: "ICMP": must be TCP, UDP or SCTP`,
		"test.yaml:8 (doc 1, HostEndpoint h): spec.ports[0].port: must be from 1 to 65535",
		"test.yaml:14 (doc 2, NetworkSet default/n): metadata.labels: projectcalico.org/namespace is not a valid label name",
		`test.yaml:16 (doc 2, NetworkSet default/n): spec.nets[0]: "300.0.0.0/8" is not an IP address or CIDR`,
	}, problems)
}
