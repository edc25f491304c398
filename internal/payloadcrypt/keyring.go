// Package payloadcrypt encrypts the payloads dpskmigrate writes into Temporal
// histories (usernames, R1 IDs, Cloudpath GUIDs, R1 error text) with
// AES-256-GCM, and reads them back with any key of a key ring, so keys can
// rotate. It is the payload codec of every client and worker (see
// worker.Dial) and of the codec server the trigger serves to the Temporal CLI
// and UI.
//
// It must never print key material: errors and String name key IDs only.
package payloadcrypt

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Environment variables that configure the key ring.
const (
	// KeysEnv holds the keys inline: "id1:base64key,id2:base64key".
	KeysEnv = "DPSKMIGRATE_CODEC_KEYS"
	// KeyFileEnv names a file with one "id:base64key" per line.
	KeyFileEnv = "DPSKMIGRATE_CODEC_KEY_FILE"
)

const (
	// KeySize is AES-256's key length in bytes.
	KeySize = 32
	// maxKeys and maxKeyFileBytes bound what a configuration can hold.
	maxKeys         = 64
	maxKeyFileBytes = 64 << 10
	maxKeyIDLength  = 64
	newKeyHint      = "make a key with `openssl rand -base64 32`"
)

// KeyRing holds the keys: the first encrypts, every one decrypts. A nil or
// empty ring encrypts nothing.
type KeyRing struct {
	keys []ringKey
}

type ringKey struct {
	id   string
	aead cipher.AEAD
}

// EncryptingKeyID is the ID of the key new payloads are encrypted with; "" for
// an empty ring.
func (r *KeyRing) EncryptingKeyID() string {
	if r.Empty() {
		return ""
	}
	return r.keys[0].id
}

// IDs lists every key ID in ring order.
func (r *KeyRing) IDs() []string {
	if r == nil {
		return nil
	}
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// Empty reports whether the ring has no key (payloads stay plain).
func (r *KeyRing) Empty() bool { return r == nil || len(r.keys) == 0 }

// String names the keys by ID only. %v of the ring never reaches the ciphers.
func (r *KeyRing) String() string {
	if r.Empty() {
		return "no payload key"
	}
	return fmt.Sprintf("payload keys [%s] (%s encrypts)", strings.Join(r.IDs(), " "), r.EncryptingKeyID())
}

// GoString is String, so %#v cannot print key material either.
func (r *KeyRing) GoString() string { return r.String() }

func (r *KeyRing) key(id string) (ringKey, bool) {
	if r == nil {
		return ringKey{}, false
	}
	for _, k := range r.keys {
		if k.id == id {
			return k, true
		}
	}
	return ringKey{}, false
}

// FromEnv reads the key ring from KeysEnv or KeyFileEnv. Neither set gives a
// nil ring and no error: payloads stay plain.
func FromEnv(getenv func(string) string) (*KeyRing, error) {
	inline, file := getenv(KeysEnv), getenv(KeyFileEnv)
	switch {
	case inline != "" && file != "":
		return nil, fmt.Errorf("both %s and %s are set: set one of them", KeysEnv, KeyFileEnv)
	case inline != "":
		r, err := ParseKeys(inline)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeysEnv, err)
		}
		return r, nil
	case file != "":
		r, err := LoadKeyFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeyFileEnv, err)
		}
		return r, nil
	}
	return nil, nil
}

// ParseKeys reads "id1:base64key,id2:base64key"; the first key encrypts.
func ParseKeys(spec string) (*KeyRing, error) {
	var entries []string
	for _, e := range strings.Split(spec, ",") {
		if e = strings.TrimSpace(e); e != "" {
			entries = append(entries, e)
		}
	}
	return newRing(entries, func(i int) string { return fmt.Sprintf("entry %d", i+1) })
}

// LoadKeyFile reads a key file: one "id:base64key" per line, the first
// encrypts; blank lines and lines starting with # are ignored.
func LoadKeyFile(path string) (*KeyRing, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the key file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileBytes {
		return nil, fmt.Errorf("the key file %s is over %d KiB: it should hold a few id:base64key lines", path, maxKeyFileBytes>>10)
	}
	var entries []string
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxKeyFileBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		entries = append(entries, line)
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the key file %s: %w", path, err)
	}
	r, err := newRing(entries, func(i int) string { return fmt.Sprintf("line %d", lines[i]) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// newRing parses entries; where(i) names entry i in errors. An error names
// the entry's position and, once it is known to be one, its key ID: never the
// entry's text, which may be key material.
func newRing(entries []string, where func(int) string) (*KeyRing, error) {
	if len(entries) == 0 {
		return nil, errors.New("no key: want id:base64key entries, the first encrypts (" + newKeyHint + ")")
	}
	if len(entries) > maxKeys {
		return nil, fmt.Errorf("%d keys: at most %d (drop keys no history needs any more)", len(entries), maxKeys)
	}
	r := &KeyRing{}
	var errs []error
	for i, e := range entries {
		id, encoded, ok := strings.Cut(e, ":")
		id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
		if !ok || id == "" || encoded == "" {
			errs = append(errs, fmt.Errorf("%s: want id:base64key", where(i)))
			continue
		}
		if err := checkKeyID(id); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where(i), err))
			continue
		}
		if _, dup := r.key(id); dup {
			errs = append(errs, fmt.Errorf("%s: key ID %q appears twice: every key needs its own ID", where(i), id))
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: key %q is not standard base64 (%s)", where(i), id, newKeyHint))
			continue
		}
		if len(raw) != KeySize {
			errs = append(errs, fmt.Errorf("%s: key %q is %d bytes: AES-256 needs %d (%s)", where(i), id, len(raw), KeySize, newKeyHint))
			continue
		}
		block, err := aes.NewCipher(raw)
		clear(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: key %q: %w", where(i), id, err))
			continue
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: key %q: %w", where(i), id, err))
			continue
		}
		r.keys = append(r.keys, ringKey{id: id, aead: aead})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// checkKeyID keeps IDs printable and short: they travel in every payload's
// metadata and in error messages.
func checkKeyID(id string) error {
	if len(id) > maxKeyIDLength {
		return fmt.Errorf("a key ID is %d characters long: at most %d", len(id), maxKeyIDLength)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return errors.New("a key ID may hold only letters, digits, '-', '_' and '.' (such as 2026-11)")
		}
	}
	return nil
}
