package reach

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

// The encapsulations Felix drops on a workload's egress before any policy
// (semantics §1.1).
const (
	vxlanPort    = 4789
	ipipProtocol = model.Protocol(4)
)

// The ICMP message assumed when a flow names none: an echo request.
const (
	icmpEchoRequest   = 8
	icmpv6EchoRequest = 128
)

// The assumptions made when a rule consults what a flow leaves out.
var (
	assumedSourcePort    = fmt.Sprintf("source port not given: assumed the ephemeral port %d", EphemeralSourcePort)
	assumedEchoRequest   = fmt.Sprintf("ICMP type and code not given: assumed an echo request (type %d, code 0)", icmpEchoRequest)
	assumedEchoRequestV6 = fmt.Sprintf("ICMPv6 type and code not given: assumed an echo request (type %d, code 0)", icmpv6EchoRequest)
)

// packet is the first packet of a resolved flow, as rules see it.
type flowPacket struct {
	src, dst netip.Addr
	proto    model.Protocol
	// srcPort and dstPort are 0 for protocols without ports.
	srcPort, dstPort uint16
	srcPortGiven     bool // false: srcPort is EphemeralSourcePort
	icmp             ICMPType
	icmpGiven        bool // false: icmp is an echo request
}

func packetOf(f Flow) flowPacket {
	p := flowPacket{src: f.Src.IP, dst: f.Dst.IP, proto: f.Protocol}
	if f.Protocol.HasPorts() {
		p.dstPort = f.Port
		p.srcPort, p.srcPortGiven = f.SrcPort, f.SrcPort != 0
		if !p.srcPortGiven {
			p.srcPort = EphemeralSourcePort
		}
	}
	switch {
	case f.ICMP != nil:
		p.icmp, p.icmpGiven = *f.ICMP, true
	case p.src.Is4():
		p.icmp = ICMPType{Type: icmpEchoRequest}
	default:
		p.icmp = ICMPType{Type: icmpv6EchoRequest}
	}
	return p
}

// family returns 4 or 6.
func (p flowPacket) family() int {
	if p.src.Is4() {
		return 4
	}
	return 6
}

// isICMP reports whether the packet is ICMP of its IP family: ICMP for IPv4,
// ICMPv6 for IPv6.
func (p flowPacket) isICMP() bool {
	if p.family() == 4 {
		return p.proto == model.ICMP
	}
	return p.proto == model.ICMPv6
}

// encapsulated reports whether the packet is VXLAN or IP-in-IP.
func (p flowPacket) encapsulated() bool {
	return p.proto == model.UDP && p.dstPort == vxlanPort || p.proto == ipipProtocol
}

// end is the source or the destination part of a rule.
type ruleEnd uint8

const (
	srcEnd ruleEnd = iota
	dstEnd
)

// matchRule reports whether every field of rule r holds for the packet
// (semantics §4.1), recording what it had to assume. ref names the rule in
// assumptions.
func (e *evaluation) matchRule(ref RuleRef, r *model.Rule) bool {
	p := e.pkt
	if r.IPVersion != 0 && r.IPVersion != p.family() {
		return false
	}
	if r.Protocol != 0 && r.Protocol != p.proto {
		return false
	}
	if r.NotProtocol != 0 && r.NotProtocol == p.proto {
		return false
	}
	if !familyAllowed(r, p.family()) {
		return false
	}
	if r.ICMP != nil && !e.matchICMP(*r.ICMP) {
		return false
	}
	if r.NotICMP != nil && !e.matchNotICMP(*r.NotICMP) {
		return false
	}
	if !e.matchEntity(ref, r, srcEnd) || !e.matchEntity(ref, r, dstEnd) {
		return false
	}
	if r.HTTP != nil {
		e.assume(fmt.Sprintf("%s has an HTTP match, which reach cannot evaluate offline; it matched on its L4 part", ref))
	}
	return true
}

// familyAllowed applies the implicit IP-family restriction (semantics §4.2):
// a non-empty nets or notNets list with no CIDR of the packet's family makes
// the rule never match that family.
func familyAllowed(r *model.Rule, family int) bool {
	for _, nets := range [][]netip.Prefix{r.Source.Nets, r.Source.NotNets, r.Destination.Nets, r.Destination.NotNets} {
		if len(nets) > 0 && !slices.ContainsFunc(nets, func(n netip.Prefix) bool { return prefixFamily(n) == family }) {
			return false
		}
	}
	return true
}

