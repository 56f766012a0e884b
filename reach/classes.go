package reach

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

// This file groups the matrix's rows into classes. A rule asks two kinds of
// questions, and the engine numbers every distinct question once:
//
//   - of an address (the peer's, or the endpoint's own): is it in the IP set
//     of rule selector S, inside CIDR N, which numbers does the named port
//     "x" have there among the endpoints S matches, which (protocol, port)
//     pairs of service V's backends live there;
//   - of an endpoint: which policy selectors match its labels, and which
//     profiles it has.
//
// An address class is a set of addresses that answer every question of the
// first kind alike (and have one IP family); a subject class is a set of
// Calico endpoints that answer every question of the second kind alike and
// whose addresses fall in the same address classes. Selectors are
// evaluated once per distinct label view (all replicas of a workload share
// one), never once per address.

// namedKey is a named port as a rule side asks for it: the name, among the
// endpoints the side's positive selector matches (sel < 0: every endpoint).
type namedKey struct {
	sel  int32
	name string
}

// portEntry is one (protocol, port) an address offers for a named key or a
// service.
type portEntry struct {
	key   int32
	proto model.Protocol
	port  uint16
}

func comparePortEntry(a, b portEntry) int {
	return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.proto, b.proto), cmp.Compare(a.port, b.port))
}

// addrClass is what every rule question answers for the addresses of one
// class.
type addrClass struct {
	v6       bool
	sels     bitset      // rule selectors whose IP set holds the address
	nets     bitset      // CIDRs that contain it
	named    []portEntry // named-port numbers there, by namedKey index
	svcPorts []portEntry // service backend ports there, by service index
	svcIn    bitset      // services with a backend there
}

// questionIndex numbers the questions the policies of one matrix ask.
type questionIndex struct {
	c       *model.Cluster
	pending bool

	ruleSels   []selector.Selector
	ruleSelIdx map[string]int32
	nets       []netip.Prefix
	netIdx     map[netip.Prefix]int32
	named      []namedKey
	namedIdx   map[namedKey]int32
	namedBy    map[string][]int32 // port name -> namedKey indices
	services   []*model.Service   // nil for a service that does not exist
	svcIdx     map[model.ServiceRef]int32
	polSels    []selector.Selector
	polSelIdx  map[string]int32

	frozen bool // every question is indexed; lookups only

	// protocols named by rules (Protocol and NotProtocol)
	protocols map[model.Protocol]bool
	// dstBounds are the numeric destination port bounds of rules, for every
	// protocol with ports.
	dstBounds []uint32
}

// participates reports whether policy p takes part in the matrix's verdict
// (semantics §3.2).
func (u *questionIndex) participates(p *model.Policy) bool {
	if !p.Staged {
		return true
	}
	return u.pending && p.StagedAction != "Delete"
}

func newQuestionIndex(c *model.Cluster, pending bool) *questionIndex {
	u := &questionIndex{
		c: c, pending: pending,
		ruleSelIdx: map[string]int32{}, netIdx: map[netip.Prefix]int32{},
		namedIdx: map[namedKey]int32{}, namedBy: map[string][]int32{},
		svcIdx: map[model.ServiceRef]int32{}, polSelIdx: map[string]int32{},
		protocols: map[model.Protocol]bool{},
	}
	for _, t := range c.Tiers {
		for _, p := range t.Policies {
			if !u.participates(p) {
				continue
			}
			u.policySel(p.Selector)
			u.addRules(p.IngressRules)
			u.addRules(p.EgressRules)
		}
	}
	for _, p := range c.Profiles {
		u.addRules(p.Ingress)
		u.addRules(p.Egress)
	}
	u.frozen = true
	return u
}

// added records a new question. Once the index is frozen, the two
// directions read it concurrently, so a question it lacks is a bug.
func (u *questionIndex) added(what string) {
	if u.frozen {
		panic("reach: matrix: " + what + " was not indexed")
	}
}

func (u *questionIndex) policySel(s selector.Selector) int32 {
	k := s.String()
	if i, ok := u.polSelIdx[k]; ok {
		return i
	}
	u.added("policy selector " + k)
	i := int32(len(u.polSels))
	u.polSels = append(u.polSels, s)
	u.polSelIdx[k] = i
	return i
}

