package reach

import (
	"net/netip"
	"slices"

	"github.com/reach-sim/reach/model"
)

// This file compiles the policies and profiles of one direction for the
// matrix sweep: each rule side becomes indices into the questionIndex, and
// each rule atom masks per IP family.

// cSide is one side (source or destination) of a compiled rule.
type cSide struct {
	src             bool // the source side: its port is the ephemeral port
	nets, notNets   []int32
	sel, notSel     int32 // rule selector index, -1: none
	ports, notPorts []model.PortRange
	named, notNamed []int32 // namedKey indices
	hasPorts        bool    // ports or notPorts given: the protocol must have ports
	anyPorts        bool    // the ports list is not empty
	svc             int32   // service index, -1: none
	domains         bool    // never matches offline
}

func compileSide(u *questionIndex, m *model.EntityMatch, src bool) cSide {
	s := cSide{src: src, sel: u.ruleSel(m.Selector), notSel: u.ruleSel(m.NotSelector), svc: -1, domains: len(m.Domains) > 0}
	for _, n := range m.Nets {
		s.nets = append(s.nets, u.net(n))
	}
	for _, n := range m.NotNets {
		s.notNets = append(s.notNets, u.net(n))
	}
	for _, pm := range m.Ports {
		if pm.Name != "" {
			s.named = append(s.named, u.namedPort(s.sel, pm.Name))
		} else {
			s.ports = append(s.ports, pm.Range)
		}
	}
	for _, pm := range m.NotPorts {
		if pm.Name != "" {
			s.notNamed = append(s.notNamed, u.namedPort(s.sel, pm.Name))
		} else {
			s.notPorts = append(s.notPorts, pm.Range)
		}
	}
	s.hasPorts = len(m.Ports) > 0 || len(m.NotPorts) > 0
	s.anyPorts = len(m.Ports) > 0
	if m.Services != nil {
		s.svc = u.service(*m.Services)
	}
	return s
}

func anyBit(b bitset, idx []int32) bool {
	for _, i := range idx {
		if b.has(int(i)) {
			return true
		}
	}
	return false
}

// ok reports whether the address-only fields of the side hold for the
// addresses of class a: nets, selectors, services membership.
func (s *cSide) ok(u *questionIndex, a *addrClass) bool {
	switch {
	case s.domains:
		return false
	case len(s.nets) > 0 && !anyBit(a.nets, s.nets):
		return false
	case anyBit(a.nets, s.notNets):
		return false
	case s.sel >= 0 && !a.sels.has(int(s.sel)):
		return false
	case s.notSel >= 0 && a.sels.has(int(s.notSel)):
		return false
	}
	if s.svc >= 0 {
		if u.services[s.svc] == nil {
			return false
		}
		if s.src {
			return a.svcIn.has(int(s.svc))
		}
		return slices.ContainsFunc(a.svcPorts, func(e portEntry) bool { return e.key == s.svc })
	}
	return true
}

// special reports whether the side's port mask at class a depends on a: a
// named port of the side has numbers there, or the side is a service.
func (s *cSide) special(a *addrClass) bool {
	if s.svc >= 0 && !s.src {
		return true
	}
	if len(s.named) == 0 && len(s.notNamed) == 0 {
		return false
	}
	for _, e := range a.named {
		if slices.Contains(s.named, e.key) || slices.Contains(s.notNamed, e.key) {
			return true
		}
	}
	return false
}

