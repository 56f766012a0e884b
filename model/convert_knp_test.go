package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func knpYAML(spec string) string {
	return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: p
  namespace: ns1
spec:
` + indent(2, spec) + "\n"
}

const (
	orchNS1   = `projectcalico.org/orchestrator == "k8s" && projectcalico.org/namespace == "ns1"`
	inNS1Orch = `projectcalico.org/namespace == "ns1" && projectcalico.org/orchestrator == "k8s"`
)

// TestKubernetesNetworkPolicy checks the conversion facts of semantics §6
// and the API-server defaulting of §1.10.
func TestKubernetesNetworkPolicy(t *testing.T) {
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
			name:     "empty spec selects every pod of the namespace for ingress",
			spec:     "podSelector: {}",
			selector: "(" + orchNS1 + ")",
			types:    "Ingress",
		},
		{
			name:     "pod selector labels sorted, expressions in order",
			spec:     "podSelector:\n  matchLabels: {b: \"2\", a: \"1\"}\n  matchExpressions:\n  - {key: z, operator: In, values: [y, x]}\n  - {key: y, operator: NotIn, values: [q]}\n  - {key: x, operator: Exists}\n  - {key: w, operator: DoesNotExist}",
			selector: `(projectcalico.org/orchestrator == "k8s" && a == "1" && b == "2" && z in {"x", "y"} && y not in {"q"} && has(x) && !has(w) && projectcalico.org/namespace == "ns1")`,
			types:    "Ingress",
		},
		{
			name:     "API server adds Egress when there are egress rules",
			spec:     "podSelector: {}\negress:\n- {}",
			selector: "(" + orchNS1 + ")",
			types:    "Ingress,Egress",
			egress:   []string{"0: Allow everything (spec.egress[0])"},
		},
		{
			name:     "explicit Egress only",
			spec:     "podSelector: {}\npolicyTypes: [Egress]",
			selector: "(" + orchNS1 + ")",
			types:    "Egress",
		},
		{
			name:     "egress rules without the Egress type are ignored",
			spec:     "podSelector: {}\npolicyTypes: [Ingress]\negress:\n- {}",
			selector: "(" + orchNS1 + ")",
			types:    "Ingress",
			egress:   []string{"0: Allow everything (spec.egress[0])"},
			notes:    []string{"spec.egress: ignored: policyTypes does not include Egress"},
		},
		{
			name:     "empty from list is one rule without peer",
			spec:     "podSelector: {}\ningress:\n- from: []\n  ports: [{port: 80}]",
			selector: "(" + orchNS1 + ")",
			types:    "Ingress",
			ingress:  []string{"0: Allow TCP to ports [80] (spec.ingress[0] ports[0])"},
		},
		{
			name:    "podSelector-only peer is scoped to the policy namespace",
			spec:    "podSelector: {}\ningress:\n- from:\n  - podSelector: {matchLabels: {app: web}}",
			types:   "Ingress",
			ingress: []string{`0: Allow from selector (` + inNS1Orch + ` && app == "web") (spec.ingress[0].from[0])`},
		},
		{
			name:    "namespaceSelector-only peer: orchestrator clause and pcns. labels",
			spec:    "podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {team: a}}",
			types:   "Ingress",
			ingress: []string{`0: Allow from selector (pcns.team == "a" && projectcalico.org/orchestrator == "k8s") (spec.ingress[0].from[0])`},
		},
		{
			name:    "empty namespaceSelector means every namespace",
			spec:    "podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {}",
			types:   "Ingress",
			ingress: []string{`0: Allow from selector (has(projectcalico.org/namespace) && projectcalico.org/orchestrator == "k8s") (spec.ingress[0].from[0])`},
		},
		{
			name:    "both selectors in one peer are ANDed",
			spec:    "podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {team: a}}\n    podSelector: {matchLabels: {app: web}}",
			types:   "Ingress",
			ingress: []string{`0: Allow from selector (pcns.team == "a" && projectcalico.org/orchestrator == "k8s" && app == "web") (spec.ingress[0].from[0])`},
		},
		{
			name:   "ipBlock becomes masked nets and notNets, no selector",
			spec:   "podSelector: {}\negress:\n- to:\n  - ipBlock:\n      cidr: 10.1.2.3/16\n      except: [10.1.5.7/24, 10.1.9.0/24]",
			types:  "Ingress,Egress",
			egress: []string{"0: Allow to nets [10.1.0.0/16] not nets [10.1.5.0/24, 10.1.9.0/24] (spec.egress[0].to[0])"},
		},
		{
			name:    "port with endPort is a range; protocol defaults to TCP",
			spec:    "podSelector: {}\ningress:\n- ports:\n  - {port: 8000, endPort: 8080}",
			types:   "Ingress",
			ingress: []string{"0: Allow TCP to ports [8000-8080] (spec.ingress[0] ports[0])"},
		},
		{
			name:    "named ports pass through",
			spec:    "podSelector: {}\ningress:\n- ports:\n  - {port: http}\n  - {port: 81}\n  - {port: 80}\n  - {port: metrics}",
			types:   "Ingress",
			ingress: []string{"0: Allow TCP to ports [http, metrics, 80-81] (spec.ingress[0] ports[0,1,2,3])"},
		},
		{
			name:    "a single number and a name keep their order",
			spec:    "podSelector: {}\ningress:\n- ports:\n  - {port: 80}\n  - {port: http}",
			types:   "Ingress",
			ingress: []string{"0: Allow TCP to ports [80, http] (spec.ingress[0] ports[0,1])"},
		},
		{
			name:    "SimplifyPorts merges adjacent and overlapping ports",
			spec:    "podSelector: {}\ningress:\n- ports:\n  - {port: 82}\n  - {port: 80}\n  - {port: 81}\n  - {port: 81}\n  - {port: 90, endPort: 95}\n  - {port: 96}",
			types:   "Ingress",
			ingress: []string{"0: Allow TCP to ports [80-82, 90-96] (spec.ingress[0] ports[0,1,2,3,4,5])"},
		},
		{
			name:    "blank ports: an entry without port absorbs its protocol",
			spec:    "podSelector: {}\ningress:\n- ports:\n  - {port: 80}\n  - {}\n  - {protocol: UDP, port: 53}",
			types:   "Ingress",
			ingress: []string{"0: Allow TCP (spec.ingress[0] ports[0,1])", "1: Allow UDP to ports [53] (spec.ingress[0] ports[2])"},
		},
		{
			name:  "one rule per protocol (sorted) times peer",
			spec:  "podSelector: {}\negress:\n- to:\n  - podSelector: {matchLabels: {a: x}}\n  - ipBlock: {cidr: 192.168.0.0/24}\n  ports:\n  - {protocol: UDP, port: 53}\n  - {protocol: TCP, port: 53}\n  - {protocol: SCTP, port: 9}",
			types: "Ingress,Egress",
			egress: []string{
				`0: Allow SCTP to selector (` + inNS1Orch + ` && a == "x") ports [9] (spec.egress[0].to[0] ports[2])`,
				`1: Allow SCTP to nets [192.168.0.0/24] ports [9] (spec.egress[0].to[1] ports[2])`,
				`2: Allow TCP to selector (` + inNS1Orch + ` && a == "x") ports [53] (spec.egress[0].to[0] ports[1])`,
				`3: Allow TCP to nets [192.168.0.0/24] ports [53] (spec.egress[0].to[1] ports[1])`,
				`4: Allow UDP to selector (` + inNS1Orch + ` && a == "x") ports [53] (spec.egress[0].to[0] ports[0])`,
				`5: Allow UDP to nets [192.168.0.0/24] ports [53] (spec.egress[0].to[1] ports[0])`,
			},
		},
		{
			name:    "rules of several entries are numbered across the list",
			spec:    "podSelector: {}\ningress:\n- from: [{podSelector: {}}]\n- ports: [{port: 1}]",
			types:   "Ingress",
			ingress: []string{`0: Allow from selector (` + inNS1Orch + `) (spec.ingress[0].from[0])`, `1: Allow TCP to ports [1] (spec.ingress[1] ports[0])`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onePolicy(t, knpYAML(tc.spec))
			assert.Equal(t, KubernetesNetworkPolicy, p.Kind)
			assert.Equal(t, DefaultTier, p.Tier)
			require.NotNil(t, p.Order)
			assert.Equal(t, 1000.0, *p.Order)
			assert.Equal(t, "ns1/knp.default.p", p.SortKey)
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

// TestKubernetesNetworkPolicyInvalid checks that what the API server rejects
// is a problem, with its exact line.
func TestKubernetesNetworkPolicyInvalid(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string // problem lines; the spec begins on line 7
	}{
		{
			name: "endPort below port",
			spec: "podSelector: {}\ningress:\n- ports:\n  - port: 90\n    endPort: 80",
			want: []string{"test.yaml:11 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`"},
		},
		{
			name: "endPort with a named port",
			spec: "podSelector: {}\ningress:\n- ports:\n  - port: http\n    endPort: 80",
			want: []string{"test.yaml:11 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is non-numeric"},
		},
		{
			name: "endPort without port",
			spec: "podSelector: {}\ningress:\n- ports:\n  - endPort: 80",
			want: []string{"test.yaml:10 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is not specified"},
		},
		{
			name: "port out of range and bad protocol",
			spec: "podSelector: {}\negress:\n- ports:\n  - port: 0\n    protocol: ICMP",
			want: []string{
				"test.yaml:10 (doc 1, NetworkPolicy ns1/p): spec.egress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
				"test.yaml:11 (doc 1, NetworkPolicy ns1/p): spec.egress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
			},
		},
		{
			name: "invalid port name",
			spec: "podSelector: {}\ningress:\n- ports:\n  - port: \"80\"",
			want: []string{"test.yaml:10 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].ports[0].port: Invalid value: \"80\": must contain at least one letter (a-z)"},
		},
		{
			name: "empty peer",
			spec: "podSelector: {}\ningress:\n- from:\n  - {}",
			want: []string{"test.yaml:10 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].from[0]: Required value: must specify a peer"},
		},
		{
			name: "ipBlock with another peer",
			spec: "podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8}\n    podSelector: {}",
			want: []string{"test.yaml:10 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer"},
		},
		{
			name: "except outside cidr",
			spec: "podSelector: {}\ningress:\n- from:\n  - ipBlock:\n      cidr: 10.0.0.0/16\n      except: [10.1.0.0/24, 10.0.0.0/16]",
			want: []string{
				"test.yaml:12 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"10.1.0.0/24\": must be a strict subset of `cidr`",
				"test.yaml:12 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: \"10.0.0.0/16\": must be a strict subset of `cidr`",
			},
		},
		{
			name: "invalid cidr",
			spec: "podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/33}",
			want: []string{"test.yaml:10 (doc 1, NetworkPolicy ns1/p): spec.ingress[0].from[0].ipBlock.cidr: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"},
		},
		{
			name: "selector operators and values",
			spec: "podSelector:\n  matchExpressions:\n  - {key: a, operator: Equals, values: [x]}\n  - {key: b, operator: In}\n  - {key: c, operator: Exists, values: [x]}\n  - {key: -bad, operator: Exists}",
			want: []string{
				"test.yaml:9 (doc 1, NetworkPolicy ns1/p): spec.podSelector.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator",
				"test.yaml:10 (doc 1, NetworkPolicy ns1/p): spec.podSelector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
				"test.yaml:11 (doc 1, NetworkPolicy ns1/p): spec.podSelector.matchExpressions[2].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
				"test.yaml:12 (doc 1, NetworkPolicy ns1/p): spec.podSelector.matchExpressions[3].key: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
			},
		},
		{
			name: "label value syntax",
			spec: "podSelector:\n  matchLabels: {app: \"a b\"}",
			want: []string{"test.yaml:8 (doc 1, NetworkPolicy ns1/p): spec.podSelector.matchLabels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
		},
		{
			name: "policy types",
			spec: "podSelector: {}\npolicyTypes: [Ingress, Sideways]",
			want: []string{"test.yaml:8 (doc 1, NetworkPolicy ns1/p): spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\""},
		},
		{
			name: "more than two policy types",
			spec: "podSelector: {}\npolicyTypes: [Ingress, Egress, Ingress]",
			want: []string{"test.yaml:8 (doc 1, NetworkPolicy ns1/p): spec.policyTypes: Invalid value: [\"Ingress\",\"Egress\",\"Ingress\"]: may not specify more than two policyTypes"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, problems := readObjects(t, knpYAML(tc.spec))
			assert.Equal(t, tc.want, problems)
			assert.Empty(t, objs.Policies)
		})
	}
}

