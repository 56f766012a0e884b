package reach

// Incremental recomputation: the matrix of a changed cluster from the
// matrix of the cluster it was changed from, recomputing only what the
// change can affect.
//
// Design:
//
//  1. An Analysis is a matrix plus what the engine learnt making it: the
//     question index, the label views with the selectors that match them,
//     the address classes, the row of every endpoint. Analyze runs the
//     engine exactly as ComputeMatrix does and keeps all of it.
//
//  2. Update compares the new cluster with the analysed one object by
//     object (incremental_delta.go): policies added, removed or changed (or
//     whose participation changed, for the pending verdict), tiers, pods,
//     host endpoints, namespaces, service accounts, network sets, services
//     and profiles. A pod, host endpoint or external address is a row;
//     rows are matched by identity (namespace/name, host endpoint name,
//     address).
//
//  3. Questions only grow (incremental_classes.go): the new policies'
//     selectors, CIDRs, named ports and services are appended to a copy of
//     the question index, the label views are extended with the answers to
//     the new selectors, and every address class is extended with its
//     answers to the new questions, splitting where addresses of one class
//     answer differently. Addresses whose own answers may have changed (the
//     addresses of changed, added or removed endpoints, those inside
//     changed network sets, the backends of changed services) are
//     classified again from scratch; such a class that answers every old
//     question as an old class does is that class to the rows the change
//     did not touch, otherwise it is novel.
//
//  4. Rows whose treatment as a subject may have changed are affected, per
//     direction: new rows, rows whose object or address changed, and rows
//     that a changed policy selects (before or after) in a direction it
//     governs; every row when the tiers changed. Their rows of the
//     direction are swept again (incremental_splice.go) with only the
//     policies that select them. The other subject classes keep their
//     cells; they are swept again only toward novel address classes.
//
//  5. The new direction results are spliced from the old ones: old subject
//     classes keep their ids and their cell rows (a memory copy), peer
//     classes are refined pairs of (old peer class, new peer class), the
//     new subjects are appended, and the old atom rows are re-expressed in
//     the new port atoms, which refine the old ones. Questions that no
//     policy asks any more stay: they only make classes finer.
//
// A change that names a protocol the analysed matrix does not cover makes
// Update analyse the old cluster again with that protocol covered, then
// proceed. An updated matrix covers every protocol the analysed one did;
// besides that, it equals ComputeMatrix's cell for cell (TestUpdateMatchesFull
// checks it on generated clusters and changes).

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/reach-sim/reach/model"
)

// Analysis is a cluster with its matrix and what the engine learnt making
// it, kept so that Update can compute the matrix of a changed cluster by
// recomputing only what the change affects. It is immutable and safe for
// concurrent use.
type Analysis struct {
	c    *model.Cluster
	opt  MatrixOptions
	m    *Matrix
	e    *matrixEngine // c, u (frozen), v, atoms, addrClasses; idx only from analyze
	rows []engineRow   // per matrix row
	hold *holders      // who holds each address
	sets []netSetHolder
	// link relates the matrix to the one it was updated from; nil for an
	// Analysis made by Analyze.
	link *updateLink
	// extra are protocols covered beyond what the cluster names.
	extra []model.Protocol

	once sync.Once
	idx  *rowIndex

	wlOnce sync.Once
	wl     *workloadIndex // for diffs
}

// updateLink is how an updated Analysis relates to its base.
type updateLink struct {
	base *Analysis
	row1 []int32 // per row: the base's row with the same identity, or -1
	// srcChanged and dstChanged mark the rows whose cells from them, or to
	// them, may differ from the base's: the cells between two unmarked rows
	// are the base's.
	srcChanged, dstChanged []bool
	removed                []int32 // base rows that are gone
}

// Analyze computes the matrix of c, as ComputeMatrix does, and keeps what
// Update needs to recompute it for a changed cluster.
func Analyze(c *model.Cluster, opt MatrixOptions) (*Analysis, error) {
	return analyze(c, opt, nil)
}

// Cluster returns the analysed cluster.
func (a *Analysis) Cluster() *model.Cluster { return a.c }

// Matrix returns the cluster's matrix.
func (a *Analysis) Matrix() *Matrix { return a.m }

// Options returns the options the matrix was computed with.
func (a *Analysis) Options() MatrixOptions { return a.opt }

