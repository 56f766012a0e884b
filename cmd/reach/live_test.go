package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reach-sim/reach/internal/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	liveBase = "../../testdata/live/base"
	liveCRD  = "../../testdata/live/crd"
)

func TestClusterMatrixEqualsFiles(t *testing.T) {
	s := apitest.New(t, apitest.ReadDirs(t, liveBase, liveCRD))
	kc := s.Kubeconfig(t)
	for _, format := range []string{"table", "json"} {
		code, want, errOut := runCLI(t, "matrix", "-o", format, "-f", liveBase, "-f", liveCRD)
		require.Equal(t, 0, code, errOut)
		code, got, errOut := runCLI(t, "matrix", "-o", format, "--cluster", "--kubeconfig", kc, "-A")
		require.Equal(t, 0, code, errOut)
		assert.Equal(t, want, got)
		assert.Empty(t, errOut, "no progress when stderr is not a terminal")
	}
	for _, req := range s.Requests() {
		assert.True(t, strings.HasPrefix(req, "GET "), req)
	}
}

func TestClusterNamespaceLimitsPodsOnly(t *testing.T) {
	s := apitest.New(t, apitest.ReadDirs(t, liveBase, liveCRD))
	code, out, errOut := runCLI(t, "matrix", "--cluster", "--kubeconfig", s.Kubeconfig(t), "-n", "ops")
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, out, "shop/")
	assert.Contains(t, out, `note: pods read from namespace "ops" only; policies from all namespaces`)
	// The context's namespace (shop) when neither -n nor -A is given.
	code, out, errOut = runCLI(t, "matrix", "--cluster", "--kubeconfig", s.Kubeconfig(t))
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, out, "ops/")
	assert.Contains(t, out, "shop/web (Deployment, 2 pods)")
}

func TestSnapshotRoundTripCLI(t *testing.T) {
	s := apitest.New(t, apitest.ReadDirs(t, liveBase, liveCRD))
	kc := s.Kubeconfig(t)
	code, want, errOut := runCLI(t, "matrix", "--cluster", "--kubeconfig", kc, "-A")
	require.Equal(t, 0, code, errOut)
	for _, format := range []string{"yaml", "json"} {
		code, snap, errOut := runCLI(t, "snapshot", "--cluster", "--kubeconfig", kc, "-A", "-o", format)
		require.Equal(t, 0, code, errOut)
		file := filepath.Join(t.TempDir(), "snapshot."+format)
		require.NoError(t, os.WriteFile(file, []byte(snap), 0o644))
		code, got, errOut := runCLI(t, "matrix", "-f", file)
		require.Equal(t, 0, code, errOut)
		assert.Equal(t, want, got, format)
	}
}

func TestClusterErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		hook string // a path the server refuses
		msg  string
	}{
		{name: "refused Calico policies", args: []string{"matrix", "--cluster", "-A"},
			hook: "/apis/crd.projectcalico.org/v1/networkpolicies",
			msg:  "reach: cannot list networkpolicies.crd.projectcalico.org in all namespaces: "},
		{name: "refused pods of a namespace", args: []string{"snapshot", "--cluster", "-n", "ops"},
			hook: "/api/v1/namespaces/ops/pods",
			msg:  `reach: cannot list pods in namespace "ops": `},
		{name: "-f and --cluster", args: []string{"query", "web->db:5432", "--cluster", "-f", liveBase},
			msg: "reach: give -f or --cluster, not both\n"},
		{name: "--namespace without --cluster", args: []string{"graph", "-f", liveBase, "-n", "shop"},
			msg: "reach: --namespace needs --cluster\n"},
		{name: "snapshot without --cluster", args: []string{"snapshot"},
			msg: "reach: snapshot reads a running cluster: give --cluster\n"},
		{name: "unknown context", args: []string{"explain", "web->db:5432", "--cluster", "--context", "nope"},
			msg: `context "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.New(t, apitest.ReadDirs(t, liveBase, liveCRD))
			if tc.hook != "" {
				s.Hook = apitest.Forbidden(tc.hook)
			}
			args := append(tc.args, "--kubeconfig", s.Kubeconfig(t))
			if tc.name == "--namespace without --cluster" {
				args = tc.args
			}
			code, out, errOut := runCLI(t, args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.msg)
		})
	}
}

func TestClusterNotInstalledNote(t *testing.T) {
	s := apitest.New(t, apitest.ReadDirs(t, liveBase))
	code, out, errOut := runCLI(t, "matrix", "--cluster", "--kubeconfig", s.Kubeconfig(t), "-A")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "note: not installed in the cluster, so read as none: Calico (projectcalico.org/v3 or crd.projectcalico.org/v1)\n")
	assert.Equal(t, 1, strings.Count(out, "not installed"))
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	assert.False(t, isTerminal(&strings.Builder{}))
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, isTerminal(w))
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		assert.True(t, isTerminal(tty))
	}
}
