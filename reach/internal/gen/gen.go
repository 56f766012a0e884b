// Package gen makes random clusters for tests and benchmarks of the reach
// engine: namespaces, workloads of replicated pods, standalone pods
// (host-network, finished, dual-stack, without an address), named ports,
// services, network sets overlapping pod addresses, host endpoints with
// profiles, Kubernetes network policies and Calico policies in several
// tiers, staged ones included. Policies are built directly in model's
// normalized form, with the effective selectors Calico's converters make
// (namespace scoping, orchestrator clause, pcns. prefixes).
//
// A cluster is a function of its Config and seed only.
package gen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"

	"github.com/reach-sim/reach/model"
)

// Config says how big a generated cluster is and how often the unusual
// cases appear. Fractions are probabilities from 0 to 1.
type Config struct {
	Namespaces int
	// Workloads are groups of pods with the same labels, named ports and
	// service account, of MinReplicas to MaxReplicas pods each.
	Workloads                int
	MinReplicas, MaxReplicas int
	// Pods are standalone pods with labels of their own.
	Pods          int
	HostEndpoints int
	NetworkSets   int
	Services      int
	// Tiers is the number of Calico tiers besides the built-in ones.
	Tiers int
	// KubernetesPolicies and CalicoPolicies count the policies of each
	// dialect; Calico policies are namespaced or global, in any tier.
	KubernetesPolicies, CalicoPolicies int
	// RulesMax is the largest number of rules per direction of a policy.
	RulesMax int
	// Values is how many values each label key takes: the fewer, the more
	// often selectors match.
	Values int

	DualStack   float64 // pods with an IPv6 address besides their IPv4 one
	IPv6Only    float64 // standalone pods with only an IPv6 address
	HostNetwork float64 // standalone pods on the host network
	Finished    float64 // standalone pods that have finished
	NoAddress   float64 // pods left for model.Build to address
	Staged      float64 // policies that are staged
	// Exotic is how often rules use the rarer fields: notSelector,
	// notNets, notPorts, notProtocol, ICMP matches, protocol numbers, services,
	// named ports on the source side, HTTP, domains.
	Exotic float64
	// InternalCIDRs is how often a CIDR is cut around pod addresses (at any
	// length from /20 to /32) rather than taken from a few fixed ranges.
	InternalCIDRs float64
	// RandomPorts is how often a port entry is a random range rather than a
	// well-known port or a named port.
	RandomPorts float64
	// PortDrift is how often a replica's named ports differ from its
	// workload's (as in the middle of a rolling update).
	PortDrift float64
	// OwnSide is how often a Calico rule constrains the addresses of its own
	// end (the destination of an ingress rule, the source of an egress
	// rule), which real policies seldom do.
	OwnSide float64
}

// Small is a config for cross-checks: a handful of everything, few label
// values so that selectors often match, and every unusual case frequent.
func Small() Config {
	return Config{
		Namespaces: 3, Workloads: 6, MinReplicas: 1, MaxReplicas: 3, Pods: 6,
		HostEndpoints: 2, NetworkSets: 4, Services: 2, Tiers: 2,
		KubernetesPolicies: 4, CalicoPolicies: 8, RulesMax: 3, Values: 3,
		DualStack: 0.3, IPv6Only: 0.15, HostNetwork: 0.15, Finished: 0.1, NoAddress: 0.1,
		Staged: 0.25, Exotic: 0.3, InternalCIDRs: 0.4, RandomPorts: 0.2, OwnSide: 0.5, PortDrift: 0.1,
	}
}

// Medium is a config for cross-checks on clusters big enough that many
// selectors, CIDRs and named ports interact: about 60 pods and 30
// policies, every unusual case frequent.
func Medium() Config {
	c := Small()
	c.Namespaces, c.Workloads, c.MaxReplicas, c.Pods = 4, 14, 5, 12
	c.HostEndpoints, c.NetworkSets, c.Services, c.Tiers = 3, 8, 5, 3
	c.KubernetesPolicies, c.CalicoPolicies, c.RulesMax, c.Values = 12, 20, 4, 4
	return c
}

