package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/selector"
)

func calicoYAML(kind, name, spec string) string {
	ns := "  namespace: ns1\n"
	if kind == "GlobalNetworkPolicy" || kind == "StagedGlobalNetworkPolicy" {
		ns = ""
	}
	return "apiVersion: projectcalico.org/v3\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n" + ns + "spec:\n" + indent(2, spec) + "\n"
}

func selString(s *selector.Selector) string {
	if s == nil {
		return "<none>"
	}
	return s.String()
}

// TestRuleSelectorScoping checks every row of the table in semantics §4.4,
// through the Calico NetworkPolicy and GlobalNetworkPolicy converters.
func TestRuleSelectorScoping(t *testing.T) {
	tests := []struct {
		name   string
		kind   string // NetworkPolicy (in ns1) or GlobalNetworkPolicy
		entity string // the source EntityRule of an ingress rule
		pos    string
		neg    string
	}{
		{name: "NP selector", kind: "NetworkPolicy", entity: "selector: a == 'x'",
			pos: `(projectcalico.org/namespace == "ns1" && a == "x")`, neg: "<none>"},
		{name: "NP notSelector only limits to the namespace", kind: "NetworkPolicy", entity: "notSelector: has(b)",
			pos: `projectcalico.org/namespace == "ns1"`, neg: "has(b)"},
		{name: "NP namespaceSelector only", kind: "NetworkPolicy", entity: "namespaceSelector: team == 'y'",
			pos: `pcns.team == "y"`, neg: "<none>"},
		{name: "NP namespaceSelector global() with selector", kind: "NetworkPolicy", entity: "namespaceSelector: global()\nselector: role == 'db'",
			pos: `(!has(projectcalico.org/namespace) && role == "db")`, neg: "<none>"},
		{name: "NP namespaceSelector global() with blanks", kind: "NetworkPolicy", entity: "namespaceSelector: ' global() '",
			pos: `!has(projectcalico.org/namespace)`, neg: "<none>"},
		{name: "NP namespaceSelector all() with selector", kind: "NetworkPolicy", entity: "namespaceSelector: all()\nselector: a == 'x'",
			pos: `(has(projectcalico.org/namespace) && a == "x")`, neg: "<none>"},
		{name: "NP namespaceSelector !all()", kind: "NetworkPolicy", entity: "namespaceSelector: '!all()'",
			pos: `!has(projectcalico.org/namespace)`, neg: "<none>"},
		{name: "NP only nets: no selector", kind: "NetworkPolicy", entity: "nets: [10.0.0.0/8]",
			pos: "<none>", neg: "<none>"},
		{name: "GNP selector", kind: "GlobalNetworkPolicy", entity: "selector: a == 'x'",
			pos: `a == "x"`, neg: "<none>"},
		{name: "GNP notSelector only: anything but", kind: "GlobalNetworkPolicy", entity: "notSelector: has(b)",
			pos: "<none>", neg: "has(b)"},
		{name: "GNP namespaceSelector", kind: "GlobalNetworkPolicy", entity: "namespaceSelector: x == 'y'",
			pos: `pcns.x == "y"`, neg: "<none>"},
		{name: "NP selector all()", kind: "NetworkPolicy", entity: "selector: all()",
			pos: `(projectcalico.org/namespace == "ns1" && all())`, neg: "<none>"},
		{name: "GNP selector all()", kind: "GlobalNetworkPolicy", entity: "selector: all()",
			pos: "all()", neg: "<none>"},
		{name: "selector omitted", kind: "GlobalNetworkPolicy", entity: "ports: [80]",
			pos: "<none>", neg: "<none>"},
		{name: "NP notSelector is never prefixed", kind: "NetworkPolicy", entity: "namespaceSelector: a == 'b'\nnotSelector: c == 'd'",
			pos: `pcns.a == "b"`, neg: `c == "d"`},
		{name: "NP service accounts: selector AND names, then selector, scoped", kind: "NetworkPolicy",
			entity: "serviceAccounts: {names: [b, a], selector: role == 'x'}\nselector: app == 'y'",
			pos:    `(projectcalico.org/namespace == "ns1" && pcsa.role == "x" && projectcalico.org/serviceaccount in {"a", "b"} && app == "y")`, neg: "<none>"},
		{name: "GNP service account names only", kind: "GlobalNetworkPolicy", entity: "serviceAccounts: {names: [a]}",
			pos: `projectcalico.org/serviceaccount in {"a"}`, neg: "<none>"},
		{name: "empty serviceAccounts sets nothing", kind: "NetworkPolicy", entity: "serviceAccounts: {}",
			pos: "<none>", neg: "<none>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := "ingress:\n- action: Allow\n  protocol: TCP\n  source:\n" + indent(4, tc.entity)
			p := onePolicy(t, calicoYAML(tc.kind, "p", spec))
			require.Len(t, p.IngressRules, 1)
			src := p.IngressRules[0].Source
			assert.Equal(t, tc.pos, selString(src.Selector))
			assert.Equal(t, tc.neg, selString(src.NotSelector))
		})
	}
}

