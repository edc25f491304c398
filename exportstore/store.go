// Package exportstore keeps Cloudpath exports as content-addressed files so that
// workflows can refer to an export by name and digest (a claim check) instead of
// carrying its passphrases through Temporal.
//
// The directory is shared by whatever starts migrations (CLI, trigger service)
// and by the workers. A file is named by the SHA-256 of its bytes, so storing
// the same export twice yields the same reference, and a reader can always
// verify that it got exactly the bytes the migration was started with.
package exportstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxBytes bounds what Put accepts: generous for 100,000 passphrases.
const DefaultMaxBytes = 64 << 20

// Ref names a stored export. It is safe to put in workflow inputs: it holds a
// location and a digest, never the content.
type Ref struct {
	URI    string `json:"uri"`    // file:///abs/path/<sha256>.json
	SHA256 string `json:"sha256"` // lower-case hex digest of the file's bytes
}

// Validate reports whether the reference is well formed.
func (r Ref) Validate() error {
	if r.URI == "" {
		return errors.New("export reference has no uri: set export.uri to the stored file (file:///...)")
	}
	if len(r.SHA256) != 64 || strings.Trim(strings.ToLower(r.SHA256), "0123456789abcdef") != "" {
		return fmt.Errorf("export reference sha256 %q is not a 64-character hex digest", r.SHA256)
	}
	return nil
}

// Path returns the local file path of the reference.
func (r Ref) Path() (string, error) {
	if strings.HasPrefix(r.URI, "file://") {
		u, err := url.Parse(r.URI)
		if err != nil {
			return "", fmt.Errorf("export uri %q: %w", r.URI, err)
		}
		return u.Path, nil
	}
	if strings.Contains(r.URI, "://") {
		return "", fmt.Errorf("export uri %q: only file:// URIs and plain paths are supported", r.URI)
	}
	return r.URI, nil
}

// Store is a directory of content-addressed exports.
type Store struct {
	Dir      string
	MaxBytes int64 // 0 = DefaultMaxBytes
}

// New returns a store in dir, creating the directory (mode 0700: exports hold
// passphrases) when it does not exist.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("export store %s: %w", abs, err)
	}
	return &Store{Dir: abs}, nil
}

func (s *Store) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

// TooLargeError is returned when an export exceeds the store's size limit.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("export is larger than the %d MiB limit", e.Limit>>20)
}

// Put stores the bytes read from r and returns their reference.
func (s *Store) Put(r io.Reader) (Ref, error) {
	tmp, err := os.CreateTemp(s.Dir, ".incoming-*")
	if err != nil {
		return Ref{}, fmt.Errorf("export store: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, s.maxBytes()+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Ref{}, fmt.Errorf("export store: writing export: %w", err)
	}
	if n > s.maxBytes() {
		return Ref{}, &TooLargeError{Limit: s.maxBytes()}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	final := filepath.Join(s.Dir, sum+".json")
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return Ref{}, fmt.Errorf("export store: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Ref{}, fmt.Errorf("export store: %w", err)
	}
	return Ref{URI: (&url.URL{Scheme: "file", Path: final}).String(), SHA256: sum}, nil
}

// PutBytes stores data.
func (s *Store) PutBytes(data []byte) (Ref, error) { return s.Put(bytes.NewReader(data)) }

// Load reads the export named by ref and verifies its digest. It reads
// file:// URIs and plain paths; a relative path or a bare digest is looked up
// in the store's directory.
func (s *Store) Load(ref Ref) ([]byte, error) {
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	path, err := ref.Path()
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(path) && s != nil {
		path = filepath.Join(s.Dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w (is the export store directory shared between the starter and the workers?)", ref.URI, err)
	}
	defer f.Close()
	limit := int64(DefaultMaxBytes)
	if s != nil {
		limit = s.maxBytes()
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", ref.URI, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, ref.SHA256) {
		return nil, fmt.Errorf("export %s: digest mismatch: the file's sha256 is %s, the migration expects %s (the file changed after the migration was started)", ref.URI, got, ref.SHA256)
	}
	return data, nil
}
