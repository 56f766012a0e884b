package model

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func coreObjects(t *testing.T, src string) Objects {
	t.Helper()
	objs, err := Read("in.yaml", strings.NewReader(src))
	require.NoError(t, err)
	return objs
}

func coreProblems(t *testing.T, src string) []string {
	t.Helper()
	objs, err := Read("in.yaml", strings.NewReader(src))
	require.Error(t, err)
	assert.Equal(t, Objects{}, objs)
	var out []string
	for _, p := range AsProblems(err) {
		out = append(out, p.Error())
	}
	return out
}

func coreAddrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestConvertNamespace(t *testing.T) {
	objs := coreObjects(t, `apiVersion: v1
kind: Namespace
metadata:
  name: y
  namespace: ignored
  labels: {team: on, tier: "1", since: 2024-01-02}
`)
	require.Len(t, objs.Namespaces, 1)
	assert.Equal(t, &Namespace{
		Name:   "y",
		Labels: map[string]string{"team": "on", "tier": "1", "since": "2024-01-02"},
		Source: Position{File: "in.yaml", Line: 1, Doc: 1, Kind: "Namespace", Name: "y"},
	}, objs.Namespaces[0])
}

func TestConvertServiceAccount(t *testing.T) {
	objs := coreObjects(t, `apiVersion: v1
kind: ServiceAccount
metadata: {name: api, labels: {role: reader}}
automountServiceAccountToken: false
`)
	require.Len(t, objs.ServiceAccounts, 1)
	assert.Equal(t, &ServiceAccount{
		Namespace: "default",
		Name:      "api",
		Labels:    map[string]string{"role": "reader"},
		Source:    Position{File: "in.yaml", Line: 1, Doc: 1, Kind: "ServiceAccount", Namespace: "default", Name: "api"},
	}, objs.ServiceAccounts[0])
}

