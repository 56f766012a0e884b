package reach

// The graph condenses a Matrix into what people draw: one node per workload
// whose pods no policy tells apart, one edge per pair of nodes with the
// ports allowed between them.
//
// Design:
//
//  1. Nodes. The pods of one workload (same namespace, Pod.Workload kind
//     and name) form one node when they are identical in the matrix: each
//     pod allows and is allowed the same ports to and from every row outside
//     the workload, and every ordered pair of distinct pods of the workload
//     has the same ports (Node.Internal). Pods whose matrix rows have the
//     same classes are identical by construction, so the pairwise
//     comparison runs only when they do not. A workload whose pods differ
//     is split: each of its pods is a node. Pods without a workload, host
//     endpoints and external peers are nodes of their own.
//
//  2. Edges. A node's pods are identical, so any pod of A and any pod of B
//     give the ports of the edge A -> B. Edges exist only where some port
//     is allowed. There are no self edges: self traffic is always allowed
//     and gonum's simple graphs reject them. There are no edges between two
//     external peers: neither end is in the cluster, no policy of it
//     applies.
//
//  3. Order. Node IDs are 0, 1, ... in this order: pods and workloads by
//     namespace, name and kind, then host endpoints by name, then external
//     peers by address. Every renderer and every gonum iterator the Graph
//     returns follows the IDs, so output is stable.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/encoding"
	"gonum.org/v1/gonum/graph/encoding/dot"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"

	"github.com/reach-sim/reach/model"
)

// The kinds of Node that are not workloads.
const (
	KindPod          = "Pod"
	KindHostEndpoint = "HostEndpoint"
	KindExternal     = "External"
)

// Node is a node of a Graph: the pods of a workload that no policy tells
// apart, one pod, one host endpoint or one external address. It implements
// gonum's graph.Node, dot.Node and encoding.Attributer.
type Node struct {
	id  int64
	row int // the matrix row of Peers[0]

	// Name is "namespace/workload" for a workload, "namespace/pod" for a
	// pod, "host/<name>" for a host endpoint, the address for an external
	// peer.
	Name string
	// Kind is the workload's kind (Deployment, StatefulSet, ...) for a
	// workload, or KindPod, KindHostEndpoint or KindExternal.
	Kind string
	// Namespace is the namespace of a workload or pod, empty otherwise.
	Namespace string
	// Workload is the workload a pod node was split from, or the workload
	// of a workload node; nil for other nodes.
	Workload *model.WorkloadRef
	// Peers are the matrix rows the node stands for, in matrix order: the
	// pods of a workload, or one peer.
	Peers []Peer
	// Internal is what each pod of a workload node may open to each other
	// pod of it. It is nil for a node with one peer, and not drawn.
	Internal PortSet
}

// ID returns the node's ID in its Graph.
func (n *Node) ID() int64 { return n.id }

// DOTID returns "n<ID>", the node's name in DOT and Mermaid output.
func (n *Node) DOTID() string { return "n" + strconv.FormatInt(n.id, 10) }

// Label returns "NAME (KIND)", as in "app/frontend (Deployment)".
func (n *Node) Label() string { return n.Name + " (" + n.Kind + ")" }

// Attributes returns the DOT attributes of the node: its label.
func (n *Node) Attributes() []encoding.Attribute {
	return []encoding.Attribute{{Key: "label", Value: n.Label()}}
}

// Edge is an edge of a Graph: what Src may open to Dst, never empty. It
// implements gonum's graph.Edge and encoding.Attributer.
type Edge struct {
	Src, Dst *Node
	Ports    PortSet
}

// From returns Src.
func (e *Edge) From() graph.Node { return e.Src }

// To returns Dst.
func (e *Edge) To() graph.Node { return e.Dst }

// ReversedEdge returns e itself: what Dst may open to Src is another edge,
// if any, with other ports.
func (e *Edge) ReversedEdge() graph.Edge { return e }

// Attributes returns the DOT attributes of the edge: the ports as its label.
func (e *Edge) Attributes() []encoding.Attribute {
	return []encoding.Attribute{{Key: "label", Value: e.Ports.String()}}
}

// Graph is the directed graph of the flows a Matrix allows, with the
// replicas of a workload merged into one node where the policies treat them
// alike. It implements gonum's graph.Directed, so gonum's topo, path and
// traverse packages work on it; its iterators return nodes by ID. It is
// immutable and safe for concurrent use. Make one with BuildGraph.
type Graph struct {
	g      *simple.DirectedGraph
	nodes  []*Node // by ID
	edges  []*Edge // by Src ID, then Dst ID
	from   [][]graph.Node
	to     [][]graph.Node
	byPeer map[Peer]*Node
}

