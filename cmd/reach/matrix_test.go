package main

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMatrixGolden(t *testing.T) {
	ports := []string{"--port", "8080,5432", "--port", "53/UDP", "--port", "ICMP"}
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "table is the default", golden: "table.txt"},
		{name: "json", args: []string{"-o", "json"}, golden: "matrix.json"},
		{name: "csv", args: []string{"-o", "csv"}, golden: "matrix.csv"},
		{name: "markdown", args: []string{"-o", "md"}, golden: "matrix.md"},
		{name: "table with ports", args: ports, golden: "ports.txt"},
		{name: "json with ports", args: append([]string{"-o", "json"}, ports...), golden: "ports.json"},
		{name: "csv with ports", args: append([]string{"-o", "csv"}, ports...), golden: "ports.csv"},
		{name: "markdown with ports", args: append([]string{"-o", "md"}, ports...), golden: "ports.md"},
		{name: "alike pods of a workload collapse", args: []string{"-f", "testdata/cli/replicas"}, golden: "replicas.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !slices.Contains(args, "-f") { // the example by default
				args = append([]string{"-f", example}, args...)
			}
			code, out, errOut := runAtRoot(t, append([]string{"matrix"}, args...)...)
			require.Equal(t, 0, code, errOut)
			assert.Empty(t, errOut)
			golden(t, "matrix/"+tc.golden, []byte(out))
		})
	}
}

// TestMatrixJSONShape checks the documented JSON forms: one entry per
// ordered pair of pods (and per port with --port), self pairs included.
func TestMatrixJSONShape(t *testing.T) {
	const pods = 5
	t.Run("open ports", func(t *testing.T) {
		code, out, _ := runAtRoot(t, "matrix", "-f", example, "-o", "json")
		require.Equal(t, 0, code)
		var doc struct {
			Flows []struct {
				Src, Dst string
				Allowed  bool
				Self     bool
				Ports    map[string][]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &doc))
		require.Len(t, doc.Flows, pods*pods)
		for _, f := range doc.Flows {
			require.NotNil(t, f.Ports, "every entry has ports: %+v", f)
			assert.Equal(t, len(f.Ports) > 0, f.Allowed, "%+v", f)
			assert.Equal(t, f.Src == f.Dst, f.Self, "%+v", f)
		}
	})
	t.Run("ports", func(t *testing.T) {
		code, out, _ := runAtRoot(t, "matrix", "-f", example, "-o", "json", "--port", "80/TCP", "--port", "80", "--port", "53/UDP")
		require.Equal(t, 0, code)
		var doc struct {
			Flows []struct {
				Src, Dst, Protocol string
				Port               uint16
				Allowed            bool
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &doc))
		require.Len(t, doc.Flows, pods*pods*2, "a repeated port counts once")
		assert.Equal(t, "TCP", doc.Flows[0].Protocol)
		assert.Equal(t, uint16(80), doc.Flows[0].Port)
		assert.Equal(t, "UDP", doc.Flows[1].Protocol)
	})
}

// TestMatrixAgreesWithQuery checks the table against query, cell by cell,
// for the ports the example's policies name.
func TestMatrixAgreesWithQuery(t *testing.T) {
	code, out, _ := runAtRoot(t, "matrix", "-f", example, "-o", "csv", "--port", "8080", "--port", "5432", "--port", "53/UDP")
	require.Equal(t, 0, code)
	grid, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	ports := []string{"8080", "5432", "53/UDP"}
	for _, row := range grid[1:] {
		src := strings.Fields(row[0])[0]
		for j, cell := range row[1:] {
			dst := grid[0][j+1]
			marks := strings.Fields(cell)
			require.Len(t, marks, len(ports))
			for k, port := range ports {
				qcode, _, qerr := runAtRoot(t, "query", src, dst+":"+port, "-f", example)
				require.Contains(t, []int{0, 1}, qcode, qerr)
				assert.Equal(t, qcode == 0, marks[k] == "✓", "%s -> %s:%s", src, dst, port)
			}
		}
	}
}

func TestMatrixPending(t *testing.T) {
	code, out, errOut := runAtRoot(t, "matrix", "-f", example, "--pending")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "note: staged policies enforced (--pending): the pending verdict\n")
}

func TestMatrixErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "bad port",
			args: []string{"matrix", "-f", example, "--port", "http"},
			want: `--port "http": want PORT/PROTO (e.g. 80/TCP, 53/UDP) or a protocol without ports (e.g. ICMP)`,
		},
		{
			name: "port out of range",
			args: []string{"matrix", "-f", example, "--port", "70000/TCP"},
			want: `--port "70000/TCP": port "70000": want a number from 1 to 65535`,
		},
		{
			name: "bad output",
			args: []string{"matrix", "-f", example, "-o", "html"},
			want: `--output "html": want one of [table json csv md]`,
		},
		{
			name: "missing -f",
			args: []string{"matrix"},
			want: "no manifests: give -f FILE or -f DIR",
		},
		{
			name: "broken manifest",
			args: []string{"matrix", "-f", "testdata/cli/broken"},
			want: "testdata/cli/broken/policy.yaml:13 (doc 1, NetworkPolicy app/bad-range): " +
				"spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
		},
		{
			name: "arguments",
			args: []string{"matrix", "-f", example, "frontend"},
			want: `unknown command "frontend" for "reach matrix"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, tc.args...)
			assertError(t, code, out, errOut, tc.want)
		})
	}
}
