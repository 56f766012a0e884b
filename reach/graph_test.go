package reach_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/encoding/dot"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/selector"
)

// Helpers for the graph tests carry a "gr" prefix so they do not collide
// with the helpers of other test files of the package.

// grPod returns a running pod of namespace prod with address ip, made by
// workload ("Deployment/web", or "" for none), with labels "k=v".
func grPod(name, ip, workload string, labels ...string) *model.Pod {
	p := &model.Pod{Namespace: "prod", Name: name, Phase: "Running", Labels: map[string]string{}}
	if ip != "" {
		p.IPs = []netip.Addr{netip.MustParseAddr(ip)}
	}
	if kind, wname, ok := strings.Cut(workload, "/"); ok {
		p.Workload = &model.WorkloadRef{Kind: kind, Name: wname}
	}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		p.Labels[k] = v
	}
	return p
}

// grIngress returns a Kubernetes NetworkPolicy of prod, as model converts
// it, selecting the pods that match podSel ("" for all) for ingress, with
// one Allow rule per source selector on TCP port.
func grIngress(name, podSel string, port uint16, from ...string) *model.Policy {
	sel := "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod'"
	if podSel != "" {
		sel += " && (" + podSel + ")"
	}
	order := 1000.0
	p := &model.Policy{
		Kind: model.KubernetesNetworkPolicy, Namespace: "prod", Name: name, Tier: model.DefaultTier,
		Order: &order, SortKey: "prod/knp.default." + name, Selector: selector.MustParse(sel), Ingress: true,
	}
	for _, f := range from {
		s := selector.MustParse("projectcalico.org/namespace == 'prod' && (" + f + ")")
		p.IngressRules = append(p.IngressRules, model.Rule{
			Action:      model.Allow,
			Protocol:    model.TCP,
			Source:      model.EntityMatch{Selector: &s},
			Destination: model.EntityMatch{Ports: []model.PortMatch{{Range: model.PortRange{Min: port, Max: port}}}},
		})
	}
	return p
}

// grTCP restricts a matrix to these TCP ports, to keep port sets short.
func grTCP(ports ...uint16) []reach.ProtoPort {
	var out []reach.ProtoPort
	for _, p := range ports {
		out = append(out, reach.ProtoPort{Protocol: model.TCP, Port: p})
	}
	return out
}

// grGraph builds the cluster, its matrix and its graph.
func grGraph(t testing.TB, objs model.Objects, opt reach.MatrixOptions) *reach.Graph {
	t.Helper()
	c, err := model.Build(objs, model.Options{})
	require.NoError(t, err)
	m, err := reach.ComputeMatrix(c, opt)
	require.NoError(t, err)
	return reach.BuildGraph(m)
}

// grTiered is namespace prod with default-deny ingress: Deployment web
// (two identical pods) may reach Deployment api on 8080; only the canary
// pod of api may reach the standalone pod db on 5432, so api is split.
func grTiered() model.Objects {
	return model.Objects{
		Pods: []*model.Pod{
			grPod("web-1", "10.0.0.1", "Deployment/web", "app=web"),
			grPod("web-2", "10.0.0.2", "Deployment/web", "app=web"),
			grPod("api-1", "10.0.0.11", "Deployment/api", "app=api"),
			grPod("api-2", "10.0.0.12", "Deployment/api", "app=api", "canary=true"),
			grPod("db", "10.0.0.20", "", "app=db"),
		},
		Policies: []*model.Policy{
			grIngress("default-deny", "", 0),
			grIngress("api", "app == 'api'", 8080, "app == 'web'"),
			grIngress("db", "app == 'db'", 5432, "canary == 'true'"),
		},
	}
}

// grOpen is a cluster without policies: a Deployment of two pods and a
// standalone pod.
func grOpen() model.Objects {
	return model.Objects{
		Pods: []*model.Pod{
			grPod("web-1", "10.0.0.1", "Deployment/web", "app=web"),
			grPod("web-2", "10.0.0.2", "Deployment/web", "app=web"),
			grPod("client", "10.0.0.9", "", "app=client"),
		},
	}
}

