package model

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	apiv3 "github.com/projectcalico/api/pkg/apis/projectcalico/v3"
	"github.com/projectcalico/api/pkg/lib/numorstring"
)

// This file converts and validates Calico v3 rules (semantics §4), shared by
// the policy kinds and profiles. The checks are those of Calico v3.31's
// validateRule, validateEntityRule, validateICMPFields, validateProtocol and
// the per-spec checks of validateNetworkPolicySpec and
// validateGlobalNetworkPolicySpec.

// ruleScope is what the rules of one object share.
type ruleScope struct {
	namespace string // the policy's namespace; empty for global policies and profiles
	global    bool   // a (Staged)GlobalNetworkPolicy: services need a namespace
	ef        enterpriseFields
}

// calicoRules converts the rules of one direction, at path ("spec.ingress").
func (d *document) calicoRules(path string, rules []apiv3.Rule, dir Direction, sc ruleScope, notes *[]string) []Rule {
	var out []Rule
	for i, r := range rules {
		var domains []string
		if dir == Egress {
			domains = sc.ef.domains[i]
		}
		rp := fmt.Sprintf("%s[%d]", path, i)
		if rule, ok := d.calicoRule(rp, r, dir, sc, domains, notes); ok {
			rule.Index = len(out)
			out = append(out, rule)
		}
	}
	return out
}

// calicoRule converts one rule; it reports whether the rule is valid.
func (d *document) calicoRule(path string, r apiv3.Rule, dir Direction, sc ruleScope, domains []string, notes *[]string) (Rule, bool) {
	before := len(d.errs.list)
	rule := Rule{Origin: path}
	switch r.Action {
	case apiv3.Allow:
		rule.Action = Allow
	case apiv3.Deny:
		rule.Action = Deny
	case apiv3.Pass:
		rule.Action = Pass
	case apiv3.Log:
		rule.Action = Log
	case "":
		d.problem(path+".action", "required")
	default:
		d.problem(path+".action", "%q: must be Allow, Deny, Log or Pass", r.Action)
	}
	if v := r.IPVersion; v != nil {
		if *v != 4 && *v != 6 {
			d.problem(path+".ipVersion", "%d: must be 4 or 6", *v)
		}
		rule.IPVersion = *v
	}
	var err error
	if rule.Protocol, err = calicoProtocol(r.Protocol); err != nil {
		d.problem(path+".protocol", "%s", err)
	}
	if rule.NotProtocol, err = calicoProtocol(r.NotProtocol); err != nil {
		d.problem(path+".notProtocol", "%s", err)
	}
	rule.ICMP = d.icmpFields(path+".icmp", r.ICMP)
	rule.NotICMP = d.icmpFields(path+".notICMP", r.NotICMP)
	d.checkRuleProtocols(path, r, rule)

	rule.Source = d.calicoEntity(path+".source", r.Source, sc.namespace)
	rule.Destination = d.calicoEntity(path+".destination", r.Destination, sc.namespace)
	d.checkRuleNets(path, rule)
	d.checkServices(path, r, dir, sc, &rule, notes)

	if h := r.HTTP; h != nil {
		rule.HTTP = d.httpMatch(path+".http", h)
		switch {
		case dir == Egress:
			d.problem(path+".http", "not allowed in egress rules")
		case rule.Action != Allow:
			d.problem(path+".http", "only valid for Allow rules")
		}
		if r.Protocol != nil && rule.Protocol != TCP {
			d.problem(path+".protocol", "rules that specify HTTP fields must set protocol to TCP or leave it out")
		}
	}
	if len(domains) > 0 {
		if rule.Action != Allow {
			d.problem(path+".destination.domains", "only valid for Allow rules")
		}
		if len(r.Destination.Nets) > 0 || r.Destination.Selector != "" {
			d.problem(path+".destination.domains", "cannot be combined with destination nets or selector")
		}
		rule.Destination.Domains = domains
	}
	rule.IPVersion = impliedIPVersion(rule)
	return rule, len(d.errs.list) == before
}