func prefixFamily(n netip.Prefix) int {
	if n.Addr().Unmap().Is4() {
		return 4
	}
	return 6
}

// matchICMP reports whether the packet is ICMP of its family with m's type
// (and code, when m has one). The dataplane's match is an ICMP match, so a
// packet of another protocol never matches.
func (e *evaluation) matchICMP(m model.ICMPMatch) bool {
	if !e.pkt.isICMP() {
		return false
	}
	return e.icmpIs(m)
}

// matchNotICMP reports whether the packet is ICMP of its family but not of
// m's type (and code). Like icmp, notICMP is an ICMP match in the dataplane:
// a packet of another protocol does not match.
func (e *evaluation) matchNotICMP(m model.ICMPMatch) bool {
	if !e.pkt.isICMP() {
		return false
	}
	return !e.icmpIs(m)
}

// icmpIs compares the packet's ICMP type and code with m, recording the
// echo-request assumption when the flow named no ICMP message.
func (e *evaluation) icmpIs(m model.ICMPMatch) bool {
	p := e.pkt
	if !p.icmpGiven {
		if p.family() == 4 {
			e.assume(assumedEchoRequest)
		} else {
			e.assume(assumedEchoRequestV6)
		}
	}
	if int(p.icmp.Type) != m.Type {
		return false
	}
	return m.Code == nil || int(p.icmp.Code) == *m.Code
}

// matchEntity reports whether the source or destination part of rule r
// holds: every field set must hold (semantics §4.3).
func (e *evaluation) matchEntity(ref RuleRef, r *model.Rule, which ruleEnd) bool {
	m, ip, port := &r.Source, e.pkt.src, e.pkt.srcPort
	if which == dstEnd {
		m, ip, port = &r.Destination, e.pkt.dst, e.pkt.dstPort
	}
	if len(m.Nets) > 0 && !inNets(m.Nets, ip) {
		return false
	}
	if inNets(m.NotNets, ip) {
		return false
	}
	if m.Selector != nil && !e.inIPSet(*m.Selector, ip) {
		return false
	}
	if m.NotSelector != nil && e.inIPSet(*m.NotSelector, ip) {
		return false
	}
	if m.Services != nil && !e.matchService(ref, *m.Services, which) {
		return false
	}
	if len(m.Ports) > 0 || len(m.NotPorts) > 0 {
		if !e.pkt.proto.HasPorts() {
			return false // port matches need a protocol with ports
		}
		if which == srcEnd && !e.pkt.srcPortGiven {
			e.assume(assumedSourcePort)
		}
		matches := func(pm model.PortMatch) bool { return e.matchPort(pm, m.Selector, ip, port) }
		if len(m.Ports) > 0 && !slices.ContainsFunc(m.Ports, matches) {
			return false
		}
		if slices.ContainsFunc(m.NotPorts, matches) {
			return false
		}
	}
	if len(m.Domains) > 0 {
		e.assume(fmt.Sprintf("domains rule (%s, domains %s) cannot be evaluated offline; treated as not matching",
			ref, strings.Join(m.Domains, ", ")))
		return false
	}
	return true
}

func inNets(nets []netip.Prefix, ip netip.Addr) bool {
	return slices.ContainsFunc(nets, func(n netip.Prefix) bool { return n.Contains(ip) })
}

func hasAddr(addrs []netip.Addr, ip netip.Addr) bool {
	return slices.ContainsFunc(addrs, func(a netip.Addr) bool { return a.Unmap() == ip })
}

// labelsOf guards against objects that are not part of a built cluster,
// whose label view is nil: they have no labels.
func labelsOf(l *model.EndpointLabels) selector.Labels {
	if l == nil {
		return selector.Set(nil)
	}
	return l
}

// isWorkload reports whether pod p is a Calico workload endpoint with
// addresses: not on the host network and not finished.
func isWorkload(p *model.Pod) bool { return !p.HostNetwork && !p.Finished() }

