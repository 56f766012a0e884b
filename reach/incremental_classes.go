package reach

import (
	"encoding/binary"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"sync"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

// This file extends the base's questions, label views and address classes
// to the new cluster, and cuts the new port atoms.

// extendQuestions makes the new question index: the base's questions, in
// the same order, then those of the changed policies and profiles. The
// services are looked up again in the new cluster.
func (up *updater) extendQuestions() {
	u := up.a1.e.u
	n := &questionIndex{
		c: up.c2, pending: up.opt.Pending,
		ruleSels: slices.Clip(u.ruleSels), ruleSelIdx: u.ruleSelIdx,
		nets: slices.Clip(u.nets), netIdx: u.netIdx,
		named: slices.Clip(u.named), namedIdx: u.namedIdx, namedBy: u.namedBy,
		svcIdx: u.svcIdx, polSels: slices.Clip(u.polSels), polSelIdx: u.polSelIdx,
		protocols: maps.Clone(u.protocols), dstBounds: slices.Clip(u.dstBounds),
	}
	var profiles []*model.Profile
	for name := range up.profiles {
		if p := up.newProfiles[name]; p != nil {
			profiles = append(profiles, p)
		}
	}
	slices.SortFunc(profiles, func(a, b *model.Profile) int { return cmpStrings(a.Name, b.Name) })
	if up.asksNew(n, profiles) {
		// Copy the indices before adding to them.
		n.ruleSelIdx, n.netIdx, n.namedIdx = maps.Clone(u.ruleSelIdx), maps.Clone(u.netIdx), maps.Clone(u.namedIdx)
		n.svcIdx, n.polSelIdx = maps.Clone(u.svcIdx), maps.Clone(u.polSelIdx)
		n.namedBy = make(map[string][]int32, len(u.namedBy))
		for k, v := range u.namedBy {
			n.namedBy[k] = slices.Clip(v)
		}
	}
	byRef := make(map[model.ServiceRef]*model.Service, len(up.c2.Services))
	for _, s := range up.c2.Services {
		byRef[model.ServiceRef{Namespace: s.Namespace, Name: s.Name}] = s
	}
	n.services = make([]*model.Service, len(u.services))
	up.services = map[int32]bool{}
	for r, i := range u.svcIdx {
		n.services[i] = byRef[r]
		if !sameService(u.services[i], n.services[i]) {
			up.services[i] = true
		}
	}
	for _, pp := range up.policies {
		if p := pp[1]; p != nil {
			n.policySel(p.Selector)
			n.addRules(p.IngressRules)
			n.addRules(p.EgressRules)
		}
	}
	for _, p := range profiles {
		n.addRules(p.Ingress)
		n.addRules(p.Egress)
	}
	n.frozen = true
	up.e2 = &matrixEngine{c: up.c2, u: n}
}

// asksNew reports whether the changed policies and profiles ask a question
// that u has not indexed.
func (up *updater) asksNew(u *questionIndex, profiles []*model.Profile) bool {
	newSel := func(s *selector.Selector) bool {
		if s == nil {
			return false
		}
		_, ok := u.ruleSelIdx[s.String()]
		return !ok
	}
	rulesNew := func(rules []model.Rule) bool {
		for i := range rules {
			r := &rules[i]
			if r.Protocol != 0 && !u.protocols[r.Protocol] || r.NotProtocol != 0 && !u.protocols[r.NotProtocol] {
				return true
			}
			for _, side := range []*model.EntityMatch{&r.Source, &r.Destination} {
				if newSel(side.Selector) || newSel(side.NotSelector) {
					return true
				}
				for _, n := range append(slices.Clip(side.Nets), side.NotNets...) {
					if _, ok := u.netIdx[n]; !ok {
						return true
					}
				}
				sel := int32(-1)
				if side.Selector != nil {
					sel = u.ruleSelIdx[side.Selector.String()]
				}
				for _, pm := range append(slices.Clip(side.Ports), side.NotPorts...) {
					if _, ok := u.namedIdx[namedKey{sel: sel, name: pm.Name}]; pm.Name != "" && !ok {
						return true
					}
				}
				if side.Services != nil {
					if _, ok := u.svcIdx[*side.Services]; !ok {
						return true
					}
				}
			}
		}
		return false
	}
	for _, pp := range up.policies {
		p := pp[1]
		if p == nil {
			continue
		}
		if _, ok := u.polSelIdx[p.Selector.String()]; !ok || rulesNew(p.IngressRules) || rulesNew(p.EgressRules) {
			return true
		}
	}
	for _, p := range profiles {
		if rulesNew(p.Ingress) || rulesNew(p.Egress) {
			return true
		}
	}
	return false
}

// extendBits returns b, of the selectors before from, extended to n
// selectors with the answers of match for the others, in nb (of n bits).
func extendBits(b, nb bitset, from, n int, match func(j int) bool) bitset {
	if b == nil || from == n {
		return b
	}
	copy(nb, b)
	for j := from; j < n; j++ {
		if match(j) {
			nb.set(j)
		}
	}
	return nb
}

// extendViews makes the new label views: the base's, with the answers to
// the new selectors, and new views for the changed endpoints and network
// sets. It also finds the holders of the moved addresses.
func (up *updater) extendViews() {
	v1, u1, u2 := up.a1.e.v, up.a1.e.u, up.e2.u
	v2 := &labelViews{u: u2, labels: slices.Clip(v1.labels), ruleSels: slices.Clip(v1.ruleSels), polSels: slices.Clip(v1.polSels)}
	up.e2.v = v2
	r1, r2, p1, p2 := len(u1.ruleSels), len(u2.ruleSels), len(u1.polSels), len(u2.polSels)
	if r2 > r1 || p2 > p1 {
		v2.ruleSels, v2.polSels = slices.Clone(v1.ruleSels), slices.Clone(v1.polSels)
		n := len(v2.labels)
		// One allocation for every view's bitsets.
		wr, wp := words(r2), words(p2)
		slabR, slabP := make([]uint64, n*wr), make([]uint64, n*wp)
		workers := min(runtime.GOMAXPROCS(0), max(1, n*(r2-r1+p2-p1)/2048))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					l := v2.labels[i]
					v2.ruleSels[i] = extendBits(v2.ruleSels[i], slabR[i*wr:(i+1)*wr:(i+1)*wr], r1, r2, func(j int) bool { return u2.ruleSels[j].Matches(l) })
					v2.polSels[i] = extendBits(v2.polSels[i], slabP[i*wp:(i+1)*wp:(i+1)*wp], p1, p2, func(j int) bool { return u2.polSels[j].Matches(l) })
				}
			})
		}
		wg.Wait()
	}
	up.newViews = map[string]int32{}
	for i, p := range up.m2.peers {
		r := &up.rows2[i]
		if !up.objChanged[i] || r.kind == notEndpoint {
			continue
		}
		if p.Pod != nil {
			r.view = up.view(podViewKey(p.Pod), p.Pod.SelectorLabels())
		} else {
			r.view = up.view("hep\x00"+p.Host.Name, p.Host.SelectorLabels())
		}
	}
	for i, n := range up.c2.NetworkSets {
		var view int32
		if up.setChanged[i] {
			view = up.view("ns\x00"+n.Namespace+"\x00"+n.Name, n.SelectorLabels())
		} else {
			view = up.a1.sets[up.oldSets[n.Namespace+"/"+n.Name]].view
		}
		up.sets2 = append(up.sets2, netSetHolder{view: view, nets: n.Nets})
	}
	up.hold2 = map[netip.Addr][]ipHolder{}
	up.podsAt = map[netip.Addr][]*model.Pod{}
	if len(up.addrs) == 0 {
		return
	}
	for a := range up.addrs {
		up.hold2[a] = nil
	}
	for i, p := range up.m2.peers {
		r := up.rows2[i]
		if r.kind == notEndpoint {
			continue
		}
		var ports []model.NamedPort
		if p.Pod != nil {
			ports = p.Pod.NamedPorts
		} else {
			ports = p.Host.NamedPorts
		}
		for _, a := range uniqueAddrs(peerAddrs(p)) {
			if up.addrs[a] {
				up.hold2[a] = append(up.hold2[a], ipHolder{view: r.view, ports: ports})
			}
		}
	}
	for _, p := range up.m2.peers {
		if p.Pod == nil {
			continue
		}
		for _, a := range uniqueAddrs(p.Pod.IPs) {
			if up.addrs[a] {
				up.podsAt[a] = append(up.podsAt[a], p.Pod)
			}
		}
	}
}

