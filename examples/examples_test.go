// Package examples_test runs every example's expectations, and shows
// reachtest at work on what the seed documents got wrong.
package examples_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/reach/reachtest"
)

// TestExamples checks every example directory against its expect.yaml, one
// subtest per statement.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("*/expect.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, file := range dirs {
		dir := filepath.Dir(file)
		t.Run(dir, func(t *testing.T) {
			assert.FileExists(t, filepath.Join(dir, "README.md"))
			c := reachtest.Load(t, dir)
			reachtest.RunExpectations(t, c, file)
		})
	}
}

// TestThreeTier states seed 000's claims with the assertions.
func TestThreeTier(t *testing.T) {
	c := reachtest.Load(t, "three-tier")
	reachtest.AssertAllowed(t, c, "frontend->backend:8080")
	reachtest.AssertDenied(t, c, "frontend->database")
	reachtest.AssertAllowed(t, c, "backend->database:5432")
	reachtest.AssertOnly(t, c, "app/database", "5432/TCP", "app/backend")
	reachtest.AssertAllowed(t, c, "monitoring/prometheus->app/frontend:9090")
	reachtest.AssertIsolated(t, c, "kube-system/*", "app/*")
	reachtest.AssertAllowed(t, c, "backend->1.1.1.1:443")
	reachtest.AssertDenied(t, c, "backend->192.168.1.1:443")
}

// mapFS reads the manifests of dir into a MapFS, so that a test can change
// one before loading.
func mapFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join(dir, path))
		m[path] = &fstest.MapFile{Data: data}
		return err
	})
	require.NoError(t, err)
	return m
}

// TestAuditModeRemoved shows what seed 004's default-deny policies do once
// its audit policy is gone: they deny, and allow-dns opens nothing.
func TestAuditModeRemoved(t *testing.T) {
	fsys := mapFS(t, "audit-mode")
	delete(fsys, "audit-mode-policy.yaml")
	c := reachtest.LoadFS(t, fsys, ".")
	reachtest.AssertIsolated(t, c, "other/client", "production/*")
	reachtest.AssertIsolated(t, c, "production/*", "0.0.0.0/0")
	reachtest.AssertDenied(t, c, "production/web->kube-system/coredns:53/UDP",
		"allow-dns selects namespaces labelled name=kube-system, and kube-system has no such label")
}

// TestNetworkSetsAsPublished checks that seed 001's policy, as published, is
// refused, with the position of the selector.
func TestNetworkSetsAsPublished(t *testing.T) {
	_, err := model.Load(model.Options{}, filepath.Join("network-sets", "as-published.txt"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "as-published.txt:22 (doc 2, NetworkPolicy production/allow-to-external-ips): spec.egress[0].destination.selector: global() can only be used in an EntityRule namespaceSelector")
}

// TestNetworkSetsNeedGlobal shows why the fixed policy says
// namespaceSelector: global(): in a namespaced policy, a selector alone
// looks in the policy's namespace and never sees a GlobalNetworkSet.
func TestNetworkSetsNeedGlobal(t *testing.T) {
	fsys := mapFS(t, "network-sets")
	policy := string(fsys["allow-to-external-ips.yaml"].Data)
	without := strings.Replace(policy, "      namespaceSelector: global()                # fixed\n", "", 1)
	require.NotEqual(t, policy, without)
	fsys["allow-to-external-ips.yaml"] = &fstest.MapFile{Data: []byte(without)}
	c := reachtest.LoadFS(t, fsys, ".")
	reachtest.AssertDenied(t, c, "production/web->203.0.113.10:443")
}

// TestTiersWithoutPass shows what the Pass policy of the security tier is
// for: without it, every pod a security policy selects ends at the tier's
// default Deny, and the application tier never gets its say.
func TestTiersWithoutPass(t *testing.T) {
	fsys := mapFS(t, "tiers")
	docs := strings.Split(string(fsys["security-policies.yaml"].Data), "\n---\n")
	require.Len(t, docs, 3)
	require.Contains(t, docs[2], "name: security.pass-to-application")
	fsys["security-policies.yaml"] = &fstest.MapFile{Data: []byte(strings.Join(docs[:2], "\n---\n"))}
	c := reachtest.LoadFS(t, fsys, ".")
	reachtest.AssertDenied(t, c, "prod/frontend->prod/api:8080")
	reachtest.AssertAllowed(t, c, "dev/tester->8.8.8.8:443", "dev is selected by no security policy: the tier does not apply")
}

// TestBrokenCopy adds a well-meant policy to a copy of the three-tier
// example: the database opened to the whole cluster. The least-privilege
// and the isolation expectations fail, naming the policy.
func TestBrokenCopy(t *testing.T) {
	fsys := mapFS(t, "three-tier")
	fsys["allow-db-from-cluster.yaml"] = &fstest.MapFile{Data: []byte(brokenPolicy)}
	c := reachtest.LoadFS(t, fsys, ".")
	data, err := os.ReadFile(filepath.Join("three-tier", "expect.yaml"))
	require.NoError(t, err)
	exps, err := reach.ParseExpectations("expect.yaml", data)
	require.NoError(t, err)
	results, err := reach.CheckExpectations(c, exps)
	require.NoError(t, err)
	var failed []reach.CheckResult
	for _, r := range results {
		if !r.Passed {
			failed = append(failed, r)
		}
	}
	require.Len(t, failed, 2)
	assert.Equal(t, "only [app/backend] -> app/database 5432/TCP", failed[0].Expectation.Title())
	assert.Equal(t, "also reached from: kube-system/coredns, monitoring/prometheus", failed[0].Summary)
	assert.Equal(t, "kube-system/* -> app/*: isolated", failed[1].Expectation.Title())
	for _, r := range failed {
		assert.Contains(t, r.String(), "ingress of app/database-978rv: allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-db-from-cluster in tier default")
	}
}

const brokenPolicy = `# Well meant: "let the cluster's tools reach the database".
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-db-from-cluster
  namespace: app
spec:
  podSelector:
    matchLabels:
      app: database
  ingress:
  - from:
    - namespaceSelector: {}
    ports:
    - port: 5432
`