// BuildGraph condenses m into a Graph (see Graph and Node for what the
// nodes are). The graph draws what m holds: external addresses are nodes
// only when m was computed with them (MatrixOptions.ExternalPeers), one node
// per address. ExternalPeers(c) gives every range the policies tell apart,
// which is thorough but crowds a drawing (seven addresses for a policy that
// names three private ranges); pick the addresses that matter instead.
func BuildGraph(m *Matrix) *Graph {
	g := &Graph{g: simple.NewDirectedGraph(), byPeer: map[Peer]*Node{}}
	g.nodes = groupNodes(m)
	for i, n := range g.nodes {
		n.id = int64(i)
		g.g.AddNode(n)
		for _, p := range n.Peers {
			g.byPeer[p] = n
		}
	}
	g.from = make([][]graph.Node, len(g.nodes))
	g.to = make([][]graph.Node, len(g.nodes))
	for _, a := range g.nodes {
		for _, b := range g.nodes {
			if a == b || a.Kind == KindExternal && b.Kind == KindExternal {
				continue
			}
			ports := m.Ports(a.row, b.row)
			if ports.Empty() {
				continue
			}
			e := &Edge{Src: a, Dst: b, Ports: ports}
			g.g.SetEdge(e)
			g.edges = append(g.edges, e)
			g.from[a.id] = append(g.from[a.id], b)
			g.to[b.id] = append(g.to[b.id], a)
		}
	}
	return g
}

// groupNodes makes the nodes of m, sorted, without IDs.
func groupNodes(m *Matrix) []*Node {
	type key struct{ ns, kind, name string }
	byWorkload := map[key][]int{}
	var nodes []*Node
	for i, p := range m.Endpoints() {
		switch {
		case p.Pod != nil && p.Pod.Workload != nil:
			w := p.Pod.Workload
			k := key{p.Pod.Namespace, w.Kind, w.Name}
			byWorkload[k] = append(byWorkload[k], i)
		case p.Pod != nil:
			nodes = append(nodes, podNode(p, i))
		case p.Host != nil:
			nodes = append(nodes, &Node{Name: p.String(), Kind: KindHostEndpoint, Peers: []Peer{p}, row: i})
		default:
			nodes = append(nodes, &Node{Name: p.String(), Kind: KindExternal, Peers: []Peer{p}, row: i})
		}
	}
	for k, rows := range byWorkload {
		internal, same := identical(m, rows)
		if !same {
			for _, r := range rows {
				nodes = append(nodes, podNode(m.peers[r], r))
			}
			continue
		}
		n := &Node{
			Name: k.ns + "/" + k.name, Kind: k.kind, Namespace: k.ns,
			Workload: &model.WorkloadRef{Kind: k.kind, Name: k.name},
			Internal: internal, row: rows[0],
		}
		for _, r := range rows {
			n.Peers = append(n.Peers, m.peers[r])
		}
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, compareNodes)
	return nodes
}

func podNode(p Peer, row int) *Node {
	return &Node{
		Name: p.Pod.ID(), Kind: KindPod, Namespace: p.Pod.Namespace, Workload: p.Pod.Workload,
		Peers: []Peer{p}, row: row,
	}
}

// nodeSection orders the kinds of node: pods and workloads, host
// endpoints, external peers.
func nodeSection(n *Node) int {
	switch n.Kind {
	case KindHostEndpoint:
		return 1
	case KindExternal:
		return 2
	}
	return 0
}

func compareNodes(a, b *Node) int {
	if c := cmp.Compare(nodeSection(a), nodeSection(b)); c != 0 {
		return c
	}
	if a.Kind == KindExternal {
		return a.Peers[0].IP.Compare(b.Peers[0].IP)
	}
	if c := cmp.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.Kind, b.Kind)
}

