package reach

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

// Evaluate decides the new connection f in cluster c the way Calico's
// dataplane does, reading the semantics literally: the egress of the source
// and the ingress of the destination are decided independently, each by
// walking the tiers that select that endpoint in order, their policies in
// order and the policies' rules in order, then the endpoint's profiles; the
// connection is allowed only when both sides allow it. An end that is not a
// Calico endpoint (an outside address, a host-network pod) has no policy of
// its own. A pod reaching itself is always allowed.
//
// A pod or host endpoint peer without an IP uses its first address of a
// family the other end also has, IPv4 first; the returned Verdict.Flow
// carries the addresses used. An IP peer is never treated as an endpoint,
// even when the address belongs to one, though rule selectors still match it
// by address.
//
// A workload's VXLAN (UDP to 4789) and IP-in-IP packets are dropped before
// any policy, as Felix does by default. preDNAT and doNotTrack policies
// (model.Policy.HostOnly) never apply to pods.
//
// When the cluster has a staged policy that is not a staged Delete,
// Verdict.Pending is the same evaluation with the staged policies enforced.
//
// Evaluate is the slow, readable reference: it compiles nothing and scans
// the whole cluster for every rule selector. It returns an error only for a
// flow that cannot happen: a nil cluster, a missing protocol, a peer with no
// address (nothing set, a finished pod, a pod or host endpoint without
// addresses), an IP that is not the peer's, or two ends with no IP family in
// common.
func Evaluate(c *model.Cluster, f Flow) (Verdict, error) {
	if c == nil {
		return Verdict{}, errors.New("evaluate: nil cluster")
	}
	rf, err := resolveFlow(f)
	if err != nil {
		return Verdict{}, fmt.Errorf("evaluate %s: %w", f, err)
	}
	v := evaluateScope(c, rf, enforcedOnly)
	if hasStaged(c) {
		p := evaluateScope(c, rf, stagedAsEnforced)
		v.Pending = &p
	}
	return v, nil
}

// policyScope says which policies take part in a verdict (semantics §3.2).
type policyScope uint8

const (
	// enforcedOnly ignores every staged policy: the verdict Felix enforces.
	enforcedOnly policyScope = iota
	// stagedAsEnforced treats staged Set/Learn/Ignore policies as enforced:
	// the pending verdict of flow logs. Staged Delete policies never apply.
	stagedAsEnforced
)

// stagedDelete is the stagedAction of a staged policy that deletes; Felix
// never sees such a policy (semantics §3.1).
const stagedDelete = "Delete"

// hasStaged reports whether some policy of c is staged with an action other
// than Delete, so that the pending verdict can differ from the enforced one.
func hasStaged(c *model.Cluster) bool {
	for _, t := range c.Tiers {
		for _, p := range t.Policies {
			if p.Staged && p.StagedAction != stagedDelete {
				return true
			}
		}
	}
	return false
}

// resolve checks f and fills in the address of each peer.
func resolveFlow(f Flow) (Flow, error) {
	if f.Protocol == 0 {
		return f, errors.New("flow has no protocol")
	}
	src, err := peerAddresses(f.Src)
	if err != nil {
		return f, fmt.Errorf("source: %w", err)
	}
	dst, err := peerAddresses(f.Dst)
	if err != nil {
		return f, fmt.Errorf("destination: %w", err)
	}
	for _, is4 := range []bool{true, false} {
		s, d := firstOfFamily(src, is4), firstOfFamily(dst, is4)
		if s.IsValid() && d.IsValid() {
			f.Src.IP, f.Dst.IP = s, d
			return f, nil
		}
	}
	return f, fmt.Errorf("no IP family in common: source has %s, destination has %s", familyNames(src), familyNames(dst))
}

// addresses returns the addresses peer p may use: the one it names, or all
// of its endpoint's.
func peerAddresses(p Peer) ([]netip.Addr, error) {
	var all []netip.Addr
	switch {
	case p.Pod != nil && p.Host != nil:
		return nil, fmt.Errorf("peer is both pod %s and host endpoint %q", p.Pod.ID(), p.Host.Name)
	case p.Pod != nil:
		if p.Pod.Finished() {
			return nil, fmt.Errorf("pod %s has finished (phase %s) and holds no address", p.Pod.ID(), p.Pod.Phase)
		}
		if len(p.Pod.IPs) == 0 {
			if p.Pod.HostNetwork {
				return nil, fmt.Errorf("host-network pod %s has no address in the input", p.Pod.ID())
			}
			return nil, fmt.Errorf("pod %s has no address", p.Pod.ID())
		}
		all = p.Pod.IPs
	case p.Host != nil:
		if len(p.Host.ExpectedIPs) == 0 {
			return nil, fmt.Errorf("host endpoint %q has no expectedIPs", p.Host.Name)
		}
		all = p.Host.ExpectedIPs
	case p.IP.IsValid():
		return []netip.Addr{p.IP.Unmap()}, nil
	default:
		return nil, errors.New("peer has no pod, host endpoint or address")
	}
	if !p.IP.IsValid() {
		return all, nil
	}
	ip := p.IP.Unmap()
	if !slices.ContainsFunc(all, func(a netip.Addr) bool { return a.Unmap() == ip }) {
		return nil, fmt.Errorf("%s is not an address of %s", ip, p)
	}
	return []netip.Addr{ip}, nil
}

