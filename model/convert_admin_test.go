package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func anpYAML(kind, name, spec string) string {
	return "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: " + kind + "\nmetadata:\n  name: " + name + "\nspec:\n" + indent(2, spec) + "\n"
}

const orchHasNS = `(projectcalico.org/orchestrator == "k8s" && has(projectcalico.org/namespace))`

// TestAdminNetworkPolicy checks the mapping of semantics §2.2 and each
// Calico quirk.
func TestAdminNetworkPolicy(t *testing.T) {
	tests := []struct {
		name     string
		spec     string
		selector string
		types    string
		ingress  []string
		egress   []string
		notes    []string
	}{
		{
			name:     "namespaces subject: orchestrator clause and pcns. labels",
			spec:     "priority: 5\nsubject: {namespaces: {matchLabels: {team: a}}}\ningress:\n- action: Deny\n  from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: x}}}}]",
			selector: `(projectcalico.org/orchestrator == "k8s" && pcns.team == "a")`,
			types:    "Ingress",
			ingress:  []string{`0: Deny from selector (has(projectcalico.org/namespace) && projectcalico.org/orchestrator == "k8s" && app == "x") (spec.ingress[0].from[0])`},
		},
		{
			name:     "pods subject with empty namespace selector",
			spec:     "priority: 5\nsubject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: x}}}}\negress:\n- action: Pass\n  to: [{networks: [10.0.0.0/8]}]",
			selector: `(projectcalico.org/orchestrator == "k8s" && app == "x" && has(projectcalico.org/namespace))`,
			types:    "Egress",
			egress:   []string{"0: Pass to nets [10.0.0.0/8] (spec.egress[0].to[0])"},
		},
		{
			name:     "namespaces peer has no orchestrator clause",
			spec:     "priority: 5\nsubject: {namespaces: {}}\ningress:\n- action: Allow\n  from: [{namespaces: {matchLabels: {team: b}}}]",
			selector: orchHasNS,
			types:    "Ingress",
			ingress:  []string{`0: Allow from selector pcns.team == "b" (spec.ingress[0].from[0])`},
			notes:    []string{"spec.ingress[0].from[0]: a namespaces peer has no orchestrator clause: it matches namespaced NetworkSets in those namespaces too"},
		},
		{
			name:  "ports: protocols sorted, times peers",
			spec:  "priority: 5\nsubject: {namespaces: {}}\negress:\n- action: Deny\n  to: [{networks: [10.0.0.0/8]}, {networks: [192.168.0.0/16]}]\n  ports:\n  - portNumber: {port: 53, protocol: UDP}\n  - portRange: {start: 80, end: 89}\n  - portNumber: {port: 90, protocol: TCP}",
			types: "Egress",
			egress: []string{
				"0: Deny TCP to nets [10.0.0.0/8] ports [80-90] (spec.egress[0].to[0] ports[1,2])",
				"1: Deny TCP to nets [192.168.0.0/16] ports [80-90] (spec.egress[0].to[1] ports[1,2])",
				"2: Deny UDP to nets [10.0.0.0/8] ports [53] (spec.egress[0].to[0] ports[0])",
				"3: Deny UDP to nets [192.168.0.0/16] ports [53] (spec.egress[0].to[1] ports[0])",
			},
		},
		{
			name:    "namedPort quirk: every protocol and port",
			spec:    "priority: 5\nsubject: {namespaces: {}}\ningress:\n- action: Allow\n  from: [{pods: {namespaceSelector: {}, podSelector: {}}}]\n  ports:\n  - portNumber: {port: 443, protocol: TCP}\n  - namedPort: http",
			types:   "Ingress",
			ingress: []string{`0: Allow from selector (has(projectcalico.org/namespace) && projectcalico.org/orchestrator == "k8s") (spec.ingress[0].from[0] ports[0,1])`},
			notes:   []string{"spec.ingress[0].ports[1]: namedPort is not implemented by Calico v3.31: the rule matches every protocol and port"},
		},
		{
			name:   "nodes peer fails closed: Deny stays an unconditional Deny",
			spec:   "priority: 5\nsubject: {namespaces: {}}\negress:\n- action: Deny\n  to: [{networks: [10.0.0.0/8]}, {nodes: {}}]\n- action: Allow\n  to: [{networks: [10.0.0.0/8]}]",
			types:  "Egress",
			egress: []string{"0: Deny everything (spec.egress[0])", "1: Allow to nets [10.0.0.0/8] (spec.egress[1].to[0])"},
			notes:  []string{"spec.egress[0]: to[1]: nodes peers are not supported by Calico v3.31: Calico replaces this Deny rule by an unconditional Deny"},
		},
		{
			name:   "domainNames peer fails closed: Pass becomes Deny",
			spec:   "priority: 5\nsubject: {namespaces: {}}\negress:\n- action: Pass\n  to: [{domainNames: [example.com]}]",
			types:  "Egress",
			egress: []string{"0: Deny everything (spec.egress[0])"},
			notes:  []string{"spec.egress[0]: to[0]: domainNames peers are not supported by Calico v3.31: Calico replaces this Pass rule by an unconditional Deny"},
		},
		{
			name:  "failed Allow rule is dropped; no rules left means no type",
			spec:  "priority: 5\nsubject: {namespaces: {}}\negress:\n- action: Allow\n  to: [{nodes: {matchLabels: {a: b}}}]",
			types: "none",
			notes: []string{"spec.egress[0]: to[0]: nodes peers are not supported by Calico v3.31: Calico drops this Allow rule"},
		},
		{
			name:  "port range start above end fails closed",
			spec:  "priority: 5\nsubject: {namespaces: {}}\ningress:\n- action: Allow\n  from: [{namespaces: {}}]\n  ports: [{portRange: {start: 90, end: 80}}]\n- action: Deny\n  from: [{namespaces: {}}]",
			types: "Ingress",
			ingress: []string{
				"0: Deny from selector has(projectcalico.org/namespace) (spec.ingress[1].from[0])",
			},
			notes: []string{
				"spec.ingress[0]: ports[0]: port range start 90 is greater than end 80: Calico drops this Allow rule",
				"spec.ingress[1].from[0]: a namespaces peer has no orchestrator clause: it matches namespaced NetworkSets in those namespaces too",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onePolicy(t, anpYAML("AdminNetworkPolicy", "a", tc.spec))
			assert.Equal(t, AdminNetworkPolicy, p.Kind)
			assert.Equal(t, AdminNetworkPolicyTier, p.Tier)
			assert.Equal(t, 5.0, *p.Order)
			assert.Equal(t, "kanp.adminnetworkpolicy.a", p.SortKey)
			if tc.selector != "" {
				assert.Equal(t, tc.selector, p.Selector.String())
			}
			assert.Equal(t, tc.types, types(p))
			assert.Equal(t, tc.ingress, ruleLines(p.IngressRules))
			assert.Equal(t, tc.egress, ruleLines(p.EgressRules))
			assert.Equal(t, tc.notes, p.Notes)
		})
	}
}