// view returns the new view with key, adding it.
func (up *updater) view(key string, l *model.EndpointLabels) int32 {
	if i, ok := up.newViews[key]; ok {
		return i
	}
	v := up.e2.v
	i := int32(len(v.labels))
	var sl selector.Labels = selector.Set(nil)
	if l != nil {
		sl = l
	}
	v.labels = append(v.labels, sl)
	v.ruleSels = append(v.ruleSels, nil)
	v.polSels = append(v.polSels, nil)
	v.ruleSelsOf(i)
	v.polSelsOf(i)
	up.newViews[key] = i
	return i
}

// answers are what one address answers to the new questions, where it
// answers something.
type answers struct {
	sels, nets, svcIn []int32
	named, svcPorts   []portEntry
}

func (x *answers) key(buf []byte) []byte {
	for _, is := range [][]int32{x.sels, x.nets, x.svcIn} {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(is)))
		for _, i := range is {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(i))
		}
	}
	for _, es := range [][]portEntry{x.named, x.svcPorts} {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(es)))
		for _, e := range es {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(e.key))
			buf = append(buf, byte(e.proto))
			buf = binary.LittleEndian.AppendUint16(buf, e.port)
		}
	}
	return buf
}

// newAnswers returns what the unmoved row addresses answer to the new
// questions, for those that answer anything.
func (up *updater) newAnswers() map[netip.Addr]*answers {
	u1, u2, v2 := up.a1.e.u, up.e2.u, up.e2.v
	out := map[netip.Addr]*answers{}
	at := func(a netip.Addr) *answers {
		x := out[a]
		if x == nil {
			x = &answers{}
			out[a] = x
		}
		return x
	}
	x := up.a1.index()
	r1, r2 := len(u1.ruleSels), len(u2.ruleSels)
	if r2 > r1 {
		for view, addrs := range x.viewAddrs {
			b := v2.ruleSelsOf(view)
			for j := r1; j < r2; j++ {
				if b.has(j) {
					for _, a := range addrs {
						at(a).sels = append(at(a).sels, int32(j))
					}
				}
			}
		}
		for _, s := range up.sets2 {
			b := v2.ruleSelsOf(s.view)
			for j := r1; j < r2; j++ {
				if !b.has(j) {
					continue
				}
				for _, n := range s.nets {
					for _, a := range within(x.addrs, n) {
						if xa := at(a); !slices.Contains(xa.sels, int32(j)) {
							xa.sels = append(xa.sels, int32(j))
						}
					}
				}
			}
		}
	}
	for j := len(u1.nets); j < len(u2.nets); j++ {
		for _, a := range within(x.addrs, u2.nets[j]) {
			at(a).nets = append(at(a).nets, int32(j))
		}
	}
	if k1 := len(u1.named); len(u2.named) > k1 {
		for _, a := range x.addrs {
			for _, h := range up.a1.hold.of(a) {
				for _, np := range h.ports {
					for _, k := range u2.namedBy[np.Name] {
						if int(k) < k1 {
							continue
						}
						if sel := u2.named[k].sel; sel < 0 || v2.ruleSelsOf(h.view).has(int(sel)) {
							at(a).named = append(at(a).named, portEntry{key: k, proto: np.Protocol, port: np.Port})
						}
					}
				}
			}
		}
	}
	for j := len(u1.services); j < len(u2.services); j++ {
		svc := u2.services[j]
		if svc == nil || svc.Selector == nil {
			continue
		}
		for _, p := range up.a1.m.peers {
			if p.Pod == nil || p.Pod.Namespace != svc.Namespace || !hasAllLabels(p.Pod.Labels, svc.Selector) {
				continue
			}
			for _, a := range uniqueAddrs(p.Pod.IPs) {
				xa := at(a)
				if !slices.Contains(xa.svcIn, int32(j)) {
					xa.svcIn = append(xa.svcIn, int32(j))
				}
				xa.svcPorts = append(xa.svcPorts, backendPorts(svc, int32(j), p.Pod)...)
			}
		}
	}
	for a, xa := range out {
		if up.addrs[a] {
			delete(out, a)
			continue
		}
		slices.Sort(xa.sels)
		slices.SortFunc(xa.named, comparePortEntry)
		xa.named = slices.Compact(xa.named)
		slices.SortFunc(xa.svcPorts, comparePortEntry)
		xa.svcPorts = slices.Compact(xa.svcPorts)
	}
	return out
}

