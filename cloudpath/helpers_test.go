package cloudpath

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testNow is the instant every test plan is judged at.
var testNow = time.Date(2026, 10, 2, 12, 0, 0, 0, time.UTC)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func parseTestdata(t testing.TB, name string) *Export {
	t.Helper()
	exp, err := ParseBytes(readTestdata(t, name), ParseOptions{})
	require.NoError(t, err)
	return exp
}

func planTestdata(t testing.TB, name string, opts PlanOptions) *Plan {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	plan, err := NewPlan(parseTestdata(t, name), opts)
	require.NoError(t, err)
	return plan
}

// exportOf builds a single-pool export in memory.
func exportOf(pool Pool) *Export {
	return &Export{Shape: ShapeSinglePool, Pools: []Pool{pool}}
}

func rowByUsername(t testing.TB, u PoolUnit, name string) Row {
	t.Helper()
	for _, r := range u.Rows {
		if r.Username == name {
			return r
		}
	}
	t.Fatalf("no row %q in unit %s", name, u.Key)
	return Row{}
}

func outcomeReasons(os []RowOutcome) map[int]string {
	m := make(map[int]string, len(os))
	for _, o := range os {
		m[o.Index] = o.Reason
	}
	return m
}
