package selector

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokenKind identifies the kind of a lexical token.
type tokenKind uint8

const (
	tokError      tokenKind = iota // lexical error; val holds the message
	tokEOF                         // end of input
	tokLabel                       // label name; val holds it
	tokString                      // quoted literal; val holds its content
	tokLParen                      // (
	tokRParen                      // )
	tokLBrace                      // {
	tokRBrace                      // }
	tokComma                       // ,
	tokEq                          // ==
	tokNe                          // !=
	tokNot                         // !
	tokAnd                         // &&
	tokOr                          // ||
	tokContains                    // contains
	tokStartsWith                  // starts with
	tokEndsWith                    // ends with
	tokIn                          // in
	tokNotIn                       // not in
	tokHas                         // has(label); val holds the label
	tokAll                         // all()
	tokGlobal                      // global()
)

// tokenText is how each fixed token is quoted in error messages.
var tokenText = [...]string{
	tokLParen:     `"("`,
	tokRParen:     `")"`,
	tokLBrace:     `"{"`,
	tokRBrace:     `"}"`,
	tokComma:      `","`,
	tokEq:         `"=="`,
	tokNe:         `"!="`,
	tokNot:        `"!"`,
	tokAnd:        `"&&"`,
	tokOr:         `"||"`,
	tokContains:   `"contains"`,
	tokStartsWith: `"starts with"`,
	tokEndsWith:   `"ends with"`,
	tokIn:         `"in"`,
	tokNotIn:      `"not in"`,
	tokAll:        `"all()"`,
	tokGlobal:     `"global()"`,
}

// token is one lexical token and the byte offset where it starts.
type token struct {
	kind tokenKind
	pos  int
	val  string
}

// String describes the token for error messages, e.g. `label "a"` or `"&&"`.
func (t token) String() string {
	switch t.kind {
	case tokError:
		return "error: " + t.val
	case tokEOF:
		return "end of input"
	case tokLabel:
		return fmt.Sprintf("label %q", t.val)
	case tokString:
		return fmt.Sprintf("string %q", t.val)
	case tokHas:
		return fmt.Sprintf("%q", "has("+t.val+")")
	}
	return tokenText[t.kind]
}

// wordOps are the operators that may follow a label, in the order Calico's
// tokenizer tries them. Multi-word operators may have blanks between their
// words, or none.
var wordOps = [...]struct {
	kind  tokenKind
	words []string
}{
	{tokContains, []string{"contains"}},
	{tokStartsWith, []string{"starts", "with"}},
	{tokEndsWith, []string{"ends", "with"}},
	{tokNotIn, []string{"not", "in"}},
	{tokIn, []string{"in"}},
}

// lexer splits a selector into tokens on demand. Its only state beyond the
// position is the previous token, because the word operators are recognised
// only directly after a label.
type lexer struct {
	input string
	pos   int
	last  token
}

// next returns the next token. After a tokError or tokEOF it must not be
// called again.
func (l *lexer) next() token {
	t := l.scan()
	l.last = t
	return t
}

// scan reads one token, or an error token, from the current position.
func (l *lexer) scan() token {
	l.pos = skipBlanks(l.input, l.pos)
	start := l.pos
	if start == len(l.input) {
		return token{kind: tokEOF, pos: start}
	}
	switch c := l.input[start]; c {
	case '(':
		return l.emit(tokLParen, start, 1)
	case ')':
		return l.emit(tokRParen, start, 1)
	case '{':
		return l.emit(tokLBrace, start, 1)
	case '}':
		return l.emit(tokRBrace, start, 1)
	case ',':
		return l.emit(tokComma, start, 1)
	case '"', '\'':
		n := strings.IndexByte(l.input[start+1:], c)
		if n < 0 {
			return l.errorf(start, "unterminated string")
		}
		l.pos = start + 1 + n + 1
		return token{kind: tokString, pos: start, val: l.input[start+1 : start+1+n]}
	case '=':
		return l.pair(tokEq, start, "==")
	case '&':
		return l.pair(tokAnd, start, "&&")
	case '|':
		return l.pair(tokOr, start, "||")
	case '!':
		if strings.HasPrefix(l.input[start:], "!=") {
			return l.emit(tokNe, start, 2)
		}
		return l.emit(tokNot, start, 1)
	}
	if l.last.kind == tokLabel {
		return l.operator(start)
	}
	rest := l.input[start:]
	switch {
	case strings.HasPrefix(rest, "has("):
		return l.has(start)
	case strings.HasPrefix(rest, "all("):
		return l.call(tokAll, start, len("all("))
	case strings.HasPrefix(rest, "global("):
		return l.call(tokGlobal, start, len("global("))
	case isLabelByte(rest[0]):
		end := labelEnd(l.input, start)
		if t, bad := l.checkLabel(start, end); bad {
			return t
		}
		l.pos = end
		return token{kind: tokLabel, pos: start, val: l.input[start:end]}
	}
	return l.errorf(start, "unexpected %s", describeByte(l.input, start))
}

