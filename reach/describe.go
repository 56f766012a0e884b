package reach

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

// Description is what governs one pod's traffic, without a flow in mind:
// for each direction, the tiers whose policies select the pod in evaluation
// order, those policies with their rules in plain words, and what decides a
// packet that no rule decides. Describe builds it; String renders it.
type Description struct {
	Pod *model.Pod
	// Ingress and Egress describe the two directions. For a host-network
	// pod, which is not a Calico endpoint, both have no tiers.
	Ingress, Egress DirectionDescription
}

// DirectionDescription is one direction of a Description.
type DirectionDescription struct {
	Direction model.Direction
	// Tiers are the tiers with a policy that selects the pod in this
	// direction (staged and host-only policies included), in evaluation
	// order. Empty when no policy selects the pod.
	Tiers []TierDescription
	// Otherwise is what decides a packet no rule of an enforced policy
	// decides.
	Otherwise Fallback
}

// TierDescription is one tier of a DirectionDescription.
type TierDescription struct {
	Tier *model.Tier
	// Applies reports whether an enforced policy of the tier selects the pod,
	// so that the tier's default action takes part. A tier selected only by
	// staged or host-only policies does not apply.
	Applies bool
	// Policies are the tier's policies that select the pod, in evaluation
	// order.
	Policies []PolicyDescription
}

// PolicyDescription is one policy that selects the pod.
type PolicyDescription struct {
	Policy *model.Policy
	// Enforced reports whether the policy takes part in the enforced verdict:
	// it is neither staged nor host-only (preDNAT, doNotTrack).
	Enforced bool
	// AppliesTo is the policy's selector in words, e.g.
	// `pods where app == "web" in namespace prod`.
	AppliesTo string
	// Rules are the policy's rules of this direction, in order.
	Rules []RuleDescription
}

// RuleDescription is one rule of a policy, in words.
type RuleDescription struct {
	// Rule is the rule, in its policy.
	Rule *model.Rule
	// Text says what the rule does, e.g.
	// `Allow TCP to port 8080 from pods where app == "web" in namespace prod`.
	Text string
}

// Fallback is what decides a packet that no rule decides.
type Fallback struct {
	// Allowed is the outcome.
	Allowed bool
	// NotEndpoint is set for a host-network pod: not a Calico endpoint, so
	// no policy applies and every packet is allowed.
	NotEndpoint bool
	// Passed lists the applicable tiers whose default action Pass hands the
	// packet on, in order, before Tier or Profile decides.
	Passed []string
	// Tier is the first applicable tier whose default action is not Pass:
	// the end of that tier drops the packet. Nil when the profiles decide.
	Tier *model.Tier
	// Profile is the profile that decides when Tier is nil: the namespace
	// profile kns.<namespace>, which allows everything.
	Profile string
}

// String says what happens, e.g. "denied at the end of tier default
// (default action Deny)".
func (f Fallback) String() string {
	switch {
	case f.NotEndpoint:
		return "allowed: a host-network pod is not a Calico endpoint, so no policy applies"
	case f.Tier != nil:
		return fmt.Sprintf("denied at the end of tier %s (default action %s)%s", f.Tier.Name, f.Tier.DefaultAction, passedAfter(f.Passed))
	}
	why := " (no policy selects the pod)"
	if len(f.Passed) > 0 {
		why = passedAfter(f.Passed)
	}
	return fmt.Sprintf("%s by namespace profile %s%s", verdictWord(f.Allowed), f.Profile, why)
}

func passedAfter(passed []string) string {
	if len(passed) == 0 {
		return ""
	}
	return ", after " + tiersPassed(passed)
}

// Describe describes what governs pod p of cluster c.
func Describe(c *model.Cluster, p *model.Pod) Description {
	d := Description{Pod: p}
	for _, dir := range []model.Direction{model.Ingress, model.Egress} {
		dd := describeDirection(c, p, dir)
		if dir == model.Ingress {
			d.Ingress = dd
		} else {
			d.Egress = dd
		}
	}
	return d
}

