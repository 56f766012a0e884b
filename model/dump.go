package model

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/reach-sim/reach/selector"
)

// Dump writes a readable text dump of the whole cluster to w: the notes, the
// namespaces, pods, workloads, services, service accounts, network sets, host
// endpoints and profiles, then every tier in evaluation order with its
// policies in evaluation order and each policy's rules, one a line, with the
// effective selectors Calico evaluates. The output is deterministic; golden
// tests compare it.
func (c *Cluster) Dump(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(b, format, args...)
		b.WriteByte('\n')
	}
	p(0, "pod CIDR %s", c.PodCIDR)
	for _, n := range c.Notes {
		p(0, "note: %s", n)
	}
	if len(c.Skipped) > 0 {
		var s []string
		for _, k := range slices.Sorted(maps.Keys(c.Skipped)) {
			s = append(s, fmt.Sprintf("%s=%d", k, c.Skipped[k]))
		}
		p(0, "skipped: %s", strings.Join(s, ", "))
	}
	section := func(name string, n int) bool {
		if n == 0 {
			return false
		}
		p(0, "%s:", name)
		return true
	}
	if section("namespaces", len(c.Namespaces)) {
		for _, n := range c.Namespaces {
			p(1, "%s %s", n.Name, dumpLabels(n.Labels))
		}
	}
	if section("pods", len(c.Pods)) {
		for _, pod := range c.Pods {
			p(1, "%s", dumpPod(pod))
		}
	}
	if section("workloads", len(c.Workloads)) {
		for _, wl := range c.Workloads {
			pod := ""
			if wl.Pod != nil {
				pod = " pod " + wl.Pod.ID()
			}
			p(1, "%s %s/%s%s", wl.Kind, wl.Namespace, wl.Name, pod)
		}
	}
	if section("services", len(c.Services)) {
		for _, s := range c.Services {
			p(1, "%s", dumpService(s))
		}
	}
	if section("service accounts", len(c.ServiceAccounts)) {
		for _, s := range c.ServiceAccounts {
			p(1, "%s/%s %s", s.Namespace, s.Name, dumpLabels(s.Labels))
		}
	}
	if section("network sets", len(c.NetworkSets)) {
		for _, n := range c.NetworkSets {
			kind := "NetworkSet"
			if n.Global() {
				kind = "GlobalNetworkSet"
			}
			line := fmt.Sprintf("%s %s nets %s %s", kind, objectName(n.Namespace, n.Name), dumpPrefixes(n.Nets), dumpLabels(n.Labels))
			if len(n.AllowedDomains) > 0 {
				line += " allowedEgressDomains [" + strings.Join(n.AllowedDomains, ", ") + "] (Calico Enterprise, not matched)"
			}
			p(1, "%s", line)
		}
	}
	if section("host endpoints", len(c.HostEndpoints)) {
		for _, h := range c.HostEndpoints {
			p(1, "%s", dumpHostEndpoint(h))
		}
	}
	if section("profiles", len(c.Profiles)) {
		for _, pr := range c.Profiles {
			p(1, "%s labelsToApply %s", pr.Name, dumpLabels(pr.Labels))
			dumpRules(p, 2, "ingress", pr.Ingress)
			dumpRules(p, 2, "egress", pr.Egress)
		}
	}
	p(0, "tiers:")
	for _, t := range c.Tiers {
		p(1, "tier %s order %s default %s", t.Name, dumpOrder(t.Order), t.DefaultAction)
		for _, pol := range t.Policies {
			dumpPolicy(p, 2, pol)
		}
	}
	return b.Flush()
}

// DumpText returns the Dump as a string.
func (c *Cluster) DumpText() string {
	var b strings.Builder
	_ = c.Dump(&b)
	return b.String()
}

type printer func(indent int, format string, args ...any)

func dumpPolicy(p printer, indent int, pol *Policy) {
	var types []string
	if pol.Ingress {
		types = append(types, "Ingress")
	}
	if pol.Egress {
		types = append(types, "Egress")
	}
	if len(types) == 0 {
		types = append(types, "none")
	}
	line := fmt.Sprintf("%s %s order %s key %q types %s",
		pol.Kind, objectName(pol.Namespace, pol.Name), dumpOrder(pol.Order), pol.SortKey, strings.Join(types, ","))
	if pol.Staged {
		line += " staged " + pol.StagedAction
	}
	if pol.HostOnly {
		line += " host-only"
	}
	p(indent, "%s", line)
	p(indent+1, "selector %s", pol.Selector)
	for _, n := range pol.Notes {
		p(indent+1, "note: %s", n)
	}
	dumpRules(p, indent+1, "ingress", pol.IngressRules)
	dumpRules(p, indent+1, "egress", pol.EgressRules)
}

func dumpRules(p printer, indent int, dir string, rules []Rule) {
	for _, r := range rules {
		p(indent, "%s[%d] %s  (%s)", dir, r.Index, DescribeRule(r), r.Origin)
	}
}

