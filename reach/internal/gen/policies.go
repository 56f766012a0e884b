package gen

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

// This file makes tiers, policies and rules, in the normalized form of
// model with the effective selectors Calico's converters produce.

func order(f float64) *float64 { return &f }

func (g *generator) tierObjects() {
	g.tiers = []string{model.DefaultTier, model.AdminNetworkPolicyTier}
	for i := range g.cfg.Tiers {
		t := &model.Tier{Name: "tier" + strconv.Itoa(i), DefaultAction: pick(g, []model.Action{model.Deny, model.Pass})}
		if !g.chance(0.2) {
			t.Order = order(float64(100 * (1 + g.r.IntN(30))))
		}
		g.out.Tiers = append(g.out.Tiers, t)
		g.tiers = append(g.tiers, t.Name)
	}
}

// podSelector returns a Kubernetes-style selector on pod labels: the
// orchestrator clause and some matchLabels or expressions.
func (g *generator) podLabelSelector() selector.Selector {
	parts := []selector.Selector{selector.Eq(model.LabelOrchestrator, model.OrchestratorK8s)}
	for range g.r.IntN(3) {
		parts = append(parts, g.labelExpr(false))
	}
	return selector.And(parts...)
}

// labelExpr returns one random label expression; pcns chooses namespace
// label keys.
func (g *generator) labelExpr(namespaceKeys bool) selector.Selector {
	key := pick(g, labelKeys)
	if namespaceKeys {
		key = pick(g, []string{"team", "env", model.LabelK8sNamespace})
	}
	val := g.value(key)
	if key == "app" && len(g.workloads) > 0 && g.chance(0.5) {
		val = pick(g, g.workloads).labels["app"]
	}
	if key == model.LabelK8sNamespace {
		val = pick(g, g.ns)
	}
	switch g.r.IntN(8) {
	case 0:
		return selector.NotEq(key, val)
	case 1:
		return selector.In(key, val, g.value(key))
	case 2:
		return selector.NotIn(key, val)
	case 3:
		return selector.Has(key)
	case 4:
		return selector.Not(selector.Has(key))
	}
	return selector.Eq(key, val)
}

// calicoSelector returns a selector in Calico syntax over pod, host
// endpoint and network set labels.
func (g *generator) calicoSelector() selector.Selector {
	switch g.r.IntN(10) {
	case 0:
		return selector.All()
	case 1:
		return selector.Or(g.labelExpr(false), g.labelExpr(false))
	case 2:
		return selector.Eq("role", pick(g, []string{"worker", "ingress"}))
	case 3:
		return selector.Eq("kind", pick(g, []string{"internal", "external"}))
	case 4:
		return selector.And(g.labelExpr(false), g.labelExpr(false))
	}
	return g.labelExpr(false)
}

func (g *generator) knp(i int) *model.Policy {
	ns := pick(g, g.ns)
	p := &model.Policy{
		Kind: model.KubernetesNetworkPolicy, Namespace: ns, Name: "knp" + strconv.Itoa(i),
		Tier: model.DefaultTier, Order: order(1000),
	}
	p.Selector = selector.And(g.podLabelSelector(), selector.Eq(model.LabelNamespace, ns))
	p.Ingress = true
	p.Egress = g.chance(0.4)
	if !p.Egress && g.chance(0.2) {
		p.Ingress, p.Egress = false, true
	}
	if p.Ingress {
		p.IngressRules = g.knpRules(ns, model.Ingress)
	}
	if p.Egress {
		p.EgressRules = g.knpRules(ns, model.Egress)
	}
	g.stage(p)
	p.SortKey = ns + "/knp.default." + p.Name
	if p.Staged {
		p.SortKey = ns + "/staged:knp.default." + p.Name
	}
	return p
}