func TestStagedKubernetesNetworkPolicy(t *testing.T) {
	const head = "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata:\n  name: p\n  namespace: ns1\nspec:\n"
	t.Run("set: converted like a KNP without API-server type defaulting", func(t *testing.T) {
		p := onePolicy(t, head+indent(2, "podSelector: {}\negress:\n- ports: [{port: 53, protocol: UDP}]")+"\n")
		assert.Equal(t, StagedKubernetesNetworkPolicy, p.Kind)
		assert.True(t, p.Staged)
		assert.Equal(t, "Set", p.StagedAction)
		assert.Equal(t, "ns1/staged:knp.default.p", p.SortKey)
		assert.Equal(t, "Ingress", types(p))
		assert.Equal(t, []string{"0: Allow UDP to ports [53] (spec.egress[0] ports[0])"}, ruleLines(p.EgressRules))
		assert.Equal(t, []string{"spec.egress: ignored: policyTypes does not include Egress"}, p.Notes)
	})
	t.Run("delete: empty, no types, no rules", func(t *testing.T) {
		p := onePolicy(t, head+"  stagedAction: Delete\n")
		assert.Equal(t, "Delete", p.StagedAction)
		assert.Equal(t, "none", types(p))
		assert.Empty(t, p.IngressRules)
	})
	t.Run("delete with a spec", func(t *testing.T) {
		_, problems := readObjects(t, head+"  stagedAction: Delete\n  podSelector: {matchLabels: {a: b}}\n")
		assert.Equal(t, []string{"test.yaml:6 (doc 1, StagedKubernetesNetworkPolicy ns1/p): spec: spec fields should all be zero-value if stagedAction is Delete"}, problems)
	})
	t.Run("bad staged action", func(t *testing.T) {
		_, problems := readObjects(t, head+"  stagedAction: Maybe\n")
		assert.Equal(t, []string{"test.yaml:7 (doc 1, StagedKubernetesNetworkPolicy ns1/p): spec.stagedAction: \"Maybe\": must be Set, Delete, Learn or Ignore"}, problems)
	})
}