func TestConvertPod(t *testing.T) {
	const head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\n"
	tests := []struct {
		name string
		src  string
		want Pod // Namespace, Name and Source are checked apart
	}{
		{
			name: "minimal",
			src:  head + "spec: {containers: [{name: c, image: i}]}\n",
			want: Pod{},
		},
		{
			name: "labels, phase, service account, host network",
			src: `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns, labels: {app: web, canary: "true"}}
spec:
  serviceAccountName: web
  hostNetwork: true
  containers: [{name: c, image: i}]
status: {phase: Running}
`,
			want: Pod{Labels: map[string]string{"app": "web", "canary": "true"}, Phase: "Running", ServiceAccount: "web", HostNetwork: true},
		},
		{
			name: "deprecated serviceAccount",
			src:  head + "spec: {serviceAccount: old, containers: [{name: c, image: i}]}\n",
			want: Pod{ServiceAccount: "old"},
		},
		{
			name: "serviceAccountName wins",
			src:  head + "spec: {serviceAccountName: new, serviceAccount: old, containers: [{name: c, image: i}]}\n",
			want: Pod{ServiceAccount: "new"},
		},
		{
			name: "podIP",
			src:  head + "spec: {containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.1.2.3}\n",
			want: Pod{Phase: "Running", IPs: coreAddrs("10.1.2.3")},
		},
		{
			name: "dual stack, IPv6 listed first",
			src:  head + "spec: {containers: [{name: c, image: i}]}\nstatus: {podIP: 'fd00::1', podIPs: [{ip: 'fd00::1'}, {ip: 10.1.2.3}]}\n",
			want: Pod{IPs: coreAddrs("10.1.2.3", "fd00::1")},
		},
		{
			name: "IPv4-mapped IPv6 is IPv4",
			src:  head + "spec: {containers: [{name: c, image: i}]}\nstatus: {podIP: '::ffff:10.1.2.3'}\n",
			want: Pod{IPs: coreAddrs("10.1.2.3")},
		},
		{
			name: "finished pods hold no address",
			src:  head + "spec: {containers: [{name: c, image: i}]}\nstatus: {phase: Succeeded, podIP: 10.1.2.3}\n",
			want: Pod{Phase: "Succeeded"},
		},
		{
			name: "failed pods hold no address",
			src:  head + "spec: {containers: [{name: c, image: i}]}\nstatus: {phase: Failed, podIP: 10.1.2.3}\n",
			want: Pod{Phase: "Failed"},
		},
		{
			name: "named ports as Calico reads them",
			src: head + `spec:
  initContainers:
  - name: sidecar
    image: i
    restartPolicy: Always
    ports: [{name: metrics, containerPort: 9090}]
  containers:
  - name: a
    image: i
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: sctp, containerPort: 9999, protocol: SCTP}
    - {containerPort: 7000}
    - {containerPort: 7001, hostPort: 7001}
  - name: b
    image: i
    ports:
    - {name: http, containerPort: 8081}
    - {name: admin, containerPort: 9000, hostPort: 19000}
`,
			want: Pod{NamedPorts: []NamedPort{
				{Name: "http", Protocol: TCP, Port: 8080},
				{Name: "dns", Protocol: UDP, Port: 53},
				{Name: "sctp", Protocol: SCTP, Port: 9999},
				{Name: "http", Protocol: TCP, Port: 8081},
				{Name: "admin", Protocol: TCP, Port: 9000},
				{Name: "metrics", Protocol: TCP, Port: 9090},
			}},
		},
		{
			name: "controller owner",
			src: `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ns
  ownerReferences:
  - {apiVersion: v1, kind: Node, name: n1, uid: "0"}
  - {apiVersion: apps/v1, kind: StatefulSet, name: db, uid: "1", controller: true}
spec: {containers: [{name: c, image: i}]}
`,
			want: Pod{Workload: &WorkloadRef{Kind: "StatefulSet", Name: "db"}},
		},
		{
			name: "owners that are not the controller",
			src: `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ns
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c8f6d, uid: "1", controller: false}
spec: {containers: [{name: c, image: i}]}
`,
			want: Pod{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := coreObjects(t, tc.src)
			require.Len(t, objs.Pods, 1)
			got := objs.Pods[0]
			assert.Equal(t, "ns", got.Namespace)
			assert.Equal(t, "p", got.Name)
			assert.Equal(t, Position{File: "in.yaml", Line: 1, Doc: 1, Kind: "Pod", Namespace: "ns", Name: "p"}, got.Source)
			tc.want.Namespace, tc.want.Name, tc.want.Source = got.Namespace, got.Name, got.Source
			assert.Equal(t, &tc.want, got)
		})
	}
}

func TestPodOwnerDeploymentHeuristic(t *testing.T) {
	tests := []struct {
		name   string
		rs     string
		labels map[string]string
		want   WorkloadRef
	}{
		{name: "hash label decides", rs: "web-7d4b9c8f6d", labels: map[string]string{"pod-template-hash": "7d4b9c8f6d"}, want: WorkloadRef{Kind: "Deployment", Name: "web"}},
		{name: "hash label disagrees", rs: "web-7d4b9c8f6d", labels: map[string]string{"pod-template-hash": "other"}, want: WorkloadRef{Kind: "ReplicaSet", Name: "web-7d4b9c8f6d"}},
		{name: "hash label with a short hash", rs: "web-x2", labels: map[string]string{"pod-template-hash": "x2"}, want: WorkloadRef{Kind: "Deployment", Name: "web"}},
		{name: "looks like a hash", rs: "api-server-5d9c7b8f6", want: WorkloadRef{Kind: "Deployment", Name: "api-server"}},
		{name: "old numeric hash", rs: "web-3838219744", want: WorkloadRef{Kind: "Deployment", Name: "web"}},
		{name: "a version, not a hash", rs: "web-v2", want: WorkloadRef{Kind: "ReplicaSet", Name: "web-v2"}},
		{name: "vowels are not in hashes", rs: "web-canary", want: WorkloadRef{Kind: "ReplicaSet", Name: "web-canary"}},
		{name: "too long", rs: "web-bcdfghjklmn", want: WorkloadRef{Kind: "ReplicaSet", Name: "web-bcdfghjklmn"}},
		{name: "no dash", rs: "standalone", want: WorkloadRef{Kind: "ReplicaSet", Name: "standalone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := true
			got := controllerOf([]metav1.OwnerReference{{Kind: "ReplicaSet", Name: tc.rs, Controller: &tr}}, tc.labels)
			require.NotNil(t, got)
			assert.Equal(t, tc.want, *got)
		})
	}
}

func TestConvertPodProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "duplicate port name in one container",
			src: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: i
    ports:
    - {name: http, containerPort: 80}
    - {name: http, containerPort: 81, protocol: UDP}
`,
			want: []string{`in.yaml:10 (doc 1, Pod default/p): spec.containers[0].ports[1].name: duplicate port name "http" (also spec.containers[0].ports[0])`},
		},
		{
			name: "port numbers",
			src: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: i
    ports:
    - {name: a, containerPort: -1}
    - {name: b, containerPort: 65536}
    - {name: c, containerPort: 80, hostPort: 65536}
`,
			want: []string{
				"in.yaml:9 (doc 1, Pod default/p): spec.containers[0].ports[0].containerPort: -1: must be between 1 and 65535",
				"in.yaml:10 (doc 1, Pod default/p): spec.containers[0].ports[1].containerPort: 65536: must be between 1 and 65535",
				"in.yaml:11 (doc 1, Pod default/p): spec.containers[0].ports[2].hostPort: 65536: must be between 1 and 65535",
			},
		},
		{
			name: "protocol spelled as the API server does not accept",
			src: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: i
    ports:
    - {name: a, containerPort: 80, protocol: tcp}
`,
			want: []string{`in.yaml:9 (doc 1, Pod default/p): spec.containers[0].ports[0].protocol: unsupported protocol "tcp": want TCP, UDP or SCTP`},
		},
		{
			name: "bad IP",
			src:  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: i}]}\nstatus:\n  podIP: 10.0.0.1/24\n",
			want: []string{`in.yaml:6 (doc 1, Pod default/p): status.podIP: invalid IP address "10.0.0.1/24"`},
		},
		{
			name: "two IPv6 addresses",
			src:  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: i}]}\nstatus:\n  podIP: 'fd00::1'\n  podIPs: [{ip: 'fd00::2'}]\n",
			want: []string{`in.yaml:7 (doc 1, Pod default/p): status.podIPs: a pod has at most one address of each IP family, found fd00::1, fd00::2`},
		},
		{
			name: "bad label key",
			src:  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    -bad: x\nspec: {containers: [{name: a, image: i}]}\n",
			want: []string{`in.yaml:6 (doc 1, Pod default/p): metadata.labels.-bad: invalid label key "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
		},
		{
			name: "type mismatch",
			src:  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: yes\n  containers: [{name: a, image: i}]\n",
			want: []string{`in.yaml:5 (doc 1, Pod default/p): spec.hostNetwork: cannot read string as bool`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, coreProblems(t, tc.src))
		})
	}
}

