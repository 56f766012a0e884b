package model

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reach-sim/reach/internal/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// newAPIServer serves the objects of dirs over HTTP.
func newAPIServer(t *testing.T, dirs ...string) *apitest.Server {
	return apitest.New(t, apitest.ReadDirs(t, dirs...))
}

// noWait makes retries immediate for the test.
func noWait(t *testing.T) {
	old := retryWait
	retryWait = func(context.Context, int) error { return nil }
	t.Cleanup(func() { retryWait = old })
}

func TestReadClusterOverHTTP(t *testing.T) {
	s := newAPIServer(t, liveScenario+"/base", liveScenario+"/crd")
	snap, err := ReadCluster(context.Background(), ClusterConfig{Kubeconfig: s.Kubeconfig(t), AllNamespaces: true}, ReadOptions{PageSize: 2})
	require.NoError(t, err)
	assert.Equal(t, "test", snap.Source)
	assert.Empty(t, snap.Notes)
	c, err := snap.Build(Options{})
	require.NoError(t, err)
	assert.Equal(t, dump(t, loadDirs(t, liveScenario+"/base", liveScenario+"/crd")), dump(t, c))

	log := s.Requests()
	for _, req := range log {
		assert.True(t, strings.HasPrefix(req, "GET "), req)
	}
	// Pods (7) come in pages of 2, following the continue token.
	assert.Contains(t, log, "GET /api/v1/pods?limit=2")
	assert.Contains(t, log, "GET /api/v1/pods?continue=6&limit=2")
	assert.NotContains(t, log, "GET /api/v1/pods?continue=8&limit=2")
}

func TestReadClusterConfigResolution(t *testing.T) {
	s := newAPIServer(t, liveScenario+"/base")
	kc := s.Kubeconfig(t)
	tests := []struct {
		name     string
		cfg      ClusterConfig
		env      string // KUBECONFIG
		source   string
		podsPath string
	}{
		{name: "context namespace", cfg: ClusterConfig{Kubeconfig: kc}, source: "test", podsPath: "/api/v1/namespaces/shop/pods"},
		{name: "-n wins", cfg: ClusterConfig{Kubeconfig: kc, Namespace: "ops"}, source: "test", podsPath: "/api/v1/namespaces/ops/pods"},
		{name: "-A wins", cfg: ClusterConfig{Kubeconfig: kc, Namespace: "ops", AllNamespaces: true}, source: "test", podsPath: "/api/v1/pods"},
		{name: "--context without namespace", cfg: ClusterConfig{Kubeconfig: kc, Context: "other"}, source: "other", podsPath: "/api/v1/namespaces/default/pods"},
		{name: "KUBECONFIG list", env: filepath.Join(t.TempDir(), "missing") + string(os.PathListSeparator) + kc, source: "test", podsPath: "/api/v1/namespaces/shop/pods"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tc.env)
			t.Setenv("HOME", t.TempDir())
			before := len(s.Requests())
			snap, err := ReadCluster(context.Background(), tc.cfg, ReadOptions{})
			require.NoError(t, err)
			assert.Equal(t, tc.source, snap.Source)
			assert.Contains(t, s.Requests()[before:], "GET "+tc.podsPath+"?limit=500")
		})
	}

	t.Run("no configuration", func(t *testing.T) {
		t.Setenv("KUBECONFIG", "")
		t.Setenv("HOME", t.TempDir())
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
		_, err := ReadCluster(context.Background(), ClusterConfig{}, ReadOptions{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "cluster configuration")
	})
	t.Run("unknown context", func(t *testing.T) {
		_, err := ReadCluster(context.Background(), ClusterConfig{Kubeconfig: kc, Context: "nope"}, ReadOptions{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), `context "nope"`)
	})
}

