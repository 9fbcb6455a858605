package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a Sealer key in bytes (AES-256).
const KeySize = 32

// formatV1 is the leading byte of a sealed value: AES-256-GCM, 12-byte
// random nonce, 16-byte tag. The byte is also authenticated.
const formatV1 byte = 1

const (
	nonceSize = 12
	tagSize   = 16
)

// ErrDecrypt is returned by Open for anything that does not decrypt: wrong
// key, wrong associated data, truncated, tampered or unknown format.
var ErrDecrypt = errors.New("secret: cannot decrypt")

// ParseKey decodes a 32-byte key given as 64 hex characters or as base64
// (standard or URL alphabet, padded or raw). Surrounding white space is
// ignored. The error never contains the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("key must be 32 bytes as 64 hex characters or base64; got nothing")
	}
	if b, err := hex.DecodeString(s); err == nil {
		if len(b) == KeySize {
			return b, nil
		}
		return nil, fmt.Errorf("key must be 32 bytes as 64 hex characters or base64; got %d bytes", len(b))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) == KeySize {
			return b, nil
		}
		return nil, fmt.Errorf("key must be 32 bytes as 64 hex characters or base64; got %d bytes", len(b))
	}
	return nil, fmt.Errorf("key must be 32 bytes as 64 hex characters or base64; got %d characters that are neither", len(s))
}

// GenerateKey returns a new random key as 64 hex characters.
func GenerateKey() (string, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Sealer encrypts secrets with AES-256-GCM. It is safe for concurrent use.
// It seals with its key and opens with it or any previous key, so a key
// can be rotated without logging anyone out (see WithPrevious).
type Sealer struct {
	aead     cipher.AEAD
	previous []cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key (see ParseKey).
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("new sealer: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// WithPrevious returns a Sealer that still opens what the previous keys
// sealed (OpenRotated says when a value needs sealing again with the
// current key). A previous key that is not 32 bytes is an error.
func (z *Sealer) WithPrevious(keys ...[]byte) (*Sealer, error) {
	out := &Sealer{aead: z.aead, previous: append([]cipher.AEAD(nil), z.previous...)}
	for i, key := range keys {
		prev, err := NewSealer(key)
		if err != nil {
			return nil, fmt.Errorf("previous key %d: %w", i+1, err)
		}
		out.previous = append(out.previous, prev.aead)
	}
	return out, nil
}

// Seal encrypts s. aad (associated data, e.g. "user:42") is authenticated
// but not stored: Open must be given the same aad, which binds a ciphertext
// to its owner. The result is: format byte (1) | 12-byte nonce | ciphertext+tag.
func (z *Sealer) Seal(s Secret, aad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(s.v)+tagSize)
	out[0] = formatV1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return z.aead.Seal(out, out[1:1+nonceSize], []byte(s.v), additional(aad)), nil
}

// Open decrypts a value produced by Seal with the same key (or a previous
// one) and aad. Any failure is ErrDecrypt.
func (z *Sealer) Open(ct, aad []byte) (Secret, error) {
	s, _, err := z.OpenRotated(ct, aad)
	return s, err
}

// OpenRotated is Open that also reports whether a previous key opened ct:
// the value should then be sealed again with the current key.
func (z *Sealer) OpenRotated(ct, aad []byte) (s Secret, rotated bool, err error) {
	if len(ct) < 1+nonceSize+tagSize || ct[0] != formatV1 {
		return Secret{}, false, ErrDecrypt
	}
	for i, aead := range append([]cipher.AEAD{z.aead}, z.previous...) {
		pt, err := aead.Open(nil, ct[1:1+nonceSize], ct[1+nonceSize:], additional(aad))
		if err == nil {
			return Secret{v: string(pt)}, i > 0, nil
		}
	}
	return Secret{}, false, ErrDecrypt
}

// additional authenticates the format byte together with the caller's aad.
func additional(aad []byte) []byte {
	a := make([]byte, 0, 1+len(aad))
	a = append(a, formatV1)
	return append(a, aad...)
}
