package model

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/reach-sim/reach/internal/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	fakediscovery "k8s.io/client-go/discovery/fake"
	fakedynamic "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// liveScenario is the shared scenario of testdata/live.
const liveScenario = "../testdata/live"

// readFixtures reads every object of the YAML files in dirs.
func readFixtures(t *testing.T, dirs ...string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, m := range apitest.ReadDirs(t, dirs...) {
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

// fakeCluster serves objects through client-go's fake clients: the built-in
// kinds through the typed clientset, the rest through the dynamic client,
// and discovery listing the given group versions with the resources reach
// reads.
func fakeCluster(t *testing.T, groups []schema.GroupVersion, objs []*unstructured.Unstructured) liveClients {
	t.Helper()
	var typed, dyn []runtime.Object
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		if gvk.Group == "" || gvk.Group == "networking.k8s.io" {
			obj, err := scheme.Scheme.New(gvk)
			require.NoError(t, err)
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj))
			typed = append(typed, obj)
			continue
		}
		dyn = append(dyn, u.DeepCopy())
	}
	cs := fake.NewClientset(typed...)
	listKinds := map[schema.GroupVersionResource]string{}
	all := slices2(adminResources, calicoResources(calicoGroupVersions[0]), calicoResources(calicoGroupVersions[1]))
	for _, r := range all {
		listKinds[r.gvr] = r.kind + "List"
	}
	dc := cs.Discovery().(*fakediscovery.FakeDiscovery)
	for _, gv := range groups {
		list := &metav1.APIResourceList{GroupVersion: gv.String()}
		for _, r := range all {
			if r.gvr.GroupVersion() == gv {
				list.APIResources = append(list.APIResources, metav1.APIResource{
					Name: r.gvr.Resource, Kind: r.kind, Namespaced: r.namespaced, Verbs: metav1.Verbs{"get", "list", "watch"},
				})
			}
		}
		dc.Resources = append(dc.Resources, list)
	}
	return liveClients{
		typed:     cs,
		dynamic:   fakedynamic.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, dyn...),
		discovery: dc,
	}
}

func slices2(lists ...[]liveResource) []liveResource {
	var out []liveResource
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var (
	anpGV    = schema.GroupVersion{Group: "policy.networking.k8s.io", Version: "v1alpha1"}
	calicoV3 = calicoGroupVersions[0]
	calicoV1 = calicoGroupVersions[1]
)

func dump(t *testing.T, c *Cluster) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, c.Dump(&b))
	return b.String()
}

// loadDirs loads the scenario's directories as files.
func loadDirs(t *testing.T, dirs ...string) *Cluster {
	t.Helper()
	c, err := Load(Options{}, dirs...)
	require.NoError(t, err)
	return c
}

func TestReadClusterEqualsFiles(t *testing.T) {
	base, crd, v3 := liveScenario+"/base", liveScenario+"/crd", liveScenario+"/v3"
	tests := []struct {
		name   string
		groups []schema.GroupVersion
		served []string // directories the cluster holds
		files  []string // directories of the same model
	}{
		{name: "crd.projectcalico.org", groups: []schema.GroupVersion{anpGV, calicoV1},
			served: []string{base, crd}, files: []string{base, crd}},
		{name: "projectcalico.org/v3", groups: []schema.GroupVersion{anpGV, calicoV3},
			served: []string{base, v3}, files: []string{base, v3}},
		{name: "both groups: v3 is read, the CRDs behind it are not", groups: []schema.GroupVersion{anpGV, calicoV3, calicoV1},
			served: []string{base, v3, crd}, files: []string{base, v3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clients := fakeCluster(t, tc.groups, readFixtures(t, tc.served...))
			var progress []string
			snap, err := readCluster(context.Background(), clients, "test", "", ReadOptions{
				Progress: func(res string, n int, _ time.Duration) { progress = append(progress, res) },
			})
			require.NoError(t, err)
			assert.Empty(t, snap.Notes)
			assert.Contains(t, progress, "pods")
			c, err := snap.Build(Options{})
			require.NoError(t, err)
			assert.Equal(t, dump(t, loadDirs(t, tc.files...)), dump(t, c))
		})
	}
}

