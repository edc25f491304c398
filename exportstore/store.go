// Package exportstore keeps Cloudpath exports as content-addressed files so that
// workflows can refer to an export by its digest (a claim check) instead of
// carrying its passphrases through Temporal.
//
// The directory is shared by whatever starts migrations (CLI, trigger service)
// and by the workers. A file is named by the SHA-256 of its bytes, so storing
// the same export twice yields the same reference, and a reader can always
// verify that it got exactly the bytes the migration was started with.
//
// Anyone who can start a workflow chooses a reference, so the store reads only
// its own files: <dir>/<sha256>.json, a regular file, never through a link.
// It never tells what a file's actual digest is.
package exportstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DefaultMaxBytes bounds what Put accepts: generous for 100,000 passphrases.
const DefaultMaxBytes = 64 << 20

// Ref names a stored export. It is safe to put in workflow inputs: it holds a
// digest (and perhaps where the file is), never the content.
type Ref struct {
	// SHA256 is the lower-case hex digest of the export's bytes: the store
	// finds <sha256>.json in its directory. The only required field.
	SHA256 string `json:"sha256"`
	// URI is informational: file:///<store>/<sha256>.json. When set it must
	// name exactly that file of the store that loads it.
	URI string `json:"uri,omitempty"`
}

// RefusedError is a reference or a stored file the store will not read. No
// retry helps: the reference must change, or the export be stored again.
type RefusedError struct{ msg string }

func (e *RefusedError) Error() string { return e.msg }

func refusef(format string, args ...any) error {
	return &RefusedError{fmt.Sprintf(format, args...)}
}

// Validate reports whether the reference is well formed; Load also checks
// that a URI names the file of its own store.
func (r Ref) Validate() error {
	if r.SHA256 == "" {
		return refusef(`export reference has no sha256: set export.sha256 to the digest that "dpskmigrate store" prints`)
	}
	if len(r.SHA256) != 64 || strings.Trim(strings.ToLower(r.SHA256), "0123456789abcdef") != "" {
		return refusef("export reference sha256 %q is not a 64-character hex digest", r.SHA256)
	}
	if r.URI == "" {
		return nil
	}
	// Shape only: the name must be <sha256>.json, with no ".." anywhere.
	p, err := uriPath(r.URI)
	if err == nil && (path.Base(p) != r.FileName() || (p != r.FileName() && !path.IsAbs(p)) || path.Clean(p) != p) {
		err = errors.New("it names another file")
	}
	if err != nil {
		return r.uriRefusal("")
	}
	return nil
}

// FileName is the name of the referenced export in its store: <sha256>.json.
func (r Ref) FileName() string { return strings.ToLower(r.SHA256) + ".json" }

// uriPath returns the path a URI names: a file:// URI's path or a plain path.
func uriPath(uri string) (string, error) {
	if !strings.Contains(uri, "://") {
		return uri, nil
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Host != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("not a local file URI")
	}
	return u.Path, nil
}

// uriRefusal says which URIs are accepted; dir is the store's, when known.
func (r Ref) uriRefusal(dir string) error {
	where := "file:///<export store>/" + r.FileName()
	if dir != "" {
		where = fileURI(filepath.Join(dir, r.FileName()))
	}
	return refusef("export uri %q is not accepted: the store reads only its own files. Give export.sha256 alone (%q), or a uri naming that file in the export store: %q or %q",
		r.URI, r.SHA256, r.FileName(), where)
}

func fileURI(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

// Store is a directory of content-addressed exports.
type Store struct {
	Dir      string
	MaxBytes int64 // 0 = DefaultMaxBytes
}

// New returns a store in dir. A missing directory is created with mode 0700
// (exports hold passphrases); an existing one that other users may enter is
// refused, never changed behind the operator's back.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("export store %s: %w", abs, err)
		}
		info, err = os.Stat(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("export store %s: %w", abs, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("export store %s is not a directory: point DPSKMIGRATE_EXPORT_DIR at a directory", abs)
	}
	if err := checkPrivate(abs, info); err != nil {
		return nil, err
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

// tempPrefix starts the names of exports being written.
const tempPrefix = ".incoming-"

// Put stores the bytes read from r and returns their reference.
func (s *Store) Put(r io.Reader) (Ref, error) {
	tmp, err := os.CreateTemp(s.Dir, tempPrefix+"*")
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
	ref := Ref{SHA256: hex.EncodeToString(h.Sum(nil))}
	final := filepath.Join(s.Dir, ref.FileName())
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return Ref{}, fmt.Errorf("export store: %w", err)
	}
	// A rename replaces whatever had the name (a link included) and gives
	// the file a fresh modification time: storing again renews its retention.
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Ref{}, fmt.Errorf("export store: %w", err)
	}
	ref.URI = fileURI(final)
	return ref, nil
}

// PutBytes stores data.
func (s *Store) PutBytes(data []byte) (Ref, error) { return s.Put(bytes.NewReader(data)) }

// Path returns the file of ref in this store. A URI in ref must name that
// file: "<sha256>.json", its absolute path, or its file:// URI.
func (s *Store) Path(ref Ref) (string, error) {
	if err := ref.Validate(); err != nil {
		return "", err
	}
	p := filepath.Join(s.Dir, ref.FileName())
	if ref.URI != "" && ref.URI != ref.FileName() && ref.URI != p && ref.URI != fileURI(p) {
		return "", ref.uriRefusal(s.Dir)
	}
	return p, nil
}

// Load reads the export named by ref from this store and verifies its digest.
func (s *Store) Load(ref Ref) ([]byte, error) {
	p, err := s.Path(ref)
	if err != nil {
		return nil, err
	}
	info, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("export sha256 %s is not in the export store %s: store it again (is the store shared between the starter and the workers?)", ref.SHA256, s.Dir)
		}
		return nil, fmt.Errorf("export sha256 %s: %w", ref.SHA256, err)
	}
	if !info.Mode().IsRegular() {
		return nil, refusef("export sha256 %s is not a regular file in the export store (%s): the store reads only files it wrote; remove it and store the export again", ref.SHA256, kind(info.Mode()))
	}
	f, err := os.OpenFile(p, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, fmt.Errorf("export sha256 %s: %w", ref.SHA256, err)
	}
	defer f.Close()
	if opened, err := f.Stat(); err != nil || !os.SameFile(info, opened) {
		return nil, refusef("export sha256 %s was replaced while it was read: store the export again", ref.SHA256)
	}
	limit := s.maxBytes()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("export sha256 %s: %w", ref.SHA256, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != strings.ToLower(ref.SHA256) {
		// Never the actual digest: it would tell a prober about the content.
		return nil, refusef("the stored file no longer matches sha256 %s: it changed after it was stored; store the export again", ref.SHA256)
	}
	return data, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	default:
		return "a special file"
	}
}
