package payloadcrypt_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
)

// testKey is a deterministic 32-byte key, base64, distinct per seed.
func testKey(seed byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{seed}, payloadcrypt.KeySize))
}

func ring(t *testing.T, spec string) *payloadcrypt.KeyRing {
	t.Helper()
	r, err := payloadcrypt.ParseKeys(spec)
	require.NoError(t, err)
	return r
}

func encode(t *testing.T, r *payloadcrypt.KeyRing, v any) *commonpb.Payload {
	t.Helper()
	p, err := payloadcrypt.DataConverter(nil, r).ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestParseKeysTheFirstEncryptsAndEveryOneDecrypts(t *testing.T) {
	r := ring(t, " 2026-12:"+testKey(2)+" , 2026-11:"+testKey(1))
	require.Equal(t, "2026-12", r.EncryptingKeyID())
	require.Equal(t, []string{"2026-12", "2026-11"}, r.IDs())
	require.Equal(t, "payload keys [2026-12 2026-11] (2026-12 encrypts)", r.String())
}

func TestBadKeyConfigurationsAreRefusedWithoutPrintingKeyMaterial(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	long := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("k"), 48))
	for _, tc := range []struct {
		name, spec, refusal string
		material            []string
	}{
		{"nothing but commas", " , ,", "no key", nil},
		{"no ID", testKey(1), "entry 1: want id:base64key", []string{testKey(1)}},
		{"empty key", "a:", "entry 1: want id:base64key", nil},
		{"16-byte key", "a:" + short, `key "a" is 16 bytes: AES-256 needs 32`, []string{short}},
		{"48-byte key", "ok:" + testKey(1) + ",b:" + long, `entry 2: key "b" is 48 bytes`, []string{long, testKey(1)}},
		{"not base64", "a:" + strings.Repeat("!", 44), `key "a" is not standard base64`, []string{strings.Repeat("!", 44)}},
		{"duplicate ID", "a:" + testKey(1) + ",a:" + testKey(2), `key ID "a" appears twice`, []string{testKey(1), testKey(2)}},
		{"ID with other characters", "my key/1:" + testKey(1), "letters, digits", []string{testKey(1)}},
		{"key material pasted as the ID", short + ":" + testKey(1), "letters, digits", []string{short, testKey(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := payloadcrypt.ParseKeys(tc.spec)
			require.ErrorContains(t, err, tc.refusal)
			for _, m := range tc.material {
				require.NotContains(t, err.Error(), m, "the error prints key material")
				require.NotContains(t, err.Error(), m[:12], "the error prints part of the key material")
			}
		})
	}
}

func TestKeysComeFromTheEnvironmentOrAFile(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	r, err := payloadcrypt.FromEnv(env(nil))
	require.NoError(t, err)
	require.True(t, r.Empty(), "no key configured: plain payloads")

	r, err = payloadcrypt.FromEnv(env(map[string]string{payloadcrypt.KeysEnv: "new:" + testKey(2) + ",old:" + testKey(1)}))
	require.NoError(t, err)
	require.Equal(t, []string{"new", "old"}, r.IDs())

	file := filepath.Join(t.TempDir(), "codec-keys")
	require.NoError(t, os.WriteFile(file, []byte("# rotated 2026-12: new encrypts, old still decrypts\n\nnew:"+testKey(2)+"\r\nold:"+testKey(1)+"\n"), 0o600))
	r, err = payloadcrypt.FromEnv(env(map[string]string{payloadcrypt.KeyFileEnv: file}))
	require.NoError(t, err)
	require.Equal(t, []string{"new", "old"}, r.IDs())

	_, err = payloadcrypt.FromEnv(env(map[string]string{payloadcrypt.KeysEnv: "a:" + testKey(1), payloadcrypt.KeyFileEnv: file}))
	require.ErrorContains(t, err, "set one of them")

	require.NoError(t, os.WriteFile(file, []byte("new:"+testKey(2)+"\nold:c2hvcnQ=\n"), 0o600))
	_, err = payloadcrypt.FromEnv(env(map[string]string{payloadcrypt.KeyFileEnv: file}))
	require.ErrorContains(t, err, payloadcrypt.KeyFileEnv+": "+file+": line 2: key \"old\" is 5 bytes")
	require.NotContains(t, err.Error(), testKey(2))

	_, err = payloadcrypt.FromEnv(env(map[string]string{payloadcrypt.KeyFileEnv: filepath.Join(t.TempDir(), "missing")}))
	require.ErrorContains(t, err, "cannot read the key file")
}

