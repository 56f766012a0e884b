package selector

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// matchTests pairs selectors and label sets with the expected result.
var matchTests = []struct {
	name   string
	sel    string
	labels Set
	want   bool
}{
	{name: "eq equal", sel: `a == 'x'`, labels: Set{"a": "x"}, want: true},
	{name: "eq different", sel: `a == 'x'`, labels: Set{"a": "y"}, want: false},
	{name: "eq case-sensitive", sel: `a == 'x'`, labels: Set{"a": "X"}, want: false},
	{name: "eq key case-sensitive", sel: `a == 'x'`, labels: Set{"A": "x"}, want: false},
	{name: "eq absent", sel: `a == 'x'`, labels: Set{}, want: false},
	{name: "eq empty vs absent", sel: `a == ''`, labels: Set{}, want: false},
	{name: "eq empty vs empty", sel: `a == ''`, labels: Set{"a": ""}, want: true},
	{name: "eq empty vs value", sel: `a == ''`, labels: Set{"a": "x"}, want: false},
	{name: "ne different", sel: `a != 'x'`, labels: Set{"a": "y"}, want: true},
	{name: "ne equal", sel: `a != 'x'`, labels: Set{"a": "x"}, want: false},
	{name: "ne absent", sel: `a != 'x'`, labels: Set{}, want: true},
	{name: "ne empty absent", sel: `a != ''`, labels: Set{}, want: true},
	{name: "ne empty present", sel: `a != ''`, labels: Set{"a": ""}, want: false},
	{name: "in member", sel: `a in {'x', 'y'}`, labels: Set{"a": "y"}, want: true},
	{name: "in non-member", sel: `a in {'x', 'y'}`, labels: Set{"a": "z"}, want: false},
	{name: "in absent", sel: `a in {'x', 'y'}`, labels: Set{}, want: false},
	{name: "in empty string member", sel: `a in {''}`, labels: Set{"a": ""}, want: true},
	{name: "in empty set", sel: `a in {}`, labels: Set{"a": ""}, want: false},
	{name: "in empty set absent", sel: `a in {}`, labels: Set{}, want: false},
	{name: "not in member", sel: `a not in {'x', 'y'}`, labels: Set{"a": "x"}, want: false},
	{name: "not in non-member", sel: `a not in {'x', 'y'}`, labels: Set{"a": "z"}, want: true},
	{name: "not in absent", sel: `a not in {'x', 'y'}`, labels: Set{}, want: true},
	{name: "not in empty set", sel: `a not in {}`, labels: Set{"a": "x"}, want: true},
	{name: "not in empty set absent", sel: `a not in {}`, labels: Set{}, want: true},
	{name: "contains substring", sel: `a contains 'bc'`, labels: Set{"a": "abcd"}, want: true},
	{name: "contains no substring", sel: `a contains 'bd'`, labels: Set{"a": "abcd"}, want: false},
	{name: "contains absent", sel: `a contains 'b'`, labels: Set{}, want: false},
	{name: "contains empty present", sel: `a contains ''`, labels: Set{"a": ""}, want: true},
	{name: "contains empty absent", sel: `a contains ''`, labels: Set{}, want: false},
	{name: "starts with prefix", sel: `a starts with 'ab'`, labels: Set{"a": "abc"}, want: true},
	{name: "starts with not prefix", sel: `a starts with 'bc'`, labels: Set{"a": "abc"}, want: false},
	{name: "starts with absent", sel: `a starts with ''`, labels: Set{}, want: false},
	{name: "starts with empty present", sel: `a starts with ''`, labels: Set{"a": "x"}, want: true},
	{name: "ends with suffix", sel: `a ends with 'bc'`, labels: Set{"a": "abc"}, want: true},
	{name: "ends with not suffix", sel: `a ends with 'ab'`, labels: Set{"a": "abc"}, want: false},
	{name: "ends with absent", sel: `a ends with ''`, labels: Set{}, want: false},
	{name: "has present", sel: `has(a)`, labels: Set{"a": "x"}, want: true},
	{name: "has present empty", sel: `has(a)`, labels: Set{"a": ""}, want: true},
	{name: "has absent", sel: `has(a)`, labels: Set{"b": "a"}, want: false},
	{name: "not has absent", sel: `!has(a)`, labels: Set{"b": "b"}, want: true},
	{name: "all", sel: `all()`, labels: Set{}, want: true},
	{name: "empty", sel: ``, labels: Set{"a": "b"}, want: true},
	{name: "global", sel: `global()`, labels: Set{"a": "b"}, want: true},
	{name: "not all", sel: `!all()`, labels: Set{}, want: false},
	{name: "not global", sel: `!global()`, labels: Set{}, want: false},
	{name: "and both", sel: `a == 'x' && b == 'y'`, labels: Set{"a": "x", "b": "y"}, want: true},
	{name: "and one", sel: `a == 'x' && b == 'y'`, labels: Set{"a": "x", "b": "z"}, want: false},
	{name: "or one", sel: `a == 'x' || b == 'y'`, labels: Set{"b": "y"}, want: true},
	{name: "or none", sel: `a == 'x' || b == 'y'`, labels: Set{"a": "y", "b": "x"}, want: false},
	{name: "not binds tighter than and", sel: `!a == 'x' && b == 'y'`, labels: Set{"a": "z", "b": "y"}, want: true},
	{name: "and binds tighter than or", sel: `a == 'x' || b == 'y' && c == 'z'`, labels: Set{"a": "x"}, want: true},
	{name: "and binds tighter than or, false", sel: `b == 'y' && c == 'z' || a == 'x'`, labels: Set{"b": "y"}, want: false},
	{name: "parens", sel: `(a == 'x' || b == 'y') && c == 'z'`, labels: Set{"a": "x"}, want: false},
	{name: "global in and", sel: `global() && a == 'b'`, labels: Set{"a": "b"}, want: true},
	{name: "value with newline", sel: "a == 'x\ny'", labels: Set{"a": "x\ny"}, want: true},
	{name: "value bytes", sel: "a == 'é'", labels: Set{"a": "e\u0301"}, want: false},
}