// mask sets out to the atoms the side's port fields (and destination
// services) allow at class a; a nil a stands for a class with no named
// ports and no services. ruleProto filters named ports.
func (s *cSide) mask(at *atomTable, a *addrClass, ruleProto model.Protocol, out, tmp bitset) {
	out.fill()
	if s.svc >= 0 && !s.src {
		out.clear()
		if a != nil {
			for _, e := range a.svcPorts {
				if e.key == s.svc {
					if i := at.lookup(e.proto, e.port); i >= 0 {
						out.set(i)
					}
				}
			}
		}
	}
	if !s.hasPorts {
		return
	}
	out.and(at.portProtos)
	var named []portEntry
	if a != nil {
		named = a.named
	}
	namedHit := func(keys []int32, e portEntry) bool {
		return slices.Contains(keys, e.key) && (ruleProto == 0 || e.proto == ruleProto)
	}
	if s.src {
		// The source port is always the ephemeral one.
		for _, pa := range at.protos {
			if !pa.proto.HasPorts() {
				continue
			}
			hit := func(ranges []model.PortRange, keys []int32) bool {
				for _, r := range ranges {
					if r.Contains(EphemeralSourcePort) {
						return true
					}
				}
				for _, e := range named {
					if e.proto == pa.proto && e.port == EphemeralSourcePort && namedHit(keys, e) {
						return true
					}
				}
				return false
			}
			if s.anyPorts && !hit(s.ports, s.named) || hit(s.notPorts, s.notNamed) {
				for i := range pa.lo {
					out[(pa.first+i)>>6] &^= 1 << (uint(pa.first+i) & 63)
				}
			}
		}
		return
	}
	fill := func(ranges []model.PortRange, keys []int32) {
		tmp.clear()
		for _, pa := range at.protos {
			if pa.proto.HasPorts() {
				for _, r := range ranges {
					at.setRange(tmp, pa.proto, r)
				}
			}
		}
		for _, e := range named {
			if namedHit(keys, e) {
				if i := at.lookup(e.proto, e.port); i >= 0 {
					tmp.set(i)
				}
			}
		}
	}
	if s.anyPorts {
		fill(s.ports, s.named)
		out.and(tmp)
	}
	if len(s.notPorts) > 0 || len(s.notNamed) > 0 {
		fill(s.notPorts, s.notNamed)
		out.andNot(tmp)
	}
}

// cRule is a rule compiled for one direction: own is the side of the
// endpoint whose policy it is (destination for ingress, source for egress),
// peer the other end.
type cRule struct {
	action    model.Action
	proto     model.Protocol
	own, peer cSide
	// fam are the atoms the rule-level fields allow, per IP family; famOwn
	// adds the own side's port fields at an address without named ports or
	// services, famOwnPeer the peer side's too; spans are the words where
	// famOwnPeer is not zero.
	fam, famOwn, famOwnPeer [2]bitset
	spans                   [2][2]int
	peerBase                bitset // the peer side's port mask without named ports or services
	// peerPlain holds the peer classes that pass the peer side's address
	// fields and whose port mask is peerBase; special the others that pass,
	// grouped by port mask (named ports, services).
	peerPlain bitset
	special   []peerPart
}

// peerPart is a set of peer classes (of one family) on which the peer side
// of a rule allows the same atoms.
type peerPart struct {
	fam   int
	peers bitset
	mask  bitset
}

// icmpEcho is the ICMP message a matrix flow carries: an echo request.
func icmpEcho(v6 bool) (model.Protocol, int) {
	if v6 {
		return model.ICMPv6, 128
	}
	return model.ICMP, 8
}

// familyMask returns the atoms rule r allows in packets of one IP family,
// from its rule-level fields: ipVersion, protocol, notProtocol, the
// implicit family of its CIDRs, icmp and notICMP.
func familyMask(r *model.Rule, at *atomTable, v6 bool) bitset {
	b := newBitset(at.n)
	fam := 4
	if v6 {
		fam = 6
	}
	if r.IPVersion != 0 && r.IPVersion != fam {
		return b
	}
	for _, nets := range [][]netip.Prefix{r.Source.Nets, r.Source.NotNets, r.Destination.Nets, r.Destination.NotNets} {
		if len(nets) > 0 && !slices.ContainsFunc(nets, func(n netip.Prefix) bool { return n.Addr().Unmap().Is6() == v6 }) {
			return b
		}
	}
	icmpProto, echo := icmpEcho(v6)
	icmpIs := func(m *model.ICMPMatch) bool { return m.Type == echo && (m.Code == nil || *m.Code == 0) }
	for _, pa := range at.protos {
		p := pa.proto
		if r.Protocol != 0 && p != r.Protocol || r.NotProtocol != 0 && p == r.NotProtocol {
			continue
		}
		if r.ICMP != nil && (p != icmpProto || !icmpIs(r.ICMP)) {
			continue
		}
		if r.NotICMP != nil && (p != icmpProto || icmpIs(r.NotICMP)) {
			continue
		}
		at.setProto(b, p)
	}
	return b
}

