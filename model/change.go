package model

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// This file describes edits of a cluster's objects for what-if analysis
// (Change, ObjectRef) and applies them to Objects (With). Derive, in
// change_derive.go, makes the changed Cluster; a Cluster never changes.

// ObjectRef names one object: its kind, its namespace (empty for a
// cluster-scoped kind) and its name. Kind is canonical, as ParseObjectRef
// returns it.
type ObjectRef struct {
	Kind      string
	Namespace string
	Name      string
}

// The kinds of ObjectRef that name a Kubernetes NetworkPolicy or a Calico
// one explicitly; the kind "NetworkPolicy" names whichever of the two exists.
const (
	KindKubernetesNetworkPolicy = "KubernetesNetworkPolicy"
	KindCalicoNetworkPolicy     = "NetworkPolicy.projectcalico.org"
	kindAnyNetworkPolicy        = "NetworkPolicy"
)

// refKinds maps every spelling ParseObjectRef accepts, in lower case, to the
// canonical kind: kinds, plurals, kubectl's short names.
var refKinds = func() map[string]string {
	m := map[string]string{}
	add := func(kind string, aliases ...string) {
		m[strings.ToLower(kind)] = kind
		for _, a := range aliases {
			m[a] = kind
		}
	}
	add("Namespace", "namespaces", "ns")
	add("Pod", "pods", "po")
	add("Service", "services", "svc")
	add("ServiceAccount", "serviceaccounts", "sa")
	add("Deployment", "deployments", "deploy")
	add("ReplicaSet", "replicasets", "rs")
	add("StatefulSet", "statefulsets", "sts")
	add("DaemonSet", "daemonsets", "ds")
	add("ReplicationController", "replicationcontrollers", "rc")
	add("Job", "jobs")
	add("CronJob", "cronjobs", "cj")
	add("HostEndpoint", "hostendpoints", "hep", "heps")
	add("NetworkSet", "networksets", "netset", "netsets")
	add("GlobalNetworkSet", "globalnetworksets")
	add("Profile", "profiles")
	add("Tier", "tiers")
	add(kindAnyNetworkPolicy, "networkpolicies", "netpol", "netpols")
	add(KindKubernetesNetworkPolicy, "networkpolicy.networking.k8s.io", "networkpolicies.networking.k8s.io")
	add(KindCalicoNetworkPolicy, "networkpolicies.projectcalico.org")
	add("GlobalNetworkPolicy", "globalnetworkpolicies", "gnp")
	add("AdminNetworkPolicy", "adminnetworkpolicies", "anp")
	add("BaselineAdminNetworkPolicy", "baselineadminnetworkpolicies", "banp")
	add("StagedNetworkPolicy", "stagednetworkpolicies")
	add("StagedGlobalNetworkPolicy", "stagedglobalnetworkpolicies")
	add("StagedKubernetesNetworkPolicy", "stagedkubernetesnetworkpolicies")
	return m
}()

// workloadKinds are the controllers a Workload can be.
var workloadKinds = map[string]bool{
	"Deployment": true, "ReplicaSet": true, "StatefulSet": true, "DaemonSet": true,
	"ReplicationController": true, "Job": true, "CronJob": true,
}

// policyKindsOf returns the policy kinds an ObjectRef kind names.
func policyKindsOf(kind string) []PolicyKind {
	switch kind {
	case kindAnyNetworkPolicy:
		return []PolicyKind{KubernetesNetworkPolicy, CalicoNetworkPolicy}
	case KindKubernetesNetworkPolicy:
		return []PolicyKind{KubernetesNetworkPolicy}
	case KindCalicoNetworkPolicy:
		return []PolicyKind{CalicoNetworkPolicy}
	}
	for k := KubernetesNetworkPolicy; k <= StagedKubernetesNetworkPolicy; k++ {
		if k != KubernetesNetworkPolicy && k != CalicoNetworkPolicy && k.String() == kind {
			return []PolicyKind{k}
		}
	}
	return nil
}

// refClusterScoped reports whether objects of the canonical kind have no
// namespace.
func refClusterScoped(kind string) bool { return clusterScoped[kind] }