func TestMatches(t *testing.T) {
	for _, tc := range matchTests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.sel)
			require.NoError(t, err)
			assert.Equal(t, tc.want, sel.Matches(tc.labels))
		})
	}
}

// specEdgeCases are the extra edge cases at the end of semantics.md §7.3,
// verified there against Calico's parser.
var specEdgeCases = []struct {
	name      string
	sel       string
	wantValid bool
	labels    Set  // checked when valid
	want      bool // Matches(labels)
}{
	{name: "set trailing comma", sel: `a in {'x',}`, wantValid: true, labels: Set{"a": "x"}, want: true},
	{name: "empty set never matches", sel: `a in {}`, wantValid: true, labels: Set{"a": ""}, want: false},
	{name: "not in empty set always matches", sel: `a not in {}`, wantValid: true, labels: Set{}, want: true},
	{name: "trailing newline", sel: "a == 'b'\n", wantValid: false},
	{name: "tabs around", sel: "\ta == 'b'\t", wantValid: true, labels: Set{"a": "b"}, want: true},
	{name: "has blank paren", sel: `has (a)`, wantValid: false},
	{name: "all blank paren", sel: `all ()`, wantValid: false},
	{name: "notin", sel: `a notin{'x'}`, wantValid: true, labels: Set{"a": "y"}, want: true},
	{name: "startswith", sel: `a startswith'x'`, wantValid: true, labels: Set{"a": "xy"}, want: true},
	{name: "label in", sel: `in == 'x'`, wantValid: true, labels: Set{"in": "x"}, want: true},
	{name: "label starting with digit", sel: `1abc == 'x'`, wantValid: true, labels: Set{"1abc": "x"}, want: true},
	{name: "eq empty vs absent", sel: `a == ''`, wantValid: true, labels: Set{}, want: false},
	{name: "eq empty vs empty", sel: `a == ''`, wantValid: true, labels: Set{"a": ""}, want: true},
	{name: "contains empty vs absent", sel: `a contains ''`, wantValid: true, labels: Set{}, want: false},
	{name: "not of or", sel: `!(a == 'x' || b == 'y')`, wantValid: true, labels: Set{"b": "z"}, want: true},
	{name: "global with more", sel: `global() && a == 'b'`, wantValid: true, labels: Set{"a": "b"}, want: true},
}