// Scale is a config with realistic structure for benchmarks: about pods
// pods, most of them in workloads of 2 to 20 replicas, and about policies
// policies, mostly Kubernetes ones.
func Scale(pods, policies int) Config {
	workloads := pods * 98 / 100 / 11
	return Config{
		Namespaces: max(2, pods/150), Workloads: workloads, MinReplicas: 2, MaxReplicas: 20,
		Pods: pods - workloads*11, HostEndpoints: max(1, pods/200), NetworkSets: max(2, policies/25),
		Services: workloads / 2, Tiers: 3,
		KubernetesPolicies: policies * 7 / 10, CalicoPolicies: policies - policies*7/10,
		RulesMax: 3, Values: 6,
		DualStack: 0.1, IPv6Only: 0, HostNetwork: 0.02, Finished: 0.02, NoAddress: 0.05,
		Staged: 0.05, Exotic: 0.05, InternalCIDRs: 0.05, RandomPorts: 0.03, OwnSide: 0.1, PortDrift: 0.01,
	}
}

// Cluster generates the objects of cfg from seed and builds them.
func Cluster(seed uint64, cfg Config) (*model.Cluster, error) {
	return model.Build(Objects(seed, cfg), model.Options{})
}

// Objects generates the objects of cfg from seed.
func Objects(seed uint64, cfg Config) model.Objects {
	g := &generator{cfg: cfg, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	return g.objects()
}

type generator struct {
	cfg       Config
	r         *rand.Rand
	out       model.Objects
	ns        []string
	nextIP    uint32 // offset of the next pod address in 10.0.0.0/8
	workloads []workload
	podIPs    []netip.Addr
	nodeIPs   []netip.Addr
	tiers     []string
	portNames []string
}

type workload struct {
	ns     string
	name   string
	labels map[string]string
}

// Label keys and their values.
var labelKeys = []string{"app", "tier", "env", "team", "version"}

func (g *generator) value(key string) string {
	return key[:1] + strconv.Itoa(g.r.IntN(max(1, g.cfg.Values)))
}

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *generator, s []T) T { return s[g.r.IntN(len(s))] }

func (g *generator) objects() model.Objects {
	g.portNames = []string{"http", "metrics", "dns", "grpc"}
	for i := range max(1, g.cfg.Namespaces) {
		name := "ns" + strconv.Itoa(i)
		g.ns = append(g.ns, name)
		labels := map[string]string{"team": g.value("team")}
		if g.chance(0.7) {
			labels["env"] = g.value("env")
		}
		g.out.Namespaces = append(g.out.Namespaces, &model.Namespace{Name: name, Labels: labels})
		g.out.ServiceAccounts = append(g.out.ServiceAccounts, &model.ServiceAccount{
			Namespace: name, Name: "robot", Labels: map[string]string{"role": g.value("role")},
		})
	}
	for i := range g.cfg.HostEndpoints {
		g.nodeIPs = append(g.nodeIPs, netip.AddrFrom4([4]byte{192, 168, byte(i / 250), byte(i%250 + 1)}))
	}
	g.workloadPods()
	g.standalonePods()
	g.hostEndpoints()
	g.networkSets()
	g.services()
	g.tierObjects()
	for i := range g.cfg.KubernetesPolicies {
		g.out.Policies = append(g.out.Policies, g.knp(i))
	}
	for i := range g.cfg.CalicoPolicies {
		g.out.Policies = append(g.out.Policies, g.calicoPolicy(i))
	}
	return g.out
}

func (g *generator) labels() map[string]string {
	l := map[string]string{}
	for _, k := range labelKeys[1:] {
		if g.chance(0.6) {
			l[k] = g.value(k)
		}
	}
	return l
}

// address returns the next pod address: 10.x.y.z, with gaps so that CIDRs
// split workloads.
func (g *generator) address() netip.Addr {
	g.nextIP += 1 + uint32(g.r.IntN(3))
	n := g.nextIP
	a := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
	g.podIPs = append(g.podIPs, a)
	return a
}

func v6Of(a netip.Addr) netip.Addr {
	b := a.As4()
	return netip.AddrFrom16([16]byte{0: 0xfd, 1: 0x00, 12: b[0], 13: b[1], 14: b[2], 15: b[3]})
}

