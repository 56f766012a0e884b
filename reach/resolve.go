package reach

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/reach-sim/reach/model"
)

// TargetKind says what a name in a query resolved to.
type TargetKind uint8

// The things a query name can denote.
const (
	TargetPod TargetKind = iota + 1
	TargetWorkload
	TargetService
	TargetHost
	TargetAddress
)

// Target is a resolved query name: the pods it stands for (a pod, a
// workload's pods, a service's backends), a host endpoint, or an address.
type Target struct {
	Kind     TargetKind
	Name     string // as resolved: "ns/name", "Deployment ns/name", "Service ns/name", "host/x" or the address
	Pods     []*model.Pod
	Host     *model.HostEndpoint
	Service  *model.Service
	Workload *model.Workload
	IP       netip.Addr
	// Alt, for a service resolved from a name that also denotes a workload
	// or pod of its namespace, is that workload or pod: a port the service
	// does not expose is looked up on it instead.
	Alt *Target
}

// Peers returns the flow ends the target stands for.
func (t Target) Peers() []Peer {
	switch t.Kind {
	case TargetHost:
		return []Peer{{Host: t.Host}}
	case TargetAddress:
		return []Peer{{IP: t.IP}}
	}
	peers := make([]Peer, len(t.Pods))
	for i, p := range t.Pods {
		peers[i] = Peer{Pod: p}
	}
	return peers
}

// End says which end of a flow a name is resolved for.
type End uint8

// The two ends of a flow.
const (
	SourceEnd End = iota
	DestinationEnd
)

