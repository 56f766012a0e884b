package reach_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/reach/internal/gen"
)

var incrementalClusters = flag.Int("incremental.clusters", 200, "generated clusters Update is checked against a full recomputation on")

// TestUpdateMatchesFull checks that Update, on generated clusters and
// random changes of every kind, gives the matrix ComputeMatrix gives for
// the changed cluster, cell for cell and port for port, enforced and
// pending, and again after a second round of changes (an update of an
// update).
func TestUpdateMatchesFull(t *testing.T) {
	n := *incrementalClusters
	if testing.Short() {
		n = 20
	}
	for _, size := range []struct {
		name string
		n    int
		cfg  gen.Config
	}{{"small", n, gen.Small()}, {"medium", max(1, n/20), gen.Medium()}} {
		t.Run(size.name, func(t *testing.T) {
			for seed := range uint64(size.n) {
				t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
					t.Parallel()
					checkUpdates(t, seed, size.cfg)
				})
			}
		})
	}
}

func checkUpdates(t *testing.T, seed uint64, cfg gen.Config) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
	c, err := gen.Cluster(seed, cfg)
	require.NoError(t, err)
	donor := gen.Objects(seed+1_000_000, cfg)
	for _, pending := range []bool{false, true} {
		opt := reach.MatrixOptions{Pending: pending}
		if r.IntN(3) == 0 {
			opt.ExternalPeers = reach.ExternalPeers(c)
		}
		a, err := reach.Analyze(c, opt)
		require.NoError(t, err)
		for round := range 2 {
			changes := randomChanges(r, a.Cluster(), donor)
			c2, err := a.Cluster().Derive(changes...)
			require.NoError(t, err, "seed %d: %v", seed, changes)
			a2, err := a.Update(c2)
			require.NoError(t, err)
			what := fmt.Sprintf("seed %d, pending %v, round %d: %v", seed, pending, round, changes)
			requireSameMatrix(t, c2, opt, a2.Matrix(), what)
			a = a2
		}
	}
}

// requireSameMatrix compares m with the full matrix of c, on the protocols
// the full matrix covers.
func requireSameMatrix(t *testing.T, c *model.Cluster, opt reach.MatrixOptions, m *reach.Matrix, what string) {
	t.Helper()
	full, err := reach.ComputeMatrix(c, opt)
	require.NoError(t, err)
	require.Equal(t, full.Endpoints(), m.Endpoints(), what)
	n := len(full.Endpoints())
	// Every port the full matrix covers: what a pod may open to itself.
	// Without pods, only the protocols of each full cell are compared.
	var covered reach.PortSet
	for i, p := range full.Endpoints() {
		if p.Pod != nil {
			covered = full.Ports(i, i)
			break
		}
	}
	bad := 0
	for i := range n {
		for j := range n {
			want := full.Ports(i, j)
			got := reach.PortSet{}
			for p, rs := range m.Ports(i, j) {
				if covered[p] != nil || covered == nil && want[p] != nil {
					got[p] = rs
				}
			}
			if want.String() != got.String() {
				bad++
				t.Errorf("%s: %s -> %s: full %s, updated %s", what, full.Endpoints()[i], full.Endpoints()[j], want, got)
				if bad > 5 {
					t.FailNow()
				}
			}
		}
	}
}

// randomChanges returns one to three random changes of c: policies added,
// replaced and deleted, labels set and removed on pods, namespaces,
// service accounts, network sets and host endpoints, pods added and
// deleted, a service changed, a namespace deleted. donor provides the new
// policies.
func randomChanges(r *rand.Rand, c *model.Cluster, donor model.Objects) []model.Change {
	var out []model.Change
	objs := c.Objects()
	for range 1 + r.IntN(3) {
		ch, ok := randomChange(r, c, donor)
		if !ok {
			continue
		}
		if _, err := objs.With(append(out, ch)...); err == nil {
			out = append(out, ch) // changes that conflict with earlier ones are left out
		}
	}
	return out
}

var labelKeys = []string{"app", "tier", "env", "team", "version", "role", "kind"}

