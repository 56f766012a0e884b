package selector

import (
	"fmt"
	"slices"
)

const (
	// MaxLength is the longest input, in bytes, that Parse accepts.
	MaxLength = 64 << 10

	// MaxLabelLength is the longest label, in bytes, that Parse accepts. It is
	// Calico's limit.
	MaxLabelLength = 512

	// MaxDepth is how deeply Parse lets parentheses nest, and how deeply the
	// &&, || and ! operators may nest in the parsed tree.
	MaxDepth = 128
)

// Error is a parse error. Offset is the byte offset in Input of the token or
// character that could not be accepted; it is len(Input) when the input ended
// too early.
type Error struct {
	Input  string // the selector text given to Parse
	Offset int    // byte offset of the problem in Input
	Msg    string // what was wrong, e.g. "expected label, found end of input"
}

// Error returns the message with the input and the offset, e.g.
//
//	selector "app == 'x' &&": offset 13: expected label, found end of input
func (e *Error) Error() string {
	return fmt.Sprintf("selector %q: offset %d: %s", e.Input, e.Offset, e.Msg)
}

// Parse parses a selector. The empty string, and a string of only spaces and
// TABs, parse to all(). A non-nil error is always an *Error.
func Parse(s string) (Selector, error) {
	root, err := parse(s)
	if err != nil {
		return Selector{}, err
	}
	return newSelector(root), nil
}

// MustParse is like Parse but panics if s is not a valid selector. It is meant
// for tests and for package-level constants whose text is fixed; never call it
// on user input.
func MustParse(s string) Selector {
	sel, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// parser is a recursive-descent parser over a lexer with one token of
// lookahead. On the first error it panics with an *Error, which parse
// recovers.
type parser struct {
	lex   lexer
	tok   token // the current, not yet consumed, token
	depth int   // open parentheses
}

func parse(s string) (root *node, err error) {
	if len(s) > MaxLength {
		return nil, &Error{Input: s, Offset: MaxLength, Msg: fmt.Sprintf("selector too long (%d bytes, maximum %d)", len(s), MaxLength)}
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r) // a bug in this package, not a parse error
			}
			root, err = nil, e
		}
	}()
	p := &parser{lex: lexer{input: s}}
	p.advance()
	if p.tok.kind == tokEOF {
		return allNode, nil
	}
	root, _ = p.orExpr()
	if p.tok.kind != tokEOF {
		p.failf(p.tok.pos, "expected %s, %s or end of input, found %s", tokenText[tokAnd], tokenText[tokOr], p.tok)
	}
	return root, nil
}

// failf stops parsing with an error at offset pos.
func (p *parser) failf(pos int, format string, args ...any) {
	panic(&Error{Input: p.lex.input, Offset: pos, Msg: fmt.Sprintf(format, args...)})
}

// advance moves to the next token, failing on a lexical error.
func (p *parser) advance() {
	p.tok = p.lex.next()
	if p.tok.kind == tokError {
		p.failf(p.tok.pos, "%s", p.tok.val)
	}
}

// orExpr parses and-expr { "||" and-expr }. Like all parse methods it returns
// the node and its height: the number of &&, || and ! nodes on the longest
// path from it to a leaf.
func (p *parser) orExpr() (*node, int) {
	return p.group(opOr, tokOr, p.andExpr)
}

// andExpr parses unary { "&&" unary }.
func (p *parser) andExpr() (*node, int) {
	return p.group(opAnd, tokAnd, p.unary)
}

// group parses operands separated by sep. Like Calico, a group of one is
// just that operand, and nested groups of the same operator are kept.
func (p *parser) group(o op, sep tokenKind, operand func() (*node, int)) (*node, int) {
	first, h := operand()
	if p.tok.kind != sep {
		return first, h
	}
	pos := p.tok.pos
	subs := make([]*node, 1, 4)
	subs[0] = first
	for p.tok.kind == sep {
		p.advance()
		n, nh := operand()
		subs = append(subs, n)
		h = max(h, nh)
	}
	return &node{op: o, sub: subs}, p.checkHeight(h+1, pos)
}

