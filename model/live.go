package model

// Reading a running cluster: which kinds, from which API groups, and how
// each is listed. The objects read go through the same converters as files
// (see Snapshot.Build), so a cluster and a folder of the same objects give
// the same model.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// DefaultPageSize is how many objects one list request asks for when
// ReadOptions.PageSize is 0.
const DefaultPageSize = 500

// ReadOptions tune ReadCluster. The zero value reads 500 objects a page,
// retries a failing page 3 times and reports no progress.
type ReadOptions struct {
	// PageSize is the limit of every list request; 0 means DefaultPageSize.
	PageSize int64
	// Retries is how many times a page is asked for again after a server
	// error (5xx), a 429 or a timeout; 0 means 3, negative means none.
	Retries int
	// Progress, when set, is called once for each resource read, with the
	// resource ("pods", "networkpolicies.crd.projectcalico.org"), how many
	// objects it had and how long reading it took.
	Progress func(resource string, n int, d time.Duration)
}

// ListError is a resource that the cluster serves but reach could not read:
// a refusal (403), a timeout, or server errors that outlasted the retries. A
// model without that resource could turn denials into allowances, so reading
// stops.
type ListError struct {
	Resource  string // "networkpolicies.crd.projectcalico.org", "pods"
	Verb      string // "list" ("get" for discovery)
	Namespace string // "" for all namespaces or a cluster-scoped resource
	Err       error
}

func (e *ListError) Error() string {
	where := "in all namespaces"
	if e.Namespace != "" {
		where = fmt.Sprintf("in namespace %q", e.Namespace)
	}
	return fmt.Sprintf("cannot %s %s %s: %v", e.Verb, e.Resource, where, e.Err)
}

func (e *ListError) Unwrap() error { return e.Err }

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

// adminGroupVersion serves AdminNetworkPolicy and BaselineAdminNetworkPolicy
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

// liveClients are the clients ReadCluster uses: typed (protobuf) for the
// built-in kinds, dynamic (JSON) for custom resources, and discovery to
// learn which groups exist.
type liveClients struct {
	typed     kubernetes.Interface
	dynamic   dynamic.Interface
	discovery groupVersionDiscoverer
}

