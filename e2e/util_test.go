package e2e

import (
	"bytes"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
)

func itoa(n int) string { return strconv.Itoa(n) }

func sortStrings(s []string) { slices.Sort(s) }

func passphrasesOf(t *testing.T, export []byte) []string {
	exp, err := cloudpath.Parse(bytes.NewReader(export), cloudpath.ParseOptions{})
	require.NoError(t, err)
	var out []string
	for _, p := range exp.Pools {
		for _, d := range p.DPSKs {
			if len(d.Passphrase) >= 6 {
				out = append(out, d.Passphrase)
			}
		}
	}
	return out
}
