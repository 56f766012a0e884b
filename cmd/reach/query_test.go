package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// example is the manifest directory the golden tests of query, matrix and
// explain read, relative to the module root (see runAtRoot).
const example = "examples/three-tier"

func TestQueryGolden(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		golden   string
		wantCode int
	}{
		{name: "allowed", args: []string{"frontend->backend:8080"}, golden: "allowed.txt", wantCode: 0},
		{name: "allowed json", args: []string{"frontend->backend:8080", "-o", "json"}, golden: "allowed.json", wantCode: 0},
		{name: "denied", args: []string{"frontend->database:5432"}, golden: "denied.txt", wantCode: 1},
		{name: "denied json", args: []string{"frontend->database:5432", "-o", "json"}, golden: "denied.json", wantCode: 1},
		{name: "open ports", args: []string{"frontend->backend"}, golden: "open-ports.txt", wantCode: 0},
		{name: "open ports json", args: []string{"frontend->backend", "-o", "json"}, golden: "open-ports.json", wantCode: 0},
		{name: "no open port", args: []string{"frontend->database"}, golden: "no-open-port.txt", wantCode: 1},
		{name: "two arguments", args: []string{"frontend", "database:5432"}, golden: "two-args.txt", wantCode: 1},
		{name: "pod to itself", args: []string{"app/backend-5czqz->app/backend-5czqz:9999/UDP"}, golden: "pod-to-itself.txt", wantCode: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"query"}, tc.args...)
			code, out, errOut := runAtRoot(t, append(args, "-f", example)...)
			assert.Equal(t, tc.wantCode, code, "exit code")
			assert.Empty(t, errOut)
			golden(t, "query/"+tc.golden, []byte(out))
		})
	}
}

// TestQueryFlagsAnywhere checks that -f may come before the query.
func TestQueryFlagsAnywhere(t *testing.T) {
	code, out, _ := runAtRoot(t, "query", "-f", example, "frontend->backend:8080")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "ALLOWED "), out)
}

func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // the whole message, after "reach: "
	}{
		{
			name: "bad syntax",
			args: []string{"query", "frontend=>backend", "-f", example},
			want: `query "frontend=>backend": offset 17: expected "SRC->DST" (or SRC and DST as two arguments)`,
		},
		{
			name: "bad port",
			args: []string{"query", "frontend->backend:99999", "-f", example},
			want: `query "frontend->backend:99999": offset 18: port 99999 out of range 1-65535`,
		},
		{
			name: "unknown name",
			args: []string{"query", "frontend->nosuch:80", "-f", example},
			want: `destination "nosuch": no pod, workload, service or host endpoint of that name`,
		},
		{
			name: "ambiguous name",
			args: []string{"query", "web->client:80", "-f", "testdata/cli/ambiguous"},
			want: `source "web" is ambiguous: blue/web, green/web (qualify it as namespace/name)`,
		},
		{
			name: "broken manifest",
			args: []string{"query", "a->b:80", "-f", "testdata/cli/broken"},
			want: "testdata/cli/broken/policy.yaml:13 (doc 1, NetworkPolicy app/bad-range): " +
				"spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
		},
		{
			name: "missing -f",
			args: []string{"query", "frontend->backend:8080"},
			want: "no manifests: give -f FILE or -f DIR",
		},
		{
			name: "missing file",
			args: []string{"query", "frontend->backend:8080", "-f", "testdata/cli/nosuch"},
			want: "", // checked below: the loader's message, one line
		},
		{
			name: "bad output",
			args: []string{"query", "frontend->backend:8080", "-f", example, "-o", "yaml"},
			want: `--output "yaml": want one of [text json]`,
		},
		{
			name: "too many arguments",
			args: []string{"query", "a", "b", "c", "-f", example},
			want: "accepts between 1 and 2 arg(s), received 3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, tc.args...)
			assertError(t, code, out, errOut, tc.want)
		})
	}
}

// assertError checks a failed run: exit code 2, nothing on stdout, and one
// line "reach: WANT" on stderr (any one "reach: " line when want is empty).
func assertError(t *testing.T, code int, stdout, stderr, want string) {
	t.Helper()
	assert.Equal(t, 2, code, "exit code")
	assert.Empty(t, stdout)
	require.True(t, strings.HasPrefix(stderr, "reach: "), "stderr: %q", stderr)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	if want != "" {
		assert.Equal(t, "reach: "+want+"\n", stderr)
	}
}
