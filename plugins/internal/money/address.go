package money

import (
	"encoding/hex"
	"errors"
	"strings"

	"golang.org/x/crypto/sha3"

	"github.com/copperx-bot/payoutbot/copperx"
)

// Address problems.
var (
	// ErrAddressFormat: not an address of the network's format.
	ErrAddressFormat = errors.New("money: not an address of this network's format")
	// ErrAddressChecksum: a mixed-case EVM address whose EIP-55 checksum fails.
	ErrAddressChecksum = errors.New("money: EVM address checksum mismatch")
	// ErrAddressNetwork: the network's address format is unknown.
	ErrAddressNetwork = errors.New("money: unknown address format")
)

// ValidateAddress checks addr for a network address format (copperx.FormatEVM,
// FormatSolana, FormatStarknet):
//
//   - evm: "0x" + 40 hex digits; mixed case must match the EIP-55 checksum;
//   - solana: base58 (Bitcoin alphabet) decoding to exactly 32 bytes;
//   - starknet: "0x" + 1 to 64 hex digits.
func ValidateAddress(format, addr string) error {
	switch format {
	case copperx.FormatEVM:
		hexPart, ok := strings.CutPrefix(addr, "0x")
		if !ok || len(hexPart) != 40 || !isHex(hexPart) {
			return ErrAddressFormat
		}
		if hexPart == strings.ToLower(hexPart) || hexPart == strings.ToUpper(hexPart) {
			return nil
		}
		if eip55(hexPart) != hexPart {
			return ErrAddressChecksum
		}
		return nil
	case copperx.FormatStarknet:
		hexPart, ok := strings.CutPrefix(addr, "0x")
		if !ok || len(hexPart) < 1 || len(hexPart) > 64 || !isHex(hexPart) {
			return ErrAddressFormat
		}
		return nil
	case copperx.FormatSolana:
		if len(addr) < 32 || len(addr) > 44 {
			return ErrAddressFormat
		}
		b, ok := decodeBase58(addr)
		if !ok || len(b) != 32 {
			return ErrAddressFormat
		}
		return nil
	}
	return ErrAddressNetwork
}

// zeroAddress reports the zero address of a format, which burns whatever is
// sent to it: "0x" and only zeros (EVM, Starknet), or base58 decoding to 32
// zero bytes (Solana's "111…1"). addr must have passed ValidateAddress.
func ZeroAddress(format, addr string) bool {
	switch format {
	case copperx.FormatEVM, copperx.FormatStarknet:
		hexPart, ok := strings.CutPrefix(addr, "0x")
		return ok && strings.Trim(hexPart, "0") == ""
	case copperx.FormatSolana:
		b, ok := decodeBase58(addr)
		if !ok {
			return false
		}
		for _, x := range b {
			if x != 0 {
				return false
			}
		}
		return true
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// eip55 returns the checksummed form of 40 hex digits (without 0x).
func eip55(hexPart string) string {
	lower := strings.ToLower(hexPart)
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(lower))
	sum := hex.EncodeToString(h.Sum(nil))
	out := []byte(lower)
	for i, c := range out {
		if c >= 'a' && c <= 'f' && sum[i] >= '8' {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

// decodeBase58 decodes Bitcoin-alphabet base58 (leading '1's are zero bytes).
func decodeBase58(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// Big-endian base-256 accumulator; log(58)/log(256) < 0.733.
	out := make([]byte, 0, len(s)*733/1000+1)
	for i := zeros; i < len(s); i++ {
		v := base58Index[s[i]]
		if v < 0 {
			return nil, false
		}
		carry := int(v)
		for j := len(out) - 1; j >= 0; j-- {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			out = append([]byte{byte(carry)}, out...)
			carry >>= 8
		}
	}
	return append(make([]byte, zeros), out...), true
}
