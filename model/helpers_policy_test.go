package model

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readObjects reads YAML with the loader's Read and returns the objects and
// the problem lines (FILE:LINE (doc N, Kind ns/name): field: msg).
func readObjects(t *testing.T, src string) (Objects, []string) {
	t.Helper()
	objs, err := Read("test.yaml", strings.NewReader(src))
	if err == nil {
		return objs, nil
	}
	ps := AsProblems(err)
	require.NotEmpty(t, ps, "error %v is not a Problems", err)
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return objs, lines
}

// onePolicy reads YAML that must hold exactly one valid policy.
func onePolicy(t *testing.T, src string) *Policy {
	t.Helper()
	objs, problems := readObjects(t, src)
	require.Empty(t, problems)
	require.Len(t, objs.Policies, 1)
	return objs.Policies[0]
}

// ruleLines renders rules one a line as "Index: description (origin)".
func ruleLines(rules []Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, fmt.Sprintf("%d: %s (%s)", r.Index, DescribeRule(r), r.Origin))
	}
	return out
}

// types renders a policy's types.
func types(p *Policy) string {
	switch {
	case p.Ingress && p.Egress:
		return "Ingress,Egress"
	case p.Ingress:
		return "Ingress"
	case p.Egress:
		return "Egress"
	}
	return "none"
}

// indent indents every line of a YAML fragment by n spaces, so that table
// tests can write spec fragments flush left.
func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}
