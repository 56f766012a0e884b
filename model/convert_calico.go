package model

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	apiv3 "github.com/projectcalico/api/pkg/apis/projectcalico/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/reach-sim/reach/selector"
)

// This file converts the Calico v3 policy kinds and the objects they see
// (tiers, network sets, host endpoints, profiles), validating them as
// Calico v3.31's validator (libcalico-go/lib/validator/v3/validator.go) and
// client (defaulting of types) would.

// calicoSpec is the union of the Calico policy specs.
type calicoSpec struct {
	Tier                   string
	Order                  *float64
	Ingress, Egress        []apiv3.Rule
	Selector               string
	Types                  []apiv3.PolicyType
	ServiceAccountSelector string
	NamespaceSelector      string // GlobalNetworkPolicy only
	DoNotTrack             bool
	PreDNAT                bool
	ApplyOnForward         bool
	PerformanceHints       []apiv3.PolicyPerformanceHint
}

// calicoPolicyInput is one Calico policy object to convert.
type calicoPolicyInput struct {
	kind      PolicyKind
	namespace string // empty for global kinds
	name      string
	spec      calicoSpec
	ef        enterpriseFields
	staged    apiv3.StagedAction // empty unless staged
}

func convertCalicoNetworkPolicy(d *document, out *Objects) {
	ef, ok := d.prepare()
	var np apiv3.NetworkPolicy
	if !d.decode(&np) || !ok {
		return
	}
	ns, name, ok := d.objectMeta(&np.ObjectMeta, true)
	if !ok {
		return
	}
	s := np.Spec
	d.addCalicoPolicy(out, calicoPolicyInput{kind: CalicoNetworkPolicy, namespace: ns, name: name, ef: ef, spec: calicoSpec{
		Tier: s.Tier, Order: s.Order, Ingress: s.Ingress, Egress: s.Egress, Selector: s.Selector, Types: s.Types,
		ServiceAccountSelector: s.ServiceAccountSelector, PerformanceHints: s.PerformanceHints,
	}})
}

func convertGlobalNetworkPolicy(d *document, out *Objects) {
	ef, ok := d.prepare()
	var gnp apiv3.GlobalNetworkPolicy
	if !d.decode(&gnp) || !ok {
		return
	}
	_, name, ok := d.objectMeta(&gnp.ObjectMeta, false)
	if !ok {
		return
	}
	d.addCalicoPolicy(out, calicoPolicyInput{kind: GlobalNetworkPolicy, name: name, ef: ef, spec: globalSpec(gnp.Spec)})
}

func globalSpec(s apiv3.GlobalNetworkPolicySpec) calicoSpec {
	return calicoSpec{
		Tier: s.Tier, Order: s.Order, Ingress: s.Ingress, Egress: s.Egress, Selector: s.Selector, Types: s.Types,
		ServiceAccountSelector: s.ServiceAccountSelector, NamespaceSelector: s.NamespaceSelector,
		DoNotTrack: s.DoNotTrack, PreDNAT: s.PreDNAT, ApplyOnForward: s.ApplyOnForward, PerformanceHints: s.PerformanceHints,
	}
}

// convertStagedNetworkPolicy reads a StagedNetworkPolicy: a NetworkPolicy
// that counts only for the pending verdict. With stagedAction Delete its
// spec must be empty but for tier; reach keeps it with StagedAction
// "Delete", no types and no rules, so that nothing evaluates it (Calico OSS
// never sends it to Felix).
func convertStagedNetworkPolicy(d *document, out *Objects) {
	ef, ok := d.prepare()
	var sp apiv3.StagedNetworkPolicy
	if !d.decode(&sp) || !ok {
		return
	}
	ns, name, ok := d.objectMeta(&sp.ObjectMeta, true)
	if !ok {
		return
	}
	action, ok := d.stagedAction(sp.Spec.StagedAction)
	if !ok {
		return
	}
	s := sp.Spec
	if action == apiv3.StagedActionDelete && !d.onlyTier(s, apiv3.StagedNetworkPolicySpec{StagedAction: s.StagedAction, Tier: s.Tier}) {
		return
	}
	d.addCalicoPolicy(out, calicoPolicyInput{kind: StagedNetworkPolicy, namespace: ns, name: name, ef: ef, staged: action, spec: calicoSpec{
		Tier: s.Tier, Order: s.Order, Ingress: s.Ingress, Egress: s.Egress, Selector: s.Selector, Types: s.Types,
		ServiceAccountSelector: s.ServiceAccountSelector, PerformanceHints: s.PerformanceHints,
	}})
}

