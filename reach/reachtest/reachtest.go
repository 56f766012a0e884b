// Package reachtest checks a cluster's segmentation from Go tests, in the
// style of testify: load manifests, then assert which flows are allowed,
// denied, isolated, or open to exactly a set of sources, or run a whole
// expectations file (see reach.Expectation) as subtests.
//
//	func TestSegmentation(t *testing.T) {
//		c := reachtest.Load(t, "deploy/")
//		reachtest.AssertAllowed(t, c, "frontend->backend:8080")
//		reachtest.AssertDenied(t, c, "frontend->database:5432")
//		reachtest.AssertIsolated(t, c, "dev/*", "prod/*")
//		reachtest.AssertOnly(t, c, "prod/database", "5432/TCP", "prod/backend")
//		reachtest.RunExpectations(t, c, "deploy/expect.yaml")
//	}
//
// Every failure message carries reach's explanation of the flows that
// decided it: which policy, rule or tier default opened or closed each side.
// Assertions report with Errorf and return whether they passed; loading
// fails the test at once (Fatalf), with the loader's positioned problems.
package reachtest

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
)

// Load reads the manifests at paths (files and directories, as reach -f
// does) and fails the test at once, with every problem and its position,
// when they cannot be loaded. An expectations file among them is left out.
func Load(t testing.TB, paths ...string) *model.Cluster {
	t.Helper()
	c, err := model.Load(model.Options{}, paths...)
	if err != nil {
		t.Fatalf("reachtest: loading %s:\n%v", strings.Join(paths, ", "), err)
	}
	return c
}

// LoadFS is Load reading from fsys (paths are slash-separated, as in
// io/fs), e.g. an embed.FS or a testing/fstest.MapFS.
func LoadFS(t testing.TB, fsys fs.FS, paths ...string) *model.Cluster {
	t.Helper()
	c, err := model.LoadFS(fsys, model.Options{}, paths...)
	if err != nil {
		t.Fatalf("reachtest: loading %s:\n%v", strings.Join(paths, ", "), err)
	}
	return c
}

// AssertAllowed checks that every source the query names can open a
// connection to every destination it names: on the port, or on some port
// when the query names none. The query is reach query's
// "SRC->DST[:PORT[/PROTO]]": a pod, workload, service or host endpoint name,
// NS/NAME or an IP address at each end (a service as destination stands for
// its backends, its port translated to theirs). msgAndArgs are added to the
// failure message, as in testify.
func AssertAllowed(t testing.TB, c *model.Cluster, query string, msgAndArgs ...any) bool {
	t.Helper()
	return assertQuery(t, c, query, true, msgAndArgs)
}

// AssertDenied checks that no source the query names can open a connection
// to any destination it names: on the port, or on any port when the query
// names none. See AssertAllowed for the query.
func AssertDenied(t testing.TB, c *model.Cluster, query string, msgAndArgs ...any) bool {
	t.Helper()
	return assertQuery(t, c, query, false, msgAndArgs)
}

func assertQuery(t testing.TB, c *model.Cluster, query string, allowed bool, msgAndArgs []any) bool {
	t.Helper()
	q, err := reach.ParseQuery(query)
	if err != nil {
		return fail(t, err.Error(), msgAndArgs)
	}
	e := reach.Expectation{
		Kind:    reach.ExpectReach,
		From:    nameGroup(q.Src),
		To:      nameGroup(q.Dst),
		Allowed: allowed,
	}
	if q.Port != "" || !q.Protocol.HasPorts() {
		e.Port = reach.PortSpec{Port: q.Port, Protocol: q.Protocol, ProtocolGiven: q.ProtocolGiven}
	}
	return assertExpectation(t, c, e, msgAndArgs)
}

func nameGroup(name string) reach.Group {
	return reach.Group{Items: []reach.GroupItem{{Kind: reach.GroupName, Name: name}}}
}

