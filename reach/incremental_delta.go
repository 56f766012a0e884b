package reach

import (
	"maps"
	"net/netip"
	"reflect"
	"slices"

	"github.com/reach-sim/reach/model"
)

// This file finds what differs between the analysed cluster and the new
// one, and which rows that can affect.

// updater is the state of one Update.
type updater struct {
	a1  *Analysis // the base
	c1  *model.Cluster
	c2  *model.Cluster
	opt MatrixOptions

	// What changed.
	allAffected bool                // the tiers changed: every subject is affected
	policies    [][2]*model.Policy  // changed policies (old, new); either may be nil
	profiles    map[string]bool     // changed profiles, by name
	namespaces  map[string]bool     // namespaces whose labels changed
	accounts    map[string]bool     // service accounts whose labels changed, "ns/name"
	services    map[int32]bool      // changed services, by question index
	addrs       map[netip.Addr]bool // addresses whose holders or containers changed
	setChanged  []bool              // per network set of c2
	oldSets     map[string]int      // network sets of c1 by "ns/name"
	newProfiles map[string]*model.Profile

	// The new rows.
	m2         *Matrix
	rows2      []engineRow
	row1       []int32 // per row: the base's row, or -1
	sameRows   bool    // the rows are the base's, in the same order
	objChanged []bool  // per row: new, or its pod or host endpoint changed
	removed    []int32

	// The new engine.
	e2        *matrixEngine
	newViews  map[string]int32
	sets2     []netSetHolder
	hold2     map[netip.Addr][]ipHolder
	points    [][2]uint32                 // (protocol, port) of the named and service ports of the new classes
	podsAt    map[netip.Addr][]*model.Pod // pods at the moved addresses
	old1      []int32                     // per address class of e2: the base class it stands for, or -1
	addrMoved []bool                      // per row: an address of it is in addrs
	atomMap   []int32                     // per atom of e2: the base atom it is part of; nil when the atoms are the base's
	table     [2][]uint64
	affected  [2][]bool // per direction (model.Direction), per row
}

func newUpdater(a1 *Analysis, c2 *model.Cluster, opt MatrixOptions) *updater {
	return &updater{a1: a1, c1: a1.c, c2: c2, opt: opt}
}

// run computes the new analysis. It returns the protocols the change names
// that the base does not cover, and nothing else, when there are any.
func (up *updater) run() []model.Protocol {
	up.compareObjects()
	up.buildRows()
	up.extendQuestions()
	up.findMovedAddrs()
	up.extendViews()
	up.classify()
	if missing := up.deriveAtoms(); missing != nil {
		return missing
	}
	up.m2.atoms, up.m2.w = up.e2.atoms, words(up.e2.atoms.n)
	up.findAffected()
	done := make(chan struct{})
	go func() {
		up.m2.ingress = up.direction(model.Ingress)
		close(done)
	}()
	up.m2.egress = up.direction(model.Egress)
	<-done
	up.m2.classes = classCount(up.m2, up.a1.m.classes+64)
	return nil
}

func (up *updater) result() *Analysis {
	link := &updateLink{base: up.a1, row1: up.row1, removed: up.removed}
	n := len(up.rows2)
	link.srcChanged, link.dstChanged = make([]bool, n), make([]bool, n)
	for i := range n {
		moved := up.row1[i] < 0 || up.addrMoved[i]
		link.srcChanged[i] = moved || up.affected[model.Egress][i]
		link.dstChanged[i] = moved || up.affected[model.Ingress][i]
	}
	return &Analysis{
		c: up.c2, opt: up.opt, m: up.m2, e: up.e2, rows: up.rows2,
		hold: &holders{over: up.hold2, parent: up.a1.hold}, sets: up.sets2,
		link: link, extra: up.a1.extra,
	}
}

type policyKey struct {
	kind      model.PolicyKind
	namespace string
	name      string
}

