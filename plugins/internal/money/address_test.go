package money

import (
	"errors"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
)

func TestValidateAddress(t *testing.T) {
	tests := []struct {
		format, addr string
		want         error
	}{
		{copperx.FormatEVM, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", nil}, // EIP-55 test vectors
		{copperx.FormatEVM, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", nil},
		{copperx.FormatEVM, "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", nil},
		{copperx.FormatEVM, "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", nil},
		{copperx.FormatEVM, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", nil},
		{copperx.FormatEVM, "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", nil},
		{copperx.FormatEVM, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", ErrAddressChecksum},
		{copperx.FormatEVM, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", ErrAddressFormat},
		{copperx.FormatEVM, "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00", ErrAddressFormat},
		{copperx.FormatEVM, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg", ErrAddressFormat},
		{copperx.FormatSolana, "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", nil},
		{copperx.FormatSolana, "11111111111111111111111111111111", nil},
		{copperx.FormatSolana, "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB40", ErrAddressFormat}, // 0 is not base58
		{copperx.FormatSolana, "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4g", ErrAddressFormat},
		{copperx.FormatSolana, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", ErrAddressFormat},
		{copperx.FormatStarknet, "0x" + strings.Repeat("a", 64), nil},
		{copperx.FormatStarknet, "0x1", nil},
		{copperx.FormatStarknet, "0x" + strings.Repeat("a", 65), ErrAddressFormat},
		{copperx.FormatStarknet, "0x", ErrAddressFormat},
		{"", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", ErrAddressNetwork},
	}
	for _, tc := range tests {
		if err := ValidateAddress(tc.format, tc.addr); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("ValidateAddress(%s, %s) = %v, want %v", tc.format, tc.addr, err, tc.want)
		}
	}
}

func TestZeroAddress(t *testing.T) {
	for _, c := range []struct {
		format, addr string
		zero         bool
	}{
		{copperx.FormatEVM, "0x0000000000000000000000000000000000000000", true},
		{copperx.FormatEVM, "0xa6b35531f3df836abb275fcdea46cc9e52084ad6", false},
		{copperx.FormatStarknet, "0x0", true},
		{copperx.FormatStarknet, "0x" + strings.Repeat("0", 64), true},
		{copperx.FormatStarknet, "0x1", false},
		{copperx.FormatSolana, "11111111111111111111111111111111", true},
		{copperx.FormatSolana, "So11111111111111111111111111111111111111112", false},
	} {
		if err := ValidateAddress(c.format, c.addr); err != nil {
			t.Fatalf("%s %s: %v", c.format, c.addr, err)
		}
		if got := ZeroAddress(c.format, c.addr); got != c.zero {
			t.Errorf("ZeroAddress(%s, %s) = %v", c.format, c.addr, got)
		}
	}
}

func TestDecodeBase58(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1", "00"}, {"2", "01"}, {"z", "39"}, {"21", "3a"}, {"5Q", "ff"}, {"LUv", "ffff"}, {"11", "0000"},
	} {
		b, ok := decodeBase58(tc.in)
		if !ok || hexOf(b) != tc.want {
			t.Errorf("decodeBase58(%s) = %x, %v; want %s", tc.in, b, ok, tc.want)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func FuzzValidateAddress(f *testing.F) {
	for _, s := range []string{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", "0x1", "", "0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		for _, format := range []string{copperx.FormatEVM, copperx.FormatSolana, copperx.FormatStarknet} {
			err := ValidateAddress(format, addr)
			if err == nil {
				switch format {
				case copperx.FormatEVM:
					if len(addr) != 42 || eip55(strings.ToLower(addr[2:])) != addr[2:] && strings.ToLower(addr) != addr && "0x"+strings.ToUpper(addr[2:]) != addr {
						t.Fatalf("evm accepted %q", addr)
					}
				case copperx.FormatSolana:
					if b, ok := decodeBase58(addr); !ok || len(b) != 32 {
						t.Fatalf("solana accepted %q", addr)
					}
				case copperx.FormatStarknet:
					if !strings.HasPrefix(addr, "0x") || len(addr) > 66 {
						t.Fatalf("starknet accepted %q", addr)
					}
				}
			} else if !errors.Is(err, ErrAddressFormat) && !errors.Is(err, ErrAddressChecksum) {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}