// identical reports whether the rows are identical in m: the same ports to
// and from every other row, and the same ports between any two of them,
// which it returns (nil for a single row).
func identical(m *Matrix, rows []int) (PortSet, bool) {
	if len(rows) == 1 {
		return nil, true
	}
	internal := m.Ports(rows[0], rows[1])
	if !slices.ContainsFunc(rows, func(r int) bool { return m.rows[r] != m.rows[rows[0]] }) {
		return internal, true // cells depend only on the rows' classes
	}
	in := map[int]bool{}
	for _, r := range rows {
		in[r] = true
	}
	first := rows[0]
	for _, r := range rows[1:] {
		for k := range m.peers {
			if in[k] {
				continue
			}
			if !samePorts(m.Ports(first, k), m.Ports(r, k)) || !samePorts(m.Ports(k, first), m.Ports(k, r)) {
				return nil, false
			}
		}
	}
	for _, a := range rows {
		for _, b := range rows {
			if a != b && !samePorts(internal, m.Ports(a, b)) {
				return nil, false
			}
		}
	}
	return internal, true
}

// samePorts reports whether a and b hold the same ports.
func samePorts(a, b PortSet) bool {
	pa, pb := a.Protocols(), b.Protocols()
	if !slices.Equal(pa, pb) {
		return false
	}
	for _, p := range pa {
		if !slices.Equal(a[p], b[p]) {
			return false
		}
	}
	return true
}

// NodeList returns the nodes by ID. The slice must not be modified.
func (g *Graph) NodeList() []*Node { return g.nodes }

// EdgeList returns the edges by source ID, then destination ID. The slice
// must not be modified.
func (g *Graph) EdgeList() []*Edge { return g.edges }

// NodeOf returns the node that stands for peer p (a row of the matrix the
// graph was built from, as Matrix.Endpoints returns it), or nil.
func (g *Graph) NodeOf(p Peer) *Node { return g.byPeer[p] }

// Node returns the node with the given ID, or nil. It implements
// graph.Graph.
func (g *Graph) Node(id int64) graph.Node {
	if id < 0 || id >= int64(len(g.nodes)) {
		return nil
	}
	return g.nodes[id]
}

// Nodes returns the nodes by ID. It implements graph.Graph.
func (g *Graph) Nodes() graph.Nodes {
	ns := make([]graph.Node, len(g.nodes))
	for i, n := range g.nodes {
		ns[i] = n
	}
	return iterator.NewOrderedNodes(ns)
}