func TestConvertService(t *testing.T) {
	const head = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
	tests := []struct {
		name string
		spec string
		want Service // Namespace, Name and Source are checked apart
	}{
		{
			name: "cluster IP, ports, target ports",
			spec: `spec:
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: https}
  - {name: dns, port: 53, protocol: UDP}
  - {name: sctp, port: 9, protocol: SCTP, targetPort: 0}
`,
			want: Service{
				Selector:  map[string]string{"app": "web"},
				ClusterIP: netip.MustParseAddr("10.96.0.10"),
				Ports: []ServicePort{
					{Name: "http", Protocol: TCP, Port: 80, TargetPort: 8080},
					{Name: "https", Protocol: TCP, Port: 443, TargetName: "https"},
					{Name: "dns", Protocol: UDP, Port: 53, TargetPort: 53},
					{Name: "sctp", Protocol: SCTP, Port: 9, TargetPort: 9},
				},
			},
		},
		{
			name: "headless",
			spec: "spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}\n",
			want: Service{
				Selector: map[string]string{"app": "db"},
				Ports:    []ServicePort{{Protocol: TCP, Port: 5432, TargetPort: 5432}},
			},
		},
		{
			name: "clusterIPs only",
			spec: "spec: {clusterIPs: ['fd00::10'], selector: {app: db}}\n",
			want: Service{Selector: map[string]string{"app": "db"}, ClusterIP: netip.MustParseAddr("fd00::10")},
		},
		{
			name: "no selector",
			spec: "spec: {ports: [{port: 80}]}\n",
			want: Service{Ports: []ServicePort{{Protocol: TCP, Port: 80, TargetPort: 80}}},
		},
		{
			name: "empty selector is no selector",
			spec: "spec: {selector: {}, ports: [{port: 80}]}\n",
			want: Service{Ports: []ServicePort{{Protocol: TCP, Port: 80, TargetPort: 80}}},
		},
		{
			name: "ExternalName has no backends",
			spec: "spec: {type: ExternalName, externalName: db.example.com, selector: {app: db}, ports: [{port: 5432}]}\n",
			want: Service{Ports: []ServicePort{{Protocol: TCP, Port: 5432, TargetPort: 5432}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := coreObjects(t, head+tc.spec)
			require.Len(t, objs.Services, 1)
			got := objs.Services[0]
			assert.Equal(t, Position{File: "in.yaml", Line: 1, Doc: 1, Kind: "Service", Namespace: "ns", Name: "s"}, got.Source)
			tc.want.Namespace, tc.want.Name, tc.want.Source = "ns", "s", got.Source
			assert.Equal(t, &tc.want, got)
		})
	}
}

func TestConvertServiceProblems(t *testing.T) {
	got := coreProblems(t, `apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  clusterIP: nonsense
  ports:
  - {name: a, port: 80}
  - {name: a, port: 81}
  - {name: b, port: 70000, targetPort: "Http"}
`)
	assert.Equal(t, []string{
		`in.yaml:5 (doc 1, Service default/s): spec.clusterIP: invalid IP address "nonsense"`,
		`in.yaml:8 (doc 1, Service default/s): spec.ports[1].name: duplicate port name "a" (also spec.ports[0])`,
		`in.yaml:9 (doc 1, Service default/s): spec.ports[2].port: 70000: must be between 1 and 65535`,
		`in.yaml:9 (doc 1, Service default/s): spec.ports[2].targetPort: invalid port name "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
	}, got)
}

func TestServicePortLookup(t *testing.T) {
	s := &Service{Ports: []ServicePort{
		{Name: "dns", Protocol: UDP, Port: 53, TargetPort: 5353},
		{Name: "dns-tcp", Protocol: TCP, Port: 53, TargetPort: 5353},
		{Name: "http", Protocol: TCP, Port: 80, TargetName: "web"},
	}}
	tests := []struct {
		name   string
		lookup func() (ServicePort, bool)
		want   string // the port's name, "" for none
	}{
		{name: "udp 53", lookup: func() (ServicePort, bool) { return s.Port(53, UDP) }, want: "dns"},
		{name: "tcp 53", lookup: func() (ServicePort, bool) { return s.Port(53, TCP) }, want: "dns-tcp"},
		{name: "sctp 53", lookup: func() (ServicePort, bool) { return s.Port(53, SCTP) }},
		{name: "tcp 8080 is a target, not a port", lookup: func() (ServicePort, bool) { return s.Port(8080, TCP) }},
		{name: "by name", lookup: func() (ServicePort, bool) { return s.PortByName("http") }, want: "http"},
		{name: "unknown name", lookup: func() (ServicePort, bool) { return s.PortByName("web") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := tc.lookup()
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, p.Name)
		})
	}
}

func TestBackends(t *testing.T) {
	src := `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: shop}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web, version: v1}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-host, namespace: shop, labels: {app: web}}
spec: {hostNetwork: true, containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-done, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Succeeded}
---
apiVersion: v1
kind: Pod
metadata: {name: web-elsewhere, namespace: other, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, image: i}]}
`
	objs := coreObjects(t, src)
	c, err := Build(objs, Options{})
	require.NoError(t, err)
	byName := map[string]*Service{}
	for _, s := range c.Services {
		byName[s.Name] = s
	}
	assert.Equal(t, []string{"shop/web-1", "shop/web-host"}, podIDs(&Cluster{Pods: c.Backends(byName["web"])}))
	assert.Empty(t, c.Backends(byName["external"]))
}

func TestConvertWorkloads(t *testing.T) {
	const template = `    metadata: {labels: {app: x}}
    spec:
      containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]
