package exportstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPutIsContentAddressedAndLoadVerifiesDigest(t *testing.T) {
	s, err := New(t.TempDir())
	require.NoError(t, err)

	ref, err := s.PutBytes([]byte(`{"dpsks":[]}`))
	require.NoError(t, err)
	require.NoError(t, ref.Validate())
	require.True(t, strings.HasPrefix(ref.URI, "file:///"))

	again, err := s.Put(strings.NewReader(`{"dpsks":[]}`))
	require.NoError(t, err)
	require.Equal(t, ref, again, "the same bytes give the same reference")

	data, err := s.Load(ref)
	require.NoError(t, err)
	require.Equal(t, `{"dpsks":[]}`, string(data))

	path, err := ref.Path()
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "exports hold passphrases")

	require.NoError(t, os.WriteFile(path, []byte(`{"dpsks":[1]}`), 0o600))
	_, err = s.Load(ref)
	require.ErrorContains(t, err, "digest mismatch")
}

func TestLoadAcceptsPlainAndRelativePaths(t *testing.T) {
	s, err := New(t.TempDir())
	require.NoError(t, err)
	ref, err := s.PutBytes([]byte("x"))
	require.NoError(t, err)
	path, _ := ref.Path()

	for _, uri := range []string{path, filepath.Base(path)} {
		data, err := s.Load(Ref{URI: uri, SHA256: ref.SHA256})
		require.NoError(t, err, uri)
		require.Equal(t, "x", string(data))
	}
}

func TestRefusals(t *testing.T) {
	s, err := New(t.TempDir())
	require.NoError(t, err)
	s.MaxBytes = 4

	_, err = s.PutBytes([]byte("12345"))
	var tooLarge *TooLargeError
	require.True(t, errors.As(err, &tooLarge))
	entries, _ := os.ReadDir(s.Dir)
	require.Empty(t, entries, "a refused export leaves nothing behind")

	for name, ref := range map[string]Ref{
		"no uri":      {SHA256: strings.Repeat("a", 64)},
		"bad digest":  {URI: "file:///x", SHA256: "abc"},
		"http scheme": {URI: "https://example.com/x.json", SHA256: strings.Repeat("a", 64)},
		"missing":     {URI: "file:///nonexistent/x.json", SHA256: strings.Repeat("a", 64)},
	} {
		_, err := s.Load(ref)
		require.Error(t, err, name)
	}
}
