package reach

// Expectations: what must and must not talk, written down so that a check
// fails the moment a manifest change breaks it. This file holds the format
// and its parser; expect_check.go evaluates expectations on a cluster.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
	"go.yaml.in/yaml/v3"
)

// MaxExpectFileSize is the largest expectations file ParseExpectations
// reads: 4 MiB, far more than any hand-written file, small enough that a
// file produced by mistake (a log, a binary) is refused at once.
const MaxExpectFileSize = 4 << 20

// ExpectKind says what an Expectation states.
type ExpectKind uint8

// The kinds of expectation.
const (
	// ExpectReach: every source of From can (Allowed) or none can (!Allowed)
	// open a connection to every destination of To, on Port or, without a
	// port, on some port (allowed) / on any port (denied).
	ExpectReach ExpectKind = iota + 1
	// ExpectIsolated: no source of From reaches any destination of To on
	// any port.
	ExpectIsolated
	// ExpectOnly: the sources that reach some destination of To (on Port,
	// or on some port) are exactly those of From: every one of them reaches
	// every destination, and no other endpoint or outside address reaches
	// any.
	ExpectOnly
)

var expectKindNames = [...]string{ExpectReach: "reach", ExpectIsolated: "isolated", ExpectOnly: "only"}

// String returns "reach", "isolated" or "only".
func (k ExpectKind) String() string {
	if int(k) < len(expectKindNames) && expectKindNames[k] != "" {
		return expectKindNames[k]
	}
	return fmt.Sprintf("ExpectKind(%d)", k)
}

// Expectation is one statement of an expectations file. The file is YAML:
//
//	expect:
//	- from: app/frontend          # ExpectReach
//	  to: app/backend
//	  port: 8080/TCP              # optional
//	  allowed: true
//	- isolated:                   # ExpectIsolated
//	    from: {namespace: dev}
//	    to: {namespace: prod}
//	- only:                       # ExpectOnly
//	    to: app/database
//	    port: 5432/TCP            # optional
//	    from: [app/backend]       # a group or a list of groups; [] = nobody
//
// Every statement may also carry "name" (the test name in reports; the
// statement's String by default) and "pending: true" (check the verdict with
// staged policies enforced instead of the enforced one).
//
// A group (from, to) is a string or a mapping, or a list of them (their
// union):
//
//	NAME, NS/NAME   a pod, workload, service or host endpoint (see Resolve);
//	                a service stands for its backends, and a port given with
//	                it is a service port, translated to each backend's
//	                target port
//	IP              an address: the pod or host endpoint that has it, or an
//	                address outside the cluster
//	CIDR            e.g. 0.0.0.0/0: the addresses in it that are no
//	                endpoint's, one representative for every range the
//	                cluster's policies and network sets can tell apart
//	NS/*            every pod of namespace NS
//	*               every pod and host endpoint
//	{namespace: NS, namespaceSelector: SEL, selector: SEL}
//	                the pods (and, with neither namespace field, the host
//	                endpoints) that match all the fields given; selector is
//	                a Calico selector over the labels policy selectors see
//	                (pod labels, projectcalico.org/namespace, pcns.* ...),
//	                namespaceSelector one over the namespace's labels
//	{cidr: CIDR, except: [CIDR, ...]}
//	                as CIDR, without the addresses in the exceptions
//
// A port is PORT[/PROTO]: a number or a named port, and TCP, UDP, SCTP or
// UDPLite (TCP by default); or a protocol without ports alone (ICMP).
//
// A pod never counts as a flow to itself, and a group that denotes no
// endpoint is an error, so that a typo cannot make a check pass.
type Expectation struct {
	Kind ExpectKind
	// Name is the statement's name in reports; empty means String().
	Name string
	// From and To are the two groups; for ExpectOnly, From may be empty
	// (nobody may reach To).
	From, To Group
	// Port is the port checked; the zero value means "any port".
	Port PortSpec
	// Allowed is what ExpectReach states.
	Allowed bool
	// Pending checks the verdict with staged policies enforced.
	Pending bool
	// Pos is where the statement is: File and Line.
	Pos model.Position
}

// Title returns the statement's name, or String() when it has none.
func (e Expectation) Title() string {
	if e.Name != "" {
		return e.Name
	}
	return e.String()
}

