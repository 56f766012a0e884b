package reach

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/reach-sim/reach/model"
)

// Answer is the answer to a Query: a verdict for every pair of endpoints the
// query's names stand for when it names a port, or the open ports of every
// pair when it does not.
type Answer struct {
	Query    Query
	Src, Dst Target
	// Verdicts, when the query names a port: one per (source, destination)
	// pair, destinations outermost.
	Verdicts []Verdict
	// Open, when the query names no port: the open ports of each pair.
	Open []OpenPorts
	// Notes are the cluster's notes (synthesized addresses, ...).
	Notes []string
}

// OpenPorts is what one source may open to one destination.
type OpenPorts struct {
	Src, Dst Peer
	Self     bool
	Ports    PortSet
}

// Allowed reports whether every pair may connect: on the port asked for, or
// on some port when the query names none.
func (a Answer) Allowed() bool {
	for _, v := range a.Verdicts {
		if !v.Allowed {
			return false
		}
	}
	for _, o := range a.Open {
		if !o.Self && o.Ports.Empty() {
			return false
		}
	}
	return len(a.Verdicts)+len(a.Open) > 0
}

// Ask answers q on cluster c.
func Ask(c *model.Cluster, q Query) (Answer, error) {
	src, dst, flows, err := q.Flows(c)
	a := Answer{Query: q, Src: src, Dst: dst, Notes: c.Notes}
	if err != nil {
		return a, err
	}
	if q.Port != "" || !q.Protocol.HasPorts() {
		for _, f := range flows {
			v, err := Evaluate(c, f)
			if err != nil {
				return a, err
			}
			a.Verdicts = append(a.Verdicts, v)
		}
		return a, nil
	}
	var external []netip.Addr
	for _, t := range []Target{src, dst} {
		if t.Kind == TargetAddress {
			external = append(external, t.IP)
		}
	}
	m, err := ComputeMatrix(c, MatrixOptions{ExternalPeers: external})
	if err != nil {
		return a, err
	}
	for _, f := range flows {
		i, ok1 := m.Index(f.Src)
		j, ok2 := m.Index(f.Dst)
		if !ok1 || !ok2 {
			return a, fmt.Errorf("%s: an end has no address, so no flow is possible", f)
		}
		self := f.Src.Pod != nil && f.Src.Pod == f.Dst.Pod
		a.Open = append(a.Open, OpenPorts{Src: f.Src, Dst: f.Dst, Self: self, Ports: m.Ports(i, j)})
	}
	return a, nil
}

// String renders the answer for a terminal: each verdict with its
// explanation, or each pair's open ports, then the notes.
func (a Answer) String() string {
	var b strings.Builder
	for i, v := range a.Verdicts {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(v.String())
		b.WriteString("\n")
	}
	for _, o := range a.Open {
		switch {
		case o.Self:
			fmt.Fprintf(&b, "%s -> %s: itself (always allowed)\n", o.Src, o.Dst)
		case o.Ports.Empty():
			fmt.Fprintf(&b, "%s -> %s: DENIED on every port\n", o.Src, o.Dst)
		default:
			fmt.Fprintf(&b, "%s -> %s: ALLOWED %s\n", o.Src, o.Dst, o.Ports)
		}
	}
	for _, n := range a.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
