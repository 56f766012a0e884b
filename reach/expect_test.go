package reach_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
)

// Helpers of this file carry an "xp" prefix so they do not collide with the
// helpers of other test files of the package.

// xpDump renders expectations for comparison: name, statement and the
// group items, without positions.
func xpDump(exps []reach.Expectation) string {
	var b strings.Builder
	for _, e := range exps {
		fmt.Fprintf(&b, "%s | %s\n", e.Name, e)
	}
	return b.String()
}

// xpFormat writes expectations back as a file: the tiny dump format the
// round-trip fuzz test uses. The YAML library does the quoting.
func xpFormat(t testing.TB, exps []reach.Expectation) []byte {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: "!!str"} }
	boolean := func(b bool) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(b), Tag: "!!bool"} }
	mapping := func(kv ...any) *yaml.Node {
		n := &yaml.Node{Kind: yaml.MappingNode}
		for i := 0; i < len(kv); i += 2 {
			n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
		}
		return n
	}
	item := func(it reach.GroupItem) *yaml.Node {
		switch it.Kind {
		case reach.GroupName:
			return str(it.Name)
		case reach.GroupCIDR:
			ex := &yaml.Node{Kind: yaml.SequenceNode}
			for _, p := range it.Except {
				ex.Content = append(ex.Content, str(p.String()))
			}
			return mapping("cidr", str(it.CIDR.String()), "except", ex)
		}
		m := mapping()
		if it.Namespace != "" {
			m.Content = append(m.Content, str("namespace"), str(it.Namespace))
		}
		if !it.NamespaceSelector.IsAll() {
			m.Content = append(m.Content, str("namespaceSelector"), str(it.NamespaceSelector.String()))
		}
		if !it.Selector.IsAll() {
			m.Content = append(m.Content, str("selector"), str(it.Selector.String()))
		}
		return m
	}
	group := func(g reach.Group) *yaml.Node {
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, it := range g.Items {
			n.Content = append(n.Content, item(it))
		}
		return n
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for _, e := range exps {
		st := mapping()
		add := func(k string, v *yaml.Node) { st.Content = append(st.Content, str(k), v) }
		if e.Name != "" {
			add("name", str(e.Name))
		}
		if e.Pending {
			add("pending", boolean(true))
		}
		var port *yaml.Node
		if !e.Port.IsZero() {
			port = str(e.Port.String())
		}
		switch e.Kind {
		case reach.ExpectReach:
			add("from", group(e.From))
			add("to", group(e.To))
			if port != nil {
				add("port", port)
			}
			add("allowed", boolean(e.Allowed))
		case reach.ExpectIsolated:
			add("isolated", mapping("from", group(e.From), "to", group(e.To)))
		case reach.ExpectOnly:
			m := mapping("to", group(e.To), "from", group(e.From))
			if port != nil {
				m.Content = append(m.Content, str("port"), port)
			}
			add("only", m)
		}
		list.Content = append(list.Content, st)
	}
	out, err := yaml.Marshal(mapping("expect", list))
	require.NoError(t, err)
	return out
}

func TestParseExpectations(t *testing.T) {
	const file = `expect:
- from: app/frontend
  to: app/backend
  port: 8080/TCP
  allowed: true
- name: frontend never reaches the database
  from: frontend
  to: database
  allowed: false
- isolated:
    from: {namespace: dev}
    to: [prod/*, "*"]
- only:
    to: app/database
    port: 5432
    from: [app/backend, {selector: "role == 'admin'", namespaceSelector: "team in {'a'}"}]
- only: {to: db, from: []}
  pending: true
- from: 10.0.0.1
  to: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
  port: dns/udp
  allowed: true
- from: 192.168.0.0/16
  to: fd00::1
  port: ICMP
  allowed: false
- from: a
  to: b
  port: http
  allowed: True
`
	exps, err := reach.ParseExpectations("expect.yaml", []byte(file))
	require.NoError(t, err)
	want := ` | app/frontend -> app/backend 8080/TCP: allowed
frontend never reaches the database | frontend -> database: denied
 | dev/* -> [prod/*, *]: isolated
 | only [app/backend, {namespaceSelector: 'team in {"a"}', selector: 'role == "admin"'}] -> app/database 5432/TCP
 | only [] -> db (pending)
 | 10.0.0.1 -> {cidr: 0.0.0.0/0, except: [10.0.0.0/8]} dns/UDP: allowed
 | 192.168.0.0/16 -> fd00::1 ICMP: denied
 | a -> b http: allowed
`
	assert.Equal(t, want, xpDump(exps))
	lines := make([]int, len(exps))
	for i, e := range exps {
		lines[i] = e.Pos.Line
		assert.Equal(t, "expect.yaml", e.Pos.File)
	}
	assert.Equal(t, []int{2, 6, 10, 13, 17, 19, 23, 27}, lines)
	assert.Equal(t, "frontend never reaches the database", exps[1].Title())
	assert.Equal(t, exps[0].String(), exps[0].Title())

	again, err := reach.ParseExpectations("again.yaml", xpFormat(t, exps))
	require.NoError(t, err)
	assert.Equal(t, want, xpDump(again), "round trip")
}

func TestParseExpectationsErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string // every problem, one a line
	}{
		{name: "empty", input: "", want: "e.yaml:1: empty file: want a mapping with expect:"},
		{name: "no statements", input: "expect: []\n", want: "e.yaml:1: expect: no expectations: want a list of statements under expect:"},
		{name: "not a mapping", input: "- a\n", want: "e.yaml:1: want a mapping with expect"},
		{name: "unknown top field", input: "expect: []\nexpected: 1\n",
			want: `e.yaml:2: expected: unknown field "expected" (want expect)`},
		{name: "syntax", input: "expect:\n- from: [a\n  to: b\n",
			want: "e.yaml:2: YAML: did not find expected ',' or ']'"},
		{name: "two documents", input: "expect: []\n---\nexpect: []\n",
			want: "e.yaml:2: more than one YAML document: put every statement under one expect:"},
		{name: "every problem at once", input: `expect:
- from: a
  too: b
  allowed: yes
- isolated: {from: a}
- from: a
  to: b
  port: 99999
  allowed: true
- from: a
  to: 10.0.0.1/8
  allowed: true
- from: {selector: "app = 'x'"}
  to: {cidr: 10.0.0.0/8, namespace: x}
  allowed: true
- from: []
  to: {namespace: Bad_NS}
  allowed: false
- from: a
  to: b
  allowed: true
  isolated: {from: a, to: b}
- only: {to: a, from: [b], port: TCP}
- name: [x]
  pending: 1
  from: "a b"
  to: fd00::/8
  allowed: true
- from: a
  from: b
  to: c
  allowed: true
- only: {to: a, from: [{cidr: 10.0.0.0/8, except: [fd00::/8]}, {except: [10.0.0.0/8]}]}
`,
			want: `e.yaml:2: expect[0].to: required (or write isolated: or only:)
e.yaml:3: expect[0].too: unknown field "too" (want name, from, to, port, allowed, pending, isolated, only)
e.yaml:5: expect[1].isolated.to: required
e.yaml:8: expect[2].port: port "99999": port 99999 out of range 1-65535
e.yaml:11: expect[3].to: "10.0.0.1/8" has host bits set: did you mean 10.0.0.0/8?
e.yaml:13: expect[4].from.selector: selector "app = 'x'": offset 4: expected "==", found "="
e.yaml:14: expect[4].to: cidr and except cannot be mixed with namespace or selectors
e.yaml:16: expect[5].from: empty list: name at least one endpoint
e.yaml:17: expect[5].to.namespace: "Bad_NS" is not a namespace name
e.yaml:19: expect[6]: from, to, port and allowed go inside isolated:
e.yaml:23: expect[7].only.port: port "TCP": TCP needs a port number (leave port out for any port)
e.yaml:24: expect[8].name: want a string
e.yaml:25: expect[8].pending: want true or false
e.yaml:26: expect[8].from: "a b": want NAME, NS/NAME, NS/*, *, an IP address or a CIDR
e.yaml:30: expect[9].from: duplicate field
e.yaml:33: expect[10].only.from[0].except[0]: fd00::/8 is not of the family of 10.0.0.0/8
e.yaml:33: expect[10].only.from[1].cidr: required with except`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exps, err := reach.ParseExpectations("e.yaml", []byte(tc.input))
			require.Error(t, err)
			assert.Nil(t, exps)
			assert.Equal(t, tc.want, err.Error())
			for _, p := range model.AsProblems(err) {
				assert.Equal(t, "e.yaml", p.Pos.File)
				assert.Positive(t, p.Pos.Line, p.Error())
			}
		})
	}
}

