package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// changeBase is a small cluster with every kind a change can touch: a
// namespace, a Deployment with one pod listed by owner and one by labels, a
// StatefulSet, a lone pod, a service account, a service, a network set, a
// host endpoint with a profile, and a Kubernetes and a Calico policy of the
// same name.
const changeBase = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: a}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d4b9c6f5-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 7d4b9c6f5}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c6f5, uid: u, controller: true}]
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web-manual, namespace: shop, labels: {app: web, extra: "yes"}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: db
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: ops, labels: {app: tool}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: shop, labels: {role: bot}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: shop, labels: {kind: partner}}
spec: {nets: [203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: worker}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [192.168.0.1], profiles: [edge]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: edge}
spec: {labelsToApply: {zone: edge}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: db}}}]}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  selector: app == 'db'
  types: [Egress]
  egress: [{action: Allow}]
`

func changeCluster(t *testing.T) *Cluster {
	t.Helper()
	objs := coreObjects(t, changeBase)
	c, err := Build(objs, Options{})
	require.NoError(t, err)
	return c
}

func mustRef(t *testing.T, s string) ObjectRef {
	t.Helper()
	r, err := ParseObjectRef(s)
	require.NoError(t, err)
	return r
}

func TestParseObjectRef(t *testing.T) {
	tests := []struct {
		in   string
		want ObjectRef
		err  string
	}{
		{in: "deploy/shop/web", want: ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "web"}},
		{in: "Pod/shop/web-0", want: ObjectRef{Kind: "Pod", Namespace: "shop", Name: "web-0"}},
		{in: "pods/web-0", want: ObjectRef{Kind: "Pod", Namespace: "default", Name: "web-0"}},
		{in: "ns/shop", want: ObjectRef{Kind: "Namespace", Name: "shop"}},
		{in: "netpol/shop/allow", want: ObjectRef{Kind: "NetworkPolicy", Namespace: "shop", Name: "allow"}},
		{in: "networkpolicy.networking.k8s.io/shop/a", want: ObjectRef{Kind: KindKubernetesNetworkPolicy, Namespace: "shop", Name: "a"}},
		{in: "networkpolicy.projectcalico.org/shop/a", want: ObjectRef{Kind: KindCalicoNetworkPolicy, Namespace: "shop", Name: "a"}},
		{in: "gnp/deny-all", want: ObjectRef{Kind: "GlobalNetworkPolicy", Name: "deny-all"}},
		{in: "hep/node1-eth0", want: ObjectRef{Kind: "HostEndpoint", Name: "node1-eth0"}},
		{in: "sts/shop/db", want: ObjectRef{Kind: "StatefulSet", Namespace: "shop", Name: "db"}},
		{in: "widget/shop/x", err: `unknown kind "widget"`},
		{in: "ns/a/b", err: "a Namespace has no namespace"},
		{in: "web", err: "want KIND/NAMESPACE/NAME or KIND/NAME"},
		{in: "pod/shop/", err: "empty name"},
		{in: "pod//web", err: "empty name or namespace"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseObjectRef(tc.in)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.Contains(t, err.Error(), tc.in)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			again, err := ParseObjectRef(got.String())
			require.NoError(t, err, "String must parse back")
			assert.Equal(t, got, again)
		})
	}
}

func TestChangeString(t *testing.T) {
	ref := ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "web"}
	assert.Equal(t, "apply 1 object", ApplyObjects(Objects{Pods: []*Pod{{}}}).String())
	assert.Equal(t, "apply 2 objects", ApplyObjects(Objects{Pods: []*Pod{{}}, Policies: []*Policy{{}}}).String())
	assert.Equal(t, "delete Deployment/shop/web", DeleteObject(ref).String())
	assert.Equal(t, "label Deployment/shop/web tier=db", SetLabel(ref, "tier", "db").String())
	assert.Equal(t, "unlabel Namespace/shop team", RemoveLabel(ObjectRef{Kind: "Namespace", Name: "shop"}, "team").String())
	assert.Equal(t, "no change", Change{}.String())
}

// TestObjectsRebuild checks that the objects of a cluster build it again,
// and that changing and building them leaves the cluster as it was.
func TestObjectsRebuild(t *testing.T) {
	c := changeCluster(t)
	before := c.DumpText()
	again, err := Build(c.Objects(), Options{PodCIDR: c.PodCIDR})
	require.NoError(t, err)
	assert.Equal(t, before, again.DumpText())

	_, err = c.Derive(
		SetLabel(mustRef(t, "deploy/shop/web"), "tier", "front"),
		SetLabel(mustRef(t, "ns/shop"), "team", "b"),
		DeleteObject(mustRef(t, "pod/ops/tool")),
		ApplyObjects(coreObjects(t, `
