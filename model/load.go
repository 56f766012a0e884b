package model

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// StdinName is the file name problems give for objects read from standard
// input (the path "-" of Load).
const StdinName = "<stdin>"

// Load reads the objects in the files and directories at paths and builds a
// Cluster from them with Build. A directory is read recursively, its .yaml,
// .yml and .json files in lexical order, leaving out files and directories
// whose names start with a dot; a file named explicitly is read whatever its
// extension. The path "-" is standard input.
//
// Every problem in the input is reported at once: the error is a Problems,
// and the Cluster is nil whenever there is any problem.
func Load(opt Options, paths ...string) (*Cluster, error) {
	return load(osSource(), opt, paths)
}

// LoadFS is Load reading from fsys, whose paths are slash-separated (see
// io/fs). It has no standard input: "-" is an ordinary name.
func LoadFS(fsys fs.FS, opt Options, paths ...string) (*Cluster, error) {
	return load(fsSource(fsys), opt, paths)
}

// Read reads the Kubernetes objects in one YAML or JSON stream; name is the
// file name positions carry. On error (a Problems) the Objects are empty.
func Read(name string, r io.Reader) (Objects, error) {
	var rd objReader
	data, err := io.ReadAll(r)
	if err != nil {
		rd.errs.add(Position{File: name}, "", err.Error())
		return Objects{}, rd.errs.err()
	}
	rd.file(name, data)
	if err := rd.errs.err(); err != nil {
		return Objects{}, err
	}
	return rd.objs, nil
}

// Merge adds every object of other to o, sums the skipped counts and appends
// the notes. It checks nothing: Build reports duplicates.
func (o *Objects) Merge(other Objects) {
	o.Namespaces = append(o.Namespaces, other.Namespaces...)
	o.Pods = append(o.Pods, other.Pods...)
	o.Workloads = append(o.Workloads, other.Workloads...)
	o.Services = append(o.Services, other.Services...)
	o.ServiceAccounts = append(o.ServiceAccounts, other.ServiceAccounts...)
	o.HostEndpoints = append(o.HostEndpoints, other.HostEndpoints...)
	o.NetworkSets = append(o.NetworkSets, other.NetworkSets...)
	o.Profiles = append(o.Profiles, other.Profiles...)
	o.Tiers = append(o.Tiers, other.Tiers...)
	o.Policies = append(o.Policies, other.Policies...)
	for kind, n := range other.Skipped {
		if o.Skipped == nil {
			o.Skipped = map[string]int{}
		}
		o.Skipped[kind] += n
	}
	o.Notes = append(o.Notes, other.Notes...)
}

// inputSource is where Load finds its files: the operating system or an fs.FS.
type inputSource struct {
	stat  func(name string) (fs.FileInfo, error)
	walk  func(root string, fn fs.WalkDirFunc) error
	read  func(name string) ([]byte, error)
	stdin io.Reader // nil: "-" is an ordinary name
}

func osSource() inputSource {
	return inputSource{stat: os.Stat, walk: filepath.WalkDir, read: os.ReadFile, stdin: os.Stdin}
}

func fsSource(fsys fs.FS) inputSource {
	return inputSource{
		stat: func(name string) (fs.FileInfo, error) { return fs.Stat(fsys, name) },
		walk: func(root string, fn fs.WalkDirFunc) error { return fs.WalkDir(fsys, root, fn) },
		read: func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) },
	}
}

func load(src inputSource, opt Options, paths []string) (*Cluster, error) {
	var rd objReader
	if len(paths) == 0 {
		rd.errs.add(Position{}, "", "no input: give at least one file or directory")
	}
	for _, name := range src.files(paths, &rd.errs) {
		data, err := src.readFile(name)
		if name == "-" && src.stdin != nil {
			name = StdinName
		}
		if err != nil {
			rd.errs.add(Position{File: name}, "", pathErrorMsg(err))
			continue
		}
		rd.file(name, data)
	}
	if err := rd.errs.err(); err != nil {
		return nil, err
	}
	if note := skippedNote(rd.objs.Skipped); note != "" {
		rd.objs.Notes = append(rd.objs.Notes, note)
	}
	return Build(rd.objs, opt)
}

func (s inputSource) readFile(name string) ([]byte, error) {
	if name == "-" && s.stdin != nil {
		return io.ReadAll(s.stdin)
	}
	return s.read(name)
}

