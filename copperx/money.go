package copperx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// unitsExp is the API's fixed-point exponent: "100000000" is 1 token.
const unitsExp = 8

// Transfer limits the API documents, in tokens.
var (
	MinTransferAmount = decimal.NewFromInt(1)
	MaxTransferAmount = decimal.NewFromInt(50_000)
)

var (
	// ErrPrecision reports an amount with more than 8 decimal places.
	ErrPrecision = errors.New("copperx: amount has more than 8 decimal places")
	// ErrNegativeAmount reports an amount below zero.
	ErrNegativeAmount = errors.New("copperx: amount is negative")
)

// ToUnits converts a token amount to the API's integer string in units of
// 10^-8, exactly: 1.5 becomes "150000000".
func ToUnits(d decimal.Decimal) (string, error) {
	if d.IsNegative() {
		return "", ErrNegativeAmount
	}
	if !d.Equal(d.Truncate(unitsExp)) {
		return "", ErrPrecision
	}
	return d.Shift(unitsExp).BigInt().String(), nil
}

// FromUnits converts the API's integer string in units of 10^-8 to a token
// amount: "150000000" becomes 1.5. Surrounding spaces and a sign are accepted.
func FromUnits(s string) (decimal.Decimal, error) {
	t := strings.TrimSpace(s)
	digits := strings.TrimLeft(t, "+-")
	if digits == "" || len(t)-len(digits) > 1 || strings.TrimLeft(digits, "0123456789") != "" {
		return decimal.Decimal{}, fmt.Errorf("copperx: invalid units %q: want an integer string", truncate(s, 40))
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("copperx: invalid units: %w", err)
	}
	return d.Shift(-unitsExp), nil
}

// Units is an amount the API encodes as an integer string in units of 10^-8
// (transfer and quote amounts). It embeds the decoded token amount, so
// u.StringFixed(2) and u.Decimal both work. It decodes from a string or, for
// robustness, a JSON number; null and "" decode to zero. It encodes back to the
// API's integer string.
type Units struct {
	decimal.Decimal
}

// UnitsOf returns d as Units.
func UnitsOf(d decimal.Decimal) Units { return Units{Decimal: d} }

// UnmarshalJSON implements json.Unmarshaler.
func (u *Units) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*u = Units{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			*u = Units{}
			return nil
		}
		d, err := FromUnits(s)
		if err != nil {
			return err
		}
		*u = Units{Decimal: d}
		return nil
	default:
		// A JSON number: accept any numeric literal, including an exponent.
		d, err := decimal.NewFromString(string(b))
		if err != nil || d.Exponent() > 40 || d.Exponent() < -40 {
			return fmt.Errorf("copperx: invalid units %q", truncate(string(b), 40))
		}
		*u = Units{Decimal: d.Shift(-unitsExp)}
		return nil
	}
}

// MarshalJSON implements json.Marshaler, emitting the API's integer string.
// An amount finer than the API's units is an error, never truncated; a
// negative amount (never sent by the client) is encoded as well.
func (u Units) MarshalJSON() ([]byte, error) {
	scaled := u.Shift(unitsExp)
	if !scaled.Equal(scaled.Truncate(0)) {
		return nil, fmt.Errorf("copperx: %s has more than 8 decimals: %w", u.String(), ErrPrecision)
	}
	return json.Marshal(scaled.String())
}

// parseDecimal reads a human-readable decimal from a JSON string or number.
func parseDecimal(raw json.RawMessage) (decimal.Decimal, string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return decimal.Decimal{}, "", false
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return decimal.Decimal{}, "", false
		}
	}
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return decimal.Decimal{}, s, false
	}
	return d, s, true
}

// truncate shortens s for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
