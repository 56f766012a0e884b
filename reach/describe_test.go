package reach

import (
	"fmt"
	"net/netip"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/selector"
)

func TestDescribeSelector(t *testing.T) {
	tests := []struct {
		name, sel, want string
	}{
		{name: "all", sel: "all()", want: "every endpoint"},
		{name: "pods of a namespace", sel: `projectcalico.org/orchestrator == "k8s" && projectcalico.org/namespace == "prod"`,
			want: "pods in namespace prod"},
		{name: "pod selector", sel: `projectcalico.org/orchestrator == "k8s" && app == "db" && projectcalico.org/namespace == "prod"`,
			want: `pods where app == "db" in namespace prod`},
		{name: "namespace by its name label", sel: `pcns.kubernetes.io/metadata.name == "kube-system" && projectcalico.org/orchestrator == "k8s" && k8s-app == "kube-dns"`,
			want: `pods where k8s-app == "kube-dns" in namespace kube-system`},
		{name: "namespace by pcns name", sel: `pcns.projectcalico.org/name == "ops"`, want: "endpoints in namespace ops"},
		{name: "namespace selector", sel: `has(projectcalico.org/namespace) && pcns.team == "web"`,
			want: `endpoints in namespaces where team == "web"`},
		{name: "any namespace", sel: `has(projectcalico.org/namespace)`, want: "endpoints in any namespace"},
		{name: "global", sel: `!has(projectcalico.org/namespace) && role == "internet"`,
			want: `endpoints where role == "internet" outside every namespace`},
		{name: "service account names", sel: `projectcalico.org/serviceaccount in {"b", "a"}`,
			want: "endpoints with service accounts a or b"},
		{name: "one service account", sel: `projectcalico.org/serviceaccount == "api"`, want: "endpoints with service account api"},
		{name: "service account by pcsa name", sel: `pcsa.projectcalico.org/name == "api"`, want: "endpoints with service account api"},
		{name: "service account selector", sel: `pcsa.team == "x"`, want: `endpoints with service accounts where team == "x"`},
		{name: "all() conjunct", sel: `all() && projectcalico.org/namespace == "p"`, want: "endpoints in namespace p"},
		{name: "&& inside a value", sel: `app == "a && b" && projectcalico.org/namespace == "p"`,
			want: `endpoints where app == "a && b" in namespace p`},
		{name: "prefix inside a value", sel: `pcns.team == "pcns.x"`, want: `endpoints in namespaces where team == "pcns.x"`},
		{name: "or group kept", sel: `a == "1" || b == "2"`, want: `endpoints where (a == "1" || b == "2")`},
		{name: "nested and flattened", sel: `(a == "1" && b == "2") && c == "3"`, want: `endpoints where a == "1" && b == "2" && c == "3"`},
		{name: "negated group kept", sel: `!(a == "1" && b == "2")`, want: `endpoints where !(a == "1" && b == "2")`},
		{name: "mixed prefixes kept", sel: `pcns.a == "1" || b == "2"`, want: `endpoints where (pcns.a == "1" || b == "2")`},
		{name: "prefixed and plain keys kept", sel: `(pcns.a == "1" || pcns.b == "2") && c == "3"`,
			want: `endpoints where c == "3" in namespaces where (a == "1" || b == "2")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := selector.Parse(tc.sel)
			require.NoError(t, err)
			assert.Equal(t, tc.want, describeSelector(s))
		})
	}
}

func TestDescribeRule(t *testing.T) {
	sel := func(s string) *selector.Selector {
		p := selector.MustParse(s)
		return &p
	}
	nets := func(cidrs ...string) []netip.Prefix {
		var ps []netip.Prefix
		for _, c := range cidrs {
			ps = append(ps, netip.MustParsePrefix(c))
		}
		return ps
	}
	port := func(lo, hi uint16) model.PortMatch { return model.PortMatch{Range: model.PortRange{Min: lo, Max: hi}} }
	code := 0
	tests := []struct {
		name string
		dir  model.Direction
		rule model.Rule
		want string
	}{
		{name: "ingress allow all", dir: model.Ingress, rule: model.Rule{Action: model.Allow},
			want: "Allow any protocol from anywhere"},
		{name: "egress deny all", dir: model.Egress, rule: model.Rule{Action: model.Deny},
			want: "Deny any protocol to anywhere"},
		{name: "ingress from pods to a port", dir: model.Ingress, rule: model.Rule{
			Action: model.Allow, Protocol: model.TCP,
			Source:      model.EntityMatch{Selector: sel(`projectcalico.org/namespace == "app" && projectcalico.org/orchestrator == "k8s" && app == "frontend"`)},
			Destination: model.EntityMatch{Ports: []model.PortMatch{port(8080, 8080)}},
		}, want: `Allow TCP to port 8080 from pods where app == "frontend" in namespace app`},
		{name: "egress to nets", dir: model.Egress, rule: model.Rule{
			Action: model.Allow, Protocol: model.TCP,
			Destination: model.EntityMatch{Nets: nets("0.0.0.0/0"), NotNets: nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
				Ports: []model.PortMatch{port(443, 443)}},
		}, want: "Allow TCP to port 443 of addresses in 0.0.0.0/0 but not in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"},
		{name: "selector and nets", dir: model.Egress, rule: model.Rule{
			Action:      model.Allow,
			Destination: model.EntityMatch{Selector: sel(`role == "db"`), Nets: nets("10.0.0.0/8", "fd00::/8")},
		}, want: `Allow any protocol to endpoints where role == "db" at addresses in 10.0.0.0/8 or fd00::/8`},
		{name: "not selector only", dir: model.Ingress, rule: model.Rule{
			Action: model.Deny, Source: model.EntityMatch{NotSelector: sel(`app == "web"`)},
		}, want: `Deny any protocol from any address except endpoints where app == "web"`},
		{name: "not nets only", dir: model.Ingress, rule: model.Rule{
			Action: model.Deny, Source: model.EntityMatch{NotNets: nets("10.0.0.0/8")},
		}, want: "Deny any protocol from addresses not in 10.0.0.0/8"},
		{name: "ports, named ports and not ports", dir: model.Ingress, rule: model.Rule{
			Action: model.Allow, Protocol: model.TCP,
			Destination: model.EntityMatch{Ports: []model.PortMatch{port(80, 80), port(8000, 8080), {Name: "metrics"}},
				NotPorts: []model.PortMatch{port(8001, 8001)}},
		}, want: "Allow TCP to ports 80, 8000-8080, metrics but 8001 from anywhere"},
		{name: "not ports only", dir: model.Egress, rule: model.Rule{
			Action: model.Deny, Protocol: model.UDP, Destination: model.EntityMatch{NotPorts: []model.PortMatch{port(53, 53)}},
		}, want: "Deny UDP to any port but 53"},
		{name: "source ports", dir: model.Ingress, rule: model.Rule{
			Action: model.Allow, Protocol: model.UDP, Source: model.EntityMatch{Ports: []model.PortMatch{port(53, 53)}},
		}, want: "Allow UDP from anywhere using source port 53"},
		{name: "icmp", dir: model.Ingress, rule: model.Rule{
			Action: model.Allow, Protocol: model.ICMP, IPVersion: 4, ICMP: &model.ICMPMatch{Type: 8, Code: &code},
		}, want: "Allow ICMP type 8 code 0 over IPv4 from anywhere"},
		{name: "not icmp", dir: model.Egress, rule: model.Rule{
			Action: model.Deny, Protocol: model.ICMPv6, NotICMP: &model.ICMPMatch{Type: 128},
		}, want: "Deny ICMPv6 except type 128 to anywhere"},
		{name: "not protocol", dir: model.Egress, rule: model.Rule{Action: model.Pass, NotProtocol: model.UDP},
			want: "Pass any protocol but UDP to anywhere"},
		{name: "protocol and not protocol", dir: model.Egress, rule: model.Rule{Action: model.Log, Protocol: model.TCP, NotProtocol: model.UDP},
			want: "Log TCP (not UDP) to anywhere"},
		{name: "service", dir: model.Egress, rule: model.Rule{
			Action: model.Allow, Destination: model.EntityMatch{Services: &model.ServiceRef{Namespace: "kube-system", Name: "kube-dns"}},
		}, want: "Allow any protocol to the backends of service kube-system/kube-dns"},
		{name: "domains", dir: model.Egress, rule: model.Rule{
			Action: model.Allow, Protocol: model.TCP,
			Destination: model.EntityMatch{Domains: []string{"api.example.com"}, Ports: []model.PortMatch{port(443, 443)}},
		}, want: "Allow TCP to port 443 of domains api.example.com (Calico Enterprise: never matched offline)"},
		{name: "http", dir: model.Ingress, rule: model.Rule{
			Action: model.Allow, Protocol: model.TCP, HTTP: &model.HTTPMatch{Methods: []string{"GET", "HEAD"}, Paths: []string{"prefix:/api"}},
		}, want: "Allow TCP from anywhere if HTTP method GET or HEAD and path prefix:/api (not checked: reach decides at L3/L4)"},
		{name: "egress rule with a source", dir: model.Egress, rule: model.Rule{
			Action: model.Allow, Source: model.EntityMatch{Nets: nets("10.1.0.0/16")},
		}, want: "Allow any protocol to anywhere from addresses in 10.1.0.0/16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, describeRule(tc.rule, tc.dir))
		})
	}
}

// describeFS is a cluster with a Pass tier before the default tier, a staged
// policy, a host-only policy and a host-network pod.
var describeFS = fstest.MapFS{
	"cluster.yaml": {Data: []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: c, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: prod, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: c, image: agent}]}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: prod, labels: {app: batch}}
spec: {containers: [{name: c, image: busybox}]}
`)},
	"policies.yaml": {Data: []byte(`
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.quarantine}
spec:
  tier: security
  order: 1
  selector: app in {'web', 'db'}
  types: [Ingress]
  ingress:
  - action: Deny
    source:
      selector: quarantine == 'true'
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: host-guard}
spec:
  selector: all()
  preDNAT: true
  applyOnForward: true
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [22]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    ports:
    - {protocol: TCP, port: 5432}
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: lock-batch, namespace: prod}
spec:
  selector: app == 'batch'
  types: [Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination: {ports: [53]}
`)},
}

