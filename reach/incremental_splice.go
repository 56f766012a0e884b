package reach

import (
	"slices"

	"github.com/reach-sim/reach/model"
)

// This file sweeps again what a change affects, for one direction, and
// splices the result into the base's.

// sweepPlan is computeDirection with the plan given, for the given rows
// only, and, when reps is not nil, toward the given address classes only,
// one peer class each (peerOf is then left nil).
func (e *matrixEngine) sweepPlan(p *dirPlan, rows []engineRow, reps []int32) *dirResult {
	peerQ, ownQ := newQuestionSet(e.u), newQuestionSet(e.u)
	p.rules(func(r *cRule) {
		peerQ.addSide(&r.peer)
		ownQ.addSide(&r.own)
	})
	d := &dirResult{}
	peerReps := reps
	if reps == nil {
		d.peerOf, peerReps = e.projectSparse(peerQ, nil)
	}
	d.nP = len(peerReps)
	// Own classes matter only for the rows swept.
	var own []int32
	seen := newBitset(len(e.addrClasses))
	for _, r := range rows {
		for _, k := range r.addr {
			if k >= 0 && !seen.has(int(k)) {
				seen.set(int(k))
				own = append(own, k)
			}
		}
	}
	ownOf, _ := e.projectSparse(ownQ, own)
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

// projectSparse is project for the few questions a restricted plan asks:
// it makes the same classes, numbered alike (in order of first
// appearance), comparing each class with the representatives of its hash
// bucket instead of building a key of all its answers.
//
// When only is not nil, only those classes are projected, and classOf is -1
// for the others.
func (e *matrixEngine) projectSparse(q *questionSet, only []int32) (classOf, reps []int32) {
	nonZero := func(b bitset) []int {
		var ws []int
		for w, x := range b {
			if x != 0 {
				ws = append(ws, w)
			}
		}
		return ws
	}
	sels, nets, svcs := nonZero(q.sels), nonZero(q.nets), nonZero(q.svcs)
	named, svcPorts := !q.named.empty(), !q.svcs.empty()
	mix := func(h, x uint64) uint64 {
		h ^= x
		h *= 0x100000001b3
		return h ^ h>>29
	}
	entry := func(en portEntry) uint64 {
		return uint64(uint32(en.key))<<24 | uint64(en.proto)<<16 | uint64(en.port)
	}
	hash := func(ac *addrClass) uint64 {
		h := uint64(0xcbf29ce484222325) + uint64(b2i(ac.v6))
		for _, w := range sels {
			h = mix(h, ac.sels[w]&q.sels[w])
		}
		for _, w := range nets {
			h = mix(h, ac.nets[w]&q.nets[w]^0x5555)
		}
		for _, w := range svcs {
			h = mix(h, ac.svcIn[w]&q.svcs[w]^0xaaaa)
		}
		if named {
			for _, en := range ac.named {
				if q.named.has(int(en.key)) {
					h = mix(h, entry(en))
				}
			}
		}
		if svcPorts {
			h = mix(h, 0xffff)
			for _, en := range ac.svcPorts {
				if q.svcs.has(int(en.key)) {
					h = mix(h, entry(en))
				}
			}
		}
		return h
	}
	sameEntries := func(x, y []portEntry, keys bitset) bool {
		i, j := 0, 0
		for {
			for i < len(x) && !keys.has(int(x[i].key)) {
				i++
			}
			for j < len(y) && !keys.has(int(y[j].key)) {
				j++
			}
			if i == len(x) || j == len(y) {
				return i == len(x) && j == len(y)
			}
			if x[i] != y[j] {
				return false
			}
			i, j = i+1, j+1
		}
	}
	same := func(x, y *addrClass) bool {
		if x.v6 != y.v6 {
			return false
		}
		for _, w := range sels {
			if (x.sels[w]^y.sels[w])&q.sels[w] != 0 {
				return false
			}
		}
		for _, w := range nets {
			if (x.nets[w]^y.nets[w])&q.nets[w] != 0 {
				return false
			}
		}
		for _, w := range svcs {
			if (x.svcIn[w]^y.svcIn[w])&q.svcs[w] != 0 {
				return false
			}
		}
		return (!named || sameEntries(x.named, y.named, q.named)) &&
			(!svcPorts || sameEntries(x.svcPorts, y.svcPorts, q.svcs))
	}
	classOf = make([]int32, len(e.addrClasses))
	if only != nil {
		for i := range classOf {
			classOf[i] = -1
		}
	}
	buckets := map[uint64][]int32{} // hash -> ids of the classes made
	for i := range len(e.addrClasses) {
		a := i
		if only != nil {
			if i >= len(only) {
				break
			}
			a = int(only[i])
		}
		ac := &e.addrClasses[a]
		h := hash(ac)
		id := int32(-1)
		for _, c := range buckets[h] {
			if same(ac, &e.addrClasses[reps[c]]) {
				id = c
				break
			}
		}
		if id < 0 {
			id = int32(len(reps))
			reps = append(reps, int32(a))
			buckets[h] = append(buckets[h], id)
		}
		classOf[a] = id
	}
	return classOf, reps
}

// planFor compiles the plan of direction dir with only the policies whose
// selector (by index) keep accepts. Dropping policies that select none of
// the subjects swept changes none of their cells: a tier applies to a
// subject only through a policy that selects it.
func (up *updater) planFor(dir model.Direction, keep func(sel int32) bool) *dirPlan {
	e := *up.e2
	c := *e.c
	c.Tiers = make([]*model.Tier, len(e.c.Tiers))
	for i, t := range e.c.Tiers {
		ct := *t
		ct.Policies = slices.DeleteFunc(slices.Clone(t.Policies), func(p *model.Policy) bool {
			sel, ok := e.u.polSelIdx[p.Selector.String()]
			return !e.u.participates(p) || !ok || !keep(sel)
		})
		c.Tiers[i] = &ct
	}
	e.c = &c
	return e.compilePlan(dir)
}

func (d *dirResult) subjectCount() int {
	if d.nP == 0 {
		return 0
	}
	if d.ids.wide != nil {
		return len(d.ids.wide) / d.nP
	}
	return len(d.ids.narrow) / d.nP
}

// direction computes the new result of direction dir.
func (up *updater) direction(dir model.Direction) *dirResult {
	e2 := up.e2
	old := up.a1.m.egress
	if dir == model.Ingress {
		old = up.a1.m.ingress
	}
	aff := up.affected[dir]

	// The affected rows, swept with the policies that select one of them.
	var rowsR []engineRow
	posR := make([]int32, len(up.rows2))
	union := newBitset(len(e2.u.polSels))
	for i, r := range up.rows2 {
		posR[i] = -1
		if aff[i] {
			posR[i] = int32(len(rowsR))
			rowsR = append(rowsR, r)
			union.or(e2.v.polSelsOf(r.view))
		}
	}
	var resR *dirResult
	if len(rowsR) > 0 {
		resR = e2.sweepPlan(up.planFor(dir, func(sel int32) bool { return union.has(int(sel)) }), rowsR, nil)
	}

	// The other subject classes, swept toward the novel address classes.
	novelOf := make([]int32, len(e2.addrClasses))
	for k := range novelOf {
		novelOf[k] = -1
	}
	var novel []int32
	for _, r := range up.m2.rows {
		for _, k := range r.addr {
			if k >= 0 && up.old1[k] < 0 && novelOf[k] < 0 {
				novelOf[k] = int32(len(novel))
				novel = append(novel, k)
			}
		}
	}
	s1 := old.subjectCount()
	var resN *dirResult
	repOf := make([]int32, s1) // old subject -> its representative among repRows
	for x := range repOf {
		repOf[x] = -1
	}
	if len(novel) > 0 {
		var repRows []engineRow
		for i, r := range up.rows2 {
			if r1 := up.row1[i]; !aff[i] && r1 >= 0 {
				if x := old.rowSubject[r1]; x >= 0 && repOf[x] < 0 {
					repOf[x] = int32(len(repRows))
					repRows = append(repRows, r)
				}
			}
		}
		if len(repRows) > 0 {
			resN = e2.sweepPlan(e2.compilePlan(dir), repRows, novel)
		}
	}

	if resR == nil && resN == nil && len(novel) == 0 {
		// Nothing swept: the old classes, with the new address classes
		// mapped to the old ones they stand for.
		d := &dirResult{nP: old.nP, ids: old.ids, table: up.table[dir], peerOf: make([]int32, len(e2.addrClasses))}
		for k, o := range up.old1 {
			if o >= 0 {
				d.peerOf[k] = old.peerOf[o]
			}
		}
		if up.sameRows {
			d.rowSubject = old.rowSubject
		} else {
			d.rowSubject = make([]int32, len(up.rows2))
			for i, r1 := range up.row1 {
				d.rowSubject[i] = -1
				if r1 >= 0 {
					d.rowSubject[i] = old.rowSubject[r1]
				}
			}
		}
		return d
	}

	// Peer classes: (old peer class, new peer class of the affected rows,
	// novel class). The first of each old peer class keeps its number.
	np1 := old.nP
	type triple [3]int32
	pcOf := map[triple]int32{}
	slot := make([]triple, np1) // the triple of each old number taken
	taken := make([]bool, np1)
	var extra []triple
	peerOf := make([]int32, len(e2.addrClasses))
	for k := range e2.addrClasses {
		t := triple{-1, -1, -1}
		if o := up.old1[k]; o >= 0 {
			t[0] = old.peerOf[o]
		} else {
			t[2] = novelOf[k]
		}
		if resR != nil {
			t[1] = resR.peerOf[k]
		}
		pc, ok := pcOf[t]
		if !ok {
			if t[0] >= 0 && !taken[t[0]] {
				pc, taken[t[0]], slot[t[0]] = t[0], true, t
			} else {
				pc = int32(np1 + len(extra))
				extra = append(extra, t)
			}
			pcOf[t] = pc
		}
		peerOf[k] = pc
	}
	np2 := np1 + len(extra)

	d := &dirResult{peerOf: peerOf, nP: np2}
	d.rowSubject = make([]int32, len(up.rows2))
	for i := range up.rows2 {
		switch r1 := up.row1[i]; {
		case posR[i] >= 0:
			d.rowSubject[i] = int32(s1) + resR.rowSubject[posR[i]]
		case r1 >= 0:
			d.rowSubject[i] = old.rowSubject[r1]
		default:
			d.rowSubject[i] = -1
		}
	}

	w := words(e2.atoms.n)
	table := up.table[dir]
	offR := len(table) / max(w, 1)
	var sr int
	if resR != nil {
		table = append(slices.Clip(table), resR.table...)
		sr = resR.subjectCount()
	}
	offN := len(table) / max(w, 1)
	if resN != nil {
		table = append(slices.Clip(table), resN.table...)
	}
	d.table = table

	if resR == nil && resN == nil && np2 == np1 {
		d.ids = old.ids
		return d
	}
	ids := newCellIDs((s1 + sr) * np2)
	if old.ids.wide != nil || len(table)/max(w, 1) > 0xffff {
		ids = cellIDs{wide: make([]uint32, (s1+sr)*np2)}
	}
	// The old subjects: their rows, then the added peer classes.
	switch {
	case ids.narrow != nil && old.ids.narrow != nil:
		for x := range s1 {
			copy(ids.narrow[x*np2:x*np2+np1], old.ids.narrow[x*np1:(x+1)*np1])
		}
	case ids.wide != nil && old.ids.wide != nil:
		for x := range s1 {
			copy(ids.wide[x*np2:x*np2+np1], old.ids.wide[x*np1:(x+1)*np1])
		}
	default:
		for x := range s1 {
			for pc := range np1 {
				ids.set(x*np2+pc, old.ids.get(x*np1+pc))
			}
		}
	}
	for j, t := range extra {
		pc := np1 + j
		for x := range s1 {
			switch {
			case t[0] >= 0:
				ids.set(x*np2+pc, old.ids.get(x*np1+int(t[0])))
			case t[2] >= 0 && repOf[x] >= 0:
				y := resN.rowSubject[repOf[x]]
				ids.set(x*np2+pc, uint32(offN)+resN.ids.get(int(y)*resN.nP+int(t[2])))
			}
		}
	}
	// The new subjects.
	for y := range sr {
		for pc := range np2 {
			t := triple{-1, -1, -1}
			switch {
			case pc >= np1:
				t = extra[pc-np1]
			case taken[pc]:
				t = slot[pc]
			}
			if t[1] >= 0 {
				ids.set((s1+y)*np2+pc, uint32(offR)+resR.ids.get(y*resR.nP+int(t[1])))
			}
		}
	}
	d.ids = ids
	return d
}
