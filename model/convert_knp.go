package model

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	apiv3 "github.com/projectcalico/api/pkg/apis/projectcalico/v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/reach-sim/reach/selector"
)

// This file converts Kubernetes NetworkPolicy (and Calico's
// StagedKubernetesNetworkPolicy) the way Calico v3.31 does
// (libcalico-go/lib/backend/k8s/conversion/conversion.go,
// K8sNetworkPolicyToCalico; semantics §6), after the validation and
// defaulting the Kubernetes API server applies
// (pkg/apis/networking/validation, pkg/apis/networking/v1/defaults.go).

// convertKubernetesNetworkPolicy reads a networking.k8s.io/v1 NetworkPolicy.
func convertKubernetesNetworkPolicy(d *document, out *Objects) {
	var np networkingv1.NetworkPolicy
	if !d.decode(&np) {
		return
	}
	ns, name, ok := d.objectMeta(&np.ObjectMeta, true)
	if !ok {
		return
	}
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		d.problem("metadata.name", "%q: %s", name, msg)
		ok = false
	}
	if !validateKNPSpec(d, &np.Spec) || !ok {
		return
	}
	defaultKNPSpec(&np.Spec)
	p := convertKNPSpec(d, np.Spec, ns)
	p.Kind = KubernetesNetworkPolicy
	p.Name = name
	p.SortKey = ns + "/" + knpNamePrefix + name
	out.Policies = append(out.Policies, p)
}

// convertStagedKubernetesNetworkPolicy reads a Calico
// StagedKubernetesNetworkPolicy: a Kubernetes NetworkPolicy spec plus
// stagedAction.
//
// Unlike a Kubernetes NetworkPolicy it goes through no Kubernetes API server,
// so its policyTypes are not defaulted: Calico's converter takes empty
// policyTypes as [Ingress] only, even with egress rules (a Note says so).
// reach still applies the Kubernetes validation to it, since Calico would
// otherwise turn an invalid peer into one that matches everything.
//
// With stagedAction Delete the spec must be empty; the policy is kept with
// StagedAction "Delete", no types and no rules, so it selects no direction
// and nothing ever evaluates it (in Calico OSS it is never sent to Felix).
func convertStagedKubernetesNetworkPolicy(d *document, out *Objects) {
	var sp apiv3.StagedKubernetesNetworkPolicy
	if !d.decode(&sp) {
		return
	}
	ns, name, ok := d.objectMeta(&sp.ObjectMeta, true)
	if !ok {
		return
	}
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		d.problem("metadata.name", "%q: %s", name, msg)
		ok = false
	}
	action, ok2 := d.stagedAction(sp.Spec.StagedAction)
	if !ok || !ok2 {
		return
	}
	spec := networkingv1.NetworkPolicySpec{
		PodSelector: sp.Spec.PodSelector,
		Ingress:     sp.Spec.Ingress,
		Egress:      sp.Spec.Egress,
		PolicyTypes: sp.Spec.PolicyTypes,
	}
	var p *Policy
	if action == apiv3.StagedActionDelete {
		empty := apiv3.StagedKubernetesNetworkPolicySpec{StagedAction: apiv3.StagedActionDelete}
		if !equalJSON(empty, sp.Spec) {
			d.problem("spec", "spec fields should all be zero-value if stagedAction is Delete")
			return
		}
		p = &Policy{Namespace: ns, Tier: DefaultTier, Source: d.pos, Notes: []string{stagedDeleteNote}}
	} else {
		if !validateKNPSpec(d, &spec) {
			return
		}
		p = convertKNPSpec(d, spec, ns)
	}
	p.Kind = StagedKubernetesNetworkPolicy
	p.Name = name
	p.SortKey = ns + "/" + stagedPrefix + knpNamePrefix + name
	p.Staged, p.StagedAction = true, string(action)
	out.Policies = append(out.Policies, p)
}

// defaultKNPSpec applies the Kubernetes API server's defaulting: policyTypes
// [Ingress], plus Egress when there are egress rules; protocol TCP.
func defaultKNPSpec(spec *networkingv1.NetworkPolicySpec) {
	if len(spec.PolicyTypes) == 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) > 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
}

