package model

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// coreKinds converts the Kubernetes objects that hold endpoints and their
// context: namespaces, pods, workloads, services, service accounts.
var coreKinds = map[string]converter{
	kindKey("v1", "Namespace"):             convertNamespace,
	kindKey("v1", "Pod"):                   convertPod,
	kindKey("v1", "Service"):               convertService,
	kindKey("v1", "ServiceAccount"):        convertServiceAccount,
	kindKey("v1", "ReplicationController"): convertReplicationController,
	kindKey("apps/v1", "Deployment"):       convertDeployment,
	kindKey("apps/v1", "ReplicaSet"):       convertReplicaSet,
	kindKey("apps/v1", "StatefulSet"):      convertStatefulSet,
	kindKey("apps/v1", "DaemonSet"):        convertDaemonSet,
	kindKey("batch/v1", "Job"):             convertJob,
	kindKey("batch/v1", "CronJob"):         convertCronJob,
}

// nameRule validates an object name as the API server does for its kind.
type nameRule func(name string, prefix bool) []string

// readMeta checks what the API server would reject in an object's
// metadata that matters to reach: the name, the namespace and the labels.
// It returns the object's namespace ("default" when namespaced and left
// out; "" for a cluster-scoped kind) and whether the metadata is usable.
func readMeta(d *document, m *metav1.ObjectMeta, rule nameRule, namespaced bool) (string, bool) {
	ok := true
	switch {
	case m.Name == "" && m.GenerateName != "":
		d.problem("metadata.generateName", "not supported: reach needs a fixed name in metadata.name")
		ok = false
	case m.Name == "":
		d.problem("metadata.name", "required")
		ok = false
	default:
		ok = checkObjectName(d, "metadata.name", m.Name, rule) && ok
	}
	ns := ""
	if namespaced {
		ns = m.Namespace
		if ns == "" {
			ns = "default"
		}
		ok = checkObjectName(d, "metadata.namespace", ns, apivalidation.ValidateNamespaceName) && ok
	}
	return ns, checkLabelMap(d, "metadata.labels", m.Labels) && ok
}

func checkObjectName(d *document, field, name string, rule nameRule) bool {
	if msgs := rule(name, false); len(msgs) > 0 {
		d.problem(field, "invalid name %q: %s", name, strings.Join(msgs, "; "))
		return false
	}
	return true
}

// checkLabelMap checks label keys and values as the API server does: reach's
// selectors could not match what Kubernetes would not store.
func checkLabelMap(d *document, field string, labels map[string]string) bool {
	ok := true
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			d.problem(field+"."+k, "invalid label key %q: %s", k, strings.Join(msgs, "; "))
			ok = false
		}
		if msgs := validation.IsValidLabelValue(labels[k]); len(msgs) > 0 {
			d.problem(field+"."+k, "invalid label value %q: %s", labels[k], strings.Join(msgs, "; "))
			ok = false
		}
	}
	return ok
}

func convertNamespace(d *document, out *Objects) {
	var obj corev1.Namespace
	if !d.decode(&obj) {
		return
	}
	if _, ok := readMeta(d, &obj.ObjectMeta, apivalidation.ValidateNamespaceName, false); !ok {
		return
	}
	out.Namespaces = append(out.Namespaces, &Namespace{
		Name:   obj.Name,
		Labels: obj.Labels,
		Source: d.pos,
	})
}

func convertServiceAccount(d *document, out *Objects) {
	var obj corev1.ServiceAccount
	if !d.decode(&obj) {
		return
	}
	ns, ok := readMeta(d, &obj.ObjectMeta, apivalidation.NameIsDNSSubdomain, true)
	if !ok {
		return
	}
	out.ServiceAccounts = append(out.ServiceAccounts, &ServiceAccount{
		Namespace: ns,
		Name:      obj.Name,
		Labels:    obj.Labels,
		Source:    d.pos,
	})
}

func convertPod(d *document, out *Objects) {
	var obj corev1.Pod
	if !d.decode(&obj) {
		return
	}
	ns, ok := readMeta(d, &obj.ObjectMeta, apivalidation.NameIsDNSSubdomain, true)
	p := &Pod{
		Namespace: ns,
		Name:      obj.Name,
		Labels:    obj.Labels,
		Phase:     string(obj.Status.Phase),
		Workload:  controllerOf(obj.OwnerReferences, obj.Labels),
		Source:    d.pos,
	}
	ok = readPodSpec(d, "spec", &obj.Spec, p) && ok
	ips, ipsOK := readPodIPs(d, &obj.Status)
	if !ok || !ipsOK {
		return
	}
	if !p.Finished() {
		p.IPs = ips
	}
	out.Pods = append(out.Pods, p)
}

