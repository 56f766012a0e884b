package reach

import (
	"encoding/binary"
	"slices"

	"github.com/reach-sim/reach/model"
)

// This file sweeps the compiled rules of one direction over the cells of
// each subject class. A cell is (peer class, port atom); peer classes whose
// cells are in the same state share one group, so a rule costs a few word
// operations per group, not per peer.

// subjectClass is a set of Calico endpoints that one direction's policies
// treat alike.
type subjectClass struct {
	pod      bool     // a workload endpoint: profile kns.<ns>, encapsulation drops
	policies bitset   // policy selectors that match
	profiles []string // host endpoints: profile names, in order
	own      [2]int32 // an address class of its IPv4 and IPv6 address, -1 if none
}

// dirResult is the result of one direction: the subject classes of the
// rows, the peer classes of the address classes, and an interned atom row
// per (subject class, peer class).
type dirResult struct {
	rowSubject []int32 // per matrix row; -1: not a Calico endpoint
	peerOf     []int32 // per address class
	nP         int     // peer classes
	ids        cellIDs // [subject*nP + peer class] -> row of table
	table      []uint64
}

// cellIDs holds one interned row id per cell, in 16 bits while there are
// few distinct rows (the usual case) and in 32 bits otherwise.
type cellIDs struct {
	narrow []uint16
	wide   []uint32
}

func newCellIDs(n int) cellIDs { return cellIDs{narrow: make([]uint16, n)} }

func (c *cellIDs) set(i int, id uint32) {
	if c.wide == nil && id > 0xffff {
		c.wide = make([]uint32, len(c.narrow))
		for j, v := range c.narrow {
			c.wide[j] = uint32(v)
		}
		c.narrow = nil
	}
	if c.wide != nil {
		c.wide[i] = id
		return
	}
	c.narrow[i] = uint16(id)
}

func (c *cellIDs) get(i int) uint32 {
	if c.wide != nil {
		return c.wide[i]
	}
	return uint32(c.narrow[i])
}

// computeDirection classifies the rows for direction dir and sweeps every
// subject class.
func (e *matrixEngine) computeDirection(dir model.Direction, rows []engineRow) *dirResult {
	p := e.compilePlan(dir)
	peerQ, ownQ := newQuestionSet(e.u), newQuestionSet(e.u)
	p.rules(func(r *cRule) {
		peerQ.addSide(&r.peer)
		ownQ.addSide(&r.own)
	})
	d := &dirResult{}
	var peerReps []int32
	d.peerOf, peerReps = e.project(peerQ)
	d.nP = len(peerReps)
	ownOf, _ := e.project(ownQ)
	subjects := e.subjects(p, rows, ownOf, d)
	ps := newPeerSets(e, peerReps)
	p.rules(func(r *cRule) { e.rulePeers(r, ps) })

	s := newSweeper(e, p, peerReps)
	in := newRowInterner(words(e.atoms.n))
	d.ids = newCellIDs(len(subjects) * d.nP)
	for x := range subjects {
		s.run(&subjects[x])
		for _, g := range s.groups[:s.ng] {
			id := in.intern(g.a)
			for pc := g.members.next(0); pc >= 0; pc = g.members.next(pc + 1) {
				d.ids.set(x*d.nP+pc, id)
			}
		}
	}
	d.table = in.table
	return d
}

// project merges the address classes that answer q alike. It returns the
// merged class of each address class and one address class of each merged
// class.
func (e *matrixEngine) project(q *questionSet) (classOf, reps []int32) {
	classOf = make([]int32, len(e.addrClasses))
	ids := keyIDs{}
	var buf []byte
	for a := range e.addrClasses {
		buf = e.addrClasses[a].projectedKey(q, buf)
		id, isNew := ids.id(buf)
		if isNew {
			reps = append(reps, int32(a))
		}
		classOf[a] = id
	}
	return classOf, reps
}