func TestSimplifyPorts(t *testing.T) {
	r := func(lo, hi uint16) PortMatch { return PortMatch{Range: PortRange{Min: lo, Max: hi}} }
	n := func(s string) PortMatch { return PortMatch{Name: s} }
	tests := []struct {
		name string
		in   []PortMatch
		want []PortMatch
	}{
		{name: "empty", in: nil, want: nil},
		{name: "one", in: []PortMatch{r(5, 5)}, want: []PortMatch{r(5, 5)}},
		{name: "one number among names stays in place", in: []PortMatch{n("a"), r(5, 5), n("b")}, want: []PortMatch{n("a"), r(5, 5), n("b")}},
		{name: "adjacent", in: []PortMatch{r(3, 3), r(1, 1), r(2, 2)}, want: []PortMatch{r(1, 3)}},
		{name: "gap", in: []PortMatch{r(1, 1), r(3, 3)}, want: []PortMatch{r(1, 1), r(3, 3)}},
		{name: "names first", in: []PortMatch{r(1, 1), n("x"), r(2, 2)}, want: []PortMatch{n("x"), r(1, 2)}},
		{name: "contained range", in: []PortMatch{r(1, 100), r(5, 6)}, want: []PortMatch{r(1, 100)}},
		{name: "whole range", in: []PortMatch{r(1, 65535), r(65535, 65535)}, want: []PortMatch{r(1, 65535)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, simplifyPorts(tc.in))
		})
	}
}