// emit returns a token of kind k that is n bytes long.
func (l *lexer) emit(k tokenKind, start, n int) token {
	l.pos = start + n
	return token{kind: k, pos: start}
}

// pair lexes a two-byte operator whose first byte is at start.
func (l *lexer) pair(k tokenKind, start int, op string) token {
	if !strings.HasPrefix(l.input[start:], op) {
		return l.errorf(start, "expected %q, found %q", op, op[:1])
	}
	return l.emit(k, start, 2)
}

// operator lexes the word operator that must follow a label.
func (l *lexer) operator(start int) token {
	for _, op := range wordOps {
		if end, ok := matchWords(l.input, start, op.words); ok {
			return l.emit(op.kind, start, end-start)
		}
	}
	return l.errorf(start, "expected operator after label %q, found %s", l.last.val, describeAt(l.input, start))
}

// matchWords reports whether the words, separated by optional blanks, appear
// at pos followed by a word boundary, and where the match ends. As in Calico,
// blanks after the last word of a multi-word operator are skipped before the
// boundary is checked.
func matchWords(s string, pos int, words []string) (int, bool) {
	for _, w := range words {
		if !strings.HasPrefix(s[pos:], w) {
			return 0, false
		}
		pos += len(w)
		if len(words) > 1 {
			pos = skipBlanks(s, pos)
		}
	}
	if pos < len(s) && isLabelByte(s[pos]) {
		return 0, false
	}
	return pos, true
}

// has lexes "has(" label ")" starting at start.
func (l *lexer) has(start int) token {
	pos := skipBlanks(l.input, start+len("has("))
	end := labelEnd(l.input, pos)
	if t, bad := l.checkLabel(pos, end); bad {
		return t
	}
	label := l.input[pos:end]
	pos = skipBlanks(l.input, end)
	if pos == len(l.input) || l.input[pos] != ')' {
		return l.errorf(pos, "expected %q to close %q, found %s", ")", "has("+label, describeAt(l.input, pos))
	}
	l.pos = pos + 1
	return token{kind: tokHas, pos: start, val: label}
}

// call lexes a function form with no arguments, such as "all(" ")"; the
// name and "(" are n bytes long.
func (l *lexer) call(k tokenKind, start, n int) token {
	pos := skipBlanks(l.input, start+n)
	if pos == len(l.input) || l.input[pos] != ')' {
		return l.errorf(pos, "expected %q after %q, found %s", ")", l.input[start:start+n], describeAt(l.input, pos))
	}
	l.pos = pos + 1
	return token{kind: k, pos: start}
}

// checkLabel returns an error token if the label s[pos:end] is empty or too
// long.
func (l *lexer) checkLabel(pos, end int) (token, bool) {
	switch {
	case end == pos:
		return l.errorf(pos, "expected label, found %s", describeAt(l.input, pos)), true
	case end-pos > MaxLabelLength:
		return l.errorf(pos, "label too long (%d bytes, maximum %d)", end-pos, MaxLabelLength), true
	}
	return token{}, false
}

func (l *lexer) errorf(pos int, format string, args ...any) token {
	return token{kind: tokError, pos: pos, val: fmt.Sprintf(format, args...)}
}

// skipBlanks returns the offset of the first byte at or after pos that is
// not a space or a TAB.
func skipBlanks(s string, pos int) int {
	for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
		pos++
	}
	return pos
}

// labelEnd returns the end of the run of label bytes that starts at pos.
func labelEnd(s string, pos int) int {
	for pos < len(s) && isLabelByte(s[pos]) {
		pos++
	}
	return pos
}

// isLabelByte reports whether c may appear in a label.
func isLabelByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '/' || c == '-'
}

// describeAt describes the raw input at pos for an error message: the end
// of input, the label that starts there, or the character there.
func describeAt(s string, pos int) string {
	if pos >= len(s) {
		return "end of input"
	}
	if end := labelEnd(s, pos); end > pos {
		return fmt.Sprintf("label %q", s[pos:end])
	}
	return describeByte(s, pos)
}

// describeByte quotes the character at pos, or names the byte if it does
// not start valid UTF-8.
func describeByte(s string, pos int) string {
	r, size := utf8.DecodeRuneInString(s[pos:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", s[pos])
	}
	return fmt.Sprintf("%q", string(r))
}