// grDescribe renders nodes as labels and edges as "SRC -> DST: PORTS".
func grDescribe(g *reach.Graph) (nodes, edges []string) {
	for _, n := range g.NodeList() {
		nodes = append(nodes, n.Label())
	}
	for _, e := range g.EdgeList() {
		edges = append(edges, e.Src.Name+" -> "+e.Dst.Name+": "+e.Ports.String())
	}
	return nodes, edges
}

func TestBuildGraph(t *testing.T) {
	tests := []struct {
		name      string
		objs      model.Objects
		opt       reach.MatrixOptions
		wantNodes []string
		wantEdges []string
	}{
		{
			name: "identical pods of a workload are one node",
			objs: grOpen(),
			opt:  reach.MatrixOptions{Ports: grTCP(80)},
			wantNodes: []string{
				"prod/client (Pod)",
				"prod/web (Deployment)",
			},
			wantEdges: []string{
				"prod/client -> prod/web: TCP 80",
				"prod/web -> prod/client: TCP 80",
			},
		},
		{
			name: "a workload whose pods differ is split into its pods",
			objs: grTiered(),
			opt:  reach.MatrixOptions{Ports: grTCP(80, 5432, 8080)},
			wantNodes: []string{
				"prod/api-1 (Pod)",
				"prod/api-2 (Pod)",
				"prod/db (Pod)",
				"prod/web (Deployment)",
			},
			wantEdges: []string{
				"prod/api-2 -> prod/db: TCP 5432",
				"prod/web -> prod/api-1: TCP 8080",
				"prod/web -> prod/api-2: TCP 8080",
			},
		},
		{
			name: "edges carry every allowed port and only those",
			objs: grTiered(),
			wantNodes: []string{
				"prod/api-1 (Pod)",
				"prod/api-2 (Pod)",
				"prod/db (Pod)",
				"prod/web (Deployment)",
			},
			wantEdges: []string{
				"prod/api-2 -> prod/db: TCP 5432",
				"prod/web -> prod/api-1: TCP 8080",
				"prod/web -> prod/api-2: TCP 8080",
			},
		},
		{
			name: "external peers are nodes, without edges between them",
			objs: grOpen(),
			opt: reach.MatrixOptions{Ports: grTCP(443), ExternalPeers: []netip.Addr{
				netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("8.8.8.8"),
			}},
			wantNodes: []string{
				"prod/client (Pod)",
				"prod/web (Deployment)",
				"8.8.8.8 (External)",
				"203.0.113.9 (External)",
			},
			wantEdges: []string{
				"prod/client -> prod/web: TCP 443",
				"prod/client -> 8.8.8.8: TCP 443",
				"prod/client -> 203.0.113.9: TCP 443",
				"prod/web -> prod/client: TCP 443",
				"prod/web -> 8.8.8.8: TCP 443",
				"prod/web -> 203.0.113.9: TCP 443",
				"8.8.8.8 -> prod/client: TCP 443",
				"8.8.8.8 -> prod/web: TCP 443",
				"203.0.113.9 -> prod/client: TCP 443",
				"203.0.113.9 -> prod/web: TCP 443",
			},
		},
		{
			name: "host endpoints are nodes after the pods",
			objs: func() model.Objects {
				o := grOpen()
				o.HostEndpoints = []*model.HostEndpoint{{
					Name: "node1-eth0", Node: "node1", ExpectedIPs: []netip.Addr{netip.MustParseAddr("192.168.0.1")},
					Profiles: []string{"projectcalico-default-allow"},
				}}
				return o
			}(),
			opt: reach.MatrixOptions{Ports: grTCP(22)},
			wantNodes: []string{
				"prod/client (Pod)",
				"prod/web (Deployment)",
				"host/node1-eth0 (HostEndpoint)",
			},
			wantEdges: []string{
				"prod/client -> prod/web: TCP 22",
				"prod/client -> host/node1-eth0: TCP 22",
				"prod/web -> prod/client: TCP 22",
				"prod/web -> host/node1-eth0: TCP 22",
				"host/node1-eth0 -> prod/client: TCP 22",
				"host/node1-eth0 -> prod/web: TCP 22",
			},
		},
		{
			name: "finished pods are not drawn",
			objs: func() model.Objects {
				done := grPod("done", "10.0.0.5", "Job/batch", "app=batch")
				done.Phase = "Succeeded"
				return model.Objects{Pods: []*model.Pod{done}}
			}(),
			wantNodes: nil,
			wantEdges: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := grGraph(t, tc.objs, tc.opt)
			nodes, edges := grDescribe(g)
			assert.Equal(t, tc.wantNodes, nodes)
			assert.Equal(t, tc.wantEdges, edges)
			for i, n := range g.NodeList() {
				assert.Equal(t, int64(i), n.ID(), "IDs are positions")
			}
			for _, e := range g.EdgeList() {
				assert.NotSame(t, e.Src, e.Dst, "no self edges")
				assert.False(t, e.Ports.Empty(), "edges only where something is allowed")
			}
		})
	}
}