apiVersion: v1
kind: Pod
metadata: {name: extra, namespace: shop, labels: {app: extra}}
spec: {containers: [{name: c, image: x}]}`)),
	)
	require.NoError(t, err)
	assert.Equal(t, before, c.DumpText(), "Derive changed the cluster it started from")
}

// labelsOfPod returns the labels of pod id in c, or nil.
func labelsOfPod(c *Cluster, id string) map[string]string {
	for _, p := range c.Pods {
		if p.ID() == id {
			return p.Labels
		}
	}
	return nil
}

func changedPodIDs(c *Cluster) []string {
	var out []string
	for _, p := range c.Pods {
		out = append(out, p.ID())
	}
	return out
}

func policyIDs(c *Cluster) []string {
	var out []string
	for _, t := range c.Tiers {
		for _, p := range t.Policies {
			out = append(out, p.ID())
		}
	}
	return out
}

func TestDeriveApply(t *testing.T) {
	c := changeCluster(t)
	t.Run("a new policy is added", func(t *testing.T) {
		c2, err := c.Derive(ApplyObjects(coreObjects(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}}`)))
		require.NoError(t, err)
		assert.Contains(t, policyIDs(c2), "KubernetesNetworkPolicy shop/deny-all")
		assert.Len(t, policyIDs(c2), len(policyIDs(c))+1)
	})
	t.Run("a policy of the same kind and name is replaced", func(t *testing.T) {
		c2, err := c.Derive(ApplyObjects(coreObjects(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}}`)))
		require.NoError(t, err)
		assert.Equal(t, policyIDs(c), policyIDs(c2))
		assert.NotEqual(t, c.DumpText(), c2.DumpText())
	})
	t.Run("a workload replaces the pods listed for the one it replaces", func(t *testing.T) {
		c2, err := c.Derive(ApplyObjects(coreObjects(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v2}}
    spec: {containers: [{name: c, image: x}]}`)))
		require.NoError(t, err)
		ids := changedPodIDs(c2)
		assert.NotContains(t, ids, "shop/web-7d4b9c6f5-abcde")
		assert.NotContains(t, ids, "shop/web-manual")
		w := representativeName("Deployment", "shop", "web")
		assert.Equal(t, map[string]string{"app": "web", "version": "v2"}, labelsOfPod(c2, "shop/"+w))
	})
	t.Run("a change applied twice gives the same cluster", func(t *testing.T) {
		ch := ApplyObjects(coreObjects(t, `
apiVersion: v1
kind: Pod
metadata: {name: extra, namespace: shop, labels: {app: extra}}
spec: {containers: [{name: c, image: x}]}`))
		c2, err := c.Derive(ch)
		require.NoError(t, err)
		c3, err := c.Derive(ch)
		require.NoError(t, err)
		assert.Equal(t, c2.DumpText(), c3.DumpText())
		assert.Contains(t, changedPodIDs(c2), "shop/extra")
	})
}

func TestDeriveDelete(t *testing.T) {
	c := changeCluster(t)
	tests := []struct {
		ref     string
		gone    []string // pod IDs or policy IDs that must be gone
		kept    []string
		err     string
		dumpHas string // in the dump, which must no longer hold it
	}{
		{ref: "ns/shop", gone: []string{"shop/web-manual", "shop/db-0", "KubernetesNetworkPolicy shop/allow-web"}, kept: []string{"ops/tool"}},
		{ref: "deploy/shop/web", gone: []string{"shop/web-7d4b9c6f5-abcde", "shop/web-manual"}, kept: []string{"shop/db-0"}},
		{ref: "sts/shop/db", gone: []string{"shop/db-0"}, kept: []string{"shop/web-manual"}},
		{ref: "pod/ops/tool", gone: []string{"ops/tool"}},
		{ref: "networkpolicy.networking.k8s.io/shop/allow-web", gone: []string{"KubernetesNetworkPolicy shop/allow-web"},
			kept: []string{"NetworkPolicy shop/allow-web"}},
		{ref: "networkpolicy.projectcalico.org/shop/allow-web", gone: []string{"NetworkPolicy shop/allow-web"},
			kept: []string{"KubernetesNetworkPolicy shop/allow-web"}},
		{ref: "netpol/shop/allow-web", err: "both a Kubernetes and a Calico NetworkPolicy are named shop/allow-web"},
		{ref: "svc/shop/web", dumpHas: "shop/web selector"},
		{ref: "sa/shop/robot", dumpHas: "shop/robot"},
		{ref: "netset/shop/partners", dumpHas: "NetworkSet shop/partners"},
		{ref: "hep/node1-eth0", dumpHas: "node1-eth0"},
		{ref: "pod/shop/db-0", err: "pod shop/db-0 is how reach models StatefulSet shop/db: delete the StatefulSet"},
		{ref: "deploy/shop/nope", err: "no Deployment/shop/nope to delete"},
		{ref: "tier/nope", err: "no Tier/nope to delete"},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			c2, err := c.Derive(DeleteObject(mustRef(t, tc.ref)))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			have := append(changedPodIDs(c2), policyIDs(c2)...)
			for _, g := range tc.gone {
				assert.NotContains(t, have, g)
			}
			for _, k := range tc.kept {
				assert.Contains(t, have, k)
			}
			if tc.dumpHas != "" {
				assert.Contains(t, c.DumpText(), tc.dumpHas)
				assert.NotContains(t, c2.DumpText(), tc.dumpHas)
			}
		})
	}
}

