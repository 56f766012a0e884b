//go:build integration

package model_test

// The integration test of reading a live cluster, against a real
// kube-apiserver and etcd that scripts/apiserver-test.sh starts and names in
// the environment. An admin creates the scenario of testdata/live; reach,
// as a user bound only to deploy/reach-clusterrole.yaml, reads it back.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reach-sim/reach/internal/apitest"
	"github.com/reach-sim/reach/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

const liveDir = "../testdata/live"

// liveEnv is the API server the script started.
type liveEnv struct {
	server, ca, adminToken, userToken, auditLog, role string
	admin                                             dynamic.Interface
	bin                                               string // the reach binary
}

func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	e := &liveEnv{
		server:     os.Getenv("REACH_APISERVER"),
		ca:         os.Getenv("REACH_APISERVER_CA"),
		adminToken: os.Getenv("REACH_ADMIN_TOKEN"),
		userToken:  os.Getenv("REACH_USER_TOKEN"),
		auditLog:   os.Getenv("REACH_AUDIT_LOG"),
		role:       os.Getenv("REACH_CLUSTERROLE"),
		bin:        os.Getenv("REACH_BIN"),
	}
	if e.server == "" {
		t.Skip("REACH_APISERVER is not set: run scripts/apiserver-test.sh")
	}
	rc := e.restConfig(e.adminToken)
	rc.QPS, rc.Burst = -1, 0 // no client-side throttling for the setup
	var err error
	e.admin, err = dynamic.NewForConfig(rc)
	require.NoError(t, err)
	if e.bin == "" {
		e.bin = filepath.Join(t.TempDir(), "reach")
		out, err := exec.Command("go", "build", "-o", e.bin, "../cmd/reach").CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	return e
}

func (e *liveEnv) restConfig(token string) *rest.Config {
	return &rest.Config{Host: e.server, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: e.ca}}
}

// kubeconfig writes a kubeconfig for the token, its context named name.
func (e *liveEnv) kubeconfig(t *testing.T, name, token string) string {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, certificate-authority: %q}
users:
- name: %s
  user: {token: %q}
contexts:
- name: %s
  context: {cluster: test, user: %s}