// DescribeRule renders a rule in plain words, e.g.
//
//	Allow TCP from selector app == "web" to ports [80]
func DescribeRule(r Rule) string {
	parts := []string{r.Action.String()}
	if r.Protocol != 0 {
		parts = append(parts, r.Protocol.String())
	}
	if r.NotProtocol != 0 {
		parts = append(parts, "not "+r.NotProtocol.String())
	}
	if r.IPVersion != 0 {
		parts = append(parts, "IPv"+strconv.Itoa(r.IPVersion))
	}
	if r.ICMP != nil {
		parts = append(parts, "icmp "+dumpICMP(r.ICMP))
	}
	if r.NotICMP != nil {
		parts = append(parts, "not icmp "+dumpICMP(r.NotICMP))
	}
	if s := dumpEntity(r.Source); s != "" {
		parts = append(parts, "from "+s)
	}
	if s := dumpEntity(r.Destination); s != "" {
		parts = append(parts, "to "+s)
	}
	if h := r.HTTP; h != nil {
		parts = append(parts, fmt.Sprintf("http methods [%s] paths [%s] (not enforced at L3/L4)",
			strings.Join(h.Methods, ", "), strings.Join(h.Paths, ", ")))
	}
	if len(parts) == 1 {
		parts = append(parts, "everything")
	}
	return strings.Join(parts, " ")
}

func dumpICMP(m *ICMPMatch) string {
	s := "type " + strconv.Itoa(m.Type)
	if m.Code != nil {
		s += " code " + strconv.Itoa(*m.Code)
	}
	return s
}

func dumpEntity(e EntityMatch) string {
	var parts []string
	sel := func(prefix string, s *selector.Selector) {
		if s != nil {
			parts = append(parts, prefix+s.String())
		}
	}
	sel("selector ", e.Selector)
	sel("not selector ", e.NotSelector)
	if len(e.Nets) > 0 {
		parts = append(parts, "nets "+dumpPrefixes(e.Nets))
	}
	if len(e.NotNets) > 0 {
		parts = append(parts, "not nets "+dumpPrefixes(e.NotNets))
	}
	if s := e.Services; s != nil {
		parts = append(parts, "service "+objectName(s.Namespace, s.Name))
	}
	if len(e.Ports) > 0 {
		parts = append(parts, "ports "+dumpPorts(e.Ports))
	}
	if len(e.NotPorts) > 0 {
		parts = append(parts, "not ports "+dumpPorts(e.NotPorts))
	}
	if len(e.Domains) > 0 {
		parts = append(parts, "domains ["+strings.Join(e.Domains, ", ")+"] (Calico Enterprise, not matched)")
	}
	return strings.Join(parts, " ")
}

func dumpPorts(ps []PortMatch) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func dumpPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func dumpOrder(o *float64) string {
	if o == nil {
		return "none"
	}
	return strconv.FormatFloat(*o, 'f', -1, 64)
}

func dumpLabels(m map[string]string) string {
	s := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s = append(s, k+"="+m[k])
	}
	return "{" + strings.Join(s, ", ") + "}"
}

func dumpNamedPorts(ps []NamedPort) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("%s=%d/%s", p.Name, p.Port, p.Protocol)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func dumpPod(pod *Pod) string {
	var b strings.Builder
	b.WriteString(pod.ID())
	ips := make([]string, len(pod.IPs))
	for i, ip := range pod.IPs {
		ips[i] = ip.String()
	}
	if len(ips) == 0 {
		ips = []string{"no-ip"}
	}
	b.WriteString(" " + strings.Join(ips, ","))
	if pod.IPSynthesized {
		b.WriteString(" (synthesized)")
	}
	if pod.HostNetwork {
		b.WriteString(" hostNetwork")
	}
	if pod.Phase != "" {
		b.WriteString(" phase " + pod.Phase)
	}
	b.WriteString(" sa " + pod.ServiceAccount)
	if pod.Workload != nil {
		fmt.Fprintf(&b, " workload %s/%s", pod.Workload.Kind, pod.Workload.Name)
	}
	if len(pod.NamedPorts) > 0 {
		b.WriteString(" ports " + dumpNamedPorts(pod.NamedPorts))
	}
	b.WriteString(" " + dumpLabels(pod.Labels))
	return b.String()
}

func dumpService(s *Service) string {
	var b strings.Builder
	b.WriteString(s.Namespace + "/" + s.Name)
	if s.ClusterIP.IsValid() {
		b.WriteString(" clusterIP " + s.ClusterIP.String())
	}
	if s.Selector == nil {
		b.WriteString(" no selector")
	} else {
		b.WriteString(" selector " + dumpLabels(s.Selector))
	}
	ports := make([]string, len(s.Ports))
	for i, p := range s.Ports {
		target := p.TargetName
		if target == "" {
			target = strconv.Itoa(int(p.TargetPort))
		}
		name := ""
		if p.Name != "" {
			name = p.Name + "="
		}
		ports[i] = fmt.Sprintf("%s%d/%s->%s", name, p.Port, p.Protocol, target)
	}
	b.WriteString(" ports [" + strings.Join(ports, ", ") + "]")
	return b.String()
}

func dumpHostEndpoint(h *HostEndpoint) string {
	var b strings.Builder
	b.WriteString(h.Name + " node " + h.Node)
	if h.InterfaceName != "" {
		b.WriteString(" interface " + h.InterfaceName)
	}
	if len(h.ExpectedIPs) > 0 {
		ips := make([]string, len(h.ExpectedIPs))
		for i, ip := range h.ExpectedIPs {
			ips[i] = ip.String()
		}
		b.WriteString(" expectedIPs [" + strings.Join(ips, ", ") + "]")
	}
	if len(h.Profiles) > 0 {
		b.WriteString(" profiles [" + strings.Join(h.Profiles, ", ") + "]")
	}
	if len(h.NamedPorts) > 0 {
		b.WriteString(" ports " + dumpNamedPorts(h.NamedPorts))
	}
	b.WriteString(" " + dumpLabels(h.Labels))
	return b.String()
}