func TestParseExpectationsSizeLimit(t *testing.T) {
	big := "expect: []\n" + strings.Repeat("#", reach.MaxExpectFileSize)
	_, err := reach.ParseExpectations("big.yaml", []byte(big))
	require.ErrorContains(t, err, "big.yaml:1: file is 4194315 bytes, more than the limit of 4194304")
}

func TestParsePortSpec(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "80", want: "80/TCP"},
		{in: "080/udp", want: "80/UDP"},
		{in: "53/UDP", want: "53/UDP"},
		{in: "dns", want: "dns"},
		{in: "dns/TCP", want: "dns/TCP"},
		{in: "icmp", want: "ICMP"},
		{in: "47", want: "47/TCP"},
		{in: "0", err: `port "0": port 0 out of range 1-65535`},
		{in: "80/GRE", err: `port "80/GRE": protocol "GRE": want TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number from 1 to 255`},
		{in: "80/ICMP", err: `port "80/ICMP": protocol ICMP has no ports`},
		{in: "udp", err: `port "udp": UDP needs a port number (leave port out for any port)`},
		{in: "a_b", err: `port "a_b": port "a_b": want a number from 1 to 65535 or a port name`},
		{in: "", err: "empty port"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := reach.ParsePortSpec(tc.in)
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.String())
			again, err := reach.ParsePortSpec(p.String())
			require.NoError(t, err)
			assert.Equal(t, p.String(), again.String())
		})
	}
}

// FuzzParseExpectations checks that the parser never panics, that every
// problem has a position, and that what it accepts survives a round trip
// through the dump format.
func FuzzParseExpectations(f *testing.F) {
	f.Add([]byte("expect:\n- from: a\n  to: b\n  port: 80\n  allowed: true\n"))
	f.Add([]byte("expect:\n- isolated: {from: {namespace: a, selector: \"x == 'y'\"}, to: '*'}\n"))
	f.Add([]byte("expect:\n- only: {to: a/b, port: dns/UDP, from: [0.0.0.0/0, {cidr: ::/0, except: ['fd00::/8']}]}\n  pending: true\n  name: n\n"))
	f.Add([]byte("expect: &a\n- from: *a\n"))
	f.Add([]byte("expect:\n- from: a\n  to: b\n  allowed: true\n---\nx: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exps, err := reach.ParseExpectations("f.yaml", data)
		if err != nil {
			ps := model.AsProblems(err)
			require.NotEmpty(t, ps, "error %v is not a Problems", err)
			for _, p := range ps {
				require.Equal(t, "f.yaml", p.Pos.File)
				require.Positive(t, p.Pos.Line, "problem without a line: %v", p)
			}
			return
		}
		require.NotEmpty(t, exps)
		again, err := reach.ParseExpectations("f.yaml", xpFormat(t, exps))
		require.NoError(t, err, "the dump of an accepted file must parse:\n%s", xpFormat(t, exps))
		require.Equal(t, xpDump(exps), xpDump(again))
	})
}

// xpCheck loads the three-tier example and checks the statements of file.
func xpCheck(t *testing.T, file string) []reach.CheckResult {
	t.Helper()
	c, err := model.Load(model.Options{}, "../examples/three-tier")
	require.NoError(t, err)
	exps, err := reach.ParseExpectations("t.yaml", []byte(file))
	require.NoError(t, err)
	results, err := reach.CheckExpectations(c, exps)
	require.NoError(t, err)
	require.Len(t, results, len(exps))
	return results
}