// backendPorts returns the ports backend p serves service svc (index i)
// on, as addrIndex.classify finds them.
func backendPorts(svc *model.Service, i int32, p *model.Pod) []portEntry {
	var out []portEntry
	for _, sp := range svc.Ports {
		proto := sp.Protocol
		if proto == 0 {
			proto = model.TCP
		}
		if !proto.HasPorts() {
			continue
		}
		if port := backendPort(sp, proto, p); port != 0 {
			out = append(out, portEntry{key: i, proto: proto, port: port})
		}
	}
	return out
}

// grown returns ac with its bitsets sized for u.
func (ac addrClass) grown(u *questionIndex) addrClass {
	grow := func(b bitset, n int) bitset {
		if len(b) == words(n) {
			return b
		}
		nb := newBitset(n)
		copy(nb, b)
		return nb
	}
	ac.sels = grow(ac.sels, len(u.ruleSels))
	ac.nets = grow(ac.nets, len(u.nets))
	ac.svcIn = grow(ac.svcIn, len(u.services))
	return ac
}

// truncated returns ac as it would be with only the questions of u.
func (ac addrClass) truncated(u *questionIndex) addrClass {
	cut := func(b bitset, n int) bitset {
		nb := newBitset(n)
		copy(nb, b)
		if r := n & 63; r != 0 && len(nb) > 0 {
			nb[len(nb)-1] &= 1<<uint(r) - 1
		}
		return nb
	}
	keep := func(es []portEntry, n int) []portEntry {
		return slices.DeleteFunc(slices.Clone(es), func(e portEntry) bool { return int(e.key) >= n })
	}
	ac.sels = cut(ac.sels, len(u.ruleSels))
	ac.nets = cut(ac.nets, len(u.nets))
	ac.svcIn = cut(ac.svcIn, len(u.services))
	ac.named = keep(ac.named, len(u.named))
	ac.svcPorts = keep(ac.svcPorts, len(u.services))
	return ac
}