// files expands paths into the files to read, in order, each once.
func (s inputSource) files(paths []string, e *errs) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, p := range paths {
		if p == "-" && s.stdin != nil {
			add(p)
			continue
		}
		info, err := s.stat(p)
		if err != nil {
			e.add(Position{File: p}, "", pathErrorMsg(err))
			continue
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		found := 0
		err = s.walk(p, func(name string, entry fs.DirEntry, err error) error {
			if err != nil {
				e.add(Position{File: name}, "", pathErrorMsg(err))
				return nil
			}
			if name != p && strings.HasPrefix(entry.Name(), ".") {
				if entry.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if entry.IsDir() || !isManifest(name) {
				return nil
			}
			if entry.Type()&fs.ModeSymlink != 0 {
				// Read links to files, never follow links to directories.
				if info, err := s.stat(name); err == nil && info.IsDir() {
					return nil
				}
			}
			found++
			add(name)
			return nil
		})
		if err != nil {
			e.add(Position{File: p}, "", pathErrorMsg(err))
		} else if found == 0 {
			e.add(Position{File: p}, "", "no .yaml, .yml or .json files in this directory")
		}
	}
	return out
}

func isManifest(name string) bool {
	switch strings.ToLower(path.Ext(filepath.ToSlash(name))) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// pathErrorMsg drops the path and operation an fs.PathError repeats: the
// problem's position names the file already.
func pathErrorMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// objReader collects the objects and problems of one or more files.
type objReader struct {
	objs Objects
	errs errs
}

// file reads every document of one file. A YAML syntax error ends the file:
// the YAML decoder cannot resynchronise after one.
func (r *objReader) file(name string, data []byte) {
	start := len(r.errs.list)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	last := 0 // the last line of the documents read so far
	for doc := 1; ; doc++ {
		root, err := decodeYAMLDoc(dec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, msg := yamlErrorLine(err)
			if line == 0 {
				line = last + 1
			}
			r.errs.add(Position{File: name, Line: line, Doc: doc}, "",
				fmt.Sprintf("YAML syntax error: %s (the rest of the file cannot be read)", msg))
			break
		}
		if root == nil {
			continue // an empty or comment-only document, as Helm writes them
		}
		last = max(last, yamlLastLine(root))
		if r.checkAliases(root, Position{File: name, Doc: doc}, map[*yaml.Node]bool{}) {
			r.object(name, doc, root, nil)
		}
	}
	// Converters report in field order, which is not always line order.
	slices.SortStableFunc(r.errs.list[start:], func(a, b *Problem) int { return cmp.Compare(a.Pos.Line, b.Pos.Line) })
}

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

// checkAliases reports aliases to anchors of other documents, which the
// YAML library accepts but YAML (and kubectl) does not: anchors are local to
// their document. anchors holds the anchored nodes seen so far.
func (r *objReader) checkAliases(n *yaml.Node, pos Position, anchors map[*yaml.Node]bool) bool {
	if n.Anchor != "" {
		anchors[n] = true
	}
	if n.Kind == yaml.AliasNode && !anchors[n.Alias] {
		pos.Line = max(n.Line, 1)
		r.errs.add(pos, "", fmt.Sprintf("unknown anchor %q referenced (anchors are local to their document)", n.Value))
		return false
	}
	ok := true
	for _, c := range n.Content {
		ok = r.checkAliases(c, pos, anchors) && ok
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

// listTypeMeta is what an item of a typed list (NetworkPolicyList) inherits
// when it leaves out apiVersion and kind, as API responses do.
type listTypeMeta struct {
	apiVersion, kind string
}

// object reads one object, or each item of a List.
func (r *objReader) object(file string, doc int, n *yaml.Node, inherit *listTypeMeta) {
	n = yamlUnalias(n)
	pos := Position{File: file, Line: max(n.Line, 1), Doc: doc}
	if n.Kind != yaml.MappingNode {
		r.errs.add(pos, "", fmt.Sprintf("not a Kubernetes object: a YAML %s, not a mapping", yamlKindName(n)))
		return
	}
	if meta := yamlMapValue(n, "metadata"); meta != nil && meta.Kind == yaml.MappingNode {
		pos.Name = yamlScalar(yamlMapValue(meta, "name"))
		if pos.Name != "" {
			pos.Namespace = yamlScalar(yamlMapValue(meta, "namespace"))
		}
	}
	if k := yamlMapValue(n, "kind"); k != nil && k.ShortTag() == "!!str" {
		pos.Kind = k.Value
	}
	apiVersion, ok := r.typeField(n, "apiVersion", pos, inherit)
	if !ok {
		return
	}
	kind, ok := r.typeField(n, "kind", pos, inherit)
	if !ok {
		return
	}
	pos.Kind = kind
	if items := yamlMapValue(n, "items"); kind == "List" || strings.HasSuffix(kind, "List") && items != nil {
		r.list(file, doc, pos, apiVersion, kind, items)
		return
	}
	if _, known := registeredKinds()[kind]; known && pos.Name != "" {
		switch {
		case clusterScoped[kind]:
			pos.Namespace = ""
		case pos.Namespace == "":
			pos.Namespace = "default" // as kubectl would
		}
	}
	conv, ok := converterFor(apiVersion, kind)
	if !ok {
		if field, msg := unsupportedKind(apiVersion, kind); msg != "" {
			pos.Line = yamlFieldLine(n, field)
			r.errs.add(pos, field, msg)
			return
		}
		r.skip(apiVersion, kind)
		return
	}
	if !r.prepare(n, "", pos) {
		return
	}
	d, err := newDocument(n, pos, &r.errs)
	if err != nil {
		line, msg := yamlErrorLine(err)
		if line == 0 {
			line = pos.Line
		}
		pos.Line = line
		r.errs.add(pos, "", "cannot read the object: "+strings.TrimPrefix(msg, "json: "))
		return
	}
	d.apiVersion = apiVersion
	conv(d, &r.objs)
}

// typeField reads apiVersion or kind: a string, or inherited from a typed
// list.
func (r *objReader) typeField(n *yaml.Node, field string, pos Position, inherit *listTypeMeta) (string, bool) {
	v := yamlMapValue(n, field)
	if v == nil || v.ShortTag() == "!!null" {
		if inherit != nil && yamlMapValue(n, "apiVersion") == nil && yamlMapValue(n, "kind") == nil {
			if field == "kind" {
				return inherit.kind, true
			}
			return inherit.apiVersion, true
		}
		r.errs.add(pos, "", "not a Kubernetes object: missing "+field)
		return "", false
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || v.Value == "" {
		pos.Line = v.Line
		r.errs.add(pos, field, "not a Kubernetes object: want a non-empty string")
		return "", false
	}
	return v.Value, true
}

// list reads the items of a List (kind List, or any kind ending in List that
// has items); each item is an object of its own at the List's document
// number.
func (r *objReader) list(file string, doc int, pos Position, apiVersion, kind string, items *yaml.Node) {
	if items == nil || items.ShortTag() == "!!null" {
		return
	}
	if items.Kind != yaml.SequenceNode {
		pos.Line = items.Line
		r.errs.add(pos, "items", "want a list of objects")
		return
	}
	var inherit *listTypeMeta
	if kind != "List" {
		inherit = &listTypeMeta{apiVersion: apiVersion, kind: strings.TrimSuffix(kind, "List")}
	}
	for _, item := range items.Content {
		r.object(file, doc, item, inherit)
	}
}

func (r *objReader) skip(apiVersion, kind string) {
	if r.objs.Skipped == nil {
		r.objs.Skipped = map[string]int{}
	}
	key := kind
	if _, known := registeredKinds()[kind]; known {
		// A kind of another API group that shares a name with one reach
		// reads, e.g. Knative's Service: name the group too.
		key = kind + "." + groupOfAPIVersion(apiVersion)
	}
	r.objs.Skipped[key]++
}

func skippedNote(skipped map[string]int) string {
	if len(skipped) == 0 {
		return ""
	}
	total := 0
	var kinds []string
	for kind, n := range skipped {
		total += n
		kinds = append(kinds, fmt.Sprintf("%s %d", kind, n))
	}
	slices.Sort(kinds)
	objects := "objects"
	if total == 1 {
		objects = "object"
	}
	return fmt.Sprintf("skipped %d %s of kinds that cannot affect reachability: %s", total, objects, strings.Join(kinds, ", "))
}

// prepare checks what the conversion to JSON would lose or get wrong, each
// at its line: duplicate and non-string mapping keys. It also makes
// timestamps plain strings, as kubectl's YAML objReader does, so that an
// unquoted label value like 2024-01-02 stays what it says. It does not follow
// aliases: an anchored node is checked where it is defined.
func (r *objReader) prepare(n *yaml.Node, field string, pos Position) bool {
	ok := true
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!timestamp":
			n.Tag = "!!str"
		case "!!float":
			if v := strings.ToLower(strings.TrimLeft(n.Value, "+-")); v == ".inf" || v == ".nan" {
				pos.Line = n.Line
				r.errs.add(pos, field, fmt.Sprintf("%s is not a finite number, which JSON cannot hold", n.Value))
				return false
			}
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
