package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Snapshot is what ReadCluster read from a running cluster: every object of
// the kinds reach reads, as the API server returned it less the metadata it
// maintains for itself (managedFields, resourceVersion, uid, generation,
// creationTimestamp, kubectl's last-applied-configuration annotation).
//
// Build makes the model from it with the converters the file loaders use,
// and WriteYAML or WriteJSON write it as a file that Load reads back into
// the same model.
type Snapshot struct {
	// Source names the cluster in positions and problems: the kubeconfig
	// context, or "in-cluster".
	Source string
	// Namespace is the only namespace pods were read from; "" for all.
	// Every other kind is read from all namespaces: policies apply across
	// namespaces.
	Namespace string
	// Notes are facts about the read that a user should see next to any
	// result: API groups the cluster does not serve, the namespace pods were
	// read from. Build adds them to the Cluster's notes; the files WriteYAML
	// writes carry them as comments.
	Notes []string

	objects []liveObject
}

// liveObject is one object read, as cleaned JSON.
type liveObject struct {
	apiVersion, kind string
	raw              []byte
}

// Len returns how many objects the snapshot holds.
func (s *Snapshot) Len() int { return len(s.objects) }

// Objects converts every object of the snapshot as Load would convert the
// same objects from a file. Every problem is reported at once, as a
// Problems, each at SOURCE (Kind ns/name).
func (s *Snapshot) Objects() (Objects, error) {
	var rd objReader
	for _, o := range s.objects {
		pos := Position{File: s.Source, Kind: o.kind}
		var meta struct {
			Metadata struct{ Name, Namespace string }
		}
		if err := json.Unmarshal(o.raw, &meta); err == nil {
			pos.Namespace, pos.Name = meta.Metadata.Namespace, meta.Metadata.Name
		}
		conv, ok := converterFor(o.apiVersion, o.kind)
		if !ok {
			// Every resource ReadCluster lists has a converter.
			rd.errs.add(pos, "", fmt.Sprintf("internal error: no converter for %s %s", o.apiVersion, o.kind))
			continue
		}
		d := documentFromJSON(o.raw, pos, &rd.errs)
		d.apiVersion = o.apiVersion
		conv(d, &rd.objs)
	}
	if err := rd.errs.err(); err != nil {
		return Objects{}, err
	}
	rd.objs.Notes = append(rd.objs.Notes, s.Notes...)
	return rd.objs, nil
}

// Build converts the snapshot's objects (see Objects) and builds a Cluster
// from them.
func (s *Snapshot) Build(opt Options) (*Cluster, error) {
	objs, err := s.Objects()
	if err != nil {
		return nil, err
	}
	return Build(objs, opt)
}

// WriteYAML writes the snapshot as one multi-document YAML stream, an object
// a document, after a comment naming the source and holding the notes.
func (s *Snapshot) WriteYAML(w io.Writer) error {
	b := bufio.NewWriter(w)
	for _, line := range s.header() {
		fmt.Fprintf(b, "# %s\n", line)
	}
	for _, o := range s.objects {
		v, err := o.value()
		if err != nil {
			return err
		}
		// One encoder a document: yaml.v3's Encoder keeps what it wrote
		// until it is closed, hundreds of MiB for a large cluster.
		b.WriteString("---\n")
		enc := yaml.NewEncoder(b)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
	}
	return b.Flush()
}

// WriteJSON writes the snapshot as one JSON List (apiVersion v1, kind List)
// of the objects, indented. JSON has no comments: the notes are left out.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [")
	for i, o := range s.objects {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		var buf bytes.Buffer
		if err := json.Indent(&buf, o.raw, "    ", "  "); err != nil {
			return err
		}
		b.Write(buf.Bytes())
	}
	if len(s.objects) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	return b.Flush()
}

func (s *Snapshot) header() []string {
	lines := []string{fmt.Sprintf("reach snapshot of %s: %d objects", s.Source, len(s.objects))}
	for _, n := range s.Notes {
		lines = append(lines, "note: "+strings.ReplaceAll(n, "\n", " "))
	}
	return lines
}

// value decodes the object for the YAML encoder, numbers kept as written.
func (o liveObject) value() (any, error) {
	dec := json.NewDecoder(bytes.NewReader(o.raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return yamlNumbers(v), nil
}

// yamlNumbers replaces every json.Number in v with an int64 or, when it is
// not an integer, a float64: the YAML encoder would quote a json.Number.
func yamlNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = yamlNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = yamlNumbers(e)
		}
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
	}
	return v
}
