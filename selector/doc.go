/*
Package selector implements Calico's label selector language, as accepted,
evaluated and printed by libcalico-go's selector parser
(libcalico-go/lib/selector/{tokenizer,parser}).

A selector is parsed once with [Parse] into an immutable [Selector], matched
many times with [Selector.Matches], and printed in Calico's canonical spelling
with [Selector.String]. Selectors can also be built directly with the
constructors ([Eq], [In], [Has], [And], [Or], [Not], ...) and rewritten the way
Calico scopes rule selectors ([Selector.PrefixLabels], [Selector.ReplaceAll],
[Selector.ReplaceGlobal]).

# Syntax

Whitespace is a space (0x20) or a TAB (0x09) and nothing else: a newline, a
carriage return or any other Unicode space outside a string literal is an
error, so a selector ending in "\n" is rejected.

The grammar, in EBNF (tokens in quotes are literal; whitespace may appear
between any two tokens except where noted):

	selector  = [ or-expr ] .                  (empty or blank means all())
	or-expr   = and-expr { "||" and-expr } .
	and-expr  = unary { "&&" unary } .
	unary     = { "!" } primary .
	primary   = "has(" label ")"               ("has" directly followed by "(")
	          | "all(" ")"                     ("all" directly followed by "(")
	          | "global(" ")"                  ("global" directly followed by "(")
	          | label "==" string
	          | label "!=" string
	          | label "contains" string
	          | label "starts" "with" string
	          | label "ends" "with" string
	          | label "in" "{" set "}"
	          | label "not" "in" "{" set "}"
	          | "(" or-expr ")" .
	set       = [ string { "," string } [ "," ] ] .
	label     = labelchar { labelchar } .      (at most 512 bytes)
	labelchar = "A"…"Z" | "a"…"z" | "0"…"9" | "_" | "." | "/" | "-" .
	string    = "'" { byte other than "'" } "'"
	          | `"` { byte other than `"` } `"` .

Lexical details that follow from Calico's tokenizer:

  - String literals have no escapes. A literal may contain the other quote
    character and newlines, but never its own quote character. Empty
    literals are allowed.
  - "==", "!=", "&&" and "||" are single tokens; a lone "=", "&" or "|" is an
    error. A "!" not followed by "=" is negation, so "a!='x'" is a != 'x'.
  - The word operators contains, starts with, ends with, in and not in are
    recognised only directly after a label, so every keyword is also a valid
    label name ("in == 'x'" compares the label "in"). The two words of
    starts with, ends with and not in may be separated by any number of
    spaces and tabs, including none ("startswith", "notin"). A word operator
    must be followed by the end of the input or a byte that cannot be part
    of a label: "a in{'x'}" is valid, "a inx" is not. For the two-word
    operators the check comes after any blanks that follow them, so
    "a starts with b" fails on the operator, not on the operand.
  - The function forms has(, all( and global( are recognised anywhere else;
    the parenthesis must follow the name directly ("has (a)" is the label
    "has" followed by "(", an error). Blanks are allowed inside the
    parentheses.
  - Labels may start with any label character, including a digit, ".", "/"
    or "-". They are case-sensitive; ":" and non-ASCII bytes are not label
    characters.

Precedence, from tightest to loosest: the match operators, parentheses, "!",
"&&", "||". A "!" applies to the one primary that follows it: "!a == 'x'" is
!(a == 'x'), and "!a == 'x' && b == 'y'" is (!(a == 'x')) && b == 'y'.
"&&" and "||" take any number of operands and are evaluated left to right with
short-circuiting. A set may be empty and may end with a comma; its values are
sorted and de-duplicated.

# Semantics

A selector is matched against a [Labels] value (a map from label key to
value). A label that is present with the empty value is different from an
absent label.

	Expression           True when                                     Label absent
	k == "v"             k is present and its value is exactly v       false
	k != "v"             k is absent, or its value is not v            true
	k in {...}           k is present and its value is in the set      false
	k not in {...}       k is absent, or its value is not in the set   true
	k contains "s"       k is present and its value contains s         false
	k starts with "s"    k is present and its value has prefix s       false
	k ends with "s"      k is present and its value has suffix s       false
	has(k)               k is present (even with an empty value)       false
	all()                always                                        -
	global()             always (its meaning comes from rewriting)     -
	!e                   e is false                                    -
	a && b, a || b       boolean and, or                               -

So k == "" matches only a present, empty label; k contains "" matches every
present label; k in {} never matches and k not in {} always matches. Values
are compared byte for byte. The empty selector is all(); !all() matches
nothing.

global() matches everything when evaluated directly. Calico gives it a
meaning only in a rule's namespaceSelector, where it is rewritten to
!has(projectcalico.org/namespace) ([Selector.ReplaceGlobal]), and resource
validation allows it only on its own ([Selector.IsGlobal]).

# Canonical form

[Selector.String] prints Calico's canonical form, byte for byte as
libcalico-go's Selector.String does:

  - comparisons as k == "v", k != "v", k contains "v", k starts with "v",
    k ends with "v", with a single space around the operator;
  - a value in double quotes, or in single quotes if it contains a double
    quote;
  - sets as k in {"a", "b"} and k not in {"a", "b"}, sorted and
    de-duplicated, each value quoted as above;
  - has(k), all(), global();
  - "!" directly before its operand, with pairs of "!" removed;
  - every && or || group of two or more operands in parentheses, and no
    other parentheses: "a == 'b' || c == 'd' && e == 'f'" prints as
    (a == "b" || (c == "d" && e == "f")). Groups are not flattened:
    "(a == 'b' && c == 'd') && e == 'f'" prints as
    ((a == "b" && c == "d") && e == "f"), as in Calico.

Parse(s.String()) returns a selector with the same String() and the same
matches for every selector s returned by [Parse].

One case differs from Calico on purpose. Calico cancels only "!" tokens that
are written next to each other, so it prints "!(!has(a))" as "!!has(a)",
which it then reads back as has(a): its canonical form is not a fixed point
there. This package cancels every double negation, so "!(!has(a))" prints as
has(a), which is what Calico prints for its own canonical form.

A selector built with the constructors can hold things no selector string can
express: a value containing both quote characters, or a key that is not a
valid label (empty, too long, or with other characters, including after
[Selector.PrefixLabels]). Such a selector still matches correctly, and String
prints it by the same rules (a value containing a double quote goes in single
quotes), but the result does not parse back to the same selector.
[Selector.Validate] reports this.

# Limits

[Parse] rejects, with an [*Error]:

  - input longer than [MaxLength] bytes (64 KiB). Kubernetes limits Calico
    selector fields to 1024 characters, so this only stops pathological
    input;
  - a label longer than [MaxLabelLength] (512) bytes, as Calico does;
  - parentheses nested more than [MaxDepth] (128) deep, and a parsed tree
    in which &&, || and ! operators nest more than [MaxDepth] deep. The
    second limit guarantees that the canonical form of every parsed
    selector, which adds a pair of parentheses for every && or || group,
    parses again. Runs of "!" are counted after cancelling pairs.

These limits keep the recursive-descent parser's stack bounded; no input makes
Parse or any other function in this package panic, except [MustParse].
*/
package selector
