package reach

import (
	"slices"
	"strings"

	"github.com/reach-sim/reach/model"
)

// PortSet is a set of (protocol, destination port) pairs: for each protocol,
// its ports as sorted, disjoint and non-adjacent ranges. A protocol without
// ports (ICMP, ICMPv6, GRE, ...) is either absent or present with the single
// range model.AllPorts. The zero value (nil) is the empty set.
type PortSet map[model.Protocol][]model.PortRange

// Contains reports whether the set holds port of protocol p. For a protocol
// without ports, port is ignored.
func (s PortSet) Contains(p model.Protocol, port uint16) bool {
	rs := s[p]
	i, _ := slices.BinarySearchFunc(rs, port, func(r model.PortRange, port uint16) int {
		switch {
		case r.Max < port:
			return -1
		case r.Min > port:
			return 1
		}
		return 0
	})
	if !p.HasPorts() {
		return len(rs) > 0
	}
	return i < len(rs) && rs[i].Contains(port)
}

// Protocols returns the protocols in the set, in ascending protocol number.
func (s PortSet) Protocols() []model.Protocol {
	ps := make([]model.Protocol, 0, len(s))
	for p, rs := range s {
		if len(rs) > 0 {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// Empty reports whether the set holds nothing.
func (s PortSet) Empty() bool {
	for _, rs := range s {
		if len(rs) > 0 {
			return false
		}
	}
	return true
}

// String renders the set by ascending protocol number, as in
// "ICMP; TCP 80, 8000-8080; UDP all". A protocol whose every port is in the
// set prints "all"; a protocol without ports prints its name alone. The
// empty set prints "none".
func (s PortSet) String() string {
	var b strings.Builder
	for _, p := range s.Protocols() {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
		if !p.HasPorts() {
			continue
		}
		rs := s[p]
		if len(rs) == 1 && rs[0] == model.AllPorts {
			b.WriteString(" all")
			continue
		}
		for i, r := range rs {
			if i == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteString(", ")
			}
			b.WriteString(r.String())
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// atomTable splits each protocol's ports into atoms: disjoint intervals that
// no policy, named port or service port can tell apart, so the engine decides
// one atom where the reference evaluator decides one port. Atoms of all
// protocols share one index space; a protocol's atoms are contiguous and in
// port order. A protocol without ports has one atom.
type atomTable struct {
	protos     []protoAtoms
	byProto    [256]int16 // index into protos, or -1
	n          int        // total atoms
	portProtos bitset     // the atoms of protocols with ports
}

type protoAtoms struct {
	proto  model.Protocol
	first  int      // index of the protocol's first atom
	lo, hi []uint16 // inclusive port bounds of each atom, in order
}

// newAtomTable makes the atoms from the bounds per protocol: each bound is
// the first port of an atom, so a range r needs bounds r.Min and r.Max+1.
// Protocols without ports get one atom whatever their bounds. When points
// is set, each bound is instead an atom of its own (a single port), and
// only those ports are covered.
func newAtomTable(bounds map[model.Protocol][]uint32, points bool) *atomTable {
	t := &atomTable{}
	for i := range t.byProto {
		t.byProto[i] = -1
	}
	protos := make([]model.Protocol, 0, len(bounds))
	for p := range bounds {
		protos = append(protos, p)
	}
	slices.Sort(protos)
	for _, p := range protos {
		pa := protoAtoms{proto: p, first: t.n}
		switch {
		case !p.HasPorts():
			pa.lo, pa.hi = []uint16{0}, []uint16{65535}
		case points:
			bs := slices.Clone(bounds[p])
			slices.Sort(bs)
			for _, b := range slices.Compact(bs) {
				pa.lo = append(pa.lo, uint16(b))
				pa.hi = append(pa.hi, uint16(b))
			}
		default:
			bs := append(slices.Clone(bounds[p]), 0)
			slices.Sort(bs)
			bs = slices.Compact(bs)
			for i, b := range bs {
				if b > 65535 {
					break
				}
				hi := uint32(65535)
				if i+1 < len(bs) && bs[i+1] <= 65535 {
					hi = bs[i+1] - 1
				}
				pa.lo = append(pa.lo, uint16(b))
				pa.hi = append(pa.hi, uint16(hi))
			}
		}
		if len(pa.lo) == 0 {
			continue
		}
		t.byProto[p] = int16(len(t.protos))
		t.protos = append(t.protos, pa)
		t.n += len(pa.lo)
	}
	t.portProtos = newBitset(t.n)
	for _, pa := range t.protos {
		if pa.proto.HasPorts() {
			t.setProto(t.portProtos, pa.proto)
		}
	}
	return t
}

// proto returns the atoms of p, or nil when the table does not cover p.
func (t *atomTable) proto(p model.Protocol) *protoAtoms {
	if i := t.byProto[p]; i >= 0 {
		return &t.protos[i]
	}
	return nil
}

// lookup returns the atom of (p, port), or -1 when the table does not cover
// it. For a protocol without ports, port is ignored.
func (t *atomTable) lookup(p model.Protocol, port uint16) int {
	pa := t.proto(p)
	if pa == nil {
		return -1
	}
	if !p.HasPorts() {
		return pa.first
	}
	i, found := slices.BinarySearch(pa.lo, port)
	if !found {
		i--
	}
	if i < 0 || port > pa.hi[i] {
		return -1
	}
	return pa.first + i
}

// setProto adds every atom of protocol p to b.
func (t *atomTable) setProto(b bitset, p model.Protocol) {
	if pa := t.proto(p); pa != nil {
		b.setRange(pa.first, pa.first+len(pa.lo))
	}
}

// setRange adds to b the atoms of protocol p inside r. For a protocol
// without ports it adds the protocol's atom whatever r is.
func (t *atomTable) setRange(b bitset, p model.Protocol, r model.PortRange) {
	pa := t.proto(p)
	if pa == nil {
		return
	}
	if !p.HasPorts() {
		b.set(pa.first)
		return
	}
	i, _ := slices.BinarySearch(pa.lo, r.Min)
	for ; i < len(pa.lo) && pa.hi[i] <= r.Max; i++ {
		b.set(pa.first + i)
	}
}

// portSet converts a bitset of atoms to the ports it stands for.
func (t *atomTable) portSet(b bitset) PortSet {
	var s PortSet
	for _, pa := range t.protos {
		var rs []model.PortRange
		for i := range pa.lo {
			if !b.has(pa.first + i) {
				continue
			}
			r := model.PortRange{Min: pa.lo[i], Max: pa.hi[i]}
			if n := len(rs); n > 0 && rs[n-1].Max < 65535 && rs[n-1].Max+1 == r.Min {
				rs[n-1].Max = r.Max
				continue
			}
			rs = append(rs, r)
		}
		if len(rs) > 0 {
			if s == nil {
				s = PortSet{}
			}
			s[pa.proto] = rs
		}
	}
	return s
}
