package main

import (
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/spf13/cobra"
)

func newDiffCommand() *cobra.Command {
	var src sourceFlags
	var df diffFlags
	var to []string
	var staged bool
	cmd := &cobra.Command{
		Use: "diff -f BEFORE... --to AFTER... [--port PORT[/PROTO]]... [-o table|json|md] [--fail-on added|removed|any]\n" +
			"  reach diff --staged -f PATH...",
		Short: "Which flows two versions of the manifests open and close",
		Long: `diff compares the matrix of the manifests given with -f (or of the cluster,
with --cluster) with the matrix of the manifests given with --to, for
example two directories, or the manifests of two git revisions extracted
side by side, and lists the flows that became allowed (added) and those that
became denied (removed). --staged compares instead the enforced matrix of -f
with its pending matrix: what enforcing Calico's staged policies would do.

Flows are grouped by workload on each side and by the ports that changed:
each line is a set of pods of one workload (or one pod, host endpoint or
external address) to another, with the ports opened (+) or closed (-).
Table and md explain one flow of each group before and after, on the side
that denies: which policy closed it, which opens it. A flow from or to an
endpoint that exists on one side only is added (or removed) when it is
allowed there.

` + diffFormatsHelp + `

Exit codes: 0 no flow changed, 1 flows changed (--fail-on added or removed:
only when flows were added, or removed), 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := df.parse(); err != nil {
				return err
			}
			switch {
			case staged && len(to) > 0:
				return usageError("give --to or --staged, not both")
			case staged && df.pending:
				return usageError("--staged compares the enforced and the pending matrix: --pending does not apply")
			case !staged && len(to) == 0:
				return usageError("nothing to compare with: give --to AFTER... or --staged")
			}
			c, err := src.load()
			if err != nil {
				return err
			}
			before, err := reach.Analyze(c, df.options())
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			var after *reach.Analysis
			if staged {
				after, err = before.Staged()
			} else {
				var c2 *model.Cluster
				if c2, err = loadTo(to, src.podCIDR); err != nil {
					return err
				}
				after, err = before.Update(c2)
			}
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			return df.report(cmd.OutOrStdout(), before, after)
		},
	}
	src.register(cmd)
	df.register(cmd)
	cmd.Flags().StringArrayVar(&to, "to", nil, "the manifests after the change: file or directory, repeatable (- for stdin)")
	cmd.Flags().BoolVar(&staged, "staged", false, "compare the enforced matrix with the pending one (staged policies enforced)")
	return cmd
}

// diffFormatsHelp documents the output of diff and whatif.
const diffFormatsHelp = `-o table (the default) prints one line per group, "+" added and "-" removed,
with the explanations under it and a summary; -o md prints the same as
Markdown tables, to paste into a pull request; -o json prints every flow,
pods not grouped, sorted by source and destination:
  {"added": [FLOW...], "removed": [FLOW...]}
where FLOW is as in "reach matrix -o json": with --port, one entry per pair
and port, of the ports given, "allowed" saying whether it is allowed now:
  {"src": "ns/pod", "dst": "ns/pod", "protocol": "TCP", "port": 80, "allowed": true}
and without --port, one entry per pair with the ports that changed, as
lists of ports and ranges by protocol:
  {"src": "ns/pod", "dst": "ns/pod", "allowed": false, "ports": {"TCP": ["80", "8000-8080"]}}
A pair whose ports both opened and closed is in both lists.

--port restricts both matrices to the ports given: PORT/PROTO (TCP when left
out), or a protocol without ports such as ICMP. --pending compares the
pending matrices (staged policies enforced) instead of the enforced ones.`

// diffFlags are the flags diff and whatif share.
type diffFlags struct {
	output  string
	ports   []string
	failOn  string
	pending bool
	pps     []reach.ProtoPort
}

func (f *diffFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json or md")
	fl.StringSliceVar(&f.ports, "port", nil,
		"only these ports: PORT[/PROTO] (TCP by default) or a protocol without ports; repeatable or comma-separated")
	fl.StringVar(&f.failOn, "fail-on", "any", "exit 1 when flows were: added, removed, or any (either)")
	fl.BoolVar(&f.pending, "pending", false, "compare the pending matrices (staged policies enforced)")
}

func (f *diffFlags) parse() error {
	if err := checkOutput(f.output, "table", "json", "md"); err != nil {
		return err
	}
	switch f.failOn {
	case "added", "removed", "any":
	default:
		return usageError(fmt.Sprintf("--fail-on %q: want added, removed or any", f.failOn))
	}
	pps, err := parsePortList(f.ports)
	if err != nil {
		return &exitCode{code: 2, err: err}
	}
	f.pps = uniquePorts(pps)
	return nil
}

func (f *diffFlags) options() reach.MatrixOptions {
	return reach.MatrixOptions{Ports: f.pps, Pending: f.pending}
}

// report compares the analyses, prints the diff and returns the exit code
// --fail-on asks for.
func (f *diffFlags) report(w io.Writer, before, after *reach.Analysis) error {
	d, err := reach.Compare(before, after, reach.DiffOptions{Explain: f.output != "json"})
	if err != nil {
		return &exitCode{code: 2, err: err}
	}
	v := newDiffView(d, f.pps)
	if err := v.write(w, f.output); err != nil {
		return err
	}
	switch {
	case f.failOn == "added" && len(d.Added) > 0,
		f.failOn == "removed" && len(d.Removed) > 0,
		f.failOn == "any" && !d.Empty():
		return negative
	}
	return nil
}

// loadTo reads the manifests of --to.
func loadTo(paths []string, podCIDR string) (*model.Cluster, error) {
	cidr, err := netip.ParsePrefix(podCIDR)
	if err != nil {
		return nil, usageError(fmt.Sprintf("--pod-cidr %q: not a CIDR", podCIDR))
	}
	c, err := model.Load(model.Options{PodCIDR: cidr}, paths...)
	if err != nil {
		return nil, problemsError("manifests of --to", err)
	}
	return c, nil
}

// diffView renders a diff in every format diff offers.
type diffView struct {
	d     *reach.Diff
	ports []reach.ProtoPort // the ports asked for; nil for every port
	notes []string          // the notes of the cluster after the change
	all   reach.PortSet     // every port the matrices cover
	// exists holds the endpoints of each side, by name.
	before, after map[string]bool
}

func newDiffView(d *reach.Diff, ports []reach.ProtoPort) diffView {
	v := diffView{d: d, ports: ports, notes: d.After.Cluster().Notes}
	for _, a := range []*reach.Analysis{d.After, d.Before} {
		if v.all = (matrixView{m: a.Matrix()}).everyPort(); v.all != nil {
			break
		}
	}
	names := func(a *reach.Analysis) map[string]bool {
		out := map[string]bool{}
		for _, p := range a.Matrix().Endpoints() {
			out[p.String()] = true
		}
		return out
	}
	v.before, v.after = names(d.Before), names(d.After)
	return v
}

// portsLabel renders the ports of a group as matrix cells do: "all but
// UDP 4789" when what is left out is shorter to say.
func (v diffView) portsLabel(ps reach.PortSet) string {
	if v.ports != nil {
		return ps.String()
	}
	return portsCell(ps, v.all)
}

func (v diffView) write(w io.Writer, format string) error {
	switch format {
	case "json":
		return writeJSON(w, v.json())
	case "md":
		_, err := io.WriteString(w, v.markdown())
		return err
	}
	_, err := io.WriteString(w, v.text())
	return err
}

// endLabel names one end of a group: "app/web (Deployment, 3 pods)",
// "app/web (Deployment, 2 of 3 pods)", "app/db-0", "host/node1".
func endLabel(e reach.FlowEnd) string {
	switch {
	case e.Kind == reach.KindPod || e.Kind == reach.KindHostEndpoint || e.Kind == reach.KindExternal:
		return e.Name
	case len(e.Peers) < e.Size:
		return fmt.Sprintf("%s (%s, %d of %d pods)", e.Name, e.Kind, len(e.Peers), e.Size)
	case len(e.Peers) > 1:
		return fmt.Sprintf("%s (%s, %d pods)", e.Name, e.Kind, len(e.Peers))
	}
	return fmt.Sprintf("%s (%s)", e.Name, e.Kind)
}

// explanations returns the lines that say why group g's flow changed: the
// sides that deny where it is denied, before and after; or which end of
// the flow does not exist on one side.
func (v diffView) explanations(g reach.FlowGroup, added bool) (before, after []string) {
	denied := g.Before
	if !added {
		denied = g.After
	}
	var dirs []model.Direction
	switch allowedV := g.After; {
	case denied != nil:
		for _, s := range []reach.Side{denied.Egress, denied.Ingress} {
			if !s.Allowed {
				dirs = append(dirs, s.Direction)
			}
		}
	default: // an end is missing where the flow is denied: say what allows it
		if !added {
			allowedV = g.Before
		}
		if allowedV != nil {
			for _, s := range []reach.Side{allowedV.Egress, allowedV.Ingress} {
				if s.Reason != reach.NotEndpoint {
					dirs = append(dirs, s.Direction)
				}
			}
		}
	}
	side := func(v *reach.Verdict, d model.Direction) string {
		if d == model.Egress {
			return v.Egress.String()
		}
		return v.Ingress.String()
	}
	describe := func(vd *reach.Verdict, names map[string]bool, missing string) []string {
		if vd == nil {
			var out []string
			for _, p := range []reach.Peer{g.Flow.Src, g.Flow.Dst} {
				if !names[p.String()] {
					out = append(out, p.String()+" "+missing)
				}
			}
			return out
		}
		var out []string
		for _, d := range dirs {
			out = append(out, side(vd, d))
		}
		return out
	}
	return describe(g.Before, v.before, "does not exist yet"), describe(g.After, v.after, "no longer exists")
}

func (v diffView) summary() string {
	count := func(gs []reach.FlowGroup) string {
		if len(gs) == 0 {
			return "none"
		}
		pairs := 0
		for i := range gs {
			pairs += gs[i].Flows()
		}
		return fmt.Sprintf("%s (%s)", plural(len(gs), "group"), plural(pairs, "pair"))
	}
	if v.d.Empty() {
		return "No flow opens or closes."
	}
	return fmt.Sprintf("Newly allowed: %s. Newly denied: %s.", count(v.d.Added), count(v.d.Removed))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (v diffView) text() string {
	var b strings.Builder
	for _, list := range []struct {
		mark   string
		added  bool
		groups []reach.FlowGroup
	}{{"+", true, v.d.Added}, {"-", false, v.d.Removed}} {
		for _, g := range list.groups {
			fmt.Fprintf(&b, "%s %s -> %s  %s\n", list.mark, endLabel(g.Src), endLabel(g.Dst), v.portsLabel(g.Ports))
			before, after := v.explanations(g, list.added)
			for _, l := range before {
				fmt.Fprintf(&b, "    before: %s\n", l)
			}
			for _, l := range after {
				fmt.Fprintf(&b, "    after:  %s\n", l)
			}
		}
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	b.WriteString(v.summary() + "\n")
	if len(v.notes) > 0 {
		b.WriteString("\n")
		for _, n := range v.notes {
			fmt.Fprintf(&b, "note: %s\n", n)
		}
	}
	return b.String()
}

func (v diffView) markdown() string {
	var b strings.Builder
	b.WriteString("### Network reachability changes\n\n")
	b.WriteString(v.summary() + "\n")
	for _, list := range []struct {
		title  string
		added  bool
		groups []reach.FlowGroup
	}{{"Newly allowed", true, v.d.Added}, {"Newly denied", false, v.d.Removed}} {
		if len(list.groups) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n#### %s\n\n", list.title)
		grid := [][]string{{"From", "To", "Ports", "Before", "After"}}
		for _, g := range list.groups {
			before, after := v.explanations(g, list.added)
			grid = append(grid, []string{endLabel(g.Src), endLabel(g.Dst), v.portsLabel(g.Ports),
				strings.Join(before, "<br>"), strings.Join(after, "<br>")})
		}
		writeMarkdownTable(&b, grid)
	}
	if len(v.notes) > 0 {
		b.WriteString("\n")
		for _, n := range v.notes {
			fmt.Fprintf(&b, "- note: %s\n", n)
		}
	}
	return b.String()
}

// The JSON form of diff is part of reach's interface: keep it stable.

type diffDoc struct {
	Added   any `json:"added"`   // []portFlowDoc or []openFlowDoc
	Removed any `json:"removed"` // idem
}

func (v diffView) json() diffDoc {
	return diffDoc{Added: v.flows(v.d.Added, true), Removed: v.flows(v.d.Removed, false)}
}

// flows lists the flows of groups, sorted by source and destination.
func (v diffView) flows(groups []reach.FlowGroup, allowed bool) any {
	type pair struct {
		src, dst string
		ports    reach.PortSet
	}
	var pairs []pair
	for _, g := range groups {
		for _, s := range g.Src.Peers {
			for _, d := range g.Dst.Peers {
				if s != d {
					pairs = append(pairs, pair{s.String(), d.String(), g.Ports})
				}
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Or(strings.Compare(a.src, b.src), strings.Compare(a.dst, b.dst)) })
	if v.ports == nil {
		out := []openFlowDoc{}
		for _, p := range pairs {
			out = append(out, openFlowDoc{Src: p.src, Dst: p.dst, Allowed: allowed, Ports: portSetJSON(p.ports)})
		}
		return out
	}
	out := []portFlowDoc{}
	for _, p := range pairs {
		for _, pp := range v.ports {
			if !p.ports.Contains(pp.Protocol, pp.Port) {
				continue
			}
			f := portFlowDoc{Src: p.src, Dst: p.dst, Protocol: pp.Protocol.String(), Allowed: allowed}
			if pp.Protocol.HasPorts() {
				f.Port = pp.Port
			}
			out = append(out, f)
		}
	}
	return out
}
