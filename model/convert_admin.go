package model

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"

	"github.com/reach-sim/reach/selector"
)

// This file converts AdminNetworkPolicy and BaselineAdminNetworkPolicy
// (policy.networking.k8s.io/v1alpha1) the way Calico v3.30–v3.31 does
// (libcalico-go/lib/backend/k8s/conversion/conversion.go,
// K8sAdminNetworkPolicyToCalico, K8sBaselineAdminNetworkPolicyToCalico;
// semantics §2.2): each becomes a global policy in its own tier, with every
// (protocol × peer) of a rule one Calico rule with the rule's action.
//
// Calico quirks reach reproduces, each recorded in Policy.Notes:
//
//   - Namespaces peers carry no orchestrator clause, so they match every
//     endpoint and namespaced NetworkSet in the selected namespaces (a
//     Kubernetes NetworkPolicy peer matches pods only).
//   - namedPort is not implemented: a rule with any namedPort entry matches
//     every protocol and port, its other ports discarded.
//   - Rules Calico cannot convert (nodes and domainNames peers, a port range
//     with start > end) fail closed: a Deny or Pass rule becomes one
//     unconditional Deny rule, an Allow rule is dropped.

const anpGroupVersion = "policy.networking.k8s.io/v1alpha1"

// adminRule is an ingress or egress rule of either admin kind.
type adminRule struct {
	action string
	ports  *[]anp.AdminNetworkPolicyPort
	peers  []adminPeer
}

// adminPeer is an ingress or egress peer of either admin kind.
type adminPeer struct {
	namespaces  *metav1.LabelSelector
	pods        *anp.NamespacedPod
	nodes       *metav1.LabelSelector
	networks    []anp.CIDR
	domainNames []anp.DomainName
}

func convertAdminNetworkPolicy(d *document, out *Objects) {
	var a anp.AdminNetworkPolicy
	if !d.decode(&a) {
		return
	}
	_, name, ok := d.objectMeta(&a.ObjectMeta, false)
	if !ok {
		return
	}
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		d.problem("metadata.name", "%q: %s", name, msg)
		ok = false
	}
	if a.Spec.Priority < 0 || a.Spec.Priority > 1000 {
		d.problem("spec.priority", "%d: must be from 0 to 1000", a.Spec.Priority)
		ok = false
	}
	var in, eg []adminRule
	for _, r := range a.Spec.Ingress {
		ar := adminRule{action: string(r.Action), ports: r.Ports}
		for _, p := range r.From {
			ar.peers = append(ar.peers, adminPeer{namespaces: p.Namespaces, pods: p.Pods})
		}
		in = append(in, ar)
	}
	for _, r := range a.Spec.Egress {
		ar := adminRule{action: string(r.Action), ports: r.Ports}
		for _, p := range r.To {
			ar.peers = append(ar.peers, adminPeer{namespaces: p.Namespaces, pods: p.Pods, nodes: p.Nodes, networks: p.Networks, domainNames: p.DomainNames})
		}
		eg = append(eg, ar)
	}
	order := float64(a.Spec.Priority)
	p := &Policy{
		Kind:    AdminNetworkPolicy,
		Name:    name,
		Tier:    AdminNetworkPolicyTier,
		Order:   &order,
		SortKey: anpNamePrefix + name,
	}
	if d.addAdminPolicy(out, p, a.Spec.Subject, in, eg, []string{"Allow", "Deny", "Pass"}) && ok {
		out.Policies = append(out.Policies, p)
	}
}