// analyze computes the matrix of c and keeps the engine, for ComputeMatrix
// and Update; extra protocols are covered even when no rule names them.
func analyze(c *model.Cluster, opt MatrixOptions, extra []model.Protocol) (*Analysis, error) {
	if c == nil {
		return nil, errors.New("compute matrix: nil cluster")
	}
	for _, pp := range opt.Ports {
		if pp.Protocol == 0 {
			return nil, fmt.Errorf("compute matrix: port %d has no protocol", pp.Port)
		}
	}
	for _, a := range opt.ExternalPeers {
		if !a.IsValid() {
			return nil, errors.New("compute matrix: invalid external peer address")
		}
	}
	u := newQuestionIndex(c, opt.Pending)
	for _, p := range extra {
		u.protocols[p] = true
	}
	v := &labelViews{u: u, byKey: map[string]int32{}}
	e := &matrixEngine{c: c, u: u, v: v, idx: newAddrIndex(u, v)}
	v.fill()
	m := &Matrix{index: map[Peer]int{}}
	rows := e.rows(m, opt.ExternalPeers)
	e.atoms = e.atomTable(opt.Ports)
	m.atoms, m.w = e.atoms, words(e.atoms.n)
	done := make(chan struct{})
	go func() {
		m.ingress = e.computeDirection(model.Ingress, rows)
		close(done)
	}()
	m.egress = e.computeDirection(model.Egress, rows)
	<-done
	m.classes = classCount(m, len(m.rows)/4)
	return &Analysis{
		c: c, opt: opt, m: m, e: e, rows: rows,
		hold: &holders{base: e.idx.exact}, sets: e.idx.sets, extra: extra,
	}, nil
}

// classCount counts the rows that differ in their classes, as
// Matrix.Classes reports: the distinct (egress subject, ingress subject,
// egress and ingress peer classes of each address) of the rows. hint is
// about how many there are.
func classCount(m *Matrix, hint int) int {
	size := 64
	for size < 2*max(hint, len(m.rows)/4) {
		size <<= 1
	}
	table := make([][6]int32, size) // open addressing; a zero subject pair never occurs: -2 marks empty
	for i := range table {
		table[i][0] = -2
	}
	n := 0
	for i, r := range m.rows {
		k := [6]int32{m.egress.rowSubject[i], m.ingress.rowSubject[i], -1, -1, -1, -1}
		for f, a := range r.addr {
			if a >= 0 {
				k[2+2*f], k[3+2*f] = m.egress.peerOf[a], m.ingress.peerOf[a]
			}
		}
		h := uint64(0xcbf29ce484222325)
		for _, x := range k {
			h = (h ^ uint64(uint32(x))) * 0x100000001b3
		}
		for j := int(h>>7) & (size - 1); ; j = (j + 1) & (size - 1) {
			if table[j][0] == -2 {
				table[j] = k
				n++
				if 2*n > size { // keep it at most half full
					return classCountMap(m)
				}
				break
			}
			if table[j] == k {
				break
			}
		}
	}
	return n
}

// classCountMap is classCount for many classes.
func classCountMap(m *Matrix) int {
	seen := map[[6]int32]bool{}
	for i, r := range m.rows {
		k := [6]int32{m.egress.rowSubject[i], m.ingress.rowSubject[i], -1, -1, -1, -1}
		for f, a := range r.addr {
			if a >= 0 {
				k[2+2*f], k[3+2*f] = m.egress.peerOf[a], m.ingress.peerOf[a]
			}
		}
		seen[k] = true
	}
	return len(seen)
}

// holders finds the workload and host endpoints that hold an address: the
// index Analyze made, overlaid by the addresses each Update changed.
type holders struct {
	base   map[netip.Addr][]ipHolder
	over   map[netip.Addr][]ipHolder // a nil entry: no holder any more
	parent *holders
}

func (h *holders) of(a netip.Addr) []ipHolder {
	for x := h; x != nil; x = x.parent {
		if hs, ok := x.over[a]; ok {
			return hs
		}
		if x.base != nil {
			return x.base[a]
		}
	}
	return nil
}

// rowIndex is what Update looks up in its base, made on first use.
type rowIndex struct {
	byPod  map[string]int32
	byHost map[string]int32
	byIP   map[netip.Addr]int32
	// classKeys maps the key of each address class to its first id.
	classKeys map[string]int32
	// addrs are the row addresses (the first of each family of each row),
	// sorted, with their address class.
	addrs   []netip.Addr
	classOf map[netip.Addr]int32
	// viewAddrs are the row addresses held by endpoints of each label view.
	viewAddrs map[int32][]netip.Addr
	// rowsAt lists the rows whose first address of a family is an
	// address, as row<<1 | family.
	rowsAt map[netip.Addr][]int32
	// policies are the participating policies, by identity.
	policies map[policyKey]*model.Policy
}

