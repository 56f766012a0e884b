package reach_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/reach/internal/gen"
)

// BenchmarkWhatIf adds one policy to a generated cluster of 10,000 pods and
// 1,000 policies: a Calico NetworkPolicy at the head of the first tier that
// isolates the pods of a workload many endpoints reach, but for one other
// workload of their namespace on TCP 8080: the everyday change, and one
// that closes thousands of flows. (A Kubernetes policy would change little
// there: the generated cluster's first tiers decide most flows before the
// default tier.) Each sub-benchmark times one what-if from the same
// analysis:
//
//	update    Derive + Update: the new matrix, incrementally
//	diff      update + Compare: the flows opened and closed, grouped
//	explain   diff with one flow of every group explained (Evaluate)
//	label     a label set on one pod instead, diff included: not a policy,
//	          so Derive builds the cluster again
//	full      Derive + ComputeMatrix, for comparison
func BenchmarkWhatIf(b *testing.B) {
	c, err := gen.Cluster(1, gen.Scale(10000, 1000))
	if err != nil {
		b.Fatal(err)
	}
	a, err := reach.Analyze(c, reach.MatrixOptions{})
	if err != nil {
		b.Fatal(err)
	}
	change := isolatingPolicy(b, a)
	var d *reach.Diff
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.WhatIf(change); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, explain := range []bool{false, true} {
		name := "diff"
		if explain {
			name = "explain"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				after, err := a.WhatIf(change)
				if err != nil {
					b.Fatal(err)
				}
				if d, err = reach.Compare(a, after, reach.DiffOptions{Explain: explain}); err != nil {
					b.Fatal(err)
				}
			}
			pairs := 0
			for _, g := range d.Removed {
				pairs += g.Flows()
			}
			b.ReportMetric(float64(len(d.Added)+len(d.Removed)), "groups")
			b.ReportMetric(float64(pairs), "closed-pairs")
		})
	}
	b.Run("label", func(b *testing.B) {
		// Not a policy: Derive builds the cluster again.
		p := c.Pods[len(c.Pods)/2]
		relabel := model.SetLabel(model.ObjectRef{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}, "tier", "t1")
		b.ReportAllocs()
		for b.Loop() {
			after, err := a.WhatIf(relabel)
			if err != nil {
				b.Fatal(err)
			}
			if _, err = reach.Compare(a, after, reach.DiffOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c2, err := c.Derive(change)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := reach.ComputeMatrix(c2, reach.MatrixOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// isolatingPolicy returns the change that adds a policy isolating the
// workload of a's cluster that the most endpoints reach (among the first
// hundred), but for one other workload of its namespace on TCP 8080.
func isolatingPolicy(b *testing.B, a *reach.Analysis) model.Change {
	m := a.Matrix()
	seen := map[string]bool{}
	best, bestN := -1, -1
	for j, p := range m.Endpoints() {
		if p.Pod == nil || p.Pod.Workload == nil || !strings.HasPrefix(p.Pod.Labels["app"], "w") || seen[p.Pod.Labels["app"]] {
			continue
		}
		seen[p.Pod.Labels["app"]] = true
		n := 0
		for i := range m.Endpoints() {
			if i != j && !m.Ports(i, j).Empty() {
				n++
			}
		}
		if n > bestN {
			best, bestN = j, n
		}
		if len(seen) == 100 {
			break
		}
	}
	dst := m.Endpoints()[best].Pod
	var src *model.Pod
	for _, p := range a.Cluster().Pods {
		if p.Workload != nil && p.Namespace == dst.Namespace && p.Labels["app"] != dst.Labels["app"] && strings.HasPrefix(p.Labels["app"], "w") {
			src = p
			break
		}
	}
	y := fmt.Sprintf(`apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: adminnetworkpolicy.whatif-isolate, namespace: %s}
spec:
  tier: adminnetworkpolicy
  order: 1
  selector: app == '%s'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: app == '%s'}
    destination: {ports: [8080]}
  - action: Deny
`, dst.Namespace, dst.Labels["app"], src.Labels["app"])
	objs, err := model.Read("whatif.yaml", strings.NewReader(y))
	if err != nil {
		b.Fatal(err)
	}
	return model.ApplyObjects(objs)
}