// impliedIPVersion returns the rule's IP version with the restriction its
// protocol implies: Felix renders a rule whose protocol or notProtocol is
// ICMP for IPv4 only, and ICMPv6 for IPv6 only (semantics §4.2).
func impliedIPVersion(r Rule) int {
	if r.IPVersion != 0 {
		return r.IPVersion
	}
	switch {
	case r.Protocol == ICMP || r.NotProtocol == ICMP:
		return 4
	case r.Protocol == ICMPv6 || r.NotProtocol == ICMPv6:
		return 6
	}
	return 0
}

// calicoProtocols are the protocol names Calico accepts, with exact case.
var calicoProtocols = map[string]Protocol{
	"TCP": TCP, "UDP": UDP, "ICMP": ICMP, "ICMPv6": ICMPv6, "SCTP": SCTP, "UDPLite": UDPLite,
}

// calicoProtocol reads a rule protocol: a name with Calico's exact casing, or
// a number from 1 to 255. nil is 0 (any).
func calicoProtocol(p *numorstring.Protocol) (Protocol, error) {
	if p == nil {
		return 0, nil
	}
	if n, err := p.NumValue(); err == nil {
		if n == 0 {
			return 0, fmt.Errorf("protocol number invalid: must be from 1 to 255")
		}
		return Protocol(n), nil
	}
	if proto, ok := calicoProtocols[p.StrVal]; ok {
		return proto, nil
	}
	return 0, fmt.Errorf("protocol name %q invalid: want TCP, UDP, ICMP, ICMPv6, SCTP or UDPLite (exact case) or a number from 1 to 255", p.StrVal)
}

// supportsPorts is numorstring.Protocol.SupportsPorts: TCP, UDP, SCTP.
func supportsPorts(p Protocol) bool { return p == TCP || p == UDP || p == SCTP }

// icmpFields checks and converts icmp or notICMP: type 0-254, code 0-255,
// code only with type. An empty one matches any ICMP and converts to nil.
func (d *document) icmpFields(path string, f *apiv3.ICMPFields) *ICMPMatch {
	if f == nil {
		return nil
	}
	if t := f.Type; t != nil && (*t < 0 || *t > 254) {
		d.problem(path+".type", "%d: must be from 0 to 254", *t)
	}
	if c := f.Code; c != nil && (*c < 0 || *c > 255) {
		d.problem(path+".code", "%d: must be from 0 to 255", *c)
	}
	if f.Code != nil && f.Type == nil {
		d.problem(path+".code", "ICMP code specified without an ICMP type")
	}
	if f.Type == nil {
		return nil
	}
	m := &ICMPMatch{Type: *f.Type}
	if f.Code != nil {
		c := *f.Code
		m.Code = &c
	}
	return m
}

// checkRuleProtocols checks what depends on protocol: ports need TCP, UDP or
// SCTP (v3.31, named ports included); icmp needs ICMP or ICMPv6; ICMP
// (protocol or notProtocol) forces ipVersion 4 and ICMPv6 forces 6.
func (d *document) checkRuleProtocols(path string, r apiv3.Rule, rule Rule) {
	if !supportsPorts(rule.Protocol) {
		for _, f := range []struct {
			name  string
			ports []numorstring.Port
		}{
			{"source.ports", r.Source.Ports}, {"source.notPorts", r.Source.NotPorts},
			{"destination.ports", r.Destination.Ports}, {"destination.notPorts", r.Destination.NotPorts},
		} {
			if len(f.ports) > 0 {
				d.problem(path+"."+f.name, "rules that specify ports must set protocol to TCP or UDP or SCTP")
			}
		}
	}
	if r.ICMP != nil && rule.Protocol != ICMP && rule.Protocol != ICMPv6 {
		d.problem(path+".icmp", "rules that specify ICMP fields must set protocol to ICMP or ICMPv6")
	}
	if rule.IPVersion != 0 {
		if (rule.Protocol == ICMP || rule.NotProtocol == ICMP) && rule.IPVersion != 4 {
			d.problem(path+".ipVersion", "must be 4 with protocol ICMP")
		}
		if (rule.Protocol == ICMPv6 || rule.NotProtocol == ICMPv6) && rule.IPVersion != 6 {
			d.problem(path+".ipVersion", "must be 6 with protocol ICMPv6")
		}
	}
}

