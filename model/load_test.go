package model

import (
	"flag"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// repo is the module root, so that positions read testdata/load/...
var repo = os.DirFS("..")

// loadErr loads paths from the repository and returns the problems as text.
func loadErr(t *testing.T, paths ...string) string {
	t.Helper()
	c, err := LoadFS(repo, Options{}, paths...)
	require.Error(t, err)
	require.Nil(t, c, "a Cluster must never come with problems")
	require.NotEmpty(t, AsProblems(err), "every error is a Problems")
	return err.Error()
}

func mustLoadFS(t *testing.T, fsys fs.FS, paths ...string) *Cluster {
	t.Helper()
	c, err := LoadFS(fsys, Options{}, paths...)
	require.NoError(t, err)
	return c
}

func podByID(c *Cluster, id string) *Pod {
	for _, p := range c.Pods {
		if p.ID() == id {
			return p
		}
	}
	return nil
}

func podIDs(c *Cluster) []string {
	var ids []string
	for _, p := range c.Pods {
		ids = append(ids, p.ID())
	}
	return ids
}

func TestBrokenGolden(t *testing.T) {
	got := loadErr(t, "testdata/load/broken") + "\n"
	golden := filepath.Join("..", "testdata", "load", "broken.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

func TestLoadDirectory(t *testing.T) {
	c := mustLoadFS(t, repo, "testdata/load/cluster")

	assert.Equal(t, []string{"prod/db-0", "prod/web-jqvht", "y/debug"}, podIDs(c),
		"nested directories read, .hidden, README.md and notes.txt not read")
	assert.Equal(t, map[string]int{"ConfigMap": 1}, c.Skipped)

	var names []string
	for _, n := range c.Namespaces {
		names = append(names, n.Name)
	}
	assert.Equal(t, []string{"prod", "y"}, names)
	require.Len(t, c.ServiceAccounts, 1, "JSON files are read")
	assert.Equal(t, map[string]string{"team": "frontend"}, c.ServiceAccounts[0].Labels)
	assert.Equal(t, "testdata/load/cluster/apps/serviceaccount.json", c.ServiceAccounts[0].Source.File)
}

// YAML 1.2: y, yes, on and off are strings, not booleans.
func TestLoadYAML12Scalars(t *testing.T) {
	c := mustLoadFS(t, repo, "testdata/load/cluster/namespaces.yaml", "testdata/load/cluster/y.yaml")

	require.Len(t, c.Namespaces, 2)
	y := c.Namespaces[1]
	assert.Equal(t, "y", y.Name)
	assert.Equal(t, map[string]string{"env": "on", LabelK8sNamespace: "y"}, y.Labels)
	debug := podByID(c, "y/debug")
	require.NotNil(t, debug)
	assert.Equal(t, map[string]string{"debug": "yes", "enabled": "on"}, debug.Labels)
}

func TestLoadHelmOutput(t *testing.T) {
	objs, err := Read("helm.yaml", mustOpen(t, "helm.yaml"))
	require.NoError(t, err)

	require.Len(t, objs.Services, 1)
	svc := objs.Services[0]
	assert.Equal(t, Position{File: "helm.yaml", Line: 8, Doc: 3, Kind: "Service", Namespace: "default", Name: "shop"}, svc.Source,
		"empty and comment-only documents are counted: the first --- starts document 1")
	require.Len(t, objs.Workloads, 1)
	assert.Equal(t, 4, objs.Workloads[0].Source.Doc)
	require.Len(t, objs.Pods, 1)
	assert.Equal(t, Position{File: "helm.yaml", Line: 48, Doc: 5, Kind: "Pod", Namespace: "default", Name: "shop-test-connection"}, objs.Pods[0].Source)
}

func mustOpen(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "load", name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestLoadList(t *testing.T) {
	c := mustLoadFS(t, repo, "testdata/load/list.yaml")

	a, b := podByID(c, "shop/a"), podByID(c, "shop/b")
	require.NotNil(t, a)
	require.NotNil(t, b)
	assert.Equal(t, Position{File: "testdata/load/list.yaml", Line: 6, Doc: 1, Kind: "Pod", Namespace: "shop", Name: "a"}, a.Source)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.1.0.5")}, a.IPs)
	assert.Equal(t, Position{File: "testdata/load/list.yaml", Line: 27, Doc: 2, Kind: "Pod", Namespace: "shop", Name: "b"}, b.Source,
		"items of a typed list inherit its apiVersion and kind")
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.1.0.7"), netip.MustParseAddr("fd00::7")}, b.IPs, "IPv4 first")
	assert.Equal(t, map[string]int{"ConfigMap": 1}, c.Skipped)
}

func TestLoadStdin(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "load", "list.yaml"))
	require.NoError(t, err)
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()

	c, err := Load(Options{}, "-", filepath.Join("..", "testdata", "load", "helm.yaml"))
	require.NoError(t, err)
	a := podByID(c, "shop/a")
	require.NotNil(t, a)
	assert.Equal(t, StdinName, a.Source.File)
	assert.NotNil(t, podByID(c, "default/shop-test-connection"))
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{
			name:  "unknown field at its line",
			paths: []string{"testdata/load/bad.yaml"},
			want:  "testdata/load/bad.yaml:13 (doc 2, Pod default/web): spec.containers[0].portz: unknown field",
		},
		{
			name:  "every file read, every problem reported",
			paths: []string{"testdata/load/bad.yaml", "testdata/load/cluster", "testdata/load/broken/01-syntax.yaml"},
			want: "testdata/load/bad.yaml:13 (doc 2, Pod default/web): spec.containers[0].portz: unknown field\n" +
				"testdata/load/broken/01-syntax.yaml:10 (doc 2): YAML syntax error: mapping values are not allowed in this context (the rest of the file cannot be read)",
		},
		{
			name:  "duplicates across files name both",
			paths: []string{"testdata/load/dup"},
			want:  "testdata/load/dup/b.yaml:6 (doc 2, Service default/web): duplicate Service default/web: first defined at testdata/load/dup/a.yaml:1 (doc 1, Service default/web)",
		},
		{
			name:  "missing file",
			paths: []string{"testdata/load/nope.yaml", "testdata/load/bad.yaml"},
			want: "testdata/load/nope.yaml: no such file or directory\n" +
				"testdata/load/bad.yaml:13 (doc 2, Pod default/web): spec.containers[0].portz: unknown field",
		},
		{
			name:  "no input",
			paths: nil,
			want:  "no input: give at least one file or directory",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, loadErr(t, tc.paths...))
		})
	}
}

