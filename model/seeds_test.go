package model

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSeeds loads the YAML blocks of the tutorials in /work/shared/seeds,
// extracted verbatim into testdata/model/seeds/<seed>/block-NN.yaml. Each
// block is loaded on its own: the blocks of one tutorial are alternatives
// (several define the same policy differently), so a whole directory is not
// one cluster.
func TestSeeds(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "model", "seeds", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, f := range files {
			t.Run(filepath.Base(dir)+"/"+filepath.Base(f), func(t *testing.T) {
				_, err := Load(Options{}, f)
				require.NoError(t, err)
			})
		}
	}
}