// ruleSel returns the index of s, or -1 for nil.
func (u *questionIndex) ruleSel(s *selector.Selector) int32 {
	if s == nil {
		return -1
	}
	k := s.String()
	if i, ok := u.ruleSelIdx[k]; ok {
		return i
	}
	u.added("rule selector " + k)
	i := int32(len(u.ruleSels))
	u.ruleSels = append(u.ruleSels, *s)
	u.ruleSelIdx[k] = i
	return i
}

func (u *questionIndex) net(n netip.Prefix) int32 {
	if i, ok := u.netIdx[n]; ok {
		return i
	}
	u.added("CIDR " + n.String())
	i := int32(len(u.nets))
	u.nets = append(u.nets, n)
	u.netIdx[n] = i
	return i
}

func (u *questionIndex) namedPort(sel int32, name string) int32 {
	k := namedKey{sel: sel, name: name}
	if i, ok := u.namedIdx[k]; ok {
		return i
	}
	u.added("named port " + name)
	i := int32(len(u.named))
	u.named = append(u.named, k)
	u.namedIdx[k] = i
	u.namedBy[name] = append(u.namedBy[name], i)
	return i
}

// service returns the index of the service r names; its entry is nil when
// the cluster has no such service.
func (u *questionIndex) service(r model.ServiceRef) int32 {
	if i, ok := u.svcIdx[r]; ok {
		return i
	}
	u.added("service " + r.Namespace + "/" + r.Name)
	i := int32(len(u.services))
	var svc *model.Service
	for _, s := range u.c.Services {
		if s.Namespace == r.Namespace && s.Name == r.Name {
			svc = s
			break
		}
	}
	u.services = append(u.services, svc)
	u.svcIdx[r] = i
	return i
}

func (u *questionIndex) addRules(rules []model.Rule) {
	for i := range rules {
		r := &rules[i]
		if r.Protocol != 0 {
			u.protocols[r.Protocol] = true
		}
		if r.NotProtocol != 0 {
			u.protocols[r.NotProtocol] = true
		}
		for _, side := range []*model.EntityMatch{&r.Source, &r.Destination} {
			sel := u.ruleSel(side.Selector)
			u.ruleSel(side.NotSelector)
			for _, n := range side.Nets {
				u.net(n)
			}
			for _, n := range side.NotNets {
				u.net(n)
			}
			for _, pm := range append(slices.Clip(side.Ports), side.NotPorts...) {
				if pm.Name != "" {
					u.namedPort(sel, pm.Name)
				} else if side == &r.Destination {
					u.dstBounds = append(u.dstBounds, uint32(pm.Range.Min), uint32(pm.Range.Max)+1)
				}
			}
			if side.Services != nil {
				u.service(*side.Services)
			}
		}
	}
}

// ipHolder is an object whose addresses rule selectors match: a workload
// endpoint, a host endpoint (both may have named ports) or a network set.
type ipHolder struct {
	view  int32 // label view, see labelViews.add
	ports []model.NamedPort
}

// labelViews numbers the distinct label views of the objects rule and policy
// selectors see, and caches which selectors match each.
type labelViews struct {
	u        *questionIndex
	labels   []selector.Labels
	byKey    map[string]int32
	ruleSels []bitset // per view, lazily
	polSels  []bitset // per view, lazily
}

// podViewKey identifies what selectors can see of a pod: its namespace (and
// so the namespace's labels), its service account (and its labels) and its
// own labels.
func podViewKey(p *model.Pod) string {
	var b strings.Builder
	b.WriteString("pod\x00")
	b.WriteString(p.Namespace)
	b.WriteByte(0)
	b.WriteString(p.ServiceAccount)
	keys := make([]string, 0, len(p.Labels))
	for k := range p.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(1)
		b.WriteString(p.Labels[k])
	}
	return b.String()
}

