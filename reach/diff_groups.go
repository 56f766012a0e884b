package reach

import (
	"cmp"
	"encoding/binary"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// This file turns the changed cells of a diff into flow groups, by
// workload, and explains one flow of each.

// peer returns the peer of unit u in analysis a (the base or the updated
// one), or false when it does not exist there.
func (df *differ) peer(a *Analysis, u int32) (Peer, bool) {
	un := df.units[u]
	r := un.row2
	if a == df.a1 {
		r = un.row1
	}
	if r < 0 {
		return Peer{}, false
	}
	return a.m.peers[r], true
}

// endKey identifies the workload (or the pod, host endpoint or address) a
// peer is grouped under.
type endKey struct {
	kind          byte // 'w' workload, 'p' pod, 'h' host endpoint, 'i' address
	ns, sub, name string
	ip            netip.Addr
}

func keyOf(p Peer) endKey {
	switch {
	case p.Pod != nil && p.Pod.Workload != nil:
		return endKey{kind: 'w', ns: p.Pod.Namespace, sub: p.Pod.Workload.Kind, name: p.Pod.Workload.Name}
	case p.Pod != nil:
		return endKey{kind: 'p', ns: p.Pod.Namespace, name: p.Pod.Name}
	case p.Host != nil:
		return endKey{kind: 'h', name: p.Host.Name}
	}
	return endKey{kind: 'i', ip: p.IP}
}

// end returns the FlowEnd of key k, without peers.
func (k endKey) end(p Peer) FlowEnd {
	switch k.kind {
	case 'w':
		return FlowEnd{Name: k.ns + "/" + k.name, Kind: k.sub, Namespace: k.ns}
	case 'p':
		return FlowEnd{Name: k.ns + "/" + k.name, Kind: KindPod, Namespace: k.ns}
	case 'h':
		return FlowEnd{Name: p.String(), Kind: KindHostEndpoint}
	}
	return FlowEnd{Name: p.String(), Kind: KindExternal}
}

// workloadIndex numbers the workloads (and lone pods, host endpoints and
// addresses) of an analysis' rows.
type workloadIndex struct {
	of    []int32  // per row
	keys  []endKey // per workload
	sizes []int    // rows per workload
}

// workloads returns the analysis' workload index, made once and shared
// with its base when both have the same rows.
func (a *Analysis) workloads() *workloadIndex {
	a.wlOnce.Do(func() {
		if l := a.link; l != nil && len(a.m.peers) > 0 && len(l.base.m.peers) == len(a.m.peers) && &l.base.m.peers[0] == &a.m.peers[0] {
			a.wl = l.base.workloads() // the same endpoints
			return
		}
		x := &workloadIndex{of: make([]int32, len(a.m.peers))}
		ids := map[endKey]int32{}
		for i, p := range a.m.peers {
			k := keyOf(p)
			id, ok := ids[k]
			if !ok {
				id = int32(len(x.keys))
				ids[k] = id
				x.keys = append(x.keys, k)
				x.sizes = append(x.sizes, 0)
			}
			x.of[i] = id
			x.sizes[id]++
		}
		a.wl = x
	})
	return a.wl
}

// groups turns changed cells into flow groups, with the peers of analysis
// a (where the flows are allowed).
func (df *differ) groups(cells map[[2]int32]bitset, a *Analysis) []FlowGroup {
	// Split each side's members by workload, once per group used.
	wl := a.workloads()
	type part struct {
		w     int32 // workload
		units []int32
	}
	pos := make([]int32, len(wl.keys))
	for i := range pos {
		pos[i] = -1
	}
	split := func(mem []int32) []part {
		// Count the units of each workload, then fill one slice.
		var out []part
		var count []int32
		for _, u := range mem {
			r := df.rowIn(a, u)
			if r < 0 {
				continue
			}
			w := wl.of[r]
			if pos[w] < 0 {
				pos[w] = int32(len(out))
				out = append(out, part{w: w})
				count = append(count, 0)
			}
			count[pos[w]]++
		}
		flat := make([]int32, 0, len(mem))
		for i := range out {
			out[i].units = flat[len(flat) : len(flat) : len(flat)+int(count[i])]
			flat = flat[:len(flat)+int(count[i])]
		}
		for _, u := range mem {
			if r := df.rowIn(a, u); r >= 0 {
				p := &out[pos[wl.of[r]]]
				p.units = append(p.units, u)
			}
		}
		for _, p := range out {
			pos[p.w] = -1
		}
		return out
	}
	srcParts, dstParts := map[int32][]part{}, map[int32][]part{}
	partsOf := func(cache map[int32][]part, mem [][]int32, g int32) []part {
		ps, ok := cache[g]
		if !ok {
			ps = split(mem[g])
			cache[g] = ps
		}
		return ps
	}
	// The flows of one (source workload, destination workload, ports) are
	// merged in two passes, so that each group stays a product: first the
	// sources toward the same destinations, then the destinations from the
	// same sources.
	type entry struct {
		sw, dw   int32
		src, dst []int32
		ports    bitset
		pk       string
	}
	type destKey struct {
		sw, dw int32
		pk     string
		dg     int32 // the destination part: its group, with dw
	}
	var entries []*entry
	bySrc := map[destKey]*entry{}
	for _, pair := range slices.SortedFunc(mapsKeys(cells), func(x, y [2]int32) int {
		return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1]))
	}) {
		ports := cells[pair]
		portsKey := bitsKey(ports)
		for _, sp := range partsOf(srcParts, df.srcMem, pair[0]) {
			for _, dp := range partsOf(dstParts, df.dstMem, pair[1]) {
				if len(sp.units) == 1 && len(dp.units) == 1 && sp.units[0] == dp.units[0] {
					continue // a pod to itself
				}
				k := destKey{sp.w, dp.w, portsKey, pair[1]}
				e := bySrc[k]
				if e == nil {
					e = &entry{sw: sp.w, dw: dp.w, dst: dp.units, ports: ports, pk: portsKey}
					bySrc[k] = e
					entries = append(entries, e)
				}
				e.src = append(e.src, sp.units...)
			}
		}
	}
	type srcKey struct {
		sw, dw int32
		pk     string
		src    string
	}
	byDst := map[srcKey]*entry{}
	var merged []*entry
	for _, e := range entries {
		slices.Sort(e.src)
		k := srcKey{e.sw, e.dw, e.pk, unitsKey(e.src)}
		if o := byDst[k]; o != nil {
			o.dst = append(o.dst, e.dst...)
			continue
		}
		e.dst = slices.Clone(e.dst)
		byDst[k] = e
		merged = append(merged, e)
	}
	type sorted struct {
		fg   FlowGroup
		keys [5]string
	}
	var all []sorted
	type portsOf struct {
		ps  PortSet
		str string
	}
	byPorts := map[string]portsOf{} // the same ports in many groups
	for _, e := range merged {
		slices.Sort(e.dst)
		po, ok := byPorts[e.pk]
		if !ok {
			po.ps = df.m2.atoms.portSet(e.ports)
			po.str = po.ps.String()
			byPorts[e.pk] = po
		}
		fg := FlowGroup{Src: df.group(a, e.sw, e.src), Dst: df.group(a, e.dw, e.dst), Ports: maps.Clone(po.ps)}
		all = append(all, sorted{fg, [5]string{fg.Src.Name, fg.Dst.Name, po.str, fg.Src.Peers[0].String(), fg.Dst.Peers[0].String()}})
	}
	slices.SortStableFunc(all, func(x, y sorted) int {
		for i := range x.keys {
			if c := strings.Compare(x.keys[i], y.keys[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	out := make([]FlowGroup, len(all))
	for i := range all {
		out[i] = all[i].fg
		out[i].Flow = representative(out[i])
	}
	return out
}

// unitsKey returns a string that identifies a sorted list of units.
func unitsKey(us []int32) string {
	b := make([]byte, 0, 4*len(us))
	for _, u := range us {
		b = binary.LittleEndian.AppendUint32(b, uint32(u))
	}
	return string(b)
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func bitsKey(b bitset) string {
	var sb strings.Builder
	for _, w := range b {
		for s := 0; s < 64; s += 8 {
			sb.WriteByte(byte(w >> s))
		}
	}
	return sb.String()
}

// group makes the FlowEnd of units us, of workload w, in analysis a.
func (df *differ) group(a *Analysis, w int32, us []int32) FlowEnd {
	slices.SortFunc(us, func(x, y int32) int {
		return cmp.Compare(df.rowIn(a, x), df.rowIn(a, y))
	})
	peers := make([]Peer, len(us))
	for i, u := range us {
		peers[i], _ = df.peer(a, u)
	}
	wl := a.workloads()
	g := wl.keys[w].end(peers[0])
	g.Peers, g.Size = peers, wl.sizes[w]
	return g
}

func (df *differ) rowIn(a *Analysis, u int32) int32 {
	if a == df.a1 {
		return df.units[u].row1
	}
	return df.units[u].row2
}

// representative returns the flow that explains group g: its first source,
// its first destination that is not that source, its first port.
func representative(g FlowGroup) Flow {
	f := Flow{Src: g.Src.Peers[0], Dst: g.Dst.Peers[0]}
	if f.Dst == f.Src && len(g.Dst.Peers) > 1 {
		f.Dst = g.Dst.Peers[1]
	}
	protos := g.Ports.Protocols()
	f.Protocol = protos[0]
	if f.Protocol.HasPorts() {
		f.Port = g.Ports[f.Protocol][0].Min
	}
	return f
}

// explain evaluates the representative flow of every group in both
// clusters, on all CPUs.
func (df *differ) explain(d *Diff) {
	type job struct {
		g   *FlowGroup
		in  *Analysis // the analysis the flow's peers belong to
		out *Analysis
	}
	var jobs []job
	for i := range d.Added {
		jobs = append(jobs, job{&d.Added[i], df.a2, df.a1})
	}
	for i := range d.Removed {
		jobs = append(jobs, job{&d.Removed[i], df.a1, df.a2})
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(jobs)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(jobs); i += workers {
				j := jobs[i]
				here := verdictIn(j.in, j.g.Flow)
				there := (*Verdict)(nil)
				if f, ok := df.translate(j.g.Flow, j.in, j.out); ok {
					there = verdictIn(j.out, f)
				}
				if j.in == df.a2 {
					j.g.After, j.g.Before = here, there
				} else {
					j.g.Before, j.g.After = here, there
				}
			}
		})
	}
	wg.Wait()
}

// verdictIn decides f in a's cluster, pending when a is a pending analysis.
func verdictIn(a *Analysis, f Flow) *Verdict {
	v, err := Evaluate(a.c, f)
	if err != nil {
		return nil
	}
	if a.opt.Pending && v.Pending != nil {
		return v.Pending
	}
	return &v
}

// translate returns flow f, whose peers belong to analysis from, with the
// peers of the same identity in analysis to.
func (df *differ) translate(f Flow, from, to *Analysis) (Flow, bool) {
	conv := func(p Peer) (Peer, bool) {
		r, ok := from.m.Index(p)
		if !ok {
			return Peer{}, false
		}
		var r2 int32
		if from == df.a2 {
			r2 = df.a2.link.row1[r]
		} else {
			r2 = df.row2Of[r]
		}
		if r2 < 0 {
			return Peer{}, false
		}
		return to.m.peers[r2], true
	}
	var ok1, ok2 bool
	f.Src, ok1 = conv(f.Src)
	f.Dst, ok2 = conv(f.Dst)
	return f, ok1 && ok2
}