// convertStagedGlobalNetworkPolicy reads a StagedGlobalNetworkPolicy; see
// convertStagedNetworkPolicy for stagedAction Delete.
func convertStagedGlobalNetworkPolicy(d *document, out *Objects) {
	ef, ok := d.prepare()
	var sp apiv3.StagedGlobalNetworkPolicy
	if !d.decode(&sp) || !ok {
		return
	}
	_, name, ok := d.objectMeta(&sp.ObjectMeta, false)
	if !ok {
		return
	}
	action, ok := d.stagedAction(sp.Spec.StagedAction)
	if !ok {
		return
	}
	s := sp.Spec
	if action == apiv3.StagedActionDelete && !d.onlyTier(s, apiv3.StagedGlobalNetworkPolicySpec{StagedAction: s.StagedAction, Tier: s.Tier}) {
		return
	}
	d.addCalicoPolicy(out, calicoPolicyInput{kind: StagedGlobalNetworkPolicy, name: name, ef: ef, staged: action, spec: globalSpec(apiv3.GlobalNetworkPolicySpec{
		Tier: s.Tier, Order: s.Order, Ingress: s.Ingress, Egress: s.Egress, Selector: s.Selector, Types: s.Types,
		ServiceAccountSelector: s.ServiceAccountSelector, NamespaceSelector: s.NamespaceSelector,
		DoNotTrack: s.DoNotTrack, PreDNAT: s.PreDNAT, ApplyOnForward: s.ApplyOnForward, PerformanceHints: s.PerformanceHints,
	})})
}

// stagedDeleteNote explains why a staged Delete policy has no types and no
// rules.
const stagedDeleteNote = "stagedAction Delete: Calico OSS never sends it to Felix, so it has no effect on either verdict"

// stagedAction checks stagedAction and defaults it to Set. Learn and Ignore
// (Calico Enterprise policy recommendation) behave like Set in OSS.
func (d *document) stagedAction(a apiv3.StagedAction) (apiv3.StagedAction, bool) {
	switch a {
	case "":
		return apiv3.StagedActionSet, true
	case apiv3.StagedActionSet, apiv3.StagedActionDelete, apiv3.StagedActionLearn, apiv3.StagedActionIgnore:
		return a, true
	}
	d.problem("spec.stagedAction", "%q: must be Set, Delete, Learn or Ignore", a)
	return "", false
}

// onlyTier checks that the spec of a staged Delete is empty but for its
// tier: that it equals empty, the spec with only stagedAction and tier kept
// (Calico's validator).
func (d *document) onlyTier(spec, empty any) bool {
	if equalJSON(empty, spec) {
		return true
	}
	d.problem("spec", "spec fields, except tier, should all be zero-value if stagedAction is Delete")
	return false
}

