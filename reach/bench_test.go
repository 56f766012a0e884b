package reach_test

import (
	"testing"

	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/reach/internal/gen"
)

// benchMatrix computes the matrix of a generated cluster of about pods pods
// and policies policies, with realistic structure: pods in workloads of 2
// to 20 replicas sharing labels, mostly Kubernetes policies.
func benchMatrix(b *testing.B, pods, policies int) {
	c, err := gen.Cluster(1, gen.Scale(pods, policies))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var m *reach.Matrix
	for b.Loop() {
		m, err = reach.ComputeMatrix(c, reach.MatrixOptions{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(m.Endpoints())), "rows")
	b.ReportMetric(float64(m.Classes()), "classes")
}

func BenchmarkMatrix1k(b *testing.B)  { benchMatrix(b, 1000, 200) }
func BenchmarkMatrix10k(b *testing.B) { benchMatrix(b, 10000, 1000) }