// TestPolicySelector checks the effective policy selectors of §4.9.
func TestPolicySelector(t *testing.T) {
	tests := []struct {
		name string
		kind string
		spec string
		want string
	}{
		{name: "NP empty selector", kind: "NetworkPolicy", spec: "selector: ''", want: `projectcalico.org/namespace == "ns1"`},
		{name: "NP selector", kind: "NetworkPolicy", spec: "selector: a == 'b'", want: `(a == "b" && projectcalico.org/namespace == "ns1")`},
		{name: "NP serviceAccountSelector: pcsa., all() kept", kind: "NetworkPolicy", spec: "selector: a == 'b'\nserviceAccountSelector: all()",
			want: `(a == "b" && projectcalico.org/namespace == "ns1" && all())`},
		{name: "NP serviceAccountSelector", kind: "NetworkPolicy", spec: "serviceAccountSelector: role == 'x'",
			want: `(projectcalico.org/namespace == "ns1" && pcsa.role == "x")`},
		{name: "GNP empty selects everything", kind: "GlobalNetworkPolicy", spec: "order: 1", want: "all()"},
		{name: "GNP namespaceSelector all() only", kind: "GlobalNetworkPolicy", spec: "namespaceSelector: all()",
			want: "has(projectcalico.org/namespace)"},
		{name: "GNP selector all() rewritten by namespaceSelector", kind: "GlobalNetworkPolicy", spec: "selector: all()\nnamespaceSelector: x == 'y'",
			want: `(has(projectcalico.org/namespace) && pcns.x == "y")`},
		{name: "GNP selector and namespaceSelector all()", kind: "GlobalNetworkPolicy", spec: "selector: a == 'b'\nnamespaceSelector: all()",
			want: `(a == "b" && has(projectcalico.org/namespace))`},
		{name: "GNP serviceAccountSelector all()", kind: "GlobalNetworkPolicy", spec: "serviceAccountSelector: all()",
			want: "has(projectcalico.org/serviceaccount)"},
		{name: "GNP selector all() rewritten by serviceAccountSelector", kind: "GlobalNetworkPolicy", spec: "selector: all()\nserviceAccountSelector: role == 'x'",
			want: `(has(projectcalico.org/serviceaccount) && pcsa.role == "x")`},
		{name: "GNP all three", kind: "GlobalNetworkPolicy", spec: "selector: a == 'b'\nnamespaceSelector: x == 'y'\nserviceAccountSelector: r == 's'",
			want: `(a == "b" && pcns.x == "y" && pcsa.r == "s")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onePolicy(t, calicoYAML(tc.kind, "p", tc.spec))
			assert.Equal(t, tc.want, p.Selector.String())
		})
	}
}

func TestScopeEntityDirect(t *testing.T) {
	a := selector.MustParse("a == 'x'")
	pos, neg := scopeEntity(entitySelectors{Selector: &a}, "")
	assert.Equal(t, `a == "x"`, selString(pos))
	assert.Nil(t, neg)
	pos, neg = scopeEntity(entitySelectors{}, "ns")
	assert.Nil(t, pos, "no selector field: no constraint, even in a namespaced policy")
	assert.Nil(t, neg)
}