func TestReadClusterSkipsSynthesizedCalicoObjects(t *testing.T) {
	objs := readFixtures(t, liveScenario+"/base", liveScenario+"/v3")
	for _, y := range []string{
		"apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: kns.shop}\nspec: {ingress: [{action: Allow}], egress: [{action: Allow}]}",
		"apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: ksa.shop.web}\nspec: {labelsToApply: {pcsa.tier: frontend}}",
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: knp.default.default-deny, namespace: shop}\nspec: {selector: all(), types: [Ingress]}",
		"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: kanp.adminnetworkpolicy.monitoring}\nspec: {tier: adminnetworkpolicy, selector: all()}",
	} {
		var m map[string]any
		require.NoError(t, utilyaml.Unmarshal([]byte(y), &m))
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	clients := fakeCluster(t, []schema.GroupVersion{anpGV, calicoV3}, objs)
	snap, err := readCluster(context.Background(), clients, "test", "", ReadOptions{})
	require.NoError(t, err)
	c, err := snap.Build(Options{})
	require.NoError(t, err)
	assert.Equal(t, dump(t, loadDirs(t, liveScenario+"/base", liveScenario+"/v3")), dump(t, c))
}

func TestReadClusterNotInstalled(t *testing.T) {
	clients := fakeCluster(t, nil, readFixtures(t, liveScenario+"/base"))
	snap, err := readCluster(context.Background(), clients, "test", "", ReadOptions{})
	require.NoError(t, err)
	require.Len(t, snap.Notes, 1)
	assert.Equal(t, "not installed in the cluster, so read as none: "+
		"policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy, policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy, "+
		"Calico (projectcalico.org/v3 or crd.projectcalico.org/v1)", snap.Notes[0])
	c, err := snap.Build(Options{})
	require.NoError(t, err)
	assert.Contains(t, c.Notes, snap.Notes[0])

	// A Calico install without the staged kinds.
	clients = fakeCluster(t, []schema.GroupVersion{anpGV, calicoV1}, readFixtures(t, liveScenario+"/base"))
	fd := clients.discovery.(*fakediscovery.FakeDiscovery)
	for _, l := range fd.Resources {
		if l.GroupVersion == calicoV1.String() {
			var kept []metav1.APIResource
			for _, r := range l.APIResources {
				if !strings.HasPrefix(r.Name, "staged") {
					kept = append(kept, r)
				}
			}
			l.APIResources = kept
		}
	}
	snap, err = readCluster(context.Background(), clients, "test", "", ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"not installed in the cluster, so read as none: " +
		"crd.projectcalico.org/v1 StagedGlobalNetworkPolicy, crd.projectcalico.org/v1 StagedNetworkPolicy, " +
		"crd.projectcalico.org/v1 StagedKubernetesNetworkPolicy"}, snap.Notes)
}

func TestReadClusterNamespace(t *testing.T) {
	clients := fakeCluster(t, []schema.GroupVersion{anpGV, calicoV1}, readFixtures(t, liveScenario+"/base", liveScenario+"/crd"))
	snap, err := readCluster(context.Background(), clients, "test", "ops", ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{`pods read from namespace "ops" only; policies from all namespaces`}, snap.Notes)
	c, err := snap.Build(Options{})
	require.NoError(t, err)
	var pods []string
	for _, p := range c.Pods {
		pods = append(pods, p.ID())
	}
	assert.Equal(t, []string{"ops/debug", "ops/node-exporter", "ops/prometheus-0"}, pods)
	// Every policy is still there, those of shop and the global ones.
	full := loadDirs(t, liveScenario+"/base", liveScenario+"/crd")
	assert.Equal(t, policyKeys(full), policyKeys(c))
}

func policyKeys(c *Cluster) []string {
	var out []string
	for _, tier := range c.Tiers {
		for _, p := range tier.Policies {
			out = append(out, tier.Name+"/"+p.ID())
		}
	}
	return out
}