func TestDeriveLabels(t *testing.T) {
	c := changeCluster(t)
	web := "shop/" + representativeName("Deployment", "shop", "web")
	labelsOf := func(c *Cluster, kind, name string) map[string]string {
		switch kind {
		case "Namespace":
			for _, n := range c.Namespaces {
				if n.Name == name {
					return n.Labels
				}
			}
		case "ServiceAccount":
			for _, s := range c.ServiceAccounts {
				if s.Namespace+"/"+s.Name == name {
					return s.Labels
				}
			}
		case "NetworkSet":
			for _, n := range c.NetworkSets {
				if n.Namespace+"/"+n.Name == name {
					return n.Labels
				}
			}
		case "HostEndpoint":
			for _, h := range c.HostEndpoints {
				if h.Name == name {
					return h.Labels
				}
			}
		case "Profile":
			for _, p := range c.Profiles {
				if p.Name == name {
					return p.Labels
				}
			}
		}
		return labelsOfPod(c, name)
	}
	tests := []struct {
		name   string
		change Change
		kind   string   // what to look at
		ids    []string // which objects get the label
		want   string   // the value; empty: removed
		err    string
	}{
		{name: "a pod", change: SetLabel(mustRef(t, "pod/ops/tool"), "tier", "t1"), ids: []string{"ops/tool"}, want: "t1"},
		{name: "a workload: its template and its listed pods", change: SetLabel(mustRef(t, "deploy/shop/web"), "tier", "front"),
			ids: []string{"shop/web-7d4b9c6f5-abcde", "shop/web-manual"}, want: "front"},
		{name: "a representative pod stands for its workload", change: SetLabel(mustRef(t, "pod/shop/db-0"), "tier", "data"),
			ids: []string{"shop/db-0"}, want: "data"},
		{name: "a label removed from a workload", change: RemoveLabel(mustRef(t, "deploy/shop/web"), "app"),
			ids: []string{"shop/web-7d4b9c6f5-abcde"}},
		{name: "a namespace", change: SetLabel(mustRef(t, "ns/shop"), "team", "b"), kind: "Namespace", ids: []string{"shop"}, want: "b"},
		{name: "a namespace only implied", change: SetLabel(mustRef(t, "ns/ops"), "env", "prod"), kind: "Namespace", ids: []string{"ops"}, want: "prod"},
		{name: "a service account", change: RemoveLabel(mustRef(t, "sa/shop/robot"), "role"), kind: "ServiceAccount", ids: []string{"shop/robot"}},
		{name: "a network set", change: SetLabel(mustRef(t, "netset/shop/partners"), "kind", "vendor"), kind: "NetworkSet", ids: []string{"shop/partners"}, want: "vendor"},
		{name: "a host endpoint", change: SetLabel(mustRef(t, "hep/node1-eth0"), "role", "ingress"), kind: "HostEndpoint", ids: []string{"node1-eth0"}, want: "ingress"},
		{name: "a profile", change: SetLabel(mustRef(t, "profile/edge"), "zone", "core"), kind: "Profile", ids: []string{"edge"}, want: "core"},
		{name: "an invalid key", change: SetLabel(mustRef(t, "pod/ops/tool"), "bad key", "x"), err: `invalid label key "bad key"`},
		{name: "an invalid value", change: SetLabel(mustRef(t, "pod/ops/tool"), "k", "a b"), err: `invalid label value "a b"`},
		{name: "the namespace name label", change: RemoveLabel(mustRef(t, "ns/shop"), LabelK8sNamespace), err: "set by the API server"},
		{name: "a label that is not there", change: RemoveLabel(mustRef(t, "pod/ops/tool"), "nope"), err: `Pod/ops/tool has no label "nope"`},
		{name: "a missing object", change: SetLabel(mustRef(t, "pod/ops/nope"), "k", "v"), err: "no Pod/ops/nope to label"},
		{name: "a kind without labels", change: SetLabel(mustRef(t, "svc/shop/web"), "k", "v"), err: "reach does not read the labels of a Service"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c2, err := c.Derive(tc.change)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.Contains(t, err.Error(), "change 1 ("+tc.change.String()+")")
				return
			}
			require.NoError(t, err)
			key := tc.change.Key
			for _, id := range tc.ids {
				l := labelsOf(c2, tc.kind, id)
				require.NotNil(t, l, id)
				v, ok := l[key]
				if tc.want == "" {
					assert.False(t, ok, "%s still has %s", id, key)
				} else {
					assert.Equal(t, tc.want, v, id)
				}
			}
		})
	}
	t.Run("a workload's label reaches its representative pod", func(t *testing.T) {
		c2, err := c.Derive(SetLabel(mustRef(t, "sts/shop/db"), "tier", "data"))
		require.NoError(t, err)
		assert.Equal(t, "data", labelsOfPod(c2, "shop/db-0")["tier"])
		assert.Empty(t, labelsOfPod(c, "shop/db-0")["tier"], "the original must not change")
		_ = web
	})
	t.Run("a pod relabelled out of its workload's template no longer stands for it", func(t *testing.T) {
		// web-manual belongs to web by its labels only: without app=web the
		// Deployment's own pod has to stand for it again... but the
		// owned pod web-7d4b9c6f5-abcde still does.
		c2, err := c.Derive(RemoveLabel(mustRef(t, "pod/shop/web-manual"), "app"))
		require.NoError(t, err)
		for _, p := range c2.Pods {
			if p.ID() == "shop/web-manual" {
				assert.Nil(t, p.Workload)
			}
		}
	})
}