func TestGraphNodes(t *testing.T) {
	t.Run("a workload node holds its pods and what they allow each other", func(t *testing.T) {
		g := grGraph(t, grOpen(), reach.MatrixOptions{Ports: grTCP(80)})
		web := g.NodeList()[1]
		assert.Equal(t, "prod/web", web.Name)
		assert.Equal(t, "Deployment", web.Kind)
		assert.Equal(t, "prod", web.Namespace)
		assert.Equal(t, &model.WorkloadRef{Kind: "Deployment", Name: "web"}, web.Workload)
		require.Len(t, web.Peers, 2)
		assert.Equal(t, "TCP 80", web.Internal.String())
		for _, p := range web.Peers {
			assert.Same(t, web, g.NodeOf(p))
		}
	})
	t.Run("default deny: the pods of a workload are still one node", func(t *testing.T) {
		g := grGraph(t, grTiered(), reach.MatrixOptions{})
		web := g.NodeList()[3]
		assert.Equal(t, "prod/web (Deployment)", web.Label())
		assert.True(t, web.Internal.Empty(), "web-1 and web-2 may not talk: %v", web.Internal)
	})
	t.Run("a split pod remembers its workload", func(t *testing.T) {
		g := grGraph(t, grTiered(), reach.MatrixOptions{})
		api := g.NodeList()[0]
		assert.Equal(t, reach.KindPod, api.Kind)
		assert.Equal(t, &model.WorkloadRef{Kind: "Deployment", Name: "api"}, api.Workload)
		assert.Nil(t, api.Internal)
	})
	t.Run("pods with other classes that the policies treat alike are merged", func(t *testing.T) {
		// web-2 is selected by one more policy, whose rule allows nothing
		// new: its matrix row has another class, yet every answer is the
		// same, and the pairwise comparison merges the two pods.
		o := grTiered()
		o.Pods[1].Labels["tier"] = "front"
		o.Policies = append(o.Policies, grIngress("front", "tier == 'front'", 8080, "app == 'nothing'"))
		g := grGraph(t, o, reach.MatrixOptions{Ports: grTCP(8080)})
		nodes, _ := grDescribe(g)
		assert.Contains(t, nodes, "prod/web (Deployment)")
	})
}

func TestGraphDeterministic(t *testing.T) {
	first := grGraph(t, grTiered(), reach.MatrixOptions{})
	wantDOT, err := first.DOT()
	require.NoError(t, err)
	wantJSON, err := json.Marshal(first)
	require.NoError(t, err)
	for range 20 {
		o := grTiered()
		// Reverse the input: the cluster sorts it, the graph must not care.
		for i, j := 0, len(o.Pods)-1; i < j; i, j = i+1, j-1 {
			o.Pods[i], o.Pods[j] = o.Pods[j], o.Pods[i]
		}
		g := grGraph(t, o, reach.MatrixOptions{})
		out, err := g.DOT()
		require.NoError(t, err)
		js, err := json.Marshal(g)
		require.NoError(t, err)
		assert.Equal(t, string(wantDOT), string(out))
		assert.Equal(t, string(wantJSON), string(js))
		assert.Equal(t, first.Mermaid(), g.Mermaid())
	}
}

