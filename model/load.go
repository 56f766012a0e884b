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
	"slices"
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
// extension. The path "-" is standard input. A document that is a reach
// expectations file (a mapping with expect: and no apiVersion or kind, see
// reach check) is left out, so that one can live next to the manifests.
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
	clean func(name string) string // "dir/" and "./a.yaml" name dir and a.yaml
	stat  func(name string) (fs.FileInfo, error)
	walk  func(root string, fn fs.WalkDirFunc) error
	read  func(name string) ([]byte, error)
	stdin io.Reader // nil: "-" is an ordinary name
}

func osSource() inputSource {
	return inputSource{clean: filepath.Clean, stat: os.Stat, walk: filepath.WalkDir, read: os.ReadFile, stdin: os.Stdin}
}

func fsSource(fsys fs.FS) inputSource {
	return inputSource{
		clean: path.Clean,
		stat:  func(name string) (fs.FileInfo, error) { return fs.Stat(fsys, name) },
		walk:  func(root string, fn fs.WalkDirFunc) error { return fs.WalkDir(fsys, root, fn) },
		read:  func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) },
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
		p = s.clean(p)
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
		if r.checkDocument(root, Position{File: name, Doc: doc}, map[*yaml.Node]bool{}) {
			r.object(name, doc, root, nil)
		}
	}
	// Converters report in field order, which is not always line order.
	slices.SortStableFunc(r.errs.list[start:], func(a, b *Problem) int { return cmp.Compare(a.Pos.Line, b.Pos.Line) })
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
	if inherit == nil && isExpectations(n) {
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

// isExpectations reports whether mapping n is a reach expectations file
// rather than a Kubernetes object: it has expect: and neither apiVersion nor
// kind.
func isExpectations(n *yaml.Node) bool {
	return yamlMapValue(n, "expect") != nil && yamlMapValue(n, "apiVersion") == nil && yamlMapValue(n, "kind") == nil
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
