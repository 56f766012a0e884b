package model

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// TestLoadSkipsExpectations checks that a reach expectations file kept in a
// manifest directory is left out, and that an object missing apiVersion is
// still reported.
func TestLoadSkipsExpectations(t *testing.T) {
	fsys := fstest.MapFS{
		"app/pod.yaml":    {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n")},
		"app/expect.yaml": {Data: []byte("expect:\n- from: x/a\n  to: x/a\n  allowed: true\n")},
	}
	c, err := LoadFS(fsys, Options{}, "app")
	require.NoError(t, err)
	require.Len(t, c.Pods, 1)
	for _, n := range c.Notes {
		require.NotContains(t, n, "skipped", "no note about the expectations file")
	}

	fsys["app/bad.yaml"] = &fstest.MapFile{Data: []byte("expect: []\nkind: Pod\n")}
	_, err = LoadFS(fsys, Options{}, "app")
	require.ErrorContains(t, err, "app/bad.yaml:1 (doc 1, Pod): not a Kubernetes object: missing apiVersion")
}
