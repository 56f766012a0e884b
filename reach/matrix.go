package reach

// The matrix engine decides every (source, destination, protocol, port) of
// a cluster at once, with the same answers as Evaluate, cell for cell.
//
// Design:
//
//  1. Rows. The rows and columns are the endpoints that have an address:
//     pods that are not finished (host-network pods included, as peers
//     without policy of their own), host endpoints with expected IPs, then
//     any external addresses asked for. A flow between two rows uses the
//     first address of a family both have, IPv4 first, like Evaluate.
//
//  2. Address classes (classes.go). Every question a rule can ask of an
//     address is numbered once: membership in the IP set of each distinct
//     rule selector (by address: workload and host endpoint addresses and
//     network set CIDRs, semantics §4.5), containment in each distinct CIDR,
//     the numbers of each named port among the endpoints a side's selector
//     matches (§4.6), the backend ports of each service (§4.7). Addresses
//     that answer alike, of one family, form an address class. Selectors
//     are evaluated once per distinct label view, so the replicas of a
//     workload cost one evaluation.
//
//  3. Port atoms (ports.go). Each protocol's ports are cut at every bound of
//     every destination port range in the rules, at every named-port and
//     service backend port number, and around the VXLAN port; the pieces
//     (atoms) cannot be told apart by any rule. Protocols without ports
//     have one atom. MatrixOptions.Ports replaces the atoms by the ports
//     asked for. A set of atoms is a bitset.
//
//  4. Per direction (matrix_sweep.go), the address classes are projected
//     twice: on the questions the peer sides of that direction's rules ask
//     (peer classes) and on those their own sides ask. Calico endpoints
//     selected by the same policies of the direction, with the same
//     profiles and addresses in the same own classes, form a subject class.
//
//  5. Sweep. For each subject class, the cells (peer class × atom) start
//     undecided; the rules of the applicable tiers run in order, first
//     match wins: Allow and Deny decide the cells they match, Pass moves
//     them to the next applicable tier, the tier's default action ends the
//     tier, the profiles decide what is left (semantics §1.2). A rule
//     matches a rectangle (a set of peer classes × an atom mask): its
//     rule-level fields per IP family (matrix_compile.go), its own side at
//     the subject's address, its peer side's address fields as a set of
//     peer classes and its port fields as one mask, except for the few peer
//     classes where named ports or services give other masks. Peer classes
//     whose cells are in the same state are kept together in one group with
//     one atom row per state, and a group splits only when a rule covers it
//     in part and changes something; groups in the same state merge again.
//
//  6. Result. Each (subject class, peer class) row of allowed atoms is
//     interned, so a direction costs 16 (rarely 32) bits per (subject class,
//     peer class). A cell is allowed when the source's egress row toward
//     the destination's peer class and the destination's ingress row
//     toward the source's peer class both hold the atom; a pod to itself is
//     always allowed. The two directions are computed concurrently.

import (
	"net/netip"

	"github.com/reach-sim/reach/model"
)

// MatrixOptions tune ComputeMatrix. The zero value computes the enforced
// verdict of every port of TCP, UDP and SCTP, plus ICMP, ICMPv6 (when an
// endpoint has an IPv6 address) and every other protocol a rule names,
// between the cluster's endpoints.
type MatrixOptions struct {
	// Ports restricts the matrix to these (protocol, port) pairs. For a
	// protocol without ports the port is ignored. Nil means every port of
	// every protocol listed above.
	Ports []ProtoPort
	// Pending evaluates staged policies (other than staged Delete) as if
	// they were enforced: the pending verdict of semantics §3.2.
	Pending bool
	// ExternalPeers adds addresses outside the cluster's endpoints as rows
	// and columns, after the endpoints. They have no policy of their own;
	// rule selectors and nets match them by address. ExternalPeers(c) gives
	// one address of every kind of outside address c's policies can tell
	// apart.
	ExternalPeers []netip.Addr
}

// ProtoPort is one destination port of one protocol.
type ProtoPort struct {
	Protocol model.Protocol
	Port     uint16
}

// Matrix holds the verdict of every flow between the endpoints of a cluster:
// which (protocol, destination port) each endpoint may open to each other
// endpoint. It is immutable and safe for concurrent use.
type Matrix struct {
	peers   []Peer
	index   map[Peer]int
	rows    []matrixRow
	atoms   *atomTable
	w       int // words per atom row
	egress  *dirResult
	ingress *dirResult
	classes int
}

