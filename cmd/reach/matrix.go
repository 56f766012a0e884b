package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/spf13/cobra"
)

func newMatrixCommand() *cobra.Command {
	var src sourceFlags
	var output string
	var ports []string
	var pending bool
	cmd := &cobra.Command{
		Use:   "matrix -f PATH... [--port PORT[/PROTO]]... [-o table|json|csv|md] [--pending]",
		Short: "Which endpoint can open connections to which, on which ports",
		Long: `matrix decides every flow between the cluster's endpoints (pods with an
address, then host endpoints with expected IPs) and prints them as a matrix:
rows are sources, columns are destinations.

--port restricts the matrix to the ports given: PORT/PROTO (PROTO is TCP when
left out), or a protocol without ports such as ICMP; repeatable. --pending
enforces staged policies (the pending verdict of Calico's flow logs).

Table, md (a Markdown pipe table) and csv group the pods of a workload into
one row and column, "ns/name (Kind)" or "ns/name (Kind, N pods)", when the
policies treat them alike; a workload whose pods differ is split into its
pods. Rows and columns are in order of namespace and name, host endpoints
last. Without --port a cell lists the ports the row may open to the column
("TCP 8080; UDP 53"), "all" for every port of every protocol, "all but
UDP 4789" when what is closed is shorter to list, "-" for none, and "self"
for a pod to itself (always allowed); the cell of a workload of several
pods to itself gives the ports between two of its pods. With --port
a cell holds one mark per port, in the order of the header: ✓ allowed,
✗ denied. Table and md print the cluster's notes after the table.

-o json writes one entry per ordered pair of endpoints, pods not grouped,
self pairs included, sources outermost. With --port, one entry per pair and
port, in the order given:
  {"flows": [{"src": "ns/pod", "dst": "ns/pod", "protocol": "TCP",
              "port": 80, "allowed": true}, ...],
   "pending": true, "notes": ["..."]}
("port" is left out for a protocol without ports). Without --port, one entry
per pair with the open ports by protocol, each a list of ports and ranges:
  {"flows": [{"src": "ns/pod", "dst": "ns/pod", "allowed": true,
              "ports": {"TCP": ["80", "8000-8080"]}}, ...]}
"allowed" is true when some port is open. A pod to itself has
"self": true and every port. "pending" and "notes" are left out when false
or empty.

Exit codes: 0 success, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json", "csv", "md"); err != nil {
				return err
			}
			pps, err := parsePortList(ports)
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			pps = uniquePorts(pps)
			c, err := src.load()
			if err != nil {
				return err
			}
			m, err := reach.ComputeMatrix(c, reach.MatrixOptions{Ports: pps, Pending: pending})
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			mv := matrixView{m: m, ports: pps, pending: pending, notes: c.Notes}
			return mv.write(cmd.OutOrStdout(), output)
		},
	}
	src.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json, csv or md")
	cmd.Flags().StringSliceVar(&ports, "port", nil,
		"only these ports: PORT[/PROTO] (TCP by default) or a protocol without ports; repeatable or comma-separated")
	cmd.Flags().BoolVar(&pending, "pending", false, "enforce staged policies (the pending verdict)")
	return cmd
}

// uniquePorts drops repeated ports, keeping the first of each.
func uniquePorts(pps []reach.ProtoPort) []reach.ProtoPort {
	var out []reach.ProtoPort
	for _, pp := range pps {
		if !pp.Protocol.HasPorts() {
			pp.Port = 0
		}
		if !slices.Contains(out, pp) {
			out = append(out, pp)
		}
	}
	return out
}

func portLabel(pp reach.ProtoPort) string {
	if !pp.Protocol.HasPorts() {
		return pp.Protocol.String()
	}
	return fmt.Sprintf("%d/%s", pp.Port, pp.Protocol)
}

// matrixView renders a matrix in every format matrix offers.
type matrixView struct {
	m       *reach.Matrix
	ports   []reach.ProtoPort // the ports asked for; nil for every port
	pending bool
	notes   []string
}

func (v matrixView) write(w io.Writer, format string) error {
	if format == "json" {
		return writeJSON(w, v.json())
	}
	grid := v.grid()
	var b strings.Builder
	switch format {
	case "csv":
		cw := csv.NewWriter(&b)
		if err := cw.WriteAll(grid); err != nil {
			return err
		}
	case "md":
		writeMarkdownTable(&b, grid)
	default:
		writeTextTable(&b, grid)
	}
	if notes := v.allNotes(); format != "csv" && len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			if format == "md" {
				b.WriteString("- ")
			}
			fmt.Fprintf(&b, "note: %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (v matrixView) allNotes() []string {
	if !v.pending {
		return v.notes
	}
	return append([]string{"staged policies enforced (--pending): the pending verdict"}, v.notes...)
}

// grid returns the grouped matrix as rows of cells, the header first.
func (v matrixView) grid() [][]string {
	nodes := reach.BuildGraph(v.m).NodeList()
	corner := `FROM \ TO`
	if v.ports != nil {
		labels := make([]string, len(v.ports))
		for i, pp := range v.ports {
			labels[i] = portLabel(pp)
		}
		corner += " [" + strings.Join(labels, " ") + "]"
	}
	header := []string{corner}
	for _, n := range nodes {
		header = append(header, n.Name)
	}
	grid := [][]string{header}
	all := v.everyPort()
	for _, a := range nodes {
		row := []string{nodeLabel(a)}
		for _, b := range nodes {
			row = append(row, v.cell(a, b, all))
		}
		grid = append(grid, row)
	}
	return grid
}

func nodeLabel(n *reach.Node) string {
	switch {
	case n.Kind == reach.KindPod || n.Kind == reach.KindHostEndpoint || n.Kind == reach.KindExternal:
		return n.Name
	case len(n.Peers) > 1:
		return fmt.Sprintf("%s (%s, %d pods)", n.Name, n.Kind, len(n.Peers))
	}
	return fmt.Sprintf("%s (%s)", n.Name, n.Kind)
}

// everyPort returns what a pod may open to itself: every port the matrix
// covers. It is nil when the matrix has no pod.
func (v matrixView) everyPort() reach.PortSet {
	for i, p := range v.m.Endpoints() {
		if p.Pod != nil {
			return v.m.Ports(i, i)
		}
	}
	return nil
}

// cell renders what node a may open to node b.
func (v matrixView) cell(a, b *reach.Node, all reach.PortSet) string {
	src, dst, self := v.rows(a, b)
	if v.ports != nil {
		marks := make([]string, len(v.ports))
		for i, pp := range v.ports {
			marks[i] = "✗"
			if v.m.Allowed(src, dst, pp.Protocol, pp.Port) {
				marks[i] = "✓"
			}
		}
		return strings.Join(marks, " ")
	}
	if self {
		return "self"
	}
	return portsCell(v.m.Ports(src, dst), all)
}

// portsCell renders open ports: "-" for none, "all" for every port the
// matrix covers, "all but UDP 4789" when what is closed is shorter to say.
func portsCell(ps, all reach.PortSet) string {
	if ps.Empty() {
		return "-"
	}
	if all == nil {
		return ps.String()
	}
	closed := portsMinus(all, ps)
	switch {
	case closed.Empty():
		return "all"
	case len(closed.String()) < len(ps.String()):
		return "all but " + closed.String()
	}
	return ps.String()
}

// portsMinus returns the ports of a that are not in b.
func portsMinus(a, b reach.PortSet) reach.PortSet {
	out := reach.PortSet{}
	for _, p := range a.Protocols() {
		var rs []model.PortRange
		for _, r := range a[p] {
			rs = append(rs, rangeMinus(r, b[p])...)
		}
		if len(rs) > 0 {
			out[p] = rs
		}
	}
	return out
}

// rangeMinus returns the parts of r outside the sorted, disjoint ranges cut.
func rangeMinus(r model.PortRange, cut []model.PortRange) []model.PortRange {
	var out []model.PortRange
	next := int(r.Min)
	for _, c := range cut {
		if int(c.Max) < next || c.Min > r.Max {
			continue
		}
		if int(c.Min) > next {
			out = append(out, model.PortRange{Min: uint16(next), Max: c.Min - 1})
		}
		next = int(c.Max) + 1
	}
	if next <= int(r.Max) {
		out = append(out, model.PortRange{Min: uint16(next), Max: r.Max})
	}
	return out
}

// rows returns the matrix rows that stand for the flow from node a to node
// b: for a workload of several pods to itself, two distinct pods; self
// reports a single pod to itself.
func (v matrixView) rows(a, b *reach.Node) (src, dst int, self bool) {
	src, _ = v.m.Index(a.Peers[0])
	dst, _ = v.m.Index(b.Peers[0])
	if a == b && len(a.Peers) > 1 {
		dst, _ = v.m.Index(a.Peers[1])
	}
	return src, dst, src == dst && a.Peers[0].Pod != nil
}

func writeTextTable(b *strings.Builder, grid [][]string) {
	widths := columnWidths(grid)
	for _, row := range grid {
		for i, cell := range row {
			if i == len(row)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(cell + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
		}
		b.WriteString("\n")
	}
}

func writeMarkdownTable(b *strings.Builder, grid [][]string) {
	for i, row := range grid {
		cells := make([]string, len(row))
		for j, c := range row {
			cells[j] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat(" --- |", len(row)) + "\n")
		}
	}
}

func columnWidths(grid [][]string) []int {
	var widths []int
	for _, row := range grid {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	return widths
}

// The JSON form of matrix is part of reach's interface: keep it stable.

type matrixDoc struct {
	Flows   any      `json:"flows"` // []portFlowDoc or []openFlowDoc
	Pending bool     `json:"pending,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// portFlowDoc is one pair and port, with --port.
type portFlowDoc struct {
	Src      string `json:"src"`
	Dst      string `json:"dst"`
	Protocol string `json:"protocol"`
	Port     uint16 `json:"port,omitempty"`
	Allowed  bool   `json:"allowed"`
	Self     bool   `json:"self,omitempty"`
}

// openFlowDoc is one pair with its open ports, without --port.
type openFlowDoc struct {
	Src     string              `json:"src"`
	Dst     string              `json:"dst"`
	Allowed bool                `json:"allowed"`
	Self    bool                `json:"self,omitempty"`
	Ports   map[string][]string `json:"ports"`
}

func (v matrixView) json() matrixDoc {
	open, byPort := []openFlowDoc{}, []portFlowDoc{}
	peers := v.m.Endpoints()
	for i, s := range peers {
		for j, d := range peers {
			self := i == j && s.Pod != nil
			if v.ports == nil {
				ps := v.m.Ports(i, j)
				open = append(open, openFlowDoc{Src: s.String(), Dst: d.String(), Allowed: !ps.Empty(), Self: self, Ports: portSetJSON(ps)})
				continue
			}
			for _, pp := range v.ports {
				f := portFlowDoc{
					Src: s.String(), Dst: d.String(), Protocol: pp.Protocol.String(),
					Allowed: v.m.Allowed(i, j, pp.Protocol, pp.Port), Self: self,
				}
				if pp.Protocol.HasPorts() {
					f.Port = pp.Port
				}
				byPort = append(byPort, f)
			}
		}
	}
	doc := matrixDoc{Flows: open, Pending: v.pending, Notes: v.notes}
	if v.ports != nil {
		doc.Flows = byPort
	}
	return doc
}
