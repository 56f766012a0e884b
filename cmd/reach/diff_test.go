package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	frontendToDatabase = "testdata/cli/whatif/input/frontend-to-database.yaml"
	stagedDatabase     = "testdata/cli/diff/input/staged-database.yaml"
)

func TestDiffGolden(t *testing.T) {
	to := []string{"-f", example, "--to", example, "--to", frontendToDatabase}
	back := []string{"-f", example, "-f", frontendToDatabase, "--to", example}
	staged := []string{"--staged", "-f", example, "-f", stagedDatabase}
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{name: "a policy added", args: to, code: 1, golden: "added.txt"},
		{name: "a policy removed", args: back, code: 1, golden: "removed.txt"},
		{name: "markdown", args: append(to, "-o", "md"), code: 1, golden: "added.md"},
		{name: "json", args: append(back, "-o", "json"), code: 1, golden: "removed.json"},
		{name: "json with ports", args: append(back, "-o", "json", "--port", "5432,8080,53/UDP"), code: 1, golden: "removed-ports.json"},
		{name: "table with ports", args: append(back, "--port", "5432,8080"), code: 1, golden: "removed-ports.txt"},
		{name: "staged policies", args: staged, code: 1, golden: "staged.txt"},
		{name: "staged policies, markdown", args: append(staged, "-o", "md"), code: 1, golden: "staged.md"},
		{name: "no change", args: []string{"-f", example, "--to", example}, code: 0, golden: "none.txt"},
		{name: "no change, json", args: []string{"-f", example, "--to", example, "-o", "json"}, code: 0, golden: "none.json"},
		{name: "only removals fail", args: append(to, "--fail-on", "removed"), code: 0, golden: "added.txt"},
		{name: "additions fail", args: append(to, "--fail-on", "added"), code: 1, golden: "added.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, append([]string{"diff"}, tc.args...)...)
			require.Equal(t, tc.code, code, errOut)
			assert.Empty(t, errOut)
			golden(t, "diff/"+tc.golden, []byte(out))
		})
	}
}

// TestDiffJSONShape checks the documented JSON form: added and removed
// flows, empty lists rather than null.
func TestDiffJSONShape(t *testing.T) {
	code, out, _ := runAtRoot(t, "diff", "-f", example, "-f", frontendToDatabase, "--to", example, "-o", "json", "--port", "5432")
	require.Equal(t, 1, code)
	var doc struct {
		Added   []map[string]any `json:"added"`
		Removed []struct {
			Src, Dst, Protocol string
			Port               int
			Allowed            bool
		} `json:"removed"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.NotNil(t, doc.Added)
	assert.Empty(t, doc.Added)
	require.Len(t, doc.Removed, 1)
	assert.Equal(t, "TCP", doc.Removed[0].Protocol)
	assert.Equal(t, 5432, doc.Removed[0].Port)
	assert.False(t, doc.Removed[0].Allowed)
}

func TestDiffErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{name: "nothing to compare", args: []string{"-f", example}, msg: "nothing to compare with"},
		{name: "both --to and --staged", args: []string{"-f", example, "--to", example, "--staged"}, msg: "not both"},
		{name: "--staged with --pending", args: []string{"-f", example, "--staged", "--pending"}, msg: "--pending does not apply"},
		{name: "bad --fail-on", args: []string{"-f", example, "--to", example, "--fail-on", "some"}, msg: `--fail-on "some"`},
		{name: "bad output", args: []string{"-f", example, "--to", example, "-o", "csv"}, msg: `--output "csv"`},
		{name: "bad --to", args: []string{"-f", example, "--to", "testdata/cli/broken"}, msg: "testdata/cli/broken/policy.yaml:13"},
		{name: "missing --to", args: []string{"-f", example, "--to", "no/such/dir"}, msg: "no/such/dir"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, append([]string{"diff"}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.msg)
		})
	}
}
