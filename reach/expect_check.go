package reach

// Checking expectations: each group is resolved to flow ends, the matrix
// decides every expectPair at once, and Evaluate explains the pairs that decided
// the result.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

// MaxEvidence is the most pairs a failed CheckResult explains; the summary
// counts them all.
const MaxEvidence = 5

// CheckResult is the outcome of one expectation.
type CheckResult struct {
	Expectation Expectation
	Passed      bool
	// Summary says in one line what reach found, e.g. "allowed for 1 of 1
	// pairs" or "also reached from: monitoring/prometheus".
	Summary string
	// Evidence explains the result by the flows that decided it: for a
	// failure, the pairs that went against the expectation (at most
	// MaxEvidence); for a pass, one expectPair as an example.
	Evidence []Evidence
}

// Evidence is one flow that decided a result, with the verdict that explains
// it (the pending verdict for a pending expectation).
type Evidence struct {
	Verdict Verdict
	// Open is what the expectPair may open, for an expectation without a port:
	// Verdict is then the decision on one example port (an open one when
	// some is open). Nil for an expectation with a port.
	Open PortSet
}

// String renders the result: "PASS POS: TITLE" on one line, or for a
// failure "FAIL POS: TITLE", "got: SUMMARY" and every piece of evidence with
// its explanation, indented. POS is left out when the expectation has none.
func (r CheckResult) String() string {
	var b strings.Builder
	word := "FAIL"
	if r.Passed {
		word = "PASS"
	}
	b.WriteString(word + " ")
	if pos := r.Expectation.Pos.String(); pos != "" {
		b.WriteString(pos + ": ")
	}
	b.WriteString(r.Expectation.Title())
	if r.Passed {
		return b.String()
	}
	fmt.Fprintf(&b, "\n  got: %s", r.Summary)
	for _, ev := range r.Evidence {
		for _, line := range strings.Split(ev.String(), "\n") {
			b.WriteString("\n  " + line)
		}
	}
	return b.String()
}

// String renders the evidence on several lines: for a check without a
// port, what the expectPair may open, then the verdict with its explanation.
func (ev Evidence) String() string {
	if ev.Open == nil {
		return ev.Verdict.String()
	}
	open := "nothing"
	if !ev.Open.Empty() {
		open = ev.Open.String()
	}
	return fmt.Sprintf("%s -> %s may open: %s; for example:\n%s", ev.Verdict.Flow.Src, ev.Verdict.Flow.Dst, open, ev.Verdict)
}

// CheckExpectations checks every expectation on cluster c and returns one
// result each, in order. It fails, with a model.Problems giving each
// statement's position, when a group names nothing in c (an unknown name, a
// namespace without pods), when a port cannot be translated (a service
// without that port, a pod without that named port), or when a statement
// has no expectPair of distinct ends; nothing is checked then.
func CheckExpectations(c *model.Cluster, exps []Expectation) ([]CheckResult, error) {
	k := &expectChecker{c: c}
	plans := make([]expectPlan, len(exps))
	for i, e := range exps {
		plans[i] = k.resolve(e)
	}
	if len(k.problems) > 0 {
		return nil, k.problems
	}
	if err := k.matrices(exps); err != nil {
		return nil, err
	}
	out := make([]CheckResult, len(exps))
	for i, e := range exps {
		out[i] = k.check(e, plans[i])
	}
	return out, nil
}

// flowEnd is one resolved flow end.
type flowEnd struct {
	peer Peer
	// target is the name the end was resolved from, for port translation;
	// a pod target for ends of a filter or CIDR.
	target Target
}

// expectDst is a destination end with the port to check there.
type expectDst struct {
	flowEnd
	proto model.Protocol
	port  uint16
}

// expectPlan is an expectation resolved in the cluster.
type expectPlan struct {
	srcs []flowEnd
	dsts []expectDst
	// listed says, for ExpectOnly, whether a source is one of From.
	listed func(Peer) bool
}

type expectChecker struct {
	c        *model.Cluster
	problems model.Problems
	external []netip.Addr
	enforced *Matrix
	pending  *Matrix
}

func (k *expectChecker) fail(e Expectation, line int, field, msg string) {
	if line == 0 {
		line = e.Pos.Line
	}
	pos := e.Pos
	pos.Line = line
	k.problems = append(k.problems, &model.Problem{Pos: pos, Field: field, Msg: msg})
}