func (g *generator) namedPorts() []model.NamedPort {
	var out []model.NamedPort
	for _, name := range g.portNames {
		if !g.chance(0.4) {
			continue
		}
		np := model.NamedPort{Name: name, Protocol: model.TCP}
		switch name {
		case "http":
			np.Port = pick(g, []uint16{80, 8080, 8000, 3000})
		case "metrics":
			np.Port = pick(g, []uint16{9090, 9100, 32768})
		case "dns":
			np.Protocol, np.Port = pick(g, []model.Protocol{model.UDP, model.TCP}), 53
			if g.chance(0.3) {
				np.Port = 5353
			}
		case "grpc":
			np.Protocol = pick(g, []model.Protocol{model.TCP, model.SCTP})
			np.Port = pick(g, []uint16{50051, 9000})
		}
		out = append(out, np)
	}
	return out
}

func (g *generator) workloadPods() {
	for i := range g.cfg.Workloads {
		w := workload{ns: pick(g, g.ns), name: "w" + strconv.Itoa(i), labels: g.labels()}
		w.labels["app"] = w.name
		if g.chance(0.3) {
			w.labels["app"] = g.value("app") // shared app labels across workloads
		}
		g.workloads = append(g.workloads, w)
		ports := g.namedPorts()
		sa := "default"
		if g.chance(0.3) {
			sa = "robot"
		}
		dual := g.chance(g.cfg.DualStack)
		n := g.cfg.MinReplicas
		if g.cfg.MaxReplicas > n {
			n += g.r.IntN(g.cfg.MaxReplicas - n + 1)
		}
		for j := range max(1, n) {
			p := &model.Pod{
				Namespace: w.ns, Name: fmt.Sprintf("%s-%d", w.name, j), Labels: w.labels,
				ServiceAccount: sa, NamedPorts: ports, Phase: "Running",
				Workload: &model.WorkloadRef{Kind: "Deployment", Name: w.name},
			}
			if g.chance(g.cfg.PortDrift) {
				p.NamedPorts = g.namedPorts()
			}
			if !g.chance(g.cfg.NoAddress) {
				p.IPs = []netip.Addr{g.address()}
				if dual {
					p.IPs = append(p.IPs, v6Of(p.IPs[0]))
				}
			}
			g.out.Pods = append(g.out.Pods, p)
		}
	}
}

func (g *generator) standalonePods() {
	for i := range g.cfg.Pods {
		p := &model.Pod{
			Namespace: pick(g, g.ns), Name: "p" + strconv.Itoa(i), Labels: g.labels(),
			NamedPorts: g.namedPorts(), Phase: "Running",
		}
		p.Labels["app"] = g.value("app")
		switch {
		case g.chance(g.cfg.HostNetwork) && len(g.nodeIPs) > 0:
			p.HostNetwork = true
			p.IPs = []netip.Addr{pick(g, g.nodeIPs)}
		case g.chance(g.cfg.HostNetwork):
			p.HostNetwork = true
			p.IPs = []netip.Addr{netip.AddrFrom4([4]byte{192, 168, 9, byte(i)})}
		case g.chance(g.cfg.Finished):
			p.Phase = pick(g, []string{"Succeeded", "Failed"})
		case g.chance(g.cfg.NoAddress):
		case g.chance(g.cfg.IPv6Only):
			p.IPs = []netip.Addr{v6Of(g.address())}
		default:
			p.IPs = []netip.Addr{g.address()}
			if g.chance(g.cfg.DualStack) {
				p.IPs = append(p.IPs, v6Of(p.IPs[0]))
			}
			if g.chance(0.05) && len(g.podIPs) > 1 { // an address another pod also has
				p.IPs[0] = g.podIPs[g.r.IntN(len(g.podIPs)-1)]
			}
		}
		g.out.Pods = append(g.out.Pods, p)
	}
}