func (v *labelViews) add(key string, l *model.EndpointLabels) int32 {
	if i, ok := v.byKey[key]; ok {
		return i
	}
	i := int32(len(v.labels))
	var sl selector.Labels = selector.Set(nil)
	if l != nil {
		sl = l
	}
	v.labels = append(v.labels, sl)
	v.ruleSels = append(v.ruleSels, nil)
	v.polSels = append(v.polSels, nil)
	v.byKey[key] = i
	return i
}

// fill evaluates every selector on every view, on all CPUs, so that later
// lookups only read.
func (v *labelViews) fill() {
	n := len(v.labels)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				v.ruleSelsOf(int32(i))
				v.polSelsOf(int32(i))
			}
		})
	}
	wg.Wait()
}

func (v *labelViews) ruleSelsOf(i int32) bitset {
	if v.ruleSels[i] == nil {
		b := newBitset(len(v.u.ruleSels))
		for j, s := range v.u.ruleSels {
			if s.Matches(v.labels[i]) {
				b.set(j)
			}
		}
		v.ruleSels[i] = b
	}
	return v.ruleSels[i]
}

func (v *labelViews) polSelsOf(i int32) bitset {
	if v.polSels[i] == nil {
		b := newBitset(len(v.u.polSels))
		for j, s := range v.u.polSels {
			if s.Matches(v.labels[i]) {
				b.set(j)
			}
		}
		v.polSels[i] = b
	}
	return v.polSels[i]
}

// addrIndex finds the holders of an address and the service backends there.
type addrIndex struct {
	u        *questionIndex
	v        *labelViews
	exact    map[netip.Addr][]ipHolder // workload and host endpoint addresses
	sets     []netSetHolder
	backends map[netip.Addr][]svcBackend
}

type netSetHolder struct {
	view int32
	nets []netip.Prefix
}

type svcBackend struct {
	svc int32
	pod *model.Pod
}

// isWorkloadEndpoint reports whether pod p is a Calico workload endpoint:
// not on the host network and not finished.
func isWorkloadEndpoint(p *model.Pod) bool { return !p.HostNetwork && !p.Finished() }

func newAddrIndex(u *questionIndex, v *labelViews) *addrIndex {
	x := &addrIndex{u: u, v: v, exact: map[netip.Addr][]ipHolder{}, backends: map[netip.Addr][]svcBackend{}}
	c := u.c
	for _, p := range c.Pods {
		if !isWorkloadEndpoint(p) {
			continue
		}
		h := ipHolder{view: v.add(podViewKey(p), p.SelectorLabels()), ports: p.NamedPorts}
		for _, a := range uniqueAddrs(p.IPs) {
			x.exact[a] = append(x.exact[a], h)
		}
	}
	for _, he := range c.HostEndpoints {
		h := ipHolder{view: v.add("hep\x00"+he.Name, he.SelectorLabels()), ports: he.NamedPorts}
		for _, a := range uniqueAddrs(he.ExpectedIPs) {
			x.exact[a] = append(x.exact[a], h)
		}
	}
	for _, n := range c.NetworkSets {
		x.sets = append(x.sets, netSetHolder{view: v.add("ns\x00"+n.Namespace+"\x00"+n.Name, n.SelectorLabels()), nets: n.Nets})
	}
	for i, svc := range u.services {
		if svc == nil || svc.Selector == nil {
			continue
		}
		for _, p := range c.Pods {
			if p.Namespace != svc.Namespace || p.Finished() || !hasAllLabels(p.Labels, svc.Selector) {
				continue
			}
			for _, a := range uniqueAddrs(p.IPs) {
				x.backends[a] = append(x.backends[a], svcBackend{svc: int32(i), pod: p})
			}
		}
	}
	return x
}