func TestSpecEdgeCases(t *testing.T) {
	for _, tc := range specEdgeCases {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.sel)
			if !tc.wantValid {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, sel.Matches(tc.labels))
		})
	}
}

// countingLabels records which keys were read.
type countingLabels struct {
	Set
	reads []string
}

func (c *countingLabels) Get(key string) (string, bool) {
	c.reads = append(c.reads, key)
	return c.Set.Get(key)
}

func TestMatchesShortCircuit(t *testing.T) {
	tests := []struct {
		name      string
		sel       string
		labels    Set
		want      bool
		wantReads []string
	}{
		{name: "and stops at first false", sel: "has(a) && has(b) && has(c)", labels: Set{"b": ""}, want: false, wantReads: []string{"a"}},
		{name: "and reads all when true", sel: "has(a) && has(b)", labels: Set{"a": "", "b": ""}, want: true, wantReads: []string{"a", "b"}},
		{name: "or stops at first true", sel: "has(a) || has(b) || has(c)", labels: Set{"b": ""}, want: true, wantReads: []string{"a", "b"}},
		{name: "left to right", sel: "has(c) || has(b) && has(a)", labels: Set{}, want: false, wantReads: []string{"c", "b"}},
		{name: "all reads nothing", sel: "all() || has(a)", labels: Set{}, want: true, wantReads: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			labels := &countingLabels{Set: tc.labels}
			assert.Equal(t, tc.want, MustParse(tc.sel).Matches(labels))
			assert.Equal(t, tc.wantReads, labels.reads)
		})
	}
}

func TestMatchesNilLabels(t *testing.T) {
	assert.True(t, MustParse("!has(a) && a != 'x' && a not in {'y'}").Matches(nil))
	assert.False(t, MustParse("a == ''").Matches(nil))
	assert.True(t, MustParse("a not in {}").Matches(Set(nil)))
}

func TestMatchesLargeSet(t *testing.T) {
	var values []string
	for i := range 3 * linearSetMax {
		values = append(values, fmt.Sprintf("v%03d", i))
	}
	in, notIn := In("k", values...), NotIn("k", values...)
	for _, v := range values {
		assert.True(t, in.Matches(Set{"k": v}), v)
		assert.False(t, notIn.Matches(Set{"k": v}), v)
	}
	for _, v := range []string{"", "v", "v0000", "v999", "w"} {
		assert.False(t, in.Matches(Set{"k": v}), v)
		assert.True(t, notIn.Matches(Set{"k": v}), v)
	}
}

func TestMatchesDoesNotAllocate(t *testing.T) {
	var values []string
	for i := range 20 {
		values = append(values, fmt.Sprint(i))
	}
	sel := And(
		MustParse(benchSelectors[1].sel),
		Or(In("n", values...), NotIn("m", values...), Contains("app", "e"), StartsWith("app", "w"), EndsWith("app", "b")),
	)
	labels := Set{"projectcalico.org/orchestrator": "k8s", "app": "web", "tier": "backend", "n": "7"}
	require.True(t, sel.Matches(labels))
	assert.Zero(t, testing.AllocsPerRun(100, func() { sel.Matches(labels) }))
}

func BenchmarkMatches(b *testing.B) {
	labels := Set{
		"projectcalico.org/orchestrator": "k8s",
		"projectcalico.org/namespace":    "prod",
		"app":                            "web",
		"tier":                           "backend",
		"version":                        "v1.2.3",
	}
	for _, bc := range benchSelectors {
		sel := MustParse(bc.sel)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sel.Matches(labels)
			}
		})
	}
}