type matrixRow struct {
	pod  bool     // a pod: self traffic is allowed
	addr [2]int32 // address class of its IPv4 and IPv6 address, -1 if none
}

// endpointKind says whether a row has policy of its own.
type endpointKind uint8

const (
	notEndpoint endpointKind = iota
	workloadEndpoint
	hostEndpoint
)

// engineRow is what the engine knows of a row.
type engineRow struct {
	kind     endpointKind
	view     int32 // label view, for endpoints
	profiles []string
	addr     [2]int32
}

// matrixEngine is the state of one ComputeMatrix call.
type matrixEngine struct {
	c           *model.Cluster
	u           *questionIndex
	v           *labelViews
	idx         *addrIndex
	atoms       *atomTable
	addrClasses []addrClass
}

// ComputeMatrix computes the matrix of cluster c. It fails only on bad
// options: an invalid external address or a port without a protocol.
func ComputeMatrix(c *model.Cluster, opt MatrixOptions) (*Matrix, error) {
	a, err := analyze(c, opt, nil)
	if err != nil {
		return nil, err
	}
	return a.m, nil
}

// rows makes the matrix's rows and the address classes.
func (e *matrixEngine) rows(m *Matrix, external []netip.Addr) []engineRow {
	addrClassOf := map[netip.Addr]int32{}
	classIDs := keyIDs{}
	var buf []byte
	classOf := func(a netip.Addr) int32 {
		if !a.IsValid() {
			return -1
		}
		if i, ok := addrClassOf[a]; ok {
			return i
		}
		ac := e.idx.classify(a)
		buf = ac.key(buf)
		i, isNew := classIDs.id(buf)
		if isNew {
			e.addrClasses = append(e.addrClasses, ac)
		}
		addrClassOf[a] = i
		return i
	}
	var rows []engineRow
	add := func(p Peer, addrs []netip.Addr, er engineRow) {
		er.addr[0] = classOf(firstAddrOf(addrs, false))
		er.addr[1] = classOf(firstAddrOf(addrs, true))
		m.index[p] = len(m.peers)
		m.peers = append(m.peers, p)
		m.rows = append(m.rows, matrixRow{pod: p.Pod != nil, addr: er.addr})
		rows = append(rows, er)
	}
	for _, p := range e.c.Pods {
		if p.Finished() || len(p.IPs) == 0 {
			continue
		}
		er := engineRow{}
		if !p.HostNetwork {
			er = engineRow{kind: workloadEndpoint, view: e.v.add(podViewKey(p), p.SelectorLabels())}
		}
		add(Peer{Pod: p}, p.IPs, er)
	}
	for _, h := range e.c.HostEndpoints {
		if len(h.ExpectedIPs) == 0 {
			continue
		}
		add(Peer{Host: h}, h.ExpectedIPs, engineRow{kind: hostEndpoint, view: e.v.add("hep\x00"+h.Name, h.SelectorLabels()), profiles: h.Profiles})
	}
	for _, a := range external {
		p := Peer{IP: a.Unmap()}
		if _, dup := m.index[p]; dup {
			continue
		}
		add(p, []netip.Addr{p.IP}, engineRow{})
	}
	return rows
}

// firstAddrOf returns the first address of a family in addrs, unmapped.
func firstAddrOf(addrs []netip.Addr, v6 bool) netip.Addr {
	for _, a := range addrs {
		if a = a.Unmap(); a.IsValid() && a.Is6() == v6 {
			return a
		}
	}
	return netip.Addr{}
}