// inIPSet reports whether ip is in the IP set of rule selector sel: an
// address of a workload endpoint or host endpoint (its expectedIPs) that sel
// matches, or inside a CIDR of a network set that sel matches (semantics
// §4.5). Matching is by address, not identity.
func (e *evaluation) inIPSet(sel selector.Selector, ip netip.Addr) bool {
	for _, p := range e.c.Pods {
		if isWorkload(p) && hasAddr(p.IPs, ip) && sel.Matches(labelsOf(p.SelectorLabels())) {
			return true
		}
	}
	for _, h := range e.c.HostEndpoints {
		if hasAddr(h.ExpectedIPs, ip) && sel.Matches(labelsOf(h.SelectorLabels())) {
			return true
		}
	}
	for _, n := range e.c.NetworkSets {
		if inNets(n.Nets, ip) && sel.Matches(labelsOf(n.SelectorLabels())) {
			return true
		}
	}
	return false
}

// matchPort reports whether port at ip matches one entry of a ports list: a
// numeric range, or a named port (semantics §4.6).
func (e *evaluation) matchPort(pm model.PortMatch, sel *selector.Selector, ip netip.Addr, port uint16) bool {
	if pm.Name == "" {
		return pm.Range.Contains(port)
	}
	return e.namedPortAt(pm.Name, sel, ip, port)
}

// namedPortAt reports whether (ip, protocol, port) of the packet is an
// address of an endpoint and that endpoint's port called name, with the
// port's protocol. Only endpoints sel matches count (every endpoint when sel
// is nil). A rule's protocol, when it has one, was checked already: only
// named ports of that protocol can match.
func (e *evaluation) namedPortAt(name string, sel *selector.Selector, ip netip.Addr, port uint16) bool {
	has := func(ports []model.NamedPort) bool {
		return slices.ContainsFunc(ports, func(np model.NamedPort) bool {
			return np.Name == name && np.Port == port && np.Protocol == e.pkt.proto
		})
	}
	selected := func(l *model.EndpointLabels) bool { return sel == nil || sel.Matches(labelsOf(l)) }
	for _, p := range e.c.Pods {
		if isWorkload(p) && hasAddr(p.IPs, ip) && has(p.NamedPorts) && selected(p.SelectorLabels()) {
			return true
		}
	}
	for _, h := range e.c.HostEndpoints {
		if hasAddr(h.ExpectedIPs, ip) && has(h.NamedPorts) && selected(h.SelectorLabels()) {
			return true
		}
	}
	return false
}

// matchService matches a services rule (semantics §4.7). As a destination:
// the packet's (IP, protocol, port) is a backend address with one of the
// service's ports resolved to that backend's target port. As a source: the
// source IP is a backend address.
func (e *evaluation) matchService(ref RuleRef, s model.ServiceRef, which ruleEnd) bool {
	i := slices.IndexFunc(e.c.Services, func(svc *model.Service) bool {
		return svc.Namespace == s.Namespace && svc.Name == s.Name
	})
	if i < 0 {
		e.assume(fmt.Sprintf("service %s named by %s does not exist; the rule does not match", serviceName(s), ref))
		return false
	}
	svc := e.c.Services[i]
	ip := e.pkt.src
	if which == dstEnd {
		ip = e.pkt.dst
	}
	for _, b := range e.c.Backends(svc) {
		if !hasAddr(b.IPs, ip) {
			continue
		}
		if which == srcEnd {
			return true
		}
		for _, sp := range svc.Ports {
			proto := sp.Protocol
			if proto == 0 {
				proto = model.TCP
			}
			if proto != e.pkt.proto || !proto.HasPorts() {
				continue
			}
			if port, ok := targetPort(sp, proto, b); ok && port == e.pkt.dstPort {
				return true
			}
		}
	}
	return false
}

func serviceName(s model.ServiceRef) string {
	if s.Namespace == "" {
		return s.Name
	}
	return s.Namespace + "/" + s.Name
}

// targetPort returns the port backend b listens on for service port sp: the
// numeric target port, the number of b's container port named by the
// target, or the service port itself when no target is given. It reports
// false when b has no container port of that name and protocol: such a
// backend is not in the EndpointSlice for that port.
func targetPort(sp model.ServicePort, proto model.Protocol, b *model.Pod) (uint16, bool) {
	switch {
	case sp.TargetName != "":
		for _, np := range b.NamedPorts {
			if np.Name == sp.TargetName && np.Protocol == proto {
				return np.Port, true
			}
		}
		return 0, false
	case sp.TargetPort != 0:
		return sp.TargetPort, true
	}
	return sp.Port, true
}
