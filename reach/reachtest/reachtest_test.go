package reachtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/reach-sim/reach/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeT records what a helper reports. Fatalf ends the goroutine it runs in,
// as testing does, so helpers run through fakeT.do. Methods it does not
// override panic (the embedded TB is nil): the helpers must not call them.
type fakeT struct {
	testing.TB
	name   string
	errors []string
	fatals []string
	subs   []*fakeT
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return f.name }

func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (f *fakeT) Failed() bool { return len(f.errors)+len(f.fatals) > 0 }

// Run runs a subtest on a fakeT of its own.
func (f *fakeT) Run(name string, fn func(*fakeT)) bool {
	sub := &fakeT{name: name}
	f.subs = append(f.subs, sub)
	sub.do(func() { fn(sub) })
	return !sub.Failed()
}

// do runs fn in a goroutine of its own, so that Fatalf can end it.
func (f *fakeT) do(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// reported returns everything f reported, one report a line.
func (f *fakeT) reported() string {
	return strings.Join(append(append([]string{}, f.fatals...), f.errors...), "\n")
}

const threeTier = "../../examples/three-tier"

func load(t *testing.T) *model.Cluster {
	t.Helper()
	c, err := model.Load(model.Options{}, threeTier)
	require.NoError(t, err)
	return c
}

func TestLoad(t *testing.T) {
	ft := &fakeT{}
	var c *model.Cluster
	ft.do(func() { c = Load(ft, threeTier) })
	assert.False(t, ft.Failed(), ft.reported())
	require.NotNil(t, c)
	assert.NotEmpty(t, c.Pods)
}

func TestLoadFailsWithPositions(t *testing.T) {
	ft := &fakeT{}
	ft.do(func() {
		Load(ft, "../../testdata/cli/broken")
		ft.Errorf("not reached: Load must stop the test")
	})
	require.Len(t, ft.fatals, 1)
	assert.Empty(t, ft.errors)
	assert.Contains(t, ft.fatals[0], "testdata/cli/broken/policy.yaml:13 (doc 1, NetworkPolicy app/bad-range): spec.ingress[0].ports[0].endPort")
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"ok/pod.yaml":  {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n")},
		"bad/pod.yaml": {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n")},
	}
	ft := &fakeT{}
	var c *model.Cluster
	ft.do(func() { c = LoadFS(ft, fsys, "ok") })
	assert.False(t, ft.Failed(), ft.reported())
	require.Len(t, c.Pods, 1)

	ft = &fakeT{}
	ft.do(func() { LoadFS(ft, fsys, "bad") })
	require.Len(t, ft.fatals, 1)
	assert.Contains(t, ft.fatals[0], "bad/pod.yaml:3 (doc 1, Pod): metadata.name: required")
}

func TestAssertions(t *testing.T) {
	c := load(t)
	tests := []struct {
		name   string
		assert func(t testing.TB) bool
		// want is what the failure message must contain; empty when the
		// assertion holds.
		want []string
	}{
		{
			name:   "allowed holds",
			assert: func(t testing.TB) bool { return AssertAllowed(t, c, "frontend->backend:8080") },
		},
		{
			name:   "allowed without port holds",
			assert: func(t testing.TB) bool { return AssertAllowed(t, c, "app/backend->app/database") },
		},
		{
			name:   "allowed fails",
			assert: func(t testing.TB) bool { return AssertAllowed(t, c, "frontend->database:5432") },
			want: []string{
				"reachtest: FAIL frontend -> database 5432/TCP: allowed",
				"got: denied",
				"egress of app/frontend-qb57x: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy app/allow-dns, KubernetesNetworkPolicy app/default-deny-all",
			},
		},
		{
			name:   "denied holds",
			assert: func(t testing.TB) bool { return AssertDenied(t, c, "frontend->database") },
		},
		{
			name:   "denied fails",
			assert: func(t testing.TB) bool { return AssertDenied(t, c, "backend->database:5432", "release %d", 7) },
			want: []string{
				"got: allowed",
				"ingress of app/database-978rv: allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-backend-to-database in tier default",
				"message: release 7",
			},
		},
		{
			name:   "bad query",
			assert: func(t testing.TB) bool { return AssertDenied(t, c, "frontend=>database") },
			want:   []string{`query "frontend=>database"`},
		},
		{
			name:   "unknown name",
			assert: func(t testing.TB) bool { return AssertDenied(t, c, "frontend->nosuch:80") },
			want:   []string{`"nosuch": no pod, workload, service or host endpoint of that name`},
		},
		{
			name:   "isolated holds",
			assert: func(t testing.TB) bool { return AssertIsolated(t, c, "kube-system/*", "app/*") },
		},
		{
			name:   "isolated fails",
			assert: func(t testing.TB) bool { return AssertIsolated(t, c, "monitoring/*", "app/database") },
			want: []string{
				"FAIL monitoring/* -> app/database: isolated",
				"may open: TCP 9090",
				"allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-monitoring-scrape",
			},
		},
		{
			name:   "isolated from the internet",
			assert: func(t testing.TB) bool { return AssertIsolated(t, c, "0.0.0.0/0", "app/*") },
		},
		{
			name:   "only holds",
			assert: func(t testing.TB) bool { return AssertOnly(t, c, "app/database", "5432/TCP", "app/backend") },
		},
		{
			name:   "only fails with an extra source",
			assert: func(t testing.TB) bool { return AssertOnly(t, c, "app/database", "", "app/backend") },
			want: []string{
				"got: also reached from: monitoring/prometheus",
				"KubernetesNetworkPolicy app/allow-monitoring-scrape",
			},
		},
		{
			name: "only fails with a missing source",
			assert: func(t testing.TB) bool {
				return AssertOnly(t, c, "app/database", "5432", "app/backend", "app/frontend")
			},
			want: []string{"got: not reached from listed: app/frontend"},
		},
		{
			name:   "only with a bad port",
			assert: func(t testing.TB) bool { return AssertOnly(t, c, "app/database", "5432/ICMP", "app/backend") },
			want:   []string{`port "5432/ICMP": protocol ICMP has no ports`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeT{}
			var ok bool
			ft.do(func() { ok = tc.assert(ft) })
			assert.Empty(t, ft.fatals, "assertions never stop the test")
			if len(tc.want) == 0 {
				assert.True(t, ok)
				assert.Empty(t, ft.errors)
				return
			}
			assert.False(t, ok)
			require.Len(t, ft.errors, 1)
			for _, w := range tc.want {
				assert.Contains(t, ft.errors[0], w)
			}
		})
	}
}

func TestRunExpectations(t *testing.T) {
	c := load(t)
	ft := &fakeT{}
	ft.do(func() { RunExpectations(ft, c, filepath.Join(threeTier, "expect.yaml")) })
	assert.False(t, ft.Failed(), ft.reported())
	require.NotEmpty(t, ft.subs)
	for _, s := range ft.subs {
		assert.False(t, s.Failed(), "%s: %s", s.name, s.reported())
	}
	assert.Equal(t, "app/frontend -> app/backend 8080/TCP: allowed", ft.subs[0].name)
}

func TestRunExpectationsReportsFailures(t *testing.T) {
	c := load(t)
	file := filepath.Join(t.TempDir(), "expect.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`expect:
- name: frontend reaches the database
  from: frontend
  to: database
  port: 5432
  allowed: true
- from: backend
  to: database
  port: 5432
  allowed: true
`), 0o644))
	ft := &fakeT{}
	ft.do(func() { RunExpectations(ft, c, file) })
	require.Len(t, ft.subs, 2)
	assert.Equal(t, "frontend reaches the database", ft.subs[0].name)
	require.Len(t, ft.subs[0].errors, 1)
	assert.Contains(t, ft.subs[0].errors[0], "FAIL "+file+":2: frontend reaches the database")
	assert.Contains(t, ft.subs[0].errors[0], "selected by KubernetesNetworkPolicy app/allow-backend-to-database")
	assert.False(t, ft.subs[1].Failed(), ft.subs[1].reported())
	assert.Empty(t, ft.errors, "failures are reported by the subtests")
}

func TestRunExpectationsBadInput(t *testing.T) {
	c := load(t)
	dir := t.TempDir()
	tests := []struct {
		name, file, content, want string
	}{
		{name: "missing file", file: "nosuch.yaml", want: "no such file"},
		{name: "unknown field", file: "typo.yaml", content: "expect:\n- from: frontend\n  too: backend\n  allowed: true\n",
			want: `typo.yaml:3: expect[0].too: unknown field "too"`},
		{name: "unknown name", file: "name.yaml", content: "expect:\n- from: frontend\n  to: nosuch\n  allowed: true\n",
			want: `name.yaml:3: to: "nosuch": no pod, workload, service or host endpoint of that name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if tc.content != "" {
				require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			}
			ft := &fakeT{}
			ft.do(func() {
				RunExpectations(ft, c, path)
				ft.Errorf("not reached: RunExpectations must stop the test")
			})
			require.Len(t, ft.fatals, 1, ft.reported())
			assert.Empty(t, ft.errors)
			assert.Empty(t, ft.subs)
			assert.Contains(t, ft.fatals[0], tc.want)
		})
	}
}