func firstOfFamily(addrs []netip.Addr, is4 bool) netip.Addr {
	for _, a := range addrs {
		if a = a.Unmap(); a.Is4() == is4 {
			return a
		}
	}
	return netip.Addr{}
}

func familyNames(addrs []netip.Addr) string {
	v4, v6 := firstOfFamily(addrs, true).IsValid(), firstOfFamily(addrs, false).IsValid()
	switch {
	case v4 && v6:
		return "IPv4 and IPv6"
	case v6:
		return "IPv6 only"
	}
	return "IPv4 only"
}

// evaluation is the state of deciding one resolved flow under one policy
// scope: the packet, and the assumptions made on the way.
type evaluation struct {
	c           *model.Cluster
	scope       policyScope
	pkt         flowPacket
	assumptions []string
}

// assume records an assumption once.
func (e *evaluation) assume(s string) {
	if !slices.Contains(e.assumptions, s) {
		e.assumptions = append(e.assumptions, s)
	}
}

// evaluate decides the resolved flow f.
func evaluateScope(c *model.Cluster, f Flow, scope policyScope) Verdict {
	e := &evaluation{c: c, scope: scope, pkt: packetOf(f)}
	for _, p := range []*model.Pod{f.Src.Pod, f.Dst.Pod} {
		if p != nil && p.IPSynthesized {
			e.assume(fmt.Sprintf("pod %s has no address in the input; reach gave it %s from %s",
				p.ID(), addrList(p.IPs), c.PodCIDR))
		}
	}
	v := Verdict{Flow: f}
	if f.Src.Pod != nil && f.Src.Pod == f.Dst.Pod {
		v.Allowed, v.Self = true, true
		v.Egress = Side{Direction: model.Egress, Peer: f.Src, Endpoint: f.Src.Pod.ID(), Allowed: true, Reason: SelfTraffic}
		v.Ingress = Side{Direction: model.Ingress, Peer: f.Dst, Endpoint: f.Dst.Pod.ID(), Allowed: true, Reason: SelfTraffic}
	} else {
		v.Egress = e.side(model.Egress, f.Src)
		v.Ingress = e.side(model.Ingress, f.Dst)
		v.Allowed = v.Egress.Allowed && v.Ingress.Allowed
	}
	v.Assumptions = e.assumptions
	return v
}

func addrList(addrs []netip.Addr) string {
	s := ""
	for i, a := range addrs {
		if i > 0 {
			s += ", "
		}
		s += a.String()
	}
	return s
}

// endpoint is a Calico endpoint: a workload endpoint (a pod that is not on
// the host network) or a host endpoint.
type endpoint struct {
	pod  *model.Pod
	host *model.HostEndpoint
}

// endpointOf returns the Calico endpoint of peer p, if it is one.
func endpointOf(p Peer) (endpoint, bool) {
	switch {
	case p.Pod != nil && !p.Pod.HostNetwork:
		return endpoint{pod: p.Pod}, true
	case p.Host != nil:
		return endpoint{host: p.Host}, true
	}
	return endpoint{}, false
}

// name returns "ns/pod" or "host/<name>".
func (ep endpoint) name() string {
	if ep.pod != nil {
		return ep.pod.ID()
	}
	return "host/" + ep.host.Name
}

// labels returns what policy selectors see for the endpoint.
func (ep endpoint) labels() selector.Labels {
	var l *model.EndpointLabels
	if ep.pod != nil {
		l = ep.pod.SelectorLabels()
	} else {
		l = ep.host.SelectorLabels()
	}
	if l == nil { // not part of a built cluster: no labels at all
		return selector.Set(nil)
	}
	return l
}

// side decides direction dir of peer p (semantics §1.1, §1.2).
func (e *evaluation) side(dir model.Direction, p Peer) Side {
	ep, ok := endpointOf(p)
	if !ok {
		return Side{Direction: dir, Peer: p, Allowed: true, Reason: NotEndpoint}
	}
	s := Side{Direction: dir, Peer: p, Endpoint: ep.name()}
	if dir == model.Egress && ep.pod != nil && e.pkt.encapsulated() {
		s.Reason = EncapsulationDropped
		return s
	}
	applied := false
	for _, t := range e.c.Tiers {
		inScope := e.inScope(t, ep, dir)
		if len(inScope) == 0 {
			continue // the tier does not apply: not even its default action
		}
		applied = true
		decided, passed := e.walkTier(&s, t, inScope, dir)
		if decided {
			return s
		}
		if !passed && t.DefaultAction != model.Pass {
			// Any default action but Pass drops (semantics §1.4).
			s.Allowed, s.Reason = false, TierDefault
			s.Tier, s.Policy, s.Selecting = t, inScope[0], inScope
			return s
		}
		s.Passed = append(s.Passed, t.Name)
	}
	s.Reason = NoPolicy
	if applied {
		s.Reason = PassedToProfiles
	}
	e.runProfiles(&s, ep, dir)
	return s
}