func describeCluster(t *testing.T) *model.Cluster {
	t.Helper()
	c, err := model.LoadFS(describeFS, model.Options{}, ".")
	require.NoError(t, err)
	return c
}

func podNamed(t *testing.T, c *model.Cluster, id string) *model.Pod {
	t.Helper()
	for _, p := range c.Pods {
		if p.ID() == id {
			return p
		}
	}
	t.Fatalf("no pod %s", id)
	return nil
}

func TestDescribeString(t *testing.T) {
	c := describeCluster(t)
	got := Describe(c, podNamed(t, c, "prod/db")).String()
	want := `pod prod/db, labels {app=db}
ingress:
  tier security (order 100, default action Pass)
    GlobalNetworkPolicy security.quarantine (order 1, policies.yaml:7)
      applies to endpoints where app in {"db", "web"}
      rule 0: Deny any protocol from endpoints where quarantine == "true" (spec.ingress[0])
      rule 1: Pass any protocol from anywhere (spec.ingress[1])
  tier default (order 1000000, default action Deny)
    KubernetesNetworkPolicy prod/db (order 1000, policies.yaml:34)
      applies to pods where app == "db" in namespace prod
      rule 0: Allow TCP to port 5432 from pods where app == "web" in namespace prod (spec.ingress[0].from[0] ports[0])
    GlobalNetworkPolicy host-guard (order none, policies.yaml:21) [host endpoints only: never applies to pods]
      applies to every endpoint
      note: spec.preDNAT: applies to host endpoints only, never to pods
      rule 0: Deny TCP to port 22 from anywhere (spec.ingress[0])
  otherwise: denied at the end of tier default (default action Deny), after tier security passed
egress:
  no policy selects it
  otherwise: allowed by namespace profile kns.prod (no policy selects the pod)`
	assert.Equal(t, want, got)
}

