package model

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"net/netip"
	"slices"
	"strings"
)

// DefaultPodCIDR is where reach takes addresses for pods that have none.
var DefaultPodCIDR = netip.MustParsePrefix("10.244.0.0/16")

// Objects is the raw material of a Cluster: what loaders read or code builds.
// Build turns it into a Cluster; Objects itself is never evaluated.
type Objects struct {
	Namespaces      []*Namespace
	Pods            []*Pod
	Workloads       []*Workload // each with its representative Pod set
	Services        []*Service
	ServiceAccounts []*ServiceAccount
	HostEndpoints   []*HostEndpoint
	NetworkSets     []*NetworkSet
	Profiles        []*Profile
	Tiers           []*Tier // tiers defined in the input, without policies
	Policies        []*Policy
	Skipped         map[string]int
	Notes           []string
}

// Options tune Build. The zero value uses DefaultPodCIDR.
type Options struct {
	// PodCIDR is where pods without an address get one.
	PodCIDR netip.Prefix
}

// Build validates the objects as a whole (duplicates, policies in tiers that
// do not exist) and makes a Cluster: namespaces the input only refers to are
// added, workloads become pods, pods without an address get one from the pod
// CIDR, selector labels are computed, and tiers and policies are sorted into
// evaluation order. The objects are owned by the Cluster afterwards.
func Build(in Objects, opt Options) (*Cluster, error) {
	if !opt.PodCIDR.IsValid() {
		opt.PodCIDR = DefaultPodCIDR
	}
	b := &builder{in: in, opt: opt, seen: map[string]Position{}}
	c := b.build()
	if err := b.errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

type builder struct {
	in   Objects
	opt  Options
	errs errs
	seen map[string]Position
	c    *Cluster
}

func (b *builder) build() *Cluster {
	c := &Cluster{
		ServiceAccounts: b.in.ServiceAccounts,
		Services:        b.in.Services,
		HostEndpoints:   b.in.HostEndpoints,
		NetworkSets:     b.in.NetworkSets,
		Profiles:        b.in.Profiles,
		Workloads:       b.in.Workloads,
		PodCIDR:         b.opt.PodCIDR.Masked(),
		Skipped:         b.in.Skipped,
		Notes:           slices.Clone(b.in.Notes),
		src:             b.in.shallowClone(),
	}
	b.c = c
	b.checkDuplicates()
	c.Namespaces = b.namespaces()
	c.Pods = b.pods()
	b.assignAddresses()
	sortByName(c.Namespaces, func(n *Namespace) (string, string) { return "", n.Name })
	sortByName(c.Pods, func(p *Pod) (string, string) { return p.Namespace, p.Name })
	sortByName(c.Workloads, func(w *Workload) (string, string) { return w.Namespace, w.Kind + "/" + w.Name })
	sortByName(c.Services, func(s *Service) (string, string) { return s.Namespace, s.Name })
	sortByName(c.ServiceAccounts, func(s *ServiceAccount) (string, string) { return s.Namespace, s.Name })
	sortByName(c.HostEndpoints, func(h *HostEndpoint) (string, string) { return "", h.Name })
	sortByName(c.NetworkSets, func(n *NetworkSet) (string, string) { return n.Namespace, n.Name })
	sortByName(c.Profiles, func(p *Profile) (string, string) { return "", p.Name })
	b.labels()
	c.Tiers = b.tiers()
	return c
}

func sortByName[T any](s []T, key func(T) (string, string)) {
	slices.SortStableFunc(s, func(a, b T) int {
		an, aname := key(a)
		bn, bname := key(b)
		return cmp.Or(strings.Compare(an, bn), strings.Compare(aname, bname))
	})
}

// checkDuplicates reports objects of one kind with the same namespace and name.
func (b *builder) checkDuplicates() {
	check := func(pos Position, kind, ns, name string) {
		key := kind + "\x00" + ns + "\x00" + name
		if first, ok := b.seen[key]; ok {
			b.errs.add(pos, "", fmt.Sprintf("duplicate %s %s: first defined at %s", kind, objectName(ns, name), first))
			return
		}
		b.seen[key] = pos
	}
	for _, o := range b.in.Namespaces {
		check(o.Source, "Namespace", "", o.Name)
	}
	for _, o := range b.in.Pods {
		check(o.Source, "Pod", o.Namespace, o.Name)
	}
	for _, o := range b.in.Workloads {
		check(o.Source, o.Kind, o.Namespace, o.Name)
	}
	for _, o := range b.in.Services {
		check(o.Source, "Service", o.Namespace, o.Name)
	}
	for _, o := range b.in.ServiceAccounts {
		check(o.Source, "ServiceAccount", o.Namespace, o.Name)
	}
	for _, o := range b.in.HostEndpoints {
		check(o.Source, "HostEndpoint", "", o.Name)
	}
	for _, o := range b.in.NetworkSets {
		kind := "NetworkSet"
		if o.Global() {
			kind = "GlobalNetworkSet"
		}
		check(o.Source, kind, o.Namespace, o.Name)
	}
	for _, o := range b.in.Profiles {
		check(o.Source, "Profile", "", o.Name)
	}
	for _, o := range b.in.Tiers {
		check(o.Source, "Tier", "", o.Name)
	}
	for _, o := range b.in.Policies {
		// Calico stores every policy of one tier under one name space: a
		// KNP and a Calico NP of the same name are different objects.
		check(o.Source, o.Kind.String(), o.Namespace, o.Name)
	}
}

// namespaces returns the input namespaces plus any namespace an object lives
// in but the input does not define, each with kubernetes.io/metadata.name.
func (b *builder) namespaces() []*Namespace {
	byName := map[string]*Namespace{}
	var out []*Namespace
	for _, n := range b.in.Namespaces {
		labels := make(map[string]string, len(n.Labels)+1)
		for k, v := range n.Labels {
			labels[k] = v
		}
		labels[LabelK8sNamespace] = n.Name
		n.Labels = labels
		byName[n.Name] = n
		out = append(out, n)
	}
	var implied []string
	need := func(ns string) {
		if ns == "" || byName[ns] != nil {
			return
		}
		n := &Namespace{Name: ns, Labels: map[string]string{LabelK8sNamespace: ns}}
		byName[ns] = n
		out = append(out, n)
		implied = append(implied, ns)
	}
	for _, p := range b.in.Pods {
		need(p.Namespace)
	}
	for _, w := range b.in.Workloads {
		need(w.Namespace)
	}
	for _, s := range b.in.Services {
		need(s.Namespace)
	}
	for _, s := range b.in.ServiceAccounts {
		need(s.Namespace)
	}
	for _, s := range b.in.NetworkSets {
		need(s.Namespace)
	}
	for _, p := range b.in.Policies {
		need(p.Namespace)
	}
	if len(implied) > 0 {
		slices.Sort(implied)
		b.c.Notes = append(b.c.Notes, fmt.Sprintf("namespaces not defined in the input, assumed with no labels but %s: %s",
			LabelK8sNamespace, strings.Join(implied, ", ")))
	}
	return out
}

// pods returns the input pods plus one representative pod per workload whose
// pods the input does not list already.
func (b *builder) pods() []*Pod {
	out := slices.Clone(b.in.Pods)
	for _, w := range b.in.Workloads {
		if w.Pod == nil || b.listedExplicitly(w) {
			continue
		}
		out = append(out, w.Pod)
	}
	return out
}

// listedExplicitly reports whether an input pod belongs to workload w: it
// names w as its owner, or it lives in w's namespace and carries every label
// of w's template.
func (b *builder) listedExplicitly(w *Workload) bool {
	listed := false
	for _, p := range b.in.Pods {
		if p.Namespace != w.Namespace {
			continue
		}
		if p.Workload != nil && p.Workload.Kind == w.Kind && p.Workload.Name == w.Name {
			listed = true
			continue
		}
		if p.Workload == nil && len(w.Pod.Labels) > 0 && containsLabels(p.Labels, w.Pod.Labels) {
			// A pod listed without its owner: it is one of w's pods, as is
			// every other such pod.
			p.Workload = &WorkloadRef{Kind: w.Kind, Name: w.Name}
			p.workloadInferred = true
			listed = true
		}
	}
	return listed
}

func containsLabels(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// assignAddresses gives every pod that needs an address and has none a
// deterministic one: a hash of namespace/name into the pod CIDR, probing
// past addresses already taken, so adding a pod moves no other pod.
func (b *builder) assignAddresses() {
	used := map[netip.Addr]bool{}
	var need []*Pod
	for _, p := range b.c.Pods {
		for _, ip := range p.IPs {
			used[ip] = true
		}
		if len(p.IPs) == 0 && !p.HostNetwork && !p.Finished() {
			need = append(need, p)
		}
	}
	if len(need) == 0 {
		return
	}
	sortByName(need, func(p *Pod) (string, string) { return p.Namespace, p.Name })
	prefix := b.c.PodCIDR
	hostBits := prefix.Addr().BitLen() - prefix.Bits()
	size := uint64(math.MaxUint64)
	if hostBits < 64 {
		size = uint64(1) << hostBits
	}
	if size < 4 || uint64(len(need)+len(used)) > size-2 {
		b.errs.add(Position{}, "", fmt.Sprintf("pod CIDR %s is too small for the %d pods that need an address", prefix, len(need)))
		return
	}
	for _, p := range need {
		h := fnv.New64a()
		h.Write([]byte(p.Namespace + "/" + p.Name))
		for off := h.Sum64() % size; ; off = (off + 1) % size {
			if off == 0 || off == size-1 { // network and broadcast addresses
				continue
			}
			ip := addOffset(prefix.Addr(), off)
			if !used[ip] {
				used[ip] = true
				p.IPs = []netip.Addr{ip}
				p.IPSynthesized = true
				break
			}
		}
	}
	note := fmt.Sprintf("%d pods have no address in the input; reach gave them addresses from %s", len(need), prefix)
	if len(need) == 1 {
		note = fmt.Sprintf("1 pod has no address in the input; reach gave it an address from %s", prefix)
	}
	b.c.Notes = append(b.c.Notes, note)
}

func addOffset(base netip.Addr, off uint64) netip.Addr {
	a := base.As16()
	carry := off
	for i := 15; i >= 0 && carry > 0; i-- {
		sum := uint64(a[i]) + carry&0xff
		a[i] = byte(sum)
		carry = carry>>8 + sum>>8
	}
	ip := netip.AddrFrom16(a)
	if base.Is4() {
		return ip.Unmap()
	}
	return ip
}

// labels computes the selector view of every pod, network set and host
// endpoint.
func (b *builder) labels() {
	ns := map[string]*Namespace{}
	for _, n := range b.c.Namespaces {
		ns[n.Name] = n
	}
	sas := map[string]*ServiceAccount{}
	for _, s := range b.c.ServiceAccounts {
		sas[s.Namespace+"/"+s.Name] = s
	}
	for _, p := range b.c.Pods {
		if p.ServiceAccount == "" {
			p.ServiceAccount = "default"
		}
		p.labels = podLabels(p, ns[p.Namespace], sas[p.Namespace+"/"+p.ServiceAccount])
	}
	for _, n := range b.c.NetworkSets {
		n.labels = networkSetLabels(n, ns[n.Namespace])
	}
	profiles := map[string]*Profile{}
	for _, p := range b.c.Profiles {
		profiles[p.Name] = p
	}
	for _, h := range b.c.HostEndpoints {
		var inherited []map[string]string
		for _, name := range h.Profiles {
			if p := profiles[name]; p != nil {
				inherited = append(inherited, p.Labels)
			}
		}
		h.labels = hostEndpointLabels(h, inherited)
	}
}

// builtinTiers are the tiers Calico v3.31 creates at start-up.
func builtinTiers() []*Tier {
	order := func(f float64) *float64 { return &f }
	return []*Tier{
		{Name: AdminNetworkPolicyTier, Order: order(AdminNetworkPolicyTierOrder), DefaultAction: Pass},
		{Name: DefaultTier, Order: order(DefaultTierOrder), DefaultAction: Deny},
		{Name: BaselineAdminNetworkPolicyTier, Order: order(BaselineAdminNetworkPolicyTierOrder), DefaultAction: Pass},
	}
}

// tiers sorts the tiers (semantics §1.4) and the policies in each (§1.5).
func (b *builder) tiers() []*Tier {
	byName := map[string]*Tier{}
	var out []*Tier
	for _, t := range b.in.Tiers {
		t.Policies = nil
		byName[t.Name] = t
		out = append(out, t)
	}
	for _, t := range builtinTiers() {
		if byName[t.Name] == nil {
			byName[t.Name] = t
			out = append(out, t)
		}
	}
	for _, p := range b.in.Policies {
		t := byName[p.Tier]
		if t == nil {
			b.errs.add(p.Source, "spec.tier", fmt.Sprintf("tier %q does not exist (define it with a projectcalico.org/v3 Tier)", p.Tier))
			continue
		}
		t.Policies = append(t.Policies, p)
	}
	slices.SortStableFunc(out, func(x, y *Tier) int {
		if c := compareOrder(x.Order, y.Order); c != 0 {
			return c
		}
		return strings.Compare(x.Name, y.Name)
	})
	for _, t := range out {
		slices.SortStableFunc(t.Policies, comparePolicies)
	}
	return out
}

// comparePolicies orders the policies of a tier: Order ascending (nil
// last), then SortKey.
func comparePolicies(x, y *Policy) int {
	if c := compareOrder(x.Order, y.Order); c != 0 {
		return c
	}
	return strings.Compare(x.SortKey, y.SortKey)
}

// compareOrder orders nil after every number.
func compareOrder(x, y *float64) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return 1
	case y == nil:
		return -1
	}
	return cmp.Compare(*x, *y)
}