// inScope returns the policies of tier t that apply to ep in direction dir,
// in the tier's order (semantics §1.3). Host-only policies (preDNAT,
// doNotTrack) never apply to pods; for a host endpoint reach evaluates them
// in place, with the normal policies, and says so.
func (e *evaluation) inScope(t *model.Tier, ep endpoint, dir model.Direction) []*model.Policy {
	var out []*model.Policy
	for _, p := range t.Policies {
		if !p.Governs(dir) || !e.enforces(p) || (p.HostOnly && ep.pod != nil) || !p.Selector.Matches(ep.labels()) {
			continue
		}
		if p.HostOnly {
			e.assume(fmt.Sprintf("%s is preDNAT or doNotTrack: reach evaluates it in order with the normal policies of %s", p.ID(), ep.name()))
		}
		out = append(out, p)
	}
	return out
}

// enforces reports whether policy p takes part under the evaluation's scope.
func (e *evaluation) enforces(p *model.Policy) bool {
	if !p.Staged {
		return true
	}
	return e.scope == stagedAsEnforced && p.StagedAction != stagedDelete
}

// walkTier runs the policies of tier t that apply, in order. It reports
// whether an Allow or Deny rule decided (and fills s), or whether a Pass rule
// handed the packet to the next tier.
func (e *evaluation) walkTier(s *Side, t *model.Tier, policies []*model.Policy, dir model.Direction) (decided, passed bool) {
	for _, p := range policies {
		rules := p.Rules(dir)
		for i := range rules {
			r := &rules[i]
			ref := RuleRef{Tier: t, Policy: p, Rule: r}
			if !e.matchRule(ref, r) {
				continue
			}
			switch r.Action {
			case model.Allow, model.Deny:
				s.Allowed, s.Reason = r.Action == model.Allow, RuleMatched
				s.Tier, s.Policy, s.Rule = t, p, r
				return true, false
			case model.Pass:
				return false, true
			case model.Log:
				s.Logged = append(s.Logged, ref)
			}
		}
	}
	return false, false
}

// runProfiles decides s by ep's profiles (semantics §1.2 step 4, §1.9): the
// first matching Allow or Deny rule decides, Log rules are recorded, a Pass
// rule ends its profile and the next one runs (what iptables does), and when
// nothing matches the packet is dropped.
func (e *evaluation) runProfiles(s *Side, ep endpoint, dir model.Direction) {
	for _, prof := range e.profiles(ep) {
		rules := profileRules(prof, dir)
	rules:
		for i := range rules {
			r := &rules[i]
			ref := RuleRef{Profile: prof, Rule: r}
			if !e.matchRule(ref, r) {
				continue
			}
			switch r.Action {
			case model.Allow, model.Deny:
				s.Allowed, s.Profile, s.Rule = r.Action == model.Allow, prof, r
				return
			case model.Pass:
				break rules
			case model.Log:
				s.Logged = append(s.Logged, ref)
			}
		}
	}
	s.Allowed = false
}

// defaultAllowProfile is the name of Calico's built-in profile that allows
// everything in both directions; kube-controllers gives it to the host
// endpoints it creates.
const defaultAllowProfile = "projectcalico-default-allow"

// profiles returns the profiles of ep in order. A pod has its namespace
// profile kns.<namespace>, which allows everything (its service-account
// profile has no rules). A host endpoint has the profiles it lists; a name
// that is not in the cluster is skipped, with an assumption, except the
// built-in defaultAllowProfile.
func (e *evaluation) profiles(ep endpoint) []*model.Profile {
	if ep.pod != nil {
		return []*model.Profile{allowAllProfile("kns." + ep.pod.Namespace)}
	}
	var out []*model.Profile
	for _, name := range ep.host.Profiles {
		i := slices.IndexFunc(e.c.Profiles, func(p *model.Profile) bool { return p.Name == name })
		switch {
		case i >= 0:
			out = append(out, e.c.Profiles[i])
		case name == defaultAllowProfile:
			out = append(out, allowAllProfile(name))
		default:
			e.assume(fmt.Sprintf("profile %q of host endpoint %q does not exist; skipped", name, ep.host.Name))
		}
	}
	return out
}

// allowAllProfiles holds the profiles allowAllProfile made, by name, so that
// every verdict points at the same one.
var allowAllProfiles sync.Map // string -> *model.Profile

// allowAllProfile returns a profile with one Allow rule in each direction.
// The profile is shared: never change it.
func allowAllProfile(name string) *model.Profile {
	if p, ok := allowAllProfiles.Load(name); ok {
		return p.(*model.Profile)
	}
	p, _ := allowAllProfiles.LoadOrStore(name, &model.Profile{
		Name:    name,
		Ingress: []model.Rule{{Action: model.Allow}},
		Egress:  []model.Rule{{Action: model.Allow}},
	})
	return p.(*model.Profile)
}

func profileRules(p *model.Profile, dir model.Direction) []model.Rule {
	if dir == model.Egress {
		return p.Egress
	}
	return p.Ingress
}