// ParseObjectRef reads KIND/NAMESPACE/NAME, or KIND/NAME for a cluster-scoped
// kind (Namespace, HostEndpoint, GlobalNetworkSet, GlobalNetworkPolicy,
// Tier, ...) and for a namespaced kind in namespace "default". KIND is a
// kind, its plural or kubectl's short name, in any case: pod, po, deploy,
// sts, ns, svc, sa, netpol, gnp, hep, ... "NetworkPolicy" names a
// Kubernetes or a Calico NetworkPolicy, whichever exists;
// "networkpolicy.networking.k8s.io" and "networkpolicy.projectcalico.org"
// name one of them.
func ParseObjectRef(s string) (ObjectRef, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return ObjectRef{}, fmt.Errorf("object %q: want KIND/NAMESPACE/NAME or KIND/NAME", s)
	}
	kind, ok := refKinds[strings.ToLower(parts[0])]
	if !ok {
		return ObjectRef{}, fmt.Errorf("object %q: unknown kind %q", s, parts[0])
	}
	r := ObjectRef{Kind: kind, Name: parts[len(parts)-1]}
	switch {
	case len(parts) == 3 && refClusterScoped(kind):
		return ObjectRef{}, fmt.Errorf("object %q: a %s has no namespace: want %s/NAME", s, kind, parts[0])
	case len(parts) == 3:
		r.Namespace = parts[1]
	case !refClusterScoped(kind):
		r.Namespace = "default"
	}
	if r.Name == "" || len(parts) == 3 && r.Namespace == "" {
		return ObjectRef{}, fmt.Errorf("object %q: empty name or namespace", s)
	}
	return r, nil
}

// String returns KIND/NAMESPACE/NAME, or KIND/NAME for a cluster-scoped kind.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// ChangeOp says what a Change does.
type ChangeOp uint8

// The changes Derive and Objects.With know.
const (
	// ChangeApply adds the Change's Objects, each replacing the object of the
	// same kind, namespace and name if there is one, as kubectl apply does.
	ChangeApply ChangeOp = iota + 1
	// ChangeDelete deletes the Target.
	ChangeDelete
	// ChangeSetLabel sets label Key to Value on the Target.
	ChangeSetLabel
	// ChangeRemoveLabel removes label Key from the Target.
	ChangeRemoveLabel
)

// Change is one edit of a cluster's objects. Make one with ApplyObjects,
// DeleteObject, SetLabel or RemoveLabel; the zero value is not a change.
//
// Semantics, as the API server and its controllers would carry them out:
//
//   - Applying a workload over an existing one replaces the pods the input
//     lists for it (a rollout would): its new template's pod stands for
//     them.
//   - Deleting a namespace deletes every object in it; deleting a workload
//     deletes the pods the input lists for it.
//   - A label on a workload is a label of its pod template: it is set on
//     the workload's representative pod and on every pod the input lists
//     for it. A representative pod (web-jqvht) may be named instead of its
//     workload.
//   - Labels may be set on pods, workloads, namespaces, service accounts,
//     network sets, global network sets, host endpoints and profiles.
//     kubernetes.io/metadata.name belongs to the API server.
type Change struct {
	Op      ChangeOp
	Objects Objects   // ChangeApply
	Target  ObjectRef // ChangeDelete, ChangeSetLabel, ChangeRemoveLabel
	Key     string    // ChangeSetLabel, ChangeRemoveLabel
	Value   string    // ChangeSetLabel
}

// ApplyObjects returns the change that adds or replaces every object of o.
func ApplyObjects(o Objects) Change { return Change{Op: ChangeApply, Objects: o} }

// DeleteObject returns the change that deletes the object r names.
func DeleteObject(r ObjectRef) Change { return Change{Op: ChangeDelete, Target: r} }

// SetLabel returns the change that sets label key to value on r.
func SetLabel(r ObjectRef, key, value string) Change {
	return Change{Op: ChangeSetLabel, Target: r, Key: key, Value: value}
}

// RemoveLabel returns the change that removes label key from r.
func RemoveLabel(r ObjectRef, key string) Change {
	return Change{Op: ChangeRemoveLabel, Target: r, Key: key}
}