// subjects groups the Calico endpoints among rows into subject classes for
// plan p: same kind, same policies of p selecting them, same profiles,
// addresses in the same own classes (ownOf). It fills d.rowSubject.
func (e *matrixEngine) subjects(p *dirPlan, rows []engineRow, ownOf []int32, d *dirResult) []subjectClass {
	polMask := newBitset(len(e.u.polSels))
	for ti := range p.tiers {
		for _, pol := range p.tiers[ti].policies {
			polMask.set(int(pol.sel))
		}
	}
	var subjects []subjectClass
	ids := keyIDs{}
	var buf []byte
	d.rowSubject = make([]int32, len(rows))
	for i, r := range rows {
		d.rowSubject[i] = -1
		if r.kind == notEndpoint {
			continue
		}
		sc := subjectClass{pod: r.kind == workloadEndpoint, policies: slices.Clone(e.v.polSelsOf(r.view)), own: r.addr}
		sc.policies.and(polMask)
		buf = append(buf[:0], byte(r.kind))
		for f := range 2 {
			o := int32(-1)
			if r.addr[f] >= 0 {
				o = ownOf[r.addr[f]]
			}
			buf = binary.LittleEndian.AppendUint32(buf, uint32(o))
		}
		for _, w := range sc.policies {
			buf = binary.LittleEndian.AppendUint64(buf, w)
		}
		if r.kind == hostEndpoint {
			sc.profiles = r.profiles
			for _, name := range r.profiles {
				buf = append(buf, name...)
				buf = append(buf, 0)
			}
		}
		id, isNew := ids.id(buf)
		if isNew {
			subjects = append(subjects, sc)
		}
		d.rowSubject[i] = id
	}
	return subjects
}

// peerSets answers the address questions for all peer classes at once: for
// each question, the set of peer classes whose answer is yes. Sets are made
// on first use.
type peerSets struct {
	e        *matrixEngine
	reps     []int32
	fam      [2]bitset
	sels     map[int32]bitset
	nets     map[int32]bitset
	named    map[int32]bitset // peer classes with numbers for a named key
	svcIn    map[int32]bitset
	svcPorts map[int32]bitset // peer classes with backend ports of a service
}

func newPeerSets(e *matrixEngine, reps []int32) *peerSets {
	ps := &peerSets{
		e: e, reps: reps,
		sels: map[int32]bitset{}, nets: map[int32]bitset{}, named: map[int32]bitset{},
		svcIn: map[int32]bitset{}, svcPorts: map[int32]bitset{},
	}
	for f := range 2 {
		ps.fam[f] = newBitset(len(reps))
	}
	for pc, a := range reps {
		ps.fam[b2i(e.addrClasses[a].v6)].set(pc)
	}
	return ps
}

func (ps *peerSets) set(cache map[int32]bitset, i int32, yes func(ac *addrClass) bool) bitset {
	if b, ok := cache[i]; ok {
		return b
	}
	b := newBitset(len(ps.reps))
	for pc, a := range ps.reps {
		if yes(&ps.e.addrClasses[a]) {
			b.set(pc)
		}
	}
	cache[i] = b
	return b
}

func (ps *peerSets) sel(i int32) bitset {
	return ps.set(ps.sels, i, func(ac *addrClass) bool { return ac.sels.has(int(i)) })
}

func (ps *peerSets) net(i int32) bitset {
	return ps.set(ps.nets, i, func(ac *addrClass) bool { return ac.nets.has(int(i)) })
}

func hasKey(es []portEntry, key int32) bool {
	return slices.ContainsFunc(es, func(e portEntry) bool { return e.key == key })
}

func (ps *peerSets) namedKey(i int32) bitset {
	return ps.set(ps.named, i, func(ac *addrClass) bool { return hasKey(ac.named, i) })
}

func (ps *peerSets) svc(i int32, src bool) bitset {
	if src {
		return ps.set(ps.svcIn, i, func(ac *addrClass) bool { return ac.svcIn.has(int(i)) })
	}
	return ps.set(ps.svcPorts, i, func(ac *addrClass) bool { return hasKey(ac.svcPorts, i) })
}

