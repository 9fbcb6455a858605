package auth

import (
	"errors"
	"strings"
	"unicode"

	"github.com/copperx-bot/payoutbot/copperx"
)

// Why an email or a code was refused.
var (
	errEmailEmpty   = errors.New("empty email")
	errEmailLong    = errors.New("email too long")
	errEmailInvalid = errors.New("not an email address")
	errOTPEmpty     = errors.New("empty code")
	errOTPDigits    = errors.New("code has characters other than digits")
	errOTPLength    = errors.New("code length out of range")
)

const (
	maxEmail = copperx.MaxEmailLength
	minOTP   = 4
	maxOTP   = 8
)

// parseEmail checks an email address (copperx.CheckEmail: the practical
// subset of RFC 5322 the API accepts, ASCII only) and returns it trimmed
// with the domain lower-cased.
func parseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errEmailEmpty
	}
	email, err := copperx.CheckEmail(s)
	switch {
	case errors.Is(err, copperx.ErrEmailTooLong):
		return "", errEmailLong
	case err != nil:
		return "", errEmailInvalid
	}
	return email, nil
}

// parseOTP reads a one-time code: spaces anywhere are ignored, then 4 to 8
// ASCII digits.
func parseOTP(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", errOTPEmpty
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", errOTPDigits
		}
	}
	if len(s) < minOTP || len(s) > maxOTP {
		return "", errOTPLength
	}
	return s, nil
}

// maskEmail shows enough of the normalized (lower-case) address to
// recognise it: a•••@example.com.
func maskEmail(email string) string {
	email = strings.ToLower(email)
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "•••"
	}
	first := []rune(email[:at])[0]
	return string(first) + "•••" + email[at:]
}

// shortAddress shortens a wallet address to 0x1234…abcd.
func shortAddress(a string) string {
	if len(a) <= 12 {
		return a
	}
	return a[:6] + "…" + a[len(a)-4:]
}
