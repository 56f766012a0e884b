package selector

// The tables in this file are carried over, as data, from Calico's own tests
// at projectcalico/calico commit 87c15906f2:
//
//   - calicoSelectorTests, calicoBadSelectors, calicoCanonicalisationTests and
//     calicoPrefixTests from libcalico-go/lib/selector/parser/parser_test.go
//     (selectorTests, badSelectors, canonicalisationTests without the UIDs,
//     and the PrefixVisitor table);
//   - calicoTokenTests from libcalico-go/lib/selector/tokenizer/tokenizer_test.go
//     (tokenTests; a nil want means the tokenizer must fail).
//
// The token table is used by TestLexCalico in lex_test.go; the other tables are
// used below. TestCalicoTableCounts asserts the counts so that a dropped row
// is noticed.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// calicoSelectorTest is one entry of Calico's selectorTests: a valid selector
// with label sets it must and must not match.
type calicoSelectorTest struct {
	sel        string
	matches    []Set
	nonMatches []Set
}

var calicoSelectorTests = []calicoSelectorTest{
	{sel: `a == "b"`, matches: []Set{
		{"a": "b"},
		{"a": "b", "c": "d"}}, nonMatches: []Set{
		{},
		{"a": "c"},
		{"c": "d"},
	}},
	{sel: `a == "b" && c == "d"`, matches: []Set{
		{"a": "b", "c": "d"}}, nonMatches: []Set{
		{},
		{"a": "b", "c": "e"},
		{"a": "c", "c": "d"},
		{"c": "d"},
		{"a": "b"},
	}},
	{sel: `a == "b" || c == "d"`, matches: []Set{
		{"a": "b", "c": "d"},
		{"a": "b"},
		{"c": "d"}}, nonMatches: []Set{
		{},
		{"a": "e", "c": "e"},
		{"c": "e"},
		{"a": "e"},
	}},
	{sel: `a in {"'", '"', "c"}`, matches: []Set{
		{"a": "c"},
		{"a": `"`},
		{"a": `'`},
	}, nonMatches: []Set{
		{},
		{"a": "e"},
	}},
	{sel: `a not in {"'", '"', "c"}`, matches: []Set{
		{},
		{"a": "e"},
	}, nonMatches: []Set{
		{"a": "c"},
		{"a": `"`},
		{"a": `'`},
	}},
	{sel: `a == 'a'`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `a == "a"`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `a != "b"`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `a != "a"`, matches: []Set{{}}, nonMatches: []Set{}},
	{sel: `a contains "a"`, matches: []Set{
		{"a": "a"},
		{"a": "bab"},
		{"a": "aaa", "b": "c"},
	}, nonMatches: []Set{
		{},
		{"a": "b"},
		{"b": "aaa"},
	}},
	{sel: `a starts with "a"`, matches: []Set{
		{"a": "a"},
		{"a": "abb"},
		{"a": "aaa", "b": "c"},
	}, nonMatches: []Set{
		{},
		{"a": "b"},
		{"a": "baa"},
		{"b": "aaa"},
	}},
	{sel: `a ends with "a"`, matches: []Set{
		{"a": "a"},
		{"a": "bba"},
		{"a": "aaa", "b": "c"},
	}, nonMatches: []Set{
		{},
		{"a": "b"},
		{"a": "aab"},
		{"b": "aaa"},
	}},
	{sel: `a in {"a"}`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `!a in {"a"}`, matches: []Set{{"a": "b"}}, nonMatches: []Set{}},
	{sel: `a in {"a", "b"}`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `a in {"a", "b"}`, matches: []Set{{"a": "b"}}, nonMatches: []Set{}},
	{sel: `a not in {"d", "e"}`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `has(a)`, matches: []Set{{"a": "b"}}, nonMatches: []Set{}},
	{sel: `!has(a)`, matches: []Set{{"b": "b"}}, nonMatches: []Set{}},
	{sel: ``, matches: []Set{{}}, nonMatches: []Set{}},
	{sel: ` `, matches: []Set{{}}, nonMatches: []Set{}},
	{sel: ``, matches: []Set{{"a": "b"}}, nonMatches: []Set{}},
	{sel: `all()`, matches: []Set{{}}, nonMatches: []Set{}},
	{sel: ` all()`, matches: []Set{{}}, nonMatches: []Set{}},
	{sel: ` all()`, matches: []Set{{"a": "b"}}, nonMatches: []Set{}},
	{sel: `global()`, matches: []Set{{}}, nonMatches: []Set{}},
	{sel: ` global()`, matches: []Set{{}}, nonMatches: []Set{}},
	{sel: ` global()`, matches: []Set{{"a": "b"}}, nonMatches: []Set{}},
	{sel: `a == 'a'`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `a == 'a'`, matches: []Set{}, nonMatches: []Set{{}}},
	{sel: `a != "a"`, matches: []Set{}, nonMatches: []Set{{"a": "a"}}},
	{sel: `a != 'a'`, matches: []Set{}, nonMatches: []Set{{"a": "a"}}},
	{sel: `a in {"a"}`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `a not in {"a"}`, matches: []Set{}, nonMatches: []Set{{"a": "a"}}},
	{sel: `a in {"a", "b"}`, matches: []Set{}, nonMatches: []Set{{"a": "c"}}},
	{sel: `has(b)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `!!has(b)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `! has(a)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `!has(a)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `!!! has(a)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `!!!has(a)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `!! ! has(a)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `! !!has(a)`, matches: []Set{}, nonMatches: []Set{{"a": "b"}}},
	{sel: `a == 'a1' && b == 'b1'`, matches: []Set{{"a": "a1", "b": "b1"}}, nonMatches: []Set{}},
	{sel: `a == 'a1' && b != 'b1'`, matches: []Set{}, nonMatches: []Set{{"a": "a1", "b": "b1"}}},
	{sel: `a != 'a1' && b == 'b1'`, matches: []Set{}, nonMatches: []Set{{"a": "a1", "b": "b1"}}},
	{sel: `a != 'a1' && b != 'b1'`, matches: []Set{}, nonMatches: []Set{{"a": "a1", "b": "b1"}}},
	{sel: `a != 'a1' && !b == 'b1'`, matches: []Set{}, nonMatches: []Set{{"a": "a1", "b": "b1"}}},
	{sel: `!a == 'a1' && b == 'b1'`, matches: []Set{}, nonMatches: []Set{{"a": "a1", "b": "b1"}}},
	{sel: `has(a) && !has(b)`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `!has(b) && has(a)`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `!(!has(a) || has(b))`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `!(has(b) || !has(a))`, matches: []Set{{"a": "a"}}, nonMatches: []Set{}},
	{sel: `a == 'a1' || b == 'b1'`, matches: []Set{{"a": "a1", "b": "b1"}}, nonMatches: []Set{}},
	{sel: `a == 'a1' || b != 'b1'`, matches: []Set{{"a": "a1", "b": "b1"}}, nonMatches: []Set{}},
	{sel: `a != 'a1' || b == 'b1'`, matches: []Set{{"a": "a1", "b": "b1"}}, nonMatches: []Set{}},
	{sel: `a != 'a1' || b != 'b1'`, matches: []Set{}, nonMatches: []Set{{"a": "a1", "b": "b1"}}},
	{sel: `! a == 'a1' || ! b == 'b1'`, matches: []Set{}, nonMatches: []Set{{"a": "a1", "b": "b1"}}},
}

// calicoBadSelectors must all be rejected.
var calicoBadSelectors = []string{
	"b == b",
	"b contains b",
	"b starts with b",
	"b ends with b",
	"'b1' == b",
	"b",
	"a b",
	"!",
	`foo == "bar" &`,
	`foo == "bar" |`,
	`foo != ||`,
	`foo in {"", ||`,
	`foo in ""`,
	`"FOO`,
	`"FOO'`,
	`"FOO`,
	`'FOO`,
	`(`,
	`(a == "foo"`,
	`)`,
	`()`,
	`%`,
	`a == "b" && %`,
	`a == "b" || %`,
	`a `,
	`has(foo) &&`,
}

// calicoCanonicalisationTests pairs inputs with their canonical form.
var calicoCanonicalisationTests = []struct {
	input string
	want  string
}{
	{input: "", want: "all()"},
	{input: " all() ", want: "all()"},
	{input: " (all() )", want: "all()"},
	{input: `! (has( b)||! has(a ))`, want: "!(has(b) || !has(a))"},
	{input: `! (a == "b"&&! c != "d")`, want: `!(a == "b" && !c != "d")`},
	{input: `a == "'"`, want: `a == "'"`},
	{input: `a == '"'`, want: `a == '"'`},
	{input: `a contains '"'`, want: `a contains '"'`},
	{input: `a contains "'"`, want: `a contains "'"`},
	{input: `a startswith '"'`, want: `a starts with '"'`},
	{input: `a endswith "'"`, want: `a ends with "'"`},
	{input: `a!='"'`, want: `a != '"'`},
	{input: `a in {"d"}`, want: `a in {"d"}`},
	{input: `a in {"a", "b"}`, want: `a in {"a", "b"}`},
	{input: `a in {"d", "a", "b"}`, want: `a in {"a", "b", "d"}`},
	{input: `a in {"z", "x", "y", "a"}`, want: `a in {"a", "x", "y", "z"}`},
	{input: `a in {"z", "z", "x", "y", "x", "a"}`, want: `a in {"a", "x", "y", "z"}`},
}

// calicoPrefixTests is Calico's PrefixVisitor table, with prefix "visited/".
var calicoPrefixTests = []struct {
	name  string
	input string
	want  string
}{
	{name: "LabelEqValueNode", input: "k == 'v'", want: `visited/k == "v"`},
	{name: "LabelNeValueNode", input: "k != 'v'", want: `visited/k != "v"`},
	{name: "LabelContainsValueNode", input: "k contains 'v'", want: `visited/k contains "v"`},
	{name: "LabelStartWithValueNode", input: "k starts with 'v'", want: `visited/k starts with "v"`},
	{name: "LabelEndsWithValueNode", input: "k ends with 'v'", want: `visited/k ends with "v"`},
	{name: "AndNode", input: "k == 'v' && x == 'y'", want: `(visited/k == "v" && visited/x == "y")`},
	{name: "OrNode", input: "k == 'v' || has(x)", want: `(visited/k == "v" || has(visited/x))`},
	{name: "NotNode", input: "!(k == 'v')", want: `!visited/k == "v"`},
	{name: "LabelInSetNode", input: "k in {'v'}", want: `visited/k in {"v"}`},
	{name: "LabelNotInSetNode", input: "k not in {'v'}", want: `visited/k not in {"v"}`},
	{
		name:  "big complex selector",
		input: "!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
		want:  `!(!((visited/k == "v" && has(visited/t)) || all()) && visited/a in {"b", "c"})`,
	},
}

// calicoTokenTests lists inputs with their exact token kinds and values; a
// nil want means lexing must fail somewhere in the input.
var calicoTokenTests = []struct {
	input string
	want  []token
}{
	{input: `a=="b"`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokEq},
		{kind: tokString, val: "b"},
		{kind: tokEOF},
	}},
	{input: `a!="b"`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNe},
		{kind: tokString, val: "b"},
		{kind: tokEOF},
	}},
	{input: `a != "b"`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNe},
		{kind: tokString, val: "b"},
		{kind: tokEOF},
	}},
	{input: `(a=="b")`, want: []token{
		{kind: tokLParen},
		{kind: tokLabel, val: "a"},
		{kind: tokEq},
		{kind: tokString, val: "b"},
		{kind: tokRParen},
		{kind: tokEOF},
	}},
	{input: `a=="b"`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokEq},
		{kind: tokString, val: "b"},
		{kind: tokEOF},
	}},
	{input: `label == "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokEq},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `label contains "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokContains},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `contains contains "contains"`, want: []token{
		{kind: tokLabel, val: "contains"},
		{kind: tokContains},
		{kind: tokString, val: "contains"},
		{kind: tokEOF},
	}},
	{input: `contains contains 'contains'`, want: []token{
		{kind: tokLabel, val: "contains"},
		{kind: tokContains},
		{kind: tokString, val: "contains"},
		{kind: tokEOF},
	}},
	{input: `label contains"value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokContains},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `label startswith "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokStartsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `label endswith "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokEndsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `label starts with "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokStartsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `startswith starts with "value"`, want: []token{
		{kind: tokLabel, val: "startswith"},
		{kind: tokStartsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `label ends with "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokEndsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `endswith ends with "value"`, want: []token{
		{kind: tokLabel, val: "endswith"},
		{kind: tokEndsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `label starts  with "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokStartsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: `label ends  with "value"`, want: []token{
		{kind: tokLabel, val: "label"},
		{kind: tokEndsWith},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: strings.Repeat("a", 512) + ` == "value"`, want: []token{
		{kind: tokLabel, val: strings.Repeat("a", 512)},
		{kind: tokEq},
		{kind: tokString, val: "value"},
		{kind: tokEOF},
	}},
	{input: strings.Repeat("a", 513) + ` == "value"`, want: nil},
	{input: `label == "value`, want: nil},
	{input: `label == 'value`, want: nil},
	{input: `label = "value"`, want: nil},
	{input: `all(`, want: nil},
	{input: `global(`, want: nil},
	{input: `has()`, want: nil},
	{input: `has(foo`, want: nil},
	{input: `has( foo `, want: nil},
	{input: `a == "b" & has(foo)`, want: nil},
	{input: `a == "b" | has(foo)`, want: nil},
	{input: `label starts foo "value"`, want: nil},
	{input: `label inf "value"`, want: nil},
	{input: `label ends foo "value"`, want: nil},
	{input: `label ends withs "value"`, want: nil},
	{input: `label squiggles "value"`, want: nil},
	{input: `a not in "bar" && !has(foo) || b in c`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNotIn},
		{kind: tokString, val: "bar"},
		{kind: tokAnd},
		{kind: tokNot},
		{kind: tokHas, val: "foo"},
		{kind: tokOr},
		{kind: tokLabel, val: "b"},
		{kind: tokIn},
		{kind: tokLabel, val: "c"},
		{kind: tokEOF},
	}},
	{input: `has(calico/k8s_ns)`, want: []token{
		{kind: tokHas, val: "calico/k8s_ns"},
		{kind: tokEOF},
	}},
	{input: `has(calico/k8s_ns/role)`, want: []token{
		{kind: tokHas, val: "calico/k8s_ns/role"},
		{kind: tokEOF},
	}},
	{input: `has(calico/k8s_NS-.1/role)`, want: []token{
		{kind: tokHas, val: "calico/k8s_NS-.1/role"},
		{kind: tokEOF},
	}},
	{input: `calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"`, want: []token{
		{kind: tokLabel, val: "calico/k8s_ns"},
		{kind: tokEq},
		{kind: tokString, val: "kube-system"},
		{kind: tokAnd},
		{kind: tokLabel, val: "k8s-app"},
		{kind: tokEq},
		{kind: tokString, val: "kube-dns"},
		{kind: tokEOF},
	}},
	{input: `a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c `, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNotIn},
		{kind: tokString, val: "bar"},
		{kind: tokAnd},
		{kind: tokNot},
		{kind: tokHas, val: "foo"},
		{kind: tokOr},
		{kind: tokLabel, val: "b"},
		{kind: tokIn},
		{kind: tokLabel, val: "c"},
		{kind: tokEOF},
	}},
	{input: `a notin"bar"&&!has(foo)||b in"c"`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNotIn},
		{kind: tokString, val: "bar"},
		{kind: tokAnd},
		{kind: tokNot},
		{kind: tokHas, val: "foo"},
		{kind: tokOr},
		{kind: tokLabel, val: "b"},
		{kind: tokIn},
		{kind: tokString, val: "c"},
		{kind: tokEOF},
	}},
	{input: `a not in {}`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNotIn},
		{kind: tokLBrace},
		{kind: tokRBrace},
		{kind: tokEOF},
	}},
	{input: `a not in {"a"}`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNotIn},
		{kind: tokLBrace},
		{kind: tokString, val: "a"},
		{kind: tokRBrace},
		{kind: tokEOF},
	}},
	{input: `a not in {"a","B"}`, want: []token{
		{kind: tokLabel, val: "a"},
		{kind: tokNotIn},
		{kind: tokLBrace},
		{kind: tokString, val: "a"},
		{kind: tokComma},
		{kind: tokString, val: "B"},
		{kind: tokRBrace},
		{kind: tokEOF},
	}},
	{input: `global()`, want: []token{
		{kind: tokGlobal},
		{kind: tokEOF},
	}},
	{input: `global( )`, want: []token{
		{kind: tokGlobal},
		{kind: tokEOF},
	}},
	{input: `all()`, want: []token{
		{kind: tokAll},
		{kind: tokEOF},
	}},
	{input: `all( )`, want: []token{
		{kind: tokAll},
		{kind: tokEOF},
	}},
}