func describeDirection(c *model.Cluster, p *model.Pod, dir model.Direction) DirectionDescription {
	dd := DirectionDescription{Direction: dir}
	if p.HostNetwork {
		dd.Otherwise = Fallback{Allowed: true, NotEndpoint: true}
		return dd
	}
	labels := endpoint{pod: p}.labels()
	for _, t := range c.Tiers {
		td := TierDescription{Tier: t}
		for _, pol := range t.Policies {
			if !pol.Governs(dir) || !pol.Selector.Matches(labels) {
				continue
			}
			pd := PolicyDescription{
				Policy:    pol,
				Enforced:  !pol.Staged && !pol.HostOnly,
				AppliesTo: describeSelector(pol.Selector),
			}
			rules := pol.Rules(dir)
			for i := range rules {
				pd.Rules = append(pd.Rules, RuleDescription{Rule: &rules[i], Text: describeRule(rules[i], dir)})
			}
			td.Applies = td.Applies || pd.Enforced
			td.Policies = append(td.Policies, pd)
		}
		if len(td.Policies) > 0 {
			dd.Tiers = append(dd.Tiers, td)
		}
	}
	dd.Otherwise = fallback(p, dd.Tiers)
	return dd
}

// fallback follows the applicable tiers' default actions as Evaluate does:
// Pass hands on, anything else drops; after the last tier the namespace
// profile allows.
func fallback(p *model.Pod, tiers []TierDescription) Fallback {
	var f Fallback
	for _, td := range tiers {
		if !td.Applies {
			continue
		}
		if td.Tier.DefaultAction != model.Pass {
			f.Tier = td.Tier
			return f
		}
		f.Passed = append(f.Passed, td.Tier.Name)
	}
	f.Allowed, f.Profile = true, "kns."+p.Namespace
	return f
}

