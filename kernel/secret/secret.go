// Package secret keeps credentials out of logs, error messages and JSON, and
// encrypts them at rest.
//
// A Secret prints as "[redacted]" through every path that usually leaks
// values: fmt (all verbs), encoding/json, encoding.TextMarshaler and log/slog.
// Only Reveal returns the plaintext, so every use of a credential is explicit
// and easy to grep for. A Sealer encrypts a Secret with AES-256-GCM for
// storage (for example a user's API token in the session store).
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
)

// Redacted is what a Secret prints instead of its value.
const Redacted = "[redacted]"

// ErrUnmarshal is returned when something tries to decode a Secret from
// JSON: a redacted placeholder must never be mistaken for a credential.
var ErrUnmarshal = errors.New("secret: refusing to unmarshal a secret from JSON")

// Secret holds a credential. The zero value is an empty secret.
type Secret struct {
	v string
}

// New wraps s.
func New(s string) Secret { return Secret{v: s} }

// Reveal returns the plaintext. Call it only where the credential is used.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Equal reports whether s and o hold the same value, in constant time (the
// values are hashed first, so not even their lengths leak through timing).
func (s Secret) Equal(o Secret) bool {
	a, b := sha256.Sum256([]byte(s.v)), sha256.Sum256([]byte(o.v))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// String implements fmt.Stringer.
func (s Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return Redacted }

// Format implements fmt.Formatter so that every verb (%v %+v %#v %s %q %x
// %d ...) prints the placeholder; %q quotes it.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(Redacted)))
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// UnmarshalJSON implements json.Unmarshaler and always fails.
func (s *Secret) UnmarshalJSON([]byte) error { return ErrUnmarshal }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

var (
	_ fmt.Stringer   = Secret{}
	_ fmt.GoStringer = Secret{}
	_ fmt.Formatter  = Secret{}
	_ slog.LogValuer = Secret{}
)
