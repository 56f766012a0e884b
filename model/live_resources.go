package model

// The resources reach reads from a cluster, and how a list response becomes
// the JSON objects the converters read.

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// liveResource is one kind reach reads from a cluster.
type liveResource struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	// typed lists with the typed clientset (protobuf); nil lists with the
	// dynamic client (JSON), as custom resources need.
	typed func(c kubernetes.Interface, ctx context.Context, ns string, o metav1.ListOptions) (page, error)
	// synthesized reports whether an object of this resource, by name, is
	// one the Calico API server makes up from objects reach reads itself.
	synthesized func(name string) bool
}

// name is the resource as kubectl and RBAC errors spell it:
// "pods", "networkpolicies.networking.k8s.io".
func (r liveResource) name() string {
	if r.gvr.Group == "" {
		return r.gvr.Resource
	}
	return r.gvr.Resource + "." + r.gvr.Group
}

func (r liveResource) apiVersion() string { return r.gvr.GroupVersion().String() }

// coreResources are the built-in kinds every cluster serves, read with the
// typed clientset so that they come as protobuf.
var coreResources = []liveResource{
	{gvr: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, kind: "Namespace",
		typed: func(c kubernetes.Interface, ctx context.Context, _ string, o metav1.ListOptions) (page, error) {
			l, err := c.CoreV1().Namespaces().List(ctx, o)
			if err != nil {
				return page{}, err
			}
			return typedPage(l.Items, l.Continue)
		}},
	{gvr: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, kind: "Pod", namespaced: true,
		typed: func(c kubernetes.Interface, ctx context.Context, ns string, o metav1.ListOptions) (page, error) {
			l, err := c.CoreV1().Pods(ns).List(ctx, o)
			if err != nil {
				return page{}, err
			}
			return typedPage(l.Items, l.Continue)
		}},
	{gvr: schema.GroupVersionResource{Version: "v1", Resource: "services"}, kind: "Service", namespaced: true,
		typed: func(c kubernetes.Interface, ctx context.Context, ns string, o metav1.ListOptions) (page, error) {
			l, err := c.CoreV1().Services(ns).List(ctx, o)
			if err != nil {
				return page{}, err
			}
			return typedPage(l.Items, l.Continue)
		}},
	{gvr: schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, kind: "ServiceAccount", namespaced: true,
		typed: func(c kubernetes.Interface, ctx context.Context, ns string, o metav1.ListOptions) (page, error) {
			l, err := c.CoreV1().ServiceAccounts(ns).List(ctx, o)
			if err != nil {
				return page{}, err
			}
			return typedPage(l.Items, l.Continue)
		}},
	{gvr: schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, kind: "NetworkPolicy", namespaced: true,
		typed: func(c kubernetes.Interface, ctx context.Context, ns string, o metav1.ListOptions) (page, error) {
			l, err := c.NetworkingV1().NetworkPolicies(ns).List(ctx, o)
			if err != nil {
				return page{}, err
			}
			return typedPage(l.Items, l.Continue)
		}},
}

// adminResources are AdminNetworkPolicy and BaselineAdminNetworkPolicy, served
// when the network-policy-api CRDs are installed.
var adminResources = []liveResource{
	{gvr: schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "adminnetworkpolicies"}, kind: "AdminNetworkPolicy"},
	{gvr: schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "baselineadminnetworkpolicies"}, kind: "BaselineAdminNetworkPolicy"},
}

// calicoGroupVersions are where Calico's kinds are served, preferred first:
// the Calico API server, then the CRDs behind it. reach reads one of them,
// never both: the first is a view of the second.
var calicoGroupVersions = []schema.GroupVersion{
	{Group: "projectcalico.org", Version: "v3"},
	{Group: "crd.projectcalico.org", Version: "v1"},
}

