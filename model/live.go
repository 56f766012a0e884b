package model

// Reading a running cluster: which kinds, from which API groups, and how
// each is listed. The objects read go through the same converters as files
// (see Snapshot.Build), so a cluster and a folder of the same objects give
// the same model.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	Resource  string // "networkpolicies.crd.projectcalico.org", "pods", "the resources of the API group projectcalico.org/v3"
	Verb      string // "list", or "get" for the discovery of an API group
	Namespace string // "" for all namespaces or a cluster-scoped resource
	Err       error
}

func (e *ListError) Error() string {
	switch {
	case e.Verb == "get":
		return fmt.Sprintf("cannot get %s: %v", e.Resource, e.Err)
	case e.Namespace != "":
		return fmt.Sprintf("cannot %s %s in namespace %q: %v", e.Verb, e.Resource, e.Namespace, e.Err)
	}
	return fmt.Sprintf("cannot %s %s in all namespaces: %v", e.Verb, e.Resource, e.Err)
}

func (e *ListError) Unwrap() error { return e.Err }

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
	ServerGroups() (*metav1.APIGroupList, error)
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// liveReader reads one cluster.
type liveReader struct {
	clients   liveClients
	opt       ReadOptions
	namespace string // pods are read from this namespace only; "" for all
	snap      *Snapshot
	wait      func(ctx context.Context, attempt int) error // between retries
	groups    map[string]bool                              // the group versions the cluster serves
}

func (r *liveReader) read(ctx context.Context) error {
	if err := r.discoverGroups(ctx); err != nil {
		return err
	}
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

// discoverGroups learns which group versions the cluster serves. Asking
// for the resources of a group version that does not exist would do too,
// but the API server takes seconds to answer that with a 404.
func (r *liveReader) discoverGroups(ctx context.Context) error {
	var list *metav1.APIGroupList
	err := r.retry(ctx, func() error {
		var err error
		list, err = r.clients.discovery.ServerGroups()
		return err
	})
	if err != nil {
		return &ListError{Resource: "the list of API groups", Verb: "get", Err: err}
	}
	r.groups = map[string]bool{}
	for _, g := range list.Groups {
		for _, v := range g.Versions {
			r.groups[v.GroupVersion] = true
		}
	}
	return nil
}

// served returns the resources the cluster serves in gv, or nil when it does
// not serve gv at all.
func (r *liveReader) served(ctx context.Context, gv schema.GroupVersion) (map[string]bool, error) {
	if !r.groups[gv.String()] {
		return nil, nil
	}
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
		return nil, &ListError{Resource: "the resources of the API group " + gv.String(), Verb: "get", Err: err}
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
