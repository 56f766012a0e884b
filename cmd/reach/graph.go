package main

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/spf13/cobra"
)

func newGraphCommand() *cobra.Command {
	var src sourceFlags
	var output string
	var ports, external []string
	cmd := &cobra.Command{
		Use:   "graph -f PATH... [-o dot|mermaid|json] [--port PORT[/PROTO]]... [--external IP|auto]...",
		Short: "Draw which workloads can open connections to which, on which ports",
		Long: `graph draws the allowed flows of a cluster as a directed graph.

A node is a workload whose pods the policies treat alike (a workload whose pods
differ is split into its pods), a pod without a workload, a host endpoint, or an
external address. An edge A -> B is labelled with the ports A may open to B; a
pod's traffic to itself is always allowed and not drawn, and neither is traffic
between two external addresses.

--port restricts the graph to the ports given: PORT/PROTO (PROTO is TCP when
left out), or a protocol without ports such as ICMP. Without it every port of
every protocol counts.

External addresses are left out unless asked for: --external IP adds one
address, --external auto adds one address for each range the policies tell
apart (the internet as 8.8.8.8, and each CIDR a rule names). Both repeat.

Output: dot (Graphviz: reach graph -f DIR | dot -Tsvg > graph.svg), mermaid
(a flowchart for Markdown), or json.

Exit codes: 0 success, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "dot", "mermaid", "json"); err != nil {
				return err
			}
			opt := reach.MatrixOptions{}
			var err error
			if opt.Ports, err = parsePortList(ports); err != nil {
				return &exitCode{code: 2, err: err}
			}
			addrs, auto, err := parseExternal(external)
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			c, err := src.load()
			if err != nil {
				return err
			}
			opt.ExternalPeers = addrs
			if auto {
				opt.ExternalPeers = append(opt.ExternalPeers, reach.ExternalPeers(c)...)
			}
			m, err := reach.ComputeMatrix(c, opt)
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			return writeGraph(cmd.OutOrStdout(), output, reach.BuildGraph(m))
		},
	}
	src.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "dot", "output format: dot, mermaid or json")
	cmd.Flags().StringSliceVar(&ports, "port", nil,
		"only these ports: PORT[/PROTO] (TCP by default) or a protocol without ports; repeatable or comma-separated")
	cmd.Flags().StringArrayVar(&external, "external", nil,
		"also draw this outside address, or 'auto' for one per range the policies tell apart; repeatable")
	return cmd
}

// parsePortList reads --port values: "80" (TCP), "53/UDP", or "ICMP" (a
// protocol without ports).
func parsePortList(values []string) ([]reach.ProtoPort, error) {
	var out []reach.ProtoPort
	for _, v := range values {
		pp, err := parsePortValue(v)
		if err != nil {
			return nil, fmt.Errorf("--port %q: %w", v, err)
		}
		out = append(out, pp)
	}
	return out, nil
}

func parsePortValue(v string) (reach.ProtoPort, error) {
	port, protoName, hasProto := strings.Cut(strings.TrimSpace(v), "/")
	if !hasProto {
		if _, err := strconv.Atoi(port); err != nil {
			// A protocol without ports, such as ICMP.
			proto, perr := model.ParseProtocol(port)
			if perr != nil || proto.HasPorts() {
				return reach.ProtoPort{}, fmt.Errorf("want PORT/PROTO (e.g. 80/TCP, 53/UDP) or a protocol without ports (e.g. ICMP)")
			}
			return reach.ProtoPort{Protocol: proto}, nil
		}
		protoName = "TCP"
	}
	proto, err := model.ParseProtocol(protoName)
	if err != nil {
		return reach.ProtoPort{}, err
	}
	if !proto.HasPorts() {
		return reach.ProtoPort{}, fmt.Errorf("protocol %s has no ports: write %s alone", proto, proto)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return reach.ProtoPort{}, fmt.Errorf("port %q: want a number from 1 to 65535", port)
	}
	return reach.ProtoPort{Protocol: proto, Port: uint16(n)}, nil
}

// parseExternal reads --external values: IP addresses, and "auto".
func parseExternal(values []string) (addrs []netip.Addr, auto bool, err error) {
	for _, v := range values {
		if v == "auto" {
			auto = true
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, false, fmt.Errorf("--external %q: want an IP address or 'auto'", v)
		}
		addrs = append(addrs, a)
	}
	return addrs, auto, nil
}

func writeGraph(w io.Writer, format string, g *reach.Graph) error {
	switch format {
	case "json":
		return writeJSON(w, g)
	case "mermaid":
		_, err := io.WriteString(w, g.Mermaid())
		return err
	}
	b, err := g.DOT()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