func TestCheckExpectations(t *testing.T) {
	tests := []struct {
		name      string
		statement string
		passed    bool
		summary   string
		// evidence is a line every piece of evidence must contain, and
		// how many there are.
		evidence string
		count    int
	}{
		{
			name:      "allowed through a service",
			statement: "from: frontend\n  to: backend\n  port: 8080\n  allowed: true",
			passed:    true, summary: "allowed",
			evidence: "ingress of app/backend-5czqz: allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-frontend-to-backend", count: 1,
		},
		{
			name:      "allowed fails",
			statement: "from: frontend\n  to: database\n  port: 5432\n  allowed: true",
			passed:    false, summary: "denied",
			evidence: "DENIED app/frontend-qb57x -> app/database-978rv 5432/TCP", count: 1,
		},
		{
			name:      "service port translated",
			statement: "from: app/*\n  to: kube-system/coredns\n  port: 53/UDP\n  allowed: true",
			passed:    true, summary: "allowed for all 3 pairs", evidence: "53/UDP", count: 1,
		},
		{
			name:      "denied on every port",
			statement: "from: frontend\n  to: database\n  allowed: false",
			passed:    true, summary: "denied on every port",
			evidence: "may open: nothing; for example:", count: 1,
		},
		{
			name:      "open on some port",
			statement: "from: monitoring/prometheus\n  to: {namespace: app, selector: \"app in {'backend', 'database'}\"}\n  allowed: false",
			passed:    false, summary: "open on some port for all 2 pairs",
			evidence: "may open: TCP 9090; for example:", count: 2,
		},
		{
			name:      "CIDR with exceptions",
			statement: "from: backend\n  to: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}\n  port: 443\n  allowed: true",
			passed:    true, summary: "allowed for all 4 pairs", evidence: "egress of app/backend-5czqz: allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/backend-external-egress", count: 1,
		},
		{
			name:      "CIDR cut by the policy's exceptions",
			statement: "from: backend\n  to: 0.0.0.0/0\n  port: 443\n  allowed: true",
			passed:    false, summary: "denied for 3 of 7 pairs", evidence: "DENIED app/backend-5czqz -> ", count: 3,
		},
		{
			name:      "selector over Calico's labels",
			statement: "isolated:\n    from: {selector: \"projectcalico.org/namespace == 'kube-system'\"}\n    to: {namespaceSelector: \"kubernetes.io/metadata.name == 'app'\"}",
			passed:    true, summary: "denied on every port for all 3 pairs", evidence: "for example", count: 1,
		},
		{
			name:      "only holds",
			statement: "only: {to: database, port: 5432, from: [backend]}",
			passed:    true, summary: "reached from the listed sources only", evidence: "ALLOWED app/backend-5czqz -> app/database-978rv 5432/TCP", count: 1,
		},
		{
			name:      "only: an unlisted source and a listed one that cannot",
			statement: "only: {to: database, from: [frontend]}",
			passed:    false,
			summary:   "also reached from: app/backend, monitoring/prometheus; not reached from listed: app/frontend (denied on every port)",
			evidence:  "app/database-978rv", count: 3,
		},
		{
			name:      "only nobody, outside addresses included",
			statement: "only: {to: 8.8.8.8, from: []}",
			passed:    false,
			summary:   "also reached from: app/backend, kube-system/coredns, monitoring/prometheus",
			evidence:  "-> 8.8.8.8", count: 3,
		},
		{
			name:      "pending without staged policies is the enforced verdict",
			statement: "from: backend\n  to: database\n  port: 5432\n  allowed: true\n  pending: true",
			passed:    true, summary: "allowed", evidence: "ALLOWED", count: 1,
		},
		{
			name:      "everything",
			statement: "isolated: {from: '*', to: 0.0.0.0/0}",
			passed:    false, summary: "open on some port for 18 of 35 pairs", evidence: "may open", count: reach.MaxEvidence,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := xpCheck(t, "expect:\n- "+tc.statement+"\n")[0]
			assert.Equal(t, tc.passed, r.Passed, r.String())
			assert.Equal(t, tc.summary, r.Summary)
			assert.Len(t, r.Evidence, tc.count)
			for _, ev := range r.Evidence {
				assert.Contains(t, ev.String(), tc.evidence)
			}
			if tc.passed {
				assert.Equal(t, "PASS t.yaml:2: "+r.Expectation.Title(), r.String())
			} else {
				assert.True(t, strings.HasPrefix(r.String(), "FAIL t.yaml:2: "+r.Expectation.Title()+"\n  got: "+tc.summary+"\n"), r.String())
			}
		})
	}
}

func TestCheckExpectationsEvidenceIsCapped(t *testing.T) {
	r := xpCheck(t, "expect:\n- {from: '*', to: '*', allowed: false}\n")[0]
	assert.False(t, r.Passed)
	assert.Equal(t, "open on some port for 10 of 20 pairs", r.Summary)
	assert.Len(t, r.Evidence, reach.MaxEvidence)
}