func TestLoadFSLayouts(t *testing.T) {
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec: {containers: [{name: c, image: i}]}\n"
	}
	tests := []struct {
		name  string
		files fstest.MapFS
		paths []string
		want  []string // pod IDs, or
		err   string
	}{
		{
			name: "lexical order, extensions, hidden entries",
			files: fstest.MapFS{
				"in/b.yml":            {Data: []byte(pod("b"))},
				"in/a/z.YAML":         {Data: []byte(pod("z"))},
				"in/c.json":           {Data: []byte(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"}}`)},
				"in/d.txt":            {Data: []byte("not read")},
				"in/.e.yaml":          {Data: []byte("not: [read")},
				"in/.git/config.yaml": {Data: []byte("not: [read")},
			},
			paths: []string{"in"},
			want:  []string{"default/b", "default/c", "default/z"},
		},
		{
			name:  "a file named explicitly is read whatever its name",
			files: fstest.MapFS{"in/.pod.txt": {Data: []byte(pod("p"))}},
			paths: []string{"in/.pod.txt"},
			want:  []string{"default/p"},
		},
		{
			name:  "a file named twice is read once",
			files: fstest.MapFS{"in/p.yaml": {Data: []byte(pod("p"))}},
			paths: []string{"in/", "./in/p.yaml"},
			want:  []string{"default/p"},
		},
		{
			name:  "a directory without manifests",
			files: fstest.MapFS{"in/README.md": {Data: []byte("#")}},
			paths: []string{"in"},
			err:   "in: no .yaml, .yml or .json files in this directory",
		},
		{
			name:  "an empty file holds nothing",
			files: fstest.MapFS{"in/empty.yaml": {Data: nil}, "in/p.yaml": {Data: []byte(pod("p"))}},
			paths: []string{"in"},
			want:  []string{"default/p"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadFS(tc.files, Options{}, tc.paths...)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, podIDs(c))
		})
	}
}