func TestCalicoTableCounts(t *testing.T) {
	triples, positive := 0, 0
	for _, tc := range calicoSelectorTests {
		triples += len(tc.matches) + len(tc.nonMatches)
		positive += len(tc.matches)
	}
	assert.Len(t, calicoSelectorTests, 58, "selectorTests entries")
	assert.Equal(t, 98, triples, "selectorTests (selector, labels, expected) triples")
	assert.Equal(t, 48, positive, "selectorTests triples expected to match")
	assert.Len(t, calicoBadSelectors, 26, "badSelectors")
	assert.Len(t, calicoCanonicalisationTests, 17, "canonicalisationTests")
	assert.Len(t, calicoPrefixTests, 11, "visitor tests")
	errs := 0
	for _, tc := range calicoTokenTests {
		if tc.want == nil {
			errs++
		}
	}
	assert.Len(t, calicoTokenTests, 49, "tokenTests")
	assert.Equal(t, 16, errs, "tokenTests that must fail")
}

func TestCalicoSelectorTests(t *testing.T) {
	for _, tc := range calicoSelectorTests {
		t.Run(tc.sel, func(t *testing.T) {
			sel, err := Parse(tc.sel)
			require.NoError(t, err)
			again, err := Parse(sel.String())
			require.NoError(t, err, "canonical form %q", sel)
			assert.Equal(t, sel.String(), again.String(), "canonical form is not a fixed point")
			for _, labels := range tc.matches {
				assert.True(t, sel.Matches(labels), "should match %v", labels)
				assert.True(t, again.Matches(labels), "canonical form %q should match %v", again, labels)
			}
			for _, labels := range tc.nonMatches {
				assert.False(t, sel.Matches(labels), "should not match %v", labels)
				assert.False(t, again.Matches(labels), "canonical form %q should not match %v", again, labels)
			}
		})
	}
}

func TestCalicoBadSelectors(t *testing.T) {
	for _, input := range calicoBadSelectors {
		t.Run(input, func(t *testing.T) {
			_, err := Parse(input)
			var perr *Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, input, perr.Input)
			assert.GreaterOrEqual(t, perr.Offset, 0)
			assert.LessOrEqual(t, perr.Offset, len(input))
		})
	}
}

func TestCalicoCanonicalisation(t *testing.T) {
	for _, tc := range calicoCanonicalisationTests {
		t.Run(tc.input, func(t *testing.T) {
			sel, err := Parse(tc.input)
			require.NoError(t, err)
			assert.Equal(t, tc.want, sel.String())
			again, err := Parse(sel.String())
			require.NoError(t, err)
			assert.Equal(t, tc.want, again.String())
		})
	}
}

func TestCalicoPrefix(t *testing.T) {
	for _, tc := range calicoPrefixTests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.input)
			require.NoError(t, err)
			assert.Equal(t, tc.want, sel.PrefixLabels("visited/").String())
		})
	}
}