// checkRuleNets checks the address families of a rule's nets and notNets:
// they must agree with ipVersion and with each other (Calico's scanNets).
func (d *document) checkRuleNets(path string, rule Rule) {
	var seen4, seen6 bool
	for _, f := range []struct {
		name string
		nets []netip.Prefix
	}{
		{"source.nets", rule.Source.Nets}, {"source.notNets", rule.Source.NotNets},
		{"destination.nets", rule.Destination.Nets}, {"destination.notNets", rule.Destination.NotNets},
	} {
		var v4, v6 bool
		for _, n := range f.nets {
			v4 = v4 || n.Addr().Is4()
			v6 = v6 || n.Addr().Is6()
		}
		if v := rule.IPVersion; (v == 4 || v == 6) && (v4 && v != 4 || v6 && v != 6) {
			d.problem(path+"."+f.name, "rule IP version doesn't match CIDR version")
		}
		if v4 && seen6 || v6 && seen4 || v4 && v6 {
			d.problem(path+"."+f.name, "rule contains both IPv4 and IPv6 CIDRs")
		}
		seen4, seen6 = seen4 || v4, seen6 || v6
	}
}

// calicoEntity converts one side of a rule at path, scoping its selectors
// for a policy of namespace ns (§4.4).
func (d *document) calicoEntity(path string, e apiv3.EntityRule, ns string) EntityMatch {
	var m EntityMatch
	m.Nets = d.ruleNets(path+".nets", e.Nets, false)
	m.NotNets = d.ruleNets(path+".notNets", e.NotNets, true)
	var es entitySelectors
	es.Selector, _ = d.parseSelector(path+".selector", e.Selector)
	if strings.Contains(e.Selector, "global()") {
		d.problem(path+".selector", "global() can only be used in an EntityRule namespaceSelector")
	}
	es.NotSelector, _ = d.parseSelector(path+".notSelector", e.NotSelector)
	es.NamespaceSelector, _ = d.parseSelector(path+".namespaceSelector", e.NamespaceSelector)
	if n := es.NamespaceSelector; n != nil && n.HasGlobal() && !n.IsGlobal() {
		d.problem(path+".namespaceSelector", "global() cannot be combined with other selectors")
	}
	if sa := e.ServiceAccounts; sa != nil {
		es.ServiceAccountNames = sa.Names
		es.ServiceAccountSelector, _ = d.parseSelector(path+".serviceAccounts.selector", sa.Selector)
	}
	m.Selector, m.NotSelector = scopeEntity(es, ns)
	m.Ports = calicoPorts(e.Ports)
	m.NotPorts = calicoPorts(e.NotPorts)
	if s := e.Services; s != nil {
		m.Services = &ServiceRef{Namespace: s.Namespace, Name: s.Name}
	}
	return m
}

// ruleNets parses nets or notNets. Calico v3.31 wants CIDRs with a prefix
// length and no host bits; in a negation it rejects a catch-all (/0), which
// would match no traffic (Felix drops such a rule).
func (d *document) ruleNets(path string, nets []string, negated bool) []netip.Prefix {
	var out []netip.Prefix
	for i, n := range nets {
		p := fmt.Sprintf("%s[%d]", path, i)
		pfx, err := netip.ParsePrefix(n)
		switch {
		case err != nil:
			if a, aerr := netip.ParseAddr(n); aerr == nil {
				d.problem(p, "%q is not a CIDR: write %s/%d", n, n, a.BitLen())
			} else {
				d.problem(p, "%q is not a valid CIDR", n)
			}
			continue
		case pfx != pfx.Masked():
			d.problem(p, "%q has host bits set: write %s", n, pfx.Masked())
			continue
		case negated && pfx.Bits() == 0:
			d.problem(p, "catch-all CIDR %q in a negation matches no traffic", n)
			continue
		}
		out = append(out, pfx)
	}
	return out
}