func (a *Analysis) index() *rowIndex {
	a.once.Do(func() { a.idx = a.makeIndex() })
	return a.idx
}

func (a *Analysis) makeIndex() *rowIndex {
	x := &rowIndex{
		byPod: map[string]int32{}, byHost: map[string]int32{}, byIP: map[netip.Addr]int32{},
		classKeys: map[string]int32{}, classOf: map[netip.Addr]int32{}, viewAddrs: map[int32][]netip.Addr{},
		rowsAt: map[netip.Addr][]int32{}, policies: map[policyKey]*model.Policy{},
	}
	for _, t := range a.c.Tiers {
		for _, p := range t.Policies {
			if a.e.u.participates(p) {
				x.policies[policyKey{p.Kind, p.Namespace, p.Name}] = p
			}
		}
	}
	for i, p := range a.m.peers {
		switch {
		case p.Pod != nil:
			x.byPod[p.Pod.ID()] = int32(i)
		case p.Host != nil:
			x.byHost[p.Host.Name] = int32(i)
		default:
			x.byIP[p.IP] = int32(i)
		}
		for f, k := range a.m.rows[i].addr {
			if k >= 0 {
				addr := firstAddrOf(peerAddrs(p), f == 1)
				x.classOf[addr] = k
				x.rowsAt[addr] = append(x.rowsAt[addr], int32(i)<<1|int32(f))
			}
		}
	}
	var buf []byte
	for k := range a.e.addrClasses {
		buf = a.e.addrClasses[k].key(buf)
		if _, ok := x.classKeys[string(buf)]; !ok {
			x.classKeys[string(buf)] = int32(k)
		}
	}
	for addr := range x.classOf {
		x.addrs = append(x.addrs, addr)
	}
	slices.SortFunc(x.addrs, netip.Addr.Compare)
	for i, p := range a.m.peers {
		r := a.rows[i]
		if r.kind == notEndpoint {
			continue
		}
		for _, addr := range uniqueAddrs(peerAddrs(p)) {
			if _, ok := x.classOf[addr]; ok {
				x.viewAddrs[r.view] = append(x.viewAddrs[r.view], addr)
			}
		}
	}
	return x
}

// peerAddrs returns the addresses of a row.
func peerAddrs(p Peer) []netip.Addr {
	switch {
	case p.Pod != nil:
		return p.Pod.IPs
	case p.Host != nil:
		return p.Host.ExpectedIPs
	}
	return []netip.Addr{p.IP}
}

// within returns the sorted addresses that prefix n contains.
func within(addrs []netip.Addr, n netip.Prefix) []netip.Addr {
	n = n.Masked()
	lo, _ := slices.BinarySearchFunc(addrs, n.Addr(), netip.Addr.Compare)
	hi := lo
	for hi < len(addrs) && n.Contains(addrs[hi]) {
		hi++
	}
	return addrs[lo:hi]
}

// Update returns the analysis of cluster c, a changed version of the
// analysed cluster, computed from this one: only the rows and columns the
// changes can affect are swept again (see the design above), so a change
// that touches a few endpoints costs a small fraction of Analyze. Any
// cluster may be given; the more it differs, the more is recomputed.
//
// The new matrix answers Allowed and Ports as ComputeMatrix would, and
// covers every protocol the analysed matrix covers too. Its Classes may
// count more classes than ComputeMatrix's: questions no policy asks any
// more still tell endpoints apart.
func (a *Analysis) Update(c *model.Cluster) (*Analysis, error) {
	return a.update(c, a.opt)
}

// update computes the analysis of c under opt, which may differ from a's in
// Pending only.
func (a *Analysis) update(c *model.Cluster, opt MatrixOptions) (*Analysis, error) {
	if c == nil {
		return nil, errors.New("update: nil cluster")
	}
	base := a
	for range 2 {
		up := newUpdater(base, c, opt)
		missing := up.run()
		if missing == nil {
			return up.result(), nil
		}
		// The change names protocols the base does not cover: cover them
		// in the base and start again.
		extra := append(slices.Clone(base.extra), missing...)
		var err error
		if base, err = analyze(base.c, base.opt, extra); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("update: protocol coverage does not converge")
}
