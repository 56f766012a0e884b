package selector

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is an *Error
// pointing into the input, and that a valid selector's canonical form parses
// back to the same canonical form and matches the same label sets.
func FuzzParse(f *testing.F) {
	for _, s := range append(validTestSelectors(), invalidTestSelectors()...) {
		if len(s) <= 1024 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, input string) {
		sel, err := Parse(input)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) error %v is a %T, not an *Error", input, err, err)
			}
			if perr.Input != input || perr.Offset < 0 || perr.Offset > len(input) || perr.Msg == "" {
				t.Fatalf("Parse(%q): bad error %#v", input, perr)
			}
			return
		}
		canon := sel.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", input, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("Parse(%q) printed %q, which prints as %q", input, canon, again)
		}
		if err := sel.Validate(); err != nil {
			t.Fatalf("Parse(%q).Validate() = %v", input, err)
		}
		keys := sel.LabelKeys()
		if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
			t.Fatalf("Parse(%q).LabelKeys() = %q, not sorted and unique", input, keys)
		}
		for _, labels := range derivedLabelSets(sel) {
			if got, want := again.Matches(labels), sel.Matches(labels); got != want {
				t.Fatalf("Parse(%q).Matches(%v) = %v, but its canonical form %q gives %v", input, labels, want, canon, got)
			}
		}
	})
}

// derivedLabelSets returns a few label sets built from the keys and values in
// sel: none; every key with the same value, for a few values; and every other
// key with one of the values.
func derivedLabelSets(sel Selector) []Set {
	keys := sel.LabelKeys()
	values := []string{""}
	sel.tree().any(func(n *node) bool {
		if n.hasKey() {
			values = append(values, n.value)
			values = append(values, n.set...)
		}
		return len(values) > 6
	})
	sets := []Set{{}}
	for i, v := range values {
		same, alternate := Set{}, Set{}
		for j, k := range keys {
			same[k] = v
			if (i+j)%2 == 0 {
				alternate[k] = v + "x"
			}
		}
		sets = append(sets, same, alternate)
	}
	return sets
}