// ok returns the peer classes that pass the address fields of side s, as
// cSide.ok decides for each.
func (ps *peerSets) ok(s *cSide, fams [2]bool) bitset {
	b := newBitset(len(ps.reps))
	for f := range 2 {
		if fams[f] {
			b.or(ps.fam[f])
		}
	}
	if s.domains || s.svc >= 0 && ps.e.u.services[s.svc] == nil {
		b.clear()
		return b
	}
	if len(s.nets) > 0 {
		any := newBitset(len(ps.reps))
		for _, n := range s.nets {
			any.or(ps.net(n))
		}
		b.and(any)
	}
	for _, n := range s.notNets {
		b.andNot(ps.net(n))
	}
	if s.sel >= 0 {
		b.and(ps.sel(s.sel))
	}
	if s.notSel >= 0 {
		b.andNot(ps.sel(s.notSel))
	}
	if s.svc >= 0 {
		b.and(ps.svc(s.svc, s.src))
	}
	return b
}

// special returns the peer classes among ok where the port mask of side s
// depends on the class, as cSide.special decides for each.
func (ps *peerSets) special(s *cSide, ok bitset) bitset {
	b := newBitset(len(ps.reps))
	if s.svc >= 0 && !s.src {
		copy(b, ok)
		return b
	}
	for _, keys := range [][]int32{s.named, s.notNamed} {
		for _, k := range keys {
			b.or(ps.namedKey(k))
		}
	}
	b.and(ok)
	return b
}

// rulePeers finds the peer classes that pass the address fields of r's
// peer side, and the port mask of the peer side at each: r.peerPlain for
// those where it is the mask without named ports and services, r.special
// for the others, grouped by mask.
func (e *matrixEngine) rulePeers(r *cRule, ps *peerSets) {
	ok := ps.ok(&r.peer, [2]bool{!r.fam[0].empty(), !r.fam[1].empty()})
	special := ps.special(&r.peer, ok)
	r.peerPlain = ok
	r.peerPlain.andNot(special)
	if special.empty() {
		return
	}
	tmp := newBitset(e.atoms.n)
	keys := keyIDs{}
	var buf []byte
	for pc := special.next(0); pc >= 0; pc = special.next(pc + 1) {
		ac := &e.addrClasses[ps.reps[pc]]
		f := b2i(ac.v6)
		mask := newBitset(e.atoms.n)
		r.peer.mask(e.atoms, ac, r.proto, mask, tmp)
		mask.and(r.fam[f])
		if mask.empty() {
			continue
		}
		buf = append(buf[:0], byte(f))
		for _, w := range mask {
			buf = binary.LittleEndian.AppendUint64(buf, w)
		}
		i, isNew := keys.id(buf)
		if isNew {
			r.special = append(r.special, peerPart{fam: f, peers: newBitset(len(ps.reps)), mask: mask})
		}
		r.special[i].peers.set(pc)
	}
}

// peerGroup is a set of peer classes of one family whose cells are all in the
// same state: the sweep keeps one atom row per state for the whole group,
// and splits a group only when a rule treats its members differently.
type peerGroup struct {
	fam     int
	members bitset // peer classes
	// In a tier, c holds the cells still undecided in the tier and n those
	// passed to the next tier. In a profile, c holds the cells still
	// undecided by the profiles and n those undecided by this profile.
	// a holds the allowed cells.
	c, n, a bitset
}

// sweeper sweeps the subject classes of one direction, one at a time.
type sweeper struct {
	e          *matrixEngine
	p          *dirPlan
	peerReps   []int32
	w, nP      int
	groups     []*peerGroup // the first ng are in use
	ng         int
	famMembers [2]bitset
	ownAC      [2]*addrClass
	fm         [2]bitset // rule x own address
	fmb        [2]bitset // fm x the peer side's plain mask
	spans      [2][2]int
	tmp, mask  bitset
	inter      bitset // peer classes
	encap      bitset // atoms a workload may not send
	full       bitset
}

// The encapsulations Felix drops on a workload's egress before policy
// (semantics §1.1).
const (
	encapVXLANPort    = 4789
	encapIPIPProtocol = model.Protocol(4)
)

