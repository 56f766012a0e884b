package reach_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
)

const threeTier = "../examples/three-tier"

func analyze(t testing.TB, opt reach.MatrixOptions, paths ...string) *reach.Analysis {
	t.Helper()
	c, err := model.Load(model.Options{}, paths...)
	require.NoError(t, err)
	a, err := reach.Analyze(c, opt)
	require.NoError(t, err)
	return a
}

func ref(t testing.TB, s string) model.ObjectRef {
	t.Helper()
	r, err := model.ParseObjectRef(s)
	require.NoError(t, err)
	return r
}

func readObjects(t testing.TB, yaml string) model.Objects {
	t.Helper()
	o, err := model.Read("change.yaml", strings.NewReader(yaml))
	require.NoError(t, err)
	return o
}

// summary renders the groups of a diff one a line, with the explanation of
// the side that denies where the flow is denied.
func summary(d *reach.Diff) []string {
	var out []string
	for _, list := range []struct {
		mark   string
		groups []reach.FlowGroup
	}{{"+", d.Added}, {"-", d.Removed}} {
		for _, g := range list.groups {
			out = append(out, fmt.Sprintf("%s %s (%d/%d) -> %s (%d/%d) %s", list.mark,
				g.Src.Name, len(g.Src.Peers), g.Src.Size, g.Dst.Name, len(g.Dst.Peers), g.Dst.Size, g.Ports))
		}
	}
	return out
}

// ExampleAnalysis_WhatIf deletes a policy of the three-tier example and
// prints the flows that closes, with the policy that allowed them.
func ExampleAnalysis_WhatIf() {
	c, err := model.Load(model.Options{}, "../examples/three-tier")
	if err != nil {
		panic(err)
	}
	a, err := reach.Analyze(c, reach.MatrixOptions{})
	if err != nil {
		panic(err)
	}
	policy, _ := model.ParseObjectRef("netpol/app/allow-frontend-to-backend")
	after, err := a.WhatIf(model.DeleteObject(policy))
	if err != nil {
		panic(err)
	}
	d, err := reach.Compare(a, after, reach.DiffOptions{Explain: true})
	if err != nil {
		panic(err)
	}
	for _, g := range d.Removed {
		fmt.Printf("closed: %s -> %s %s\n", g.Src.Name, g.Dst.Name, g.Ports)
		fmt.Printf("  before: %s\n", g.Before.Ingress)
		fmt.Printf("  after:  %s\n", g.After.Ingress)
	}
	// Output:
	// closed: app/frontend -> app/backend TCP 8080
	//   before: ingress of app/backend-5czqz: allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-frontend-to-backend in tier default
	//   after:  ingress of app/backend-5czqz: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy app/allow-monitoring-scrape, KubernetesNetworkPolicy app/default-deny-all
}

// ExampleAnalysis_Staged lists what enforcing a staged policy would close.
func ExampleAnalysis_Staged() {
	c, err := model.Load(model.Options{}, "../examples/three-tier", "../testdata/cli/diff/input/staged-database.yaml")
	if err != nil {
		panic(err)
	}
	enforced, err := reach.Analyze(c, reach.MatrixOptions{})
	if err != nil {
		panic(err)
	}
	pending, err := enforced.Staged()
	if err != nil {
		panic(err)
	}
	d, err := reach.Compare(enforced, pending, reach.DiffOptions{Explain: true})
	if err != nil {
		panic(err)
	}
	for _, g := range d.Removed {
		fmt.Printf("closed: %s -> %s %s\n  %s\n", g.Src.Name, g.Dst.Name, g.Ports, g.After.Ingress)
	}
	// Output:
	// closed: monitoring/prometheus -> app/database TCP 9090
	//   ingress of app/database-978rv: denied by rule 1 (Deny) of StagedNetworkPolicy app/database-from-backend-only in tier default
}