func randomLabel(r *rand.Rand) (string, string) {
	k := labelKeys[r.IntN(len(labelKeys))]
	return k, k[:1] + strconv.Itoa(r.IntN(3))
}

func policyRef(p *model.Policy) model.ObjectRef {
	kind := p.Kind.String()
	switch p.Kind {
	case model.KubernetesNetworkPolicy:
		kind = model.KindKubernetesNetworkPolicy
	case model.CalicoNetworkPolicy:
		kind = model.KindCalicoNetworkPolicy
	}
	return model.ObjectRef{Kind: kind, Namespace: p.Namespace, Name: p.Name}
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randomChange(r *rand.Rand, c *model.Cluster, donor model.Objects) (model.Change, bool) {
	var policies []*model.Policy
	for _, t := range c.Tiers {
		policies = append(policies, t.Policies...)
	}
	var pods []*model.Pod
	for _, p := range c.Pods {
		if p.Workload == nil || !slices.ContainsFunc(c.Workloads, func(w *model.Workload) bool { return w.Pod == p }) {
			pods = append(pods, p)
		}
	}
	switch r.IntN(12) {
	case 0, 1: // add a policy
		p := *pick(r, donor.Policies)
		p.Name += "-whatif" + strconv.Itoa(r.IntN(1000))
		p.SortKey += "-whatif"
		return model.ApplyObjects(model.Objects{Policies: []*model.Policy{&p}}), true
	case 2: // replace a policy
		if len(policies) == 0 {
			return model.Change{}, false
		}
		old := pick(r, policies)
		p := *pick(r, donor.Policies)
		p.Kind, p.Namespace, p.Name, p.SortKey, p.Staged, p.StagedAction = old.Kind, old.Namespace, old.Name, old.SortKey, old.Staged, old.StagedAction
		return model.ApplyObjects(model.Objects{Policies: []*model.Policy{&p}}), true
	case 3: // delete a policy
		if len(policies) == 0 {
			return model.Change{}, false
		}
		return model.DeleteObject(policyRef(pick(r, policies))), true
	case 4: // label a pod
		if len(pods) == 0 {
			return model.Change{}, false
		}
		p := pick(r, pods)
		k, v := randomLabel(r)
		return model.SetLabel(model.ObjectRef{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}, k, v), true
	case 5: // unlabel a pod
		if len(pods) == 0 {
			return model.Change{}, false
		}
		p := pick(r, pods)
		for k := range p.Labels {
			return model.RemoveLabel(model.ObjectRef{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}, k), true
		}
		return model.Change{}, false
	case 6: // label a namespace or a service account
		k, v := randomLabel(r)
		if r.IntN(2) == 0 && len(c.ServiceAccounts) > 0 {
			sa := pick(r, c.ServiceAccounts)
			return model.SetLabel(model.ObjectRef{Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name}, k, v), true
		}
		return model.SetLabel(model.ObjectRef{Kind: "Namespace", Name: pick(r, c.Namespaces).Name}, k, v), true
	case 7: // delete a pod
		if len(pods) == 0 {
			return model.Change{}, false
		}
		p := pick(r, pods)
		return model.DeleteObject(model.ObjectRef{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}), true
	case 8: // add a pod like another
		if len(pods) == 0 {
			return model.Change{}, false
		}
		p := *pick(r, pods)
		p.Name += "-copy" + strconv.Itoa(r.IntN(1000))
		switch r.IntN(3) {
		case 0:
			p.IPs = nil
		case 1:
			p.IPs = []netip.Addr{netip.AddrFrom4([4]byte{10, 200, byte(r.IntN(256)), byte(1 + r.IntN(250))})}
		}
		p.IPSynthesized = false
		return model.ApplyObjects(model.Objects{Pods: []*model.Pod{&p}}), true
	case 9: // label a network set or a host endpoint
		k, v := randomLabel(r)
		if r.IntN(2) == 0 && len(c.HostEndpoints) > 0 {
			return model.SetLabel(model.ObjectRef{Kind: "HostEndpoint", Name: pick(r, c.HostEndpoints).Name}, k, v), true
		}
		if len(c.NetworkSets) == 0 {
			return model.Change{}, false
		}
		n := pick(r, c.NetworkSets)
		kind := "NetworkSet"
		if n.Global() {
			kind = "GlobalNetworkSet"
		}
		return model.SetLabel(model.ObjectRef{Kind: kind, Namespace: n.Namespace, Name: n.Name}, k, v), true
	case 10: // change a service's selector
		if len(c.Services) == 0 {
			return model.Change{}, false
		}
		s := *pick(r, c.Services)
		k, v := randomLabel(r)
		s.Selector = map[string]string{k: v}
		return model.ApplyObjects(model.Objects{Services: []*model.Service{&s}}), true
	default: // delete a namespace
		if r.IntN(3) > 0 {
			return model.Change{}, false
		}
		return model.DeleteObject(model.ObjectRef{Kind: "Namespace", Name: pick(r, c.Namespaces).Name}), true
	}
}

// TestDeriveMatchesBuild checks model.Cluster.Derive, whose changes to
// policies alone reuse the cluster, against a Build of the changed objects.
func TestDeriveMatchesBuild(t *testing.T) {
	for seed := range uint64(150) {
		cfg := gen.Small()
		c, err := gen.Cluster(seed, cfg)
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(seed, 11))
		changes := randomChanges(r, c, gen.Objects(seed+1_000_000, cfg))
		got, err := c.Derive(changes...)
		require.NoError(t, err)
		objs, err := c.Objects().With(changes...)
		require.NoError(t, err)
		want, err := model.Build(objs, model.Options{PodCIDR: c.PodCIDR})
		require.NoError(t, err)
		require.Equal(t, tierDump(want), tierDump(got), "seed %d: %v", seed, changes)
		require.Equal(t, want.Notes, got.Notes, "seed %d", seed)
		require.Equal(t, len(want.Pods), len(got.Pods))
		for i := range want.Pods {
			require.Equal(t, want.Pods[i].ID(), got.Pods[i].ID())
			require.Equal(t, want.Pods[i].IPs, got.Pods[i].IPs)
			require.Equal(t, want.Pods[i].Labels, got.Pods[i].Labels)
		}
	}
}

