package payloadcrypt

import (
	"crypto/rand"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// EncodingEncrypted marks an encrypted payload (metadata "encoding"), as
	// in Temporal's encryption sample.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key that encrypted a payload.
	MetadataKeyID = "encryption-key-id"
)

// Codec is a converter.PayloadCodec: Encode seals each payload (metadata and
// data) with the ring's first key under a random nonce, Decode opens it with
// the key its metadata names. Payloads without the encrypted marker pass
// through both ways unchanged: histories written before a key was configured
// stay readable, and an empty ring encodes nothing.
type Codec struct {
	ring *KeyRing
}

// NewCodec returns the codec of ring (nil or empty: plain payloads).
func NewCodec(ring *KeyRing) *Codec { return &Codec{ring: ring} }

// Encode implements converter.PayloadCodec.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if c.ring.Empty() {
		return payloads, nil
	}
	k := c.ring.keys[0]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encrypt payload: %w", err)
		}
		nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("encrypt payload: no random nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(k.id),
			},
			// The key ID is authenticated too: a payload relabelled with
			// another ID does not open.
			Data: k.aead.Seal(nonce, nonce, plain, []byte(k.id)),
		}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		k, ok := c.ring.key(id)
		if !ok {
			return payloads, &MissingKeyError{KeyID: id, Have: c.ring.IDs()}
		}
		data := p.GetData()
		ns := k.aead.NonceSize()
		if len(data) < ns+k.aead.Overhead() {
			return payloads, fmt.Errorf("a payload encrypted with key %q is truncated (%d bytes)", id, len(data))
		}
		plain, err := k.aead.Open(nil, data[:ns], data[ns:], []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("a payload encrypted with key %q does not decrypt: the key configured under that ID is not the one that encrypted it, or the payload was altered", id)
		}
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(plain, out[i]); err != nil {
			return payloads, fmt.Errorf("a payload encrypted with key %q holds no payload: %w", id, err)
		}
	}
	return out, nil
}

// MissingKeyError is a payload encrypted with a key the ring does not hold.
type MissingKeyError struct {
	KeyID string   // the key the payload names
	Have  []string // the ring's key IDs
}

func (e *MissingKeyError) Error() string {
	if e.KeyID == "" {
		return "a payload is marked encrypted but names no key (metadata " + MetadataKeyID + "): it was not written by dpskmigrate"
	}
	if len(e.Have) == 0 {
		return fmt.Sprintf("a payload is encrypted with key %q and no payload key is configured: set %s or %s with that key to read this history", e.KeyID, KeysEnv, KeyFileEnv)
	}
	return fmt.Sprintf("a payload is encrypted with key %q, which is not in the key ring [%s]: add %q after the encrypting key in %s or %s to read this history",
		e.KeyID, strings.Join(e.Have, " "), e.KeyID, KeysEnv, KeyFileEnv)
}

// DataConverter returns the default JSON data converter with ring's codec on
// top (parent nil = the SDK's default).
func DataConverter(parent converter.DataConverter, ring *KeyRing) converter.DataConverter {
	if parent == nil {
		parent = converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(parent, NewCodec(ring))
}

// ApplyTo sets the data and failure converters of opts for ring. With a key,
// failure messages and stack traces move into the failure's encoded (hence
// encrypted) attributes, since R1's error text can name users. Without one,
// payloads stay plain JSON, and reading an encrypted history says which key
// it needs.
func ApplyTo(opts *client.Options, ring *KeyRing) {
	dc := DataConverter(opts.DataConverter, ring)
	opts.DataConverter = dc
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: !ring.Empty(),
	})
}
