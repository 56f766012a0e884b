package selector

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseTreeTests are valid selectors with the exact tree they parse to.
var parseTreeTests = []struct {
	name  string
	input string
	want  string // dump of the tree
}{
	{name: "empty", input: "", want: "all"},
	{name: "blank", input: " \t ", want: "all"},
	{name: "all", input: "all()", want: "all"},
	{name: "all in parens", input: " (all() )", want: "all"},
	{name: "global", input: "global( )", want: "global"},
	{name: "has", input: "has( a/b )", want: "has{a/b}"},
	{name: "eq", input: `a == "b"`, want: `eq{a "b"}`},
	{name: "ne greedy", input: `a!='b'`, want: `ne{a "b"}`},
	{name: "contains", input: `a contains''`, want: `contains{a ""}`},
	{name: "startswith", input: `a startswith'x'`, want: `startswith{a "x"}`},
	{name: "ends with", input: "a ends \t with 'x'", want: `endswith{a "x"}`},
	{name: "in sorted and de-duplicated", input: `a in {'b', "a", 'b'}`, want: `in{a ["a" "b"]}`},
	{name: "in trailing comma", input: `a in {'x',}`, want: `in{a ["x"]}`},
	{name: "in empty", input: `a in {}`, want: `in{a []}`},
	{name: "notin no blank", input: `a notin{'x'}`, want: `notin{a ["x"]}`},
	{name: "in no blank", input: `a in{"x"}`, want: `in{a ["x"]}`},
	{name: "keyword in as label", input: `in == 'x'`, want: `eq{in "x"}`},
	{name: "keyword not as label", input: `not in {'a'}`, want: `in{not ["a"]}`},
	{name: "keyword has as label", input: `has == 'x'`, want: `eq{has "x"}`},
	{name: "keyword all as label", input: `all != 'x'`, want: `ne{all "x"}`},
	{name: "keyword contains as label", input: `contains contains 'contains'`, want: `contains{contains "contains"}`},
	{name: "label starting with digit", input: `1abc == 'x'`, want: `eq{1abc "x"}`},
	{name: "label starting with punctuation", input: `-./_ == 'x'`, want: `eq{-./_ "x"}`},
	{name: "tabs around", input: "\ta == 'b'\t", want: `eq{a "b"}`},
	{name: "newline inside string", input: "a == 'x\ny'", want: `eq{a "x\ny"}`},
	{name: "and or precedence", input: `a == 'b' || c == 'd' && e == 'f'`,
		want: `or{eq{a "b"} and{eq{c "d"} eq{e "f"}}}`},
	{name: "not binds to one primary", input: `!a == 'x' && b == 'y'`,
		want: `and{not{eq{a "x"}} eq{b "y"}}`},
	{name: "not before in", input: `!a in {"a"}`, want: `not{in{a ["a"]}}`},
	{name: "double not", input: `!!has(a)`, want: "has{a}"},
	{name: "triple not with blanks", input: `! ! !has(a)`, want: "not{has{a}}"},
	{name: "not not through parens", input: `!(!has(a))`, want: "has{a}"},
	{name: "not all", input: `!all()`, want: "not{all}"},
	{name: "not group", input: `!(has(a) || has(b))`, want: "not{or{has{a} has{b}}}"},
	{name: "n-ary and", input: `has(a) && has(b) && has(c)`, want: "and{has{a} has{b} has{c}}"},
	{name: "nested groups kept", input: `(has(a) && has(b)) && has(c)`, want: "and{and{has{a} has{b}} has{c}}"},
	{name: "redundant parens", input: `((has(a))) || ((has(b)))`, want: "or{has{a} has{b}}"},
	{name: "global in a group", input: `global() && a == 'b'`, want: `and{global eq{a "b"}}`},
}

func TestParseTree(t *testing.T) {
	for _, tc := range parseTreeTests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.input)
			require.NoError(t, err)
			assert.Equal(t, tc.want, dump(sel.tree()))
		})
	}
}