func TestBaselineAdminNetworkPolicy(t *testing.T) {
	p := onePolicy(t, anpYAML("BaselineAdminNetworkPolicy", "default", "subject: {namespaces: {}}\ningress:\n- action: Deny\n  from: [{namespaces: {}}]"))
	assert.Equal(t, BaselineAdminNetworkPolicy, p.Kind)
	assert.Equal(t, BaselineAdminNetworkPolicyTier, p.Tier)
	assert.Equal(t, 1000.0, *p.Order)
	assert.Equal(t, "kbanp.baselineadminnetworkpolicy.default", p.SortKey)
	assert.Equal(t, orchHasNS, p.Selector.String())
	assert.Equal(t, "Ingress", types(p))

	_, problems := readObjects(t, anpYAML("BaselineAdminNetworkPolicy", "other", "subject: {namespaces: {}}\ningress:\n- action: Pass\n  from: [{namespaces: {}}]"))
	assert.Equal(t, []string{
		`test.yaml:4 (doc 1, BaselineAdminNetworkPolicy other): metadata.name: "other": only one baseline admin network policy, with metadata.name="default", can be created in the cluster`,
		`test.yaml:8 (doc 1, BaselineAdminNetworkPolicy other): spec.ingress[0].action: Unsupported value: "Pass": supported values: "Allow", "Deny"`,
	}, problems)
}

func TestAdminNetworkPolicyInvalid(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{name: "priority and subject", spec: "priority: 1001\nsubject: {}",
			want: []string{
				"test.yaml:6 (doc 1, AdminNetworkPolicy a): spec.priority: 1001: must be from 0 to 1000",
				`test.yaml:7 (doc 1, AdminNetworkPolicy a): spec.subject: Invalid value: "": exactly one of namespaces and pods must be set`,
			}},
		{name: "peers and ports", spec: "priority: 1\nsubject: {namespaces: {}}\negress:\n- action: Allow\n  to: [{networks: [10.0.0.1/8]}, {}]\n  ports: [{namedPort: x}, {portNumber: {port: 0, protocol: ICMP}}]",
			want: []string{
				`test.yaml:10 (doc 1, AdminNetworkPolicy a): spec.egress[0].to[0].networks[0]: Invalid value: "10.0.0.1/8": Invalid CIDR format provided`,
				`test.yaml:10 (doc 1, AdminNetworkPolicy a): spec.egress[0].to[0]: Invalid value: "": networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames`,
				"test.yaml:10 (doc 1, AdminNetworkPolicy a): spec.egress[0].to[1]: Invalid value: 0: exactly one peer field must be set",
				`test.yaml:11 (doc 1, AdminNetworkPolicy a): spec.egress[0].ports[1].portNumber.protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"`,
				"test.yaml:11 (doc 1, AdminNetworkPolicy a): spec.egress[0].ports[1].portNumber.port: Invalid value: 0: must be between 1 and 65535, inclusive",
			}},
		{name: "no peers", spec: "priority: 1\nsubject: {namespaces: {}}\ningress:\n- action: Allow\n  from: []",
			want: []string{"test.yaml:10 (doc 1, AdminNetworkPolicy a): spec.ingress[0].from: Invalid value: 0: must have from 1 to 100 peers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, problems := readObjects(t, anpYAML("AdminNetworkPolicy", "a", tc.spec))
			assert.Equal(t, tc.want, problems)
			require.Empty(t, objs.Policies)
		})
	}
}
