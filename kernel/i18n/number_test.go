package i18n_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

func TestFormatDecimal(t *testing.T) {
	tests := []struct {
		in         string
		places     int
		group, pnt string
		want       string
	}{
		{"1234567.890123", 2, ",", ".", "1,234,567.890123"},
		{"1234567.890123", 2, ".", ",", "1.234.567,890123"},
		{"300", 2, ",", ".", "300.00"},
		{"0.5", 2, ",", ".", "0.50"},
		{"-1250.5", 2, ",", ".", "-1,250.50"},
		{"0.92", 0, ".", ",", "0,92"},
		{"1000000", 0, ",", ".", "1,000,000"},
		{"0.00000001", 2, ",", ".", "0.00000001"},
	}
	for _, tt := range tests {
		if got := i18n.FormatDecimal(decimal.RequireFromString(tt.in), tt.places, tt.group, tt.pnt); got != tt.want {
			t.Errorf("FormatDecimal(%s, %d) = %q, want %q", tt.in, tt.places, got, tt.want)
		}
	}
}
