package reach

import (
	"net/netip"
	"testing"

	"github.com/reach-sim/reach/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resolveCluster has a deployment and a service named web in ns a, a pod
// named db in both a and b, and a host endpoint.
func resolveCluster(t *testing.T) *model.Cluster {
	t.Helper()
	webPod := &model.Pod{Namespace: "a", Name: "web-abcde", Labels: map[string]string{"app": "web"},
		Workload:   &model.WorkloadRef{Kind: "Deployment", Name: "web"},
		NamedPorts: []model.NamedPort{{Name: "http", Protocol: model.TCP, Port: 8080}}}
	c, err := model.Build(model.Objects{
		Pods: []*model.Pod{
			{Namespace: "a", Name: "db", Labels: map[string]string{"app": "db"}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}},
			{Namespace: "b", Name: "db", Labels: map[string]string{"app": "db"}},
		},
		Workloads: []*model.Workload{{Kind: "Deployment", Namespace: "a", Name: "web", Pod: webPod}},
		Services: []*model.Service{{Namespace: "a", Name: "web", Selector: map[string]string{"app": "web"},
			Ports: []model.ServicePort{
				{Name: "http", Protocol: model.TCP, Port: 80, TargetName: "http"},
				{Name: "metrics", Protocol: model.TCP, Port: 9000, TargetPort: 9090},
			}}},
		HostEndpoints: []*model.HostEndpoint{{Name: "node1-eth0", ExpectedIPs: []netip.Addr{netip.MustParseAddr("192.168.1.10")}}},
	}, model.Options{})
	require.NoError(t, err)
	return c
}

func TestResolve(t *testing.T) {
	c := resolveCluster(t)
	tests := []struct {
		name     string
		input    string
		end      End
		wantKind TargetKind
		wantName string
	}{
		{name: "workload as source", input: "web", end: SourceEnd, wantKind: TargetWorkload, wantName: "Deployment a/web"},
		{name: "service as destination", input: "web", end: DestinationEnd, wantKind: TargetService, wantName: "Service a/web"},
		{name: "qualified pod", input: "b/db", end: SourceEnd, wantKind: TargetPod, wantName: "b/db"},
		{name: "pod by its generated name", input: "web-abcde", end: SourceEnd, wantKind: TargetPod, wantName: "a/web-abcde"},
		{name: "address of a pod", input: "10.0.0.2", end: DestinationEnd, wantKind: TargetPod, wantName: "a/db"},
		{name: "address of a host endpoint", input: "192.168.1.10", end: DestinationEnd, wantKind: TargetHost, wantName: "host/node1-eth0"},
		{name: "outside address", input: "8.8.8.8", end: DestinationEnd, wantKind: TargetAddress, wantName: "8.8.8.8"},
		{name: "host endpoint by name", input: "node1-eth0", end: DestinationEnd, wantKind: TargetHost, wantName: "host/node1-eth0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(c, tc.input, tc.end)
			require.NoError(t, err)
			assert.Equal(t, tc.wantKind, got.Kind)
			assert.Equal(t, tc.wantName, got.Name)
		})
	}
}

func TestResolveErrors(t *testing.T) {
	c := resolveCluster(t)
	_, err := Resolve(c, "db", SourceEnd)
	require.EqualError(t, err, `"db" is ambiguous: a/db, b/db (qualify it as namespace/name)`)
	_, err = Resolve(c, "nothing", SourceEnd)
	require.EqualError(t, err, `"nothing": no pod, workload, service or host endpoint of that name`)
	_, err = Resolve(c, "c/db", SourceEnd)
	require.Error(t, err)
}

func TestQueryFlowsTranslatePorts(t *testing.T) {
	c := resolveCluster(t)
	tests := []struct {
		name     string
		query    string
		wantPort uint16
		wantErr  string
	}{
		{name: "service port to named target port", query: "a/db->web:80", wantPort: 8080},
		{name: "service port to numeric target port", query: "a/db->web:9000", wantPort: 9090},
		{name: "service port by name", query: "a/db->web:metrics", wantPort: 9090},
		{name: "port the service lacks is the workload's pod port", query: "a/db->web:8080", wantPort: 8080},
		{name: "named port of the pod", query: "a/db->web-abcde:http", wantPort: 8080},
		{name: "unknown named port", query: "web->a/db:http", wantErr: `a/db has no port named "http"`},
		{name: "named port on an outside address", query: "web->8.8.8.8:https", wantErr: `port "https": an address outside the cluster has no named ports`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseQuery(tc.query)
			require.NoError(t, err)
			_, _, flows, err := q.Flows(c)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, flows, 1)
			assert.Equal(t, tc.wantPort, flows[0].Port)
		})
	}
}
