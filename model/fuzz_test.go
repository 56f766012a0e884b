package model

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read. It must never panic; every
// problem it reports must name the file and a line; reading is
// deterministic; and whatever it reads, Build must take without panicking.
func FuzzRead(f *testing.F) {
	root := filepath.Join("..", "testdata", "load")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isManifest(path) {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil {
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"",
		"---\n---\n",
		"apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Pod}]}]\n",
		"apiVersion: v1\nkind: PodList\nitems: [{metadata: {name: a}}, 1, [x]]\n",
		"a: &a [*a]\n",
		"apiVersion: v1\nkind: Pod\nmetadata: &m {name: a, labels: *m}\n",
		"apiVersion: v1\nkind: Pod\n<<: {metadata: {name: a}}\n",
		"{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}, \"spec\": {\"ports\": [{\"port\": 1e10}]}}",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, ports: [{name: x, containerPort: 2147483648}]}]}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nstatus: {podIPs: [{ip: '::'}, {ip: 0.0.0.0}, {ip: '::1'}]}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {selector: {matchExpressions: [{key: '', operator: Exists}]}}\n",
		"\xef\xbb\xbfapiVersion: v1\nkind: Namespace\nmetadata: {name: bom}\n",
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n...\n---\n%YAML 1.2\n---\nkind: x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Read("fuzz.yaml", bytes.NewReader(data))
		_, err2 := Read("fuzz.yaml", bytes.NewReader(data))
		if errString(err) != errString(err2) {
			t.Fatalf("not deterministic:\n%v\n---\n%v", err, err2)
		}
		if err != nil {
			ps := AsProblems(err)
			if len(ps) == 0 {
				t.Fatalf("error is not a Problems: %v", err)
			}
			for _, p := range ps {
				if p.Pos.File != "fuzz.yaml" || p.Pos.Line <= 0 {
					t.Fatalf("problem without a position: %q", p.Error())
				}
				if strings.TrimSpace(p.Msg) == "" {
					t.Fatalf("problem without a message at %s", p.Pos)
				}
			}
			return
		}
		// Build's own problems (duplicates, a full pod CIDR) may have no
		// line; it only must not panic.
		_, _ = Build(objs, Options{})
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