// String describes the change in the words of the CLI flags, e.g.
// "delete Deployment/shop/web", "label Namespace/shop env=prod",
// "unlabel Pod/shop/web-0 tier", "apply 2 objects".
func (ch Change) String() string {
	switch ch.Op {
	case ChangeApply:
		n := ch.Objects.count()
		if n == 1 {
			return "apply 1 object"
		}
		return fmt.Sprintf("apply %d objects", n)
	case ChangeDelete:
		return "delete " + ch.Target.String()
	case ChangeSetLabel:
		return "label " + ch.Target.String() + " " + ch.Key + "=" + ch.Value
	case ChangeRemoveLabel:
		return "unlabel " + ch.Target.String() + " " + ch.Key
	}
	return "no change"
}

func (o *Objects) count() int {
	return len(o.Namespaces) + len(o.Pods) + len(o.Workloads) + len(o.Services) + len(o.ServiceAccounts) +
		len(o.HostEndpoints) + len(o.NetworkSets) + len(o.Profiles) + len(o.Tiers) + len(o.Policies)
}

// shallowClone returns o with its own slices (and map), holding the same
// objects.
func (o Objects) shallowClone() Objects {
	return Objects{
		Namespaces:      slices.Clone(o.Namespaces),
		Pods:            slices.Clone(o.Pods),
		Workloads:       slices.Clone(o.Workloads),
		Services:        slices.Clone(o.Services),
		ServiceAccounts: slices.Clone(o.ServiceAccounts),
		HostEndpoints:   slices.Clone(o.HostEndpoints),
		NetworkSets:     slices.Clone(o.NetworkSets),
		Profiles:        slices.Clone(o.Profiles),
		Tiers:           slices.Clone(o.Tiers),
		Policies:        slices.Clone(o.Policies),
		Skipped:         maps.Clone(o.Skipped),
		Notes:           slices.Clone(o.Notes),
	}
}

// With returns o with changes applied in order. o and its objects are not
// modified: objects that change are copied, the others shared. The error
// names the first change that cannot be made (a missing object, an invalid
// label) and the Objects are then empty.
func (o Objects) With(changes ...Change) (Objects, error) {
	ed := &editor{o: o.shallowClone()}
	for i, ch := range changes {
		if err := ed.apply(ch); err != nil {
			return Objects{}, fmt.Errorf("change %d (%s): %w", i+1, ch, err)
		}
	}
	return ed.o, nil
}

// editor applies changes to objects it owns the slices of, copying each
// object before it changes it.
type editor struct {
	o Objects
}

func (ed *editor) apply(ch Change) error {
	switch ch.Op {
	case ChangeApply:
		ed.put(ch.Objects)
		return nil
	case ChangeDelete:
		return ed.delete(ch.Target)
	case ChangeSetLabel, ChangeRemoveLabel:
		if err := checkLabel(ch); err != nil {
			return err
		}
		return ed.label(ch.Target, ch.Key, ch.Value, ch.Op == ChangeRemoveLabel)
	}
	return errors.New("not a change")
}

func checkLabel(ch Change) error {
	if msgs := validation.IsQualifiedName(ch.Key); len(msgs) > 0 {
		return fmt.Errorf("invalid label key %q: %s", ch.Key, strings.Join(msgs, "; "))
	}
	if ch.Op == ChangeSetLabel {
		if msgs := validation.IsValidLabelValue(ch.Value); len(msgs) > 0 {
			return fmt.Errorf("invalid label value %q: %s", ch.Value, strings.Join(msgs, "; "))
		}
	}
	if ch.Key == LabelK8sNamespace && ch.Target.Kind == "Namespace" {
		return fmt.Errorf("label %q is set by the API server to the namespace's name", ch.Key)
	}
	return nil
}

// upsert replaces the element of list that same says is x's, or appends x.
func upsert[T any](list []T, x T, same func(a, b T) bool) []T {
	for i, y := range list {
		if same(x, y) {
			list[i] = x
			return list
		}
	}
	return append(list, x)
}