// Resolve finds what name denotes in c at one end of a flow: an IP address,
// "namespace/name" or a bare name, looked up among pods, workloads, services
// and host endpoints in every namespace. A workload and a service of the
// same name in the same namespace are the usual pair, not an ambiguity: the
// source is the workload, the destination the service (so its port is
// translated). Any other name that denotes several objects is an error
// listing them all; so is a name that denotes nothing.
func Resolve(c *model.Cluster, name string, end End) (Target, error) {
	if ip, err := netip.ParseAddr(name); err == nil {
		return resolveAddress(c, ip), nil
	}
	ns, short, qualified := strings.Cut(name, "/")
	if !qualified {
		short, ns = name, ""
	}
	var found []Target
	for _, p := range c.Pods {
		if p.Name == short && (ns == "" || p.Namespace == ns) {
			found = append(found, Target{Kind: TargetPod, Name: p.ID(), Pods: []*model.Pod{p}})
		}
	}
	for _, w := range c.Workloads {
		if w.Name == short && (ns == "" || w.Namespace == ns) {
			found = append(found, Target{Kind: TargetWorkload, Name: w.Kind + " " + w.Namespace + "/" + w.Name,
				Pods: workloadPods(c, w), Workload: w})
		}
	}
	for _, s := range c.Services {
		if s.Name == short && (ns == "" || s.Namespace == ns) {
			found = append(found, Target{Kind: TargetService, Name: "Service " + s.Namespace + "/" + s.Name,
				Pods: c.Backends(s), Service: s})
		}
	}
	if ns == "" || ns == "host" {
		for _, h := range c.HostEndpoints {
			if h.Name == short {
				found = append(found, Target{Kind: TargetHost, Name: "host/" + h.Name, Host: h})
			}
		}
	}
	found = preferOne(found, end)
	switch len(found) {
	case 0:
		return Target{}, fmt.Errorf("%q: no pod, workload, service or host endpoint of that name", name)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, t := range found {
		names[i] = t.Name
	}
	sort.Strings(names)
	return Target{}, fmt.Errorf("%q is ambiguous: %s (qualify it as namespace/name)", name, strings.Join(names, ", "))
}

// preferOne settles the usual overlaps of one name: a workload's pod found
// with the workload means the workload ("web" is Deployment web, not the pod
// made from it), and a workload with a service of its namespace means the
// workload as a source and the service as a destination.
func preferOne(found []Target, end End) []Target {
	if len(found) < 2 {
		return found
	}
	var out []Target
	for _, t := range found {
		if t.Kind == TargetPod && t.Pods[0].Workload != nil && coveredByWorkload(found, t.Pods[0]) {
			continue
		}
		out = append(out, t)
	}
	if len(out) != 2 || namespaceOf(out[0]) != namespaceOf(out[1]) {
		return out
	}
	// A service and the workload or pod it fronts, in one namespace.
	svc, other := out[0], out[1]
	if other.Kind == TargetService {
		svc, other = other, svc
	}
	if svc.Kind != TargetService || (other.Kind != TargetWorkload && other.Kind != TargetPod) {
		return out
	}
	if end == SourceEnd {
		return []Target{other}
	}
	// A port the service does not expose is a port of the other's pods.
	svc.Alt = &other
	return []Target{svc}
}

func namespaceOf(t Target) string {
	switch {
	case t.Workload != nil:
		return t.Workload.Namespace
	case t.Service != nil:
		return t.Service.Namespace
	case len(t.Pods) > 0:
		return t.Pods[0].Namespace
	}
	return ""
}

func coveredByWorkload(found []Target, p *model.Pod) bool {
	for _, t := range found {
		if t.Kind == TargetWorkload {
			for _, wp := range t.Pods {
				if wp == p {
					return true
				}
			}
		}
	}
	return false
}

// workloadPods returns the pods of w: its explicit pods when the input
// listed them, else its representative pod.
func workloadPods(c *model.Cluster, w *model.Workload) []*model.Pod {
	var pods []*model.Pod
	for _, p := range c.Pods {
		if p.Namespace == w.Namespace && p.Workload != nil && p.Workload.Kind == w.Kind && p.Workload.Name == w.Name {
			pods = append(pods, p)
		}
	}
	return pods
}

// resolveAddress returns the pod or host endpoint that owns ip, or the bare
// address when no endpoint has it.
func resolveAddress(c *model.Cluster, ip netip.Addr) Target {
	for _, p := range c.Pods {
		if p.HostNetwork {
			continue
		}
		for _, a := range p.IPs {
			if a == ip {
				return Target{Kind: TargetPod, Name: p.ID(), Pods: []*model.Pod{p}, IP: ip}
			}
		}
	}
	for _, h := range c.HostEndpoints {
		for _, a := range h.ExpectedIPs {
			if a == ip {
				return Target{Kind: TargetHost, Name: "host/" + h.Name, Host: h, IP: ip}
			}
		}
	}
	return Target{Kind: TargetAddress, Name: ip.String(), IP: ip}
}

// Flows resolves q's names in c and returns one flow for every pair of
// source and destination endpoints it denotes, with the destination port
// translated: a service port becomes each backend's target port, a named
// port each destination pod's number for it. Without a port (q.Port empty)
// the flows carry port 0 and the caller asks the matrix for open ports.
func (q Query) Flows(c *model.Cluster) (src, dst Target, flows []Flow, err error) {
	if src, err = Resolve(c, q.Src, SourceEnd); err != nil {
		return src, dst, nil, fmt.Errorf("source %w", err)
	}
	if dst, err = Resolve(c, q.Dst, DestinationEnd); err != nil {
		return src, dst, nil, fmt.Errorf("destination %w", err)
	}
	if len(src.Peers()) == 0 {
		return src, dst, nil, fmt.Errorf("source %s has no pods", src.Name)
	}
	if len(dst.Peers()) == 0 {
		return src, dst, nil, fmt.Errorf("destination %s has no pods (no pod matches its selector)", dst.Name)
	}
	if dst.Alt != nil && q.Port != "" {
		if _, ok := servicePort(dst.Service, q.Port, q.Protocol); !ok {
			dst = *dst.Alt
		}
	}
	for _, d := range dst.Peers() {
		proto, port, err := q.destinationPort(dst, d)
		if err != nil {
			return src, dst, nil, err
		}
		for _, s := range src.Peers() {
			flows = append(flows, Flow{Src: s, Dst: d, Protocol: proto, Port: port})
		}
	}
	return src, dst, flows, nil
}

// destinationPort translates the query's port for one destination peer.
func (q Query) destinationPort(dst Target, d Peer) (model.Protocol, uint16, error) {
	if q.Port == "" {
		return q.Protocol, 0, nil
	}
	if sp, ok := servicePort(dst.Service, q.Port, q.Protocol); ok {
		if sp.TargetName == "" {
			return sp.Protocol, sp.TargetPort, nil
		}
		for _, np := range d.Pod.NamedPorts {
			if np.Name == sp.TargetName && np.Protocol == sp.Protocol {
				return sp.Protocol, np.Port, nil
			}
		}
		return 0, 0, fmt.Errorf("%s: target port %q is not a port of backend %s", dst.Name, sp.TargetName, d.Pod.ID())
	}
	if dst.Service != nil {
		return 0, 0, fmt.Errorf("%s has no port %s/%s", dst.Name, q.Port, q.Protocol)
	}
	if n, err := parsePortNumber(q.Port); err == nil {
		return q.Protocol, n, nil
	}
	var named []model.NamedPort
	switch {
	case d.Pod != nil:
		named = d.Pod.NamedPorts
	case d.Host != nil:
		named = d.Host.NamedPorts
	default:
		return 0, 0, fmt.Errorf("port %q: an address outside the cluster has no named ports", q.Port)
	}
	for _, np := range named {
		if np.Name == q.Port && (!q.ProtocolGiven || np.Protocol == q.Protocol) {
			return np.Protocol, np.Port, nil
		}
	}
	return 0, 0, fmt.Errorf("%s has no port named %q", d, q.Port)
}

func servicePort(s *model.Service, port string, proto model.Protocol) (model.ServicePort, bool) {
	if s == nil {
		return model.ServicePort{}, false
	}
	n, numErr := parsePortNumber(port)
	for _, sp := range s.Ports {
		if sp.Protocol != proto {
			continue
		}
		if (numErr == nil && sp.Port == n) || (numErr != nil && sp.Name == port) {
			return sp, true
		}
	}
	return model.ServicePort{}, false
}

func parsePortNumber(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not a port number: %q", s)
	}
	return uint16(n), nil
}