func tierDump(c *model.Cluster) []string {
	var out []string
	for _, t := range c.Tiers {
		out = append(out, "tier "+t.Name)
		for _, p := range t.Policies {
			out = append(out, p.ID())
		}
	}
	return out
}

// TestWhatIfConcurrent runs what-ifs from one analysis on several
// goroutines at once (run with -race): an Analysis is immutable, and the
// lazily built indexes it shares are made once.
func TestWhatIfConcurrent(t *testing.T) {
	cfg := gen.Medium()
	c, err := gen.Cluster(5, cfg)
	require.NoError(t, err)
	a, err := reach.Analyze(c, reach.MatrixOptions{})
	require.NoError(t, err)
	donor := gen.Objects(77, cfg)
	r := rand.New(rand.NewPCG(5, 5))
	var changes [][]model.Change
	for range 8 {
		changes = append(changes, randomChanges(r, c, donor))
	}
	want := make([][]string, len(changes))
	for i, ch := range changes {
		after, err := a.WhatIf(ch...)
		require.NoError(t, err)
		d, err := reach.Compare(a, after, reach.DiffOptions{})
		require.NoError(t, err)
		want[i] = groupStrings(d)
	}
	fresh, err := reach.Analyze(c, reach.MatrixOptions{})
	require.NoError(t, err)
	got := make([][]string, len(changes))
	done := make(chan int)
	for i, ch := range changes {
		go func() {
			after, err := fresh.WhatIf(ch...)
			if err == nil {
				var d *reach.Diff
				if d, err = reach.Compare(fresh, after, reach.DiffOptions{Explain: true}); err == nil {
					got[i] = groupStrings(d)
				}
			}
			assert.NoError(t, err)
			done <- i
		}()
	}
	for range changes {
		<-done
	}
	assert.Equal(t, want, got)
}