func TestGraphGonum(t *testing.T) {
	g := grGraph(t, grTiered(), reach.MatrixOptions{})
	var _ graph.Directed = g

	t.Run("topo.Sort orders an acyclic graph", func(t *testing.T) {
		sorted, err := topo.Sort(g)
		require.NoError(t, err)
		pos := map[string]int{}
		for i, n := range sorted {
			pos[n.(*reach.Node).Name] = i
		}
		assert.Less(t, pos["prod/web"], pos["prod/api-2"])
		assert.Less(t, pos["prod/api-2"], pos["prod/db"])
	})
	t.Run("path.DijkstraFrom finds who reaches db through whom", func(t *testing.T) {
		web, db := g.Node(3), g.Node(2)
		shortest := path.DijkstraFrom(web, g)
		p, weight := shortest.To(db.ID())
		var names []string
		for _, n := range p {
			names = append(names, n.(*reach.Node).Name)
		}
		assert.Equal(t, []string{"prod/web", "prod/api-2", "prod/db"}, names)
		assert.Equal(t, 2.0, weight)
	})
	t.Run("lookups", func(t *testing.T) {
		assert.Nil(t, g.Node(-1))
		assert.Nil(t, g.Node(4))
		assert.Nil(t, g.Edge(0, 2), "api-1 may not reach db: a nil interface")
		e, ok := g.Edge(1, 2).(*reach.Edge)
		require.True(t, ok)
		assert.Equal(t, "TCP 5432", e.Ports.String())
		assert.True(t, g.HasEdgeFromTo(1, 2))
		assert.False(t, g.HasEdgeFromTo(2, 1))
		assert.True(t, g.HasEdgeBetween(2, 1))
		assert.Equal(t, []graph.Node{g.Node(0), g.Node(1)}, graph.NodesOf(g.From(3)))
		assert.Equal(t, []graph.Node{g.Node(1)}, graph.NodesOf(g.To(2)))
		assert.Equal(t, 0, g.From(99).Len())
		assert.Equal(t, 4, g.Nodes().Len())
	})
}

