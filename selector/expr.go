package selector

import (
	"fmt"
	"slices"
	"strings"
)

// op is the operator of a node.
type op uint8

const (
	opAll        op = iota // all()
	opGlobal               // global()
	opHas                  // has(key)
	opEq                   // key == value
	opNotEq                // key != value
	opContains             // key contains value
	opStartsWith           // key starts with value
	opEndsWith             // key ends with value
	opIn                   // key in {set}
	opNotIn                // key not in {set}
	opNot                  // !sub[0]
	opAnd                  // sub[0] && sub[1] && ...
	opOr                   // sub[0] || sub[1] || ...
)

// opText is how the canonical form spells each binary operator.
var opText = [...]string{
	opEq:         " == ",
	opNotEq:      " != ",
	opContains:   " contains ",
	opStartsWith: " starts with ",
	opEndsWith:   " ends with ",
	opIn:         " in ",
	opNotIn:      " not in ",
	opAnd:        " && ",
	opOr:         " || ",
}

// node is one node of a selector tree. Nodes are never modified once built,
// so trees share subtrees freely.
//
// A tree built by this package never has a ! directly above another !, and
// its && and || nodes have at least two operands.
type node struct {
	op    op
	key   string   // label key, for opHas through opNotIn
	value string   // operand, for opEq through opEndsWith
	set   []string // sorted, de-duplicated operand, for opIn and opNotIn
	sub   []*node  // one operand for opNot; two or more for opAnd and opOr
}

var (
	allNode    = &node{op: opAll}
	globalNode = &node{op: opGlobal}
)

// hasKey reports whether n is a leaf that reads a label.
func (n *node) hasKey() bool {
	return opHas <= n.op && n.op <= opNotIn
}

func notNode(n *node) *node {
	return &node{op: opNot, sub: []*node{n}}
}

// negate returns !n, cancelling a double negation.
func negate(n *node) *node {
	if n.op == opNot {
		return n.sub[0]
	}
	return notNode(n)
}

// appendTo appends the canonical form of n to b.
func (n *node) appendTo(b []byte) []byte {
	switch n.op {
	case opAll:
		return append(b, "all()"...)
	case opGlobal:
		return append(b, "global()"...)
	case opHas:
		b = append(b, "has("...)
		b = append(b, n.key...)
		return append(b, ')')
	case opEq, opNotEq, opContains, opStartsWith, opEndsWith:
		b = append(b, n.key...)
		b = append(b, opText[n.op]...)
		return appendQuoted(b, n.value)
	case opIn, opNotIn:
		b = append(b, n.key...)
		b = append(b, opText[n.op]...)
		b = append(b, '{')
		for i, v := range n.set {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendQuoted(b, v)
		}
		return append(b, '}')
	case opNot:
		return n.sub[0].appendTo(append(b, '!'))
	default: // opAnd, opOr
		b = append(b, '(')
		for i, s := range n.sub {
			if i > 0 {
				b = append(b, opText[n.op]...)
			}
			b = s.appendTo(b)
		}
		return append(b, ')')
	}
}

// appendQuoted appends v in double quotes, or in single quotes if v contains
// a double quote, as Calico does.
func appendQuoted(b []byte, v string) []byte {
	q := byte('"')
	if strings.IndexByte(v, '"') >= 0 {
		q = '\''
	}
	b = append(b, q)
	b = append(b, v...)
	return append(b, q)
}

// any reports whether f is true for n or any node below it.
func (n *node) any(f func(*node) bool) bool {
	if f(n) {
		return true
	}
	for _, s := range n.sub {
		if s.any(f) {
			return true
		}
	}
	return false
}