// atomTable cuts the ports of every protocol the matrix covers.
func (e *matrixEngine) atomTable(ports []ProtoPort) *atomTable {
	bounds := map[model.Protocol][]uint32{}
	if ports != nil {
		for _, pp := range ports {
			bounds[pp.Protocol] = append(bounds[pp.Protocol], uint32(pp.Port))
		}
		return newAtomTable(bounds, true)
	}
	protos := []model.Protocol{model.ICMP, model.TCP, model.UDP, model.SCTP}
	for _, ac := range e.addrClasses {
		if ac.v6 {
			protos = append(protos, model.ICMPv6)
			break
		}
	}
	for p := range e.u.protocols {
		protos = append(protos, p)
	}
	for _, p := range protos {
		if p.HasPorts() {
			bounds[p] = append(bounds[p], e.u.dstBounds...)
		} else {
			bounds[p] = append(bounds[p], 0)
		}
	}
	point := func(p model.Protocol, port uint16) {
		if _, ok := bounds[p]; ok {
			bounds[p] = append(bounds[p], uint32(port), uint32(port)+1)
		}
	}
	point(model.UDP, encapVXLANPort)
	for _, ac := range e.addrClasses {
		for _, es := range [][]portEntry{ac.named, ac.svcPorts} {
			for _, pe := range es {
				point(pe.proto, pe.port)
			}
		}
	}
	return newAtomTable(bounds, false)
}

// Endpoints returns the rows (and columns) of the matrix, in order: the
// pods that have an address (host-network pods included), in cluster order,
// then the host endpoints that have expected IPs, then the external peers
// asked for. The slice must not be modified.
func (m *Matrix) Endpoints() []Peer { return m.peers }

// Index returns the row of peer p: a pod or host endpoint of the cluster
// (with IP unset), or an external peer address. It reports false when p is
// not a row.
func (m *Matrix) Index(p Peer) (int, bool) {
	if p.Pod == nil && p.Host == nil {
		p.IP = p.IP.Unmap()
	}
	i, ok := m.index[p]
	return i, ok
}

// Classes returns the number of endpoint classes: sets of rows that the
// policies treat alike in both directions, as subjects and as peers, so
// that no selector, CIDR, named port or service tells them apart.
func (m *Matrix) Classes() int { return m.classes }

// family returns the IP family a flow from row src to row dst uses (0 for
// IPv4, 1 for IPv6), or -1 when they have none in common.
func (m *Matrix) family(src, dst int) int {
	s, d := &m.rows[src], &m.rows[dst]
	for f := range 2 {
		if s.addr[f] >= 0 && d.addr[f] >= 0 {
			return f
		}
	}
	return -1
}

// cell returns the allowed atoms of the flow from src to dst, as the
// egress and ingress rows to AND (nil meaning every atom), or ok false when
// no flow is possible.
func (m *Matrix) cell(src, dst int) (eg, in []uint64, ok bool) {
	f := m.family(src, dst)
	if f < 0 {
		return nil, nil, false
	}
	s, d := &m.rows[src], &m.rows[dst]
	return m.side(m.egress, src, d.addr[f]), m.side(m.ingress, dst, s.addr[f]), true
}

// side returns the atoms direction d of row allows toward address class a,
// or nil when the row has no policy of its own.
func (m *Matrix) side(d *dirResult, row int, a int32) []uint64 {
	x := d.rowSubject[row]
	if x < 0 {
		return nil
	}
	id := d.ids.get(int(x)*d.nP + int(d.peerOf[a]))
	return d.table[int(id)*m.w : (int(id)+1)*m.w]
}

// Allowed reports whether row src may open a connection to row dst on
// protocol proto and destination port port (ignored for protocols without
// ports). A pod may always reach itself. It reports false for a pair with
// no IP family in common and for a (protocol, port) the matrix does not
// cover. It panics if src or dst is out of range.
func (m *Matrix) Allowed(src, dst int, proto model.Protocol, port uint16) bool {
	atom := m.atoms.lookup(proto, port)
	if atom < 0 {
		return false
	}
	if src == dst && m.rows[src].pod {
		return true
	}
	eg, in, ok := m.cell(src, dst)
	if !ok {
		return false
	}
	return (eg == nil || bitset(eg).has(atom)) && (in == nil || bitset(in).has(atom))
}

// Ports returns every (protocol, port) row src may open to row dst, among
// those the matrix covers. It panics if src or dst is out of range.
func (m *Matrix) Ports(src, dst int) PortSet {
	all := newBitset(m.atoms.n)
	all.setRange(0, m.atoms.n)
	if src == dst && m.rows[src].pod {
		return m.atoms.portSet(all)
	}
	eg, in, ok := m.cell(src, dst)
	if !ok {
		return nil
	}
	if eg != nil {
		all.and(eg)
	}
	if in != nil {
		all.and(in)
	}
	return m.atoms.portSet(all)
}