func TestLoadOSDirectory(t *testing.T) {
	c, err := Load(Options{}, filepath.Join("..", "testdata", "load", "cluster"))
	require.NoError(t, err)
	assert.Len(t, c.Pods, 3)
	assert.Equal(t, filepath.Join("..", "testdata", "load", "cluster", "apps", "db", "db.yml"), c.Workloads[1].Source.File)
}

func TestLoadSkippedAndRejectedKinds(t *testing.T) {
	tests := []struct {
		name       string
		apiVersion string
		kind       string
		skippedAs  string // "": rejected
	}{
		{name: "configmap", apiVersion: "v1", kind: "ConfigMap", skippedAs: "ConfigMap"},
		{name: "secret", apiVersion: "v1", kind: "Secret", skippedAs: "Secret"},
		{name: "ingress", apiVersion: "networking.k8s.io/v1", kind: "Ingress", skippedAs: "Ingress"},
		{name: "ingress class", apiVersion: "networking.k8s.io/v1", kind: "IngressClass", skippedAs: "IngressClass"},
		{name: "pvc", apiVersion: "v1", kind: "PersistentVolumeClaim", skippedAs: "PersistentVolumeClaim"},
		{name: "hpa", apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", skippedAs: "HorizontalPodAutoscaler"},
		{name: "crd", apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", skippedAs: "CustomResourceDefinition"},
		{name: "rbac", apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", skippedAs: "ClusterRoleBinding"},
		{name: "service monitor", apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", skippedAs: "ServiceMonitor"},
		{name: "pdb", apiVersion: "policy/v1", kind: "PodDisruptionBudget", skippedAs: "PodDisruptionBudget"},
		{name: "endpoints", apiVersion: "v1", kind: "Endpoints", skippedAs: "Endpoints"},
		{name: "endpoint slice", apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", skippedAs: "EndpointSlice"},
		{name: "node", apiVersion: "v1", kind: "Node", skippedAs: "Node"},
		{name: "calico ip pool", apiVersion: "projectcalico.org/v3", kind: "IPPool", skippedAs: "IPPool"},
		{name: "calico felix config", apiVersion: "crd.projectcalico.org/v1", kind: "FelixConfiguration", skippedAs: "FelixConfiguration"},
		{name: "calico bgp peer", apiVersion: "projectcalico.org/v3", kind: "BGPPeer", skippedAs: "BGPPeer"},
		{name: "knative service", apiVersion: "serving.knative.dev/v1", kind: "Service", skippedAs: "Service.serving.knative.dev"},
		{name: "old network policy", apiVersion: "networking.k8s.io/v1beta1", kind: "NetworkPolicy"},
		{name: "extensions network policy", apiVersion: "extensions/v1beta1", kind: "NetworkPolicy"},
		{name: "old deployment", apiVersion: "apps/v1beta2", kind: "Deployment"},
		{name: "old cronjob", apiVersion: "batch/v1beta1", kind: "CronJob"},
		{name: "typo in a built-in group", apiVersion: "app/v1", kind: "Deployment"},
		{name: "unknown calico kind", apiVersion: "projectcalico.org/v3", kind: "FancyPolicy"},
		{name: "unknown calico crd kind", apiVersion: "crd.projectcalico.org/v1", kind: "FancyPolicy"},
		{name: "unknown k8s networking kind", apiVersion: "networking.k8s.io/v1alpha1", kind: "ClusterPolicy"},
		{name: "unknown admin policy kind", apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicyX"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: x}\n", tc.apiVersion, tc.kind)
			objs, err := Read("in.yaml", strings.NewReader(src))
			if tc.skippedAs == "" {
				require.Error(t, err, "must never be skipped silently")
				assert.Contains(t, err.Error(), "is not supported")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, map[string]int{tc.skippedAs: 1}, objs.Skipped)
		})
	}
}

func TestLoadSkippedNote(t *testing.T) {
	files := fstest.MapFS{"a.yaml": {Data: []byte(
		"apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Secret\n---\napiVersion: v1\nkind: ConfigMap\n")}}
	c := mustLoadFS(t, files, "a.yaml")
	assert.Equal(t, map[string]int{"ConfigMap": 2, "Secret": 1}, c.Skipped)
	assert.Contains(t, c.Notes, "skipped 3 objects of kinds that cannot affect reachability: ConfigMap 2, Secret 1")
}

// A workload whose pods the input lists is not doubled by its
// representative pod.
func TestLoadWorkloadWithItsPods(t *testing.T) {
	deploy := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`
	tests := []struct {
		name string
		pods string
		want []string
	}{
		{
			name: "no pods listed",
			want: []string{"shop/web-ncdfs"},
		},
		{
			name: "pods owned through a ReplicaSet",
			pods: `apiVersion: v1
kind: Pod
metadata:
  name: web-7d4b9c8f6d-x2x9k
  namespace: shop
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c8f6d, uid: "1", controller: true}
spec: {containers: [{name: web, image: nginx}]}
`,
			want: []string{"shop/web-7d4b9c8f6d-x2x9k"},
		},
		{
			name: "pods with the template labels",
			pods: `apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web, extra: "1"}}
spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
`,
			want: []string{"shop/web-1", "shop/web-2"},
		},
		{
			name: "pods elsewhere do not count",
			pods: `apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: other, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
`,
			want: []string{"other/web-1", "shop/web-ncdfs"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := fstest.MapFS{"deploy.yaml": {Data: []byte(deploy)}, "pods.yaml": {Data: []byte(tc.pods)}}
			c := mustLoadFS(t, files, "deploy.yaml", "pods.yaml")
			assert.Equal(t, tc.want, podIDs(c))
			require.Len(t, c.Workloads, 1)
		})
	}
}

func TestLoadAddressSynthesis(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: ns%d}\nspec: {containers: [{name: c, image: i}]}\n", i, i%7)
	}
	b.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: fixed}\nspec: {containers: [{name: c, image: i}]}\nstatus: {podIP: 10.0.0.9}\n")
	b.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: host}\nspec: {hostNetwork: true, containers: [{name: c, image: i}]}\n")
	b.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: done}\nspec: {containers: [{name: c, image: i}]}\nstatus: {phase: Succeeded, podIP: 10.0.0.10}\n")
	files := fstest.MapFS{"pods.yaml": {Data: []byte(b.String())}}

	// A /23 holds 510 addresses: plenty of collisions to probe past.
	opt := Options{PodCIDR: netip.MustParsePrefix("10.9.0.0/23")}
	c1, err := LoadFS(files, opt, "pods.yaml")
	require.NoError(t, err)
	c2, err := LoadFS(files, opt, "pods.yaml")
	require.NoError(t, err)

	seen := map[netip.Addr]string{}
	for i, p := range c1.Pods {
		assert.Equal(t, p.IPs, c2.Pods[i].IPs, "deterministic: %s", p.ID())
		switch p.Name {
		case "fixed":
			assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.0.9")}, p.IPs)
			assert.False(t, p.IPSynthesized)
		case "host", "done":
			assert.Empty(t, p.IPs, "host-networked and finished pods get no address")
		default:
			require.Len(t, p.IPs, 1)
			assert.True(t, p.IPSynthesized)
			assert.True(t, opt.PodCIDR.Contains(p.IPs[0]))
			assert.NotEqual(t, opt.PodCIDR.Addr(), p.IPs[0], "not the network address")
		}
		for _, ip := range p.IPs {
			other, dup := seen[ip]
			assert.False(t, dup, "%s and %s share %s", p.ID(), other, ip)
			seen[ip] = p.ID()
		}
	}
	assert.Contains(t, c1.Notes, "300 pods have no address in the input; reach gave them addresses from 10.9.0.0/23")

	// The input order does not matter.
	docs := strings.Split(b.String(), "---\n")
	half := len(docs) / 2
	split := fstest.MapFS{
		"a.yaml": {Data: []byte(strings.Join(docs[:half], "---\n"))},
		"b.yaml": {Data: []byte(strings.Join(docs[half:], "---\n"))},
	}
	ab, err := LoadFS(split, opt, "a.yaml", "b.yaml")
	require.NoError(t, err)
	ba, err := LoadFS(split, opt, "b.yaml", "a.yaml")
	require.NoError(t, err)
	require.Len(t, ab.Pods, len(c1.Pods))
	for i, p := range c1.Pods {
		assert.Equal(t, p.IPs, ab.Pods[i].IPs, p.ID())
		assert.Equal(t, p.IPs, ba.Pods[i].IPs, p.ID())
	}
}

func TestReadProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "syntax error in a later document",
			src:  "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkey: [unclosed\n",
			want: "in.yaml:5 (doc 2): YAML syntax error: did not find expected ',' or ']' (the rest of the file cannot be read)",
		},
		{
			name: "tab indentation",
			src:  "apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: a\n",
			want: "in.yaml:4 (doc 1): YAML syntax error: found character that cannot start any token (the rest of the file cannot be read)",
		},
		{
			name: "unknown anchor",
			src:  "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nmetadata: *nope\n",
			want: "in.yaml:4 (doc 2): YAML syntax error: unknown anchor 'nope' referenced (the rest of the file cannot be read)",
		},
		{
			name: "duplicate key",
			src:  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n",
			want: "in.yaml:5 (doc 1, Namespace a): metadata.name: duplicate field (first at line 4)",
		},
		{
			name: "scalar document",
			src:  "hello\n",
			want: "in.yaml:1 (doc 1): not a Kubernetes object: a YAML scalar, not a mapping",
		},
		{
			name: "empty kind",
			src:  "apiVersion: v1\nkind: \"\"\n",
			want: "in.yaml:2 (doc 1): kind: not a Kubernetes object: want a non-empty string",
		},
		{
			name: "concatenated JSON",
			src:  "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}\n{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}\n",
			want: "in.yaml:2 (doc 2): YAML syntax error: did not find expected <document start> (the rest of the file cannot be read)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Read("in.yaml", strings.NewReader(tc.src))
			require.EqualError(t, err, tc.want)
			assert.Equal(t, Objects{}, objs, "nothing half-read")
		})
	}
}

func TestReadAliases(t *testing.T) {
	src := `apiVersion: v1
kind: Pod
metadata:
  name: a
  labels: &labels
    app: web
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Service
metadata: {name: a}
spec:
  selector: *labels
`
	_, err := Read("in.yaml", strings.NewReader(src))
	assert.Error(t, err, "an anchor is local to its document")

	src = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: a
    labels: &labels {app: web}
  spec: {containers: [{name: c, image: i}]}
- apiVersion: v1
  kind: Service
  metadata: {name: a}
  spec: {selector: *labels, ports: [{port: 80}]}
`
	objs, err := Read("in.yaml", strings.NewReader(src))
	require.NoError(t, err)
	require.Len(t, objs.Services, 1)
	assert.Equal(t, map[string]string{"app": "web"}, objs.Services[0].Selector)
}

