package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	k8sjson "sigs.k8s.io/json"
)

// document is one Kubernetes object read from the input: a YAML or JSON
// document, or one item of a List. It knows the line of every field, so a
// converter can report a problem at the field that causes it.
type document struct {
	pos        Position // File, Line (of the object), Doc, Kind, Namespace, Name
	apiVersion string
	raw        []byte         // the object as JSON
	lines      map[string]int // field path ("spec.ingress[0].ports") -> line
	errs       *errs
}

// newDocument turns a YAML node (a mapping) into a document at pos; the
// document's line is the node's.
func newDocument(n *yaml.Node, pos Position, e *errs) (*document, error) {
	v, err := nodeValue(n)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := &document{pos: pos, raw: raw, lines: map[string]int{}, errs: e}
	d.pos.Line = n.Line
	indexLines(n, "", d.lines)
	return d, nil
}

// documentFromJSON makes a document of one object given as JSON, as a
// cluster returns it: there are no lines, so problems carry pos as it is.
func documentFromJSON(raw []byte, pos Position, e *errs) *document {
	return &document{pos: pos, raw: raw, lines: map[string]int{}, errs: e}
}

// nodeValue converts a YAML node to plain Go values with YAML 1.2 scalar
// rules: only true/false are booleans, so y, yes, on, off stay strings.
func nodeValue(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return jsonable(v)
}

// jsonable checks that every mapping key is a string, as Kubernetes objects
// need, and converts what json.Marshal cannot take.
func jsonable(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			c, err := jsonable(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			t[k] = c
		}
		return t, nil
	case map[any]any:
		for k := range t {
			return nil, fmt.Errorf("mapping key %v is not a string", k)
		}
		return map[string]any{}, nil
	case []any:
		for i, e := range t {
			c, err := jsonable(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			t[i] = c
		}
		return t, nil
	}
	return v, nil
}

// indexLines records the line of every field below n under its path.
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexLines(c, path, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			lines[p] = k.Line
			indexLines(v, p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			lines[p] = c.Line
			indexLines(c, p, lines)
		}
	}
}

// lineOf returns the line of field, or of its nearest ancestor that has one.
func (d *document) lineOf(field string) int {
	for f := field; f != ""; f = parentPath(f) {
		if l, ok := d.lines[f]; ok {
			return l
		}
	}
	return d.pos.Line
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// at returns the document's position with the line of field.
func (d *document) at(field string) Position {
	p := d.pos
	p.Line = d.lineOf(field)
	return p
}

// problem records a problem at field.
func (d *document) problem(field, format string, args ...any) {
	d.errs.add(d.at(field), field, fmt.Sprintf(format, args...))
}

// decode reads the document strictly into obj (a pointer to an API type):
// unknown and duplicate fields and type mismatches are problems, each at its
// field. It reports whether obj may be used.
func (d *document) decode(obj any) bool {
	strict, err := k8sjson.UnmarshalStrict(d.raw, obj)
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			d.problem(te.Field, "cannot read %s as %s", te.Value, te.Type)
		} else {
			d.problem("", "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return false
	}
	for _, s := range strict {
		var fe k8sjson.FieldError
		if errors.As(s, &fe) {
			msg := strings.TrimPrefix(s.Error(), "json: ")
			if i := strings.Index(msg, " \""); i > 0 {
				msg = msg[:i] // "unknown field", "duplicate field"
			}
			d.problem(fe.FieldPath(), "%s", msg)
		} else {
			d.problem("", "%s", strings.TrimPrefix(s.Error(), "json: "))
		}
	}
	return len(strict) == 0
}
