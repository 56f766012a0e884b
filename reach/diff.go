package reach

// Diffs: the flows a change opens and closes.
//
// Design:
//
//  1. Units. The endpoints of the diff are the rows of the new matrix and
//     the rows of the old one that are gone. Each has a signature in each
//     matrix: as a source, its egress subject class and the ingress peer
//     classes of its addresses; as a destination, its ingress subject
//     class and the egress peer classes of its addresses (absent where it
//     does not exist). Two units with the same signatures in both matrices
//     have the same cells toward every other unit, before and after.
//
//  2. Cells. A cell is decided once per pair of (source signature group,
//     destination signature group), and only for the pairs Update marked
//     as possibly changed: a source whose egress or address changed, or a
//     destination whose ingress or address changed. The old cell is read
//     with the old class ids in the new matrix's tables, whose first rows
//     are the old tables re-expressed in the new port atoms.
//
//  3. Groups. Changed cells are grouped by workload (pods of one
//     workload; a pod without one, a host endpoint or an external address
//     stands alone) on each side and by the ports that changed: a
//     FlowGroup is a product of sources and destinations. Groups are sorted
//     by source, destination and ports.
//
//  4. Explanations. With DiffOptions.Explain, Evaluate decides one flow of
//     each group (its first source, first destination and first port) in
//     both clusters: which policy closed it before, which opens it now.

import (
	"errors"
	"slices"
)

// DiffOptions tune Compare. The zero value groups the changed flows
// without explaining them.
type DiffOptions struct {
	// Explain evaluates one flow of every group in both clusters, for
	// FlowGroup.Before and After. It costs two Evaluate calls a group.
	Explain bool
}