// convertBaselineAdminNetworkPolicy reads the BaselineAdminNetworkPolicy,
// which must be named "default"; Calico gives it order 1000.
func convertBaselineAdminNetworkPolicy(d *document, out *Objects) {
	var b anp.BaselineAdminNetworkPolicy
	if !d.decode(&b) {
		return
	}
	_, name, ok := d.objectMeta(&b.ObjectMeta, false)
	if !ok {
		return
	}
	if name != "default" {
		d.problem("metadata.name", "%q: only one baseline admin network policy, with metadata.name=\"default\", can be created in the cluster", name)
		ok = false
	}
	var in, eg []adminRule
	for _, r := range b.Spec.Ingress {
		ar := adminRule{action: string(r.Action), ports: r.Ports}
		for _, p := range r.From {
			ar.peers = append(ar.peers, adminPeer{namespaces: p.Namespaces, pods: p.Pods})
		}
		in = append(in, ar)
	}
	for _, r := range b.Spec.Egress {
		ar := adminRule{action: string(r.Action), ports: r.Ports}
		for _, p := range r.To {
			ar.peers = append(ar.peers, adminPeer{namespaces: p.Namespaces, pods: p.Pods, nodes: p.Nodes, networks: p.Networks})
		}
		eg = append(eg, ar)
	}
	order := 1000.0
	p := &Policy{
		Kind:    BaselineAdminNetworkPolicy,
		Name:    name,
		Tier:    BaselineAdminNetworkPolicyTier,
		Order:   &order,
		SortKey: banpNamePrefix + name,
	}
	if d.addAdminPolicy(out, p, b.Spec.Subject, in, eg, []string{"Allow", "Deny"}) && ok {
		out.Policies = append(out.Policies, p)
	}
}

// addAdminPolicy validates the subject and rules as the CRD schema does and
// fills in p's selector, rules and types (Ingress or Egress only when that
// direction has converted rules). It reports whether there was no problem.
func (d *document) addAdminPolicy(out *Objects, p *Policy, subject anp.AdminNetworkPolicySubject, in, eg []adminRule, actions []string) bool {
	before := len(d.errs.list)
	p.Source = d.pos
	var errs field.ErrorList
	subj := field.NewPath("spec", "subject")
	opts := metavalidation.LabelSelectorValidationOptions{}
	var sel, nsSel *selector.Selector
	switch {
	case (subject.Namespaces == nil) == (subject.Pods == nil):
		errs = append(errs, field.Invalid(subj, "", "exactly one of namespaces and pods must be set"))
	case subject.Namespaces != nil:
		errs = append(errs, metavalidation.ValidateLabelSelector(subject.Namespaces, opts, subj.Child("namespaces"))...)
		sel = labelSelector(nil, podSelector)
		nsSel = labelSelector(subject.Namespaces, namespaceSelector)
	default:
		errs = append(errs, metavalidation.ValidateLabelSelector(&subject.Pods.NamespaceSelector, opts, subj.Child("pods", "namespaceSelector"))...)
		errs = append(errs, metavalidation.ValidateLabelSelector(&subject.Pods.PodSelector, opts, subj.Child("pods", "podSelector"))...)
		sel = labelSelector(&subject.Pods.PodSelector, podSelector)
		nsSel = labelSelector(&subject.Pods.NamespaceSelector, namespaceSelector)
	}
	p.Selector = globalPolicySelector(sel, nsSel, nil)
	errs = append(errs, validateAdminRules(field.NewPath("spec", "ingress"), "from", in, actions)...)
	errs = append(errs, validateAdminRules(field.NewPath("spec", "egress"), "to", eg, actions)...)
	if !d.fieldErrors(errs) {
		return false
	}
	p.IngressRules = adminRules(p, "spec.ingress", "from", in, Ingress)
	p.EgressRules = adminRules(p, "spec.egress", "to", eg, Egress)
	p.Ingress, p.Egress = len(p.IngressRules) > 0, len(p.EgressRules) > 0
	return len(d.errs.list) == before
}