// classify makes the new address classes and gives every row its own.
func (up *updater) classify() {
	a1, e2 := up.a1, up.e2
	u2 := e2.u
	e2.addrClasses = make([]addrClass, len(a1.e.addrClasses))
	for k, ac := range a1.e.addrClasses {
		e2.addrClasses[k] = ac.grown(u2)
	}
	up.old1 = make([]int32, len(e2.addrClasses))
	for k := range up.old1 {
		up.old1[k] = int32(k)
	}
	var ans map[netip.Addr]*answers
	u1 := a1.e.u
	if len(u2.ruleSels) > len(u1.ruleSels) || len(u2.nets) > len(u1.nets) ||
		len(u2.named) > len(u1.named) || len(u2.services) > len(u1.services) {
		ans = up.newAnswers()
	}
	ids := keyIDs{}
	var buf []byte
	intern := func(ac addrClass, old int32, points []portEntry) int32 {
		buf = binary.LittleEndian.AppendUint32(ac.key(buf[:0]), uint32(old))
		id, isNew := ids.id(buf)
		if !isNew {
			return int32(len(a1.e.addrClasses)) + id
		}
		e2.addrClasses = append(e2.addrClasses, ac)
		up.old1 = append(up.old1, old)
		for _, p := range points {
			up.points = append(up.points, [2]uint32{uint32(p.proto), uint32(p.port)})
		}
		return int32(len(e2.addrClasses) - 1)
	}
	byBackend := map[string][]int32{} // services with a selector, by namespace
	for i, s := range u2.services {
		if s != nil && s.Selector != nil {
			byBackend[s.Namespace] = append(byBackend[s.Namespace], int32(i))
		}
	}
	classOf := map[netip.Addr]int32{}
	var fresh func(a netip.Addr) int32
	classAt := func(i int, f int, a netip.Addr) int32 {
		if k, ok := classOf[a]; ok {
			return k
		}
		if up.addrs[a] {
			classOf[a] = fresh(a)
			return classOf[a]
		}
		k1 := a1.m.rows[up.row1[i]].addr[f]
		if xa := ans[a]; xa != nil {
			k1 = intern(split(e2.addrClasses[k1], xa), k1, append(slices.Clip(xa.named), xa.svcPorts...))
			classOf[a] = k1
		}
		return k1
	}
	fresh = up.freshClass(intern, byBackend)
	if up.sameRows {
		// The rows are the base's: only those at moved addresses or with
		// answers to the new questions change class.
		up.m2.rows = slices.Clone(a1.m.rows)
		x := a1.index()
		touched := slices.Collect(maps.Keys(up.addrs))
		for a := range ans {
			touched = append(touched, a)
		}
		slices.SortFunc(touched, netip.Addr.Compare)
		for _, a := range touched {
			for _, rf := range x.rowsAt[a] {
				i, f := int(rf>>1), int(rf&1)
				up.m2.rows[i].addr[f] = classAt(i, f, a)
				up.rows2[i].addr[f] = up.m2.rows[i].addr[f]
			}
		}
		return
	}
	for i, p := range up.m2.peers {
		var addr [2]int32
		for f := range 2 {
			addr[f] = -1
			if a := firstAddrOf(peerAddrs(p), f == 1); a.IsValid() {
				addr[f] = classAt(i, f, a)
			}
		}
		up.rows2[i].addr = addr
		up.m2.rows = append(up.m2.rows, matrixRow{pod: p.Pod != nil, addr: addr})
	}
}

