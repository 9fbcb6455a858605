package wallet

import (
	"strings"
	"testing"
)

func TestShortAddress(t *testing.T) {
	for in, want := range map[string]string{
		"0xa6b35531f3df836abb275fcdea46cc9e52084ad6":   "0xa6b3…4ad6",
		"CDjHH98wTCvuAdpTKtFxVi6DbiUkKukF1wocmEPAa6cE": "CDjHH9…a6cE",
		"short":           "short",
		"ñññññññññññññññ": "ññññññ…ññññ",
	} {
		if got := shortAddress(in); got != want {
			t.Errorf("shortAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRef: a wallet id travels in a button as it is when it fits, else as
// its index in the listing; either way resolve can map it back.
func TestRef(t *testing.T) {
	uuid := "3f2b8c1e-1111-4000-8000-000000000000"
	long := strings.Repeat("x", 60)
	withColon := "a:b"
	listing := []string{uuid, long, withColon, "~2"}
	for _, tc := range []struct{ id, want string }{
		{uuid, uuid},
		{long, "~1"},      // wallet, askdef and 60 bytes are over 64
		{withColon, "~2"}, // ':' separates arguments
		{"~2", "~3"},      // would read as an index
	} {
		got := ref(listing, tc.id)
		if got != tc.want {
			t.Errorf("ref(%q) = %q, want %q", tc.id, got, tc.want)
		}
		for _, name := range []string{"show", "askdef", "setdef"} {
			if !fits(name, got) {
				t.Errorf("%s:%s does not fit a button", name, got)
			}
		}
	}
}

func TestFits(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"137"}, true},
		{[]string{"1399811149"}, true},
		{[]string{strings.Repeat("9", 52)}, true}, // wallet, addr and the colons take 12 of the 64 bytes
		{[]string{strings.Repeat("9", 53)}, false},
		{[]string{"eip155:1"}, false},
	} {
		if got := fits("addr", tc.args...); got != tc.want {
			t.Errorf("fits(addr, %q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
