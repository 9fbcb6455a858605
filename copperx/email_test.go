package copperx

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"Bob@Example.COM", "Bob@example.com", nil},
		{"first.last+tag@mail.example.co", "first.last+tag@mail.example.co", nil},
		{"a@xn--80ak6aa92e.com", "a@xn--80ak6aa92e.com", nil},
		{"bob@example", "", ErrEmailInvalid},
		{"bob@@example.com", "", ErrEmailInvalid},
		{".bob@example.com", "", ErrEmailInvalid},
		{"bo..b@example.com", "", ErrEmailInvalid},
		{"\u200fbob@example.com", "", ErrEmailInvalid},
		{"bob@exa\u200bmple.com", "", ErrEmailInvalid},
		{"b\u043eb@example.com", "", ErrEmailInvalid}, // Cyrillic o
		{"bob@例え.jp", "", ErrEmailInvalid},
		{"bob@example.c0m", "", ErrEmailInvalid},
		{"bob@-example.com", "", ErrEmailInvalid},
		{" bob@example.com", "", ErrEmailInvalid},
		{"", "", ErrEmailInvalid},
		{strings.Repeat("a", 65) + "@example.com", "", ErrEmailInvalid},
		{"a@" + strings.Repeat("b", 250) + ".com", "", ErrEmailTooLong},
	}
	for _, tt := range tests {
		got, err := CheckEmail(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("CheckEmail(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