// calicoPorts converts decoded (already checked) ports.
func calicoPorts(ports []numorstring.Port) []PortMatch {
	var out []PortMatch
	for _, p := range ports {
		if p.PortName != "" {
			out = append(out, PortMatch{Name: p.PortName})
		} else {
			out = append(out, PortMatch{Range: PortRange{Min: p.MinPort, Max: p.MaxPort}})
		}
	}
	return out
}

// checkServices checks services on both sides (§4.7): only in an egress
// destination or an ingress source, with a name, without selectors, service
// accounts or nets on that side, without destination ports; a global
// policy's services need a namespace.
//
// A namespaced policy's services without a namespace: the API documents
// "the policy's namespace", but Calico v3.31 fills in no default (Felix looks
// up "/<name>", which matches no EndpointSlice). reach follows the running
// code: the ServiceRef keeps an empty namespace, so the rule matches nothing,
// and a Note says so.
func (d *document) checkServices(path string, r apiv3.Rule, dir Direction, sc ruleScope, rule *Rule, notes *[]string) {
	check := func(side string, e apiv3.EntityRule, allowed bool) {
		s := e.Services
		if s == nil {
			return
		}
		p := path + "." + side + ".services"
		if !allowed {
			if dir == Egress {
				d.problem(p, "not allowed in egress rule source")
			} else {
				d.problem(p, "not allowed in ingress rule destination")
			}
		}
		if s.Name == "" {
			d.problem(p+".name", "must specify a service name")
		}
		for _, n := range []string{s.Name, s.Namespace} {
			if n != "" && !calicoNameRegex.MatchString(n) {
				d.problem(p, "%q: %s", n, wantName)
			}
		}
		if e.NamespaceSelector != "" {
			d.problem(p, "cannot specify NamespaceSelector and Services on the same rule")
		}
		if e.Selector != "" || e.NotSelector != "" {
			d.problem(p, "cannot specify Selector/NotSelector and Services on the same rule")
		}
		if e.ServiceAccounts != nil {
			d.problem(p, "cannot specify ServiceAccounts and Services on the same rule")
		}
		if len(e.Nets) > 0 || len(e.NotNets) > 0 {
			d.problem(p, "cannot specify Nets/NotNets and Services on the same rule")
		}
		if s.Namespace == "" && allowed {
			if sc.global {
				d.problem(p+".namespace", "must specify a namespace")
			} else if notes != nil {
				*notes = append(*notes, fmt.Sprintf("%s: no namespace: Calico v3.31 matches no service then (not the policy's namespace), so the rule never matches", p))
			}
		}
	}
	check("source", r.Source, dir == Ingress)
	check("destination", r.Destination, dir == Egress)
	if r.Destination.Services != nil && len(r.Destination.Ports) > 0 {
		d.problem(path+".destination.ports", "cannot specify ports with a service selector")
	}
	if r.Destination.Services != nil && len(r.Destination.NotPorts) > 0 {
		d.problem(path+".destination.notPorts", "cannot specify notPorts with a service selector")
	}
}

// httpMatch checks and converts an HTTP match: no duplicate methods; each
// path exactly one of exact and prefix, beginning "/" without "?", "#" or
// spaces.
func (d *document) httpMatch(path string, h *apiv3.HTTPMatch) *HTTPMatch {
	m := &HTTPMatch{Methods: h.Methods}
	seen := map[string]bool{}
	for i, meth := range h.Methods {
		if seen[meth] {
			d.problem(fmt.Sprintf("%s.methods[%d]", path, i), "duplicate method %q", meth)
		}
		seen[meth] = true
	}
	for i, p := range h.Paths {
		pp := fmt.Sprintf("%s.paths[%d]", path, i)
		kind, v := "exact", p.Exact
		switch {
		case p.Exact != "" && p.Prefix != "":
			d.problem(pp, "both exact and prefix are set")
			continue
		case p.Exact == "" && p.Prefix == "":
			d.problem(pp, "either exact or prefix must be set")
			continue
		case p.Prefix != "":
			kind, v = "prefix", p.Prefix
		}
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "? #") {
			d.problem(pp, "invalid path %q: must start with / and not contain ?, # or spaces", v)
			continue
		}
		m.Paths = append(m.Paths, kind+":"+v)
	}
	m.Methods = slices.Clone(m.Methods)
	return m
}