// groupVersionDiscoverer is the part of discovery reach uses.
type groupVersionDiscoverer interface {
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// liveReader reads one cluster.
type liveReader struct {
	clients   liveClients
	opt       ReadOptions
	namespace string // pods are read from this namespace only; "" for all
	snap      *Snapshot
	wait      func(ctx context.Context, attempt int) error // between retries
}

func (r *liveReader) read(ctx context.Context) error {
	var missing []string
	resources := slices.Clone(coreResources)

	served, err := r.served(ctx, adminResources[0].gvr.GroupVersion())
	if err != nil {
		return err
	}
	for _, res := range adminResources {
		if served[res.gvr.Resource] {
			resources = append(resources, res)
		} else {
			missing = append(missing, res.apiVersion()+" "+res.kind)
		}
	}

	calicoGV, served, err := r.calicoGroup(ctx)
	if err != nil {
		return err
	}
	if served == nil {
		missing = append(missing, "Calico ("+calicoGroupVersions[0].String()+" or "+calicoGroupVersions[1].String()+")")
	} else {
		for _, res := range calicoResources(calicoGV) {
			if served[res.gvr.Resource] {
				resources = append(resources, res)
			} else {
				missing = append(missing, res.apiVersion()+" "+res.kind)
			}
		}
	}
	if len(missing) > 0 {
		r.snap.Notes = append(r.snap.Notes, "not installed in the cluster, so read as none: "+strings.Join(missing, ", "))
	}

	for _, res := range resources {
		if err := r.readResource(ctx, res); err != nil {
			return err
		}
	}
	return nil
}

// calicoGroup returns the Calico group version to read and its resources;
// nil resources when the cluster serves neither.
func (r *liveReader) calicoGroup(ctx context.Context) (schema.GroupVersion, map[string]bool, error) {
	for _, gv := range calicoGroupVersions {
		served, err := r.served(ctx, gv)
		if err != nil {
			return gv, nil, err
		}
		if len(served) > 0 {
			return gv, served, nil
		}
	}
	return schema.GroupVersion{}, nil, nil
}

// served returns the resources the cluster serves in gv, or nil when it does
// not serve gv at all.
func (r *liveReader) served(ctx context.Context, gv schema.GroupVersion) (map[string]bool, error) {
	var list *metav1.APIResourceList
	err := r.retry(ctx, func() error {
		var err error
		list, err = r.clients.discovery.ServerResourcesForGroupVersion(gv.String())
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, &ListError{Resource: "the API group " + gv.String(), Verb: "get", Err: err}
	}
	out := map[string]bool{}
	for _, res := range list.APIResources {
		if !strings.Contains(res.Name, "/") && slices.Contains(res.Verbs, "list") {
			out[res.Name] = true
		}
	}
	return out, nil
}

// maxRestarts is how many times the listing of one resource starts again
// after its continue token expired (the resource changed too much while it
// was being read).
const maxRestarts = 2

func (r *liveReader) readResource(ctx context.Context, res liveResource) error {
	ns := ""
	if res.gvr.Resource == "pods" && res.gvr.Group == "" {
		ns = r.namespace
	}
	fail := func(err error) error {
		return &ListError{Resource: res.name(), Verb: "list", Namespace: ns, Err: err}
	}
	start := time.Now()
	limit := r.opt.PageSize
	if limit <= 0 {
		limit = DefaultPageSize
	}
	var items []map[string]any
	for restarts := 0; ; {
		cont := ""
		items = items[:0]
		expired := false
		for {
			var p page
			err := r.retry(ctx, func() error {
				var err error
				p, err = r.list(ctx, res, ns, metav1.ListOptions{Limit: limit, Continue: cont})
				return err
			})
			if err != nil && cont != "" && apierrors.IsResourceExpired(err) && restarts < maxRestarts {
				expired = true
				break
			}
			if err != nil {
				return fail(err)
			}
			items = append(items, p.items...)
			if p.cont == "" {
				break
			}
			cont = p.cont
		}
		if !expired {
			break
		}
		restarts++
	}
	for _, obj := range items {
		raw, err := cleanObject(obj, res.apiVersion(), res.kind)
		if err != nil {
			return fail(err)
		}
		r.snap.objects = append(r.snap.objects, liveObject{apiVersion: res.apiVersion(), kind: res.kind, raw: raw})
	}
	if r.opt.Progress != nil {
		r.opt.Progress(res.name(), len(items), time.Since(start))
	}
	return nil
}

func (r *liveReader) list(ctx context.Context, res liveResource, ns string, o metav1.ListOptions) (page, error) {
	if res.typed != nil {
		return res.typed(r.clients.typed, ctx, ns, o)
	}
	var ri dynamic.ResourceInterface = r.clients.dynamic.Resource(res.gvr)
	if res.namespaced {
		ri = r.clients.dynamic.Resource(res.gvr).Namespace(ns)
	}
	l, err := ri.List(ctx, o)
	if err != nil {
		return page{}, err
	}
	return unstructuredPage(l, res.synthesized), nil
}

// retry calls f until it succeeds, fails for good, or has been retried
// ReadOptions.Retries times.
func (r *liveReader) retry(ctx context.Context, f func() error) error {
	retries := r.opt.Retries
	switch {
	case retries == 0:
		retries = 3
	case retries < 0:
		retries = 0
	}
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || attempt >= retries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		if werr := r.wait(ctx, attempt); werr != nil {
			return err
		}
	}
}

// retryWait is how the reader waits between retries; tests replace it.
var retryWait = backoff

// backoff waits 0.5s, 1s, 2s, ... between retries.
func backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(500 * time.Millisecond << attempt)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable reports whether err may go away when the request is repeated:
// server errors, throttling and timeouts.
func retryable(err error) bool {
	switch {
	case apierrors.IsInternalError(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsTooManyRequests(err), apierrors.IsUnexpectedServerError(err):
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Code >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
