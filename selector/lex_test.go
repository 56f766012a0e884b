package selector

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lexAll lexes input to the end. It returns every token up to and including
// tokEOF, or the first tokError.
func lexAll(input string) []token {
	l := lexer{input: input}
	var toks []token
	for {
		t := l.next()
		toks = append(toks, t)
		if t.kind == tokEOF || t.kind == tokError || len(toks) > len(input)+1 {
			return toks
		}
	}
}

// withoutPos drops token positions, for comparing with tables that have none.
func withoutPos(toks []token) []token {
	out := make([]token, len(toks))
	for i, t := range toks {
		out[i] = token{kind: t.kind, val: t.val}
	}
	return out
}

func TestLexCalico(t *testing.T) {
	for _, tc := range calicoTokenTests {
		t.Run(tc.input, func(t *testing.T) {
			toks := lexAll(tc.input)
			last := toks[len(toks)-1]
			if tc.want == nil {
				assert.Equal(t, tokError, last.kind, "tokens: %v", toks)
				return
			}
			assert.Equal(t, tc.want, withoutPos(toks))
		})
	}
}

func TestLex(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []token
	}{
		{
			name:  "positions",
			input: " a\t== 'b' ",
			want: []token{
				{kind: tokLabel, pos: 1, val: "a"},
				{kind: tokEq, pos: 3},
				{kind: tokString, pos: 6, val: "b"},
				{kind: tokEOF, pos: 10},
			},
		},
		{
			name:  "every punctuation token",
			input: `(){},!=!&&||==`,
			want: []token{
				{kind: tokLParen, pos: 0}, {kind: tokRParen, pos: 1}, {kind: tokLBrace, pos: 2},
				{kind: tokRBrace, pos: 3}, {kind: tokComma, pos: 4}, {kind: tokNe, pos: 5},
				{kind: tokNot, pos: 7}, {kind: tokAnd, pos: 8}, {kind: tokOr, pos: 10},
				{kind: tokEq, pos: 12}, {kind: tokEOF, pos: 14},
			},
		},
		{
			name:  "string keeps the other quote and newlines",
			input: `'a"b` + "\n" + `' "it's"`,
			want: []token{
				{kind: tokString, pos: 0, val: "a\"b\n"},
				{kind: tokString, pos: 7, val: "it's"},
				{kind: tokEOF, pos: 13},
			},
		},
		{
			name:  "empty strings",
			input: `''""`,
			want:  []token{{kind: tokString, pos: 0}, {kind: tokString, pos: 2}, {kind: tokEOF, pos: 4}},
		},
		{
			name:  "keywords are labels when not after a label",
			input: "in in contains",
			want: []token{
				{kind: tokLabel, pos: 0, val: "in"}, {kind: tokIn, pos: 3},
				{kind: tokLabel, pos: 6, val: "contains"}, {kind: tokEOF, pos: 14},
			},
		},
		{
			name:  "not in without blank",
			input: "a notin{'x'}",
			want: []token{
				{kind: tokLabel, pos: 0, val: "a"}, {kind: tokNotIn, pos: 2}, {kind: tokLBrace, pos: 7},
				{kind: tokString, pos: 8, val: "x"}, {kind: tokRBrace, pos: 11}, {kind: tokEOF, pos: 12},
			},
		},
		{
			name:  "starts with tab between words",
			input: "a starts\twith'x'",
			want: []token{
				{kind: tokLabel, pos: 0, val: "a"}, {kind: tokStartsWith, pos: 2},
				{kind: tokString, pos: 13, val: "x"}, {kind: tokEOF, pos: 16},
			},
		},
		{
			name:  "in followed by a non-label byte",
			input: `a in"x"`,
			want: []token{
				{kind: tokLabel, pos: 0, val: "a"}, {kind: tokIn, pos: 2},
				{kind: tokString, pos: 4, val: "x"}, {kind: tokEOF, pos: 7},
			},
		},
		{
			name:  "has with blanks inside",
			input: "has(\t a/b )",
			want:  []token{{kind: tokHas, pos: 0, val: "a/b"}, {kind: tokEOF, pos: 11}},
		},
		{
			name:  "all and global with blanks inside",
			input: "all( ) global(\t)",
			want:  []token{{kind: tokAll, pos: 0}, {kind: tokGlobal, pos: 7}, {kind: tokEOF, pos: 16}},
		},
		{
			name:  "function names without parenthesis are labels",
			input: "has all global",
			want: []token{
				{kind: tokLabel, pos: 0, val: "has"}, {kind: tokError, pos: 4,
					val: `expected operator after label "has", found label "all"`},
			},
		},
		{
			name:  "label charset",
			input: "Az09_./- == ''",
			want: []token{
				{kind: tokLabel, pos: 0, val: "Az09_./-"}, {kind: tokEq, pos: 9},
				{kind: tokString, pos: 12}, {kind: tokEOF, pos: 14},
			},
		},
		{
			name:  "label of 512 bytes",
			input: strings.Repeat("x", 512),
			want:  []token{{kind: tokLabel, pos: 0, val: strings.Repeat("x", 512)}, {kind: tokEOF, pos: 512}},
		},
		{
			name:  "blank only",
			input: " \t ",
			want:  []token{{kind: tokEOF, pos: 3}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, lexAll(tc.input))
		})
	}
}