// equalJSON compares two API values by their JSON form, so that nil and
// empty lists count as equal.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// addCalicoPolicy validates and converts one Calico policy and appends it to
// out; on any problem it appends nothing.
func (d *document) addCalicoPolicy(out *Objects, in calicoPolicyInput) {
	global := in.namespace == ""
	nameRe := networkPolicyNameRegex
	if global {
		nameRe = globalNetworkPolicyNameRegex
	}
	before := len(d.errs.list)
	d.checkName(in.name, nameRe, wantPolicyName)
	tier, v1name, _ := d.policyTier(in.name, in.spec.Tier)
	p := &Policy{
		Kind:         in.kind,
		Namespace:    in.namespace,
		Name:         in.name,
		Tier:         tier,
		Order:        in.spec.Order,
		SortKey:      v1name,
		Staged:       in.staged != "",
		StagedAction: string(in.staged),
		Source:       d.pos,
	}
	if p.Staged {
		p.SortKey = stagedPrefix + p.SortKey
	}
	if !global {
		p.SortKey = in.namespace + "/" + p.SortKey
	}
	if in.staged == apiv3.StagedActionDelete {
		p.Notes = append(p.Notes, stagedDeleteNote)
		if len(d.errs.list) == before {
			out.Policies = append(out.Policies, p)
		}
		return
	}
	s := in.spec
	sel := d.policySelector("spec.selector", s.Selector)
	saSel := d.policySelector("spec.serviceAccountSelector", s.ServiceAccountSelector)
	if global {
		nsSel := d.policySelector("spec.namespaceSelector", s.NamespaceSelector)
		p.Selector = globalPolicySelector(sel, nsSel, saSel)
	} else {
		p.Selector = namespacedPolicySelector(sel, in.namespace, saSel)
	}
	p.Ingress, p.Egress = d.calicoTypes(s)
	d.performanceHints(s.PerformanceHints)
	if global {
		d.globalFlags(s)
		if s.PreDNAT || s.DoNotTrack {
			p.HostOnly = true
			flag := "preDNAT"
			if s.DoNotTrack {
				flag = "doNotTrack"
			}
			p.Notes = append(p.Notes, fmt.Sprintf("spec.%s: applies to host endpoints only, never to pods", flag))
		}
	}
	sc := ruleScope{namespace: in.namespace, global: global, ef: in.ef}
	p.IngressRules = d.calicoRules("spec.ingress", s.Ingress, Ingress, sc, &p.Notes)
	p.EgressRules = d.calicoRules("spec.egress", s.Egress, Egress, sc, &p.Notes)
	if len(d.errs.list) > before {
		return
	}
	out.Policies = append(out.Policies, p)
}

// policySelector parses a policy-level selector field; global() is not
// allowed in any of them. It returns nil for an empty field.
func (d *document) policySelector(field, s string) *selector.Selector {
	sel, ok := d.parseSelector(field, s)
	if ok && strings.Contains(s, "global()") {
		d.problem(field, "global() can only be used in an EntityRule namespaceSelector")
	}
	return sel
}

// parseSelector parses a selector field, reporting a syntax error with its
// offset. It returns nil when the field is empty (Calico's "not set") or
// invalid.
func (d *document) parseSelector(field, s string) (*selector.Selector, bool) {
	if s == "" {
		return nil, true
	}
	sel, err := selector.Parse(s)
	if err != nil {
		d.problem(field, "%s", err)
		return nil, false
	}
	return &sel, true
}

// calicoTypes checks types and applies Calico's defaulting (semantics
// §1.10): no types means [Ingress], [Egress] when there are egress rules
// and no ingress rules, or both when there are both.
func (d *document) calicoTypes(s calicoSpec) (ingress, egress bool) {
	if len(s.Types) == 0 {
		switch {
		case len(s.Egress) == 0:
			return true, false
		case len(s.Ingress) == 0:
			return false, true
		}
		return true, true
	}
	seen := map[apiv3.PolicyType]bool{}
	for i, t := range s.Types {
		switch t {
		case apiv3.PolicyTypeIngress:
			ingress = true
		case apiv3.PolicyTypeEgress:
			egress = true
		default:
			d.problem(fmt.Sprintf("spec.types[%d]", i), "%q: must be Ingress or Egress", t)
			continue
		}
		if seen[t] {
			d.problem("spec.types", "'%s' type specified more than once", t)
		}
		seen[t] = true
	}
	return ingress, egress
}

func (d *document) performanceHints(hints []apiv3.PolicyPerformanceHint) {
	for i, h := range hints {
		if h != apiv3.PerfHintAssumeNeededOnEveryNode {
			d.problem(fmt.Sprintf("spec.performanceHints[%d]", i), "%q: must be AssumeNeededOnEveryNode", h)
		} else if i > 0 {
			d.problem(fmt.Sprintf("spec.performanceHints[%d]", i), "duplicate hint")
		}
	}
}