// readPodSpec reads what reach needs from a pod spec at field into p: service
// account, host networking and named ports.
func readPodSpec(d *document, field string, spec *corev1.PodSpec, p *Pod) bool {
	ok := true
	p.ServiceAccount = spec.ServiceAccountName
	saField := field + ".serviceAccountName"
	if p.ServiceAccount == "" {
		p.ServiceAccount = spec.DeprecatedServiceAccount
		saField = field + ".serviceAccount"
	}
	if p.ServiceAccount != "" {
		ok = checkObjectName(d, saField, p.ServiceAccount, apivalidation.NameIsDNSSubdomain)
	}
	p.HostNetwork = spec.HostNetwork
	for i := range spec.Containers {
		ok = readContainerPorts(d, fmt.Sprintf("%s.containers[%d].ports", field, i), spec.Containers[i].Ports, p) && ok
	}
	for i := range spec.InitContainers {
		ok = readContainerPorts(d, fmt.Sprintf("%s.initContainers[%d].ports", field, i), spec.InitContainers[i].Ports, p) && ok
	}
	return ok
}

// readContainerPorts validates one container's ports as the API server does
// (port numbers, protocol, IANA service names unique in the container; the
// same name in two containers is allowed) and adds its named ports to p the
// way Calico reads them: a port counts when it has a containerPort and a name
// or a hostPort, and only those with a name can be matched by name.
func readContainerPorts(d *document, field string, ports []corev1.ContainerPort, p *Pod) bool {
	ok := true
	names := map[string]int{}
	for i, port := range ports {
		f := fmt.Sprintf("%s[%d]", field, i)
		good := true
		if port.Name != "" {
			if msgs := validation.IsValidPortName(port.Name); len(msgs) > 0 {
				d.problem(f+".name", "invalid port name %q: %s", port.Name, strings.Join(msgs, "; "))
				good = false
			} else if j, dup := names[port.Name]; dup {
				d.problem(f+".name", "duplicate port name %q (also %s[%d])", port.Name, field, j)
				good = false
			} else {
				names[port.Name] = i
			}
		}
		switch {
		case port.ContainerPort == 0:
			d.problem(f+".containerPort", "required")
			good = false
		case !portInRange(port.ContainerPort):
			d.problem(f+".containerPort", "%d: must be between 1 and 65535", port.ContainerPort)
			good = false
		}
		if port.HostPort != 0 && !portInRange(port.HostPort) {
			d.problem(f+".hostPort", "%d: must be between 1 and 65535", port.HostPort)
			good = false
		}
		proto, protoOK := portProtocol(port.Protocol)
		if !protoOK {
			d.problem(f+".protocol", "unsupported protocol %q: want TCP, UDP or SCTP", port.Protocol)
			good = false
		}
		if !good {
			ok = false
			continue
		}
		if port.Name == "" {
			continue
		}
		np := NamedPort{Name: port.Name, Protocol: proto, Port: uint16(port.ContainerPort)}
		if !slices.Contains(p.NamedPorts, np) {
			p.NamedPorts = append(p.NamedPorts, np)
		}
	}
	return ok
}

func portInRange(n int32) bool { return n >= 1 && n <= 65535 }

// portProtocol reads a container or service port protocol: TCP (the
// default), UDP or SCTP, spelled as the API server wants it.
func portProtocol(p corev1.Protocol) (Protocol, bool) {
	switch p {
	case "", corev1.ProtocolTCP:
		return TCP, true
	case corev1.ProtocolUDP:
		return UDP, true
	case corev1.ProtocolSCTP:
		return SCTP, true
	}
	return 0, false
}