// wordSpan returns the words of b from the first to the last non-zero one
// (lo == hi when b is empty).
func wordSpan(b bitset) [2]int {
	lo := 0
	for lo < len(b) && b[lo] == 0 {
		lo++
	}
	hi := len(b)
	for hi > lo && b[hi-1] == 0 {
		hi--
	}
	return [2]int{lo, hi}
}

// compileRules compiles the rules of one direction, dropping Log rules
// (they never decide anything). Peer classes are filled in later, by
// direction.peers.
func (e *matrixEngine) compileRules(rules []model.Rule, dir model.Direction) []cRule {
	var out []cRule
	tmp := newBitset(e.atoms.n)
	for i := range rules {
		r := &rules[i]
		if r.Action == model.Log {
			continue
		}
		cr := cRule{action: r.Action, proto: r.Protocol}
		src, dst := compileSide(e.u, &r.Source, true), compileSide(e.u, &r.Destination, false)
		if dir == model.Ingress {
			cr.own, cr.peer = dst, src
		} else {
			cr.own, cr.peer = src, dst
		}
		own, peer := newBitset(e.atoms.n), newBitset(e.atoms.n)
		cr.own.mask(e.atoms, nil, r.Protocol, own, tmp)
		cr.peer.mask(e.atoms, nil, r.Protocol, peer, tmp)
		cr.peerBase = peer
		for f := range 2 {
			cr.fam[f] = familyMask(r, e.atoms, f == 1)
			cr.famOwn[f] = slices.Clone(cr.fam[f])
			cr.famOwn[f].and(own)
			cr.famOwnPeer[f] = slices.Clone(cr.famOwn[f])
			cr.famOwnPeer[f].and(peer)
			cr.spans[f] = wordSpan(cr.famOwnPeer[f])
		}
		out = append(out, cr)
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cPolicy is a participating policy compiled for one direction.
type cPolicy struct {
	sel   int32 // policy selector index
	rules []cRule
}

// cTier is a tier with the participating policies that govern one
// direction.
type cTier struct {
	defaultPass bool
	policies    []cPolicy
}

// dirPlan is everything one direction's sweep needs.
type dirPlan struct {
	dir      model.Direction
	tiers    []cTier
	profiles map[string][]cRule // host endpoint profiles by name; absent: skipped
}

const defaultAllowProfileName = "projectcalico-default-allow"

func (e *matrixEngine) compilePlan(dir model.Direction) *dirPlan {
	p := &dirPlan{dir: dir, profiles: map[string][]cRule{}}
	for _, t := range e.c.Tiers {
		ct := cTier{defaultPass: t.DefaultAction == model.Pass}
		for _, pol := range t.Policies {
			if !e.u.participates(pol) || !pol.Governs(dir) {
				continue
			}
			ct.policies = append(ct.policies, cPolicy{
				sel:   e.u.polSelIdx[pol.Selector.String()],
				rules: e.compileRules(pol.Rules(dir), dir),
			})
		}
		if len(ct.policies) > 0 {
			p.tiers = append(p.tiers, ct)
		}
	}
	for _, h := range e.c.HostEndpoints {
		for _, name := range h.Profiles {
			if _, done := p.profiles[name]; done {
				continue
			}
			i := slices.IndexFunc(e.c.Profiles, func(pr *model.Profile) bool { return pr.Name == name })
			switch {
			case i >= 0:
				rules := e.c.Profiles[i].Ingress
				if dir == model.Egress {
					rules = e.c.Profiles[i].Egress
				}
				p.profiles[name] = e.compileRules(rules, dir)
			case name == defaultAllowProfileName:
				p.profiles[name] = e.compileRules([]model.Rule{{Action: model.Allow}}, dir)
			}
		}
	}
	return p
}

// rules calls f for every compiled rule of the plan.
func (p *dirPlan) rules(f func(r *cRule)) {
	for ti := range p.tiers {
		for pi := range p.tiers[ti].policies {
			rules := p.tiers[ti].policies[pi].rules
			for ri := range rules {
				f(&rules[ri])
			}
		}
	}
	for _, rules := range p.profiles {
		for ri := range rules {
			f(&rules[ri])
		}
	}
}