// globalFlags checks applyOnForward, preDNAT and doNotTrack.
func (d *document) globalFlags(s calicoSpec) {
	if s.DoNotTrack && s.PreDNAT {
		d.problem("spec.preDNAT", "preDNAT and doNotTrack cannot both be true")
	}
	if s.PreDNAT && len(s.Egress) > 0 {
		d.problem("spec.egress", "a preDNAT policy cannot have egress rules")
	}
	if s.PreDNAT {
		for _, t := range s.Types {
			if t == apiv3.PolicyTypeEgress {
				d.problem("spec.types", "a preDNAT policy cannot have the Egress type")
			}
		}
	}
	if !s.ApplyOnForward && (s.DoNotTrack || s.PreDNAT) {
		d.problem("spec.applyOnForward", "must be true if either preDNAT or doNotTrack is true")
	}
}

// convertTier reads a Tier. The built-in tiers default, adminnetworkpolicy
// and baselineadminnetworkpolicy must carry their fixed orders; a tier
// without defaultAction denies.
func convertTier(d *document, out *Objects) {
	var t apiv3.Tier
	if !d.decode(&t) {
		return
	}
	_, name, ok := d.objectMeta(&t.ObjectMeta, false)
	if !ok {
		return
	}
	if len(name) > validation.DNS1123LabelMaxLength {
		d.problem("metadata.name", "name is too long by %d bytes", len(name)-validation.DNS1123LabelMaxLength)
		ok = false
	} else if !tierNameRegex.MatchString(name) {
		d.problem("metadata.name", "%q: must be lower-case letters, digits and '-' (regex ^%s$)", name, nameLabelFmt)
		ok = false
	}
	fixed := map[string]float64{
		DefaultTier:                    DefaultTierOrder,
		AdminNetworkPolicyTier:         AdminNetworkPolicyTierOrder,
		BaselineAdminNetworkPolicyTier: BaselineAdminNetworkPolicyTierOrder,
	}
	if want, builtin := fixed[name]; builtin && (t.Spec.Order == nil || *t.Spec.Order != want) {
		d.problem("spec.order", "%s tier order must be %s", name, strconv.FormatFloat(want, 'f', -1, 64))
		ok = false
	}
	action := Deny
	if a := t.Spec.DefaultAction; a != nil {
		switch *a {
		case apiv3.Deny:
		case apiv3.Pass:
			action = Pass
		default:
			d.problem("spec.defaultAction", "%q: must be Deny or Pass", *a)
			ok = false
		}
	}
	if !ok {
		return
	}
	out.Tiers = append(out.Tiers, &Tier{Name: name, Order: t.Spec.Order, DefaultAction: action, Source: d.pos})
}

func convertNetworkSet(d *document, out *Objects) {
	ef, ok := d.prepare()
	var s apiv3.NetworkSet
	if !d.decode(&s) || !ok {
		return
	}
	ns, name, ok := d.objectMeta(&s.ObjectMeta, true)
	if !ok {
		return
	}
	d.addNetworkSet(out, ns, name, s.Labels, s.Spec.Nets, ef)
}

func convertGlobalNetworkSet(d *document, out *Objects) {
	ef, ok := d.prepare()
	var s apiv3.GlobalNetworkSet
	if !d.decode(&s) || !ok {
		return
	}
	_, name, ok := d.objectMeta(&s.ObjectMeta, false)
	if !ok {
		return
	}
	d.addNetworkSet(out, "", name, s.Labels, s.Spec.Nets, ef)
}

// addNetworkSet checks and adds a (Global)NetworkSet. Its nets may be
// addresses or CIDRs, host bits allowed; they are kept masked. The Calico
// Enterprise field allowedEgressDomains is kept, never matched.
func (d *document) addNetworkSet(out *Objects, ns, name string, labels map[string]string, nets []string, ef enterpriseFields) {
	ok := d.checkName(name, calicoNameRegex, wantName)
	if _, found := labels[LabelNamespace]; found {
		d.problem("metadata.labels", "%s is not a valid label name", LabelNamespace)
		ok = false
	}
	set := &NetworkSet{Namespace: ns, Name: name, Labels: labels, AllowedDomains: ef.allowedEgressDomains, Source: d.pos}
	for i, n := range nets {
		p, err := parseCIDROrIP(n)
		if err != nil {
			d.problem(fmt.Sprintf("spec.nets[%d]", i), "%s", err)
			ok = false
			continue
		}
		set.Nets = append(set.Nets, p.Masked())
	}
	if ok {
		out.NetworkSets = append(out.NetworkSets, set)
	}
}