// parseErrorTests has at least one case for every class of error in
// semantics.md §5.8, with the offset and message.
var parseErrorTests = []struct {
	name    string
	input   string
	wantOff int
	wantMsg string
}{
	// Bad characters or bytes.
	{name: "percent", input: `%`, wantOff: 0, wantMsg: `unexpected "%"`},
	{name: "percent after and", input: `a == "b" && %`, wantOff: 12, wantMsg: `unexpected "%"`},
	{name: "non-ASCII", input: `a == 'b' || ü == 'x'`, wantOff: 12, wantMsg: `unexpected "ü"`},
	{name: "colon in label", input: `a:b == 'x'`, wantOff: 1, wantMsg: `expected operator after label "a", found ":"`},
	{name: "trailing newline", input: "a == 'b'\n", wantOff: 8, wantMsg: `unexpected "\n"`},
	{name: "newline between tokens", input: "a ==\n'b'", wantOff: 4, wantMsg: `unexpected "\n"`},
	// Incomplete operators.
	{name: "single =", input: `a = 'b'`, wantOff: 2, wantMsg: `expected "==", found "="`},
	{name: "lone &", input: `foo == "bar" &`, wantOff: 13, wantMsg: `expected "&&", found "&"`},
	{name: "lone |", input: `foo == "bar" |`, wantOff: 13, wantMsg: `expected "||", found "|"`},
	{name: "===", input: `a === 'b'`, wantOff: 4, wantMsg: `expected "==", found "="`},
	{name: "|||", input: `has(a) ||| has(b)`, wantOff: 9, wantMsg: `expected "||", found "|"`},
	{name: "=!", input: `a =! 'b'`, wantOff: 2, wantMsg: `expected "==", found "="`},
	{name: "! =", input: `! = 'b'`, wantOff: 2, wantMsg: `expected "==", found "="`},
	// Label followed by a non-operator or by nothing.
	{name: "label label", input: `a b`, wantOff: 2, wantMsg: `expected operator after label "a", found label "b"`},
	{name: "bare label", input: `a`, wantOff: 1, wantMsg: `expected operator after label "a", found end of input`},
	{name: "label blank", input: `a `, wantOff: 2, wantMsg: `expected operator after label "a", found end of input`},
	{name: "angle brackets", input: `a <> 'x'`, wantOff: 2, wantMsg: `expected operator after label "a", found "<"`},
	{name: "label string", input: `a 'x'`, wantOff: 2, wantMsg: `expected operator after label "a", found string "x"`},
	{name: "label not", input: `a !has(b)`, wantOff: 2, wantMsg: `expected operator after label "a", found "!"`},
	// Right-hand side not a string literal.
	{name: "label == label", input: `b == b`, wantOff: 5, wantMsg: `expected string after "==", found label "b"`},
	{name: "label == number", input: `a == 123`, wantOff: 5, wantMsg: `expected string after "==", found label "123"`},
	{name: "literal on the left", input: `'b1' == b`, wantOff: 0, wantMsg: `expected label, found string "b1"`},
	{name: "contains label", input: `b contains b`, wantOff: 11, wantMsg: `expected string after "contains", found label "b"`},
	{name: "ends with label", input: `b ends with  'x' && b ends with b`, wantOff: 22, wantMsg: `expected operator after label "b", found label "ends"`},
	{name: "starts with label", input: `b starts with b`, wantOff: 2, wantMsg: `expected operator after label "b", found label "starts"`},
	{name: "ne operator", input: `foo != ||`, wantOff: 7, wantMsg: `expected string after "!=", found "||"`},
	{name: "in label", input: `a in c`, wantOff: 5, wantMsg: `expected "{" after "in", found label "c"`},
	{name: "in string", input: `foo in ""`, wantOff: 7, wantMsg: `expected "{" after "in", found string ""`},
	{name: "not in string", input: `a not in "x"`, wantOff: 9, wantMsg: `expected "{" after "not in", found string "x"`},
	{name: "dangling ==", input: `a ==`, wantOff: 4, wantMsg: `expected string after "==", found end of input`},
	// Unbalanced parentheses or braces.
	{name: "lone (", input: `(`, wantOff: 1, wantMsg: `expected label, found end of input`},
	{name: "unclosed (", input: `(a == "foo"`, wantOff: 11,
		wantMsg: `expected "&&", "||" or ")" to close "(" at offset 0, found end of input`},
	{name: "lone )", input: `)`, wantOff: 0, wantMsg: `expected label, found ")"`},
	{name: "empty parens", input: `()`, wantOff: 1, wantMsg: `expected label, found ")"`},
	{name: "extra )", input: `a == 'x')`, wantOff: 8, wantMsg: `expected "&&", "||" or end of input, found ")"`},
	{name: "unclosed set", input: `a in {'x'`, wantOff: 9, wantMsg: `expected "," or "}" in set, found end of input`},
	{name: "set leading comma", input: `a in {,}`, wantOff: 6, wantMsg: `expected string or "}" in set, found ","`},
	{name: "set double comma", input: `a in {'x',,}`, wantOff: 10, wantMsg: `expected string or "}" in set, found ","`},
	{name: "set missing comma", input: `a in {'x' 'y'}`, wantOff: 10, wantMsg: `expected "," or "}" in set, found string "y"`},
	{name: "set then ||", input: `foo in {"", ||`, wantOff: 12, wantMsg: `expected string or "}" in set, found "||"`},
	// Unterminated string.
	{name: "unterminated double", input: `"FOO`, wantOff: 0, wantMsg: "unterminated string"},
	{name: "unterminated single", input: `'FOO`, wantOff: 0, wantMsg: "unterminated string"},
	{name: "mismatched quotes", input: `a == "FOO'`, wantOff: 5, wantMsg: "unterminated string"},
	// Malformed functions.
	{name: "has()", input: `has()`, wantOff: 4, wantMsg: `expected label, found ")"`},
	{name: "has(a", input: `has(a`, wantOff: 5, wantMsg: `expected ")" to close "has(a", found end of input`},
	{name: "has(a b)", input: `has(a b)`, wantOff: 6, wantMsg: `expected ")" to close "has(a", found label "b"`},
	{name: "has (a)", input: `has (a)`, wantOff: 4, wantMsg: `expected operator after label "has", found "("`},
	{name: "all(", input: `all(`, wantOff: 4, wantMsg: `expected ")" after "all(", found end of input`},
	{name: "all ()", input: `all ()`, wantOff: 4, wantMsg: `expected operator after label "all", found "("`},
	{name: "global(", input: `global(`, wantOff: 7, wantMsg: `expected ")" after "global(", found end of input`},
	// Dangling logic.
	{name: "lone !", input: `!`, wantOff: 1, wantMsg: `expected label, found end of input`},
	{name: "!!", input: `!!`, wantOff: 2, wantMsg: `expected label, found end of input`},
	{name: "trailing &&", input: `a == 'b' &&`, wantOff: 11, wantMsg: `expected label, found end of input`},
	{name: "leading &&", input: `&& a == 'b'`, wantOff: 0, wantMsg: `expected label, found "&&"`},
	{name: "has trailing &&", input: `has(foo) &&`, wantOff: 11, wantMsg: `expected label, found end of input`},
	{name: "leading !=", input: `!= 'x'`, wantOff: 0, wantMsg: `expected label, found "!="`},
	{name: "two expressions", input: `a == 'b' c == 'd'`, wantOff: 9, wantMsg: `expected "&&", "||" or end of input, found label "c"`},
	{name: "two functions", input: `has(a) has(b)`, wantOff: 7, wantMsg: `expected "&&", "||" or end of input, found "has(b)"`},
	// Label over 512 bytes.
	{name: "label 513", input: strings.Repeat("a", 513) + ` == 'x'`, wantOff: 0, wantMsg: "label too long (513 bytes, maximum 512)"},
	{name: "label 513 in has", input: `has(` + strings.Repeat("a", 513) + `)`, wantOff: 4, wantMsg: "label too long (513 bytes, maximum 512)"},
	{name: "label 513 later", input: `has(a) && ` + strings.Repeat("a", 513) + ` == 'x'`, wantOff: 10, wantMsg: "label too long (513 bytes, maximum 512)"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.input)
			var perr *Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, &Error{Input: tc.input, Offset: tc.wantOff, Msg: tc.wantMsg}, perr)
			assert.True(t, sel.IsAll(), "a failed Parse returns the zero Selector")
		})
	}
}