// uniqueAddrs returns addrs unmapped, without repeats.
func uniqueAddrs(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if a.IsValid() && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func hasAllLabels(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// classify computes what every rule question answers for address a.
func (x *addrIndex) classify(a netip.Addr) addrClass {
	u := x.u
	ac := addrClass{
		v6:    !a.Is4(),
		sels:  newBitset(len(u.ruleSels)),
		nets:  newBitset(len(u.nets)),
		svcIn: newBitset(len(u.services)),
	}
	for i, n := range u.nets {
		if n.Contains(a) {
			ac.nets.set(i)
		}
	}
	for _, h := range x.exact[a] {
		ac.sels.or(x.v.ruleSelsOf(h.view))
		for _, np := range h.ports {
			for _, k := range u.namedBy[np.Name] {
				if sel := u.named[k].sel; sel < 0 || x.v.ruleSelsOf(h.view).has(int(sel)) {
					ac.named = append(ac.named, portEntry{key: k, proto: np.Protocol, port: np.Port})
				}
			}
		}
	}
	for _, s := range x.sets {
		if slices.ContainsFunc(s.nets, func(n netip.Prefix) bool { return n.Contains(a) }) {
			ac.sels.or(x.v.ruleSelsOf(s.view))
		}
	}
	for _, b := range x.backends[a] {
		ac.svcIn.set(int(b.svc))
		for _, sp := range u.services[b.svc].Ports {
			proto := sp.Protocol
			if proto == 0 {
				proto = model.TCP
			}
			if !proto.HasPorts() {
				continue
			}
			if port := backendPort(sp, proto, b.pod); port != 0 {
				ac.svcPorts = append(ac.svcPorts, portEntry{key: b.svc, proto: proto, port: port})
			}
		}
	}
	slices.SortFunc(ac.named, comparePortEntry)
	ac.named = slices.Compact(ac.named)
	slices.SortFunc(ac.svcPorts, comparePortEntry)
	ac.svcPorts = slices.Compact(ac.svcPorts)
	return ac
}

// backendPort returns the port backend p serves service port sp on: the
// target port, the number of p's container port named by the target (0 when
// p has none of that protocol), or the service port itself.
func backendPort(sp model.ServicePort, proto model.Protocol, p *model.Pod) uint16 {
	switch {
	case sp.TargetName != "":
		for _, np := range p.NamedPorts {
			if np.Name == sp.TargetName && np.Protocol == proto {
				return np.Port
			}
		}
		return 0
	case sp.TargetPort != 0:
		return sp.TargetPort
	}
	return sp.Port
}

// key returns a byte string equal for two classes exactly when they answer
// every question alike.
func (ac *addrClass) key(buf []byte) []byte {
	buf = buf[:0]
	if ac.v6 {
		buf = append(buf, 6)
	} else {
		buf = append(buf, 4)
	}
	for _, b := range []bitset{ac.sels, ac.nets, ac.svcIn} {
		for _, w := range b {
			buf = binary.LittleEndian.AppendUint64(buf, w)
		}
	}
	for _, es := range [][]portEntry{ac.named, ac.svcPorts} {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(es)))
		for _, e := range es {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(e.key))
			buf = append(buf, byte(e.proto))
			buf = binary.LittleEndian.AppendUint16(buf, e.port)
		}
	}
	return buf
}

// questionSet is the subset of the address questions that one role of one
// direction asks: what the peer sides, or what the own sides, of the rules
// of that direction's policies and profiles look at. Projecting address
// classes on it merges addresses that this role cannot tell apart.
type questionSet struct {
	sels, nets, named, svcs bitset
}

func newQuestionSet(u *questionIndex) *questionSet {
	return &questionSet{
		sels: newBitset(len(u.ruleSels)), nets: newBitset(len(u.nets)),
		named: newBitset(len(u.named)), svcs: newBitset(len(u.services)),
	}
}

func (q *questionSet) addSide(s *cSide) {
	for _, i := range []int32{s.sel, s.notSel} {
		if i >= 0 {
			q.sels.set(int(i))
		}
	}
	for _, is := range [][]int32{s.nets, s.notNets} {
		for _, i := range is {
			q.nets.set(int(i))
		}
	}
	for _, is := range [][]int32{s.named, s.notNamed} {
		for _, i := range is {
			q.named.set(int(i))
		}
	}
	if s.svc >= 0 {
		q.svcs.set(int(s.svc))
	}
}

