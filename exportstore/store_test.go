package exportstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// privateDir is a directory for a store: t.TempDir() itself is 0755 (its
// parent is 0700), so the store creates a 0700 directory inside it.
func privateDir(t *testing.T) string { return filepath.Join(t.TempDir(), "exports") }

var hexDigest = regexp.MustCompile(`[0-9a-fA-F]{64}`)

// requireOnlyDigest checks that the refusal of ref names no digest but the
// requested one (and those the caller typed in its uri): the store never
// tells what a file's actual digest is.
func requireOnlyDigest(t *testing.T, err error, ref Ref, msgAndArgs ...any) {
	t.Helper()
	allowed := append([]string{strings.ToLower(ref.SHA256)}, hexDigest.FindAllString(strings.ToLower(ref.URI), -1)...)
	for _, d := range hexDigest.FindAllString(err.Error(), -1) {
		require.Contains(t, allowed, strings.ToLower(d), msgAndArgs...)
	}
}

func TestPutIsContentAddressedAndLoadVerifiesDigest(t *testing.T) {
	s, err := New(privateDir(t))
	require.NoError(t, err)

	ref, err := s.PutBytes([]byte(`{"dpsks":[]}`))
	require.NoError(t, err)
	require.NoError(t, ref.Validate())
	require.Equal(t, digest([]byte(`{"dpsks":[]}`)), ref.SHA256)
	require.Equal(t, "file://"+filepath.Join(s.Dir, ref.SHA256+".json"), ref.URI)

	again, err := s.Put(strings.NewReader(`{"dpsks":[]}`))
	require.NoError(t, err)
	require.Equal(t, ref, again, "the same bytes give the same reference")

	data, err := s.Load(ref)
	require.NoError(t, err)
	require.Equal(t, `{"dpsks":[]}`, string(data))

	info, err := os.Stat(filepath.Join(s.Dir, ref.SHA256+".json"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "exports hold passphrases")
}

func TestLoadNeedsOnlyTheDigestAndAcceptsTheStoresOwnURIs(t *testing.T) {
	s, err := New(privateDir(t))
	require.NoError(t, err)
	ref, err := s.PutBytes([]byte("x"))
	require.NoError(t, err)
	file := filepath.Join(s.Dir, ref.SHA256+".json")

	for _, r := range []Ref{
		{SHA256: ref.SHA256},                  // what a person types into the Temporal UI
		{SHA256: strings.ToUpper(ref.SHA256)}, // hex is hex
		{SHA256: ref.SHA256, URI: ref.URI},    // what our CLI and trigger wrote so far
		{SHA256: ref.SHA256, URI: "file://" + file},
		{SHA256: ref.SHA256, URI: file},
		{SHA256: ref.SHA256, URI: ref.SHA256 + ".json"},
	} {
		data, err := s.Load(r)
		require.NoError(t, err, "%+v", r)
		require.Equal(t, "x", string(data))
	}
}

func TestLoadRefusesEveryFileOutsideTheStore(t *testing.T) {
	root := t.TempDir()
	s, err := New(filepath.Join(root, "store"))
	require.NoError(t, err)
	mine, err := s.PutBytes([]byte(`{"dpsks":[]}`))
	require.NoError(t, err)

	// A readable file elsewhere, named like an export, as an attacker would pick.
	outsideData := []byte(`{"dpsks":[{"passphrase":"n0t-f0r-y0ur-eyes"}]}`)
	actual := digest(outsideData)
	outsideDir := filepath.Join(root, "outside")
	require.NoError(t, os.Mkdir(outsideDir, 0o700))
	outside := filepath.Join(outsideDir, actual+".json")
	require.NoError(t, os.WriteFile(outside, outsideData, 0o600))
	guess := strings.Repeat("ab", 32) // a digest that matches nothing

	for _, tc := range []struct {
		name string
		uri  func(sha string) string
	}{
		{"relative ../", func(sha string) string { return "../outside/" + sha + ".json" }},
		{"../ past the store", func(sha string) string { return "../../" + filepath.Base(root) + "/outside/" + sha + ".json" }},
		{"absolute path outside", func(sha string) string { return filepath.Join(outsideDir, sha+".json") }},
		{"absolute path with ..", func(sha string) string { return s.Dir + "/../outside/" + sha + ".json" }},
		{"file:// outside", func(sha string) string { return "file://" + filepath.Join(outsideDir, sha+".json") }},
		{"file:// with ..", func(sha string) string { return "file://" + s.Dir + "/../outside/" + sha + ".json" }},
		{"file:// on another host", func(sha string) string { return "file://otherhost" + filepath.Join(s.Dir, sha+".json") }},
		{"https", func(sha string) string { return "https://example.com/" + sha + ".json" }},
		{"a subdirectory", func(sha string) string { return "sub/" + sha + ".json" }},
		{"another file of the store", func(string) string { return filepath.Join(s.Dir, mine.SHA256+".json") }},
		{"another name of the store", func(string) string { return mine.SHA256 + ".json" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, sha := range []string{actual, guess} {
				ref := Ref{URI: tc.uri(sha), SHA256: sha}
				_, err := s.Load(ref)
				require.Error(t, err, "sha256 %s", sha)
				require.NotContains(t, err.Error(), "n0t-f0r-y0ur-eyes")
				requireOnlyDigest(t, err, ref)
				require.Contains(t, err.Error(), "is not accepted", "the refusal says what is accepted")
			}
		})
	}

	// Links inside the store, named as the outside file's digest and as a guess.
	require.NoError(t, os.Symlink(outside, filepath.Join(s.Dir, actual+".json")))
	require.NoError(t, os.Symlink(outside, filepath.Join(s.Dir, guess+".json")))
	for _, tc := range []struct {
		name string
		ref  Ref
	}{
		{"digest only", Ref{SHA256: actual}},
		{"its name", Ref{SHA256: actual, URI: actual + ".json"}},
		{"its file URI", Ref{SHA256: actual, URI: "file://" + filepath.Join(s.Dir, actual+".json")}},
		{"a wrong digest", Ref{SHA256: guess, URI: "file://" + filepath.Join(s.Dir, guess+".json")}},
	} {
		t.Run("a link in the store by "+tc.name, func(t *testing.T) {
			_, err := s.Load(tc.ref)
			require.Error(t, err)
			require.Contains(t, err.Error(), "not a regular file")
			requireOnlyDigest(t, err, tc.ref)
		})
	}

	// A directory named like an export.
	dirSHA := strings.Repeat("cd", 32)
	require.NoError(t, os.Mkdir(filepath.Join(s.Dir, dirSHA+".json"), 0o700))
	_, err = s.Load(Ref{SHA256: dirSHA})
	require.ErrorContains(t, err, "not a regular file")
}

func TestAFileChangedAfterItWasStoredIsRefusedWithoutItsDigest(t *testing.T) {
	s, err := New(privateDir(t))
	require.NoError(t, err)
	ref, err := s.PutBytes([]byte(`{"dpsks":[]}`))
	require.NoError(t, err)

	replaced := []byte(`{"dpsks":[1]}`)
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir, ref.SHA256+".json"), replaced, 0o600))
	_, err = s.Load(Ref{SHA256: ref.SHA256})
	require.Error(t, err)
	require.Contains(t, err.Error(), "the stored file no longer matches sha256 "+ref.SHA256+": it changed after it was stored; store the export again")
	require.NotContains(t, err.Error(), digest(replaced))
	requireOnlyDigest(t, err, ref)

	// Storing it again repairs it.
	_, err = s.PutBytes([]byte(`{"dpsks":[]}`))
	require.NoError(t, err)
	_, err = s.Load(Ref{SHA256: ref.SHA256})
	require.NoError(t, err)
}