`
	tests := []struct {
		name    string
		src     string
		kind    string
		pod     string
		labels  map[string]string
		noteHas string
	}{
		{
			name: "Deployment",
			src:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: ns}\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n" + template,
			kind: "Deployment", pod: "x-fdncv", labels: map[string]string{"app": "x"},
		},
		{
			name: "Deployment scaled to zero keeps its pod",
			src:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: ns}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: x}}\n  template:\n" + template,
			kind: "Deployment", pod: "x-fdncv", labels: map[string]string{"app": "x"},
			noteHas: "Deployment ns/x has replicas: 0; reach models it by the pod x-fdncv all the same",
		},
		{
			name: "ReplicaSet",
			src:  "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: x, namespace: ns}\nspec:\n  selector: {matchExpressions: [{key: app, operator: In, values: [x, y]}]}\n  template:\n" + template,
			kind: "ReplicaSet", pod: "x-xvq9s", labels: map[string]string{"app": "x"},
		},
		{
			name: "StatefulSet",
			src:  "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x, namespace: ns}\nspec:\n  serviceName: x\n  selector: {matchLabels: {app: x}}\n  template:\n" + template,
			kind: "StatefulSet", pod: "x-0", labels: map[string]string{"app": "x"},
		},
		{
			name: "DaemonSet",
			src:  "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x, namespace: ns}\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n" + template,
			kind: "DaemonSet", pod: "x-wclw7", labels: map[string]string{"app": "x"},
		},
		{
			name: "ReplicationController with a defaulted selector",
			src:  "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: x, namespace: ns}\nspec:\n  template:\n" + template,
			kind: "ReplicationController", pod: "x-lvj5l", labels: map[string]string{"app": "x"},
		},
		{
			name: "ReplicationController with a selector",
			src:  "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: x, namespace: ns}\nspec:\n  selector: {app: x}\n  template:\n" + template,
			kind: "ReplicationController", pod: "x-lvj5l", labels: map[string]string{"app": "x"},
		},
		{
			name: "Job with a generated selector gets the job-name labels",
			src:  "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x, namespace: ns}\nspec:\n  template:\n" + template,
			kind: "Job", pod: "x-4597b",
			labels: map[string]string{"app": "x", "job-name": "x", "batch.kubernetes.io/job-name": "x"},
		},
		{
			name: "Job with a manual selector",
			src:  "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x, namespace: ns}\nspec:\n  manualSelector: true\n  selector: {matchLabels: {app: x}}\n  template:\n" + template,
			kind: "Job", pod: "x-4597b", labels: map[string]string{"app": "x"},
		},
		{
			name: "CronJob",
			src: "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x, namespace: ns}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n" +
				"        metadata: {labels: {app: x}}\n        spec:\n          containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]\n",
			kind: "CronJob", pod: "x-t6q8q", labels: map[string]string{"app": "x"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := coreObjects(t, tc.src)
			assert.Empty(t, objs.Pods, "a workload adds its pod through Workloads")
			require.Len(t, objs.Workloads, 1)
			w := objs.Workloads[0]
			src := Position{File: "in.yaml", Line: 1, Doc: 1, Kind: tc.kind, Namespace: "ns", Name: "x"}
			assert.Equal(t, tc.kind, w.Kind)
			assert.Equal(t, "ns", w.Namespace)
			assert.Equal(t, "x", w.Name)
			assert.Equal(t, src, w.Source)
			assert.Equal(t, &Pod{
				Namespace:  "ns",
				Name:       tc.pod,
				Labels:     tc.labels,
				NamedPorts: []NamedPort{{Name: "http", Protocol: TCP, Port: 8080}},
				Workload:   &WorkloadRef{Kind: tc.kind, Name: "x"},
				Source:     src,
			}, w.Pod)
			if tc.noteHas != "" {
				assert.Contains(t, objs.Notes, tc.noteHas)
			} else {
				assert.Empty(t, objs.Notes)
			}
		})
	}
}

func TestRepresentativeNames(t *testing.T) {
	seen := map[string]bool{}
	for _, kind := range []string{"Deployment", "ReplicaSet", "DaemonSet", "Job", "CronJob", "ReplicationController"} {
		for _, ns := range []string{"a", "b"} {
			name := representativeName(kind, ns, "web")
			assert.Equal(t, name, representativeName(kind, ns, "web"), "deterministic")
			require.Len(t, name, len("web-")+5)
			assert.True(t, strings.HasPrefix(name, "web-"))
			for _, c := range name[len("web-"):] {
				assert.Contains(t, nameAlphabet, string(c))
			}
			assert.False(t, seen[ns+"/"+name], "%s %s/%s collides", kind, ns, name)
			seen[ns+"/"+name] = true
		}
	}
	assert.Equal(t, "db-0", representativeName("StatefulSet", "a", "db"))
}

// Old ReplicaSets of a Deployment, and the Jobs of a CronJob, as
// "kubectl get all" lists them, add no pods of their own.
func TestOwnedWorkloads(t *testing.T) {
	objs := coreObjects(t, `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d9c7b8f6
  namespace: ns
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: "1", controller: true}]
spec:
  replicas: 0
  selector: {matchLabels: {app: web, pod-template-hash: 5d9c7b8f6}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 5d9c7b8f6}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: backup-28391234
  namespace: ns
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: backup, uid: "2", controller: true}]
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rollout-6c8d
  namespace: ns
  ownerReferences: [{apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: rollout, uid: "3", controller: true}]