// put adds or replaces every object of in. The objects Build completes are
// copied first: a change can be applied more than once.
func (ed *editor) put(in Objects) {
	o := &ed.o
	for _, x := range in.Namespaces {
		cp := *x
		o.Namespaces = upsert(o.Namespaces, &cp, func(a, b *Namespace) bool { return a.Name == b.Name })
	}
	for _, x := range in.Workloads {
		cp := *x
		if x.Pod != nil {
			cp.Pod = unbuiltPod(x.Pod)
		}
		if i := slices.IndexFunc(o.Workloads, func(w *Workload) bool { return sameWorkload(w, &cp) }); i >= 0 {
			ed.deletePodsOf(o.Workloads[i])
		}
		o.Workloads = upsert(o.Workloads, &cp, sameWorkload)
	}
	for _, x := range in.Pods {
		o.Pods = upsert(o.Pods, unbuiltPod(x), func(a, b *Pod) bool { return a.Namespace == b.Namespace && a.Name == b.Name })
	}
	for _, x := range in.Services {
		o.Services = upsert(o.Services, x, func(a, b *Service) bool { return a.Namespace == b.Namespace && a.Name == b.Name })
	}
	for _, x := range in.ServiceAccounts {
		o.ServiceAccounts = upsert(o.ServiceAccounts, x, func(a, b *ServiceAccount) bool {
			return a.Namespace == b.Namespace && a.Name == b.Name
		})
	}
	for _, x := range in.HostEndpoints {
		cp := *x
		cp.labels = nil
		o.HostEndpoints = upsert(o.HostEndpoints, &cp, func(a, b *HostEndpoint) bool { return a.Name == b.Name })
	}
	for _, x := range in.NetworkSets {
		cp := *x
		cp.labels = nil
		o.NetworkSets = upsert(o.NetworkSets, &cp, func(a, b *NetworkSet) bool { return a.Namespace == b.Namespace && a.Name == b.Name })
	}
	for _, x := range in.Profiles {
		o.Profiles = upsert(o.Profiles, x, func(a, b *Profile) bool { return a.Name == b.Name })
	}
	for _, x := range in.Tiers {
		cp := *x
		cp.Policies = nil
		o.Tiers = upsert(o.Tiers, &cp, func(a, b *Tier) bool { return a.Name == b.Name })
	}
	for _, x := range in.Policies {
		o.Policies = upsert(o.Policies, x, func(a, b *Policy) bool {
			return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
		})
	}
	o.Notes = append(o.Notes, in.Notes...)
}