func TestAStoreDirectoryOthersMayEnterIsRefusedAndLeftAsItIs(t *testing.T) {
	for _, mode := range []os.FileMode{0o755, 0o750, 0o701, 0o777} {
		dir := filepath.Join(t.TempDir(), "exports dir")
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chmod(dir, mode))

		_, err := New(dir)
		require.Error(t, err, "mode %04o", mode)
		require.Contains(t, err.Error(), "chmod 700 '"+dir+"'", "the refusal says how to fix it")
		info, err := os.Stat(dir)
		require.NoError(t, err)
		require.Equal(t, mode, info.Mode().Perm(), "the mode is not changed silently")

		require.NoError(t, os.Chmod(dir, 0o700))
		_, err = New(dir)
		require.NoError(t, err, "after the chmod the store opens")
	}

	// A missing directory is created for the owner only.
	fresh := filepath.Join(t.TempDir(), "a", "exports")
	s, err := New(fresh)
	require.NoError(t, err)
	info, err := os.Stat(s.Dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestRefusals(t *testing.T) {
	s, err := New(privateDir(t))
	require.NoError(t, err)
	s.MaxBytes = 4

	_, err = s.PutBytes([]byte("12345"))
	var tooLarge *TooLargeError
	require.True(t, errors.As(err, &tooLarge))
	entries, _ := os.ReadDir(s.Dir)
	require.Empty(t, entries, "a refused export leaves nothing behind")

	for name, ref := range map[string]Ref{
		"no digest":   {URI: "file:///x"},
		"bad digest":  {URI: "file:///x", SHA256: "abc"},
		"not hex":     {SHA256: strings.Repeat("g", 64)},
		"http scheme": {URI: "https://example.com/x.json", SHA256: strings.Repeat("a", 64)},
		"missing":     {SHA256: strings.Repeat("a", 64)},
	} {
		_, err := s.Load(ref)
		require.Error(t, err, name)
	}
	_, err = s.Load(Ref{SHA256: strings.Repeat("a", 64)})
	require.ErrorContains(t, err, "is not in the export store")
}