// validateAdminRules checks what the CRD schema checks: the action enum,
// 1-100 peers with exactly one field each, 1-100 ports with exactly one
// field each, port numbers 1-65535 and protocols TCP, UDP or SCTP, masked
// network CIDRs, and no namedPort with networks, nodes or domainNames peers.
func validateAdminRules(path *field.Path, peersName string, rules []adminRule, actions []string) field.ErrorList {
	var errs field.ErrorList
	if len(rules) > 100 {
		errs = append(errs, field.TooMany(path, len(rules), 100))
	}
	opts := metavalidation.LabelSelectorValidationOptions{}
	for i, r := range rules {
		rp := path.Index(i)
		if !slices.Contains(actions, r.action) {
			errs = append(errs, field.NotSupported(rp.Child("action"), r.action, actions))
		}
		if n := len(r.peers); n == 0 || n > 100 {
			errs = append(errs, field.Invalid(rp.Child(peersName), n, "must have from 1 to 100 peers"))
		}
		namedPort := false
		if r.ports != nil {
			if n := len(*r.ports); n == 0 || n > 100 {
				errs = append(errs, field.Invalid(rp.Child("ports"), n, "must have from 1 to 100 ports"))
			}
			for j, port := range *r.ports {
				namedPort = namedPort || port.NamedPort != nil
				errs = append(errs, validateAdminPort(port, rp.Child("ports").Index(j))...)
			}
		}
		for j, peer := range r.peers {
			pp := rp.Child(peersName).Index(j)
			n := 0
			if peer.namespaces != nil {
				n++
				errs = append(errs, metavalidation.ValidateLabelSelector(peer.namespaces, opts, pp.Child("namespaces"))...)
			}
			if peer.pods != nil {
				n++
				errs = append(errs, metavalidation.ValidateLabelSelector(&peer.pods.NamespaceSelector, opts, pp.Child("pods", "namespaceSelector"))...)
				errs = append(errs, metavalidation.ValidateLabelSelector(&peer.pods.PodSelector, opts, pp.Child("pods", "podSelector"))...)
			}
			if peer.nodes != nil {
				n++
				errs = append(errs, metavalidation.ValidateLabelSelector(peer.nodes, opts, pp.Child("nodes"))...)
			}
			if peer.networks != nil {
				n++
				for k, c := range peer.networks {
					p, err := netip.ParsePrefix(string(c))
					if err != nil || p != p.Masked() {
						errs = append(errs, field.Invalid(pp.Child("networks").Index(k), c, "Invalid CIDR format provided"))
					}
				}
			}
			if peer.domainNames != nil {
				n++
			}
			if n != 1 {
				errs = append(errs, field.Invalid(pp, n, "exactly one peer field must be set"))
			}
			if namedPort && (peer.networks != nil || peer.nodes != nil || peer.domainNames != nil) {
				errs = append(errs, field.Invalid(pp, "", "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames"))
			}
		}
	}
	return errs
}

func validateAdminPort(port anp.AdminNetworkPolicyPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	proto := func(p corev1.Protocol, path *field.Path) {
		if p != "" && p != corev1.ProtocolTCP && p != corev1.ProtocolUDP && p != corev1.ProtocolSCTP {
			errs = append(errs, field.NotSupported(path, p, []string{"TCP", "UDP", "SCTP"}))
		}
	}
	num := func(v int32, path *field.Path) {
		for _, msg := range validation.IsValidPortNum(int(v)) {
			errs = append(errs, field.Invalid(path, v, msg))
		}
	}
	if p := port.PortNumber; p != nil {
		n++
		proto(p.Protocol, path.Child("portNumber", "protocol"))
		num(p.Port, path.Child("portNumber", "port"))
	}
	if p := port.PortRange; p != nil {
		n++
		proto(p.Protocol, path.Child("portRange", "protocol"))
		num(p.Start, path.Child("portRange", "start"))
		num(p.End, path.Child("portRange", "end"))
	}
	if port.NamedPort != nil {
		n++
	}
	if n != 1 {
		errs = append(errs, field.Invalid(path, n, "exactly one of portNumber, namedPort and portRange must be set"))
	}
	return errs
}

// adminRules converts the rules of one direction, failing closed on rules
// Calico cannot convert and recording every quirk in p.Notes.
func adminRules(p *Policy, path, peersName string, rules []adminRule, dir Direction) []Rule {
	var out []Rule
	for i, r := range rules {
		origin := fmt.Sprintf("%s[%d]", path, i)
		action := map[string]Action{"Allow": Allow, "Deny": Deny, "Pass": Pass}[r.action]
		converted, why := adminRule2(origin, peersName, r, action, dir, p)
		if why != "" {
			if action == Allow {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: %s: Calico drops this Allow rule", origin, why))
				continue
			}
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %s: Calico replaces this %s rule by an unconditional Deny", origin, why, action))
			converted = []Rule{{Action: Deny, Origin: origin}}
		}
		out = append(out, converted...)
	}
	number(out)
	return out
}

