package sampledata

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite examples/sample-export.json")

func TestDemoExportIsTheGeneratedOne(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "sample-export.json")
	want := append(JSON(Demo), '\n')
	if *update {
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "examples/sample-export.json is stale: go test ./internal/sampledata -update")
}

func TestPassphrasesAreUniqueAndValid(t *testing.T) {
	exp := Build(Spec{Pools: 3, RowsPerPool: 2000, Seed: 9})
	seen := map[string]bool{}
	for _, p := range exp.DPSKPools {
		for _, d := range p.DPSKs {
			require.False(t, seen[d.Passphrase], "duplicate passphrase")
			seen[d.Passphrase] = true
			require.GreaterOrEqual(t, len(d.Passphrase), 8)
		}
	}
}
