//go:build !unix

package exportstore

import "io/fs"

// openNoFollow: Load's Lstat and SameFile checks refuse links here.
const openNoFollow = 0

// checkPrivate: permission bits do not describe access on this system.
func checkPrivate(string, fs.FileInfo) error { return nil }
