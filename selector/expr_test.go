package selector

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dump prints a tree in a small private format that shows its exact shape,
// e.g. and{eq{a "b"} not{has{c}}}.
func dump(n *node) string {
	var b strings.Builder
	dumpTo(&b, n)
	return b.String()
}

var dumpNames = [...]string{
	opAll: "all", opGlobal: "global", opHas: "has", opEq: "eq", opNotEq: "ne",
	opContains: "contains", opStartsWith: "startswith", opEndsWith: "endswith",
	opIn: "in", opNotIn: "notin", opNot: "not", opAnd: "and", opOr: "or",
}

func dumpTo(b *strings.Builder, n *node) {
	b.WriteString(dumpNames[n.op])
	switch n.op {
	case opAll, opGlobal:
		return
	case opHas:
		fmt.Fprintf(b, "{%s}", n.key)
	case opIn, opNotIn:
		fmt.Fprintf(b, "{%s [", n.key)
		for i, v := range n.set {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(b, "%q", v)
		}
		b.WriteString("]}")
	case opNot, opAnd, opOr:
		b.WriteByte('{')
		for i, s := range n.sub {
			if i > 0 {
				b.WriteByte(' ')
			}
			dumpTo(b, s)
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "{%s %q}", n.key, n.value)
	}
}

// stringTests are valid selectors with their canonical form.
var stringTests = []struct {
	name  string
	input string
	want  string
}{
	{name: "double quotes by default", input: `a == 'b'`, want: `a == "b"`},
	{name: "single quotes when value has double quote", input: `a == '"'`, want: `a == '"'`},
	{name: "double quotes around single quote", input: `a != "it's"`, want: `a != "it's"`},
	{name: "empty value", input: `a == ''`, want: `a == ""`},
	{name: "starts with spelled out", input: `a startswith '"'`, want: `a starts with '"'`},
	{name: "ends with spelled out", input: "a ends\t\twith 'x'", want: `a ends with "x"`},
	{name: "not in spelled out", input: `a notin{'x'}`, want: `a not in {"x"}`},
	{name: "contains", input: `a contains'x'`, want: `a contains "x"`},
	{name: "set quoting per value", input: `a in {'"', "'", 'c'}`, want: `a in {'"', "'", "c"}`},
	{name: "set sorted and de-duplicated", input: `a in {"z", "z", "x", "y", "x", "a"}`, want: `a in {"a", "x", "y", "z"}`},
	{name: "empty set", input: `a not in { }`, want: `a not in {}`},
	{name: "has with blanks", input: `has( a )`, want: `has(a)`},
	{name: "blank is all", input: `  `, want: `all()`},
	{name: "all with blanks", input: ` (all() )`, want: `all()`},
	{name: "global", input: `global( )`, want: `global()`},
	{name: "not before operand", input: `! a == 'x'`, want: `!a == "x"`},
	{name: "not before group", input: `! (has( b)||! has(a ))`, want: `!(has(b) || !has(a))`},
	{name: "even run of not removed", input: `! ! has(a)`, want: `has(a)`},
	{name: "odd run of not kept once", input: `!!! has(a)`, want: `!has(a)`},
	{name: "double not through parens", input: `!(!has(a))`, want: `has(a)`},
	{name: "precedence groups", input: `a == 'b' || c == 'd' && e == 'f'`, want: `(a == "b" || (c == "d" && e == "f"))`},
	{name: "spec example", input: `(a == 'b' && c == 'd') || e == 'f'`, want: `((a == "b" && c == "d") || e == "f")`},
	{name: "nested same operator kept", input: `(has(a) && has(b)) && has(c)`, want: `((has(a) && has(b)) && has(c))`},
	{name: "redundant parens removed", input: `((has(a)))`, want: `has(a)`},
	{name: "n-ary or", input: `has(a)||has(b)||has(c)`, want: `(has(a) || has(b) || has(c))`},
	{name: "not all", input: `!all()`, want: `!all()`},
	{name: "value with newline", input: "a == 'x\ny'", want: "a == \"x\ny\""},
}