func TestCheckExpectationsErrors(t *testing.T) {
	c, err := model.Load(model.Options{}, "../examples/three-tier")
	require.NoError(t, err)
	exps, err := reach.ParseExpectations("t.yaml", []byte(`expect:
- from: frontend
  to: nosuch
  allowed: true
- from: nosuch/*
  to: [frontend, {selector: "app == 'nope'"}]
  allowed: true
- from: frontend
  to: backend
  port: 9999
  allowed: true
- from: frontend
  to: app/frontend
  allowed: true
- from: frontend
  to: database
  port: web
  allowed: true
- from: frontend
  to: 8.8.8.8
  port: web
  allowed: true
- from: frontend
  to: app/*
  port: web
  allowed: true
`))
	require.NoError(t, err)
	results, err := reach.CheckExpectations(c, exps)
	assert.Nil(t, results)
	assert.EqualError(t, err, `t.yaml:3: to: "nosuch": no pod, workload, service or host endpoint of that name
t.yaml:5: from: nosuch/* matches no pod or host endpoint with an address
t.yaml:6: to[1]: {selector: 'app == "nope"'} matches no pod or host endpoint with an address
t.yaml:12: from and to denote the same single endpoint: there is no flow to check
t.yaml:16: to: port web: app/database-978rv has no port named "web"
t.yaml:20: to: port web: port "web": an address outside the cluster has no named ports
t.yaml:24: to: port web: app/backend-5czqz has no port named "web"`)
}

func ExampleCheckExpectations() {
	c, err := model.Load(model.Options{}, "../examples/three-tier")
	if err != nil {
		panic(err)
	}
	exps, err := reach.ParseExpectations("expect.yaml", []byte(`expect:
- from: frontend
  to: backend
  port: 8080
  allowed: true
- only:
    to: database
    from: [backend]
`))
	if err != nil {
		panic(err)
	}
	results, err := reach.CheckExpectations(c, exps)
	if err != nil {
		panic(err)
	}
	for _, r := range results {
		fmt.Println(r.Passed, r.Expectation.Title(), "--", r.Summary)
	}
	fmt.Println(results[1].Evidence[0].Verdict.Ingress)
	// Output:
	// true frontend -> backend 8080/TCP: allowed -- allowed
	// false only [backend] -> database -- also reached from: monitoring/prometheus
	// ingress of app/database-978rv: allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-monitoring-scrape in tier default
}

func TestCheckExpectationsPending(t *testing.T) {
	c, err := model.Load(model.Options{}, "../examples/three-tier", "testdata/expect/staged.yaml")
	require.NoError(t, err)
	exps, err := reach.ParseExpectations("t.yaml", []byte(`expect:
- from: frontend
  to: database
  port: 5432
  allowed: false
- from: frontend
  to: database
  port: 5432
  allowed: true
  pending: true
- only: {to: database, port: 5432, from: [backend]}
  pending: true
`))
	require.NoError(t, err)
	results, err := reach.CheckExpectations(c, exps)
	require.NoError(t, err)
	assert.True(t, results[0].Passed, results[0].String())
	assert.True(t, results[1].Passed, results[1].String())
	require.Len(t, results[1].Evidence, 1)
	v := results[1].Evidence[0].Verdict
	assert.Nil(t, v.Pending, "the evidence is the pending verdict itself")
	assert.Contains(t, v.Ingress.String(), "allowed by rule 0 (Allow) of StagedGlobalNetworkPolicy open-database")
	assert.False(t, results[2].Passed)
	assert.Equal(t, "also reached from: app/frontend, kube-system/coredns, monitoring/prometheus, "+
		"7 addresses outside the cluster (8.8.8.8, 10.0.0.0, 11.0.0.0, ...)", results[2].Summary)
	assert.Equal(t, "only [backend] -> database 5432/TCP (pending)", results[2].Expectation.Title())
}

func ExampleParseExpectations() {
	exps, err := reach.ParseExpectations("expect.yaml", []byte(`expect:
- from: app/frontend
  to: app/backend
  port: 8080
  allowed: true
- name: dev cannot reach prod
  isolated: {from: dev/*, to: prod/*}
- only: {to: app/database, port: 5432/TCP, from: [app/backend]}
  pending: true
`))
	if err != nil {
		panic(err)
	}
	for _, e := range exps {
		fmt.Printf("%s %s: %s\n", e.Pos, e.Kind, e.Title())
	}
	_, err = reach.ParseExpectations("typo.yaml", []byte("expect:\n- from: a\n  to: b\n  alowed: true\n"))
	fmt.Println(err)
	// Output:
	// expect.yaml:2 reach: app/frontend -> app/backend 8080/TCP: allowed
	// expect.yaml:6 isolated: dev cannot reach prod
	// expect.yaml:8 only: only [app/backend] -> app/database 5432/TCP (pending)
	// typo.yaml:2: expect[0].allowed: required (or write isolated: or only:)
	// typo.yaml:4: expect[0].alowed: unknown field "alowed" (want name, from, to, port, allowed, pending, isolated, only)
}