// freshClass returns the function that classifies a moved address from
// scratch and interns its class.
func (up *updater) freshClass(intern func(addrClass, int32, []portEntry) int32, byBackend map[string][]int32) func(netip.Addr) int32 {
	e2 := up.e2
	u2 := e2.u
	return func(a netip.Addr) int32 {
		x := &addrIndex{u: u2, v: e2.v, exact: map[netip.Addr][]ipHolder{a: up.hold2[a]}, sets: up.sets2,
			backends: map[netip.Addr][]svcBackend{}}
		for _, p := range up.podsAt[a] {
			for _, i := range byBackend[p.Namespace] {
				if hasAllLabels(p.Labels, u2.services[i].Selector) {
					x.backends[a] = append(x.backends[a], svcBackend{svc: i, pod: p})
				}
			}
		}
		ac := x.classify(a)
		return intern(ac, up.equivalent(ac), append(slices.Clip(ac.named), ac.svcPorts...))
	}
}

// split returns class ac with the answers of xa to the new questions.
func split(ac addrClass, xa *answers) addrClass {
	ac.sels, ac.nets, ac.svcIn = slices.Clone(ac.sels), slices.Clone(ac.nets), slices.Clone(ac.svcIn)
	for _, j := range xa.sels {
		ac.sels.set(int(j))
	}
	for _, j := range xa.nets {
		ac.nets.set(int(j))
	}
	for _, j := range xa.svcIn {
		ac.svcIn.set(int(j))
	}
	ac.named = append(slices.Clone(ac.named), xa.named...)
	slices.SortFunc(ac.named, comparePortEntry)
	ac.svcPorts = append(slices.Clone(ac.svcPorts), xa.svcPorts...)
	slices.SortFunc(ac.svcPorts, comparePortEntry)
	return ac
}

// equivalent returns the base class that answers every base question as
// ac does, or -1.
func (up *updater) equivalent(ac addrClass) int32 {
	t := ac.truncated(up.a1.e.u)
	if k, ok := up.a1.index().classKeys[string(t.key(nil))]; ok {
		return k
	}
	return -1
}