func TestEncryptedPayloadsHideTheValueAndNameTheirKey(t *testing.T) {
	r := ring(t, "k1:"+testKey(1))
	value := map[string]string{"username": "alice@example.com"}
	a, b := encode(t, r, value), encode(t, r, value)

	for _, p := range []*commonpb.Payload{a, b} {
		require.Equal(t, payloadcrypt.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
		require.Equal(t, "k1", string(p.Metadata[payloadcrypt.MetadataKeyID]))
		require.NotContains(t, string(p.Data), "alice")
		require.NotContains(t, string(p.Data), "json/plain", "the inner metadata is encrypted too")
	}
	require.NotEqual(t, a.Data, b.Data, "a random nonce per payload")

	var got map[string]string
	require.NoError(t, payloadcrypt.DataConverter(nil, r).FromPayload(a, &got))
	require.Equal(t, value, got)
}

func TestARotatedRingReadsOldPayloadsAndWritesWithTheNewKey(t *testing.T) {
	old := encode(t, ring(t, "A:"+testKey(1)), "alice@example.com")
	rotated := ring(t, "B:"+testKey(2)+",A:"+testKey(1))

	var got string
	require.NoError(t, payloadcrypt.DataConverter(nil, rotated).FromPayload(old, &got))
	require.Equal(t, "alice@example.com", got)
	require.Equal(t, "B", string(encode(t, rotated, "bob").Metadata[payloadcrypt.MetadataKeyID]))

	err := payloadcrypt.DataConverter(nil, ring(t, "B:"+testKey(2))).FromPayload(old, &got)
	var missing *payloadcrypt.MissingKeyError
	require.True(t, errors.As(err, &missing), "%v", err)
	require.Equal(t, "A", missing.KeyID)
	require.ErrorContains(t, err, `encrypted with key "A", which is not in the key ring [B]`)
	require.ErrorContains(t, err, payloadcrypt.KeysEnv)
}

func TestAPayloadDoesNotOpenUnderTheWrongKeyOrWhenAltered(t *testing.T) {
	p := encode(t, ring(t, "A:"+testKey(1)), "alice@example.com")
	var got string

	err := payloadcrypt.DataConverter(nil, ring(t, "A:"+testKey(9))).FromPayload(p, &got)
	require.ErrorContains(t, err, `key "A" does not decrypt`)

	relabelled := &commonpb.Payload{Metadata: map[string][]byte{}, Data: p.Data}
	for k, v := range p.Metadata {
		relabelled.Metadata[k] = v
	}
	relabelled.Metadata[payloadcrypt.MetadataKeyID] = []byte("B")
	err = payloadcrypt.DataConverter(nil, ring(t, "A:"+testKey(1)+",B:"+testKey(1))).FromPayload(relabelled, &got)
	require.ErrorContains(t, err, `key "B" does not decrypt`, "the key ID is authenticated")

	altered := &commonpb.Payload{Metadata: p.Metadata, Data: append([]byte(nil), p.Data...)}
	altered.Data[len(altered.Data)-1] ^= 1
	require.Error(t, payloadcrypt.DataConverter(nil, ring(t, "A:"+testKey(1))).FromPayload(altered, &got))

	truncated := &commonpb.Payload{Metadata: p.Metadata, Data: p.Data[:5]}
	require.ErrorContains(t, payloadcrypt.DataConverter(nil, ring(t, "A:"+testKey(1))).FromPayload(truncated, &got), "truncated")
}

func TestWithoutAKeyPayloadsStayPlainAndEncryptedOnesSayWhatIsMissing(t *testing.T) {
	plain := encode(t, nil, "alice@example.com")
	def, err := converter.GetDefaultDataConverter().ToPayload("alice@example.com")
	require.NoError(t, err)
	require.Equal(t, def.Data, plain.Data, "today's plain JSON")
	require.Equal(t, "json/plain", string(plain.Metadata[converter.MetadataEncoding]))

	var got string
	require.NoError(t, payloadcrypt.DataConverter(nil, ring(t, "A:"+testKey(1))).FromPayload(plain, &got),
		"a keyed reader still reads plain histories")
	require.Equal(t, "alice@example.com", got)

	err = payloadcrypt.DataConverter(nil, nil).FromPayload(encode(t, ring(t, "A:"+testKey(1)), "x"), &got)
	require.ErrorContains(t, err, `encrypted with key "A" and no payload key is configured: set `+payloadcrypt.KeysEnv)
}

func TestFailureMessagesMoveIntoEncryptedAttributesOnlyWithAKey(t *testing.T) {
	cause := temporal.NewApplicationError("R1 POST /dpskServices/p-1/passphrases: 409 Conflict: alice@example.com exists", "R1Conflict")

	var keyed client.Options
	payloadcrypt.ApplyTo(&keyed, ring(t, "A:"+testKey(1)))
	f := keyed.FailureConverter.ErrorToFailure(cause)
	require.Equal(t, "Encoded failure", f.Message)
	require.Equal(t, "A", string(f.EncodedAttributes.Metadata[payloadcrypt.MetadataKeyID]))
	require.NotContains(t, f.String(), "alice")
	back := keyed.FailureConverter.FailureToError(cloneFailure(f))
	require.ErrorContains(t, back, "alice@example.com exists", "the same converter reads the message back")

	var plain client.Options
	payloadcrypt.ApplyTo(&plain, nil)
	f = plain.FailureConverter.ErrorToFailure(cause)
	require.Contains(t, f.Message, "alice@example.com", "no key: today's plain failures")
	require.Nil(t, f.EncodedAttributes)
}

func cloneFailure(f *failurepb.Failure) *failurepb.Failure {
	return &failurepb.Failure{Message: f.Message, Source: f.Source, StackTrace: f.StackTrace,
		EncodedAttributes: f.EncodedAttributes, FailureInfo: f.FailureInfo}
}
