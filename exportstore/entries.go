package exportstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Entry is a file of the store: a stored export, or an upload that never
// finished (a .incoming-* file left by a process that died mid-Put).
type Entry struct {
	Name     string
	SHA256   string // the export's digest; empty for an unfinished upload
	Incoming bool
	ModTime  time.Time
	Size     int64
	info     fs.FileInfo
}

// Entries lists the store's regular files that it wrote: <sha256>.json and
// .incoming-*. Anything else in the directory is left out, and alone.
func (s *Store) Entries() ([]Entry, error) {
	dirents, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("export store %s: %w", s.Dir, err)
	}
	var out []Entry
	for _, d := range dirents {
		name := d.Name()
		sha, isExport := strings.CutSuffix(name, ".json")
		isExport = isExport && len(sha) == 64 && strings.Trim(sha, "0123456789abcdef") == ""
		incoming := strings.HasPrefix(name, tempPrefix)
		if !isExport && !incoming {
			continue
		}
		info, err := d.Info() // an Lstat: a link is not a regular file
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("export store %s: %w", s.Dir, err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		e := Entry{Name: name, Incoming: incoming, ModTime: info.ModTime(), Size: info.Size(), info: info}
		if isExport {
			e.SHA256 = sha
		}
		out = append(out, e)
	}
	return out, nil
}

// ErrChanged is returned by Remove when the file is no longer the one listed.
var ErrChanged = errors.New("the file changed since it was listed")

// Remove deletes e if it is still the file Entries listed: a file stored
// again since then (a fresh modification time) is kept.
func (s *Store) Remove(e Entry) error {
	p := filepath.Join(s.Dir, e.Name)
	now, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if e.info == nil || !os.SameFile(e.info, now) || !now.ModTime().Equal(e.ModTime) {
		return fmt.Errorf("%s: %w", e.Name, ErrChanged)
	}
	return os.Remove(p)
}