// From returns the nodes the node with the given ID has an edge to, by ID.
// It implements graph.Graph.
func (g *Graph) From(id int64) graph.Nodes {
	if g.Node(id) == nil {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(g.from[id])
}

// To returns the nodes that have an edge to the node with the given ID, by
// ID. It implements graph.Directed.
func (g *Graph) To(id int64) graph.Nodes {
	if g.Node(id) == nil {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(g.to[id])
}

// HasEdgeBetween reports whether there is an edge between the nodes with
// IDs xid and yid, in either direction. It implements graph.Graph.
func (g *Graph) HasEdgeBetween(xid, yid int64) bool { return g.g.HasEdgeBetween(xid, yid) }

// HasEdgeFromTo reports whether there is an edge from the node with ID uid
// to the node with ID vid. It implements graph.Directed.
func (g *Graph) HasEdgeFromTo(uid, vid int64) bool { return g.g.HasEdgeFromTo(uid, vid) }

// Edge returns the *Edge from the node with ID uid to the node with ID vid,
// or nil. It implements graph.Graph.
func (g *Graph) Edge(uid, vid int64) graph.Edge {
	if e := g.g.Edge(uid, vid); e != nil {
		return e
	}
	return nil
}

// DOTID returns the name of the graph in DOT output: "reach".
func (g *Graph) DOTID() string { return "reach" }

// DOTAttributers returns the graph-wide DOT attributes: left to right, box
// nodes. It implements dot.Attributers.
func (g *Graph) DOTAttributers() (graphAttrs, nodeAttrs, edgeAttrs encoding.Attributer) {
	return &encoding.Attributes{{Key: "rankdir", Value: "LR"}},
		&encoding.Attributes{{Key: "shape", Value: "box"}},
		&encoding.Attributes{}
}

// DOT returns the graph in Graphviz's DOT language, made by gonum's
// encoding/dot: nodes n0, n1, ... labelled "NAME (KIND)", edges labelled
// with their ports.
func (g *Graph) DOT() ([]byte, error) {
	b, err := dot.Marshal(g, "", "", "  ")
	if err != nil {
		return nil, fmt.Errorf("graph to DOT: %w", err)
	}
	return append(b, '\n'), nil
}

// Mermaid returns the graph as a Mermaid flowchart, left to right:
//
//	graph LR
//	  n0["app/backend (Deployment)"]
//	  n0 -->|"TCP 5432"| n1
//
// Labels are quoted, with the characters Mermaid reads inside quotes
// written as its entity codes.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	b.WriteString("graph LR\n")
	for _, n := range g.nodes {
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", n.DOTID(), mermaidEscape(n.Label()))
	}
	for _, e := range g.edges {
		fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", e.Src.DOTID(), mermaidEscape(e.Ports.String()), e.Dst.DOTID())
	}
	return b.String()
}

// mermaidEscape makes s safe inside a quoted Mermaid label: quotes, entity
// and HTML characters become entity codes, control characters spaces.
func mermaidEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString("#quot;")
		case r == '#', r == '&', r == '<', r == '>', r == '`', r == '|':
			fmt.Fprintf(&b, "#%d;", r)
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The JSON form of a Graph is part of reach's interface: keep it stable.

type graphDoc struct {
	Nodes []nodeDoc `json:"nodes"`
	Edges []edgeDoc `json:"edges"`
}

type nodeDoc struct {
	ID        int64               `json:"id"`
	Name      string              `json:"name"`
	Kind      string              `json:"kind"`
	Namespace string              `json:"namespace,omitempty"`
	Workload  string              `json:"workload,omitempty"`
	Pods      []string            `json:"pods,omitempty"`
	Internal  map[string][]string `json:"internal,omitempty"`
}

type edgeDoc struct {
	From  int64               `json:"from"`
	To    int64               `json:"to"`
	Ports map[string][]string `json:"ports"`
}

// MarshalJSON encodes the graph as
//
//	{"nodes": [{"id": 0, "name": "app/backend", "kind": "Deployment",
//	            "namespace": "app", "pods": ["app/backend-5czqz"],
//	            "internal": {"TCP": ["80"]}},
//	           {"id": 1, "name": "app/db-0", "kind": "Pod", "namespace": "app",
//	            "workload": "StatefulSet/db", "pods": ["app/db-0"]}],
//	 "edges": [{"from": 0, "to": 1, "ports": {"TCP": ["5432", "8000-8080"]}}]}
//
// with nodes by ID, edges by source then destination, ports by protocol
// name, each range as "PORT" or "MIN-MAX" (a protocol without ports has
// "0-65535"). A node's pods are sorted; workload is given for a pod split
// from its workload; internal is left out when nothing is allowed between
// the pods of a node or it has one.
func (g *Graph) MarshalJSON() ([]byte, error) {
	d := graphDoc{Nodes: make([]nodeDoc, 0, len(g.nodes)), Edges: make([]edgeDoc, 0, len(g.edges))}
	for _, n := range g.nodes {
		nd := nodeDoc{ID: n.id, Name: n.Name, Kind: n.Kind, Namespace: n.Namespace}
		if n.Kind == KindPod && n.Workload != nil {
			nd.Workload = n.Workload.Kind + "/" + n.Workload.Name
		}
		for _, p := range n.Peers {
			if p.Pod != nil {
				nd.Pods = append(nd.Pods, p.Pod.ID())
			}
		}
		slices.Sort(nd.Pods)
		if !n.Internal.Empty() {
			nd.Internal = portsDoc(n.Internal)
		}
		d.Nodes = append(d.Nodes, nd)
	}
	for _, e := range g.edges {
		d.Edges = append(d.Edges, edgeDoc{From: e.Src.id, To: e.Dst.id, Ports: portsDoc(e.Ports)})
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("graph to JSON: %w", err)
	}
	return b, nil
}

// portsDoc gives each protocol's ranges as strings: {"TCP": ["80", "8000-8080"]}.
func portsDoc(s PortSet) map[string][]string {
	out := map[string][]string{}
	for _, p := range s.Protocols() {
		rs := make([]string, len(s[p]))
		for i, r := range s[p] {
			rs[i] = r.String()
		}
		out[p.String()] = rs
	}
	return out
}

// The compiler checks that the types implement what gonum needs.
var (
	_ graph.Directed      = (*Graph)(nil)
	_ dot.Graph           = (*Graph)(nil)
	_ dot.Attributers     = (*Graph)(nil)
	_ dot.Node            = (*Node)(nil)
	_ encoding.Attributer = (*Node)(nil)
	_ encoding.Attributer = (*Edge)(nil)
	_ graph.Edge          = (*Edge)(nil)
)