// unary parses { "!" } primary. Pairs of "!" cancel out.
func (p *parser) unary() (*node, int) {
	negate, pos := false, 0
	for p.tok.kind == tokNot {
		negate, pos = !negate, p.tok.pos
		p.advance()
	}
	n, h := p.primary()
	if !negate {
		return n, h
	}
	if n.op == opNot {
		return n.sub[0], h - 1
	}
	return notNode(n), p.checkHeight(h+1, pos)
}

func (p *parser) checkHeight(h, pos int) int {
	if h > MaxDepth {
		p.failf(pos, "operators nested too deeply (maximum %d)", MaxDepth)
	}
	return h
}

// primary parses a function form, a label with its operator and operand, or
// a parenthesised or-expr.
func (p *parser) primary() (*node, int) {
	t := p.tok
	switch t.kind {
	case tokHas:
		p.advance()
		return &node{op: opHas, key: t.val}, 0
	case tokAll:
		p.advance()
		return allNode, 0
	case tokGlobal:
		p.advance()
		return globalNode, 0
	case tokLabel:
		p.advance()
		return p.match(t.val), 0
	case tokLParen:
		if p.depth++; p.depth > MaxDepth {
			p.failf(t.pos, "parentheses nested too deeply (maximum %d)", MaxDepth)
		}
		p.advance()
		n, h := p.orExpr()
		if p.tok.kind != tokRParen {
			p.failf(p.tok.pos, "expected %s, %s or %s to close %s at offset %d, found %s",
				tokenText[tokAnd], tokenText[tokOr], tokenText[tokRParen], tokenText[tokLParen], t.pos, p.tok)
		}
		p.depth--
		p.advance()
		return n, h
	}
	p.failf(t.pos, "expected label, found %s", t)
	return nil, 0
}

// labelOps maps the operator tokens that take a string operand to their ops.
var labelOps = [...]op{
	tokEq:         opEq,
	tokNe:         opNotEq,
	tokContains:   opContains,
	tokStartsWith: opStartsWith,
	tokEndsWith:   opEndsWith,
}

// match parses the operator and operand after the label key.
func (p *parser) match(key string) *node {
	opTok := p.tok
	switch opTok.kind {
	case tokEq, tokNe, tokContains, tokStartsWith, tokEndsWith:
		p.advance()
		if p.tok.kind != tokString {
			p.failf(p.tok.pos, "expected string after %s, found %s", opTok, p.tok)
		}
		value := p.tok.val
		p.advance()
		return &node{op: labelOps[opTok.kind], key: key, value: value}
	case tokIn, tokNotIn:
		p.advance()
		if p.tok.kind != tokLBrace {
			p.failf(p.tok.pos, "expected %s after %s, found %s", tokenText[tokLBrace], opTok, p.tok)
		}
		p.advance()
		o := opIn
		if opTok.kind == tokNotIn {
			o = opNotIn
		}
		return &node{op: o, key: key, set: p.set()}
	}
	p.failf(opTok.pos, "expected operator after label %q, found %s", key, opTok)
	return nil
}

// set parses the body of a set literal, after "{", up to and including "}".
// It returns the values sorted and de-duplicated.
func (p *parser) set() []string {
	var values []string
	expected := `string or "}"`
	for p.tok.kind == tokString {
		values = append(values, p.tok.val)
		p.advance()
		if p.tok.kind != tokComma {
			expected = `"," or "}"`
			break
		}
		p.advance()
	}
	if p.tok.kind != tokRBrace {
		p.failf(p.tok.pos, "expected %s in set, found %s", expected, p.tok)
	}
	p.advance()
	return sortedSet(values)
}

// sortedSet sorts and de-duplicates values in place.
func sortedSet(values []string) []string {
	slices.Sort(values)
	return slices.Compact(values)
}