// TestSnapshotRoundTrip writes what was read as YAML and as JSON and loads
// it back as files: the same model, less the notes of the read, which the
// YAML keeps as comments.
func TestSnapshotRoundTrip(t *testing.T) {
	for _, ns := range []string{"", "shop"} {
		clients := fakeCluster(t, []schema.GroupVersion{calicoV1}, readFixtures(t, liveScenario+"/base", liveScenario+"/crd"))
		snap, err := readCluster(context.Background(), clients, "prod", ns, ReadOptions{})
		require.NoError(t, err)
		live, err := snap.Build(Options{})
		require.NoError(t, err)
		want := withoutNotes(dump(t, live), snap.Notes)

		var y, j bytes.Buffer
		require.NoError(t, snap.WriteYAML(&y))
		require.NoError(t, snap.WriteJSON(&j))
		assert.True(t, strings.HasPrefix(y.String(), "# reach snapshot of prod: "), y.String()[:80])
		for _, n := range snap.Notes {
			assert.Contains(t, y.String(), "# note: "+n+"\n")
		}
		assert.NotContains(t, y.String(), "managedFields")
		assert.NotContains(t, y.String(), "resourceVersion")
		fsys := fstest.MapFS{"snap.yaml": {Data: y.Bytes()}, "snap.json": {Data: j.Bytes()}}
		for _, name := range []string{"snap.yaml", "snap.json"} {
			c, err := LoadFS(fsys, Options{}, name)
			require.NoError(t, err, name)
			assert.Equal(t, want, dump(t, c), name)
		}
	}
}

// withoutNotes removes the dump lines of notes.
func withoutNotes(d string, notes []string) string {
	for _, n := range notes {
		d = strings.Replace(d, "note: "+n+"\n", "", 1)
	}
	return d
}

func TestSnapshotProblemsNameTheCluster(t *testing.T) {
	objs := readFixtures(t, liveScenario+"/base")
	bad := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
		"metadata": map[string]any{"name": "oops"},
		"spec":     map[string]any{"selector": "app ==", "order": int64(1)},
	}}
	clients := fakeCluster(t, []schema.GroupVersion{calicoV1}, append(objs, bad))
	snap, err := readCluster(context.Background(), clients, "prod", "", ReadOptions{})
	require.NoError(t, err)
	_, err = snap.Build(Options{})
	require.Error(t, err)
	ps := AsProblems(err)
	require.Len(t, ps, 1)
	assert.True(t, strings.HasPrefix(ps[0].Error(), "prod (GlobalNetworkPolicy oops): spec.selector: "), ps[0].Error())
}

func TestLiveResources(t *testing.T) {
	got := LiveResources()
	assert.Contains(t, got, "pods")
	assert.Contains(t, got, "networkpolicies.networking.k8s.io")
	assert.Contains(t, got, "adminnetworkpolicies.policy.networking.k8s.io")
	assert.Contains(t, got, "networkpolicies.projectcalico.org")
	assert.Contains(t, got, "stagedkubernetesnetworkpolicies.crd.projectcalico.org")
	assert.Len(t, got, 5+2+2*len(calicoKinds))
}

// TestClusterRoleGrantsExactlyWhatIsRead checks the shipped ClusterRole: get
// and list, on every resource reach reads and nothing more (but the Calico
// API server's tier.* authorization resources).
func TestClusterRoleGrantsExactlyWhatIsRead(t *testing.T) {
	data, err := os.ReadFile("../deploy/reach-clusterrole.yaml")
	require.NoError(t, err)
	var role rbacv1.ClusterRole
	require.NoError(t, yaml.UnmarshalStrict(data, &role))
	assert.Equal(t, "ClusterRole", role.Kind)
	var granted []string
	for _, r := range role.Rules {
		assert.Equal(t, []string{"get", "list"}, r.Verbs)
		assert.Empty(t, r.ResourceNames)
		assert.Empty(t, r.NonResourceURLs)
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if strings.HasPrefix(res, "tier.") {
					continue // authorization only: nothing is listed under these names
				}
				if g != "" {
					res += "." + g
				}
				granted = append(granted, res)
			}
		}
	}
	assert.ElementsMatch(t, LiveResources(), granted)
}