func TestString(t *testing.T) {
	for _, tc := range stringTests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.input)
			require.NoError(t, err)
			assert.Equal(t, tc.want, sel.String())
			again, err := Parse(sel.String())
			require.NoError(t, err)
			assert.Equal(t, tc.want, again.String(), "canonical form must be a fixed point")
		})
	}
}

// testLabelSets are label sets that tell the constructor tests' selectors
// apart.
var testLabelSets = []Set{
	nil,
	{"a": ""},
	{"a": "x"},
	{"a": "y"},
	{"a": "xyz"},
	{"b": "x"},
	{"a": "x", "b": "y"},
	{"a": "z", "b": "x"},
	{"a": `"`},
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name   string
		sel    Selector
		parsed string // the selector string the constructor is equivalent to
		want   string // String()
	}{
		{name: "All", sel: All(), parsed: "", want: "all()"},
		{name: "Global", sel: Global(), parsed: "global()", want: "global()"},
		{name: "Has", sel: Has("a"), parsed: "has(a)", want: "has(a)"},
		{name: "Eq", sel: Eq("a", "x"), parsed: "a == 'x'", want: `a == "x"`},
		{name: "Eq empty", sel: Eq("a", ""), parsed: "a == ''", want: `a == ""`},
		{name: "Eq double quote", sel: Eq("a", `"`), parsed: `a == '"'`, want: `a == '"'`},
		{name: "NotEq", sel: NotEq("a", "x"), parsed: "a != 'x'", want: `a != "x"`},
		{name: "In", sel: In("a", "y", "x", "y"), parsed: "a in {'x', 'y'}", want: `a in {"x", "y"}`},
		{name: "In none", sel: In("a"), parsed: "a in {}", want: `a in {}`},
		{name: "NotIn", sel: NotIn("a", "x"), parsed: "a not in {'x'}", want: `a not in {"x"}`},
		{name: "NotIn none", sel: NotIn("a"), parsed: "a not in {}", want: `a not in {}`},
		{name: "Contains", sel: Contains("a", "y"), parsed: "a contains 'y'", want: `a contains "y"`},
		{name: "StartsWith", sel: StartsWith("a", "x"), parsed: "a starts with 'x'", want: `a starts with "x"`},
		{name: "EndsWith", sel: EndsWith("a", "z"), parsed: "a ends with 'z'", want: `a ends with "z"`},
		{name: "And none", sel: And(), parsed: "all()", want: "all()"},
		{name: "And one", sel: And(Has("a")), parsed: "has(a)", want: "has(a)"},
		{name: "And two", sel: And(Has("a"), Eq("b", "y")), parsed: "has(a) && b == 'y'", want: `(has(a) && b == "y")`},
		{name: "And flattens", sel: And(And(Has("a"), Has("b")), Eq("a", "x")), parsed: "has(a) && has(b) && a == 'x'",
			want: `(has(a) && has(b) && a == "x")`},
		{name: "Or none", sel: Or(), parsed: "!all()", want: "!all()"},
		{name: "Or one", sel: Or(Has("a")), parsed: "has(a)", want: "has(a)"},
		{name: "Or two", sel: Or(Has("a"), Has("b")), parsed: "has(a) || has(b)", want: "(has(a) || has(b))"},
		{name: "Or flattens", sel: Or(Has("a"), Or(Has("b"), Eq("a", ""))), parsed: "has(a) || has(b) || a == ''",
			want: `(has(a) || has(b) || a == "")`},
		{name: "Or of Ands", sel: Or(And(Has("a"), Has("b")), Eq("a", "x")), parsed: "has(a) && has(b) || a == 'x'",
			want: `((has(a) && has(b)) || a == "x")`},
		{name: "Not", sel: Not(Has("a")), parsed: "!has(a)", want: "!has(a)"},
		{name: "Not Not", sel: Not(Not(Has("a"))), parsed: "has(a)", want: "has(a)"},
		{name: "Not And", sel: Not(And(Has("a"), Has("b"))), parsed: "!(has(a) && has(b))", want: "!(has(a) && has(b))"},
		{name: "Not All", sel: Not(All()), parsed: "!all()", want: "!all()"},
		{name: "And with zero value", sel: And(Selector{}, Has("a")), parsed: "all() && has(a)", want: "(all() && has(a))"},
		{name: "k8s selector", sel: And(Eq("projectcalico.org/orchestrator", "k8s"), Eq("app", "web"), Not(Has("canary"))),
			parsed: "projectcalico.org/orchestrator == 'k8s' && app == 'web' && ! has(canary)",
			want:   `(projectcalico.org/orchestrator == "k8s" && app == "web" && !has(canary))`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parsed, err := Parse(tc.parsed)
			require.NoError(t, err)
			assert.Equal(t, tc.want, tc.sel.String())
			assert.Equal(t, parsed.String(), tc.sel.String())
			assert.NoError(t, tc.sel.Validate())
			for _, labels := range testLabelSets {
				assert.Equal(t, parsed.Matches(labels), tc.sel.Matches(labels), "labels %v", labels)
			}
		})
	}
}