// TestWhatIfChangeKinds runs one change of each kind on an example and
// checks the flows it opens and closes.
func TestWhatIfChangeKinds(t *testing.T) {
	frontendToDatabase := readObjects(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-frontend-to-database, namespace: app}
spec:
  podSelector: {matchLabels: {app: database}}
  ingress: [{from: [{podSelector: {matchLabels: {app: frontend}}}], ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-egress-to-database, namespace: app}
spec:
  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: database}}}], ports: [{port: 5432}]}]`)
	cache := readObjects(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: app}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: redis, image: redis}]}`)
	tests := []struct {
		name    string
		example string
		changes []model.Change
		want    []string
	}{
		{name: "a policy added", changes: []model.Change{model.ApplyObjects(frontendToDatabase)},
			want: []string{"+ app/frontend (1/1) -> app/database (1/1) TCP 5432"}},
		{name: "a policy deleted", changes: []model.Change{model.DeleteObject(ref(t, "netpol/app/allow-backend-to-database"))},
			want: []string{"- app/backend (1/1) -> app/database (1/1) TCP 5432"}},
		{name: "a workload labelled", changes: []model.Change{model.SetLabel(ref(t, "deploy/app/frontend"), "app", "backend")},
			want: []string{"+ app/frontend (1/1) -> app/database (1/1) TCP 5432", "- app/frontend (1/1) -> app/backend (1/1) TCP 8080"}},
		{name: "a workload unlabelled", changes: []model.Change{model.RemoveLabel(ref(t, "deploy/monitoring/prometheus"), "app")},
			want: []string{
				"- monitoring/prometheus (1/1) -> app/backend (1/1) TCP 9090",
				"- monitoring/prometheus (1/1) -> app/database (1/1) TCP 9090",
				"- monitoring/prometheus (1/1) -> app/frontend (1/1) TCP 9090",
			}},
		{name: "a workload added", changes: []model.Change{model.ApplyObjects(cache)},
			want: []string{"+ app/cache (1/1) -> kube-system/coredns (1/1) TCP 53; UDP 53", "+ monitoring/prometheus (1/1) -> app/cache (1/1) TCP 9090"}},
		{name: "a workload deleted", changes: []model.Change{model.DeleteObject(ref(t, "deploy/app/database"))},
			want: []string{
				"- app/backend (1/1) -> app/database (1/1) TCP 5432",
				"- app/database (1/1) -> kube-system/coredns (1/1) TCP 53; UDP 53",
				"- monitoring/prometheus (1/1) -> app/database (1/1) TCP 9090",
			}},
		{name: "a namespace label removed", example: "../examples/namespaces-by-name",
			changes: []model.Change{model.RemoveLabel(ref(t, "ns/frontend"), "name")},
			want:    []string{"- frontend/frontend-app (1/1) -> backend/backend-app (1/1) TCP 80"}},
		{name: "changes that undo each other", changes: []model.Change{
			model.SetLabel(ref(t, "deploy/app/frontend"), "app", "backend"),
			model.SetLabel(ref(t, "deploy/app/frontend"), "app", "frontend"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex := tc.example
			if ex == "" {
				ex = threeTier
			}
			a := analyze(t, reach.MatrixOptions{}, ex)
			after, err := a.WhatIf(tc.changes...)
			require.NoError(t, err)
			d, err := reach.Compare(a, after, reach.DiffOptions{Explain: true})
			require.NoError(t, err)
			assert.Equal(t, tc.want, summary(d))
			assert.Equal(t, len(tc.want) == 0, d.Empty())
			for _, g := range append(d.Added, d.Removed...) {
				assert.True(t, g.Before != nil || g.After != nil, "%s: no explanation", g.Src.Name)
			}
		})
	}
}

// TestWhatIfExplains checks that both sides of a changed flow say which
// policy decided it.
func TestWhatIfExplains(t *testing.T) {
	a := analyze(t, reach.MatrixOptions{}, threeTier)
	after, err := a.WhatIf(model.SetLabel(ref(t, "deploy/app/frontend"), "app", "backend"))
	require.NoError(t, err)
	d, err := reach.Compare(a, after, reach.DiffOptions{Explain: true})
	require.NoError(t, err)
	require.Len(t, d.Added, 1)
	g := d.Added[0]
	assert.Equal(t, "app/frontend-qb57x -> app/database-978rv 5432/TCP", g.Flow.String())
	require.NotNil(t, g.Before)
	require.NotNil(t, g.After)
	assert.False(t, g.Before.Allowed)
	assert.True(t, g.After.Allowed)
	assert.Contains(t, g.Before.Ingress.String(), "denied: end of tier default")
	assert.Contains(t, g.After.Ingress.String(), "allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-backend-to-database")
	assert.Contains(t, g.After.Egress.String(), "allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/backend-egress-to-database")

	t.Run("a new endpoint has no verdict before", func(t *testing.T) {
		after, err := a.WhatIf(model.ApplyObjects(readObjects(t, `
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: monitoring, labels: {app: prometheus}}
spec: {containers: [{name: c, image: x}]}`)))
		require.NoError(t, err)
		d, err := reach.Compare(a, after, reach.DiffOptions{Explain: true})
		require.NoError(t, err)
		require.NotEmpty(t, d.Added)
		for _, g := range d.Added {
			assert.Nil(t, g.Before, "%s -> %s", g.Src.Name, g.Dst.Name)
			require.NotNil(t, g.After)
			assert.True(t, g.After.Allowed)
		}
	})
	t.Run("without Explain, no verdicts", func(t *testing.T) {
		d, err := reach.Compare(a, after, reach.DiffOptions{})
		require.NoError(t, err)
		assert.Nil(t, d.Added[0].Before)
		assert.Nil(t, d.Added[0].After)
	})
}

