package payees

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Why checkNickname refused a nickname.
var (
	errNicknameEmpty = errors.New("payees: nickname is empty")
	errNicknameLong  = errors.New("payees: nickname is too long")
	errNicknameChars = errors.New("payees: nickname has characters that are not printable")
)

// checkNickname accepts a nickname a person typed: blanks around it are
// dropped, then 1 to max characters must remain, each printable (letters,
// marks, digits, punctuation, symbols and the ASCII space; a control,
// invisible or formatting character, a line break or another kind of space
// is refused, never removed).
func checkNickname(s string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", errNicknameChars
	}
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", errNicknameEmpty
	case n > max:
		return "", errNicknameLong
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", errNicknameChars
		}
	}
	return s, nil
}

// nicknameTaken reports whether nick is among taken, ignoring case.
func nicknameTaken(nick string, taken []string) bool {
	for _, t := range taken {
		if strings.EqualFold(t, nick) {
			return true
		}
	}
	return false
}

// suggestNickname is a nickname for email that is not among taken: its
// local part ("bob" for bob@example.com) cut to max characters, else that
// with a number ("bob2", "bob3", ...). "" when none fits.
func suggestNickname(email string, taken []string, max int) string {
	local, _, _ := strings.Cut(email, "@")
	if _, err := checkNickname(local, len(local)); err != nil || local != strings.TrimSpace(local) {
		return ""
	}
	if base := cut(local, max); !nicknameTaken(base, taken) {
		return base
	}
	for n := 2; n < 1000; n++ {
		suffix := strconv.Itoa(n)
		room := max - len(suffix)
		if room < 0 {
			break
		}
		nick := strings.TrimSpace(cut(local, room)) + suffix
		if !nicknameTaken(nick, taken) {
			return nick
		}
	}
	return ""
}

// cut is s cut to at most n characters.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