func newSweeper(e *matrixEngine, p *dirPlan, peerReps []int32) *sweeper {
	w := words(e.atoms.n)
	s := &sweeper{
		e: e, p: p, peerReps: peerReps, w: w, nP: len(peerReps),
		tmp: newBitset(e.atoms.n), mask: newBitset(e.atoms.n), inter: newBitset(len(peerReps)),
		encap: newBitset(e.atoms.n), full: newBitset(e.atoms.n),
	}
	for f := range 2 {
		s.fm[f], s.fmb[f] = newBitset(e.atoms.n), newBitset(e.atoms.n)
		s.famMembers[f] = newBitset(s.nP)
	}
	for pc, a := range peerReps {
		s.famMembers[b2i(e.addrClasses[a].v6)].set(pc)
	}
	// The bounds put 4789 in an atom of its own.
	e.atoms.setRange(s.encap, model.UDP, model.PortRange{Min: encapVXLANPort, Max: encapVXLANPort})
	e.atoms.setProto(s.encap, encapIPIPProtocol)
	s.full.setRange(0, e.atoms.n)
	return s
}

func (s *sweeper) newPeerGroup(fam int) *peerGroup {
	if s.ng == len(s.groups) {
		s.groups = append(s.groups, &peerGroup{
			members: newBitset(s.nP),
			c:       newBitset(s.e.atoms.n), n: newBitset(s.e.atoms.n), a: newBitset(s.e.atoms.n),
		})
	}
	g := s.groups[s.ng]
	s.ng++
	g.fam = fam
	return g
}

// run sweeps subject class x, leaving its allowed cells in s.groups[:s.ng].
func (s *sweeper) run(x *subjectClass) {
	s.ng = 0
	for f := range 2 {
		s.ownAC[f] = nil
		if s.famMembers[f].empty() {
			continue
		}
		g := s.newPeerGroup(f)
		copy(g.members, s.famMembers[f])
		g.c.clear()
		g.n.clear()
		g.a.clear()
		if x.own[f] >= 0 {
			s.ownAC[f] = &s.e.addrClasses[x.own[f]]
			copy(g.c, s.full)
			if x.pod && s.p.dir == model.Egress {
				g.c.andNot(s.encap)
			}
		}
	}
	for ti := range s.p.tiers {
		t := &s.p.tiers[ti]
		applies := false
		for pi := range t.policies {
			pol := &t.policies[pi]
			if !x.policies.has(int(pol.sel)) {
				continue
			}
			if !applies {
				applies = true
				for _, g := range s.groups[:s.ng] {
					g.n.clear()
				}
			}
			for ri := range pol.rules {
				s.apply(&pol.rules[ri], false)
			}
			s.merge()
		}
		if !applies {
			continue
		}
		for _, g := range s.groups[:s.ng] {
			if t.defaultPass {
				g.c.or(g.n)
			} else {
				copy(g.c, g.n)
			}
		}
		s.merge()
	}
	if x.pod {
		for _, g := range s.groups[:s.ng] {
			g.a.or(g.c) // kns.<namespace> allows everything
		}
		return
	}
	for _, name := range x.profiles {
		rules, ok := s.p.profiles[name]
		if !ok {
			continue
		}
		for _, g := range s.groups[:s.ng] {
			copy(g.n, g.c)
		}
		for ri := range rules {
			s.apply(&rules[ri], true)
		}
	}
}

// apply runs one rule over the undecided cells of every group.
func (s *sweeper) apply(r *cRule, profile bool) {
	e := s.e
	any := false
	for f := range 2 {
		s.spans[f] = [2]int{}
		oa := s.ownAC[f]
		if oa == nil || r.fam[f].empty() || !r.own.ok(e.u, oa) {
			s.fm[f].clear()
			continue
		}
		if r.own.special(oa) {
			r.own.mask(e.atoms, oa, r.proto, s.fm[f], s.tmp)
			s.fm[f].and(r.fam[f])
			copy(s.fmb[f], s.fm[f])
			s.fmb[f].and(r.peerBase)
			s.spans[f] = wordSpan(s.fmb[f])
		} else {
			copy(s.fm[f], r.famOwn[f])
			copy(s.fmb[f], r.famOwnPeer[f])
			s.spans[f] = r.spans[f]
		}
		if !s.fm[f].empty() {
			any = true
		}
	}
	if !any {
		return
	}
	s.rect(r.peerPlain, s.fmb, s.spans, r.action, profile)
	for i := range r.special {
		part := &r.special[i]
		f := part.fam
		if s.ownAC[f] == nil {
			continue
		}
		copy(s.mask, part.mask)
		s.mask.and(s.fm[f])
		sp := wordSpan(s.mask)
		if sp[0] == sp[1] {
			continue
		}
		var masks [2]bitset
		var spans [2][2]int
		masks[f], spans[f] = s.mask, sp
		s.rect(part.peers, masks, spans, r.action, profile)
	}
}

