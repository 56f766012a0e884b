package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExplainGolden(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "workload", args: []string{"backend"}, golden: "backend.txt"},
		{name: "workload json", args: []string{"backend", "-o", "json"}, golden: "backend.json"},
		{name: "pod by namespace/name", args: []string{"app/frontend-qb57x"}, golden: "frontend.txt"},
		{name: "pod by address", args: []string{"10.244.245.141"}, golden: "database.txt"},
		{name: "no policy selects it", args: []string{"kube-system/coredns"}, golden: "coredns.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, append([]string{"explain", "-f", example}, tc.args...)...)
			require.Equal(t, 0, code, errOut)
			assert.Empty(t, errOut)
			golden(t, "explain/"+tc.golden, []byte(out))
		})
	}
}

// TestExplainAllPods explains every pod of a name that stands for several,
// in order.
func TestExplainAllPods(t *testing.T) {
	code, out, errOut := runAtRoot(t, "explain", "-f", "testdata/cli/ambiguous", "blue/web")
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, "pod blue/web, labels {app=web}\n"), out)
	assert.Contains(t, out, "  otherwise: allowed by namespace profile kns.blue (no policy selects the pod)\n")
}

func TestExplainJSONShape(t *testing.T) {
	code, out, _ := runAtRoot(t, "explain", "-f", example, "database", "-o", "json")
	require.Equal(t, 0, code)
	var doc struct {
		Pods []struct {
			Pod     string
			Ingress struct {
				Tiers []struct {
					Tier     string
					Applies  bool
					Policies []struct {
						Policy string
						Rules  []struct{ Index int }
					}
				}
				Otherwise struct {
					Allowed bool
					Tier    string
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Pods, 1)
	in := doc.Pods[0].Ingress
	require.Len(t, in.Tiers, 1)
	assert.Equal(t, "default", in.Tiers[0].Tier)
	assert.True(t, in.Tiers[0].Applies)
	var names []string
	for _, p := range in.Tiers[0].Policies {
		names = append(names, p.Policy)
	}
	assert.Equal(t, []string{
		"KubernetesNetworkPolicy app/allow-backend-to-database",
		"KubernetesNetworkPolicy app/allow-monitoring-scrape",
		"KubernetesNetworkPolicy app/default-deny-all",
	}, names)
	assert.False(t, in.Otherwise.Allowed)
	assert.Equal(t, "default", in.Otherwise.Tier)
}

func TestExplainErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "unknown name",
			args: []string{"explain", "-f", example, "nosuch"},
			want: `"nosuch": no pod, workload, service or host endpoint of that name`,
		},
		{
			name: "ambiguous name",
			args: []string{"explain", "-f", "testdata/cli/ambiguous", "web"},
			want: `"web" is ambiguous: blue/web, green/web (qualify it as namespace/name)`,
		},
		{
			name: "address outside the cluster",
			args: []string{"explain", "-f", example, "8.8.8.8"},
			want: `"8.8.8.8": no pod has that address`,
		},
		{
			name: "missing -f",
			args: []string{"explain", "backend"},
			want: "no manifests: give -f FILE or -f DIR",
		},
		{
			name: "broken manifest",
			args: []string{"explain", "-f", "testdata/cli/broken", "web"},
			want: "testdata/cli/broken/policy.yaml:13 (doc 1, NetworkPolicy app/bad-range): " +
				"spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
		},
		{
			name: "bad output",
			args: []string{"explain", "-f", example, "backend", "-o", "table"},
			want: `--output "table": want one of [text json]`,
		},
		{
			name: "no argument",
			args: []string{"explain", "-f", example},
			want: "accepts 1 arg(s), received 0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, tc.args...)
			assertError(t, code, out, errOut, tc.want)
		})
	}
}