// compareObjects finds the changed tiers, policies, profiles, namespaces,
// service accounts and network sets.
func (up *updater) compareObjects() {
	c1, c2 := up.c1, up.c2
	up.allAffected = !sameTiers(c1.Tiers, c2.Tiers)
	old := up.a1.index().policies
	seen := make(map[policyKey]bool, len(old))
	for _, t := range c2.Tiers {
		for _, p := range t.Policies {
			if p.Staged && (!up.opt.Pending || p.StagedAction == "Delete") {
				continue
			}
			k := policyKey{p.Kind, p.Namespace, p.Name}
			p1, ok := old[k]
			if ok {
				seen[k] = true
			}
			if !ok || p1 != p && !samePolicy(p1, p) {
				up.policies = append(up.policies, [2]*model.Policy{p1, p})
			}
		}
	}
	if len(seen) < len(old) {
		var gone []policyKey
		for k := range old {
			if !seen[k] {
				gone = append(gone, k)
			}
		}
		slices.SortFunc(gone, func(a, b policyKey) int {
			return cmpStrings(a.namespace+"/"+a.name+"/"+a.kind.String(), b.namespace+"/"+b.name+"/"+b.kind.String())
		})
		for _, k := range gone {
			up.policies = append(up.policies, [2]*model.Policy{old[k], nil})
		}
	}

	up.profiles = map[string]bool{}
	up.newProfiles = map[string]*model.Profile{}
	oldProfiles := map[string]*model.Profile{}
	for _, p := range c1.Profiles {
		oldProfiles[p.Name] = p
	}
	for _, p := range c2.Profiles {
		up.newProfiles[p.Name] = p
		if o := oldProfiles[p.Name]; o == nil || o != p && !sameProfile(o, p) {
			up.profiles[p.Name] = true
		}
		delete(oldProfiles, p.Name)
	}
	for name := range oldProfiles {
		up.profiles[name] = true
	}

	up.namespaces, up.accounts = map[string]bool{}, map[string]bool{}
	up.oldSets = map[string]int{}
	up.setChanged = make([]bool, len(c2.NetworkSets))
	if samePointers(c1.Namespaces, c2.Namespaces) && samePointers(c1.ServiceAccounts, c2.ServiceAccounts) &&
		samePointers(c1.NetworkSets, c2.NetworkSets) {
		for i, n := range c1.NetworkSets {
			up.oldSets[n.Namespace+"/"+n.Name] = i
		}
		return // Derive shares them when only policies change
	}
	oldNS := map[string]map[string]string{}
	for _, n := range c1.Namespaces {
		oldNS[n.Name] = n.Labels
	}
	for _, n := range c2.Namespaces {
		if l, ok := oldNS[n.Name]; !ok || !maps.Equal(l, n.Labels) {
			up.namespaces[n.Name] = true
		}
		delete(oldNS, n.Name)
	}
	for name := range oldNS {
		up.namespaces[name] = true
	}

	oldSA := map[string]map[string]string{}
	for _, s := range c1.ServiceAccounts {
		oldSA[s.Namespace+"/"+s.Name] = s.Labels
	}
	for _, s := range c2.ServiceAccounts {
		k := s.Namespace + "/" + s.Name
		if l, ok := oldSA[k]; !ok || !maps.Equal(l, s.Labels) {
			up.accounts[k] = true
		}
		delete(oldSA, k)
	}
	for k := range oldSA {
		up.accounts[k] = true
	}

	for i, n := range c1.NetworkSets {
		up.oldSets[n.Namespace+"/"+n.Name] = i
	}
	for i, n := range c2.NetworkSets {
		j, ok := up.oldSets[n.Namespace+"/"+n.Name]
		up.setChanged[i] = !ok || up.namespaces[n.Namespace] && n.Namespace != "" ||
			c1.NetworkSets[j] != n && !(maps.Equal(c1.NetworkSets[j].Labels, n.Labels) && slices.Equal(c1.NetworkSets[j].Nets, n.Nets))
	}
}

// samePointers reports whether two slices are the same slice.
func samePointers[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sameTiers reports whether two clusters order the same tiers the same way
// with the same default actions.
func sameTiers(a, b []*model.Tier) bool {
	return slices.EqualFunc(a, b, func(x, y *model.Tier) bool {
		return x.Name == y.Name && x.DefaultAction == y.DefaultAction &&
			(x.Order == nil) == (y.Order == nil) && (x.Order == nil || *x.Order == *y.Order)
	})
}

// samePolicy reports whether two policies decide alike: equal in everything
// but where they were read from and their notes.
func samePolicy(a, b *model.Policy) bool {
	x, y := *a, *b
	x.Source, y.Source = model.Position{}, model.Position{}
	x.Notes, y.Notes = nil, nil
	return reflect.DeepEqual(x, y)
}

func sameProfile(a, b *model.Profile) bool {
	x, y := *a, *b
	x.Source, y.Source = model.Position{}, model.Position{}
	return reflect.DeepEqual(x, y)
}

// samePod reports whether two versions of a pod look alike to the engine,
// their namespace and service account aside.
func samePod(a, b *model.Pod) bool {
	return a.Namespace == b.Namespace && a.ServiceAccount == b.ServiceAccount && a.HostNetwork == b.HostNetwork &&
		maps.Equal(a.Labels, b.Labels) && slices.Equal(a.IPs, b.IPs) && slices.Equal(a.NamedPorts, b.NamedPorts)
}

func sameHost(a, b *model.HostEndpoint) bool {
	return maps.Equal(a.Labels, b.Labels) && slices.Equal(a.ExpectedIPs, b.ExpectedIPs) &&
		slices.Equal(a.Profiles, b.Profiles) && slices.Equal(a.NamedPorts, b.NamedPorts)
}

func sameService(a, b *model.Service) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || a.Namespace == b.Namespace && maps.Equal(a.Selector, b.Selector) &&
		(a.Selector == nil) == (b.Selector == nil) && slices.Equal(a.Ports, b.Ports)
}

