package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden tests of the policy converters and the Dump format: each
// directory testdata/model/<case> (but seeds and errors) loads into the Dump
// in testdata/model/<case>.golden; seeds/000, a whole tutorial, into
// testdata/model/seed-000.golden; and each testdata/model/errors/<name>.yaml
// into its problem lines in errors/<name>.golden. Rewrite them with
// go test ./model -update.

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./model -update to write it")
	assert.Equal(t, string(want), got)
}

func TestDumpGolden(t *testing.T) {
	root := os.DirFS("..")
	cases := map[string]string{"seeds/000": filepath.Join("..", "testdata", "model", "seed-000.golden")}
	dirs, err := os.ReadDir(filepath.Join("..", "testdata", "model"))
	require.NoError(t, err)
	for _, d := range dirs {
		if d.IsDir() && d.Name() != "seeds" && d.Name() != "errors" {
			cases[d.Name()] = filepath.Join("..", "testdata", "model", d.Name()+".golden")
		}
	}
	for name, golden := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := LoadFS(root, Options{}, "testdata/model/"+name)
			require.NoError(t, err)
			checkGolden(t, golden, c.DumpText())
		})
	}
}

func TestProblemsGolden(t *testing.T) {
	root := os.DirFS("..")
	files, err := filepath.Glob(filepath.Join("..", "testdata", "model", "errors", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			_, err := LoadFS(root, Options{}, "testdata/model/errors/"+name)
			require.Error(t, err)
			var lines []string
			for _, p := range AsProblems(err) {
				lines = append(lines, p.Error())
			}
			require.NotEmpty(t, lines, "%v", err)
			checkGolden(t, strings.TrimSuffix(f, ".yaml")+".golden", strings.Join(lines, "\n")+"\n")
		})
	}
}