// readPodIPs reads status.podIP and status.podIPs: valid addresses, at most one
// of each family, IPv4 first. When both fields are given they name the same
// addresses, as the API server keeps them.
func readPodIPs(d *document, st *corev1.PodStatus) ([]netip.Addr, bool) {
	var ips []netip.Addr
	ok := true
	add := func(field, s string) {
		if s == "" {
			return
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			d.problem(field, "invalid IP address %q", s)
			ok = false
			return
		}
		if a = a.Unmap(); !slices.Contains(ips, a) {
			ips = append(ips, a)
		}
	}
	add("status.podIP", st.PodIP)
	for i, ip := range st.PodIPs {
		add("status.podIPs["+strconv.Itoa(i)+"].ip", ip.IP)
	}
	if !ok {
		return nil, false
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		return boolCompare(b.Is4(), a.Is4())
	})
	if len(ips) > 2 || len(ips) == 2 && ips[0].Is4() == ips[1].Is4() {
		field := "status.podIPs"
		if len(st.PodIPs) == 0 {
			field = "status.podIP"
		}
		d.problem(field, "a pod has at most one address of each IP family, found %s", addrList(ips))
		return nil, false
	}
	return ips, true
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func addrList(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ", ")
}

func convertService(d *document, out *Objects) {
	var obj corev1.Service
	if !d.decode(&obj) {
		return
	}
	ns, ok := readMeta(d, &obj.ObjectMeta, apivalidation.NameIsDNS1035Label, true)
	s := &Service{Namespace: ns, Name: obj.Name, Source: d.pos}
	if obj.Spec.Type != corev1.ServiceTypeExternalName && len(obj.Spec.Selector) > 0 {
		s.Selector = obj.Spec.Selector
		ok = checkLabelMap(d, "spec.selector", s.Selector) && ok
	}
	ip, ipOK := readClusterIP(d, &obj.Spec)
	s.ClusterIP = ip
	ok = ipOK && ok
	names := map[string]int{}
	for i, sp := range obj.Spec.Ports {
		port, portOK := readServicePort(d, fmt.Sprintf("spec.ports[%d]", i), sp)
		if !portOK {
			ok = false
			continue
		}
		if port.Name == "" && len(obj.Spec.Ports) > 1 {
			d.problem(fmt.Sprintf("spec.ports[%d].name", i), "required when the service has more than one port")
			ok = false
			continue
		}
		if j, dup := names[port.Name]; dup {
			d.problem(fmt.Sprintf("spec.ports[%d].name", i), "duplicate port name %q (also spec.ports[%d])", port.Name, j)
			ok = false
			continue
		}
		names[port.Name] = i
		s.Ports = append(s.Ports, port)
	}
	if !ok {
		return
	}
	out.Services = append(out.Services, s)
}

// readClusterIP reads spec.clusterIP, or the first of spec.clusterIPs; "None"
// (headless) and "" give the invalid address.
func readClusterIP(d *document, spec *corev1.ServiceSpec) (netip.Addr, bool) {
	field, s := "spec.clusterIP", spec.ClusterIP
	if s == "" && len(spec.ClusterIPs) > 0 {
		field, s = "spec.clusterIPs[0]", spec.ClusterIPs[0]
	}
	if s == "" || s == corev1.ClusterIPNone {
		return netip.Addr{}, true
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		d.problem(field, "invalid IP address %q", s)
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// readServicePort reads one service port: protocol TCP by default, a port from
// 1 to 65535, and a target port that is a number, a port name, or absent
// (the port itself).
func readServicePort(d *document, field string, sp corev1.ServicePort) (ServicePort, bool) {
	ok := true
	proto, protoOK := portProtocol(sp.Protocol)
	if !protoOK {
		d.problem(field+".protocol", "unsupported protocol %q: want TCP, UDP or SCTP", sp.Protocol)
		ok = false
	}
	if !portInRange(sp.Port) {
		d.problem(field+".port", "%d: must be between 1 and 65535", sp.Port)
		ok = false
	}
	port := ServicePort{Name: sp.Name, Protocol: proto, Port: uint16(sp.Port)}
	switch tp := sp.TargetPort; {
	case tp.Type == intstr.String && tp.StrVal != "":
		if msgs := validation.IsValidPortName(tp.StrVal); len(msgs) > 0 {
			d.problem(field+".targetPort", "invalid port name %q: %s", tp.StrVal, strings.Join(msgs, "; "))
			ok = false
		}
		port.TargetName = tp.StrVal
	case tp.Type == intstr.Int && tp.IntVal != 0:
		if !portInRange(tp.IntVal) {
			d.problem(field+".targetPort", "%d: must be between 1 and 65535", tp.IntVal)
			ok = false
		}
		port.TargetPort = uint16(tp.IntVal)
	default:
		port.TargetPort = port.Port
	}
	return port, ok
}