// buildRows makes the rows of the new matrix, in the engine's order, and
// matches them with the base's.
func (up *updater) buildRows() {
	a1, c2 := up.a1, up.c2
	m2 := &Matrix{}
	up.m2 = m2
	context := len(up.namespaces)+len(up.accounts) > 0
	podChanged := func(p1, p2 *model.Pod) bool {
		return p1 == nil || p1 != p2 && !samePod(p1, p2) ||
			context && (up.namespaces[p2.Namespace] || up.accounts[p2.Namespace+"/"+p2.ServiceAccount])
	}
	hostChanged := func(h1, h2 *model.HostEndpoint) bool {
		if h1 == nil || h1 != h2 && !sameHost(h1, h2) {
			return true
		}
		return len(up.profiles) > 0 && slices.ContainsFunc(h2.Profiles, func(name string) bool { return up.profiles[name] })
	}
	if slices.Equal(up.c1.Pods, c2.Pods) && slices.Equal(up.c1.HostEndpoints, c2.HostEndpoints) {
		// The same endpoints (Derive shares them when only policies change).
		m2.peers, m2.index = a1.m.peers, a1.m.index
		up.sameRows = true
		up.rows2 = slices.Clone(a1.rows)
		up.row1 = make([]int32, len(up.rows2))
		up.objChanged = make([]bool, len(up.rows2))
		for i, p := range m2.peers {
			up.row1[i] = int32(i)
			switch {
			case p.Pod != nil:
				up.objChanged[i] = podChanged(p.Pod, p.Pod)
			case p.Host != nil:
				up.objChanged[i] = hostChanged(p.Host, p.Host)
			}
		}
		return
	}
	x := a1.index()
	m2.index = make(map[Peer]int, len(a1.m.peers))
	matched := make([]bool, len(a1.m.peers))
	add := func(p Peer, r1 int32, changed bool, er engineRow) {
		m2.index[p] = len(m2.peers)
		m2.peers = append(m2.peers, p)
		if r1 >= 0 {
			matched[r1] = true
			if !changed {
				er.view = a1.rows[r1].view
			}
		}
		up.rows2 = append(up.rows2, er)
		up.row1 = append(up.row1, r1)
		up.objChanged = append(up.objChanged, changed)
	}
	for _, p := range c2.Pods {
		if p.Finished() || len(p.IPs) == 0 {
			continue
		}
		r1, ok := x.byPod[p.ID()]
		var p1 *model.Pod
		if ok {
			p1 = a1.m.peers[r1].Pod
		} else {
			r1 = -1
		}
		er := engineRow{}
		if !p.HostNetwork {
			er.kind = workloadEndpoint
		}
		add(Peer{Pod: p}, r1, podChanged(p1, p), er)
	}
	for _, h := range c2.HostEndpoints {
		if len(h.ExpectedIPs) == 0 {
			continue
		}
		r1, ok := x.byHost[h.Name]
		var h1 *model.HostEndpoint
		if ok {
			h1 = a1.m.peers[r1].Host
		} else {
			r1 = -1
		}
		add(Peer{Host: h}, r1, hostChanged(h1, h), engineRow{kind: hostEndpoint, profiles: h.Profiles})
	}
	for _, a := range up.opt.ExternalPeers {
		p := Peer{IP: a.Unmap()}
		if _, dup := m2.index[p]; dup {
			continue
		}
		r1, ok := x.byIP[p.IP]
		if !ok {
			r1 = -1
		}
		add(p, r1, false, engineRow{})
	}
	for i, ok := range matched {
		if !ok {
			up.removed = append(up.removed, int32(i))
		}
	}
}