func TestObjectsMerge(t *testing.T) {
	a := Objects{
		Pods:    []*Pod{{Name: "a"}},
		Skipped: map[string]int{"ConfigMap": 1},
		Notes:   []string{"a"},
	}
	b := Objects{
		Pods:       []*Pod{{Name: "b"}},
		Namespaces: []*Namespace{{Name: "ns"}},
		Policies:   []*Policy{{Name: "p"}},
		Skipped:    map[string]int{"ConfigMap": 2, "Secret": 1},
		Notes:      []string{"b"},
	}
	a.Merge(b)
	assert.Len(t, a.Pods, 2)
	assert.Len(t, a.Namespaces, 1)
	assert.Len(t, a.Policies, 1)
	assert.Equal(t, map[string]int{"ConfigMap": 3, "Secret": 1}, a.Skipped)
	assert.Equal(t, []string{"a", "b"}, a.Notes)

	var empty Objects
	empty.Merge(Objects{})
	assert.Nil(t, empty.Skipped)
}

func ExampleLoad() {
	c, err := Load(Options{}, "../testdata/load/cluster")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range c.Pods {
		owner := "-"
		if p.Workload != nil {
			owner = p.Workload.Kind + " " + p.Workload.Name
		}
		fmt.Println(p.ID(), p.IPs, owner)
	}
	for _, s := range c.Services {
		fmt.Println(s.Namespace+"/"+s.Name, "->", podIDs(&Cluster{Pods: c.Backends(s)}))
	}
	fmt.Println(c.Skipped)
	// Output:
	// prod/db-0 [10.244.127.10] StatefulSet db
	// prod/web-jqvht [10.244.240.101] Deployment web
	// y/debug [10.244.157.44] -
	// prod/db -> [prod/db-0]
	// prod/web -> [prod/web-jqvht]
	// map[ConfigMap:1]
}