func TestLexErrors(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantPos int
		wantMsg string
	}{
		{name: "percent", input: "%", wantPos: 0, wantMsg: `unexpected "%"`},
		{name: "newline", input: "a == 'b'\n", wantPos: 8, wantMsg: `unexpected "\n"`},
		{name: "carriage return", input: "\r", wantPos: 0, wantMsg: `unexpected "\r"`},
		{name: "non-breaking space", input: "\u00a0", wantPos: 0, wantMsg: `unexpected "\u00a0"`},
		{name: "non-ASCII", input: "é == 'x'", wantPos: 0, wantMsg: `unexpected "é"`},
		{name: "invalid UTF-8", input: "\xff", wantPos: 0, wantMsg: "unexpected byte 0xff"},
		{name: "colon in label", input: "a:b == 'x'", wantPos: 1, wantMsg: `expected operator after label "a", found ":"`},
		{name: "single =", input: "a = 'x'", wantPos: 2, wantMsg: `expected "==", found "="`},
		{name: "triple =", input: "a === 'x'", wantPos: 4, wantMsg: `expected "==", found "="`},
		{name: "=!", input: "a =! 'x'", wantPos: 2, wantMsg: `expected "==", found "="`},
		{name: "single &", input: "has(a) & has(b)", wantPos: 7, wantMsg: `expected "&&", found "&"`},
		{name: "single |", input: "has(a) | has(b)", wantPos: 7, wantMsg: `expected "||", found "|"`},
		{name: "triple |", input: "has(a) ||| has(b)", wantPos: 9, wantMsg: `expected "||", found "|"`},
		{name: "! space =", input: "a ! = 'x'", wantPos: 4, wantMsg: `expected "==", found "="`},
		{name: "unterminated double", input: `a == "FOO`, wantPos: 5, wantMsg: "unterminated string"},
		{name: "unterminated single", input: `a == 'FOO`, wantPos: 5, wantMsg: "unterminated string"},
		{name: "mixed quotes", input: `"FOO'`, wantPos: 0, wantMsg: "unterminated string"},
		{name: "word after label", input: "a b", wantPos: 2, wantMsg: `expected operator after label "a", found label "b"`},
		{name: "in without boundary", input: "a inx {}", wantPos: 2, wantMsg: `expected operator after label "a", found label "inx"`},
		{name: "with without boundary", input: "a ends withx 'x'", wantPos: 2, wantMsg: `expected operator after label "a", found label "ends"`},
		{name: "withs", input: `label ends withs "value"`, wantPos: 6, wantMsg: `expected operator after label "label", found label "ends"`},
		{name: "not in followed by label", input: "a not in x", wantPos: 2, wantMsg: `expected operator after label "a", found label "not"`},
		{name: "angle brackets", input: "a <> 'x'", wantPos: 2, wantMsg: `expected operator after label "a", found "<"`},
		{name: "label too long", input: strings.Repeat("a", 513) + " == 'x'", wantPos: 0, wantMsg: "label too long (513 bytes, maximum 512)"},
		{name: "has label too long", input: "has( " + strings.Repeat("a", 513) + ")", wantPos: 5, wantMsg: "label too long (513 bytes, maximum 512)"},
		{name: "has()", input: "has()", wantPos: 4, wantMsg: `expected label, found ")"`},
		{name: "has( )", input: "has( )", wantPos: 5, wantMsg: `expected label, found ")"`},
		{name: "has(a", input: "has(a", wantPos: 5, wantMsg: `expected ")" to close "has(a", found end of input`},
		{name: "has( foo ", input: "has( foo ", wantPos: 9, wantMsg: `expected ")" to close "has(foo", found end of input`},
		{name: "has(a b)", input: "has(a b)", wantPos: 6, wantMsg: `expected ")" to close "has(a", found label "b"`},
		{name: "has(%)", input: "has(%)", wantPos: 4, wantMsg: `expected label, found "%"`},
		{name: "all(", input: "all(", wantPos: 4, wantMsg: `expected ")" after "all(", found end of input`},
		{name: "all(x)", input: "all(x)", wantPos: 4, wantMsg: `expected ")" after "all(", found label "x"`},
		{name: "global(", input: "global(", wantPos: 7, wantMsg: `expected ")" after "global(", found end of input`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := lexAll(tc.input)
			last := toks[len(toks)-1]
			require.Equal(t, tokError, last.kind, "tokens: %v", toks)
			assert.Equal(t, tc.wantPos, last.pos)
			assert.Equal(t, tc.wantMsg, last.val)
		})
	}
}

func TestTokenString(t *testing.T) {
	tests := []struct {
		name string
		tok  token
		want string
	}{
		{name: "eof", tok: token{kind: tokEOF}, want: "end of input"},
		{name: "label", tok: token{kind: tokLabel, val: "a/b"}, want: `label "a/b"`},
		{name: "string", tok: token{kind: tokString, val: `x"y`}, want: `string "x\"y"`},
		{name: "has", tok: token{kind: tokHas, val: "k"}, want: `"has(k)"`},
		{name: "all", tok: token{kind: tokAll}, want: `"all()"`},
		{name: "not in", tok: token{kind: tokNotIn}, want: `"not in"`},
		{name: "error", tok: token{kind: tokError, val: "boom"}, want: "error: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.tok.String())
		})
	}
}