// findMovedAddrs collects the addresses whose answers may have changed
// other than by new questions: those of changed, added and removed
// endpoints, those inside changed network sets, the backends of changed
// services.
func (up *updater) findMovedAddrs() {
	a1 := up.a1
	up.addrs = map[netip.Addr]bool{}
	addAll := func(p Peer) {
		if p.Pod == nil && p.Host == nil {
			return
		}
		for _, a := range peerAddrs(p) {
			up.addrs[a.Unmap()] = true
		}
	}
	for i, p := range up.m2.peers {
		if up.objChanged[i] {
			addAll(p)
			if r1 := up.row1[i]; r1 >= 0 {
				addAll(a1.m.peers[r1])
			}
		}
	}
	for _, r1 := range up.removed {
		addAll(a1.m.peers[r1])
	}
	var nets []netip.Prefix
	for i, n := range up.c2.NetworkSets {
		if up.setChanged[i] {
			nets = append(nets, n.Nets...)
			if j, ok := up.oldSets[n.Namespace+"/"+n.Name]; ok {
				nets = append(nets, up.c1.NetworkSets[j].Nets...)
			}
		}
	}
	kept := map[string]bool{}
	for _, n := range up.c2.NetworkSets {
		kept[n.Namespace+"/"+n.Name] = true
	}
	for _, n := range up.c1.NetworkSets {
		if !kept[n.Namespace+"/"+n.Name] {
			nets = append(nets, n.Nets...)
		}
	}
	u1, u2 := a1.e.u, up.e2.u
	for i := range up.services {
		backends := func(peers []Peer, s *model.Service) {
			if s == nil || s.Selector == nil {
				return
			}
			for _, p := range peers {
				if p.Pod != nil && p.Pod.Namespace == s.Namespace && hasAllLabels(p.Pod.Labels, s.Selector) {
					addAll(p)
				}
			}
		}
		backends(a1.m.peers, u1.services[i])
		backends(up.m2.peers, u2.services[i])
	}
	up.addrMoved = make([]bool, len(up.m2.peers))
	if len(up.addrs) == 0 && len(nets) == 0 {
		return
	}
	for i, p := range up.m2.peers {
		for f := range 2 {
			a := firstAddrOf(peerAddrs(p), f == 1)
			if !a.IsValid() {
				continue
			}
			if !up.addrs[a] && slices.ContainsFunc(nets, func(n netip.Prefix) bool { return n.Contains(a) }) {
				up.addrs[a] = true
			}
			up.addrMoved[i] = up.addrMoved[i] || up.addrs[a]
		}
	}
}

// findAffected marks, per direction, the rows whose subject class may have
// changed.
func (up *updater) findAffected() {
	u1, u2, v2 := up.a1.e.u, up.e2.u, up.e2.v
	var masks [2]bitset
	for d := range masks {
		masks[d] = newBitset(len(u2.polSels))
	}
	mark := func(p *model.Policy, u *questionIndex) {
		if p == nil {
			return
		}
		i, ok := u.polSelIdx[p.Selector.String()]
		if !ok {
			return
		}
		for _, d := range []model.Direction{model.Ingress, model.Egress} {
			if p.Governs(d) {
				masks[d].set(int(i))
			}
		}
	}
	for _, pp := range up.policies {
		mark(pp[0], u1)
		mark(pp[1], u2)
	}
	// A policy whose rules name a changed service decides differently.
	if len(up.services) > 0 {
		for _, t := range up.c2.Tiers {
			for _, p := range t.Policies {
				if u2.participates(p) && up.namesChangedService(p) {
					mark(p, u2)
				}
			}
		}
		for _, t := range up.c1.Tiers {
			for _, p := range t.Policies {
				if u1.participates(p) && up.namesChangedService(p) {
					mark(p, u1)
				}
			}
		}
	}
	var byView [2][]int8 // per view: 0 unknown, 1 selected by a changed policy, 2 not
	for d := range byView {
		byView[d] = make([]int8, len(v2.labels))
	}
	for d := range up.affected {
		up.affected[d] = make([]bool, len(up.rows2))
	}
	for i, r := range up.rows2 {
		if r.kind == notEndpoint {
			continue
		}
		all := up.allAffected || up.row1[i] < 0 || up.objChanged[i] || up.addrMoved[i]
		if r.kind == hostEndpoint {
			all = all || slices.ContainsFunc(r.profiles, func(name string) bool { return up.profiles[name] })
		}
		for d := range up.affected {
			if all {
				up.affected[d][i] = true
				continue
			}
			if byView[d][r.view] == 0 {
				byView[d][r.view] = 2
				pol := v2.polSelsOf(r.view)
				for w := range masks[d] {
					if w < len(pol) && pol[w]&masks[d][w] != 0 {
						byView[d][r.view] = 1
						break
					}
				}
			}
			up.affected[d][i] = byView[d][r.view] == 1
		}
	}
}

// namesChangedService reports whether a rule of p names a changed service.
func (up *updater) namesChangedService(p *model.Policy) bool {
	for _, rules := range [][]model.Rule{p.IngressRules, p.EgressRules} {
		for i := range rules {
			for _, s := range []*model.ServiceRef{rules[i].Source.Services, rules[i].Destination.Services} {
				if s == nil {
					continue
				}
				if j, ok := up.e2.u.svcIdx[*s]; ok && up.services[j] {
					return true
				}
			}
		}
	}
	return false
}
