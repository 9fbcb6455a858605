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
type Sealer struct {
	aead cipher.AEAD
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

// Open decrypts a value produced by Seal with the same key and aad. Any
// failure is ErrDecrypt.
func (z *Sealer) Open(ct, aad []byte) (Secret, error) {
	if len(ct) < 1+nonceSize+tagSize || ct[0] != formatV1 {
		return Secret{}, ErrDecrypt
	}
	pt, err := z.aead.Open(nil, ct[1:1+nonceSize], ct[1+nonceSize:], additional(aad))
	if err != nil {
		return Secret{}, ErrDecrypt
	}
	return Secret{v: string(pt)}, nil
}

// additional authenticates the format byte together with the caller's aad.
func additional(aad []byte) []byte {
	a := make([]byte, 0, 1+len(aad))
	a = append(a, formatV1)
	return append(a, aad...)
}