func TestDescribeFallback(t *testing.T) {
	c := describeCluster(t)
	tests := []struct {
		name, pod string
		dir       model.Direction
		tiers     []string // names, and "!" after a tier that does not apply
		want      string
	}{
		{name: "default tier decides", pod: "prod/db", dir: model.Ingress, tiers: []string{"security", "default"},
			want: "denied at the end of tier default (default action Deny), after tier security passed"},
		{name: "pass tier, then profile", pod: "prod/web", dir: model.Ingress, tiers: []string{"security", "default!"},
			want: "allowed by namespace profile kns.prod, after tier security passed"},
		{name: "only a staged policy", pod: "prod/batch", dir: model.Egress, tiers: []string{"default!"},
			want: "allowed by namespace profile kns.prod (no policy selects the pod)"},
		{name: "no policy", pod: "prod/web", dir: model.Egress,
			want: "allowed by namespace profile kns.prod (no policy selects the pod)"},
		{name: "host network", pod: "prod/agent", dir: model.Ingress,
			want: "allowed: a host-network pod is not a Calico endpoint, so no policy applies"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Describe(c, podNamed(t, c, tc.pod))
			dd := d.Ingress
			if tc.dir == model.Egress {
				dd = d.Egress
			}
			var tiers []string
			for _, td := range dd.Tiers {
				name := td.Tier.Name
				if !td.Applies {
					name += "!"
				}
				tiers = append(tiers, name)
			}
			assert.Equal(t, tc.tiers, tiers)
			assert.Equal(t, tc.want, dd.Otherwise.String())
		})
	}
}