// parseCIDROrIP reads a CIDR, or an address as a /32 or /128.
func parseCIDROrIP(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	return p, nil
}

// convertHostEndpoint reads a HostEndpoint: it needs a node, and an
// interface name or expected IPs; its ports are named ports.
func convertHostEndpoint(d *document, out *Objects) {
	var h apiv3.HostEndpoint
	if !d.decode(&h) {
		return
	}
	_, name, ok := d.objectMeta(&h.ObjectMeta, false)
	if !ok {
		return
	}
	ok = d.checkName(name, calicoNameRegex, wantName)
	s := h.Spec
	hep := &HostEndpoint{Name: name, Node: s.Node, InterfaceName: s.InterfaceName, Labels: h.Labels, Profiles: s.Profiles, Source: d.pos}
	if s.Node == "" {
		d.problem("spec.node", "no node has been specified")
		ok = false
	} else if !calicoNameRegex.MatchString(s.Node) {
		d.problem("spec.node", "%q: %s", s.Node, wantName)
		ok = false
	}
	if s.InterfaceName == "" && len(s.ExpectedIPs) == 0 {
		d.problem("spec", "no interfaceName or expectedIPs have been specified")
		ok = false
	}
	for i, ip := range s.ExpectedIPs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			d.problem(fmt.Sprintf("spec.expectedIPs[%d]", i), "%q is not an IP address", ip)
			ok = false
			continue
		}
		hep.ExpectedIPs = append(hep.ExpectedIPs, a.Unmap())
	}
	for i, p := range s.Profiles {
		if !calicoNameRegex.MatchString(p) {
			d.problem(fmt.Sprintf("spec.profiles[%d]", i), "%q: %s", p, wantName)
			ok = false
		}
	}
	for i, p := range s.Ports {
		path := fmt.Sprintf("spec.ports[%d]", i)
		if msgs := validation.IsValidPortName(p.Name); p.Name == "" || len(msgs) > 0 {
			d.problem(path+".name", "%q is not a valid port name: %s", p.Name, strings.Join(msgs, "; "))
			ok = false
		}
		proto, err := calicoProtocol(&p.Protocol)
		if err != nil || !(proto == TCP || proto == UDP || proto == SCTP) {
			d.problem(path+".protocol", "%q: must be TCP, UDP or SCTP", p.Protocol.String())
			ok = false
		}
		if p.Port == 0 {
			d.problem(path+".port", "must be from 1 to 65535")
			ok = false
		}
		hep.NamedPorts = append(hep.NamedPorts, NamedPort{Name: p.Name, Protocol: proto, Port: p.Port})
	}
	if ok {
		out.HostEndpoints = append(out.HostEndpoints, hep)
	}
}

// convertProfile reads a Calico Profile: labels endpoints inherit
// (labelsToApply) and rules scoped like a global policy's.
func convertProfile(d *document, out *Objects) {
	ef, ok := d.prepare()
	var pr apiv3.Profile
	if !d.decode(&pr) || !ok {
		return
	}
	_, name, ok := d.objectMeta(&pr.ObjectMeta, false)
	if !ok {
		return
	}
	before := len(d.errs.list)
	d.checkName(name, calicoNameRegex, wantName)
	d.checkLabels("spec.labelsToApply", pr.Spec.LabelsToApply)
	var notes []string
	sc := ruleScope{ef: ef}
	p := &Profile{
		Name:    name,
		Labels:  pr.Spec.LabelsToApply,
		Ingress: d.calicoRules("spec.ingress", pr.Spec.Ingress, Ingress, sc, &notes),
		Egress:  d.calicoRules("spec.egress", pr.Spec.Egress, Egress, sc, &notes),
		Source:  d.pos,
	}
	if len(d.errs.list) == before {
		out.Profiles = append(out.Profiles, p)
	}
}
