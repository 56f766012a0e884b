package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWhatifGolden(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{name: "apply", args: []string{"--apply", frontendToDatabase}, code: 1, golden: "apply.txt"},
		{name: "add a workload", args: []string{"--apply", "testdata/cli/whatif/input/cache.yaml"}, code: 1, golden: "add-workload.txt"},
		{name: "delete a policy", args: []string{"--delete", "netpol/app/allow-frontend-to-backend"}, code: 1, golden: "delete-policy.txt"},
		{name: "delete a workload", args: []string{"--delete", "deploy/app/backend"}, code: 1, golden: "delete-workload.txt"},
		{name: "delete a namespace", args: []string{"--delete", "ns/monitoring", "-o", "md"}, code: 1, golden: "delete-namespace.md"},
		{name: "label a workload", args: []string{"--label", "deploy/app/frontend", "app=backend"}, code: 1, golden: "label.txt"},
		{name: "label in one argument", args: []string{"--label", "deploy/app/frontend app=backend"}, code: 1, golden: "label.txt"},
		{name: "unlabel a workload", args: []string{"--unlabel", "deploy/monitoring/prometheus", "app"}, code: 1, golden: "unlabel.txt"},
		{name: "changes in order", args: []string{"--label", "deploy/app/frontend", "app=backend", "--unlabel", "deploy/app/frontend", "app",
			"--label", "deploy/app/frontend", "app=frontend"}, code: 0, golden: "none.txt"},
		{name: "json with ports", args: []string{"--apply", frontendToDatabase, "--delete", "networkpolicy.networking.k8s.io/app/allow-frontend-to-backend",
			"-o", "json", "--port", "5432,8080"}, code: 1, golden: "ports.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, append([]string{"whatif", "-f", example}, tc.args...)...)
			require.Equal(t, tc.code, code, errOut)
			assert.Empty(t, errOut)
			golden(t, "whatif/"+tc.golden, []byte(out))
		})
	}
}

func TestWhatifErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{name: "no change", args: nil, msg: "no change: give --apply"},
		{name: "a missing object", args: []string{"--delete", "deploy/app/nope"}, msg: "change 1 (delete Deployment/app/nope): no Deployment/app/nope to delete"},
		{name: "an unknown kind", args: []string{"--delete", "widget/app/x"}, msg: `unknown kind "widget"`},
		{name: "a label without its value", args: []string{"--label", "deploy/app/frontend"}, msg: "missing the label (KEY=VALUE)"},
		{name: "a label that is not KEY=VALUE", args: []string{"--label", "deploy/app/frontend", "tier"}, msg: `want KEY=VALUE`},
		{name: "an invalid label", args: []string{"--label", "deploy/app/frontend", "tier=a b"}, msg: `invalid label value "a b"`},
		{name: "removing a label that is not there", args: []string{"--unlabel", "ns/app", "nope"}, msg: `has no label "nope"`},
		{name: "the API server's namespace label", args: []string{"--label", "ns/app", "kubernetes.io/metadata.name=x"}, msg: "set by the API server"},
		{name: "a stray argument", args: []string{"--delete", "deploy/app/backend", "extra"}, msg: `unexpected argument "extra"`},
		{name: "a representative pod", args: []string{"--delete", "pod/app/backend-5czqz"}, msg: "is how reach models Deployment app/backend"},
		{name: "a broken --apply", args: []string{"--apply", "testdata/cli/broken"}, msg: "testdata/cli/broken/policy.yaml:13"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, append([]string{"whatif", "-f", example}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.msg)
		})
	}
}