// TestDerivePoliciesOnly checks the path for changes to policies alone: the
// cluster it makes is the one Build makes, and it shares the rest.
func TestDerivePoliciesOnly(t *testing.T) {
	c := changeCluster(t)
	changes := []Change{
		ApplyObjects(coreObjects(t, `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: first}
spec: {order: 1, selector: all(), types: [Ingress], ingress: [{action: Pass}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}}`)),
		DeleteObject(mustRef(t, "networkpolicy.projectcalico.org/shop/allow-web")),
	}
	fast, err := c.Derive(changes...)
	require.NoError(t, err)
	objs, err := c.Objects().With(changes...)
	require.NoError(t, err)
	full, err := Build(objs, Options{PodCIDR: c.PodCIDR})
	require.NoError(t, err)
	assert.Equal(t, full.DumpText(), fast.DumpText())
	assert.Same(t, c.Pods[0], fast.Pods[0], "the pods are shared")
	again, err := Build(fast.Objects(), Options{PodCIDR: c.PodCIDR})
	require.NoError(t, err)
	assert.Equal(t, fast.DumpText(), again.DumpText(), "a derived cluster's objects build it again")

	t.Run("a policy in a tier that does not exist", func(t *testing.T) {
		_, err := c.Derive(ApplyObjects(coreObjects(t, `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.x}
spec: {tier: security, selector: all()}`)))
		require.Error(t, err)
		assert.Contains(t, err.Error(), `tier "security" does not exist`)
	})
	t.Run("a policy in a namespace that is not defined", func(t *testing.T) {
		c2, err := c.Derive(ApplyObjects(coreObjects(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: elsewhere}
spec: {podSelector: {}}`)))
		require.NoError(t, err)
		assert.Contains(t, strings.Join(c2.Notes, "\n"), "elsewhere")
	})
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(`
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
spec: {containers: [{name: c, image: x}]}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.yaml"), []byte("not: [yaml"), 0o644))
	objs, err := ReadFiles(nil, dir)
	require.NoError(t, err)
	require.Len(t, objs.Pods, 1)
	assert.Equal(t, "shop/a", objs.Pods[0].ID())

	objs, err = ReadFiles(strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), "-")
	require.NoError(t, err)
	require.Len(t, objs.Namespaces, 1)

	_, err = ReadFiles(nil, filepath.Join(dir, "missing.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.yaml")
}