// calicoKinds are the Calico kinds reach reads, by resource.
var calicoKinds = []struct {
	resource, kind string
	namespaced     bool
}{
	{"tiers", "Tier", false},
	{"globalnetworkpolicies", "GlobalNetworkPolicy", false},
	{"networkpolicies", "NetworkPolicy", true},
	{"stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", false},
	{"stagednetworkpolicies", "StagedNetworkPolicy", true},
	{"stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy", true},
	{"globalnetworksets", "GlobalNetworkSet", false},
	{"networksets", "NetworkSet", true},
	{"hostendpoints", "HostEndpoint", false},
	{"profiles", "Profile", false},
}

func calicoResources(gv schema.GroupVersion) []liveResource {
	out := make([]liveResource, len(calicoKinds))
	for i, k := range calicoKinds {
		out[i] = liveResource{gvr: gv.WithResource(k.resource), kind: k.kind, namespaced: k.namespaced}
		if gv != calicoGroupVersions[0] {
			continue
		}
		switch k.resource {
		case "profiles":
			out[i].synthesized = hasPrefix("kns.", "ksa.")
		case "networkpolicies", "globalnetworkpolicies", "stagednetworkpolicies", "stagedglobalnetworkpolicies":
			out[i].synthesized = hasPrefix(knpNamePrefix, anpNamePrefix, banpNamePrefix)
		}
	}
	return out
}

// hasPrefix returns a test for names starting with one of the prefixes.
//
// The Calico API server (projectcalico.org/v3) serves, beside what is stored,
// a profile for every namespace (kns.NAME) and service account
// (ksa.NAMESPACE.NAME), and a Calico policy for every Kubernetes and admin
// network policy (knp.default.NAME, kanp.adminnetworkpolicy.NAME,
// kbanp.baselineadminnetworkpolicy.NAME). reach reads the originals and
// builds those itself, so it leaves the copies out: read twice, a policy
// would count twice.
func hasPrefix(prefixes ...string) func(string) bool {
	return func(name string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
}

// LiveResources lists every resource reach may read from a cluster, as
// "resource.group" (a bare name for the core group): what a role must grant
// get and list on.
func LiveResources() []string {
	var out []string
	all := slices.Concat(coreResources, adminResources)
	for _, gv := range calicoGroupVersions {
		all = append(all, calicoResources(gv)...)
	}
	for _, r := range all {
		out = append(out, r.name())
	}
	return out
}

// page is one list response: the objects and the continue token.
type page struct {
	items []map[string]any
	cont  string
}

// typedPage marshals the items of a typed list. List items leave out their
// apiVersion and kind; cleanObject sets them.
func typedPage[T any, PT interface {
	*T
	runtime.Object
}](items []T, cont string) (page, error) {
	p := page{cont: cont, items: make([]map[string]any, 0, len(items))}
	for i := range items {
		raw, err := json.Marshal(PT(&items[i]))
		if err != nil {
			return page{}, err
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return page{}, err
		}
		p.items = append(p.items, m)
	}
	return p, nil
}

func unstructuredPage(l *unstructured.UnstructuredList, synthesized func(string) bool) page {
	p := page{cont: l.GetContinue(), items: make([]map[string]any, 0, len(l.Items))}
	for i := range l.Items {
		if synthesized != nil && synthesized(l.Items[i].GetName()) {
			continue
		}
		p.items = append(p.items, l.Items[i].Object)
	}
	return p
}

// volatileMeta are the metadata fields the API server maintains that say
// nothing about reachability and change on every write; a snapshot leaves
// them out so that two snapshots of the same objects are the same file.
var volatileMeta = []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"}

// lastApplied is kubectl's copy of the applied manifest: large, and not
// what the server holds.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// cleanObject sets the apiVersion and kind of an object, drops its volatile
// metadata and marshals it.
func cleanObject(obj map[string]any, apiVersion, kind string) ([]byte, error) {
	obj["apiVersion"], obj["kind"] = apiVersion, kind
	if meta, ok := obj["metadata"].(map[string]any); ok {
		for _, f := range volatileMeta {
			delete(meta, f)
		}
		if ann, ok := meta["annotations"].(map[string]any); ok {
			delete(ann, lastApplied)
			if len(ann) == 0 {
				delete(meta, "annotations")
			}
		}
	}
	return json.Marshal(obj)
}
