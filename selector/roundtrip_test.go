package selector

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validTestSelectors returns every valid selector in this package's test
// tables.
func validTestSelectors() []string {
	var out []string
	for _, tc := range calicoSelectorTests {
		out = append(out, tc.sel)
	}
	for _, tc := range calicoCanonicalisationTests {
		out = append(out, tc.input, tc.want)
	}
	for _, tc := range calicoPrefixTests {
		out = append(out, tc.input, tc.want)
	}
	for _, tc := range parseTreeTests {
		out = append(out, tc.input)
	}
	for _, tc := range stringTests {
		out = append(out, tc.input, tc.want)
	}
	for _, tc := range matchTests {
		out = append(out, tc.sel)
	}
	for _, tc := range specEdgeCases {
		if tc.wantValid {
			out = append(out, tc.sel)
		}
	}
	for _, tc := range benchSelectors {
		out = append(out, tc.sel)
	}
	return out
}

// invalidTestSelectors returns every invalid selector in this package's test
// tables.
func invalidTestSelectors() []string {
	out := append([]string(nil), calicoBadSelectors...)
	for _, tc := range parseErrorTests {
		out = append(out, tc.input)
	}
	for _, tc := range specEdgeCases {
		if !tc.wantValid {
			out = append(out, tc.sel)
		}
	}
	for _, tc := range calicoTokenTests {
		if tc.want == nil {
			out = append(out, tc.input)
		}
	}
	return out
}

// testTableLabelSets returns every label set in this package's test tables.
func testTableLabelSets() []Set {
	out := append([]Set(nil), testLabelSets...)
	for _, tc := range calicoSelectorTests {
		out = append(out, tc.matches...)
		out = append(out, tc.nonMatches...)
	}
	for _, tc := range matchTests {
		out = append(out, tc.labels)
	}
	for _, tc := range specEdgeCases {
		out = append(out, tc.labels)
	}
	return out
}

// TestRoundTrip checks, for every valid selector in the tables, that its
// canonical form parses to the same canonical form and matches exactly the
// same label sets.
func TestRoundTrip(t *testing.T) {
	labelSets := testTableLabelSets()
	for _, input := range validTestSelectors() {
		t.Run(input, func(t *testing.T) {
			sel, err := Parse(input)
			require.NoError(t, err)
			require.NoError(t, sel.Validate())
			again, err := Parse(sel.String())
			require.NoError(t, err)
			require.Equal(t, sel.String(), again.String())
			require.Equal(t, dump(sel.tree()), dump(again.tree()))
			for _, labels := range labelSets {
				assert.Equal(t, sel.Matches(labels), again.Matches(labels), "labels %v", labels)
			}
		})
	}
}

func TestInvalidSelectors(t *testing.T) {
	for _, input := range invalidTestSelectors() {
		t.Run(input, func(t *testing.T) {
			_, err := Parse(input)
			var perr *Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, input, perr.Input)
			assert.GreaterOrEqual(t, perr.Offset, 0)
			assert.LessOrEqual(t, perr.Offset, len(input))
			assert.NotEmpty(t, perr.Msg)
		})
	}
}