// AssertIsolated checks that no source of group from reaches any
// destination of group to, on any port. A group is written as in an
// expectations file: a name, NS/NAME, NS/* (a namespace's pods), * (every
// pod and host endpoint), an IP address or a CIDR (its addresses outside the
// cluster).
func AssertIsolated(t testing.TB, c *model.Cluster, from, to string, msgAndArgs ...any) bool {
	t.Helper()
	f, err := parseGroup(from)
	if err != nil {
		return fail(t, err.Error(), msgAndArgs)
	}
	d, err := parseGroup(to)
	if err != nil {
		return fail(t, err.Error(), msgAndArgs)
	}
	return assertExpectation(t, c, reach.Expectation{Kind: reach.ExpectIsolated, From: f, To: d}, msgAndArgs)
}

// AssertOnly checks least privilege: the sources that can reach group to on
// port (PORT[/PROTO]; "" for any port) are exactly the groups from. Every
// one of them must reach every destination, and no other pod, host endpoint
// or outside address may reach any. No from means nobody may. Groups are
// written as for AssertIsolated.
func AssertOnly(t testing.TB, c *model.Cluster, to, port string, from ...string) bool {
	t.Helper()
	e := reach.Expectation{Kind: reach.ExpectOnly, From: reach.Group{Items: []reach.GroupItem{}}}
	var err error
	if e.To, err = parseGroup(to); err != nil {
		return fail(t, err.Error(), nil)
	}
	if port != "" {
		if e.Port, err = reach.ParsePortSpec(port); err != nil {
			return fail(t, err.Error(), nil)
		}
	}
	for _, s := range from {
		g, err := parseGroup(s)
		if err != nil {
			return fail(t, err.Error(), nil)
		}
		e.From.Items = append(e.From.Items, g.Items...)
	}
	return assertExpectation(t, c, e, nil)
}

func parseGroup(s string) (reach.Group, error) {
	it, err := reach.ParseGroupItem(s)
	if err != nil {
		return reach.Group{}, err
	}
	return reach.Group{Items: []reach.GroupItem{it}}, nil
}

// assertExpectation checks one expectation and reports its failure.
func assertExpectation(t testing.TB, c *model.Cluster, e reach.Expectation, msgAndArgs []any) bool {
	t.Helper()
	results, err := reach.CheckExpectations(c, []reach.Expectation{e})
	if err != nil {
		return fail(t, fmt.Sprintf("%s: %v", e, err), msgAndArgs)
	}
	if r := results[0]; !r.Passed {
		return fail(t, r.String(), msgAndArgs)
	}
	return true
}

// fail reports msg, with the caller's message when there is one.
func fail(t testing.TB, msg string, msgAndArgs []any) bool {
	t.Helper()
	if extra := message(msgAndArgs); extra != "" {
		msg += "\nmessage: " + extra
	}
	t.Errorf("reachtest: %s", msg)
	return false
}

// message formats testify's msgAndArgs: a format string with arguments, or
// a single value.
func message(msgAndArgs []any) string {
	switch len(msgAndArgs) {
	case 0:
		return ""
	case 1:
		if s, ok := msgAndArgs[0].(string); ok {
			return s
		}
		return fmt.Sprintf("%+v", msgAndArgs[0])
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}

// Subtester is a test that runs subtests of its own type: *testing.T and
// *testing.B are.
type Subtester[T any] interface {
	testing.TB
	Run(name string, f func(T)) bool
}

// RunExpectations reads the expectations file and checks it on c, each
// statement as a subtest named after it (its name:, or the statement
// itself). A failing subtest reports the statement's position and the
// verdicts that explain it. A file that cannot be read or parsed, or a
// statement naming nothing in c, fails the test at once.
func RunExpectations[T Subtester[T]](t T, c *model.Cluster, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reachtest: %v", err)
	}
	exps, err := reach.ParseExpectations(file, data)
	if err != nil {
		t.Fatalf("reachtest: %v", err)
	}
	results, err := reach.CheckExpectations(c, exps)
	if err != nil {
		t.Fatalf("reachtest: %v", err)
	}
	for _, r := range results {
		t.Run(r.Expectation.Title(), func(t T) {
			t.Helper()
			if !r.Passed {
				t.Errorf("reachtest: %s", r)
			}
		})
	}
}