// validateKNPSpec reports what the Kubernetes API server would reject
// (ValidateNetworkPolicySpec). IP blocks are validated as the API server does
// without the StrictIPCIDRValidation feature gate: host bits and
// non-canonical forms are accepted, and Calico masks them.
func validateKNPSpec(d *document, spec *networkingv1.NetworkPolicySpec) bool {
	var errs field.ErrorList
	opts := metavalidation.LabelSelectorValidationOptions{}
	specPath := field.NewPath("spec")
	errs = append(errs, metavalidation.ValidateLabelSelector(&spec.PodSelector, opts, specPath.Child("podSelector"))...)
	rules := func(dir, peersName string, n int, ports func(int) []networkingv1.NetworkPolicyPort, peers func(int) []networkingv1.NetworkPolicyPeer) {
		for i := range n {
			p := specPath.Child(dir).Index(i)
			for j, port := range ports(i) {
				errs = append(errs, validateKNPPort(&port, p.Child("ports").Index(j))...)
			}
			for j, peer := range peers(i) {
				errs = append(errs, validateKNPPeer(&peer, p.Child(peersName).Index(j))...)
			}
		}
	}
	rules("ingress", "from", len(spec.Ingress),
		func(i int) []networkingv1.NetworkPolicyPort { return spec.Ingress[i].Ports },
		func(i int) []networkingv1.NetworkPolicyPeer { return spec.Ingress[i].From })
	rules("egress", "to", len(spec.Egress),
		func(i int) []networkingv1.NetworkPolicyPort { return spec.Egress[i].Ports },
		func(i int) []networkingv1.NetworkPolicyPeer { return spec.Egress[i].To })
	types := []string{string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress)}
	if len(spec.PolicyTypes) > 2 {
		errs = append(errs, field.Invalid(specPath.Child("policyTypes"), spec.PolicyTypes, "may not specify more than two policyTypes"))
	} else {
		for i, t := range spec.PolicyTypes {
			if !slices.Contains(types, string(t)) {
				errs = append(errs, field.NotSupported(specPath.Child("policyTypes").Index(i), t, types))
			}
		}
	}
	return d.fieldErrors(errs)
}

// validateKNPPort is Kubernetes' ValidateNetworkPolicyPort.
func validateKNPPort(port *networkingv1.NetworkPolicyPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p := port.Protocol; p != nil && *p != corev1.ProtocolTCP && *p != corev1.ProtocolUDP && *p != corev1.ProtocolSCTP {
		errs = append(errs, field.NotSupported(path.Child("protocol"), *p, []string{"TCP", "UDP", "SCTP"}))
	}
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
			errs = append(errs, field.Invalid(path.Child("port"), port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				errs = append(errs, field.Invalid(path.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*port.EndPort)) {
				errs = append(errs, field.Invalid(path.Child("endPort"), *port.EndPort, msg))
			}
		}
	default:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(port.Port.StrVal) {
			errs = append(errs, field.Invalid(path.Child("port"), port.Port.StrVal, msg))
		}
	}
	return errs
}

