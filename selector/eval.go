package selector

import (
	"slices"
	"strings"
)

// Labels is what a selector is matched against: a set of labels, each a key
// with a value. A present label with an empty value is different from an
// absent one.
type Labels interface {
	// Get returns the value of the label key and whether it is present.
	Get(key string) (value string, ok bool)
}

// Set is a plain label map implementing Labels. A nil Set has no labels.
type Set map[string]string

// Get returns the value of the label key and whether it is present.
func (s Set) Get(key string) (string, bool) {
	v, ok := s[key]
	return v, ok
}

// Matches reports whether the labels l satisfy s. A nil l has no labels.
// It does not allocate, and it stops evaluating && and || operands as soon as
// the result is known.
func (s Selector) Matches(l Labels) bool {
	if s.root == nil {
		return true
	}
	if l == nil {
		l = Set(nil)
	}
	return s.root.eval(l)
}

// linearSetMax is the size up to which set membership is a linear scan;
// larger sets use binary search.
const linearSetMax = 8

func (n *node) eval(l Labels) bool {
	switch n.op {
	case opAll, opGlobal:
		return true
	case opNot:
		return !n.sub[0].eval(l)
	case opAnd:
		for _, s := range n.sub {
			if !s.eval(l) {
				return false
			}
		}
		return true
	case opOr:
		for _, s := range n.sub {
			if s.eval(l) {
				return true
			}
		}
		return false
	}
	v, ok := l.Get(n.key)
	switch n.op {
	case opHas:
		return ok
	case opEq:
		return ok && v == n.value
	case opNotEq:
		return !ok || v != n.value
	case opContains:
		return ok && strings.Contains(v, n.value)
	case opStartsWith:
		return ok && strings.HasPrefix(v, n.value)
	case opEndsWith:
		return ok && strings.HasSuffix(v, n.value)
	case opIn:
		return ok && inSet(n.set, v)
	case opNotIn:
		return !ok || !inSet(n.set, v)
	}
	return false
}

// inSet reports whether v is in the sorted set.
func inSet(set []string, v string) bool {
	if len(set) <= linearSetMax {
		for _, s := range set {
			if s == v {
				return true
			}
		}
		return false
	}
	_, found := slices.BinarySearch(set, v)
	return found
}