// resolve resolves e's groups and ports, reporting problems.
func (k *expectChecker) resolve(e Expectation) expectPlan {
	var p expectPlan
	before := len(k.problems)
	p.srcs = k.group(e, e.From, SourceEnd, "from")
	for _, d := range k.group(e, e.To, DestinationEnd, "to") {
		dst := expectDst{flowEnd: d}
		if !e.Port.IsZero() {
			q := Query{Port: e.Port.Port, Protocol: e.Port.Protocol, ProtocolGiven: e.Port.ProtocolGiven}
			proto, port, err := q.destinationPort(d.target, d.peer)
			if err != nil {
				k.fail(e, e.To.Items[0].Line, "to", fmt.Sprintf("port %s: %v", e.Port, err))
				return p
			}
			dst.proto, dst.port = proto, port
		}
		p.dsts = append(p.dsts, dst)
	}
	if len(k.problems) > before {
		return p
	}
	if e.Kind == ExpectOnly {
		p.listed = k.listed(p.srcs, e.From)
		return p
	}
	for _, s := range p.srcs {
		for _, d := range p.dsts {
			if s.peer != d.peer {
				return p
			}
		}
	}
	k.fail(e, 0, "", "from and to denote the same single endpoint: there is no flow to check")
	return p
}

// group resolves every item of g and returns the union of their ends.
func (k *expectChecker) group(e Expectation, g Group, which End, field string) []flowEnd {
	var out []flowEnd
	seen := map[Peer]bool{}
	for i, it := range g.Items {
		f := field
		if len(g.Items) > 1 {
			f = fmt.Sprintf("%s[%d]", field, i)
		}
		ends, err := k.item(it, which, e.Port)
		if err != nil {
			k.fail(e, it.Line, f, err.Error())
			continue
		}
		for _, en := range ends {
			if !seen[en.peer] {
				seen[en.peer] = true
				out = append(out, en)
			}
		}
	}
	return out
}

