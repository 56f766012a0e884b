package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const threeTier = "../../examples/three-tier"

func TestGraphGolden(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "dot is the default", args: nil, golden: "graph/three-tier.dot"},
		{name: "mermaid", args: []string{"-o", "mermaid"}, golden: "graph/three-tier.mmd"},
		{name: "json", args: []string{"-o", "json"}, golden: "graph/three-tier.json"},
		{
			name:   "ports restrict the edges",
			args:   []string{"-o", "mermaid", "--port", "8080,5432", "--port", "53/UDP", "--port", "ICMP"},
			golden: "graph/three-tier-ports.mmd",
		},
		{
			name:   "external addresses are nodes",
			args:   []string{"-o", "mermaid", "--port", "443", "--external", "8.8.8.8", "--external", "10.1.2.3"},
			golden: "graph/three-tier-external.mmd",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"graph", "-f", threeTier}, tc.args...)...)
			require.Equal(t, 0, code, errOut)
			assert.Empty(t, errOut)
			golden(t, tc.golden, []byte(out))
		})
	}
}

func TestGraphJSONIsValid(t *testing.T) {
	code, out, _ := runCLI(t, "graph", "-f", threeTier, "-o", "json")
	require.Equal(t, 0, code)
	var doc struct {
		Nodes []struct {
			ID   int64    `json:"id"`
			Name string   `json:"name"`
			Kind string   `json:"kind"`
			Pods []string `json:"pods"`
		} `json:"nodes"`
		Edges []struct {
			From  int64               `json:"from"`
			To    int64               `json:"to"`
			Ports map[string][]string `json:"ports"`
		} `json:"edges"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.NotEmpty(t, doc.Nodes)
	assert.Equal(t, "app/backend", doc.Nodes[0].Name)
	assert.Equal(t, "Deployment", doc.Nodes[0].Kind)
	for _, e := range doc.Edges {
		assert.NotEqual(t, e.From, e.To)
		assert.NotEmpty(t, e.Ports)
	}
}

func TestGraphAutoExternal(t *testing.T) {
	code, out, errOut := runCLI(t, "graph", "-f", threeTier, "-o", "mermaid", "--port", "443", "--external", "auto")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `["8.8.8.8 (External)"]`)
	assert.Contains(t, out, `["10.0.0.0 (External)"]`)
}

func TestGraphErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "bad output", args: []string{"-f", threeTier, "-o", "svg"},
			wantErr: `reach: --output "svg": want one of [dot mermaid json]`},
		{name: "port out of range", args: []string{"-f", threeTier, "--port", "70000"},
			wantErr: `reach: --port "70000": port "70000": want a number from 1 to 65535`},
		{name: "port zero", args: []string{"-f", threeTier, "--port", "0/UDP"},
			wantErr: `reach: --port "0/UDP": port "0": want a number from 1 to 65535`},
		{name: "unknown protocol", args: []string{"-f", threeTier, "--port", "80/FOO"},
			wantErr: `reach: --port "80/FOO": protocol "FOO": want TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number from 1 to 255`},
		{name: "port of a protocol without ports", args: []string{"-f", threeTier, "--port", "8/ICMP"},
			wantErr: `reach: --port "8/ICMP": protocol ICMP has no ports: write ICMP alone`},
		{name: "not a port", args: []string{"-f", threeTier, "--port", "http"},
			wantErr: `reach: --port "http": want PORT/PROTO (e.g. 80/TCP, 53/UDP) or a protocol without ports (e.g. ICMP)`},
		{name: "bad external address", args: []string{"-f", threeTier, "--external", "10.1.2"},
			wantErr: `reach: --external "10.1.2": want an IP address or 'auto'`},
		{name: "missing -f", args: nil,
			wantErr: "reach: no manifests: give -f FILE or -f DIR"},
		{name: "broken manifest", args: []string{"-f", "../../testdata/load/bad.yaml"},
			wantErr: "reach: ../../testdata/load/bad.yaml:13 (doc 2, Pod default/web): spec.containers[0].portz: unknown field"},
		{name: "arguments", args: []string{"-f", threeTier, "frontend"},
			wantErr: `reach: unknown command "frontend" for "reach graph"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"graph"}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.wantErr)
		})
	}
}