func (g *generator) hostEndpoints() {
	for i, ip := range g.nodeIPs {
		h := &model.HostEndpoint{
			Name: "node" + strconv.Itoa(i) + "-eth0", Node: "node" + strconv.Itoa(i), InterfaceName: "eth0",
			ExpectedIPs: []netip.Addr{ip},
			Labels:      map[string]string{"role": pick(g, []string{"worker", "ingress"}), "zone": g.value("zone")},
		}
		if g.chance(0.3) {
			h.ExpectedIPs = append(h.ExpectedIPs, netip.AddrFrom16([16]byte{0: 0xfd, 1: 0x01, 15: byte(i + 1)}))
		}
		if g.chance(0.5) {
			h.NamedPorts = []model.NamedPort{{Name: "http", Protocol: model.TCP, Port: 10250}}
		}
		switch g.r.IntN(4) {
		case 0:
			h.Profiles = []string{"projectcalico-default-allow"}
		case 1:
			h.Profiles = []string{"hep-profile"}
		case 2:
			h.Profiles = []string{"hep-profile", "projectcalico-default-allow", "missing-profile"}
		}
		g.out.HostEndpoints = append(g.out.HostEndpoints, h)
	}
	if len(g.nodeIPs) > 0 {
		g.out.Profiles = append(g.out.Profiles, &model.Profile{
			Name:    "hep-profile",
			Labels:  map[string]string{"profile": "hep"},
			Ingress: g.rules("", model.Ingress, true),
			Egress:  g.rules("", model.Egress, true),
		})
	}
}

// cidr returns a CIDR that overlaps pod addresses, node addresses or lies
// outside the cluster.
func (g *generator) cidr(v6 bool) netip.Prefix {
	if v6 {
		switch g.r.IntN(3) {
		case 0:
			return netip.MustParsePrefix("fd00::/112")
		case 1:
			return netip.MustParsePrefix("2001:db8::/32")
		}
		if len(g.podIPs) > 0 {
			if g.chance(g.cfg.InternalCIDRs) {
				return netip.PrefixFrom(v6Of(pick(g, g.podIPs)), 124).Masked()
			}
		}
		return netip.MustParsePrefix("fd00::/8")
	}
	if len(g.podIPs) > 0 && g.chance(g.cfg.InternalCIDRs) {
		bits := pick(g, []int{32, 30, 28, 26, 24, 20})
		return netip.PrefixFrom(pick(g, g.podIPs), bits).Masked()
	}
	switch g.r.IntN(6) {
	case 0:
		return netip.MustParsePrefix("10.0.0.0/8")
	case 1:
		return netip.MustParsePrefix("8.8.8.0/24")
	case 2:
		return netip.MustParsePrefix("192.168.0.0/16")
	case 3:
		return netip.MustParsePrefix("0.0.0.0/0")
	case 4:
		return netip.MustParsePrefix("1.1.1.1/32")
	}
	return netip.MustParsePrefix("203.0.113.0/24")
}

func (g *generator) networkSets() {
	for i := range g.cfg.NetworkSets {
		n := &model.NetworkSet{Name: "set" + strconv.Itoa(i), Labels: map[string]string{"kind": pick(g, []string{"internal", "external"})}}
		if g.chance(0.5) {
			n.Namespace = pick(g, g.ns)
		}
		if g.chance(0.5) {
			n.Labels["app"] = g.value("app")
		}
		for range 1 + g.r.IntN(2) {
			n.Nets = append(n.Nets, g.cidr(g.chance(0.2)))
		}
		g.out.NetworkSets = append(g.out.NetworkSets, n)
	}
}

func (g *generator) services() {
	for i := range g.cfg.Services {
		if len(g.workloads) == 0 {
			return
		}
		w := pick(g, g.workloads)
		s := &model.Service{Namespace: w.ns, Name: "svc" + strconv.Itoa(i), Selector: map[string]string{"app": w.labels["app"]}}
		if g.chance(0.1) {
			s.Selector = nil
		}
		s.Ports = append(s.Ports, model.ServicePort{Name: "web", Protocol: model.TCP, Port: 80, TargetPort: pick(g, []uint16{0, 8080, 3000})})
		if g.chance(0.5) {
			s.Ports = append(s.Ports, model.ServicePort{Name: "named", Protocol: pick(g, []model.Protocol{0, model.TCP, model.UDP}), Port: 53, TargetName: pick(g, []string{"dns", "http"})})
		}
		g.out.Services = append(g.out.Services, s)
	}
}