func TestConstructorsMatchNothingAndEverything(t *testing.T) {
	for _, labels := range testLabelSets {
		assert.False(t, Or().Matches(labels), "Or() matches nothing: %v", labels)
		assert.True(t, And().Matches(labels), "And() matches everything: %v", labels)
		assert.False(t, In("a").Matches(labels), "In with no values matches nothing: %v", labels)
		assert.True(t, NotIn("a").Matches(labels), "NotIn with no values matches everything: %v", labels)
	}
}

func TestConstructorsDoNotAlias(t *testing.T) {
	values := []string{"b", "a"}
	sel := In("k", values...)
	values[0] = "z"
	assert.Equal(t, []string{"b", "a"}[1], "a")
	assert.Equal(t, `k in {"a", "b"}`, sel.String())
	assert.True(t, sel.Matches(Set{"k": "b"}))
}

func TestPrefixLabels(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		prefix string
		want   string
	}{
		{name: "namespace selector", input: "team == 'y'", prefix: "pcns.", want: `pcns.team == "y"`},
		{name: "every key kind", input: "has(a) && b != 'x' && c in {'1'} && d not in {} && e contains 'x' && f starts with 'x' && g ends with 'x'",
			prefix: "pcsa.", want: `(has(pcsa.a) && pcsa.b != "x" && pcsa.c in {"1"} && pcsa.d not in {} && pcsa.e contains "x" && pcsa.f starts with "x" && pcsa.g ends with "x")`},
		{name: "values untouched", input: "a == 'a'", prefix: "p/", want: `p/a == "a"`},
		{name: "all and global untouched", input: "all() || global() || !has(a)", prefix: "pcns.", want: "(all() || global() || !has(pcns.a))"},
		{name: "empty prefix", input: "a == 'b'", prefix: "", want: `a == "b"`},
		{name: "blank selector", input: "", prefix: "pcns.", want: "all()"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.input)
			require.NoError(t, err)
			got := sel.PrefixLabels(tc.prefix)
			assert.Equal(t, tc.want, got.String())
			assert.NoError(t, got.Validate())
		})
	}
	t.Run("matches prefixed labels", func(t *testing.T) {
		sel := MustParse("team == 'y' && !has(x)").PrefixLabels("pcns.")
		assert.True(t, sel.Matches(Set{"pcns.team": "y", "x": "1"}))
		assert.False(t, sel.Matches(Set{"team": "y"}))
		assert.False(t, sel.Matches(Set{"pcns.team": "y", "pcns.x": ""}))
	})
	t.Run("original unchanged", func(t *testing.T) {
		sel := MustParse("a == 'b'")
		_ = sel.PrefixLabels("p.")
		assert.Equal(t, `a == "b"`, sel.String())
		assert.True(t, sel.Matches(Set{"a": "b"}))
	})
}

