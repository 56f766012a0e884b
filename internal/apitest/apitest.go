// Package apitest is a small fake of the Kubernetes API server for tests:
// discovery of group versions, and list with limit and continue, over HTTP,
// so that the real client-go clients, their content negotiation and their
// errors are exercised. It answers nothing but GET.
package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Server serves objects as an API server would list them.
type Server struct {
	*httptest.Server

	// Hook, when set, may answer a request itself (an error, a delay) and
	// returns whether it did. Set it before the first request.
	Hook func(w http.ResponseWriter, r *http.Request) bool

	objects map[string][]map[string]any // by list path: "/api/v1/pods"
	groups  map[string][]metav1.APIResource

	mu       sync.Mutex
	requests []string
}

// CalicoKinds are the Calico kinds served, by kind, with whether they are
// namespaced, for every Calico group version that has an object.
var CalicoKinds = map[string]bool{
	"Tier": false, "GlobalNetworkPolicy": false, "NetworkPolicy": true,
	"StagedGlobalNetworkPolicy": false, "StagedNetworkPolicy": true, "StagedKubernetesNetworkPolicy": true,
	"GlobalNetworkSet": false, "NetworkSet": true, "HostEndpoint": false, "Profile": false,
}

// adminKinds are served when the admin network policy group has an object.
var adminKinds = map[string]bool{"AdminNetworkPolicy": false, "BaselineAdminNetworkPolicy": false}