// String describes the statement in one line, e.g.
//
//	app/frontend -> app/backend 8080/TCP: allowed
//	frontend -> database: denied
//	{namespace: dev} -> {namespace: prod}: isolated
//	only [app/backend] -> app/database 5432/TCP
func (e Expectation) String() string {
	var b strings.Builder
	switch e.Kind {
	case ExpectOnly:
		fmt.Fprintf(&b, "only [%s] -> %s", e.From.list(), e.To)
		if !e.Port.IsZero() {
			b.WriteString(" " + e.Port.String())
		}
	default:
		fmt.Fprintf(&b, "%s -> %s", e.From, e.To)
		if !e.Port.IsZero() {
			b.WriteString(" " + e.Port.String())
		}
		switch {
		case e.Kind == ExpectIsolated:
			b.WriteString(": isolated")
		case e.Allowed:
			b.WriteString(": allowed")
		default:
			b.WriteString(": denied")
		}
	}
	if e.Pending {
		b.WriteString(" (pending)")
	}
	return b.String()
}

// Group is the union of its items: the flow ends an expectation names.
type Group struct {
	Items []GroupItem
}

// String returns the items separated by ", ", in brackets when there are
// several.
func (g Group) String() string {
	if len(g.Items) == 1 {
		return g.Items[0].String()
	}
	return "[" + g.list() + "]"
}

func (g Group) list() string {
	s := make([]string, len(g.Items))
	for i, it := range g.Items {
		s[i] = it.String()
	}
	return strings.Join(s, ", ")
}

// GroupKind says how a GroupItem names flow ends.
type GroupKind uint8

// The forms of a group item.
const (
	// GroupName: Name is a name, NS/NAME or an IP address.
	GroupName GroupKind = iota + 1
	// GroupFilter: the endpoints matching Namespace, NamespaceSelector and
	// Selector (all of them when none is set).
	GroupFilter
	// GroupCIDR: the outside addresses in CIDR but not in Except.
	GroupCIDR
)

// GroupItem is one way of naming flow ends.
type GroupItem struct {
	Kind GroupKind
	// Name, for GroupName.
	Name string
	// For GroupFilter: a namespace name, and selectors over the namespace's
	// labels and the endpoint's; a zero Selector is all().
	Namespace         string
	NamespaceSelector selector.Selector
	Selector          selector.Selector
	// For GroupCIDR.
	CIDR   netip.Prefix
	Except []netip.Prefix
	// Line is where the item is written.
	Line int
}

