package copperx

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"domain lower-cased", "Bob@Example.COM", "Bob@example.com", nil},
		{"tag and subdomain", "first.last+tag@mail.example.co", "first.last+tag@mail.example.co", nil},
		{"idna tld label", "a@xn--80ak6aa92e.com", "a@xn--80ak6aa92e.com", nil},
		{"no tld", "bob@example", "", ErrEmailInvalid},
		{"two ats", "bob@@example.com", "", ErrEmailInvalid},
		{"leading dot", ".bob@example.com", "", ErrEmailInvalid},
		{"double dot", "bo..b@example.com", "", ErrEmailInvalid},
		{"rtl mark", "\u200fbob@example.com", "", ErrEmailInvalid},
		{"zero width space", "bob@exa\u200bmple.com", "", ErrEmailInvalid},
		{"cyrillic o in local", "b\u043eb@example.com", "", ErrEmailInvalid},
		{"cyrillic a in domain", "bob@gm\u0430il.com", "", ErrEmailInvalid},
		{"unicode domain", "bob@例え.jp", "", ErrEmailInvalid},
		{"digit tld", "bob@example.c0m", "", ErrEmailInvalid},
		{"hyphen label", "bob@-example.com", "", ErrEmailInvalid},
		{"leading space", " bob@example.com", "", ErrEmailInvalid},
		{"tab", "bob@example.com\t", "", ErrEmailInvalid},
		{"del", "bob\x7f@example.com", "", ErrEmailInvalid},
		{"empty", "", "", ErrEmailInvalid},
		{"long local", strings.Repeat("a", 65) + "@example.com", "", ErrEmailInvalid},
		{"too long", "a@" + strings.Repeat("b", 250) + ".com", "", ErrEmailTooLong},
		// Look-alikes that Unicode case folding would turn into a valid
		// ASCII address: refused, never rewritten.
		{"dotted capital I in domain", "alice@gma\u0130l.com", "", ErrEmailInvalid},
		{"kelvin sign in domain", "alice@\u212Araken.com", "", ErrEmailInvalid},
		{"kelvin sign in tld", "alice@example.u\u212A", "", ErrEmailInvalid},
		{"kelvin sign in local", "\u212Aate@example.com", "", ErrEmailInvalid},
		{"long s in domain", "alice@\u017Fite.com", "", ErrEmailInvalid},
		{"fullwidth letters", "alice@\uff47mail.com", "", ErrEmailInvalid},
		{"invalid utf-8", "alice@gma\xffil.com", "", ErrEmailInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckEmail(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("CheckEmail(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

// FuzzCheckEmail: an accepted address is the input up to the ASCII case of
// its domain, printable ASCII only, and accepted again unchanged.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"Bob@Example.COM", "alice@gma\u0130l.com", "a@\u212A.com", "x@y.z", "a.b+c@xn--p1ai.org", "@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CheckEmail(in)
		if err != nil {
			if out != "" {
				t.Fatalf("CheckEmail(%q) = %q with error %v", in, out, err)
			}
			return
		}
		if len(out) != len(in) {
			t.Fatalf("CheckEmail(%q) = %q: length changed", in, out)
		}
		at := strings.LastIndexByte(in, '@')
		if out[:at] != in[:at] {
			t.Fatalf("CheckEmail(%q) = %q: local part changed", in, out)
		}
		for i := at; i < len(in); i++ {
			a, b := in[i], out[i]
			if a >= 0x80 || b >= 0x80 || a < 0x21 || a > 0x7e {
				t.Fatalf("CheckEmail(%q) accepted a non-printable or non-ASCII byte", in)
			}
			if a != b && !(a >= 'A' && a <= 'Z' && b == a+('a'-'A')) {
				t.Fatalf("CheckEmail(%q) = %q: byte %d changed beyond ASCII case", in, out, i)
			}
			if b >= 'A' && b <= 'Z' {
				t.Fatalf("CheckEmail(%q) = %q: domain not lower-cased", in, out)
			}
		}
		if again, err := CheckEmail(out); err != nil || again != out {
			t.Fatalf("CheckEmail(%q) = %q, %v; not stable", out, again, err)
		}
	})
}