func sameWorkload(a, b *Workload) bool {
	return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

// belongsTo reports whether listed pod p is one of w's pods, by Build's
// rule: it names w as its controller, or it names none and carries every
// label of w's template.
func belongsTo(p *Pod, w *Workload) bool {
	if p.Namespace != w.Namespace {
		return false
	}
	if p.Workload != nil {
		return p.Workload.Kind == w.Kind && p.Workload.Name == w.Name
	}
	return w.Pod != nil && len(w.Pod.Labels) > 0 && containsLabels(p.Labels, w.Pod.Labels)
}

func (ed *editor) deletePodsOf(w *Workload) {
	ed.o.Pods = slices.DeleteFunc(ed.o.Pods, func(p *Pod) bool { return belongsTo(p, w) })
}

// remove deletes the elements of list that match and reports whether there
// were any.
func remove[T any](list *[]T, match func(T) bool) bool {
	n := len(*list)
	*list = slices.DeleteFunc(*list, match)
	return len(*list) < n
}

func (ed *editor) delete(r ObjectRef) error {
	o := &ed.o
	named := func(ns, name string) bool { return ns == r.Namespace && name == r.Name }
	found := false
	switch {
	case r.Kind == "Namespace":
		found = ed.deleteNamespace(r.Name)
	case r.Kind == "Pod":
		found = remove(&o.Pods, func(p *Pod) bool { return named(p.Namespace, p.Name) })
		if w := ed.representedBy(r); !found && w != nil {
			return fmt.Errorf("pod %s/%s is how reach models %s %s/%s: delete the %s", r.Namespace, r.Name, w.Kind, w.Namespace, w.Name, w.Kind)
		}
	case workloadKinds[r.Kind]:
		i := slices.IndexFunc(o.Workloads, func(w *Workload) bool { return w.Kind == r.Kind && named(w.Namespace, w.Name) })
		if found = i >= 0; found {
			ed.deletePodsOf(o.Workloads[i])
			o.Workloads = slices.Delete(o.Workloads, i, i+1)
		}
	case r.Kind == "Service":
		found = remove(&o.Services, func(s *Service) bool { return named(s.Namespace, s.Name) })
	case r.Kind == "ServiceAccount":
		found = remove(&o.ServiceAccounts, func(s *ServiceAccount) bool { return named(s.Namespace, s.Name) })
	case r.Kind == "HostEndpoint":
		found = remove(&o.HostEndpoints, func(h *HostEndpoint) bool { return h.Name == r.Name })
	case r.Kind == "NetworkSet", r.Kind == "GlobalNetworkSet":
		found = remove(&o.NetworkSets, func(n *NetworkSet) bool { return named(n.Namespace, n.Name) })
	case r.Kind == "Profile":
		found = remove(&o.Profiles, func(p *Profile) bool { return p.Name == r.Name })
	case r.Kind == "Tier":
		found = remove(&o.Tiers, func(t *Tier) bool { return t.Name == r.Name })
	default:
		kinds := policyKindsOf(r.Kind)
		if kinds == nil {
			return fmt.Errorf("cannot delete objects of kind %q", r.Kind)
		}
		match := func(p *Policy) bool { return slices.Contains(kinds, p.Kind) && named(p.Namespace, p.Name) }
		if n := countFunc(o.Policies, match); n > 1 {
			return fmt.Errorf("both a Kubernetes and a Calico NetworkPolicy are named %s/%s: say %s or %s",
				r.Namespace, r.Name, strings.ToLower(KindKubernetesNetworkPolicy), strings.ToLower(KindCalicoNetworkPolicy))
		}
		found = remove(&o.Policies, match)
	}
	if !found {
		return fmt.Errorf("no %s to delete", r)
	}
	return nil
}

func countFunc[T any](list []T, match func(T) bool) int {
	n := 0
	for _, x := range list {
		if match(x) {
			n++
		}
	}
	return n
}

// deleteNamespace deletes namespace ns and every object in it.
func (ed *editor) deleteNamespace(ns string) bool {
	o := &ed.o
	in := func(n string) bool { return n == ns }
	found := remove(&o.Namespaces, func(n *Namespace) bool { return in(n.Name) })
	found = remove(&o.Pods, func(p *Pod) bool { return in(p.Namespace) }) || found
	found = remove(&o.Workloads, func(w *Workload) bool { return in(w.Namespace) }) || found
	found = remove(&o.Services, func(s *Service) bool { return in(s.Namespace) }) || found
	found = remove(&o.ServiceAccounts, func(s *ServiceAccount) bool { return in(s.Namespace) }) || found
	found = remove(&o.NetworkSets, func(n *NetworkSet) bool { return in(n.Namespace) }) || found
	return remove(&o.Policies, func(p *Policy) bool { return in(p.Namespace) }) || found
}

// representedBy returns the workload whose representative pod r names, if
// any.
func (ed *editor) representedBy(r ObjectRef) *Workload {
	for _, w := range ed.o.Workloads {
		if w.Pod != nil && w.Pod.Namespace == r.Namespace && w.Pod.Name == r.Name {
			return w
		}
	}
	return nil
}

// withLabel returns a copy of labels with key set to value, or removed.
func withLabel(labels map[string]string, key, value string, del bool) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	if del {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

// label sets or removes a label on the object r names.
func (ed *editor) label(r ObjectRef, key, value string, del bool) error {
	o := &ed.o
	has := false // the label was there before (for del)
	relabel := func(labels map[string]string) map[string]string {
		_, ok := labels[key]
		has = has || ok
		return withLabel(labels, key, value, del)
	}
	named := func(ns, name string) bool { return ns == r.Namespace && name == r.Name }
	found := false
	switch {
	case r.Kind == "Namespace":
		i := slices.IndexFunc(o.Namespaces, func(n *Namespace) bool { return n.Name == r.Name })
		if i < 0 && ed.namespaceUsed(r.Name) {
			o.Namespaces = append(o.Namespaces, &Namespace{Name: r.Name})
			i = len(o.Namespaces) - 1
		}
		if found = i >= 0; found {
			cp := *o.Namespaces[i]
			cp.Labels = relabel(cp.Labels)
			o.Namespaces[i] = &cp
		}
	case r.Kind == "Pod":
		i := slices.IndexFunc(o.Pods, func(p *Pod) bool { return named(p.Namespace, p.Name) })
		if i < 0 {
			if w := ed.representedBy(r); w != nil {
				return ed.label(ObjectRef{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}, key, value, del)
			}
			break
		}
		found = true
		cp := *o.Pods[i]
		cp.Labels = relabel(cp.Labels)
		o.Pods[i] = &cp
	case workloadKinds[r.Kind]:
		i := slices.IndexFunc(o.Workloads, func(w *Workload) bool { return w.Kind == r.Kind && named(w.Namespace, w.Name) })
		if found = i >= 0; !found {
			break
		}
		w := *o.Workloads[i]
		for j, p := range o.Pods {
			if belongsTo(p, &w) {
				cp := *p
				cp.Labels = relabel(cp.Labels)
				o.Pods[j] = &cp
			}
		}
		if w.Pod != nil {
			pod := *w.Pod
			pod.Labels = relabel(pod.Labels)
			w.Pod = &pod
		}
		o.Workloads[i] = &w
	case r.Kind == "ServiceAccount":
		i := slices.IndexFunc(o.ServiceAccounts, func(s *ServiceAccount) bool { return named(s.Namespace, s.Name) })
		if found = i >= 0; found {
			cp := *o.ServiceAccounts[i]
			cp.Labels = relabel(cp.Labels)
			o.ServiceAccounts[i] = &cp
		}
	case r.Kind == "NetworkSet", r.Kind == "GlobalNetworkSet":
		i := slices.IndexFunc(o.NetworkSets, func(n *NetworkSet) bool { return named(n.Namespace, n.Name) })
		if found = i >= 0; found {
			cp := *o.NetworkSets[i]
			cp.Labels = relabel(cp.Labels)
			o.NetworkSets[i] = &cp
		}
	case r.Kind == "HostEndpoint":
		i := slices.IndexFunc(o.HostEndpoints, func(h *HostEndpoint) bool { return h.Name == r.Name })
		if found = i >= 0; found {
			cp := *o.HostEndpoints[i]
			cp.Labels = relabel(cp.Labels)
			o.HostEndpoints[i] = &cp
		}
	case r.Kind == "Profile":
		i := slices.IndexFunc(o.Profiles, func(p *Profile) bool { return p.Name == r.Name })
		if found = i >= 0; found {
			cp := *o.Profiles[i]
			cp.Labels = relabel(cp.Labels)
			o.Profiles[i] = &cp
		}
	default:
		return fmt.Errorf("reach does not read the labels of a %s", r.Kind)
	}
	switch {
	case !found:
		return fmt.Errorf("no %s to label", r)
	case del && !has:
		return fmt.Errorf("%s has no label %q", r, key)
	}
	return nil
}

// namespaceUsed reports whether some object lives in namespace ns, which
// Build would then imply.
func (ed *editor) namespaceUsed(ns string) bool {
	o := &ed.o
	return slices.ContainsFunc(o.Pods, func(p *Pod) bool { return p.Namespace == ns }) ||
		slices.ContainsFunc(o.Workloads, func(w *Workload) bool { return w.Namespace == ns }) ||
		slices.ContainsFunc(o.Services, func(s *Service) bool { return s.Namespace == ns }) ||
		slices.ContainsFunc(o.ServiceAccounts, func(s *ServiceAccount) bool { return s.Namespace == ns }) ||
		slices.ContainsFunc(o.NetworkSets, func(n *NetworkSet) bool { return n.Namespace == ns }) ||
		slices.ContainsFunc(o.Policies, func(p *Policy) bool { return p.Namespace == ns })
}
