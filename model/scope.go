package model

import "github.com/reach-sim/reach/selector"

// This file turns the selector fields of a rule side and of a policy into the
// effective selectors Felix evaluates (semantics §4.4 and §4.9), following
// Calico v3.31's libcalico-go/lib/backend/syncersv1/updateprocessors
// (rules.go GetEntityRuleSelector, networkpolicyprocessor.go,
// globalnetworkpolicyprocessor.go). Calico builds these selectors by pasting
// strings and then substituting text in them; reach builds the same trees
// with the selector constructors, so canonical strings may differ from
// Calico's only in how && groups are nested.

// entitySelectors are the parsed selector fields of one side of a rule. A nil
// field was left out (or empty) in the manifest: Calico treats an empty
// string as "not set".
type entitySelectors struct {
	Selector          *selector.Selector
	NotSelector       *selector.Selector
	NamespaceSelector *selector.Selector
	// ServiceAccountNames and ServiceAccountSelector come from
	// serviceAccounts.names and serviceAccounts.selector.
	ServiceAccountNames    []string
	ServiceAccountSelector *selector.Selector
}

var (
	hasNamespace      = selector.Has(LabelNamespace)
	notHasNamespace   = selector.Not(selector.Has(LabelNamespace))
	hasServiceAccount = selector.Has(LabelServiceAccount)
	k8sOrchestrator   = selector.Eq(LabelOrchestrator, OrchestratorK8s)
)

// namespaceScope returns the rule namespaceSelector as Calico evaluates it:
// every label prefixed with pcns., all() meaning "any namespaced object"
// (has(projectcalico.org/namespace)) and global() meaning "any non-namespaced
// object" (!has(projectcalico.org/namespace)).
func namespaceScope(s selector.Selector) selector.Selector {
	return s.PrefixLabels(NamespacePrefix).ReplaceAll(hasNamespace).ReplaceGlobal(notHasNamespace)
}

// serviceAccountScope returns the serviceAccounts match as a selector:
// the selector with labels prefixed pcsa., AND the names as
// projectcalico.org/serviceaccount in {...}. It returns nil when neither is
// given.
func serviceAccountScope(names []string, sel *selector.Selector) *selector.Selector {
	var parts []selector.Selector
	if sel != nil {
		parts = append(parts, sel.PrefixLabels(ServiceAcctPrefix))
	}
	if len(names) > 0 {
		parts = append(parts, selector.In(LabelServiceAccount, names...))
	}
	return andOf(parts)
}

// scopeEntity returns the effective positive and negative selectors of one
// side of a rule in a policy of namespace ns ("" for global policies and
// profiles), per semantics §4.4:
//
//   - the namespace part N is the pcns.-prefixed namespaceSelector when set,
//     otherwise projectcalico.org/namespace == ns in a namespaced policy,
//     otherwise nothing;
//   - S is the service-account part AND the selector;
//   - the positive selector is N && S when N exists and any of selector,
//     serviceAccounts, notSelector or namespaceSelector is set (so a lone
//     notSelector in a namespaced policy still limits the side to the
//     policy's namespace), and S otherwise; nil means no constraint;
//   - the negative selector is notSelector as written, never scoped.
func scopeEntity(e entitySelectors, ns string) (pos, neg *selector.Selector) {
	var n *selector.Selector
	switch {
	case e.NamespaceSelector != nil:
		s := namespaceScope(*e.NamespaceSelector)
		n = &s
	case ns != "":
		s := selector.Eq(LabelNamespace, ns)
		n = &s
	}
	var parts []selector.Selector
	if sa := serviceAccountScope(e.ServiceAccountNames, e.ServiceAccountSelector); sa != nil {
		parts = append(parts, *sa)
	}
	if e.Selector != nil {
		parts = append(parts, *e.Selector)
	}
	s := andOf(parts)
	if n != nil && (s != nil || e.NotSelector != nil || e.NamespaceSelector != nil) {
		if s == nil {
			s = n
		} else {
			s = andOf([]selector.Selector{*n, *s})
		}
	}
	return s, e.NotSelector
}

// andOf returns the && of parts, or nil when there are none.
func andOf(parts []selector.Selector) *selector.Selector {
	if len(parts) == 0 {
		return nil
	}
	s := selector.And(parts...)
	return &s
}

// namespacedPolicySelector returns the effective selector of a namespaced
// (Calico or converted Kubernetes) policy: its selector (nil when empty) AND
// projectcalico.org/namespace == ns, AND the pcsa.-prefixed
// serviceAccountSelector when set. Calico does not rewrite all() in a
// NetworkPolicy's serviceAccountSelector.
func namespacedPolicySelector(sel *selector.Selector, ns string, saSel *selector.Selector) selector.Selector {
	s := selector.Eq(LabelNamespace, ns)
	if sel != nil {
		s = selector.And(*sel, s)
	}
	if saSel != nil {
		s = selector.And(s, saSel.PrefixLabels(ServiceAcctPrefix))
	}
	return s
}

// globalPolicySelector returns the effective selector of a global policy:
// its selector, AND the pcns.-prefixed namespaceSelector when set, after
// which every all() in the whole selector becomes
// has(projectcalico.org/namespace); then AND the pcsa.-prefixed
// serviceAccountSelector when set, after which every remaining all() becomes
// has(projectcalico.org/serviceaccount). An empty GNP selector with neither
// field selects every workload and host endpoint.
func globalPolicySelector(sel, nsSel, saSel *selector.Selector) selector.Selector {
	var cur *selector.Selector
	if sel != nil {
		cur = sel
	}
	appendSel := func(s selector.Selector) {
		if cur == nil {
			cur = &s
			return
		}
		c := selector.And(*cur, s)
		cur = &c
	}
	if nsSel != nil {
		appendSel(nsSel.PrefixLabels(NamespacePrefix))
		c := cur.ReplaceAll(hasNamespace)
		cur = &c
	}
	if saSel != nil {
		appendSel(saSel.PrefixLabels(ServiceAcctPrefix))
		c := cur.ReplaceAll(hasServiceAccount)
		cur = &c
	}
	if cur == nil {
		return selector.All()
	}
	return *cur
}