// String renders the item as it can be written: a name, "*", "NS/*", a
// CIDR, or a flow mapping such as {namespace: prod, selector: app == "x"}.
func (it GroupItem) String() string {
	switch it.Kind {
	case GroupName:
		return it.Name
	case GroupCIDR:
		if len(it.Except) == 0 {
			return it.CIDR.String()
		}
		ex := make([]string, len(it.Except))
		for i, p := range it.Except {
			ex[i] = p.String()
		}
		return fmt.Sprintf("{cidr: %s, except: [%s]}", it.CIDR, strings.Join(ex, ", "))
	}
	nsSel, sel := !it.NamespaceSelector.IsAll(), !it.Selector.IsAll()
	switch {
	case it.Namespace == "" && !nsSel && !sel:
		return "*"
	case it.Namespace != "" && !nsSel && !sel:
		return it.Namespace + "/*"
	}
	var fields []string
	if it.Namespace != "" {
		fields = append(fields, "namespace: "+it.Namespace)
	}
	if nsSel {
		fields = append(fields, "namespaceSelector: "+yamlFlowString(it.NamespaceSelector.String()))
	}
	if sel {
		fields = append(fields, "selector: "+yamlFlowString(it.Selector.String()))
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// yamlFlowString quotes s for a YAML flow mapping when it must be.
func yamlFlowString(s string) string {
	if strings.ContainsAny(s, ",{}[]:#'\"&*!|>%@`") || strings.TrimSpace(s) != s {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

// PortSpec is the port an expectation is about. The zero value means "any
// port".
type PortSpec struct {
	// Port is a number or a port name; empty for a protocol without ports.
	Port string
	// Protocol is the protocol: TCP when only a port is written.
	Protocol model.Protocol
	// ProtocolGiven reports whether the protocol was written; a named port
	// without a protocol matches a port of that name of any protocol.
	ProtocolGiven bool
}

// IsZero reports whether p is "any port".
func (p PortSpec) IsZero() bool { return p.Protocol == 0 }

// String returns "8080/TCP", "dns/UDP", "http", "ICMP", or "any port".
func (p PortSpec) String() string {
	switch {
	case p.IsZero():
		return "any port"
	case p.Port == "":
		return p.Protocol.String()
	case !p.ProtocolGiven && !isNumber(p.Port):
		return p.Port
	}
	return p.Port + "/" + p.Protocol.String()
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// ParsePortSpec reads PORT[/PROTO] or a protocol without ports.
func ParsePortSpec(s string) (PortSpec, error) {
	if s == "" {
		return PortSpec{}, errors.New("empty port")
	}
	port, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		if p, err := model.ParseProtocol(s); err == nil && !isNumber(s) {
			if p.HasPorts() {
				return PortSpec{}, fmt.Errorf("port %q: %s needs a port number (leave port out for any port)", s, p)
			}
			return PortSpec{Protocol: p, ProtocolGiven: true}, nil
		}
	}
	ps := PortSpec{Port: port, Protocol: model.TCP}
	if hasProto {
		p, err := model.ParseProtocol(proto)
		if err != nil {
			return PortSpec{}, fmt.Errorf("port %q: %w", s, err)
		}
		if !p.HasPorts() {
			return PortSpec{}, fmt.Errorf("port %q: protocol %s has no ports", s, p)
		}
		ps.Protocol, ps.ProtocolGiven = p, true
	}
	if err := checkPort(port); err != nil {
		return PortSpec{}, fmt.Errorf("port %q: %w", s, err)
	}
	if n, err := strconv.Atoi(port); err == nil {
		ps.Port = strconv.Itoa(n) // 08080 is 8080
	}
	return ps, nil
}

// ParseExpectations reads an expectations file (see Expectation); name is
// the file name positions carry. Every problem is reported at once, as a
// model.Problems in line order with the line and field path of each (an
// unknown field is one); the expectations are nil when there is any.
func ParseExpectations(name string, data []byte) ([]Expectation, error) {
	p := &expectParser{file: name}
	if len(data) > MaxExpectFileSize {
		p.fail(0, "", fmt.Sprintf("file is %d bytes, more than the limit of %d", len(data), MaxExpectFileSize))
		return nil, p.problems
	}
	root, err := p.decode(data)
	if err != nil {
		return nil, err
	}
	var out []Expectation
	if root != nil {
		out = p.top(root)
	}
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b *model.Problem) int { return a.Pos.Line - b.Pos.Line })
		return nil, p.problems
	}
	if len(out) == 0 {
		p.fail(max(lineOf(root), 1), "expect", "no expectations: want a list of statements under expect:")
		return nil, p.problems
	}
	return out, nil
}

type expectParser struct {
	file     string
	problems model.Problems
}

func (p *expectParser) fail(line int, field, msg string) {
	line = max(line, 1)
	p.problems = append(p.problems, &model.Problem{Pos: model.Position{File: p.file, Line: line}, Field: field, Msg: msg})
}

// decode parses the YAML; a syntax error is one problem.
func (p *expectParser) decode(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		p.fail(1, "", "empty file: want a mapping with expect:")
		return nil, p.problems
	}
	if err != nil {
		line, msg := yamlErrorLine(err)
		p.fail(max(line, 1), "", "YAML: "+msg)
		return nil, p.problems
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = extra.Line
		} else {
			line, _ = yamlErrorLine(err)
		}
		p.fail(max(line, 1), "", "more than one YAML document: put every statement under one expect:")
		return nil, p.problems
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: (?:unmarshal errors:\s*)?line (\d+): `)

// yamlErrorLine splits "yaml: line 7: did not find expected key" into the
// line and the message. The YAML library counts its parser's lines from 0
// and its scanner's from 1; the parser's messages start "did not find" or
// "found".
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	line, _ := strconv.Atoi(m[1])
	msg = msg[len(m[0]):]
	if strings.HasPrefix(msg, "did not find expected") || strings.HasPrefix(msg, "found ") {
		line++
	}
	return line, msg
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// kv is one key of a mapping.
type kv struct {
	key   string
	line  int
	value *yaml.Node
}

// mapping returns the keys of mapping n in order, reporting a node that is
// not a mapping, duplicate keys and keys that are not in allowed.
func (p *expectParser) mapping(n *yaml.Node, field string, allowed ...string) (map[string]kv, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.fail(lineOf(n), field, fmt.Sprintf("want a mapping with %s", strings.Join(allowed, ", ")))
		return nil, false
	}
	out := map[string]kv{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			p.fail(k.Line, field, "a key must be a string")
			ok = false
			continue
		}
		if _, dup := out[key]; dup {
			p.fail(k.Line, join(field, key), "duplicate field")
			ok = false
			continue
		}
		known := false
		for _, a := range allowed {
			known = known || a == key
		}
		if !known {
			p.fail(k.Line, join(field, key), fmt.Sprintf("unknown field %q (want %s)", key, strings.Join(allowed, ", ")))
			ok = false
			continue
		}
		out[key] = kv{key: key, line: k.Line, value: v}
	}
	return out, ok
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// scalar returns the string value of a scalar node.
func (p *expectParser) scalar(n *yaml.Node, field, what string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.fail(lineOf(n), field, "want "+what)
		return "", false
	}
	return n.Value, true
}

func (p *expectParser) boolean(n *yaml.Node, field string) (bool, bool) {
	n = deref(n)
	var b bool
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		p.fail(lineOf(n), field, "want true or false")
		return false, false
	}
	return b, true
}

// top reads the top-level mapping.
func (p *expectParser) top(root *yaml.Node) []Expectation {
	top, ok := p.mapping(root, "", "expect")
	if !ok {
		return nil
	}
	list, ok := top["expect"]
	if !ok {
		p.fail(root.Line, "expect", "required: the list of statements")
		return nil
	}
	seq := deref(list.value)
	if seq.Kind != yaml.SequenceNode {
		p.fail(seq.Line, "expect", "want a list of statements")
		return nil
	}
	var out []Expectation
	for i, n := range seq.Content {
		if e, ok := p.statement(n, fmt.Sprintf("expect[%d]", i)); ok {
			out = append(out, e)
		}
	}
	return out
}

// statement reads one item of expect.
func (p *expectParser) statement(n *yaml.Node, field string) (Expectation, bool) {
	m, ok := p.mapping(n, field, "name", "from", "to", "port", "allowed", "pending", "isolated", "only")
	if m == nil {
		return Expectation{}, false
	}
	e := Expectation{Pos: model.Position{File: p.file, Line: deref(n).Line}}
	if v, has := m["name"]; has {
		s, good := p.scalar(v.value, join(field, "name"), "a string")
		e.Name, ok = s, ok && good
	}
	if v, has := m["pending"]; has {
		b, good := p.boolean(v.value, join(field, "pending"))
		e.Pending, ok = b, ok && good
	}
	_, iso := m["isolated"]
	_, only := m["only"]
	_, from := m["from"]
	_, to := m["to"]
	_, allowed := m["allowed"]
	_, port := m["port"]
	switch {
	case iso && only:
		p.fail(e.Pos.Line, field, "isolated and only are two statements: write them as two items")
		return e, false
	case (iso || only) && (from || to || allowed || port):
		what := "isolated"
		if only {
			what = "only"
		}
		p.fail(e.Pos.Line, field, fmt.Sprintf("from, to, port and allowed go inside %s:", what))
		return e, false
	case iso:
		e.Kind = ExpectIsolated
		ok = p.isolated(m["isolated"].value, join(field, "isolated"), &e) && ok
	case only:
		e.Kind = ExpectOnly
		ok = p.only(m["only"].value, join(field, "only"), &e) && ok
	default:
		e.Kind = ExpectReach
		ok = p.reach(m, field, &e) && ok
	}
	return e, ok
}

func (p *expectParser) reach(m map[string]kv, field string, e *Expectation) bool {
	ok := true
	for _, k := range []string{"from", "to", "allowed"} {
		if _, has := m[k]; !has {
			p.fail(e.Pos.Line, join(field, k), "required (or write isolated: or only:)")
			ok = false
		}
	}
	if !ok {
		return false
	}
	e.From, ok = p.group(m["from"].value, join(field, "from"), false)
	var good bool
	e.To, good = p.group(m["to"].value, join(field, "to"), false)
	ok = ok && good
	e.Allowed, good = p.boolean(m["allowed"].value, join(field, "allowed"))
	ok = ok && good
	if v, has := m["port"]; has {
		e.Port, good = p.port(v.value, join(field, "port"))
		ok = ok && good
	}
	return ok
}

func (p *expectParser) isolated(n *yaml.Node, field string, e *Expectation) bool {
	m, ok := p.mapping(n, field, "from", "to")
	if m == nil {
		return false
	}
	for _, k := range []string{"from", "to"} {
		if _, has := m[k]; !has {
			p.fail(lineOf(deref(n)), join(field, k), "required")
			return false
		}
	}
	var good bool
	e.From, good = p.group(m["from"].value, join(field, "from"), false)
	ok = ok && good
	e.To, good = p.group(m["to"].value, join(field, "to"), false)
	return ok && good
}

func (p *expectParser) only(n *yaml.Node, field string, e *Expectation) bool {
	m, ok := p.mapping(n, field, "from", "to", "port")
	if m == nil {
		return false
	}
	for _, k := range []string{"from", "to"} {
		if _, has := m[k]; !has {
			p.fail(lineOf(deref(n)), join(field, k), "required (from: [] means no source at all)")
			return false
		}
	}
	var good bool
	e.From, good = p.group(m["from"].value, join(field, "from"), true)
	ok = ok && good
	e.To, good = p.group(m["to"].value, join(field, "to"), false)
	ok = ok && good
	if v, has := m["port"]; has {
		e.Port, good = p.port(v.value, join(field, "port"))
		ok = ok && good
	}
	return ok
}

func (p *expectParser) port(n *yaml.Node, field string) (PortSpec, bool) {
	s, ok := p.scalar(n, field, "a port: PORT[/PROTO]")
	if !ok {
		return PortSpec{}, false
	}
	ps, err := ParsePortSpec(s)
	if err != nil {
		p.fail(deref(n).Line, field, err.Error())
		return PortSpec{}, false
	}
	return ps, true
}

// group reads a group: an item or a list of items. A list may be empty only
// when emptyOK.
func (p *expectParser) group(n *yaml.Node, field string, emptyOK bool) (Group, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 && !emptyOK {
			p.fail(n.Line, field, "empty list: name at least one endpoint")
			return Group{}, false
		}
		g := Group{Items: []GroupItem{}}
		ok := true
		for i, c := range n.Content {
			it, good := p.item(c, fmt.Sprintf("%s[%d]", field, i))
			ok = ok && good
			g.Items = append(g.Items, it)
		}
		return g, ok
	}
	it, ok := p.item(n, field)
	return Group{Items: []GroupItem{it}}, ok
}

// item reads one group item: a string or a mapping.
func (p *expectParser) item(n *yaml.Node, field string) (GroupItem, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.MappingNode {
		return p.itemMapping(n, field)
	}
	s, ok := p.scalar(n, field, "a name, NS/NAME, NS/*, *, an IP address, a CIDR or a mapping")
	if !ok {
		return GroupItem{}, false
	}
	it, err := ParseGroupItem(s)
	if err != nil {
		p.fail(n.Line, field, err.Error())
		return GroupItem{}, false
	}
	it.Line = n.Line
	return it, true
}

func (p *expectParser) itemMapping(n *yaml.Node, field string) (GroupItem, bool) {
	m, ok := p.mapping(n, field, "namespace", "namespaceSelector", "selector", "cidr", "except")
	if m == nil {
		return GroupItem{}, false
	}
	it := GroupItem{Kind: GroupFilter, Line: n.Line}
	_, hasCIDR := m["cidr"]
	_, hasExcept := m["except"]
	if hasCIDR || hasExcept {
		if len(m) != 1 && !(len(m) == 2 && hasCIDR && hasExcept) {
			p.fail(n.Line, field, "cidr and except cannot be mixed with namespace or selectors")
			return it, false
		}
		if !hasCIDR {
			p.fail(n.Line, join(field, "cidr"), "required with except")
			return it, false
		}
		return p.cidrItem(m, field, n.Line)
	}
	if v, has := m["namespace"]; has {
		s, good := p.scalar(v.value, join(field, "namespace"), "a namespace name")
		if good && !isDNSName(s) {
			p.fail(deref(v.value).Line, join(field, "namespace"), fmt.Sprintf("%q is not a namespace name", s))
			good = false
		}
		it.Namespace, ok = s, ok && good
	}
	for _, k := range []string{"namespaceSelector", "selector"} {
		v, has := m[k]
		if !has {
			continue
		}
		s, good := p.scalar(v.value, join(field, k), "a Calico selector")
		if !good {
			ok = false
			continue
		}
		sel, err := selector.Parse(s)
		if err == nil {
			err = sel.Validate()
		}
		if err == nil && sel.HasGlobal() {
			err = errors.New("global() has no meaning here")
		}
		if err != nil {
			p.fail(deref(v.value).Line, join(field, k), err.Error())
			ok = false
			continue
		}
		if k == "selector" {
			it.Selector = sel
		} else {
			it.NamespaceSelector = sel
		}
	}
	return it, ok
}

func (p *expectParser) cidrItem(m map[string]kv, field string, line int) (GroupItem, bool) {
	it := GroupItem{Kind: GroupCIDR, Line: line}
	s, ok := p.scalar(m["cidr"].value, join(field, "cidr"), "a CIDR")
	if !ok {
		return it, false
	}
	pfx, err := parseCIDR(s)
	if err != nil {
		p.fail(deref(m["cidr"].value).Line, join(field, "cidr"), err.Error())
		return it, false
	}
	it.CIDR = pfx
	if v, has := m["except"]; has {
		seq := deref(v.value)
		if seq.Kind != yaml.SequenceNode {
			p.fail(seq.Line, join(field, "except"), "want a list of CIDRs")
			return it, false
		}
		for i, c := range seq.Content {
			f := fmt.Sprintf("%s.except[%d]", field, i)
			s, good := p.scalar(c, f, "a CIDR")
			if !good {
				ok = false
				continue
			}
			ex, err := parseCIDR(s)
			if err == nil && ex.Addr().Is4() != pfx.Addr().Is4() {
				err = fmt.Errorf("%s is not of the family of %s", ex, pfx)
			}
			if err != nil {
				p.fail(deref(c).Line, f, err.Error())
				ok = false
				continue
			}
			it.Except = append(it.Except, ex)
		}
	}
	return it, ok
}

// parseCIDR reads a CIDR and requires its host bits to be zero, so that
// what is written is what is checked.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q: IPv4-mapped IPv6 CIDRs are not supported", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set: did you mean %s?", s, p.Masked())
	}
	return p, nil
}

// ParseGroupItem reads the string form of a group item: "*", "NS/*", a CIDR,
// an IP address, a name or NS/NAME.
func ParseGroupItem(s string) (GroupItem, error) {
	switch {
	case s == "*":
		return GroupItem{Kind: GroupFilter}, nil
	case strings.HasSuffix(s, "/*"):
		ns := strings.TrimSuffix(s, "/*")
		if !isDNSName(ns) {
			return GroupItem{}, fmt.Errorf("%q: %q is not a namespace name", s, ns)
		}
		return GroupItem{Kind: GroupFilter, Namespace: ns}, nil
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return GroupItem{Kind: GroupName, Name: s}, nil
	}
	if addr, _, ok := strings.Cut(s, "/"); ok {
		if _, err := netip.ParseAddr(addr); err == nil {
			p, err := parseCIDR(s)
			if err != nil {
				return GroupItem{}, err
			}
			return GroupItem{Kind: GroupCIDR, CIDR: p}, nil
		}
	}
	if err := checkName(s, s, 0, "name"); err != nil {
		return GroupItem{}, fmt.Errorf("%q: want NAME, NS/NAME, NS/*, *, an IP address or a CIDR", s)
	}
	return GroupItem{Kind: GroupName, Name: s}, nil
}