// mapLeaves returns n with every leaf l replaced by f(l). Unchanged subtrees
// are shared with n, and a ! above a ! that f introduces is cancelled.
func (n *node) mapLeaves(f func(*node) *node) *node {
	switch n.op {
	case opNot:
		s := n.sub[0].mapLeaves(f)
		if s == n.sub[0] {
			return n
		}
		return negate(s)
	case opAnd, opOr:
		subs := make([]*node, len(n.sub))
		changed := false
		for i, s := range n.sub {
			subs[i] = s.mapLeaves(f)
			changed = changed || subs[i] != s
		}
		if !changed {
			return n
		}
		return &node{op: n.op, sub: subs}
	}
	return f(n)
}

// Selector is a parsed label selector. It is an immutable value and is safe
// for concurrent use. Its zero value is all(), which matches every label set.
//
// Selectors must not be compared with ==; two selectors are equal when their
// String() is equal.
type Selector struct {
	root *node  // nil for the zero value, which is all()
	text string // canonical form of root, computed once
}

func newSelector(n *node) Selector {
	var buf [128]byte // most selectors print in fewer bytes; saves regrowing
	return Selector{root: n, text: string(n.appendTo(buf[:0]))}
}

// tree returns the root node, treating the zero value as all().
func (s Selector) tree() *node {
	if s.root == nil {
		return allNode
	}
	return s.root
}

// String returns Calico's canonical form of s; see the package
// documentation. The zero value prints as all().
func (s Selector) String() string {
	if s.root == nil {
		return "all()"
	}
	return s.text
}

// IsAll reports whether s is exactly all(): the zero value, or the result of
// parsing "all()" or a blank string.
func (s Selector) IsAll() bool {
	return s.tree().op == opAll
}

// IsGlobal reports whether s is exactly global(). Calico allows global() only
// on its own in a rule's namespaceSelector.
func (s Selector) IsGlobal() bool {
	return s.tree().op == opGlobal
}

// HasGlobal reports whether global() appears anywhere in s.
func (s Selector) HasGlobal() bool {
	return s.tree().any(func(n *node) bool { return n.op == opGlobal })
}

// LabelKeys returns the sorted, de-duplicated keys of the labels s reads. It
// returns nil if s reads no labels.
func (s Selector) LabelKeys() []string {
	var keys []string
	s.tree().any(func(n *node) bool {
		if n.hasKey() {
			keys = append(keys, n.key)
		}
		return false
	})
	slices.Sort(keys)
	return slices.Compact(keys)
}

// PrefixLabels returns s with every label key k replaced by prefix+k, the
// rewrite Calico applies to namespace selectors ("pcns.") and service
// account selectors ("pcsa."). Operators and values are unchanged.
func (s Selector) PrefixLabels(prefix string) Selector {
	if prefix == "" {
		return s
	}
	return s.rewrite(func(n *node) *node {
		if !n.hasKey() {
			return n
		}
		m := *n
		m.key = prefix + n.key
		return &m
	})
}

// ReplaceAll returns s with every all() replaced by with. Calico applies it
// after scoping a namespace selector, replacing all() by
// has(projectcalico.org/namespace). Calico substitutes text in the canonical
// form; replacing tree nodes gives the same selector, except that a value
// spelled "all()" inside quotes is left alone.
func (s Selector) ReplaceAll(with Selector) Selector {
	w := with.tree()
	return s.rewrite(func(n *node) *node {
		if n.op == opAll {
			return w
		}
		return n
	})
}

// ReplaceGlobal returns s with every global() replaced by with. Calico
// replaces global() in a rule's namespace selector by
// !has(projectcalico.org/namespace). A ! in front of global() cancels with
// a ! at the top of with.
func (s Selector) ReplaceGlobal(with Selector) Selector {
	w := with.tree()
	return s.rewrite(func(n *node) *node {
		if n.op == opGlobal {
			return w
		}
		return n
	})
}

func (s Selector) rewrite(f func(*node) *node) Selector {
	n := s.tree().mapLeaves(f)
	if n == s.root {
		return s
	}
	return newSelector(n)
}

