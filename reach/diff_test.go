package reach_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/reach/internal/gen"
)

// TestCompareMatchesFullDiff checks Compare against the slow diff of two
// full matrices, pair by pair, for random changes (WhatIf), for staged
// policies (Staged), and for two analyses made independently (Compare
// then updates one to the other's cluster).
func TestCompareMatchesFullDiff(t *testing.T) {
	n := 120
	if testing.Short() {
		n = 15
	}
	t.Cleanup(func() { t.Logf("%d changed pairs checked", diffPairs.Load()) })
	for seed := range uint64(n) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			t.Parallel()
			cfg := gen.Small()
			if seed%10 == 9 {
				cfg = gen.Medium()
			}
			c, err := gen.Cluster(seed, cfg)
			require.NoError(t, err)
			r := rand.New(rand.NewPCG(seed, 3))
			opt := reach.MatrixOptions{Pending: r.IntN(4) == 0}
			a, err := reach.Analyze(c, opt)
			require.NoError(t, err)

			changes := randomChanges(r, c, gen.Objects(seed+1_000_000, cfg))
			after, err := a.WhatIf(changes...)
			require.NoError(t, err)
			d, err := reach.Compare(a, after, reach.DiffOptions{})
			require.NoError(t, err)
			checkDiff(t, d, c, opt, after.Cluster(), opt, fmt.Sprintf("seed %d: %v", seed, changes))

			// The same clusters, analysed independently.
			b, err := reach.Analyze(after.Cluster(), opt)
			require.NoError(t, err)
			d2, err := reach.Compare(a, b, reach.DiffOptions{})
			require.NoError(t, err)
			assert.Equal(t, groupStrings(d), groupStrings(d2), "seed %d: independent analyses", seed)

			if !opt.Pending {
				enf, err := reach.Analyze(c, opt)
				require.NoError(t, err)
				pend, err := enf.Staged()
				require.NoError(t, err)
				ds, err := reach.Compare(enf, pend, reach.DiffOptions{})
				require.NoError(t, err)
				popt := opt
				popt.Pending = true
				checkDiff(t, ds, c, opt, c, popt, fmt.Sprintf("seed %d: staged", seed))
			}
		})
	}
}

func groupStrings(d *reach.Diff) []string {
	var out []string
	for _, list := range [][]reach.FlowGroup{d.Added, d.Removed} {
		for _, g := range list {
			out = append(out, fmt.Sprintf("%s %v -> %s %v: %s", g.Src.Name, g.Src.Peers, g.Dst.Name, g.Dst.Peers, g.Ports))
		}
		out = append(out, "--")
	}
	return out
}

// checkDiff compares d with the diff of the full matrices of c1 and c2,
// pair by pair, on the protocols both full matrices cover.
func checkDiff(t *testing.T, d *reach.Diff, c1 *model.Cluster, opt1 reach.MatrixOptions, c2 *model.Cluster, opt2 reach.MatrixOptions, what string) {
	t.Helper()
	m1, err := reach.ComputeMatrix(c1, opt1)
	require.NoError(t, err)
	m2, err := reach.ComputeMatrix(c2, opt2)
	require.NoError(t, err)
	common := coverage(m1)
	for p := range common {
		if _, ok := coverage(m2)[p]; !ok {
			delete(common, p)
		}
	}
	type change struct{ added, removed string }
	want := map[[2]string]change{}
	cells := func(m *reach.Matrix) map[[2]string]reach.PortSet {
		out := map[[2]string]reach.PortSet{}
		for i, s := range m.Endpoints() {
			for j, dst := range m.Endpoints() {
				if i != j {
					out[[2]string{s.String(), dst.String()}] = restrict(m.Ports(i, j), common)
				}
			}
		}
		return out
	}
	old, cur := cells(m1), cells(m2)
	for k := range old {
		if _, ok := cur[k]; !ok {
			cur[k] = nil
		}
	}
	for k, now := range cur {
		a, r := minus(now, old[k]), minus(old[k], now)
		if !a.Empty() || !r.Empty() {
			want[k] = change{a.String(), r.String()}
		}
	}
	got := map[[2]string]change{}
	for _, list := range []struct {
		groups []reach.FlowGroup
		added  bool
	}{{d.Added, true}, {d.Removed, false}} {
		for _, g := range list.groups {
			require.NotEmpty(t, g.Ports.Protocols(), what)
			for _, s := range g.Src.Peers {
				for _, dst := range g.Dst.Peers {
					if s == dst {
						continue
					}
					k := [2]string{s.String(), dst.String()}
					ch := got[k]
					ports := restrict(g.Ports, common).String()
					if list.added {
						require.Empty(t, ch.added, "%s: %v is in two added groups", what, k)
						ch.added = ports
					} else {
						require.Empty(t, ch.removed, "%s: %v is in two removed groups", what, k)
						ch.removed = ports
					}
					got[k] = ch
				}
			}
		}
	}
	for k, ch := range got {
		if ch.added == "" || ch.added == "none" {
			ch.added = "none"
		}
		if ch.removed == "" {
			ch.removed = "none"
		}
		if ch.added == "none" && ch.removed == "none" {
			delete(got, k)
			continue
		}
		got[k] = ch
	}
	if !assert.Equal(t, len(want), len(got), what) {
		for k, w := range want {
			if got[k] != w {
				t.Logf("%v: want %+v got %+v", k, w, got[k])
			}
		}
	}
	for k, w := range want {
		assert.Equal(t, w, got[k], "%s: %s -> %s", what, k[0], k[1])
	}
	diffPairs.Add(int64(len(want)))
}

var diffPairs atomic.Int64

// coverage returns the protocols a full matrix covers: those a pod may
// open to itself, or those of any cell without pods.
func coverage(m *reach.Matrix) map[model.Protocol]bool {
	out := map[model.Protocol]bool{}
	for i, p := range m.Endpoints() {
		if p.Pod != nil {
			for _, pr := range m.Ports(i, i).Protocols() {
				out[pr] = true
			}
			return out
		}
	}
	for i := range m.Endpoints() {
		for j := range m.Endpoints() {
			for _, pr := range m.Ports(i, j).Protocols() {
				out[pr] = true
			}
		}
	}
	return out
}

func restrict(s reach.PortSet, protos map[model.Protocol]bool) reach.PortSet {
	out := reach.PortSet{}
	for p, rs := range s {
		if protos[p] {
			out[p] = rs
		}
	}
	return out
}

// minus returns the ports of a that are not in b.
func minus(a, b reach.PortSet) reach.PortSet {
	out := reach.PortSet{}
	for p, rs := range a {
		var left []model.PortRange
		for _, r := range rs {
			next := int(r.Min)
			for _, c := range b[p] {
				if int(c.Max) < next || c.Min > r.Max {
					continue
				}
				if int(c.Min) > next {
					left = append(left, model.PortRange{Min: uint16(next), Max: c.Min - 1})
				}
				next = int(c.Max) + 1
			}
			if next <= int(r.Max) {
				left = append(left, model.PortRange{Min: uint16(next), Max: r.Max})
			}
		}
		if len(left) > 0 {
			out[p] = left
		}
	}
	return out
}