// knpRules converts random Kubernetes rules: one Allow rule per protocol
// per peer.
func (g *generator) knpRules(ns string, dir model.Direction) []model.Rule {
	var out []model.Rule
	for k := range g.r.IntN(g.cfg.RulesMax + 1) {
		var peers []model.EntityMatch
		for range g.r.IntN(3) {
			var m model.EntityMatch
			switch g.r.IntN(4) {
			case 0: // podSelector
				s := selector.And(selector.Eq(model.LabelNamespace, ns), g.podLabelSelector())
				m.Selector = &s
			case 1: // namespaceSelector
				nsSel := selector.All()
				if g.chance(0.7) {
					nsSel = g.labelExpr(true)
				}
				s := selector.And(nsScope(nsSel), selector.Eq(model.LabelOrchestrator, model.OrchestratorK8s))
				m.Selector = &s
			case 2: // both
				s := selector.And(nsScope(g.labelExpr(true)), g.podLabelSelector())
				m.Selector = &s
			case 3: // ipBlock
				c := g.cidr(g.chance(0.2))
				m.Nets = []netip.Prefix{c}
				if g.chance(0.4) && c.Bits() < 30 {
					m.NotNets = []netip.Prefix{netip.PrefixFrom(c.Addr(), c.Bits()+2).Masked()}
				}
			}
			peers = append(peers, m)
		}
		if len(peers) == 0 {
			peers = []model.EntityMatch{{}}
		}
		groups := map[model.Protocol][]model.PortMatch{}
		for range g.r.IntN(3) {
			proto := pick(g, []model.Protocol{model.TCP, model.TCP, model.UDP, model.SCTP})
			var pm model.PortMatch
			switch g.r.IntN(4) {
			case 0:
				pm.Name = pick(g, g.portNames)
			case 1:
				lo := uint16(8000)
				if g.chance(g.cfg.RandomPorts) {
					lo = uint16(1000 + g.r.IntN(9000))
				}
				pm.Range = model.PortRange{Min: lo, Max: lo + uint16(g.r.IntN(100))}
			default:
				p := pick(g, []uint16{53, 80, 443, 5432, 8080, 9090, 32768})
				pm.Range = model.PortRange{Min: p, Max: p}
			}
			groups[proto] = append(groups[proto], pm)
		}
		protos := []model.Protocol{0}
		if len(groups) > 0 {
			protos = protos[:0]
			for p := range groups {
				protos = append(protos, p)
			}
			slices.SortFunc(protos, func(a, b model.Protocol) int { return cmpString(a.String(), b.String()) })
		}
		for _, proto := range protos {
			for _, peer := range peers {
				r := model.Rule{Action: model.Allow, Protocol: proto, Origin: fmt.Sprintf("spec.%s[%d]", lower(dir), k)}
				if dir == model.Ingress {
					r.Source = peer
					r.Destination.Ports = groups[proto]
				} else {
					r.Destination = peer
					r.Destination.Ports = groups[proto]
				}
				r.Index = len(out)
				out = append(out, r)
			}
		}
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func lower(d model.Direction) string {
	if d == model.Egress {
		return "egress"
	}
	return "ingress"
}

// nsScope is a rule namespaceSelector as Calico evaluates it.
func nsScope(s selector.Selector) selector.Selector {
	return s.PrefixLabels(model.NamespacePrefix).
		ReplaceAll(selector.Has(model.LabelNamespace)).
		ReplaceGlobal(selector.Not(selector.Has(model.LabelNamespace)))
}

func (g *generator) stage(p *model.Policy) {
	if !g.chance(g.cfg.Staged) {
		return
	}
	p.Staged = true
	switch p.Kind {
	case model.KubernetesNetworkPolicy:
		p.Kind = model.StagedKubernetesNetworkPolicy
	case model.CalicoNetworkPolicy:
		p.Kind = model.StagedNetworkPolicy
	case model.GlobalNetworkPolicy:
		p.Kind = model.StagedGlobalNetworkPolicy
	}
	p.StagedAction = pick(g, []string{"Set", "Set", "Learn", "Ignore", "Delete"})
	// A staged Delete keeps its content here, to check that it is ignored.
}

func (g *generator) calicoPolicy(i int) *model.Policy {
	p := &model.Policy{Name: "cp" + strconv.Itoa(i), Tier: pick(g, g.tiers)}
	if g.chance(0.8) {
		p.Order = order(float64(pick(g, []int{1, 100, 500, 1000, 1000, 2000})))
	}
	ns := ""
	if g.chance(0.55) {
		ns = pick(g, g.ns)
		p.Kind, p.Namespace = model.CalicoNetworkPolicy, ns
		p.Selector = selector.Eq(model.LabelNamespace, ns)
		if g.chance(0.8) {
			p.Selector = selector.And(g.calicoSelector(), p.Selector)
		}
	} else {
		p.Kind = model.GlobalNetworkPolicy
		p.Selector = g.calicoSelector()
		if g.chance(0.3) {
			p.Selector = selector.And(p.Selector, g.labelExpr(true).PrefixLabels(model.NamespacePrefix)).
				ReplaceAll(selector.Has(model.LabelNamespace))
		}
	}
	p.IngressRules = g.rules(ns, model.Ingress, false)
	p.EgressRules = g.rules(ns, model.Egress, false)
	switch {
	case g.chance(0.3):
		p.Ingress, p.Egress = true, true
	case g.chance(0.1):
		p.Ingress = true
		p.IngressRules, p.EgressRules = nil, nil // default deny
	default: // API defaulting
		p.Ingress = len(p.EgressRules) == 0 || len(p.IngressRules) > 0
		p.Egress = len(p.EgressRules) > 0
	}
	g.stage(p)
	key := p.Tier + "." + p.Name
	if p.Staged {
		key = "staged:" + key
	}
	if ns != "" {
		key = ns + "/" + key
	}
	p.SortKey = key
	return p
}

// rules returns random Calico rules of a policy in namespace ns ("" for a
// global policy or a profile).
func (g *generator) rules(ns string, dir model.Direction, profile bool) []model.Rule {
	var out []model.Rule
	for k := range g.r.IntN(g.cfg.RulesMax + 1) {
		r := model.Rule{Origin: fmt.Sprintf("spec.%s[%d]", lower(dir), k), Index: k}
		actions := []model.Action{model.Allow, model.Allow, model.Allow, model.Deny, model.Deny, model.Pass, model.Log}
		r.Action = pick(g, actions)
		x := g.cfg.Exotic
		switch g.r.IntN(10) {
		case 0, 1, 2:
			r.Protocol = model.TCP
		case 3:
			r.Protocol = model.UDP
		case 4:
			if g.chance(x) {
				r.Protocol = pick(g, []model.Protocol{model.SCTP, model.ICMPv6, 47, model.UDPLite, 6})
			}
		case 5:
			if g.chance(2 * x) {
				r.Protocol = model.ICMP
			}
		}
		if g.chance(x / 2) {
			r.NotProtocol = pick(g, []model.Protocol{model.TCP, model.UDP, model.ICMP})
		}
		if (r.Protocol == model.ICMP || r.Protocol == model.ICMPv6) && g.chance(0.6) {
			m := &model.ICMPMatch{Type: pick(g, []int{8, 0, 128, 3})}
			if g.chance(0.5) {
				c := pick(g, []int{0, 1})
				m.Code = &c
			}
			if g.chance(0.3) {
				r.NotICMP = m
			} else {
				r.ICMP = m
			}
		}
		switch {
		case r.Protocol == model.ICMP:
			if g.chance(0.7) {
				r.IPVersion = 4
			}
		case r.Protocol == model.ICMPv6:
			if g.chance(0.7) {
				r.IPVersion = 6
			}
		case g.chance(x / 3):
			r.IPVersion = pick(g, []int{4, 6})
		}
		ports := r.Protocol.HasPorts()
		r.Source = g.entity(ns, r.IPVersion, ports && g.chance(x), dir == model.Ingress && !profile, dir == model.Egress)
		r.Destination = g.entity(ns, r.IPVersion, ports || r.Protocol == 0 && g.chance(x), dir == model.Egress && !profile, dir == model.Ingress)
		if r.Action == model.Allow && dir == model.Ingress && g.chance(x/2) {
			r.HTTP = &model.HTTPMatch{Methods: []string{"GET"}}
		}
		out = append(out, r)
	}
	return out
}

// entity returns a random rule side. withPorts allows ports (when the
// protocol has them, or named ports alone when it has none); services
// allows a services match; own says the side is the policy's own end.
func (g *generator) entity(ns string, ipVersion int, withPorts, services, own bool) model.EntityMatch {
	var m model.EntityMatch
	x := g.cfg.Exotic
	switch {
	case own && !g.chance(g.cfg.OwnSide):
		// no address constraint
	case services && g.chance(x) && len(g.out.Services) > 0:
		s := pick(g, g.out.Services)
		ref := model.ServiceRef{Namespace: s.Namespace, Name: s.Name}
		if g.chance(0.1) {
			ref.Name = "nosuch"
		}
		m.Services = &ref
		if !withPorts {
			return m
		}
	default:
		var sel, notSel, nsSel *selector.Selector
		if g.chance(0.5) {
			s := g.calicoSelector()
			sel = &s
		}
		if g.chance(x) {
			s := g.calicoSelector()
			notSel = &s
		}
		if g.chance(0.25) {
			s := pick(g, []selector.Selector{selector.All(), selector.Global(), g.labelExpr(true)})
			nsSel = &s
		}
		m.Selector, m.NotSelector = scopeEntity(ns, sel, notSel, nsSel)
		v6 := ipVersion == 6 || ipVersion == 0 && g.chance(0.15)
		if g.chance(0.3) {
			for range 1 + g.r.IntN(2) {
				m.Nets = append(m.Nets, g.cidr(v6))
			}
		}
		if g.chance(x) {
			m.NotNets = append(m.NotNets, g.cidr(v6))
		}
		if g.chance(x / 4) {
			m.Domains = []string{"example.com"}
		}
	}
	if !withPorts || m.Services != nil && g.chance(0.5) {
		return m
	}
	list := func() []model.PortMatch {
		var ps []model.PortMatch
		for range 1 + g.r.IntN(3) {
			var pm model.PortMatch
			switch g.r.IntN(5) {
			case 0:
				pm.Name = pick(g, g.portNames)
			case 1:
				if g.chance(g.cfg.RandomPorts) {
					lo := uint16(g.r.IntN(65536))
					hi := uint64(lo) + uint64(g.r.IntN(20000))
					pm.Range = model.PortRange{Min: lo, Max: uint16(min(hi, 65535))}
				} else {
					pm.Range = pick(g, []model.PortRange{{Min: 8000, Max: 8999}, {Min: 1024, Max: 65535}, {Min: 30000, Max: 32767}})
				}
			default:
				p := pick(g, []uint16{0, 53, 80, 443, 5432, 8080, 9090, 32768, 65535})
				pm.Range = model.PortRange{Min: p, Max: p}
			}
			ps = append(ps, pm)
		}
		return ps
	}
	if g.chance(0.8) {
		m.Ports = list()
	}
	if g.chance(x) {
		m.NotPorts = list()
	}
	return m
}

// scopeEntity returns the effective positive and negative selectors of a
// rule side in a policy of namespace ns (semantics §4.4).
func scopeEntity(ns string, sel, notSel, nsSel *selector.Selector) (pos, neg *selector.Selector) {
	var n *selector.Selector
	switch {
	case nsSel != nil:
		s := nsScope(*nsSel)
		n = &s
	case ns != "":
		s := selector.Eq(model.LabelNamespace, ns)
		n = &s
	}
	pos = sel
	if n != nil && (sel != nil || notSel != nil || nsSel != nil) {
		if sel == nil {
			pos = n
		} else {
			s := selector.And(*n, *sel)
			pos = &s
		}
	}
	return pos, notSel
}
