package reach_test

import (
	"fmt"
	"net/netip"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/reach-sim/reach/selector"
)

// exampleCluster builds namespace prod with a frontend, a database and a web
// pod; a Kubernetes default-deny for ingress, and a policy letting the
// frontend reach the database on TCP 5432. The policies are written as
// model's converters produce them.
func exampleCluster(extra ...*model.Policy) (c *model.Cluster, frontend, database, web *model.Pod) {
	pod := func(name, ip string) *model.Pod {
		return &model.Pod{Namespace: "prod", Name: name, Labels: map[string]string{"app": name},
			IPs: []netip.Addr{netip.MustParseAddr(ip)}}
	}
	frontend, database, web = pod("frontend", "10.0.0.1"), pod("database", "10.0.0.2"), pod("web", "10.0.0.3")
	order := 1000.0
	knp := func(name, podSelector string) *model.Policy {
		return &model.Policy{
			Kind: model.KubernetesNetworkPolicy, Namespace: "prod", Name: name,
			Tier: model.DefaultTier, Order: &order, SortKey: "prod/knp.default." + name,
			Selector: selector.MustParse("projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod'" + podSelector),
			Ingress:  true,
		}
	}
	allowFE := knp("allow-fe", " && app == 'database'")
	fromFE := selector.MustParse("projectcalico.org/namespace == 'prod' && app == 'frontend'")
	allowFE.IngressRules = []model.Rule{{
		Action:      model.Allow,
		Protocol:    model.TCP,
		Source:      model.EntityMatch{Selector: &fromFE},
		Destination: model.EntityMatch{Ports: []model.PortMatch{{Range: model.PortRange{Min: 5432, Max: 5432}}}},
	}}
	c, err := model.Build(model.Objects{
		Pods:     []*model.Pod{frontend, database, web},
		Policies: append([]*model.Policy{knp("default-deny", ""), allowFE}, extra...),
	}, model.Options{})
	if err != nil {
		panic(err)
	}
	return c, frontend, database, web
}

func ExampleEvaluate() {
	c, frontend, database, web := exampleCluster()
	for _, f := range []reach.Flow{
		{Src: reach.Peer{Pod: frontend}, Dst: reach.Peer{Pod: database}, Protocol: model.TCP, Port: 5432},
		{Src: reach.Peer{Pod: web}, Dst: reach.Peer{Pod: database}, Protocol: model.TCP, Port: 5432},
		{Src: reach.Peer{IP: netip.MustParseAddr("203.0.113.7")}, Dst: reach.Peer{Pod: web}, Protocol: model.TCP, Port: 443},
	} {
		v, err := reach.Evaluate(c, f)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(v)
	}
	// Output:
	// ALLOWED prod/frontend -> prod/database 5432/TCP
	//   egress of prod/frontend: allowed: no policy selects it (namespace profile kns.prod allows)
	//   ingress of prod/database: allowed by rule 0 (Allow) of KubernetesNetworkPolicy prod/allow-fe in tier default
	// DENIED prod/web -> prod/database 5432/TCP
	//   egress of prod/web: allowed: no policy selects it (namespace profile kns.prod allows)
	//   ingress of prod/database: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy prod/allow-fe, KubernetesNetworkPolicy prod/default-deny
	// DENIED 203.0.113.7 -> prod/web 443/TCP
	//   egress of 203.0.113.7: allowed: not a Calico endpoint
	//   ingress of prod/web: denied: end of tier default (default action Deny); selected by KubernetesNetworkPolicy prod/default-deny
}

// A staged policy does not change the enforced verdict; Pending shows what
// would happen if it were enforced.
func ExampleEvaluate_staged() {
	order := 100.0
	fromWeb := selector.MustParse("app == 'web'")
	staged := &model.Policy{
		Kind: model.StagedGlobalNetworkPolicy, Name: "allow-web", Tier: model.DefaultTier,
		Order: &order, SortKey: "staged:default.allow-web",
		Selector: selector.MustParse("app == 'database'"),
		Ingress:  true,
		IngressRules: []model.Rule{{
			Action: model.Allow, Source: model.EntityMatch{Selector: &fromWeb},
		}},
		Staged: true, StagedAction: "Set",
	}
	c, _, database, web := exampleCluster(staged)
	v, err := reach.Evaluate(c, reach.Flow{Src: reach.Peer{Pod: web}, Dst: reach.Peer{Pod: database}, Protocol: model.TCP, Port: 5432})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Allowed, v.Pending.Allowed)
	fmt.Println(v.Pending.Ingress)
	// Output:
	// false true
	// ingress of prod/database: allowed by rule 0 (Allow) of StagedGlobalNetworkPolicy allow-web in tier default
}

func ExampleVerdict_String() {
	c, frontend, _, _ := exampleCluster()
	v, err := reach.Evaluate(c, reach.Flow{
		Src:      reach.Peer{Pod: frontend},
		Dst:      reach.Peer{IP: netip.MustParseAddr("198.51.100.1")},
		Protocol: model.ICMP,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v)
	// Output:
	// ALLOWED prod/frontend -> 198.51.100.1 ICMP
	//   egress of prod/frontend: allowed: no policy selects it (namespace profile kns.prod allows)
	//   ingress of 198.51.100.1: allowed: not a Calico endpoint
}