func TestReplace(t *testing.T) {
	ns := Has("projectcalico.org/namespace")
	tests := []struct {
		name string
		got  Selector
		want string
	}{
		{name: "namespace all", got: MustParse("all()").PrefixLabels("pcns.").ReplaceAll(ns),
			want: "has(projectcalico.org/namespace)"},
		{name: "zero value all", got: Selector{}.ReplaceAll(ns), want: "has(projectcalico.org/namespace)"},
		{name: "blank all", got: MustParse(" ").ReplaceAll(ns), want: "has(projectcalico.org/namespace)"},
		{name: "all inside", got: MustParse("!all() || a == 'b' && all()").ReplaceAll(ns),
			want: `(!has(projectcalico.org/namespace) || (a == "b" && has(projectcalico.org/namespace)))`},
		{name: "all replaced by group", got: MustParse("all() && has(a)").ReplaceAll(And(Has("x"), Has("y"))),
			want: "((has(x) && has(y)) && has(a))"},
		{name: "all replaced by negation under negation", got: MustParse("!all()").ReplaceAll(Not(ns)),
			want: "has(projectcalico.org/namespace)"},
		{name: "no all", got: MustParse("has(a)").ReplaceAll(ns), want: "has(a)"},
		{name: "global leaves all", got: MustParse("all() || global()").ReplaceAll(ns),
			want: "(has(projectcalico.org/namespace) || global())"},
		{name: "namespace global", got: MustParse("global()").PrefixLabels("pcns.").ReplaceGlobal(Not(ns)),
			want: "!has(projectcalico.org/namespace)"},
		{name: "not global cancels", got: MustParse("!global()").ReplaceGlobal(Not(ns)),
			want: "has(projectcalico.org/namespace)"},
		{name: "global in group", got: MustParse("global() && role == 'db'").ReplaceGlobal(Not(ns)),
			want: `(!has(projectcalico.org/namespace) && role == "db")`},
		{name: "global leaves all alone", got: MustParse("all() || global()").ReplaceGlobal(Not(ns)),
			want: "(all() || !has(projectcalico.org/namespace))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.got.String())
			assert.NoError(t, tc.got.Validate())
		})
	}
}

// TestReplaceLikeCalico checks that replacing tree nodes gives what Calico
// gets by replacing text in the canonical form and parsing the result.
func TestReplaceLikeCalico(t *testing.T) {
	inputs := []string{
		"", "all()", "!all()", "global()", "!global()", "all() && global()", "!(all() || a == 'b') && !global()",
		"(all() && has(a)) && all()", "a == 'x' || !!all()",
	}
	withs := []Selector{
		Has("projectcalico.org/namespace"),
		Not(Has("projectcalico.org/namespace")),
		And(Has("x"), Eq("y", "z")),
		Or(Has("x"), Not(Has("y"))),
		Not(Or(Has("x"), Has("y"))),
		All(),
	}
	for _, in := range inputs {
		for _, with := range withs {
			t.Run(in+" with "+with.String(), func(t *testing.T) {
				sel := MustParse(in)
				wantAll := MustParse(strings.ReplaceAll(sel.String(), "all()", with.String()))
				assert.Equal(t, wantAll.String(), sel.ReplaceAll(with).String())
				wantGlobal := MustParse(strings.ReplaceAll(sel.String(), "global()", with.String()))
				assert.Equal(t, wantGlobal.String(), sel.ReplaceGlobal(with).String())
			})
		}
	}
}