spec:
  selector: {matchLabels: {app: rollout}}
  template:
    metadata: {labels: {app: rollout}}
    spec: {containers: [{name: c, image: i}]}
`)
	require.Len(t, objs.Workloads, 1, "a ReplicaSet of a kind reach does not read keeps its pod")
	assert.Equal(t, "rollout-6c8d", objs.Workloads[0].Name)
	assert.Equal(t, []string{
		"ReplicaSet ns/web-5d9c7b8f6 is managed by Deployment web: reach models its pods from that object, not from it",
		"Job ns/backup-28391234 is managed by CronJob backup: reach models its pods from that object, not from it",
	}, objs.Notes)
}

func TestConvertWorkloadProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "selector matches a label the template lacks",
			src: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d, tier: web}}
  template:
    metadata:
      labels: {app: d}
    spec: {containers: [{name: c, image: i}]}
`,
			want: []string{"in.yaml:8 (doc 1, Deployment default/d): spec.template.metadata.labels: selector does not match template labels"},
		},
		{
			name: "template without labels",
			src: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template:
    spec: {containers: [{name: c, image: i}]}
`,
			want: []string{"in.yaml:6 (doc 1, StatefulSet default/d): spec.template.metadata.labels: selector does not match template labels"},
		},
		{
			name: "replication controller selector",
			src: `apiVersion: v1
kind: ReplicationController
metadata: {name: d}
spec:
  selector: {app: e}
  template:
    metadata: {labels: {app: d}}
    spec: {containers: [{name: c, image: i}]}
`,
			want: []string{"in.yaml:7 (doc 1, ReplicationController default/d): spec.template.metadata.labels: selector does not match template labels"},
		},
		{
			name: "cron job selector",
			src: `apiVersion: batch/v1
kind: CronJob
metadata: {name: d}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      manualSelector: true
      selector: {matchLabels: {app: e}}
      template:
        metadata: {labels: {app: d}}
        spec: {containers: [{name: c, image: i}]}
`,
			want: []string{"in.yaml:11 (doc 1, CronJob default/d): spec.jobTemplate.spec.template.metadata.labels: selector does not match template labels"},
		},
		{
			name: "unknown field in the template",
			src: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      hostnetwork: true
      containers: [{name: c, image: i}]
`,
			want: []string{"in.yaml:9 (doc 1, DaemonSet default/d): spec.template.spec.hostnetwork: unknown field"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, coreProblems(t, tc.src))
		})
	}
}