// rect applies a rule's action to the cells (peer class in set, atom in
// masks[family]) that are still undecided, splitting the groups it covers
// only in part.
func (s *sweeper) rect(set bitset, masks [2]bitset, spans [2][2]int, action model.Action, profile bool) {
	n := s.ng
	for gi := 0; gi < n; gi++ {
		g := s.groups[gi]
		lo, hi := spans[g.fam][0], spans[g.fam][1]
		if lo == hi {
			continue
		}
		m := masks[g.fam]
		u := g.c
		if profile {
			u = g.n
		}
		hit := false
		for i := lo; i < hi; i++ {
			if u[i]&m[i] != 0 {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		all, some := true, false
		for i, w := range g.members {
			x := w & set[i]
			s.inter[i] = x
			some = some || x != 0
			all = all && x == w
		}
		if !some {
			continue
		}
		t := g
		if !all {
			t = s.newPeerGroup(g.fam)
			copy(t.members, s.inter)
			g.members.andNot(s.inter)
			copy(t.c, g.c)
			copy(t.n, g.n)
			copy(t.a, g.a)
			if profile {
				u = t.n
			} else {
				u = t.c
			}
		}
		for i := lo; i < hi; i++ {
			x := u[i] & m[i]
			if x == 0 {
				continue
			}
			u[i] &^= x
			switch {
			case action == model.Allow:
				t.a[i] |= x
				if profile {
					t.c[i] &^= x
				}
			case action == model.Deny && profile:
				t.c[i] &^= x
			case action == model.Pass && !profile:
				t.n[i] |= x
			}
		}
	}
}

// mergeAbove is the number of groups above which merge looks for groups
// in the same state.
const mergeAbove = 8

// merge joins groups of one family whose cells are in the same state, at
// the end of a tier (when n no longer matters).
func (s *sweeper) merge() {
	if s.ng <= mergeAbove {
		return
	}
	seen := map[uint64][]int{}
	for gi := 0; gi < s.ng; gi++ {
		g := s.groups[gi]
		h := uint64(g.fam) + 1
		for _, b := range []bitset{g.c, g.n, g.a} {
			for _, x := range b {
				h = (h ^ x) * 1099511628211
			}
		}
		merged := false
		for _, o := range seen[h] {
			og := s.groups[o]
			if og.fam == g.fam && slices.Equal(og.c, g.c) && slices.Equal(og.n, g.n) && slices.Equal(og.a, g.a) {
				og.members.or(g.members)
				merged = true
				break
			}
		}
		if !merged {
			seen[h] = append(seen[h], gi)
			continue
		}
		// Swap the merged group out of the used part of the pool.
		s.ng--
		s.groups[gi], s.groups[s.ng] = s.groups[s.ng], s.groups[gi]
		gi--
	}
}

// rowInterner stores each distinct atom row once.
type rowInterner struct {
	w     int
	table []uint64
	byKey map[uint64][]uint32
}

func newRowInterner(w int) *rowInterner {
	return &rowInterner{w: w, byKey: map[uint64][]uint32{}}
}

func (in *rowInterner) intern(row []uint64) uint32 {
	h := uint64(14695981039346656037)
	for _, x := range row {
		h ^= x
		h *= 1099511628211
		h ^= h >> 29
	}
	for _, id := range in.byKey[h] {
		if slices.Equal(in.table[int(id)*in.w:(int(id)+1)*in.w], row) {
			return id
		}
	}
	id := uint32(len(in.table) / max(in.w, 1))
	if in.w == 0 {
		id = 0
	}
	in.table = append(in.table, row...)
	in.byKey[h] = append(in.byKey[h], id)
	return id
}
