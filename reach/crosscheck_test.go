package reach_test

import (
	"flag"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/reach/internal/gen"
)

var (
	crossClusters = flag.Int("crosscheck.clusters", 300, "small generated clusters the matrix is checked against Evaluate on")
	crossMedium   = flag.Int("crosscheck.medium", 6, "medium generated clusters the matrix is checked against Evaluate on")
)

// TestMatrixMatchesEvaluate checks the matrix against the reference
// evaluator on generated clusters: every pair of rows (endpoints and
// external peers) on a sample of ports that includes the bounds of every
// port range, named port and service port, both enforced and pending, for
// the full matrix and for a matrix restricted to the sampled ports.
func TestMatrixMatchesEvaluate(t *testing.T) {
	small, medium := *crossClusters, *crossMedium
	if testing.Short() {
		small, medium = 30, 1
	}
	var cells atomic.Int64
	for _, size := range []struct {
		name string
		n    int
		cfg  gen.Config
	}{{"small", small, gen.Small()}, {"medium", medium, gen.Medium()}} {
		t.Run(size.name, func(t *testing.T) {
			for seed := range uint64(size.n) {
				t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
					t.Parallel()
					c, err := gen.Cluster(seed, size.cfg)
					require.NoError(t, err, "seed %d", seed)
					cells.Add(int64(crossCheck(t, seed, c)))
				})
			}
		})
	}
	t.Logf("%d small and %d medium clusters, %d cells checked (enforced and pending, full and restricted matrices)",
		small, medium, cells.Load())
}

// crossCheck compares the matrices of c with Evaluate and returns the
// number of cells compared. It stops after a few mismatches.
func crossCheck(t *testing.T, seed uint64, c *model.Cluster) int {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	sample := mxSamplePorts(c, r)
	external := reach.ExternalPeers(c)
	cells, mismatches := 0, 0
	type variant struct {
		pending, restricted bool
		m                   *reach.Matrix
	}
	var variants []variant
	for _, pending := range []bool{false, true} {
		full, err := reach.ComputeMatrix(c, reach.MatrixOptions{Pending: pending, ExternalPeers: external})
		require.NoError(t, err)
		restricted, err := reach.ComputeMatrix(c, reach.MatrixOptions{Pending: pending, ExternalPeers: external, Ports: sample})
		require.NoError(t, err)
		variants = append(variants, variant{pending, false, full}, variant{pending, true, restricted})
	}
	peers := variants[0].m.Endpoints()
	for _, v := range variants {
		require.Equal(t, peers, v.m.Endpoints(), "seed %d: rows differ between matrices", seed)
	}
	for si, src := range peers {
		for di, dst := range peers {
			var portSets [4]reach.PortSet
			for i, v := range variants {
				portSets[i] = v.m.Ports(si, di)
			}
			for k, pp := range sample {
				if k > 0 && src.IP.IsValid() && dst.IP.IsValid() {
					break // neither end has policy: one port is enough
				}
				f := reach.Flow{Src: src, Dst: dst, Protocol: pp.Protocol, Port: pp.Port}
				verdict, err := reach.Evaluate(c, f)
				for i, v := range variants {
					if !v.restricted && !mxFullCovers(pp.Protocol) {
						continue
					}
					want := false
					if err == nil {
						want = verdict.Allowed
						if v.pending && verdict.Pending != nil {
							want = verdict.Pending.Allowed
						}
					}
					cells++
					got := v.m.Allowed(si, di, pp.Protocol, pp.Port)
					inPorts := portSets[i].Contains(pp.Protocol, pp.Port)
					if got == want && inPorts == want {
						continue
					}
					mismatches++
					if mismatches > 10 {
						t.FailNow()
					}
					explain := "error: "
					if err != nil {
						explain += err.Error()
					} else if v.pending && verdict.Pending != nil {
						explain = verdict.Pending.String()
					} else {
						explain = verdict.String()
					}
					t.Errorf("seed %d, pending %v, restricted %v: %s: matrix Allowed %v, Ports has it %v, Evaluate %v\n%s",
						seed, v.pending, v.restricted, f, got, inPorts, want, explain)
				}
			}
		}
	}
	return cells
}

// mxFullCovers reports whether a matrix computed without Ports covers every
// port of protocol p whatever the cluster.
func mxFullCovers(p model.Protocol) bool {
	return p == model.TCP || p == model.UDP || p == model.SCTP || p == model.ICMP
}

// mxSamplePorts returns the ports to check on c: for each protocol with
// ports, some of the bounds of every range in the rules (each bound and the
// ports either side), the named-port and service port numbers, the VXLAN
// port, the ephemeral port, the extremes, and random ports; and the
// protocols without ports, including ones no policy names.
func mxSamplePorts(c *model.Cluster, r *rand.Rand) []reach.ProtoPort {
	var ports []uint16
	addRange := func(pr model.PortRange) {
		ports = append(ports, pr.Min, pr.Max)
		if pr.Min > 0 {
			ports = append(ports, pr.Min-1)
		}
		if pr.Max < 65535 {
			ports = append(ports, pr.Max+1)
		}
	}
	for rule := range c.Rules() {
		for _, side := range []model.EntityMatch{rule.Source, rule.Destination} {
			for _, pm := range append(slices.Clone(side.Ports), side.NotPorts...) {
				if pm.Name == "" {
					addRange(pm.Range)
				}
			}
		}
	}
	for _, p := range c.Pods {
		for _, np := range p.NamedPorts {
			ports = append(ports, np.Port)
		}
	}
	for _, s := range c.Services {
		for _, sp := range s.Ports {
			ports = append(ports, sp.Port, sp.TargetPort)
		}
	}
	slices.Sort(ports)
	ports = slices.Compact(ports)
	r.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	ports = ports[:min(len(ports), 8)]
	ports = append(ports, 0, 53, 80, 4789, 32768, 65535, uint16(r.IntN(65536)))
	var out []reach.ProtoPort
	for _, proto := range []model.Protocol{model.TCP, model.UDP, model.SCTP} {
		for _, p := range ports {
			if r.IntN(3) > 0 || p == 4789 && proto == model.UDP {
				out = append(out, reach.ProtoPort{Protocol: proto, Port: p})
			}
		}
	}
	out = append(out,
		reach.ProtoPort{Protocol: model.UDPLite, Port: ports[r.IntN(len(ports))]},
		reach.ProtoPort{Protocol: model.ICMP},
		reach.ProtoPort{Protocol: model.ICMPv6},
		reach.ProtoPort{Protocol: 4},  // IP-in-IP
		reach.ProtoPort{Protocol: 47}, // GRE
		reach.ProtoPort{Protocol: 99},
	)
	slices.SortFunc(out, func(a, b reach.ProtoPort) int {
		if a.Protocol != b.Protocol {
			return int(a.Protocol) - int(b.Protocol)
		}
		return int(a.Port) - int(b.Port)
	})
	return slices.Compact(out)
}