func TestGraphRender(t *testing.T) {
	g := grGraph(t, grTiered(), reach.MatrixOptions{})

	t.Run("DOT by gonum", func(t *testing.T) {
		out, err := g.DOT()
		require.NoError(t, err)
		assert.Equal(t, `strict digraph reach {
  graph [
    rankdir=LR
  ];
  node [
    shape=box
  ];

  // Node definitions.
  n0 [label="prod/api-1 (Pod)"];
  n1 [label="prod/api-2 (Pod)"];
  n2 [label="prod/db (Pod)"];
  n3 [label="prod/web (Deployment)"];

  // Edge definitions.
  n1 -> n2 [label="TCP 5432"];
  n3 -> n0 [label="TCP 8080"];
  n3 -> n1 [label="TCP 8080"];
}
`, string(out))
	})
	t.Run("DOT parses back with gonum", func(t *testing.T) {
		b, err := g.DOT()
		require.NoError(t, err)
		back := simple.NewDirectedGraph()
		require.NoError(t, dot.Unmarshal(b, back))
		assert.Equal(t, g.Nodes().Len(), back.Nodes().Len())
		assert.Equal(t, len(g.EdgeList()), back.Edges().Len())
	})
	t.Run("JSON", func(t *testing.T) {
		js, err := json.Marshal(g)
		require.NoError(t, err)
		assert.JSONEq(t, `{
  "nodes": [
    {"id": 0, "name": "prod/api-1", "kind": "Pod", "namespace": "prod", "workload": "Deployment/api", "pods": ["prod/api-1"]},
    {"id": 1, "name": "prod/api-2", "kind": "Pod", "namespace": "prod", "workload": "Deployment/api", "pods": ["prod/api-2"]},
    {"id": 2, "name": "prod/db", "kind": "Pod", "namespace": "prod", "pods": ["prod/db"]},
    {"id": 3, "name": "prod/web", "kind": "Deployment", "namespace": "prod", "pods": ["prod/web-1", "prod/web-2"]}
  ],
  "edges": [
    {"from": 1, "to": 2, "ports": {"TCP": ["5432"]}},
    {"from": 3, "to": 0, "ports": {"TCP": ["8080"]}},
    {"from": 3, "to": 1, "ports": {"TCP": ["8080"]}}
  ]
}`, string(js))
	})
	t.Run("JSON of an open workload shows its internal ports", func(t *testing.T) {
		js, err := json.Marshal(grGraph(t, grOpen(), reach.MatrixOptions{Ports: grTCP(80, 443)}))
		require.NoError(t, err)
		assert.Contains(t, string(js), `"pods":["prod/web-1","prod/web-2"],"internal":{"TCP":["80","443"]}`)
	})
	t.Run("Mermaid quotes and escapes labels", func(t *testing.T) {
		o := grOpen()
		o.Pods[2].Name = `we"ird#<b>|x`
		m := grGraph(t, o, reach.MatrixOptions{Ports: grTCP(80)}).Mermaid()
		assert.Equal(t, `graph LR
  n0["prod/we#quot;ird#35;#60;b#62;#124;x (Pod)"]
  n1["prod/web (Deployment)"]
  n0 -->|"TCP 80"| n1
  n1 -->|"TCP 80"| n0
`, m)
	})
}

// A Graph condenses a matrix into workloads and the ports between them;
// Mermaid draws it for Markdown.
func ExampleBuildGraph() {
	pod := func(name, ip, deployment, app string) *model.Pod {
		return &model.Pod{Namespace: "shop", Name: name, Phase: "Running",
			Labels:   map[string]string{"app": app},
			IPs:      []netip.Addr{netip.MustParseAddr(ip)},
			Workload: &model.WorkloadRef{Kind: "Deployment", Name: deployment}}
	}
	order := 1000.0
	fromFrontend := selector.MustParse("projectcalico.org/namespace == 'shop' && app == 'frontend'")
	onlyFrontend := &model.Policy{
		Kind: model.KubernetesNetworkPolicy, Namespace: "shop", Name: "db-from-frontend",
		Tier: model.DefaultTier, Order: &order, SortKey: "shop/knp.default.db-from-frontend",
		Selector: selector.MustParse("projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'shop' && app == 'db'"),
		Ingress:  true,
		IngressRules: []model.Rule{{
			Action: model.Allow, Protocol: model.TCP,
			Source:      model.EntityMatch{Selector: &fromFrontend},
			Destination: model.EntityMatch{Ports: []model.PortMatch{{Range: model.PortRange{Min: 5432, Max: 5432}}}},
		}},
	}
	c, err := model.Build(model.Objects{
		Pods: []*model.Pod{
			pod("frontend-a", "10.0.0.1", "frontend", "frontend"),
			pod("frontend-b", "10.0.0.2", "frontend", "frontend"),
			pod("db-0", "10.0.0.3", "db", "db"),
		},
		Policies: []*model.Policy{onlyFrontend},
	}, model.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := reach.ComputeMatrix(c, reach.MatrixOptions{Ports: []reach.ProtoPort{
		{Protocol: model.TCP, Port: 80}, {Protocol: model.TCP, Port: 5432},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(reach.BuildGraph(m).Mermaid())
	// Output:
	// graph LR
	//   n0["shop/db (Deployment)"]
	//   n1["shop/frontend (Deployment)"]
	//   n0 -->|"TCP 80, 5432"| n1
	//   n1 -->|"TCP 5432"| n0
}