// Resource is the resource name of a kind: lower case, plural.
func Resource(kind string) string {
	k := strings.ToLower(kind)
	if strings.HasSuffix(k, "y") {
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}

// New serves objs. Every group version other than the built-in ones that
// has an object is served with every kind reach reads in it (CalicoKinds,
// or the admin network policies); the others answer 404.
func New(t testing.TB, objs []map[string]any) *Server {
	t.Helper()
	s := &Server{objects: map[string][]map[string]any{}, groups: map[string][]metav1.APIResource{}}
	for _, o := range objs {
		gv, _ := o["apiVersion"].(string)
		kind, _ := o["kind"].(string)
		p := ListPath(gv, Resource(kind))
		s.objects[p] = append(s.objects[p], o)
		if builtin(gv) || s.groups[gv] != nil {
			continue
		}
		kinds := CalicoKinds
		if strings.HasPrefix(gv, "policy.networking.k8s.io/") {
			kinds = adminKinds
		}
		for k, namespaced := range kinds {
			s.groups[gv] = append(s.groups[gv], metav1.APIResource{
				Name: Resource(k), Kind: k, Namespaced: namespaced, Verbs: metav1.Verbs{"get", "list", "watch"},
			})
		}
		slices.SortFunc(s.groups[gv], func(a, b metav1.APIResource) int { return strings.Compare(a.Name, b.Name) })
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// builtin reports whether the API server serves gv itself.
func builtin(gv string) bool { return gv == "v1" || gv == "networking.k8s.io/v1" }

// Remove stops serving resource in group version gv, as if its CRD were
// missing.
func (s *Server) Remove(gv, resource string) {
	s.groups[gv] = slices.DeleteFunc(s.groups[gv], func(r metav1.APIResource) bool { return r.Name == resource })
}

// ListPath is the path that lists a resource in all namespaces.
func ListPath(gv, resource string) string {
	if gv == "v1" {
		return "/api/v1/" + resource
	}
	return "/apis/" + gv + "/" + resource
}

// Requests returns every request so far, as "GET /api/v1/pods?limit=500".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	s.mu.Unlock()
	if r.Method != http.MethodGet {
		WriteStatus(w, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: r.URL.Path}, r.Method))
		return
	}
	if s.Hook != nil && s.Hook(w, r) {
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// Discovery of the groups: /api (the core group's versions) and /apis.
	switch r.URL.Path {
	case "/api":
		writeJSON(w, http.StatusOK, &metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
		})
		return
	case "/apis":
		list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
		gvs := append([]string{"networking.k8s.io/v1"}, slices.Sorted(maps.Keys(s.groups))...)
		for _, gv := range gvs {
			g, v, _ := strings.Cut(gv, "/")
			version := metav1.GroupVersionForDiscovery{GroupVersion: gv, Version: v}
			list.Groups = append(list.Groups, metav1.APIGroup{
				Name: g, Versions: []metav1.GroupVersionForDiscovery{version}, PreferredVersion: version,
			})
		}
		writeJSON(w, http.StatusOK, list)
		return
	}
	// Discovery of one group version: /apis/GROUP/VERSION.
	if len(parts) == 3 && parts[0] == "apis" {
		gv := parts[1] + "/" + parts[2]
		res, ok := s.groups[gv]
		if !ok {
			WriteStatus(w, apierrors.NewNotFound(schema.GroupResource{Resource: gv}, ""))
			return
		}
		writeJSON(w, http.StatusOK, &metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: gv, APIResources: res,
		})
		return
	}
	// A list: /api/v1[/namespaces/NS]/RES or /apis/G/V[/namespaces/NS]/RES.
	prefix := 2
	if parts[0] == "apis" {
		prefix = 3
	}
	ns := ""
	if len(parts) == prefix+3 && parts[prefix] == "namespaces" {
		ns = parts[prefix+1]
		parts = append(parts[:prefix], parts[prefix+2])
	}
	if len(parts) != prefix+1 {
		WriteStatus(w, apierrors.NewNotFound(schema.GroupResource{Resource: r.URL.Path}, ""))
		return
	}
	gv := strings.Join(parts[1:prefix], "/")
	if !builtin(gv) && !slices.ContainsFunc(s.groups[gv], func(a metav1.APIResource) bool {
		return a.Name == parts[prefix]
	}) {
		WriteStatus(w, apierrors.NewNotFound(schema.GroupResource{Resource: r.URL.Path}, ""))
		return
	}
	var items []map[string]any
	kind := "List"
	for _, o := range s.objects["/"+strings.Join(parts, "/")] {
		if meta, _ := o["metadata"].(map[string]any); ns == "" || meta["namespace"] == ns {
			kind = o["kind"].(string) + "List"
			if builtin(gv) {
				// As the API server lists them: without apiVersion and kind.
				o = maps.Clone(o)
				delete(o, "apiVersion")
				delete(o, "kind")
			}
			items = append(items, o)
		}
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
	start = min(start, len(items))
	end := len(items)
	if limit, _ := strconv.Atoi(r.URL.Query().Get("limit")); limit > 0 && start+limit < end {
		end = start + limit
	}
	cont := ""
	if end < len(items) {
		cont = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"apiVersion": gv, "kind": kind,
		"metadata": map[string]any{"continue": cont, "resourceVersion": "1"},
		"items":    items[start:end],
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteStatus answers with err as the API server would.
func WriteStatus(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.Status()
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	writeJSON(w, int(st.Code), st)
}

// Forbidden is a Hook that refuses the list of path, as RBAC would.
func Forbidden(path string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != path {
			return false
		}
		WriteStatus(w, apierrors.NewForbidden(schema.GroupResource{Resource: path}, "", errors.New("RBAC: access denied")))
		return true
	}
}

// Kubeconfig writes a kubeconfig naming the server in two contexts: "test"
// (namespace shop, the current one) and "other" (no namespace).
func (s *Server) Kubeconfig(t testing.TB) string {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: %s
users:
- name: reach
  user:
    token: secret
contexts:
- name: test
  context: {cluster: fake, user: reach, namespace: shop}
- name: other
  context: {cluster: fake, user: reach}
current-context: test
`, s.URL)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ReadDirs reads every object of the .yaml files in dirs, in order.
func ReadDirs(t testing.TB, dirs ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
			for {
				var m map[string]any
				err := dec.Decode(&m)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if m != nil {
					out = append(out, m)
				}
			}
		}
	}
	return out
}
