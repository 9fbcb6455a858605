package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"ada@example.com", "ada@example.com", nil},
		{"  Ada.Lovelace+pay@Example.CO.uk \n", "Ada.Lovelace+pay@example.co.uk", nil},
		{"o'brien@mail-1.example.org", "o'brien@mail-1.example.org", nil},
		{"x@xn--p1ai.xn--p1ai", "x@xn--p1ai.xn--p1ai", nil},
		{"", "", errEmailEmpty},
		{"   ", "", errEmailEmpty},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com", "", errEmailLong},
		{strings.Repeat("a", 65) + "@example.com", "", errEmailInvalid},
		{"ada", "", errEmailInvalid},
		{"ada@", "", errEmailInvalid},
		{"@example.com", "", errEmailInvalid},
		{"ada@example", "", errEmailInvalid},
		{"ada@example.c", "", errEmailInvalid},
		{"ada@example.c0m", "", errEmailInvalid},
		{"ada@-example.com", "", errEmailInvalid},
		{"ada@example..com", "", errEmailInvalid},
		{".ada@example.com", "", errEmailInvalid},
		{"ada.@example.com", "", errEmailInvalid},
		{"a..da@example.com", "", errEmailInvalid},
		{"ada lovelace@example.com", "", errEmailInvalid},
		{"ada@exa mple.com", "", errEmailInvalid},
		{"Ada <ada@example.com>", "", errEmailInvalid},
		{"ada@b@example.com", "", errEmailInvalid},
		{"adá@example.com", "", errEmailInvalid},
		{"ada@exämple.com", "", errEmailInvalid},
		{"<b>@example.com", "", errEmailInvalid},
	} {
		got, err := parseEmail(tc.in)
		if got != tc.want || err != tc.err {
			t.Errorf("parseEmail(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseOTP(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"123456", "123456", nil},
		{" 123 456 \n", "123456", nil},
		{"1234", "1234", nil},
		{"12345678", "12345678", nil},
		{"", "", errOTPEmpty},
		{"   ", "", errOTPEmpty},
		{"123", "", errOTPLength},
		{"123456789", "", errOTPLength},
		{"12a456", "", errOTPDigits},
		{"123-456", "", errOTPDigits},
		{"١٢٣٤٥٦", "", errOTPDigits},
		{"１２３４５６", "", errOTPDigits},
		{"+123456", "", errOTPDigits},
	} {
		got, err := parseOTP(tc.in)
		if got != tc.want || err != tc.err {
			t.Errorf("parseOTP(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestMaskAndShorten(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com":   "a•••@example.com",
		"Ada@Example.COM":   "a•••@example.com",
		"Édith@example.com": "é•••@example.com",
		"é@example.com":     "é•••@example.com",
		"nope":              "•••",
	} {
		if got := maskEmail(in); got != want {
			t.Errorf("maskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	if got := shortAddress("0x4a6c2cb13d77037ec5064fd668bacec426bd742e"); got != "0x4a6c…742e" {
		t.Errorf("shortAddress = %q", got)
	}
	if got := shortAddress("0x1234"); got != "0x1234" {
		t.Errorf("shortAddress(short) = %q", got)
	}
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", " A@B.CO ", "a@b", "a..b@c.com", "@", "x@xn--p1ai.xn--p1ai", "\x00@a.bc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseEmail(s)
		if err != nil {
			if got != "" {
				t.Fatalf("error with a value: %q", got)
			}
			return
		}
		if len(got) > maxEmail || got != strings.TrimSpace(got) || strings.Count(got, "@") != 1 || !utf8.ValidString(got) {
			t.Fatalf("accepted %q as %q", s, got)
		}
		if strings.ContainsAny(got, " <>\"\\,;:()[]\t\r\n") {
			t.Fatalf("accepted specials: %q", got)
		}
		_, domain, _ := strings.Cut(got, "@")
		if domain != strings.ToLower(domain) {
			t.Fatalf("domain not lower-cased: %q", got)
		}
		if again, err := parseEmail(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q, %v", got, again, err)
		}
		if m := maskEmail(got); m != strings.ToLower(got[:1])+"•••@"+domain {
			t.Fatalf("mask %q of %q", m, got)
		}
	})
}

func FuzzParseOTP(f *testing.F) {
	for _, s := range []string{"123456", " 12 34 ", "abcd", "123456789", "١٢٣٤", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseOTP(s)
		if err != nil {
			if got != "" {
				t.Fatalf("error with a value: %q", got)
			}
			return
		}
		if len(got) < minOTP || len(got) > maxOTP {
			t.Fatalf("length %d accepted: %q", len(got), got)
		}
		for _, r := range got {
			if r < '0' || r > '9' {
				t.Fatalf("non-digit accepted: %q", got)
			}
		}
	})
}
