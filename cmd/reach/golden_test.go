package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./cmd/reach/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/cli")

// moduleRoot is the module's root directory, found before any test changes
// the working directory.
var moduleRoot = func() string {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return dir
}()

// golden compares got with the file testdata/cli/<name> at the module root,
// or rewrites that file when -update is given. name uses slashes, e.g.
// "matrix/table.golden". It works whatever the working directory is.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(moduleRoot, "testdata", "cli", filepath.FromSlash(name))
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./cmd/reach/ -update")
	require.Equal(t, string(want), string(got), "output differs from %s (rewrite with -update)", path)
}

// runAtRoot runs reach in-process from the module root, so that paths such
// as examples/three-tier work and print the same in every golden file. The
// test must not be parallel.
func runAtRoot(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(moduleRoot)
	return runCLI(t, args...)
}