// String renders the description for a terminal, e.g.
//
//	pod prod/db-0 (StatefulSet prod/db), labels {app=db}
//	ingress:
//	  tier default (order 1000000, default action Deny)
//	    KubernetesNetworkPolicy prod/allow-web (order 1000, db.yaml:3)
//	      applies to pods where app == "db" in namespace prod
//	      rule 0: Allow TCP to port 5432 from pods where app == "web" in namespace prod (spec.ingress[0].from[0] ports[0])
//	  otherwise: denied at the end of tier default (default action Deny)
//	egress:
//	  no policy selects it
//	  otherwise: allowed by namespace profile kns.prod (no policy selects the pod)
func (d Description) String() string {
	var b strings.Builder
	b.WriteString("pod " + d.Pod.ID())
	if w := d.Pod.Workload; w != nil {
		fmt.Fprintf(&b, " (%s %s/%s)", w.Kind, d.Pod.Namespace, w.Name)
	}
	fmt.Fprintf(&b, ", labels %s\n", labelSet(d.Pod.Labels))
	if d.Pod.HostNetwork {
		b.WriteString("host network: not a Calico endpoint, no policy applies in either direction\n")
	}
	for _, dd := range []DirectionDescription{d.Ingress, d.Egress} {
		dd.write(&b)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (dd DirectionDescription) write(b *strings.Builder) {
	dir := strings.ToLower(dd.Direction.String())
	b.WriteString(dir + ":\n")
	if len(dd.Tiers) == 0 && !dd.Otherwise.NotEndpoint {
		b.WriteString("  no policy selects it\n")
	}
	for _, td := range dd.Tiers {
		fmt.Fprintf(b, "  tier %s (order %s, default action %s)", td.Tier.Name, orderText(td.Tier.Order), td.Tier.DefaultAction)
		if !td.Applies {
			b.WriteString(": only policies that are not enforced select it, so the tier does not apply")
		}
		b.WriteString("\n")
		for _, pd := range td.Policies {
			pd.write(b, dir)
		}
	}
	fmt.Fprintf(b, "  otherwise: %s\n", dd.Otherwise)
}

func (pd PolicyDescription) write(b *strings.Builder, dir string) {
	pol := pd.Policy
	attrs := []string{"order " + orderText(pol.Order)}
	if pol.Source.File != "" {
		attrs = append(attrs, pol.Source.File+":"+strconv.Itoa(pol.Source.Line))
	}
	status := ""
	if st := pd.Status(); st != "" {
		status = " [" + st + "]"
	}
	fmt.Fprintf(b, "    %s (%s)%s\n", pol.ID(), strings.Join(attrs, ", "), status)
	fmt.Fprintf(b, "      applies to %s\n", pd.AppliesTo)
	for _, n := range pol.Notes {
		fmt.Fprintf(b, "      note: %s\n", n)
	}
	if len(pd.Rules) == 0 {
		fmt.Fprintf(b, "      no %s rules: selects the pod, allows nothing\n", dir)
	}
	for i, r := range pd.Rules {
		fmt.Fprintf(b, "      rule %d: %s", i, r.Text)
		if r.Rule.Origin != "" {
			fmt.Fprintf(b, " (%s)", r.Rule.Origin)
		}
		b.WriteString("\n")
	}
}

// Status says why the policy takes no part in the enforced verdict, e.g.
// "staged Set: not enforced, counts for the pending verdict", or returns ""
// when it is enforced.
func (pd PolicyDescription) Status() string {
	pol := pd.Policy
	switch {
	case pol.Staged && pol.StagedAction == stagedDelete:
		return "staged Delete: never applies"
	case pol.Staged:
		action := pol.StagedAction
		if action == "" {
			action = "Set"
		}
		return "staged " + action + ": not enforced, counts for the pending verdict"
	case pol.HostOnly:
		return "host endpoints only: never applies to pods"
	}
	return ""
}

func orderText(o *float64) string {
	if o == nil {
		return "none"
	}
	return strconv.FormatFloat(*o, 'f', -1, 64)
}

func labelSet(m map[string]string) string {
	s := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s = append(s, k+"="+m[k])
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// describeRule renders rule r of direction dir in words: the action, the
// protocol, the destination (ports first), then the source.
func describeRule(r model.Rule, dir model.Direction) string {
	parts := []string{r.Action.String(), protocolText(r)}
	if r.IPVersion != 0 {
		parts = append(parts, "over IPv"+strconv.Itoa(r.IPVersion))
	}
	dst, dstPorts := entityText(r.Destination), portsText(r.Destination)
	switch {
	case dstPorts != "" && dst != "":
		parts = append(parts, "to "+dstPorts+" of "+dst)
	case dstPorts != "":
		parts = append(parts, "to "+dstPorts)
	case dst != "":
		parts = append(parts, "to "+dst)
	case dir == model.Egress:
		parts = append(parts, "to anywhere")
	}
	src := entityText(r.Source)
	switch {
	case src != "":
		parts = append(parts, "from "+src)
	case dir == model.Ingress:
		parts = append(parts, "from anywhere")
	}
	if srcPorts := portsText(r.Source); srcPorts != "" {
		parts = append(parts, "using source "+srcPorts)
	}
	if h := r.HTTP; h != nil {
		parts = append(parts, httpText(h))
	}
	return strings.Join(parts, " ")
}

func protocolText(r model.Rule) string {
	var s string
	switch {
	case r.Protocol != 0:
		s = r.Protocol.String()
	case r.NotProtocol != 0:
		s = "any protocol but " + r.NotProtocol.String()
	default:
		s = "any protocol"
	}
	if r.Protocol != 0 && r.NotProtocol != 0 {
		s += " (not " + r.NotProtocol.String() + ")"
	}
	if r.ICMP != nil {
		s += " " + icmpText(r.ICMP)
	}
	if r.NotICMP != nil {
		s += " except " + icmpText(r.NotICMP)
	}
	return s
}

func icmpText(m *model.ICMPMatch) string {
	s := "type " + strconv.Itoa(m.Type)
	if m.Code != nil {
		s += " code " + strconv.Itoa(*m.Code)
	}
	return s
}

func httpText(h *model.HTTPMatch) string {
	var cond []string
	if len(h.Methods) > 0 {
		cond = append(cond, "method "+strings.Join(h.Methods, " or "))
	}
	if len(h.Paths) > 0 {
		cond = append(cond, "path "+strings.Join(h.Paths, " or "))
	}
	return "if HTTP " + strings.Join(cond, " and ") + " (not checked: reach decides at L3/L4)"
}

// portsText returns "port 80", "ports 80, 443, http" or "any port but 22",
// or "" when the entity leaves ports free.
func portsText(e model.EntityMatch) string {
	var s string
	switch len(e.Ports) {
	case 0:
	case 1:
		s = "port " + e.Ports[0].String()
	default:
		s = "ports " + joinPorts(e.Ports)
	}
	if len(e.NotPorts) > 0 {
		if s == "" {
			s = "any port"
		}
		s += " but " + joinPorts(e.NotPorts)
	}
	return s
}

func joinPorts(ps []model.PortMatch) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// entityText describes which addresses an entity matches, ports aside, or
// returns "" when it matches every address.
func entityText(e model.EntityMatch) string {
	var parts []string
	if e.Selector != nil {
		parts = append(parts, describeSelector(*e.Selector))
	}
	if len(e.Nets) > 0 {
		s := "addresses in " + orList(stringsOf(e.Nets))
		if len(parts) > 0 {
			s = "at " + s
		}
		parts = append(parts, s)
	}
	if len(e.NotNets) > 0 {
		s := "not in " + orList(stringsOf(e.NotNets))
		if len(parts) == 0 {
			s = "addresses " + s
		} else {
			s = "but " + s
		}
		parts = append(parts, s)
	}
	if e.NotSelector != nil {
		s := "except " + describeSelector(*e.NotSelector)
		if len(parts) == 0 {
			s = "any address " + s
		}
		parts = append(parts, s)
	}
	if sv := e.Services; sv != nil {
		name := sv.Name
		if sv.Namespace != "" {
			name = sv.Namespace + "/" + sv.Name
		}
		parts = append(parts, "the backends of service "+name)
	}
	if len(e.Domains) > 0 {
		parts = append(parts, "domains "+strings.Join(e.Domains, ", ")+" (Calico Enterprise: never matched offline)")
	}
	return strings.Join(parts, " ")
}

func stringsOf[T fmt.Stringer](xs []T) []string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return s
}

// orList joins "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// describeSelector renders an endpoint selector in words: the conjuncts
// Calico adds for scoping become "pods" (projectcalico.org/orchestrator ==
// "k8s"), "in namespace X" and "with service account X"; the rest is kept
// in Calico's canonical spelling after "where". It never drops a
// conjunct: what it cannot word is printed as it is.
func describeSelector(s selector.Selector) string {
	if s.IsAll() {
		return "every endpoint"
	}
	noun := "endpoints"
	var where, scope []string
	anyNamespace := false
	for _, c := range conjuncts(s) {
		text := c.String()
		switch {
		case c.IsAll():
			// A no-op conjunct, left by scoping all().
		case text == selector.Eq(model.LabelOrchestrator, model.OrchestratorK8s).String():
			noun = "pods"
		case text == selector.Has(model.LabelNamespace).String():
			anyNamespace = true
		case text == selector.Not(selector.Has(model.LabelNamespace)).String():
			scope = append(scope, "outside every namespace")
		default:
			if ns, ok := eqValue(c, model.LabelNamespace); ok {
				scope = append(scope, "in namespace "+ns)
			} else if sas, ok := inValues(c, model.LabelServiceAccount); ok {
				scope = append(scope, serviceAccounts(sas))
			} else if sc, ok := profileScope(c, model.NamespacePrefix, "namespace", model.LabelK8sNamespace); ok {
				scope = append(scope, sc)
			} else if sc, ok := profileScope(c, model.ServiceAcctPrefix, "service account", model.LabelName); ok {
				scope = append(scope, sc)
			} else {
				where = append(where, text)
			}
		}
	}
	if anyNamespace && !slices.ContainsFunc(scope, func(s string) bool { return strings.HasPrefix(s, "in namespace") }) {
		scope = append(scope, "in any namespace")
	}
	if noun == "endpoints" && len(where) == 0 && len(scope) == 0 {
		return "every endpoint"
	}
	out := noun
	if len(where) > 0 {
		out += " where " + strings.Join(where, " && ")
	}
	for _, sc := range scope {
		out += " " + sc
	}
	return out
}

func serviceAccounts(names []string) string {
	if len(names) == 1 {
		return "with service account " + names[0]
	}
	return "with service accounts " + orList(names)
}

// profileScope words a conjunct on inherited labels (every key prefixed by
// prefix): "in namespace X" / "with service account X" when it names one,
// else "in namespaces where ..." with the prefix removed.
func profileScope(c selector.Selector, prefix, what, nameKey string) (string, bool) {
	keys := c.LabelKeys()
	if len(keys) == 0 {
		return "", false
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			return "", false
		}
	}
	inner, err := selector.Parse(stripLabelPrefix(c.String(), prefix))
	if err != nil || inner.PrefixLabels(prefix).String() != c.String() {
		return "", false
	}
	verb := "in "
	if what == "service account" {
		verb = "with "
	}
	for _, k := range []string{nameKey, model.LabelName} {
		if v, ok := eqValue(inner, k); ok {
			return verb + what + " " + v, true
		}
	}
	return verb + what + "s where " + inner.String(), true
}

// eqValue returns v when s is exactly key == v.
func eqValue(s selector.Selector, key string) (string, bool) {
	text := s.String()
	rest, ok := strings.CutPrefix(text, key+" == ")
	if !ok || len(rest) < 2 {
		return "", false
	}
	v := rest[1 : len(rest)-1]
	if selector.Eq(key, v).String() != text {
		return "", false
	}
	return v, true
}

// inValues returns the values when s is exactly key == v or key in {v...}
// with at least one value.
func inValues(s selector.Selector, key string) ([]string, bool) {
	if v, ok := eqValue(s, key); ok {
		return []string{v}, true
	}
	text := s.String()
	rest, ok := strings.CutPrefix(text, key+" in {")
	if !ok || !strings.HasSuffix(rest, "}") {
		return nil, false
	}
	rest = rest[:len(rest)-1]
	var values []string
	for rest != "" {
		q := rest[0]
		end := strings.IndexByte(rest[1:], q)
		if (q != '"' && q != '\'') || end < 0 {
			return nil, false
		}
		values = append(values, rest[1:end+1])
		rest = strings.TrimPrefix(rest[end+2:], ", ")
	}
	if len(values) == 0 || selector.In(key, values...).String() != text {
		return nil, false
	}
	return values, true
}

// conjuncts splits s at its top-level &&, flattening nested && groups. A
// selector that is not an && group is its only conjunct.
func conjuncts(s selector.Selector) []selector.Selector {
	text := s.String()
	pieces, ok := splitAnd(text)
	if !ok {
		return []selector.Selector{s}
	}
	var out []selector.Selector
	for _, p := range pieces {
		ps, err := selector.Parse(p)
		if err != nil {
			return []selector.Selector{s}
		}
		out = append(out, conjuncts(ps)...)
	}
	return out
}

// splitAnd splits the canonical text of an && group, "(a && b && c)", into
// its operands. It reports false for anything else.
func splitAnd(text string) ([]string, bool) {
	if len(text) < 2 || text[0] != '(' || text[len(text)-1] != ')' {
		return nil, false
	}
	inner := text[1 : len(text)-1]
	var pieces []string
	depth, start, quote := 0, 0, byte(0)
	for i := 0; i < len(inner); i++ {
		ch := inner[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '(' || ch == '{':
			depth++
		case ch == ')' || ch == '}':
			depth--
			if depth < 0 {
				return nil, false // the first '(' closes before the end
			}
		case depth == 0 && strings.HasPrefix(inner[i:], " || "):
			return nil, false
		case depth == 0 && strings.HasPrefix(inner[i:], " && "):
			pieces = append(pieces, inner[start:i])
			i += len(" && ") - 1
			start = i + 1
		}
	}
	if depth != 0 || quote != 0 || len(pieces) == 0 {
		return nil, false
	}
	return append(pieces, inner[start:]), true
}

// stripLabelPrefix removes prefix from the start of every label key of a
// canonical selector text, leaving quoted values alone.
func stripLabelPrefix(text, prefix string) string {
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case (i == 0 || !isLabelByte(text[i-1])) && strings.HasPrefix(text[i:], prefix):
			i += len(prefix) - 1
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func isLabelByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '/' || c == '-'
}