func TestReadClusterErrors(t *testing.T) {
	forbidden := apitest.Forbidden
	tests := []struct {
		name     string
		cfg      ClusterConfig
		hook     func() func(w http.ResponseWriter, r *http.Request) bool
		resource string
		verb     string
		ns       string
		msg      string
		path     string // the failing path
		requests int    // requests of path, when not 0
	}{
		{name: "403 on Calico policies", resource: "networkpolicies.crd.projectcalico.org", verb: "list",
			hook: func() func(w http.ResponseWriter, r *http.Request) bool {
				return forbidden("/apis/crd.projectcalico.org/v1/networkpolicies")
			},
			msg: "cannot list networkpolicies.crd.projectcalico.org in all namespaces: ", path: "/apis/crd.projectcalico.org/v1/networkpolicies", requests: 1},
		{name: "403 on pods of a namespace", cfg: ClusterConfig{Namespace: "shop"}, resource: "pods", verb: "list", ns: "shop",
			hook: func() func(w http.ResponseWriter, r *http.Request) bool {
				return forbidden("/api/v1/namespaces/shop/pods")
			},
			msg: `cannot list pods in namespace "shop": `},
		{name: "403 on the discovery of a group", resource: "the resources of the API group crd.projectcalico.org/v1", verb: "get",
			hook: func() func(w http.ResponseWriter, r *http.Request) bool {
				return forbidden("/apis/crd.projectcalico.org/v1")
			},
			msg: "cannot get the resources of the API group crd.projectcalico.org/v1: "},
		{name: "403 on the discovery of groups", resource: "the list of API groups", verb: "get",
			hook: func() func(w http.ResponseWriter, r *http.Request) bool {
				return forbidden("/apis")
			},
			msg: "cannot get the list of API groups: "},
		{name: "500 after retries", resource: "globalnetworkpolicies.crd.projectcalico.org", verb: "list",
			hook: func() func(w http.ResponseWriter, r *http.Request) bool {
				return func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path != "/apis/crd.projectcalico.org/v1/globalnetworkpolicies" {
						return false
					}
					apitest.WriteStatus(w, apierrors.NewInternalError(errors.New("etcd is sad")))
					return true
				}
			},
			msg: "etcd is sad", path: "/apis/crd.projectcalico.org/v1/globalnetworkpolicies", requests: 4},
		{name: "timeout", cfg: ClusterConfig{Timeout: 100 * time.Millisecond}, resource: "services", verb: "list",
			hook: func() func(w http.ResponseWriter, r *http.Request) bool {
				return func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path != "/api/v1/services" {
						return false
					}
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return true
				}
			},
			msg: "/api/v1/services?limit=3", path: "/api/v1/services", requests: 4},
		{name: "continue token that always expires", resource: "pods", verb: "list",
			hook: func() func(w http.ResponseWriter, r *http.Request) bool {
				return func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path != "/api/v1/pods" || r.URL.Query().Get("continue") == "" {
						return false
					}
					apitest.WriteStatus(w, apierrors.NewResourceExpired("the provided continue parameter is too old"))
					return true
				}
			},
			msg: "too old", path: "/api/v1/pods", requests: 2 * (maxRestarts + 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			noWait(t)
			s := newAPIServer(t, liveScenario+"/base", liveScenario+"/crd")
			s.Hook = tc.hook()
			cfg := tc.cfg
			cfg.Kubeconfig = s.Kubeconfig(t)
			cfg.AllNamespaces = cfg.Namespace == ""
			_, err := ReadCluster(context.Background(), cfg, ReadOptions{PageSize: 3})
			require.Error(t, err)
			var le *ListError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.resource, le.Resource)
			assert.Equal(t, tc.verb, le.Verb)
			assert.Equal(t, tc.ns, le.Namespace)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "cannot "+tc.verb+" "+tc.resource), err.Error())
			if tc.requests > 0 {
				n := 0
				for _, req := range s.Requests() {
					if strings.HasPrefix(req, "GET "+tc.path+"?") {
						n++
					}
				}
				assert.Equal(t, tc.requests, n, "%q", s.Requests())
			}
		})
	}
}

func TestReadClusterRecovers(t *testing.T) {
	tests := []struct {
		name string
		hook func() func(w http.ResponseWriter, r *http.Request) bool
	}{
		{name: "a 500 then success", hook: func() func(w http.ResponseWriter, r *http.Request) bool {
			failed := false
			return func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/apis/crd.projectcalico.org/v1/networkpolicies" || failed {
					return false
				}
				failed = true
				apitest.WriteStatus(w, apierrors.NewInternalError(errors.New("leader changed")))
				return true
			}
		}},
		{name: "a 503 then success", hook: func() func(w http.ResponseWriter, r *http.Request) bool {
			failed := false
			return func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/api/v1/pods" || failed {
					return false
				}
				failed = true
				apitest.WriteStatus(w, apierrors.NewServiceUnavailable("restarting"))
				return true
			}
		}},
		{name: "a continue token that expires once: the listing starts again", hook: func() func(w http.ResponseWriter, r *http.Request) bool {
			expired := false
			return func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/api/v1/pods" || r.URL.Query().Get("continue") != "6" || expired {
					return false
				}
				expired = true
				apitest.WriteStatus(w, apierrors.NewResourceExpired("the provided continue parameter is too old"))
				return true
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			noWait(t)
			s := newAPIServer(t, liveScenario+"/base", liveScenario+"/crd")
			s.Hook = tc.hook()
			counts := map[string]int{}
			snap, err := ReadCluster(context.Background(), ClusterConfig{Kubeconfig: s.Kubeconfig(t), AllNamespaces: true}, ReadOptions{
				PageSize: 3,
				Progress: func(res string, n int, _ time.Duration) { counts[res] += n },
			})
			require.NoError(t, err)
			assert.Equal(t, 7, counts["pods"])
			assert.Equal(t, 2, counts["networkpolicies.crd.projectcalico.org"])
			c, err := snap.Build(Options{})
			require.NoError(t, err)
			assert.Equal(t, dump(t, loadDirs(t, liveScenario+"/base", liveScenario+"/crd")), dump(t, c))
		})
	}
}

// TestReadClusterAsksForProtobuf checks the content types: protobuf for the
// built-in kinds, JSON for custom resources.
func TestReadClusterAsksForProtobuf(t *testing.T) {
	s := newAPIServer(t, liveScenario+"/base", liveScenario+"/crd")
	var mu sync.Mutex
	accept := map[string]string{}
	s.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		accept[r.URL.Path] = r.Header.Get("Accept")
		return false
	}
	_, err := ReadCluster(context.Background(), ClusterConfig{Kubeconfig: s.Kubeconfig(t), AllNamespaces: true}, ReadOptions{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(accept["/api/v1/pods"], protobuf), accept["/api/v1/pods"])
	assert.True(t, strings.HasPrefix(accept["/apis/networking.k8s.io/v1/networkpolicies"], protobuf))
	assert.Equal(t, "application/json", accept["/apis/crd.projectcalico.org/v1/networkpolicies"])
}
