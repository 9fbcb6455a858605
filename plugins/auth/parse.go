package auth

import (
	"errors"
	"strings"
	"unicode"
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
	maxEmail     = 254
	maxLocalPart = 64
	minOTP       = 4
	maxOTP       = 8
)

// parseEmail checks an email address (the practical subset of RFC 5322 the
// API accepts: dot-atom local part, a domain of at least two labels) and
// returns it trimmed with the domain lower-cased.
func parseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errEmailEmpty
	}
	if len(s) > maxEmail {
		return "", errEmailLong
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", errEmailInvalid
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if len(local) > maxLocalPart || !dotAtom(local) || !hostname(domain) {
		return "", errEmailInvalid
	}
	return local + "@" + domain, nil
}

// dotAtom reports an RFC 5322 dot-atom: atext runs separated by single dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// hostname reports a lower-case DNS name of two or more labels with an
// alphabetic top-level label.
func hostname(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return tld[:2] == "xn" && strings.HasPrefix(tld, "xn--")
		}
	}
	return true
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
