package copperx

import (
	"errors"
	"strings"
)

// Why CheckEmail refused an address.
var (
	ErrEmailTooLong = errors.New("copperx: email address longer than 254 characters")
	ErrEmailInvalid = errors.New("copperx: not an email address the API accepts")
)

// Email limits (RFC 5321).
const (
	MaxEmailLength = 254
	maxLocalPart   = 64
)

// CheckEmail accepts an address the API takes and a person can read in
// full: printable ASCII only (an invisible, control or look-alike character
// is refused, never stripped), an RFC 5322 dot-atom local part of at most
// 64 characters, and a hostname of two or more labels whose top-level label
// is alphabetic (or an IDNA "xn--" label), 254 characters in all. It returns
// the address with its domain lower-cased; the caller trims what it wants.
//
// It refuses, never rewrites: a non-ASCII byte anywhere is refused BEFORE any
// case folding, so a look-alike such as "gmaİl.com" (U+0130) or a Kelvin sign
// (U+212A, which Unicode lower-cases to "k") can never turn into another,
// valid address. The accepted result equals the input except for the ASCII
// case of the domain.
func CheckEmail(s string) (string, error) {
	if len(s) > MaxEmailLength {
		return "", ErrEmailTooLong
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e { // control, space, DEL or non-ASCII
			return "", ErrEmailInvalid
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", ErrEmailInvalid
	}
	local, domain := s[:at], asciiLower(s[at+1:])
	if len(local) > maxLocalPart || !dotAtom(local) || !hostname(domain) {
		return "", ErrEmailInvalid
	}
	return local + "@" + domain, nil
}

// asciiLower lower-cases the ASCII letters of s and nothing else (s is
// printable ASCII by then; strings.ToLower would also fold Unicode).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// dotAtom reports an RFC 5322 dot-atom of ASCII atext runs separated by
// single dots.
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

// hostname reports a lower-case ASCII DNS name of two or more labels (1-63
// letters, digits or inner hyphens) whose top-level label is alphabetic, or
// an IDNA "xn--" label.
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
	if strings.HasPrefix(tld, "xn--") {
		return len(tld) > 4
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}