func TestDescribeStagedPolicy(t *testing.T) {
	c := describeCluster(t)
	d := Describe(c, podNamed(t, c, "prod/batch"))
	require.Len(t, d.Egress.Tiers, 1)
	pds := d.Egress.Tiers[0].Policies
	require.Len(t, pds, 1)
	assert.False(t, pds[0].Enforced)
	assert.Equal(t, "staged Set: not enforced, counts for the pending verdict", pds[0].Status())
	assert.Contains(t, d.String(), "  tier default (order 1000000, default action Deny): only policies that are not enforced select it, so the tier does not apply\n")
	require.Len(t, pds[0].Rules, 1)
	assert.Same(t, &pds[0].Policy.EgressRules[0], pds[0].Rules[0].Rule)
	assert.Equal(t, "Allow UDP to port 53", pds[0].Rules[0].Text)
}

// TestDescribeAgreesWithEvaluate checks Describe against Evaluate on the
// three-tier example: for a flow that no rule allows, the side is decided
// by the tier Describe says ends it, selected by the enforced policies it
// lists.
func TestDescribeAgreesWithEvaluate(t *testing.T) {
	c, err := model.Load(model.Options{}, "../examples/three-tier")
	require.NoError(t, err)
	for _, src := range c.Pods {
		for _, dst := range c.Pods {
			if src == dst {
				continue
			}
			v, err := Evaluate(c, Flow{Src: Peer{Pod: src}, Dst: Peer{Pod: dst}, Protocol: model.TCP, Port: 31337})
			require.NoError(t, err)
			for _, tc := range []struct {
				side Side
				dd   DirectionDescription
			}{
				{v.Egress, Describe(c, src).Egress},
				{v.Ingress, Describe(c, dst).Ingress},
			} {
				name := fmt.Sprintf("%s: %s", v.Flow, tc.side)
				if tc.dd.Otherwise.Tier == nil {
					assert.Equal(t, NoPolicy, tc.side.Reason, name)
					assert.True(t, tc.side.Allowed, name)
					continue
				}
				require.Equal(t, TierDefault, tc.side.Reason, name)
				assert.Equal(t, tc.dd.Otherwise.Tier, tc.side.Tier, name)
				var enforced []*model.Policy
				for _, td := range tc.dd.Tiers {
					if td.Tier != tc.side.Tier {
						continue
					}
					for _, pd := range td.Policies {
						if pd.Enforced {
							enforced = append(enforced, pd.Policy)
						}
					}
				}
				assert.Equal(t, tc.side.Selecting, enforced, name)
			}
		}
	}
}

func ExampleDescribe() {
	c, err := model.LoadFS(fstest.MapFS{"app.yaml": {Data: []byte(`
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: c, image: postgres}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    ports:
    - {protocol: TCP, port: 5432}
`)}}, model.Options{}, "app.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(Describe(c, c.Pods[0]))
	// Output:
	// pod prod/db, labels {app=db}
	// ingress:
	//   tier default (order 1000000, default action Deny)
	//     KubernetesNetworkPolicy prod/db (order 1000, app.yaml:7)
	//       applies to pods where app == "db" in namespace prod
	//       rule 0: Allow TCP to port 5432 from pods where app == "web" in namespace prod (spec.ingress[0].from[0] ports[0])
	//   otherwise: denied at the end of tier default (default action Deny)
	// egress:
	//   no policy selects it
	//   otherwise: allowed by namespace profile kns.prod (no policy selects the pod)
}