// Diff is what changed between two analyses: the flows that became allowed
// (Added) and those that became denied (Removed). A flow from or to an
// endpoint that exists on one side only counts as added (it exists after)
// or removed (it existed before) when it is allowed there. A pod's traffic
// to itself, always allowed, is never part of a diff.
type Diff struct {
	Added   []FlowGroup
	Removed []FlowGroup
	// Before and After are the analyses compared.
	Before, After *Analysis
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool { return len(d.Added) == 0 && len(d.Removed) == 0 }

// FlowGroup is a set of flows that changed alike: every peer of Src may now
// (Added) or may no longer (Removed) open Ports to every peer of Dst other
// than itself.
type FlowGroup struct {
	Src, Dst FlowEnd
	Ports    PortSet
	// Flow is the flow the explanations decide: the first peer of each
	// group and the first port of Ports, with the peers of the cluster where
	// the flow is allowed (after for Added, before for Removed).
	Flow Flow
	// Before and After are the verdicts on Flow in each cluster (the pending
	// verdict for an analysis of the pending matrix); nil when not asked
	// for (DiffOptions.Explain) or when an end of the flow does not exist
	// in that cluster.
	Before, After *Verdict
}

// Flows returns the number of (source, destination) pairs in the group.
func (g *FlowGroup) Flows() int {
	n := len(g.Src.Peers) * len(g.Dst.Peers)
	for _, p := range g.Src.Peers {
		if slices.Contains(g.Dst.Peers, p) {
			n--
		}
	}
	return n
}

// FlowEnd is one end of a FlowGroup: some pods of one workload, a pod
// without one, a host endpoint or an external address.
type FlowEnd struct {
	// Name is "namespace/workload", "namespace/pod", "host/<name>" or the
	// address.
	Name string
	// Kind is the workload's kind (Deployment, StatefulSet, ...), or
	// KindPod, KindHostEndpoint or KindExternal, as for graph nodes.
	Kind      string
	Namespace string
	// Peers are the endpoints of the group the flows go from or to, in
	// matrix order, from the cluster where the flows are allowed.
	Peers []Peer
	// Size is the number of endpoints of the workload in that cluster,
	// Peers included.
	Size int
}

// Compare returns the flows that differ between two analyses of versions
// of a cluster. When after was made by Update (or WhatIf) from before, only
// what the change affected is compared; otherwise before is first updated
// to after's cluster, which is as fast as the clusters are alike. The two
// analyses may differ in MatrixOptions.Pending (that is the staged diff),
// not in their ports or external peers.
func Compare(before, after *Analysis, opt DiffOptions) (*Diff, error) {
	if before == nil || after == nil {
		return nil, errors.New("compare: nil analysis")
	}
	if !slices.Equal(before.opt.Ports, after.opt.Ports) || !slices.Equal(before.opt.ExternalPeers, after.opt.ExternalPeers) {
		return nil, errors.New("compare: the analyses cover different ports or external peers")
	}
	upd := after
	if upd.link == nil || upd.link.base.c != before.c || upd.link.base.opt.Pending != before.opt.Pending {
		var err error
		if upd, err = before.update(after.c, after.opt); err != nil {
			return nil, err
		}
	}
	df := newDiffer(upd)
	df.compare()
	d := &Diff{Before: before, After: after}
	d.Added = df.groups(df.added, upd)
	d.Removed = df.groups(df.removed, upd.link.base)
	if opt.Explain {
		df.explain(d)
	}
	return d, nil
}

// unit is an endpoint of the diff: a row of the new matrix, or a row of the
// old one that is gone.
type unit struct {
	row1, row2 int32 // -1 where absent
}

type sideSig [3]int32 // subject class, peer class of the IPv4 and IPv6 address

var absentSig = sideSig{-2, -2, -2}

// differ finds the changed cells between an updated analysis and its base.
type differ struct {
	a1, a2  *Analysis
	m1, m2  *Matrix
	units   []unit
	srcOf   []int32 // per unit: its source group
	dstOf   []int32 // per unit: its destination group
	srcKeys [][2]sideSig
	dstKeys [][2]sideSig
	srcHot  []bool // per source group: a member's cells from it may have changed
	dstHot  []bool
	srcMem  [][]int32 // members of each group, in unit order
	dstMem  [][]int32
	full    bitset
	row2Of  []int32 // per old row: its new row, or -1
	// added and removed hold the changed ports of each (source group,
	// destination group) pair that changed.
	added, removed map[[2]int32]bitset
}

func newDiffer(a2 *Analysis) *differ {
	l := a2.link
	df := &differ{a1: l.base, a2: a2, m1: l.base.m, m2: a2.m}
	for i, r1 := range l.row1 {
		df.units = append(df.units, unit{row1: r1, row2: int32(i)})
	}
	for _, r1 := range l.removed {
		df.units = append(df.units, unit{row1: r1, row2: -1})
	}
	df.row2Of = make([]int32, len(df.m1.peers))
	for i := range df.row2Of {
		df.row2Of[i] = -1
	}
	for _, un := range df.units {
		if un.row1 >= 0 {
			df.row2Of[un.row1] = un.row2
		}
	}

	df.full = newBitset(df.m2.atoms.n)
	df.full.setRange(0, df.m2.atoms.n)
	changed := func(un unit) (src, dst bool) {
		if un.row2 < 0 || un.row1 < 0 {
			return true, true
		}
		return l.srcChanged[un.row2], l.dstChanged[un.row2]
	}
	// Every source is grouped when some destination changed, and every
	// destination when some source did; otherwise only the changed ones.
	var allSrc, allDst bool
	for _, un := range df.units {
		s, d := changed(un)
		allDst, allSrc = allDst || s, allSrc || d
	}
	srcIDs, dstIDs := newSigTable(), newSigTable()
	group := func(ids *sigTable, keys *[][2]sideSig, hot *[]bool, _ int, k [2]sideSig, changed bool) int32 {
		g, isNew := ids.id(k, int32(len(*keys)))
		if isNew {
			*keys = append(*keys, k)
			*hot = append(*hot, false)
		}
		(*hot)[g] = (*hot)[g] || changed
		return g
	}
	df.srcOf, df.dstOf = make([]int32, len(df.units)), make([]int32, len(df.units))
	for u, un := range df.units {
		srcChanged, dstChanged := changed(un)
		df.srcOf[u], df.dstOf[u] = -1, -1
		if allSrc || srcChanged {
			var k [2]sideSig
			k[0], _ = df.sigs(df.m1, un.row1)
			k[1], _ = df.sigs(df.m2, un.row2)
			df.srcOf[u] = group(srcIDs, &df.srcKeys, &df.srcHot, 0, k, srcChanged)
		}
		if allDst || dstChanged {
			var k [2]sideSig
			_, k[0] = df.sigs(df.m1, un.row1)
			_, k[1] = df.sigs(df.m2, un.row2)
			df.dstOf[u] = group(dstIDs, &df.dstKeys, &df.dstHot, 1, k, dstChanged)
		}
	}
	df.srcMem, df.dstMem = members(df.srcOf, len(df.srcKeys)), members(df.dstOf, len(df.dstKeys))
	return df
}

// members lists the units of each group, in unit order, in one allocation.
func members(of []int32, groups int) [][]int32 {
	count := make([]int32, groups+1)
	for _, g := range of {
		if g >= 0 {
			count[g+1]++
		}
	}
	for g := range groups {
		count[g+1] += count[g]
	}
	flat := make([]int32, count[groups])
	out := make([][]int32, groups)
	for g := range groups {
		out[g] = flat[count[g]:count[g]:count[g+1]]
	}
	for u, g := range of {
		if g >= 0 {
			out[g] = append(out[g], int32(u))
		}
	}
	return out
}

// sigTable numbers pairs of signatures: an open-addressing table, faster
// than a map for the few thousand keys of a diff.
type sigTable struct {
	keys [][2]sideSig
	ids  []int32 // -1: empty
	n    int
}

func newSigTable() *sigTable {
	t := &sigTable{}
	t.init(1024)
	return t
}

func (t *sigTable) init(size int) {
	t.keys, t.ids, t.n = make([][2]sideSig, size), make([]int32, size), 0
	for i := range t.ids {
		t.ids[i] = -1
	}
}

func sigHash(k [2]sideSig) uint64 {
	h := uint64(0xcbf29ce484222325)
	for _, s := range k {
		for _, x := range s {
			h = (h ^ uint64(uint32(x))) * 0x100000001b3
		}
	}
	return h ^ h>>29
}

// id returns the number of k, giving it next when it has none.
func (t *sigTable) id(k [2]sideSig, next int32) (int32, bool) {
	if 2*(t.n+1) > len(t.ids) {
		keys, ids := t.keys, t.ids
		t.init(2 * len(ids))
		for i, id := range ids {
			if id >= 0 {
				t.id(keys[i], id)
			}
		}
	}
	mask := len(t.ids) - 1
	for j := int(sigHash(k)) & mask; ; j = (j + 1) & mask {
		switch {
		case t.ids[j] < 0:
			t.keys[j], t.ids[j] = k, next
			t.n++
			return next, true
		case t.keys[j] == k:
			return t.ids[j], false
		}
	}
}

// sigs returns the source and destination signatures of row r of m.
func (df *differ) sigs(m *Matrix, r int32) (src, dst sideSig) {
	if r < 0 {
		return absentSig, absentSig
	}
	src = sideSig{m.egress.rowSubject[r], -1, -1}
	dst = sideSig{m.ingress.rowSubject[r], -1, -1}
	for f, a := range m.rows[r].addr {
		if a >= 0 {
			src[1+f] = m.ingress.peerOf[a]
			dst[1+f] = m.egress.peerOf[a]
		}
	}
	return src, dst
}

// cell sets out to the allowed atoms (in the new matrix's atoms) from a
// source to a destination of the given signatures in m. It returns out, or
// nil when no flow is possible.
func (df *differ) cell(m *Matrix, s, d sideSig, out bitset) bitset {
	if s == absentSig || d == absentSig {
		return nil
	}
	f := -1
	for i := range 2 {
		if s[1+i] >= 0 && d[1+i] >= 0 {
			f = i
			break
		}
	}
	if f < 0 {
		return nil
	}
	w := df.m2.w
	copy(out, df.full)
	if s[0] >= 0 {
		id := m.egress.ids.get(int(s[0])*m.egress.nP + int(d[1+f]))
		out.and(df.m2.egress.table[int(id)*w : (int(id)+1)*w])
	}
	if d[0] >= 0 {
		id := m.ingress.ids.get(int(d[0])*m.ingress.nP + int(s[1+f]))
		out.and(df.m2.ingress.table[int(id)*w : (int(id)+1)*w])
	}
	return out
}

// compare decides the pairs of groups that may have changed.
func (df *differ) compare() {
	df.added, df.removed = map[[2]int32]bitset{}, map[[2]int32]bitset{}
	n := len(df.full)
	oldBuf, curBuf, tmp := make(bitset, n), make(bitset, n), make(bitset, n)
	try := func(sg, dg int32) {
		sk, dk := df.srcKeys[sg], df.dstKeys[dg]
		old, cur := df.cell(df.m1, sk[0], dk[0], oldBuf), df.cell(df.m2, sk[1], dk[1], curBuf)
		if andNot(tmp, cur, old) {
			df.added[[2]int32{sg, dg}] = slices.Clone(tmp)
		}
		if andNot(tmp, old, cur) {
			df.removed[[2]int32{sg, dg}] = slices.Clone(tmp)
		}
	}
	for sg, hot := range df.srcHot {
		if hot {
			for dg := range df.dstKeys {
				try(int32(sg), int32(dg))
			}
		}
	}
	for dg, hot := range df.dstHot {
		if !hot {
			continue
		}
		for sg, shot := range df.srcHot {
			if !shot {
				try(int32(sg), int32(dg))
			}
		}
	}
}

// andNot sets out to a \ b (a nil bitset is empty) and reports whether that
// is not empty.
func andNot(out, a, b bitset) bool {
	if a == nil {
		return false
	}
	copy(out, a)
	if b != nil {
		out.andNot(b)
	}
	return !out.empty()
}