// validateKNPPeer is Kubernetes' ValidateNetworkPolicyPeer.
func validateKNPPeer(peer *networkingv1.NetworkPolicyPeer, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	opts := metavalidation.LabelSelectorValidationOptions{}
	n := 0
	if peer.PodSelector != nil {
		n++
		errs = append(errs, metavalidation.ValidateLabelSelector(peer.PodSelector, opts, path.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		errs = append(errs, metavalidation.ValidateLabelSelector(peer.NamespaceSelector, opts, path.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		n++
		errs = append(errs, validateIPBlock(peer.IPBlock, path.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(path, "must specify a peer"))
	case n > 1 && peer.IPBlock != nil:
		errs = append(errs, field.Forbidden(path, "may not specify both ipBlock and another peer"))
	}
	return errs
}

// validateIPBlock is Kubernetes' ValidateIPBlock: each except must be a
// strict subset of cidr.
func validateIPBlock(b *networkingv1.IPBlock, path *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(path.Child("cidr"), "")}
	}
	cidr, errs := parseK8sCIDR(b.CIDR, path.Child("cidr"))
	if errs != nil {
		return errs
	}
	for i, e := range b.Except {
		p := path.Child("except").Index(i)
		except, eerrs := parseK8sCIDR(e, p)
		if eerrs != nil {
			errs = append(errs, eerrs...)
			continue
		}
		if !cidr.Contains(except.Addr()) || cidr.Bits() >= except.Bits() {
			errs = append(errs, field.Invalid(p, e, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

// parseK8sCIDR parses a CIDR as netip does and masks it. Leading zeros,
// which the API server's legacy parser accepts but Calico's converter does
// not (it would turn the peer into one matching everything), are rejected.
func parseK8sCIDR(s string, path *field.Path) (netip.Prefix, field.ErrorList) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, field.ErrorList{field.Invalid(path, s, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")}
	}
	return p.Masked(), nil
}

// convertKNPSpec converts a validated Kubernetes NetworkPolicy spec of
// namespace ns into a default-tier policy of order 1000 (the caller sets
// kind, name and sort key).
func convertKNPSpec(d *document, spec networkingv1.NetworkPolicySpec, ns string) *Policy {
	order := 1000.0
	podSel := labelSelector(&spec.PodSelector, podSelector)
	p := &Policy{
		Namespace: ns,
		Tier:      DefaultTier,
		Order:     &order,
		Selector:  namespacedPolicySelector(podSel, ns, nil),
		Source:    d.pos,
	}
	for _, t := range spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			p.Ingress = true
		case networkingv1.PolicyTypeEgress:
			p.Egress = true
		}
	}
	if !p.Ingress && !p.Egress {
		p.Ingress = true // Calico: no types means [Ingress]
	}
	for i, r := range spec.Ingress {
		origin := fmt.Sprintf("spec.ingress[%d]", i)
		p.IngressRules = append(p.IngressRules, knpRules(origin, "from", r.From, r.Ports, Ingress, ns)...)
	}
	for i, r := range spec.Egress {
		origin := fmt.Sprintf("spec.egress[%d]", i)
		p.EgressRules = append(p.EgressRules, knpRules(origin, "to", r.To, r.Ports, Egress, ns)...)
	}
	number(p.IngressRules)
	number(p.EgressRules)
	if len(p.EgressRules) > 0 && !p.Egress {
		p.Notes = append(p.Notes, "spec.egress: ignored: policyTypes does not include Egress")
	}
	if len(p.IngressRules) > 0 && !p.Ingress {
		p.Notes = append(p.Notes, "spec.ingress: ignored: policyTypes does not include Ingress")
	}
	return p
}

// number sets each rule's Index to its position.
func number(rules []Rule) {
	for i := range rules {
		rules[i].Index = i
	}
}

// protocolPorts is the ports of one protocol of a Kubernetes rule: nil
// Ports means every port; from lists the indices of the port entries that
// contributed.
type protocolPorts struct {
	protocol Protocol // 0 for the group of a rule without ports
	ports    []PortMatch
	all      bool
	from     []int
}

// groupKNPPorts groups a Kubernetes rule's ports by protocol, sorted by
// protocol name, as Calico's k8sRuleToCalico does: a rule without ports is
// one group with no protocol and no ports; an entry without a port makes its
// protocol match every port, absorbing the other entries of that protocol.
func groupKNPPorts(ports []networkingv1.NetworkPolicyPort) []protocolPorts {
	if len(ports) == 0 {
		return []protocolPorts{{all: true}}
	}
	byName := map[string]*protocolPorts{}
	for i, port := range ports {
		proto := corev1.ProtocolTCP
		if port.Protocol != nil {
			proto = *port.Protocol
		}
		g := byName[string(proto)]
		if g == nil {
			p, _ := ParseProtocol(string(proto))
			g = &protocolPorts{protocol: p}
			byName[string(proto)] = g
		}
		g.from = append(g.from, i)
		switch {
		case port.Port == nil:
			g.all, g.ports = true, nil
		case g.all:
		case port.Port.Type == intstr.String:
			g.ports = append(g.ports, PortMatch{Name: port.Port.StrVal})
		default:
			r := PortRange{Min: uint16(port.Port.IntVal), Max: uint16(port.Port.IntVal)}
			if port.EndPort != nil {
				r.Max = uint16(*port.EndPort)
			}
			g.ports = append(g.ports, PortMatch{Range: r})
		}
	}
	var out []protocolPorts
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		g := byName[name]
		g.ports = simplifyPorts(g.ports)
		out = append(out, *g)
	}
	return out
}

// knpRules converts one Kubernetes rule into (#protocols) × (#peers) Allow
// rules, protocols in name order, peers in list order.
func knpRules(origin, peersName string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, dir Direction, ns string) []Rule {
	var out []Rule
	for _, g := range groupKNPPorts(ports) {
		portsNote := ""
		if len(ports) > 0 {
			portsNote = " ports" + indexList(g.from)
		}
		emit := func(peerOrigin string, peer EntityMatch) {
			r := Rule{Action: Allow, Protocol: g.protocol, Origin: peerOrigin + portsNote}
			if dir == Ingress {
				r.Source = peer
				r.Destination.Ports = g.ports
			} else {
				r.Destination = peer
				r.Destination.Ports = g.ports
			}
			out = append(out, r)
		}
		if len(peers) == 0 {
			emit(origin, EntityMatch{})
			continue
		}
		for j := range peers {
			emit(fmt.Sprintf("%s.%s[%d]", origin, peersName, j), knpPeer(&peers[j], ns))
		}
	}
	return out
}

// indexList renders [0,2].
func indexList(idx []int) string {
	s := make([]string, len(idx))
	for i, n := range idx {
		s[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// knpPeer converts a validated peer: an ipBlock becomes nets and notNets
// (masked) with no selector; otherwise the pod selector (always with the
// orchestrator clause) and the namespace selector are scoped as in any
// namespaced policy.
func knpPeer(peer *networkingv1.NetworkPolicyPeer, ns string) EntityMatch {
	var e EntityMatch
	if b := peer.IPBlock; b != nil {
		c, _ := netip.ParsePrefix(b.CIDR)
		e.Nets = []netip.Prefix{c.Masked()}
		for _, x := range b.Except {
			p, _ := netip.ParsePrefix(x)
			e.NotNets = append(e.NotNets, p.Masked())
		}
		return e
	}
	e.Selector, e.NotSelector = scopeEntity(entitySelectors{
		Selector:          labelSelector(peer.PodSelector, podSelector),
		NamespaceSelector: labelSelector(peer.NamespaceSelector, namespaceSelector),
	}, ns)
	return e
}

// selectorRole says how a Kubernetes label selector is converted.
type selectorRole uint8

const (
	// podSelector: always begins with projectcalico.org/orchestrator == k8s,
	// even when nil or empty.
	podSelector selectorRole = iota
	// namespaceSelector: nil is "not set" (the policy's namespace), {} is
	// all() (every namespace).
	namespaceSelector
)

// labelSelector converts a Kubernetes LabelSelector as Calico's
// k8sSelectorToCalico does, building the tree with the selector
// constructors: matchLabels in key order as k == v, then matchExpressions
// in order (In, NotIn, Exists as has(k), DoesNotExist as !has(k)), all
// joined with &&. It returns nil only for a nil namespace selector. The
// selector must have been validated (unknown operators are left out, as
// Calico does).
func labelSelector(s *metav1.LabelSelector, role selectorRole) *selector.Selector {
	var terms []selector.Selector
	if role == podSelector {
		terms = append(terms, k8sOrchestrator)
	}
	if s == nil {
		return andOf(terms)
	}
	if role == namespaceSelector && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		all := selector.All()
		return &all
	}
	for _, k := range slices.Sorted(maps.Keys(s.MatchLabels)) {
		terms = append(terms, selector.Eq(k, s.MatchLabels[k]))
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			terms = append(terms, selector.In(e.Key, e.Values...))
		case metav1.LabelSelectorOpNotIn:
			terms = append(terms, selector.NotIn(e.Key, e.Values...))
		case metav1.LabelSelectorOpExists:
			terms = append(terms, selector.Has(e.Key))
		case metav1.LabelSelectorOpDoesNotExist:
			terms = append(terms, selector.Not(selector.Has(e.Key)))
		}
	}
	if len(terms) == 0 {
		all := selector.All() // an empty pod selector without the clause cannot happen
		return &all
	}
	return andOf(terms)
}

// simplifyPorts merges numeric ports into the fewest ranges, as Calico's
// SimplifyPorts does: with at most one port number in all it returns the
// list unchanged; otherwise named ports first, in order, then the merged
// ranges in ascending order.
func simplifyPorts(ports []PortMatch) []PortMatch {
	if len(ports) <= 1 {
		return ports
	}
	var named []PortMatch
	var ranges []PortRange
	count := 0
	for _, p := range ports {
		if p.Name != "" {
			named = append(named, p)
			continue
		}
		ranges = append(ranges, p.Range)
		count += int(p.Range.Max) - int(p.Range.Min) + 1
	}
	if count <= 1 {
		return ports
	}
	slices.SortFunc(ranges, func(a, b PortRange) int { return int(a.Min) - int(b.Min) })
	out := named
	cur := ranges[0]
	for _, r := range ranges[1:] {
		if int(r.Min) <= int(cur.Max)+1 {
			cur.Max = max(cur.Max, r.Max)
			continue
		}
		out = append(out, PortMatch{Range: cur})
		cur = r
	}
	return append(out, PortMatch{Range: cur})
}
