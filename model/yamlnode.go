package model

// Reading YAML nodes: the YAML library's errors, and what must be checked or
// fixed before a node becomes JSON.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeYAMLDoc returns the next document's root node, nil for an empty
// document, or io.EOF at the end of the stream.
func decodeYAMLDoc(dec *yaml.Decoder) (root *yaml.Node, err error) {
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		return nil, err
	}
	if len(n.Content) == 0 {
		return nil, nil
	}
	root = n.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:\s*)?line (\d+): `)

// yamlParserProblems are the messages of the YAML parser (as opposed to its
// scanner). The YAML library reports their lines counting from 0, and its
// scanner's from 1.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlErrorLine splits "yaml: line 7: did not find expected key" into the
// line and the message. The line is 0 when the error has none.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	line, _ := strconv.Atoi(m[1])
	msg = msg[len(m[0]):]
	if yamlParserProblems[msg] {
		line++
	}
	return line, msg
}

// checkDocument reports aliases to anchors of other documents, which the
// YAML library accepts but YAML (and kubectl) does not: anchors are local to
// their document. anchors holds the anchored nodes seen so far. It also
// makes timestamps plain strings, as kubectl's YAML reader does, so that an
// unquoted label value like 2024-01-02 stays what it says.
func (r *objReader) checkDocument(n *yaml.Node, pos Position, anchors map[*yaml.Node]bool) bool {
	if n.Anchor != "" {
		anchors[n] = true
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!timestamp" {
		n.Tag = "!!str"
	}
	if n.Kind == yaml.AliasNode && !anchors[n.Alias] {
		pos.Line = max(n.Line, 1)
		r.errs.add(pos, "", fmt.Sprintf("unknown anchor %q referenced (anchors are local to their document)", n.Value))
		return false
	}
	ok := true
	for _, c := range n.Content {
		ok = r.checkDocument(c, pos, anchors) && ok
	}
	return ok
}

// yamlLastLine returns the greatest line of any node under n, not following
// aliases.
func yamlLastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, yamlLastLine(c))
	}
	return l
}

// prepare checks what the conversion to JSON would lose or get wrong, each
// at its line: duplicate and non-string mapping keys, infinities and NaNs.
// It does not follow aliases: an anchored node is checked where it is
// defined.
func (r *objReader) prepare(n *yaml.Node, field string, pos Position) bool {
	ok := true
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!float" {
			break
		}
		if v := strings.ToLower(strings.TrimLeft(n.Value, "+-")); v == ".inf" || v == ".nan" {
			pos.Line = n.Line
			r.errs.add(pos, field, fmt.Sprintf("%s is not a finite number, which JSON cannot hold", n.Value))
			return false
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			ok = r.prepare(c, field+"["+strconv.Itoa(i)+"]", pos) && ok
		}
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				ok = r.prepare(v, field, pos) && ok
				continue
			}
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				pos.Line = k.Line
				r.errs.add(pos, field, fmt.Sprintf("mapping key %s is not a string", yamlKeyText(k)))
				ok = false
				continue
			}
			f := k.Value
			if field != "" {
				f = field + "." + k.Value
			}
			if first, dup := seen[k.Value]; dup {
				pos.Line = k.Line
				r.errs.add(pos, f, fmt.Sprintf("duplicate field (first at line %d)", first))
				ok = false
				continue
			}
			seen[k.Value] = k.Line
			ok = r.prepare(v, f, pos) && ok
		}
	}
	return ok
}

func yamlKeyText(k *yaml.Node) string {
	if k.Kind == yaml.ScalarNode {
		return strconv.Quote(k.Value)
	}
	return "of kind " + yamlKindName(k)
}

func yamlUnalias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// yamlMapValue returns the value of key in mapping n, or nil.
func yamlMapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return yamlUnalias(n.Content[i+1])
		}
	}
	return nil
}

// yamlScalar returns the text of a scalar node, "" for anything else.
func yamlScalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// yamlFieldLine returns the line of a top-level field of n, or n's line.
func yamlFieldLine(n *yaml.Node, field string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Value == field {
			return k.Line
		}
	}
	return max(n.Line, 1)
}

func yamlKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}