func TestPredicates(t *testing.T) {
	tests := []struct {
		name          string
		sel           Selector
		wantAll       bool
		wantGlobal    bool
		wantHasGlobal bool
		wantKeys      []string
	}{
		{name: "zero value", sel: Selector{}, wantAll: true},
		{name: "empty", sel: MustParse(""), wantAll: true},
		{name: "all", sel: MustParse("all()"), wantAll: true},
		{name: "not all", sel: MustParse("!all()")},
		{name: "double not all", sel: MustParse("!!all()"), wantAll: true},
		{name: "global", sel: MustParse(" global() "), wantGlobal: true, wantHasGlobal: true},
		{name: "global in parens", sel: MustParse("(global())"), wantGlobal: true, wantHasGlobal: true},
		{name: "global and more", sel: MustParse("global() && a == 'b'"), wantHasGlobal: true, wantKeys: []string{"a"}},
		{name: "not global", sel: MustParse("!global()"), wantHasGlobal: true},
		{name: "global deep", sel: MustParse("has(a) || (has(b) && !global())"), wantHasGlobal: true, wantKeys: []string{"a", "b"}},
		{name: "every key kind", sel: MustParse("has(h) && e == '' && n != '' && c contains '' && s starts with '' && x ends with '' && i in {} && o not in {}"),
			wantKeys: []string{"c", "e", "h", "i", "n", "o", "s", "x"}},
		{name: "keys de-duplicated and sorted", sel: MustParse("z == 'a' || a == 'z' || !has(z) || has(a)"), wantKeys: []string{"a", "z"}},
		{name: "values are not keys", sel: MustParse("a in {'b', 'c'}"), wantKeys: []string{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantAll, tc.sel.IsAll(), "IsAll")
			assert.Equal(t, tc.wantGlobal, tc.sel.IsGlobal(), "IsGlobal")
			assert.Equal(t, tc.wantHasGlobal, tc.sel.HasGlobal(), "HasGlobal")
			assert.Equal(t, tc.wantKeys, tc.sel.LabelKeys(), "LabelKeys")
		})
	}
}

func TestValidate(t *testing.T) {
	deep := Has("a")
	for range MaxDepth {
		deep = Not(And(Has("b"), deep))
	}
	tests := []struct {
		name    string
		sel     Selector
		wantErr string // empty for valid
	}{
		{name: "zero value", sel: Selector{}},
		{name: "parsed", sel: MustParse("a in {'\"', \"'\"} || !has(b)")},
		{name: "value with double quote", sel: Eq("a", `x"y`)},
		{name: "value with both quotes", sel: Eq("a", `x'"y`),
			wantErr: `selector "a == 'x'\"y'": value "x'\"y" contains both quote characters`},
		{name: "set value with both quotes", sel: NotIn("a", "ok", `'"`),
			wantErr: `selector "a not in {''\"', \"ok\"}": value "'\"" contains both quote characters`},
		{name: "empty key", sel: Has(""), wantErr: `selector "has()": invalid label key ""`},
		{name: "key with blank", sel: Eq("a b", "x"), wantErr: `selector "a b == \"x\"": invalid label key "a b"`},
		{name: "key too long after prefix", sel: Has(strings.Repeat("k", 510)).PrefixLabels("pcns."),
			wantErr: fmt.Sprintf(`selector "has(pcns.%s)": invalid label key "pcns.%[1]s"`, strings.Repeat("k", 510))},
		{name: "too deep", sel: deep, wantErr: "operators nested too deeply (maximum 128)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sel.Validate()
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestZeroValue(t *testing.T) {
	var sel Selector
	assert.Equal(t, "all()", sel.String())
	assert.True(t, sel.Matches(nil))
	assert.True(t, sel.Matches(Set{"a": "b"}))
	assert.Nil(t, sel.LabelKeys())
	assert.Equal(t, MustParse("").String(), sel.String())
	assert.Equal(t, All().String(), sel.String())
}
