package transfer

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/copperx-bot/payoutbot/copperx"
)

func TestValidEmailStrict(t *testing.T) {
	for _, in := range []string{
		"\u200fbob@example.com", "bob\u200b@example.com", "bob@exa\u200bmple.com", "bob@example.com\u200e",
		"b\u00adob@example.com", "bob\u2060@example.com", "bob\ufeff@example.com", "bob\x00@example.com", "bob\t@example.com",
		"bоb@example.com", // Cyrillic о
		"😀@example.com", "bob@例え.jp", "bob@exämple.com",
		"bob@example", "bob@.example.com", "bob@example.com.", "bob@-example.com", "bob@example.c", "bob@example.123",
		".bob@example.com", "bob.@example.com", "b..ob@example.com", "bob@@example.com", "@example.com", "bob@",
		"Bob <bob@example.com>", "\"bob\"@example.com", "bob@[127.0.0.1]", "bob smith@example.com",
		strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("b", 250) + ".com",
	} {
		if got, ok := validEmail(in); ok {
			t.Errorf("validEmail(%q) = %q, want refused", in, got)
		}
	}
	for in, want := range map[string]string{
		"bob@example.com":        "bob@example.com",
		"Bob.Smith@Example.COM":  "Bob.Smith@example.com",
		"o'brien+tag@mail.co.uk": "o'brien+tag@mail.co.uk",
		"bob@xn--r8jz45g.jp":     "bob@xn--r8jz45g.jp",
	} {
		if got, ok := validEmail(in); !ok || got != want {
			t.Errorf("validEmail(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"bob@example.com", "\u200fbob@example.com", "bоb@example.com", "a.b-c+d@x-y.example.org", "😀@example.com", "Bob@EXAMPLE.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := validEmail(in)
		if !ok {
			return
		}
		if len(got) > copperx.MaxEmailLength || !utf8.ValidString(got) {
			t.Fatalf("validEmail(%q) = %q: too long or not UTF-8", in, got)
		}
		for _, r := range got {
			if r > unicode.MaxASCII || !unicode.IsGraphic(r) || unicode.IsSpace(r) {
				t.Fatalf("validEmail(%q) = %q has %U", in, got, r)
			}
		}
		local, domain, _ := strings.Cut(got, "@")
		if strings.Count(got, "@") != 1 || !strings.Contains(domain, ".") || domain != strings.ToLower(domain) || local == "" {
			t.Fatalf("validEmail(%q) = %q", in, got)
		}
		if again, ok := validEmail(got); !ok || again != got {
			t.Fatalf("validEmail not idempotent: %q → %q → %q, %v", in, got, again, ok)
		}
		if !strings.EqualFold(got, in) {
			t.Fatalf("validEmail(%q) = %q changed more than case", in, got)
		}
	})
}