// Validate reports whether String() is a selector that parses back to s. It
// returns nil for every selector returned by Parse. A selector built with the
// constructors or rewritten can fail it: a label key that is empty, longer
// than MaxLabelLength or holds a character not allowed in labels; a value
// that contains both a single and a double quote; or a tree nested deeper
// than MaxDepth.
func (s Selector) Validate() error {
	var err error
	s.tree().any(func(n *node) bool {
		if n.hasKey() {
			if end := labelEnd(n.key, 0); end != len(n.key) || end == 0 || end > MaxLabelLength {
				err = fmt.Errorf("selector %q: invalid label key %q", s, n.key)
				return true
			}
		}
		for _, v := range append([]string{n.value}, n.set...) {
			if strings.ContainsRune(v, '"') && strings.ContainsRune(v, '\'') {
				err = fmt.Errorf("selector %q: value %q contains both quote characters", s, v)
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	p, err := Parse(s.String())
	if err != nil {
		return err
	}
	if p.String() != s.String() {
		return fmt.Errorf("selector %q reads back as %q", s, p)
	}
	return nil
}

// All returns all(), which matches every label set. It is the zero Selector.
func All() Selector { return Selector{} }

// Global returns global().
func Global() Selector { return newSelector(globalNode) }

// Has returns has(key), which matches when the label key is present.
func Has(key string) Selector { return leaf(opHas, key, "") }

// Eq returns key == value, which matches when the label key is present and
// equal to value.
func Eq(key, value string) Selector { return leaf(opEq, key, value) }

// NotEq returns key != value, which matches when the label key is absent or
// not equal to value.
func NotEq(key, value string) Selector { return leaf(opNotEq, key, value) }

// Contains returns key contains sub, which matches when the label key is
// present and its value contains sub.
func Contains(key, sub string) Selector { return leaf(opContains, key, sub) }

// StartsWith returns key starts with prefix, which matches when the label key
// is present and its value starts with prefix.
func StartsWith(key, prefix string) Selector { return leaf(opStartsWith, key, prefix) }

// EndsWith returns key ends with suffix, which matches when the label key is
// present and its value ends with suffix.
func EndsWith(key, suffix string) Selector { return leaf(opEndsWith, key, suffix) }

// In returns key in {values}, which matches when the label key is present and
// its value is one of values. With no values it matches nothing.
func In(key string, values ...string) Selector {
	return newSelector(&node{op: opIn, key: key, set: sortedSet(slices.Clone(values))})
}

// NotIn returns key not in {values}, which matches when the label key is
// absent or its value is none of values. With no values it matches
// everything.
func NotIn(key string, values ...string) Selector {
	return newSelector(&node{op: opNotIn, key: key, set: sortedSet(slices.Clone(values))})
}

func leaf(o op, key, value string) Selector {
	return newSelector(&node{op: o, key: key, value: value})
}

// And returns a selector that matches when every operand matches. And() is
// All(), and And(x) is x. An operand that is itself an && group contributes
// its operands, so And(And(a, b), c) prints as (a && b && c), whereas
// Parse("(a && b) && c") keeps Calico's nesting, ((a && b) && c).
func And(operands ...Selector) Selector {
	return group(opAnd, operands)
}

// Or returns a selector that matches when any operand matches. Or(x) is x. Or()
// matches nothing and prints as !all(), Calico's spelling of a selector that
// matches nothing. An operand that is itself an || group contributes its
// operands.
func Or(operands ...Selector) Selector {
	return group(opOr, operands)
}

func group(o op, operands []Selector) Selector {
	switch len(operands) {
	case 0:
		if o == opAnd {
			return All()
		}
		return newSelector(notNode(allNode))
	case 1:
		return operands[0]
	}
	var subs []*node
	for _, s := range operands {
		if n := s.tree(); n.op == o {
			subs = append(subs, n.sub...)
		} else {
			subs = append(subs, n)
		}
	}
	return newSelector(&node{op: o, sub: subs})
}

// Not returns a selector that matches when s does not. Not(Not(x)) is x.
func Not(s Selector) Selector {
	return newSelector(negate(s.tree()))
}