// adminRule2 converts one admin rule into (#protocols) × (#peers) rules, or
// returns why Calico cannot convert it.
func adminRule2(origin, peersName string, r adminRule, action Action, dir Direction, p *Policy) ([]Rule, string) {
	groups, why := adminPorts(origin, r.ports, p)
	if why != "" {
		return nil, why
	}
	var peers []EntityMatch
	for j, peer := range r.peers {
		var es entitySelectors
		var e EntityMatch
		switch {
		case peer.namespaces != nil:
			es.NamespaceSelector = labelSelector(peer.namespaces, namespaceSelector)
			p.Notes = append(p.Notes, fmt.Sprintf("%s.%s[%d]: a namespaces peer has no orchestrator clause: it matches namespaced NetworkSets in those namespaces too",
				origin, peersName, j))
		case peer.pods != nil:
			es.Selector = labelSelector(&peer.pods.PodSelector, podSelector)
			es.NamespaceSelector = labelSelector(&peer.pods.NamespaceSelector, namespaceSelector)
		case peer.networks != nil:
			for _, c := range peer.networks {
				n, _ := netip.ParsePrefix(string(c))
				e.Nets = append(e.Nets, n.Masked())
			}
		case peer.nodes != nil:
			return nil, fmt.Sprintf("%s[%d]: nodes peers are not supported by Calico v3.31", peersName, j)
		default:
			return nil, fmt.Sprintf("%s[%d]: domainNames peers are not supported by Calico v3.31", peersName, j)
		}
		e.Selector, e.NotSelector = scopeEntity(es, "")
		peers = append(peers, e)
	}
	var out []Rule
	for _, g := range groups {
		for j, peer := range peers {
			rule := Rule{Action: action, Protocol: g.protocol, Origin: fmt.Sprintf("%s.%s[%d]", origin, peersName, j)}
			if r.ports != nil {
				rule.Origin += " ports" + indexList(g.from)
			}
			if dir == Ingress {
				rule.Source = peer
			} else {
				rule.Destination = peer
			}
			rule.Destination.Ports = g.ports
			out = append(out, rule)
		}
	}
	return out, ""
}

// adminPorts groups an admin rule's ports by protocol like Calico's
// unpackANPPorts: a namedPort entry (not implemented by Calico) makes the
// rule match every protocol and port, discarding the other entries.
func adminPorts(origin string, ports *[]anp.AdminNetworkPolicyPort, p *Policy) ([]protocolPorts, string) {
	if ports == nil || len(*ports) == 0 {
		return []protocolPorts{{all: true}}, ""
	}
	byName := map[corev1.Protocol]*protocolPorts{}
	add := func(i int, proto corev1.Protocol, r PortRange) {
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		g := byName[proto]
		if g == nil {
			pr, _ := ParseProtocol(string(proto))
			g = &protocolPorts{protocol: pr}
			byName[proto] = g
		}
		g.from = append(g.from, i)
		g.ports = append(g.ports, PortMatch{Range: r})
	}
	for i, port := range *ports {
		switch {
		case port.PortNumber != nil:
			n := uint16(port.PortNumber.Port)
			add(i, port.PortNumber.Protocol, PortRange{Min: n, Max: n})
		case port.PortRange != nil:
			if port.PortRange.Start > port.PortRange.End {
				return nil, fmt.Sprintf("ports[%d]: port range start %d is greater than end %d", i, port.PortRange.Start, port.PortRange.End)
			}
			add(i, port.PortRange.Protocol, PortRange{Min: uint16(port.PortRange.Start), Max: uint16(port.PortRange.End)})
		default:
			p.Notes = append(p.Notes, fmt.Sprintf("%s.ports[%d]: namedPort is not implemented by Calico v3.31: the rule matches every protocol and port", origin, i))
			all := protocolPorts{all: true}
			for j := range *ports {
				all.from = append(all.from, j)
			}
			return []protocolPorts{all}, ""
		}
	}
	var out []protocolPorts
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		g := byName[name]
		g.ports = simplifyPorts(g.ports)
		out = append(out, *g)
	}
	return out, ""
}
