package payees

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCheckNickname(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
		err      error
	}{
		{"plain", "Bob", 32, "Bob", nil},
		{"trimmed", "  Bob \t\n", 32, "Bob", nil},
		{"inner space kept", "Aunt May", 32, "Aunt May", nil},
		{"emoji and accents", "Zoë 🌸", 32, "Zoë 🌸", nil},
		{"exactly max, in characters", strings.Repeat("é", 32), 32, strings.Repeat("é", 32), nil},
		{"one over max", strings.Repeat("a", 33), 32, "", errNicknameLong},
		{"trimmed to fit", " " + strings.Repeat("a", 32) + " ", 32, strings.Repeat("a", 32), nil},
		{"empty", "", 32, "", errNicknameEmpty},
		{"blank", " \t ", 32, "", errNicknameEmpty},
		{"line break inside", "Bob\nSmith", 32, "", errNicknameChars},
		{"zero-width space", "Bo\u200bb", 32, "", errNicknameChars},
		{"right-to-left override", "Bob\u202e", 32, "", errNicknameChars},
		{"no-break space inside", "Bob\u00a0Smith", 32, "", errNicknameChars},
		{"control character", "Bob\x07", 32, "", errNicknameChars},
		{"invalid UTF-8", "Bob\xff", 32, "", errNicknameChars},
		{"max of one", "B", 1, "B", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkNickname(tc.in, tc.max)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("checkNickname(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestSuggestNickname(t *testing.T) {
	for _, tc := range []struct {
		name, email string
		taken       []string
		max         int
		want        string
	}{
		{"local part", "bob@example.com", nil, 32, "bob"},
		{"taken, any case", "bob@example.com", []string{"BOB"}, 32, "bob2"},
		{"next number", "bob@example.com", []string{"bob", "Bob2", "bob3"}, 32, "bob4"},
		{"cut to max", "averyveryverylongname@example.com", nil, 8, "averyver"},
		{"cut to fit the number", "averyveryverylongname@example.com", []string{"averyver"}, 8, "averyve2"},
		{"symbols of an email kept", "o'neil+pay@example.com", nil, 32, "o'neil+pay"},
		{"max of one, taken", "bob@example.com", []string{"b"}, 1, "2"},
		{"nothing fits", "b@example.com", []string{"b", "2", "3", "4", "5", "6", "7", "8", "9"}, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := suggestNickname(tc.email, tc.taken, tc.max); got != tc.want {
				t.Fatalf("suggestNickname(%q, %q, %d) = %q, want %q", tc.email, tc.taken, tc.max, got, tc.want)
			}
		})
	}
}

// FuzzCheckNickname: whatever is typed, an accepted nickname is the input
// trimmed, 1 to max characters, every one printable, and checking it again
// accepts it unchanged.
func FuzzCheckNickname(f *testing.F) {
	for _, s := range []string{"Bob", "  Zoë 🌸 ", "", "\u200b", "a\nb", "\xff", strings.Repeat("x", 40), "\u00a0Bob\u00a0"} {
		f.Add(s, 32)
	}
	f.Fuzz(func(t *testing.T, in string, max int) {
		max = 1 + (max&0x7fffffff)%64
		got, err := checkNickname(in, max)
		if err != nil {
			if got != "" {
				t.Fatalf("refused %q but returned %q", in, got)
			}
			return
		}
		if got != strings.TrimSpace(in) {
			t.Fatalf("accepted %q as %q: not the input trimmed", in, got)
		}
		if n := utf8.RuneCountInString(got); n < 1 || n > max {
			t.Fatalf("accepted %q: %d characters, max %d", got, n, max)
		}
		for _, r := range got {
			if !unicode.IsPrint(r) {
				t.Fatalf("accepted %q with %U", got, r)
			}
		}
		if again, err := checkNickname(got, max); err != nil || again != got {
			t.Fatalf("checking %q again: %q, %v", got, again, err)
		}
	})
}

// FuzzSuggestNickname: a suggestion, when there is one, is a nickname
// checkNickname accepts and none of the taken ones.
func FuzzSuggestNickname(f *testing.F) {
	f.Add("bob@example.com", "bob", 32)
	f.Add("a@b.co", "a", 1)
	f.Add("o'neil+pay@example.com", "O'NEIL+PAY", 5)
	f.Fuzz(func(t *testing.T, email, taken string, max int) {
		max = 1 + (max&0x7fffffff)%64
		takenList := strings.Split(taken, ",")
		got := suggestNickname(email, takenList, max)
		if got == "" {
			return
		}
		if checked, err := checkNickname(got, max); err != nil || checked != got {
			t.Fatalf("suggested %q for %q (max %d): checkNickname says %q, %v", got, email, max, checked, err)
		}
		if nicknameTaken(got, takenList) {
			t.Fatalf("suggested %q, which is taken (%q)", got, takenList)
		}
	})
}