// projectedKey is like key, for the answers to q only.
func (ac *addrClass) projectedKey(q *questionSet, buf []byte) []byte {
	buf = buf[:0]
	buf = append(buf, byte(b2i(ac.v6)))
	for _, p := range [][2]bitset{{ac.sels, q.sels}, {ac.nets, q.nets}, {ac.svcIn, q.svcs}} {
		for i, w := range p[0] {
			buf = binary.LittleEndian.AppendUint64(buf, w&p[1][i])
		}
	}
	for _, p := range []struct {
		es   []portEntry
		keys bitset
	}{{ac.named, q.named}, {ac.svcPorts, q.svcs}} {
		at := len(buf)
		buf = binary.LittleEndian.AppendUint32(buf, 0)
		n := uint32(0)
		for _, e := range p.es {
			if p.keys.has(int(e.key)) {
				buf = binary.LittleEndian.AppendUint32(buf, uint32(e.key))
				buf = append(buf, byte(e.proto))
				buf = binary.LittleEndian.AppendUint16(buf, e.port)
				n++
			}
		}
		binary.LittleEndian.PutUint32(buf[at:], n)
	}
	return buf
}

// keyIDs numbers distinct byte strings in order of appearance.
type keyIDs map[string]int32

func (in keyIDs) id(key []byte) (int32, bool) {
	if i, ok := in[string(key)]; ok {
		return i, false
	}
	i := int32(len(in))
	in[string(key)] = i
	return i, true
}

// ExternalPeers returns one address for each kind of outside address the
// policies of c can tell apart: the CIDRs of every rule's nets and notNets
// (staged policies and profiles included) and of every network set cut the
// address space into intervals, and each interval that holds an address
// that is not an endpoint's gives one. IPv6 intervals are included only
// when some endpoint has an IPv6 address. Where it can, an interval is
// represented by a well-known public address (8.8.8.8,
// 2001:4860:4860::8888), otherwise by its first free address. The result
// is sorted; pass it as MatrixOptions.ExternalPeers to get rows for "the
// internet" and every range the policies name.
func ExternalPeers(c *model.Cluster) []netip.Addr {
	endpoints := map[netip.Addr]bool{}
	v6 := false
	for _, p := range c.Pods {
		for _, a := range p.IPs {
			endpoints[a.Unmap()] = true
			v6 = v6 || a.Unmap().Is6()
		}
	}
	for _, h := range c.HostEndpoints {
		for _, a := range h.ExpectedIPs {
			endpoints[a.Unmap()] = true
			v6 = v6 || a.Unmap().Is6()
		}
	}
	starts := map[netip.Addr]bool{netip.IPv4Unspecified(): true}
	if v6 {
		starts[netip.IPv6Unspecified()] = true
	}
	addPrefix := func(p netip.Prefix) {
		p = p.Masked()
		if !p.IsValid() || p.Addr().Is4In6() || p.Addr().Is6() && !v6 {
			return
		}
		starts[p.Addr()] = true
		if next := lastAddr(p).Next(); next.IsValid() {
			starts[next] = true
		}
	}
	for _, p := range c.Prefixes() {
		addPrefix(p)
	}
	sorted := make([]netip.Addr, 0, len(starts))
	for a := range starts {
		sorted = append(sorted, a)
	}
	slices.SortFunc(sorted, netip.Addr.Compare)
	wellKnown := []netip.Addr{netip.AddrFrom4([4]byte{8, 8, 8, 8}), netip.MustParseAddr("2001:4860:4860::8888")}
	var out []netip.Addr
	for i, lo := range sorted {
		var hi netip.Addr // exclusive; invalid: end of the family
		if i+1 < len(sorted) && sorted[i+1].Is4() == lo.Is4() {
			hi = sorted[i+1]
		}
		in := func(a netip.Addr) bool {
			return a.IsValid() && a.Is4() == lo.Is4() && a.Compare(lo) >= 0 && (!hi.IsValid() || a.Less(hi))
		}
		rep := netip.Addr{}
		for _, w := range wellKnown {
			if in(w) && !endpoints[w] {
				rep = w
			}
		}
		for a, tries := lo, 0; !rep.IsValid() && in(a) && tries < 64; a, tries = a.Next(), tries+1 {
			if !endpoints[a] {
				rep = a
			}
		}
		if rep.IsValid() {
			out = append(out, rep)
		}
	}
	return out
}

// lastAddr returns the last address of prefix p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
