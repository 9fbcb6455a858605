package copperx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

const redacted = "[redacted]"

// Token is a CopperX bearer credential. It never prints: fmt (every verb),
// encoding/json and log/slog all render it as "[redacted]". The secret is held
// by a closure, so even a Token in an unexported field, which fmt walks by
// reflection, shows only a function address. As a consequence Token is not
// comparable with ==: compare Reveal() values. Use Reveal to get the secret,
// for example to encrypt it into a session store.
type Token struct {
	reveal func() string
}

// NewToken wraps a bearer credential.
func NewToken(s string) Token {
	if s == "" {
		return Token{}
	}
	return Token{reveal: func() string { return s }}
}

// Reveal returns the secret.
func (t Token) Reveal() string {
	if t.reveal == nil {
		return ""
	}
	return t.reveal()
}

// IsZero reports whether the token is empty.
func (t Token) IsZero() bool { return t.reveal == nil }

// String implements fmt.Stringer.
func (t Token) String() string { return redacted }

// GoString implements fmt.GoStringer.
func (t Token) GoString() string { return redacted }

// Format implements fmt.Formatter for every verb.
func (t Token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer.
func (t Token) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler; it never emits the secret.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// UnmarshalJSON implements json.Unmarshaler; it reads the API's accessToken
// string. It refuses "[redacted]", so a token that went through MarshalJSON
// fails loudly instead of being sent as a credential.
func (t *Token) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if s == nil {
		*t = Token{}
		return nil
	}
	if *s == redacted {
		return errors.New("token: cannot decode a redacted token; store Reveal() instead")
	}
	*t = NewToken(*s)
	return nil
}