// deriveAtoms cuts the new port atoms: the base's, cut further at the
// bounds of the new rules and at the new named and service ports, and
// re-expresses the base's atom rows in them. It returns the protocols the
// new cluster needs that the base does not cover.
func (up *updater) deriveAtoms() []model.Protocol {
	at1 := up.a1.m.atoms
	up.table[model.Ingress], up.table[model.Egress] = up.a1.m.ingress.table, up.a1.m.egress.table
	up.e2.atoms = at1
	if up.opt.Ports != nil {
		return nil
	}
	need := map[model.Protocol]bool{model.ICMP: true, model.TCP: true, model.UDP: true, model.SCTP: true}
	for _, r := range up.rows2 {
		if r.addr[1] >= 0 {
			need[model.ICMPv6] = true
			break
		}
	}
	needRules := func(rules []model.Rule) {
		for _, r := range rules {
			for _, p := range []model.Protocol{r.Protocol, r.NotProtocol} {
				if p != 0 {
					need[p] = true
				}
			}
		}
	}
	for _, t := range up.c2.Tiers {
		for _, p := range t.Policies {
			if up.e2.u.participates(p) {
				needRules(p.IngressRules)
				needRules(p.EgressRules)
			}
		}
	}
	for _, p := range up.c2.Profiles {
		needRules(p.Ingress)
		needRules(p.Egress)
	}
	var missing []model.Protocol
	for p := range need {
		if at1.proto(p) == nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return missing
	}
	bounds := map[model.Protocol][]uint32{}
	fresh := false
	has := func(pa *protoAtoms, b uint32) bool {
		if b > 65535 {
			return true
		}
		_, found := slices.BinarySearch(pa.lo, uint16(b))
		return found
	}
	for _, pa := range at1.protos {
		bs := make([]uint32, len(pa.lo))
		for i, lo := range pa.lo {
			bs[i] = uint32(lo)
		}
		bounds[pa.proto] = bs
	}
	addBound := func(p model.Protocol, b uint32) {
		pa := at1.proto(p)
		if pa == nil || !p.HasPorts() || has(pa, b) {
			return
		}
		bounds[p] = append(bounds[p], b)
		fresh = true
	}
	for _, b := range up.e2.u.dstBounds[len(up.a1.e.u.dstBounds):] {
		for _, pa := range at1.protos {
			addBound(pa.proto, b)
		}
	}
	for _, p := range up.points {
		addBound(model.Protocol(p[0]), p[1])
		addBound(model.Protocol(p[0]), p[1]+1)
	}
	if !fresh {
		return nil
	}
	at2 := newAtomTable(bounds, false)
	up.e2.atoms = at2
	up.atomMap = make([]int32, at2.n)
	for _, pa := range at2.protos {
		for i, lo := range pa.lo {
			up.atomMap[pa.first+i] = int32(at1.lookup(pa.proto, lo))
		}
	}
	for d, t := range up.table {
		up.table[d] = up.remapRows(t, words(at1.n), words(at2.n))
	}
	return nil
}

// remapRows re-expresses atom rows of w1 words in the new atoms (w2 words).
// The new atoms refine the old ones in order: each old atom is a run of new
// ones.
func (up *updater) remapRows(t []uint64, w1, w2 int) []uint64 {
	if w1 == 0 {
		return nil
	}
	n1 := up.a1.m.atoms.n
	lo, hi := make([]int, n1), make([]int, n1)
	for a, a1 := range up.atomMap {
		if a1 < 0 {
			continue
		}
		if hi[a1] == 0 {
			lo[a1] = a
		}
		hi[a1] = a + 1
	}
	n := len(t) / w1
	out := make([]uint64, n*w2)
	for r := range n {
		src, dst := bitset(t[r*w1:(r+1)*w1]), bitset(out[r*w2:(r+1)*w2])
		for a1 := src.next(0); a1 >= 0 && a1 < n1; a1 = src.next(a1 + 1) {
			dst.setRange(lo[a1], hi[a1])
		}
	}
	return out
}