func TestErrorString(t *testing.T) {
	_, err := Parse("app == 'x' &&")
	require.Error(t, err)
	assert.Equal(t, `selector "app == 'x' &&": offset 13: expected label, found end of input`, err.Error())

	_, err = Parse("a == 'b'\n")
	require.Error(t, err)
	assert.Equal(t, `selector "a == 'b'\n": offset 8: unexpected "\n"`, err.Error())
}

func TestParseLimits(t *testing.T) {
	// notAnd nests k levels of !(has(a) && ...): 2k operator levels in k
	// parentheses.
	notAnd := func(k int) string {
		return strings.Repeat("!(has(a) && ", k) + "has(b)" + strings.Repeat(")", k)
	}
	// orAnd nests k levels of (has(a) || has(a) && ...): k parentheses that
	// print as 2k.
	orAnd := func(k int) string {
		return strings.Repeat("(has(a) || has(a) && ", k) + "has(b)" + strings.Repeat(")", k)
	}
	valid := []struct {
		name  string
		input string
	}{
		{name: "MaxLength bytes", input: "has(a)" + strings.Repeat(" ", MaxLength-len("has(a)"))},
		{name: "label 512", input: strings.Repeat("a", 512) + " == 'x'"},
		{name: "MaxDepth parentheses", input: strings.Repeat("(", MaxDepth) + "has(a)" + strings.Repeat(")", MaxDepth)},
		{name: "long run of !", input: strings.Repeat("!", 60001) + "has(a)"},
		{name: "MaxDepth operators", input: notAnd(MaxDepth / 2)},
		{name: "MaxDepth operators printing MaxDepth parentheses", input: orAnd(MaxDepth / 2)},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.input)
			require.NoError(t, err)
			again, err := Parse(sel.String())
			require.NoError(t, err, "canonical form must parse again")
			assert.Equal(t, sel.String(), again.String())
		})
	}

	invalid := []struct {
		name    string
		input   string
		wantOff int
		wantMsg string
	}{
		{
			name:    "too long",
			input:   "has(a)" + strings.Repeat(" ", MaxLength+1-len("has(a)")),
			wantOff: MaxLength,
			wantMsg: "selector too long (65537 bytes, maximum 65536)",
		},
		{
			name:    "parentheses too deep",
			input:   strings.Repeat("(", MaxDepth+1) + "has(a)" + strings.Repeat(")", MaxDepth+1),
			wantOff: MaxDepth,
			wantMsg: "parentheses nested too deeply (maximum 128)",
		},
		{
			name:    "parentheses far too deep",
			input:   strings.Repeat("(", 30000),
			wantOff: MaxDepth,
			wantMsg: "parentheses nested too deeply (maximum 128)",
		},
		{
			name:    "operators too deep",
			input:   notAnd(MaxDepth/2 + 1),
			wantOff: len("!(has(a) "),
			wantMsg: "operators nested too deeply (maximum 128)",
		},
		{
			name:    "groups too deep",
			input:   orAnd(MaxDepth/2 + 1),
			wantOff: len("(has(a) || has(a) "),
			wantMsg: "operators nested too deeply (maximum 128)",
		},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.input)
			var perr *Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tc.wantOff, perr.Offset)
			assert.Equal(t, tc.wantMsg, perr.Msg)
		})
	}
}

func TestMustParse(t *testing.T) {
	assert.Equal(t, `a == "b"`, MustParse("a == 'b'").String())
	assert.PanicsWithError(t, `selector "a ==": offset 4: expected string after "==", found end of input`, func() {
		MustParse("a ==")
	})
}

var benchSelectors = []struct {
	name string
	sel  string
}{
	{name: "calico", sel: `! (a == "b"&&! c != "d") || !(a == "b" && !c != "d")`},
	{name: "k8s", sel: `projectcalico.org/orchestrator == 'k8s' && app == 'web' && tier in { 'frontend', 'backend' } && ! has(canary)`},
	{name: "simple", sel: `app == 'web'`},
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range benchSelectors {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.sel); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
