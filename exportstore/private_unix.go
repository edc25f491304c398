//go:build unix

package exportstore

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// openNoFollow makes opening a symbolic link fail (ELOOP) instead of following it.
const openNoFollow = syscall.O_NOFOLLOW

// checkPrivate refuses a store directory that group or others may enter: the
// exports in it hold passphrases.
func checkPrivate(dir string, info fs.FileInfo) error {
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("export store %s is open to other users (mode %04o) and exports hold passphrases: run `chmod 700 %s` (dpskmigrate does not change it for you)",
			dir, perm, shellQuote(dir))
	}
	return nil
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