current-context: %s
`, e.server, e.ca, name, token, name, name, name)
	path := filepath.Join(t.TempDir(), name+".kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// reach runs the reach binary and returns its exit code, stdout and stderr.
func (e *liveEnv) reach(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(e.bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

// gvr finds the resource of an object: plural of its kind, in its group.
func gvr(o map[string]any) schema.GroupVersionResource {
	gv, _ := schema.ParseGroupVersion(o["apiVersion"].(string))
	return gv.WithResource(apitest.Resource(o["kind"].(string)))
}

func (e *liveEnv) resource(o map[string]any) dynamic.ResourceInterface {
	u := unstructured.Unstructured{Object: o}
	if ns := u.GetNamespace(); ns != "" {
		return e.admin.Resource(gvr(o)).Namespace(ns)
	}
	return e.admin.Resource(gvr(o))
}

// create creates the objects as the admin, eight at a time, retrying while
// a new CRD is not served yet; a pod's status (its address) is written
// through the status subresource, as a kubelet would.
func (e *liveEnv) create(t *testing.T, objs []map[string]any) {
	t.Helper()
	ctx := context.Background()
	work := make(chan map[string]any)
	errs := make(chan error, len(objs))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				errs <- e.createOne(ctx, o)
			}
		}()
	}
	// Namespaces first: the rest live in them.
	for _, pass := range []bool{true, false} {
		for _, o := range objs {
			if (o["kind"] == "Namespace") == pass {
				work <- o
			}
		}
		if pass {
			// Wait for the namespaces before the objects in them.
			for range countKind(objs, "Namespace") {
				require.NoError(t, <-errs)
			}
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func countKind(objs []map[string]any, kind string) int {
	n := 0
	for _, o := range objs {
		if o["kind"] == kind {
			n++
		}
	}
	return n
}

func (e *liveEnv) createOne(ctx context.Context, o map[string]any) error {
	u := &unstructured.Unstructured{Object: deepCopy(o)}
	status, hasStatus := u.Object["status"]
	delete(u.Object, "status")
	ri := e.resource(o)
	var created *unstructured.Unstructured
	var err error
	for try := 0; try < 50; try++ {
		created, err = ri.Create(ctx, u, metav1.CreateOptions{})
		if !apierrors.IsNotFound(err) || u.GetKind() == "Namespace" {
			break
		}
		time.Sleep(200 * time.Millisecond) // a CRD not served yet
	}
	if err != nil {
		return fmt.Errorf("create %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	if hasStatus && u.GetKind() == "Pod" {
		created.Object["status"] = status
		if _, err := ri.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("status of pod %s/%s: %w", u.GetNamespace(), u.GetName(), err)
		}
	}
	return nil
}

// deepCopy copies an object through JSON.
func deepCopy(m map[string]any) map[string]any {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

// crds makes a CRD for each kind of gv that stores any object
// (x-kubernetes-preserve-unknown-fields), as stand-ins for Calico's CRDs,
// Calico's API server and the network-policy-api CRDs.
func crds(gv schema.GroupVersion, kinds map[string]bool) []map[string]any {
	var out []map[string]any
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		scope := "Cluster"
		if kinds[kind] {
			scope = "Namespaced"
		}
		plural := apitest.Resource(kind)
		meta := map[string]any{"name": plural + "." + gv.Group}
		if strings.HasSuffix(gv.Group, ".k8s.io") {
			meta["annotations"] = map[string]any{"api-approved.kubernetes.io": "unapproved, a stand-in for reach's tests"}
		}
		out = append(out, map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": meta,
			"spec": map[string]any{
				"group": gv.Group, "scope": scope,
				"names": map[string]any{"plural": plural, "singular": strings.ToLower(kind), "kind": kind, "listKind": kind + "List"},
				"versions": []any{map[string]any{
					"name": gv.Version, "served": true, "storage": true,
					"schema": map[string]any{"openAPIV3Schema": map[string]any{
						"type": "object", "x-kubernetes-preserve-unknown-fields": true,
					}},
				}},
			},
		})
	}
	return out
}

// installCRDs creates the CRDs and waits until they are established.
func (e *liveEnv) installCRDs(t *testing.T, defs []map[string]any) {
	t.Helper()
	e.create(t, defs)
	crdRes := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, d := range defs {
		name := d["metadata"].(map[string]any)["name"].(string)
		require.Eventually(t, func() bool {
			got, err := e.admin.Resource(crdRes).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return false
			}
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			for _, c := range conds {
				if c := c.(map[string]any); c["type"] == "Established" && c["status"] == "True" {
					return true
				}
			}
			return false
		}, time.Minute, 200*time.Millisecond, name)
	}
}

// builtins waits for the objects the API server makes itself (its
// namespaces and the kubernetes service) and returns every object of the
// kinds reach reads that exists before the test creates any.
func (e *liveEnv) builtins(t *testing.T) []map[string]any {
	t.Helper()
	ctx := context.Background()
	ns := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	svc := schema.GroupVersionResource{Version: "v1", Resource: "services"}
	require.Eventually(t, func() bool {
		for _, n := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
			if _, err := e.admin.Resource(ns).Get(ctx, n, metav1.GetOptions{}); err != nil {
				return false
			}
		}
		_, err := e.admin.Resource(svc).Namespace("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		return err == nil
	}, time.Minute, 200*time.Millisecond)
	var out []map[string]any
	for _, r := range []schema.GroupVersionResource{
		ns, svc, {Version: "v1", Resource: "pods"}, {Version: "v1", Resource: "serviceaccounts"},
		{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
	} {
		l, err := e.admin.Resource(r).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, u := range l.Items {
			out = append(out, u.Object)
		}
	}
	return out
}

// writeYAML writes objects as one multi-document YAML file.
func writeYAML(t *testing.T, dir, name string, objs []map[string]any) string {
	t.Helper()
	var b bytes.Buffer
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		require.NoError(t, err)
		b.WriteString("---\n")
		b.Write(data)
	}
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

// bulk makes n service accounts in namespace ns: more than one page.
func bulk(ns string, n int) []map[string]any {
	out := []map[string]any{{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	for i := range n {
		out = append(out, map[string]any{
			"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": fmt.Sprintf("sa-%04d", i), "namespace": ns, "labels": map[string]any{"shard": fmt.Sprint(i % 7)}},
		})
	}
	return out
}

// grant binds the user reach to the shipped ClusterRole; without Calico,
// the role loses its rule for the Calico groups.
func (e *liveEnv) grant(t *testing.T, withCalico bool) {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(e.role)
	require.NoError(t, err)
	var role map[string]any
	require.NoError(t, yaml.Unmarshal(data, &role))
	if !withCalico {
		rules := role["rules"].([]any)
		role["rules"] = slices.DeleteFunc(rules, func(r any) bool {
			return slices.Contains(r.(map[string]any)["apiGroups"].([]any), any("crd.projectcalico.org"))
		})
		require.Less(t, len(role["rules"].([]any)), len(rules))
	}
	roles := e.admin.Resource(schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"})
	u := &unstructured.Unstructured{Object: role}
	if old, err := roles.Get(ctx, u.GetName(), metav1.GetOptions{}); err == nil {
		u.SetResourceVersion(old.GetResourceVersion())
		_, err = roles.Update(ctx, u, metav1.UpdateOptions{})
		require.NoError(t, err)
	} else {
		_, err = roles.Create(ctx, u, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	bindings := e.admin.Resource(schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"})
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "reach-reader"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": u.GetName()},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "reach"}},
	}}
	if _, err := bindings.Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
}

func dumpOf(t *testing.T, c *model.Cluster) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, c.Dump(&b))
	return b.String()
}

func TestLive(t *testing.T) {
	e := newLiveEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	builtin := writeYAML(t, dir, "builtin.yaml", e.builtins(t))
	bulkObjs := bulk("bulk", 600)
	bulkFile := writeYAML(t, dir, "bulk.yaml", bulkObjs)
	base, crd, v3 := liveDir+"/base", liveDir+"/crd", liveDir+"/v3"

	start := time.Now()
	e.installCRDs(t, slices.Concat(
		crds(schema.GroupVersion{Group: "crd.projectcalico.org", Version: "v1"}, apitest.CalicoKinds),
		crds(schema.GroupVersion{Group: "policy.networking.k8s.io", Version: "v1alpha1"},
			map[string]bool{"AdminNetworkPolicy": false, "BaselineAdminNetworkPolicy": false}),
	))
	e.create(t, slices.Concat(apitest.ReadDirs(t, base, crd), bulkObjs))
	e.grant(t, true)
	t.Logf("created the scenario in %s", time.Since(start).Round(time.Millisecond))

	kc := e.kubeconfig(t, "reach", e.userToken)
	cfg := model.ClusterConfig{Kubeconfig: kc, AllNamespaces: true}

	// reach (as the user bound to the shipped role) reads the same model
	// as the files give, through the library and through the CLI.
	var matrixA string
	t.Run("crd.projectcalico.org equals files", func(t *testing.T) {
		files, err := model.Load(model.Options{}, builtin, base, crd, bulkFile)
		require.NoError(t, err)
		start := time.Now()
		live, err := model.LoadCluster(ctx, cfg, model.ReadOptions{Progress: func(res string, n int, d time.Duration) {
			t.Logf("read %d %s in %s", n, res, d.Round(time.Millisecond))
		}}, model.Options{})
		require.NoError(t, err)
		t.Logf("read and built the model in %s", time.Since(start).Round(time.Millisecond))
		assert.Equal(t, dumpOf(t, files), dumpOf(t, live))

		for _, format := range []string{"table", "json"} {
			code, want, errOut := e.reach(t, "matrix", "-o", format, "-f", builtin, "-f", base, "-f", crd, "-f", bulkFile)
			require.Equal(t, 0, code, errOut)
			code, got, errOut := e.reach(t, "matrix", "-o", format, "--cluster", "--kubeconfig", kc, "-A")
			require.Equal(t, 0, code, errOut)
			assert.Equal(t, want, got)
			if format == "table" {
				matrixA = got
				t.Logf("reach matrix --cluster -A:\n%s", got)
			}
		}
	})

	t.Run("snapshot round-trips", func(t *testing.T) {
		live, err := model.LoadCluster(ctx, cfg, model.ReadOptions{}, model.Options{})
		require.NoError(t, err)
		for _, format := range []string{"yaml", "json"} {
			code, snap, errOut := e.reach(t, "snapshot", "--cluster", "--kubeconfig", kc, "-A", "-o", format)
			require.Equal(t, 0, code, errOut)
			file := filepath.Join(dir, "snapshot."+format)
			require.NoError(t, os.WriteFile(file, []byte(snap), 0o644))
			c, err := model.Load(model.Options{}, file)
			require.NoError(t, err)
			assert.Equal(t, dumpOf(t, live), dumpOf(t, c), format)
			code, got, errOut := e.reach(t, "matrix", "-f", file)
			require.Equal(t, 0, code, errOut)
			assert.Equal(t, matrixA, got, format)
		}
	})

	t.Run("paging", func(t *testing.T) {
		var pages []string
		for _, ev := range auditEvents(t, e.auditLog) {
			if ev.User.Username == "reach" && strings.HasPrefix(ev.RequestURI, "/api/v1/serviceaccounts?") {
				pages = append(pages, ev.RequestURI)
			}
		}
		require.NotEmpty(t, pages)
		assert.Contains(t, pages[0], "limit=500")
		assert.True(t, slices.ContainsFunc(pages, func(u string) bool { return strings.Contains(u, "continue=") }), "%q", pages)
		n := 0
		_, err := model.ReadCluster(ctx, cfg, model.ReadOptions{Progress: func(res string, count int, _ time.Duration) {
			if res == "serviceaccounts" {
				n = count
			}
		}})
		require.NoError(t, err)
		assert.Equal(t, 600+3, n) // bulk's and the scenario's
	})

	// With the Calico API (here CRDs standing in for it) served under
	// projectcalico.org/v3 too, reach reads that group and not the CRDs.
	t.Run("projectcalico.org/v3 equals files", func(t *testing.T) {
		e.installCRDs(t, crds(schema.GroupVersion{Group: "projectcalico.org", Version: "v3"}, apitest.CalicoKinds))
		e.create(t, apitest.ReadDirs(t, v3))
		files, err := model.Load(model.Options{}, builtin, base, v3, bulkFile)
		require.NoError(t, err)
		var live *model.Cluster
		require.Eventually(t, func() bool { // until discovery shows every new kind
			live, err = model.LoadCluster(ctx, cfg, model.ReadOptions{}, model.Options{})
			return err == nil && len(live.Notes) == len(files.Notes)
		}, time.Minute, time.Second)
		assert.Equal(t, dumpOf(t, files), dumpOf(t, live))
		code, got, errOut := e.reach(t, "matrix", "--cluster", "--kubeconfig", kc, "-A")
		require.Equal(t, 0, code, errOut)
		assert.Equal(t, matrixA, got)
	})

	t.Run("audit log holds only get and list from reach", func(t *testing.T) {
		verbs := map[string]int{}
		for _, ev := range auditEvents(t, e.auditLog) {
			if ev.User.Username == "reach" {
				verbs[ev.Verb]++
			}
		}
		t.Logf("reach's requests by verb: %v", verbs)
		require.NotEmpty(t, verbs)
		for verb := range verbs {
			assert.Contains(t, []string{"get", "list"}, verb)
		}
	})

	t.Run("without the Calico rule reading fails, naming the resource", func(t *testing.T) {
		e.grant(t, false)
		defer e.grant(t, true)
		var code int
		var out, errOut string
		require.Eventually(t, func() bool { // until the authorizer sees the new role
			code, out, errOut = e.reach(t, "matrix", "--cluster", "--kubeconfig", kc, "-A")
			return code != 0
		}, 30*time.Second, 200*time.Millisecond)
		t.Logf("reach matrix --cluster -A, without the Calico rule: exit %d\n%s", code, errOut)
		assert.Equal(t, 2, code)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "reach: cannot list tiers.projectcalico.org in all namespaces: ")
		assert.Contains(t, errOut, "forbidden")

		_, err := model.ReadCluster(ctx, cfg, model.ReadOptions{})
		var le *model.ListError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "tiers.projectcalico.org", le.Resource)
		assert.Equal(t, "list", le.Verb)
		assert.True(t, apierrors.IsForbidden(le.Err))
	})
}

// auditEvent is what the test reads of an audit log line.
type auditEvent struct {
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
}

func auditEvents(t *testing.T, path string) []auditEvent {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []auditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev auditEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
		out = append(out, ev)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestLiveScale measures snapshot on a cluster of 5,000 pods and 500
// policies (REACH_SCALE=1; run after TestLive, on the same server).
func TestLiveScale(t *testing.T) {
	if os.Getenv("REACH_SCALE") == "" {
		t.Skip("REACH_SCALE is not set")
	}
	e := newLiveEnv(t)
	e.grant(t, true)
	const namespaces, podsPerNS, k8sPerNS, calicoPerNS = 50, 100, 8, 2
	var objs []map[string]any
	for n := range namespaces {
		ns := fmt.Sprintf("scale-%02d", n)
		objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": ns, "labels": map[string]any{"tier": fmt.Sprint(n % 3)}}})
		for p := range podsPerNS {
			ip := fmt.Sprintf("10.245.%d.%d", n, p+1)
			objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{"name": fmt.Sprintf("app-%03d", p), "namespace": ns,
					"labels": map[string]any{"app": fmt.Sprintf("app-%d", p%10), "role": fmt.Sprint(p % 4)}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "x",
					"ports": []any{map[string]any{"name": "http", "containerPort": 8080}}}}},
				"status": map[string]any{"phase": "Running", "podIP": ip, "podIPs": []any{map[string]any{"ip": ip}}},
			})
		}
		for i := range k8sPerNS {
			objs = append(objs, map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
				"metadata": map[string]any{"name": fmt.Sprintf("np-%d", i), "namespace": ns},
				"spec": map[string]any{
					"podSelector": map[string]any{"matchLabels": map[string]any{"app": fmt.Sprintf("app-%d", i)}},
					"ingress": []any{map[string]any{
						"from":  []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"role": fmt.Sprint(i % 4)}}}},
						"ports": []any{map[string]any{"port": 8080}},
					}},
				}})
		}
		for i := range calicoPerNS {
			objs = append(objs, map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
				"metadata": map[string]any{"name": fmt.Sprintf("security.deny-%d", i), "namespace": ns},
				"spec": map[string]any{"tier": "security", "order": 100 + i, "selector": fmt.Sprintf("role == '%d'", i),
					"types":   []any{"Ingress"},
					"ingress": []any{map[string]any{"action": "Deny", "source": map[string]any{"selector": "app == 'app-9'"}}, map[string]any{"action": "Pass"}}},
			})
		}
	}
	start := time.Now()
	e.create(t, objs)
	t.Logf("created %d namespaces, %d pods (with addresses), %d policies in %s", namespaces, namespaces*podsPerNS,
		namespaces*(k8sPerNS+calicoPerNS), time.Since(start).Round(time.Second))

	kc := e.kubeconfig(t, "reach", e.userToken)
	out := filepath.Join(t.TempDir(), "snapshot.yaml")
	for _, run := range []struct {
		name string
		args []string
	}{
		{"snapshot", []string{"snapshot", "--cluster", "--kubeconfig", kc, "-A", "-q"}},
		{"query (read, build, one flow)", []string{"query", "scale-00/app-001->scale-01/app-002:8080", "--cluster", "--kubeconfig", kc, "-A", "-q"}},
	} {
		f, err := os.Create(out)
		require.NoError(t, err)
		cmd := exec.Command(e.bin, run.args...)
		var errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = f, &errOut
		start := time.Now()
		err = cmd.Run()
		elapsed := time.Since(start)
		f.Close()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 { // query may answer "denied"
			require.NoError(t, err, errOut.String())
		}
		info, err := os.Stat(out)
		require.NoError(t, err)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		t.Logf("%s: %s wall, %s user+sys, max RSS %d MiB, %d bytes of output",
			run.name, elapsed.Round(time.Millisecond),
			(time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())).Round(time.Millisecond),
			ru.Maxrss/1024, info.Size())
		if run.name == "snapshot" {
			start := time.Now()
			c, err := model.Load(model.Options{}, out)
			require.NoError(t, err)
			assert.GreaterOrEqual(t, len(c.Pods), namespaces*podsPerNS)
			t.Logf("loading the snapshot back: %s", time.Since(start).Round(time.Millisecond))
		}
	}
}