// item resolves one group item to flow ends that have an address. A name
// that denotes both a service and the workload or pod behind it stands, as
// a destination, for the service, or for the workload when the service does
// not expose port (as in Query.Flows).
func (k *expectChecker) item(it GroupItem, which End, port PortSpec) ([]flowEnd, error) {
	var out []flowEnd
	switch it.Kind {
	case GroupName:
		t, err := Resolve(k.c, it.Name, which)
		if err != nil {
			return nil, err
		}
		if t.Alt != nil && port.Port != "" {
			if _, ok := servicePort(t.Service, port.Port, port.Protocol); !ok {
				t = *t.Alt
			}
		}
		for _, p := range t.Peers() {
			if hasAddress(p) {
				out = append(out, flowEnd{peer: p, target: t})
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s has no pod with an address", t.Name)
		}
	case GroupFilter:
		out = k.filter(it)
		if len(out) == 0 {
			return nil, fmt.Errorf("%s matches no pod or host endpoint with an address", it)
		}
	case GroupCIDR:
		for _, a := range cidrRepresentatives(k.c, it.CIDR, it.Except) {
			out = append(out, flowEnd{peer: Peer{IP: a}, target: Target{Kind: TargetAddress, Name: a.String(), IP: a}})
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s holds no address outside the cluster's endpoints", it)
		}
	default:
		return nil, fmt.Errorf("group item of unknown kind %d", it.Kind)
	}
	for _, en := range out {
		if en.target.Kind == TargetAddress {
			k.external = append(k.external, en.peer.IP)
		}
	}
	return out, nil
}

func hasAddress(p Peer) bool {
	switch {
	case p.Pod != nil:
		return !p.Pod.Finished() && len(p.Pod.IPs) > 0
	case p.Host != nil:
		return len(p.Host.ExpectedIPs) > 0
	}
	return p.IP.IsValid()
}

// filter returns the pods, and without a namespace field the host
// endpoints, that match it.
func (k *expectChecker) filter(it GroupItem) []flowEnd {
	nsLabels := map[string]map[string]string{}
	for _, ns := range k.c.Namespaces {
		nsLabels[ns.Name] = ns.Labels
	}
	var out []flowEnd
	for _, p := range k.c.Pods {
		if !hasAddress(Peer{Pod: p}) || it.Namespace != "" && p.Namespace != it.Namespace {
			continue
		}
		if !it.NamespaceSelector.Matches(selector.Set(nsLabels[p.Namespace])) || !matchesLabels(it.Selector, p.SelectorLabels()) {
			continue
		}
		out = append(out, flowEnd{peer: Peer{Pod: p}, target: Target{Kind: TargetPod, Name: p.ID(), Pods: []*model.Pod{p}}})
	}
	if it.Namespace != "" || !it.NamespaceSelector.IsAll() {
		return out
	}
	for _, h := range k.c.HostEndpoints {
		if hasAddress(Peer{Host: h}) && matchesLabels(it.Selector, h.SelectorLabels()) {
			out = append(out, flowEnd{peer: Peer{Host: h}, target: Target{Kind: TargetHost, Name: "host/" + h.Name, Host: h}})
		}
	}
	return out
}

func matchesLabels(s selector.Selector, l *model.EndpointLabels) bool {
	if l == nil {
		return s.Matches(selector.Set(nil))
	}
	return s.Matches(l)
}

// listed returns whether a peer is one of the sources g names: one of the
// resolved ends, or an outside address inside one of its CIDR items.
func (k *expectChecker) listed(srcs []flowEnd, g Group) func(Peer) bool {
	set := map[Peer]bool{}
	for _, s := range srcs {
		set[s.peer] = true
	}
	var cidrs []GroupItem
	for _, it := range g.Items {
		if it.Kind == GroupCIDR {
			cidrs = append(cidrs, it)
		}
	}
	return func(p Peer) bool {
		if set[p] {
			return true
		}
		if p.Pod != nil || p.Host != nil {
			return false
		}
		for _, it := range cidrs {
			if inCIDR(p.IP, it.CIDR, it.Except) {
				return true
			}
		}
		return false
	}
}

func inCIDR(a netip.Addr, cidr netip.Prefix, except []netip.Prefix) bool {
	if !cidr.Contains(a) {
		return false
	}
	return !slices.ContainsFunc(except, func(p netip.Prefix) bool { return p.Contains(a) })
}

// matrices computes the enforced and the pending matrix, as the
// expectations need them, with a row for every outside address they name
// and, for ExpectOnly, for every kind of outside address (ExternalPeers).
func (k *expectChecker) matrices(exps []Expectation) error {
	var needEnforced, needPending, needOutside bool
	for _, e := range exps {
		needPending = needPending || e.Pending
		needEnforced = needEnforced || !e.Pending
		needOutside = needOutside || e.Kind == ExpectOnly
	}
	ext := k.external
	if needOutside {
		ext = append(ext, ExternalPeers(k.c)...)
	}
	slices.SortFunc(ext, netip.Addr.Compare)
	ext = slices.Compact(ext)
	var err error
	if needEnforced {
		if k.enforced, err = ComputeMatrix(k.c, MatrixOptions{ExternalPeers: ext}); err != nil {
			return err
		}
	}
	if needPending {
		k.pending, err = ComputeMatrix(k.c, MatrixOptions{ExternalPeers: ext, Pending: true})
	}
	return err
}

// expectPair is one flow of a check: a source and a destination.
type expectPair struct {
	src Peer
	dst expectDst
}

// check decides one planned expectation.
func (k *expectChecker) check(e Expectation, p expectPlan) CheckResult {
	m := k.enforced
	if e.Pending {
		m = k.pending
	}
	if e.Kind == ExpectOnly {
		return k.checkOnly(e, p, m)
	}
	want := e.Kind == ExpectReach && e.Allowed
	var bad []expectPair
	var first *expectPair
	total := 0
	for _, s := range p.srcs {
		for _, d := range p.dsts {
			if s.peer == d.peer {
				continue
			}
			total++
			pr := expectPair{src: s.peer, dst: d}
			if first == nil {
				first = &pr
			}
			if k.open(m, e, pr) != want {
				bad = append(bad, pr)
			}
		}
	}
	r := CheckResult{Expectation: e, Passed: len(bad) == 0}
	if r.Passed {
		r.Summary = outcomeWord(e, want) + pairCount(total, total)
		if first != nil {
			r.Evidence = k.evidence(m, e, []expectPair{*first})
		}
		return r
	}
	r.Summary = outcomeWord(e, !want) + pairCount(len(bad), total)
	r.Evidence = k.evidence(m, e, bad)
	return r
}

// outcomeWord names what a expectPair shows: "allowed"/"denied" on a port, or
// "open on some port"/"denied on every port" without one.
func outcomeWord(e Expectation, open bool) string {
	switch {
	case !e.Port.IsZero() && open:
		return "allowed"
	case !e.Port.IsZero():
		return "denied"
	case open:
		return "open on some port"
	}
	return "denied on every port"
}

func pairCount(n, total int) string {
	switch {
	case total == 1:
		return ""
	case n == total:
		return fmt.Sprintf(" for all %d pairs", total)
	}
	return fmt.Sprintf(" for %d of %d pairs", n, total)
}

// open reports whether the pair may connect: on the destination's port, or
// on some port when e has none.
func (k *expectChecker) open(m *Matrix, e Expectation, pr expectPair) bool {
	i, ok1 := m.Index(pr.src)
	j, ok2 := m.Index(pr.dst.peer)
	if !ok1 || !ok2 {
		return false
	}
	if e.Port.IsZero() {
		return !m.Ports(i, j).Empty()
	}
	return m.Allowed(i, j, pr.dst.proto, pr.dst.port)
}

// checkOnly decides an ExpectOnly: every listed source reaches every
// destination, and no other row of the matrix reaches any.
func (k *expectChecker) checkOnly(e Expectation, p expectPlan, m *Matrix) CheckResult {
	var unexpected, missing []expectPair
	for _, src := range m.Endpoints() {
		if p.listed(src) {
			continue
		}
		outside := src.Pod == nil && src.Host == nil
		for _, d := range p.dsts {
			if src == d.peer || outside && d.peer.Pod == nil && d.peer.Host == nil {
				continue // no flow, or no policy on either end
			}
			if pr := (expectPair{src: src, dst: d}); k.open(m, e, pr) {
				unexpected = append(unexpected, pr)
				break
			}
		}
	}
	var first *expectPair
	for _, s := range p.srcs {
		for _, d := range p.dsts {
			if s.peer == d.peer {
				continue
			}
			pr := expectPair{src: s.peer, dst: d}
			if first == nil {
				first = &pr
			}
			if !k.open(m, e, pr) {
				missing = append(missing, pr)
			}
		}
	}
	r := CheckResult{Expectation: e, Passed: len(unexpected) == 0 && len(missing) == 0}
	if r.Passed {
		r.Summary = "reached from the listed sources only"
		if first != nil {
			r.Evidence = k.evidence(m, e, []expectPair{*first})
		}
		return r
	}
	var parts []string
	if len(unexpected) > 0 {
		parts = append(parts, "also reached from: "+sourceList(unexpected))
	}
	if len(missing) > 0 {
		var miss []string
		for _, pr := range missing {
			miss = appendNew(miss, sourceName(pr.src))
		}
		parts = append(parts, fmt.Sprintf("not reached from listed: %s (%s%s)",
			strings.Join(miss, ", "), outcomeWord(e, false), pairCount(len(missing), len(p.srcs)*len(p.dsts))))
	}
	r.Summary = strings.Join(parts, "; ")
	r.Evidence = k.evidence(m, e, append(unexpected, missing...))
	return r
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// sourceName names a source for a summary: a workload's pods by the
// workload.
func sourceName(p Peer) string {
	if p.Pod != nil && p.Pod.Workload != nil {
		return p.Pod.Namespace + "/" + p.Pod.Workload.Name
	}
	return p.String()
}

// sourceList names the sources of pairs for a summary: the endpoints, then
// the outside addresses, counted, with the first three of them.
func sourceList(pairs []expectPair) string {
	var names, outside []string
	for _, pr := range pairs {
		if pr.src.Pod == nil && pr.src.Host == nil {
			outside = appendNew(outside, pr.src.String())
		} else {
			names = appendNew(names, sourceName(pr.src))
		}
	}
	switch n := len(outside); {
	case n == 1:
		names = append(names, "1 address outside the cluster ("+outside[0]+")")
	case n > 3:
		outside = append(outside[:3], "...")
		fallthrough
	case n > 1:
		names = append(names, fmt.Sprintf("%d addresses outside the cluster (%s)", n, strings.Join(outside, ", ")))
	}
	return strings.Join(names, ", ")
}

// evidence explains up to MaxEvidence pairs with Evaluate.
func (k *expectChecker) evidence(m *Matrix, e Expectation, pairs []expectPair) []Evidence {
	var out []Evidence
	for _, pr := range pairs {
		if len(out) == MaxEvidence {
			break
		}
		f := Flow{Src: pr.src, Dst: pr.dst.peer, Protocol: pr.dst.proto, Port: pr.dst.port}
		var open PortSet
		if e.Port.IsZero() {
			i, ok1 := m.Index(pr.src)
			j, ok2 := m.Index(pr.dst.peer)
			if !ok1 || !ok2 {
				continue
			}
			open = m.Ports(i, j)
			if open == nil {
				open = PortSet{}
			}
			f.Protocol, f.Port = examplePort(open, pr.dst)
		}
		v, err := Evaluate(k.c, f)
		if err != nil {
			continue // no IP family in common: the summary counts it
		}
		if e.Pending && v.Pending != nil {
			v = *v.Pending
		}
		v.Pending = nil
		out = append(out, Evidence{Verdict: v, Open: open})
	}
	return out
}

// examplePort picks the flow that explains a check without a port: an open
// port (TCP, then UDP, SCTP, then any protocol; 80 when it is open, else the
// first), or when none is
// open, the destination's first service or named port, else TCP 80.
func examplePort(open PortSet, d expectDst) (model.Protocol, uint16) {
	for _, p := range []model.Protocol{model.TCP, model.UDP, model.SCTP} {
		switch rs := open[p]; {
		case open.Contains(p, 80):
			return p, 80
		case len(rs) > 0:
			return p, max(rs[0].Min, 1)
		}
	}
	for _, p := range open.Protocols() {
		return p, open[p][0].Min
	}
	if t := d.target; t.Service != nil && len(t.Service.Ports) > 0 {
		q := Query{Port: fmt.Sprint(t.Service.Ports[0].Port), Protocol: t.Service.Ports[0].Protocol}
		if proto, port, err := q.destinationPort(t, d.peer); err == nil {
			return proto, port
		}
	}
	var named []model.NamedPort
	switch {
	case d.peer.Pod != nil:
		named = d.peer.Pod.NamedPorts
	case d.peer.Host != nil:
		named = d.peer.Host.NamedPorts
	}
	if len(named) > 0 {
		return named[0].Protocol, named[0].Port
	}
	return model.TCP, 80
}

// cidrRepresentatives returns the outside addresses a CIDR group stands
// for: the CIDRs of c's policies and network sets, and the exceptions, cut
// cidr into intervals that no rule can tell apart inside; each interval
// outside the exceptions gives one address that is no endpoint's (a
// well-known public address when the interval holds one, else its first
// such address among the first 64). The result is sorted.
func cidrRepresentatives(c *model.Cluster, cidr netip.Prefix, except []netip.Prefix) []netip.Addr {
	endpoints := map[netip.Addr]bool{}
	for _, p := range c.Pods {
		for _, a := range p.IPs {
			endpoints[a.Unmap()] = true
		}
	}
	for _, h := range c.HostEndpoints {
		for _, a := range h.ExpectedIPs {
			endpoints[a.Unmap()] = true
		}
	}
	last := lastAddr(cidr)
	starts := []netip.Addr{cidr.Addr()}
	for _, p := range append(c.Prefixes(), except...) {
		p = p.Masked()
		if !p.IsValid() || p.Addr().Is4() != cidr.Addr().Is4() || p.Addr().Is4In6() {
			continue
		}
		for _, a := range []netip.Addr{p.Addr(), lastAddr(p).Next()} {
			if a.IsValid() && cidr.Contains(a) {
				starts = append(starts, a)
			}
		}
	}
	slices.SortFunc(starts, netip.Addr.Compare)
	starts = slices.Compact(starts)
	wellKnown := []netip.Addr{netip.AddrFrom4([4]byte{8, 8, 8, 8}), netip.MustParseAddr("2001:4860:4860::8888")}
	var out []netip.Addr
	for i, lo := range starts {
		hi := last // inclusive
		if i+1 < len(starts) {
			hi = starts[i+1].Prev()
		}
		if !inCIDR(lo, cidr, except) {
			continue
		}
		in := func(a netip.Addr) bool { return a.Compare(lo) >= 0 && a.Compare(hi) <= 0 && !endpoints[a] }
		rep := netip.Addr{}
		for _, w := range wellKnown {
			if w.Is4() == lo.Is4() && in(w) {
				rep = w
			}
		}
		for a, tries := lo, 0; !rep.IsValid() && a.IsValid() && a.Compare(hi) <= 0 && tries < 64; a, tries = a.Next(), tries+1 {
			if in(a) {
				rep = a
			}
		}
		if rep.IsValid() {
			out = append(out, rep)
		}
	}
	return out
}