// TestDiffGroups checks how changed flows are grouped: by workload on each
// side and by the ports that changed, each group a product of its sources
// and destinations, part of a workload when its pods changed differently.
func TestDiffGroups(t *testing.T) {
	c, err := model.Build(readObjects(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: x}]}}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Pod, metadata: {name: web-a, namespace: shop, labels: {app: web}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c6f5, uid: u, controller: true}]}, spec: {containers: [{name: c, image: x}]}, status: {podIP: 10.0.0.1}}
- {apiVersion: v1, kind: Pod, metadata: {name: web-b, namespace: shop, labels: {app: web}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c6f5, uid: u, controller: true}]}, spec: {containers: [{name: c, image: x}]}, status: {podIP: 10.0.0.2}}
- {apiVersion: v1, kind: Pod, metadata: {name: web-c, namespace: shop, labels: {app: web, track: canary}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c6f5, uid: u, controller: true}]}, spec: {containers: [{name: c, image: x}]}, status: {podIP: 10.0.0.3}}
- {apiVersion: v1, kind: Pod, metadata: {name: db-0, namespace: shop, labels: {app: db}}, spec: {containers: [{name: c, image: x}]}, status: {podIP: 10.0.0.9}}
`), model.Options{})
	require.NoError(t, err)
	a, err := reach.Analyze(c, reach.MatrixOptions{})
	require.NoError(t, err)
	after, err := a.WhatIf(model.ApplyObjects(readObjects(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-stable-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}, matchExpressions: [{key: track, operator: NotIn, values: [canary]}]}}]
    ports: [{port: 5432}]`)))
	require.NoError(t, err)
	d, err := reach.Compare(a, after, reach.DiffOptions{Explain: true})
	require.NoError(t, err)
	assert.Empty(t, d.Added)
	assert.Equal(t, []string{
		"- shop/web (2/3) -> shop/db (1/1) ICMP; TCP 0-5431, 5433-65535; UDP 0-4788, 4790-65535; SCTP all",
		"- shop/web (1/3) -> shop/db (1/1) ICMP; TCP all; UDP 0-4788, 4790-65535; SCTP all",
	}, summary(d))
	require.Len(t, d.Removed, 2)
	assert.Equal(t, "shop/web-a", d.Removed[0].Src.Peers[0].String())
	assert.Equal(t, "shop/web-c", d.Removed[1].Src.Peers[0].String())
	assert.Equal(t, "Deployment", d.Removed[0].Src.Kind)
	assert.Equal(t, 2, d.Removed[0].Flows())
	assert.Equal(t, "shop/web-c -> shop/db-0 ICMP", d.Removed[1].Flow.String())
	assert.Contains(t, d.Removed[1].Before.Ingress.String(), "no policy selects it")
	assert.Contains(t, d.Removed[1].After.Ingress.String(), "selected by KubernetesNetworkPolicy shop/db-from-stable-web")
}

// TestCompareErrors checks what Compare refuses.
func TestCompareErrors(t *testing.T) {
	a := analyze(t, reach.MatrixOptions{}, threeTier)
	b := analyze(t, reach.MatrixOptions{Ports: []reach.ProtoPort{{Protocol: model.TCP, Port: 80}}}, threeTier)
	_, err := reach.Compare(a, b, reach.DiffOptions{})
	assert.ErrorContains(t, err, "different ports")
	_, err = reach.Compare(a, nil, reach.DiffOptions{})
	assert.Error(t, err)
	p, err := reach.Analyze(a.Cluster(), reach.MatrixOptions{Pending: true})
	require.NoError(t, err)
	_, err = p.Staged()
	assert.ErrorContains(t, err, "pending matrix already")
}

// TestCompareWithPorts checks a diff restricted to given ports: exactly
// those ports.
func TestCompareWithPorts(t *testing.T) {
	opt := reach.MatrixOptions{Ports: []reach.ProtoPort{{Protocol: model.TCP, Port: 8080}, {Protocol: model.TCP, Port: 9090}}}
	a := analyze(t, opt, threeTier)
	after, err := a.WhatIf(model.DeleteObject(ref(t, "deploy/app/backend")))
	require.NoError(t, err)
	d, err := reach.Compare(a, after, reach.DiffOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"- app/frontend (1/1) -> app/backend (1/1) TCP 8080",
		"- monitoring/prometheus (1/1) -> app/backend (1/1) TCP 9090",
	}, summary(d))
}
