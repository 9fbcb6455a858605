package copperx

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func TestToUnits(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"1", "100000000", nil},
		{"0", "0", nil},
		{"1.5", "150000000", nil},
		{"100.50", "10050000000", nil},
		{"50000", "5000000000000", nil},
		{"0.00000001", "1", nil},
		{"1.000000010", "100000001", nil}, // trailing zero beyond 8 places is fine
		{"123456789012345678.12345678", "12345678901234567812345678", nil},
		{"0.000000001", "", ErrPrecision},
		{"1.123456789", "", ErrPrecision},
		{"-1", "", ErrNegativeAmount},
	}
	for _, tt := range tests {
		got, err := ToUnits(dec(tt.in))
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("ToUnits(%s) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFromUnits(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"100000000", "1", false},
		{"150000000", "1.5", false},
		{"1", "0.00000001", false},
		{"0", "0", false},
		{" 25050000 ", "0.2505", false},
		{"-50000000", "-0.5", false},
		{"+100000000", "1", false},
		{"9223372036854775807", "92233720368.54775807", false},
		{"123456789012345678901234567890", "1234567890123456789012.3456789", false},
		{"", "", true},
		{"1.5", "", true},
		{"1e8", "", true},
		{"abc", "", true},
		{"--1", "", true},
		{"-", "", true},
	}
	for _, tt := range tests {
		got, err := FromUnits(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("FromUnits(%q) error = %v", tt.in, err)
			continue
		}
		if !tt.wantErr && !got.Equal(dec(tt.want)) {
			t.Errorf("FromUnits(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestUnitsJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{`"100000000"`, "1", false},
		{`100000000`, "1", false},
		{`1e8`, "1", false},
		{`null`, "0", false},
		{`""`, "0", false},
		{`"1.5"`, "", true},
		{`"x"`, "", true},
		{`true`, "", true},
		{`1e999999999`, "", true},
	}
	for _, tt := range tests {
		var u Units
		err := json.Unmarshal([]byte(tt.in), &u)
		if (err != nil) != tt.wantErr {
			t.Errorf("Units(%s) error = %v", tt.in, err)
			continue
		}
		if !tt.wantErr && !u.Equal(dec(tt.want)) {
			t.Errorf("Units(%s) = %s, want %s", tt.in, u, tt.want)
		}
	}
	b, err := json.Marshal(struct {
		A Units `json:"a"`
	}{UnitsOf(dec("12.5"))})
	if err != nil || string(b) != `{"a":"1250000000"}` {
		t.Errorf("marshal = %s, %v", b, err)
	}
}

// randomAmount returns a non-negative decimal with at most 8 places.
func randomAmount(r *rand.Rand) decimal.Decimal {
	places := int32(r.IntN(9))
	var coef int64
	switch r.IntN(3) {
	case 0:
		coef = r.Int64N(1000)
	case 1:
		coef = r.Int64N(10_000_000_000)
	default:
		coef = r.Int64()
	}
	return decimal.New(coef, -places)
}

func TestUnitsRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		x := randomAmount(r)
		s, err := ToUnits(x)
		if err != nil {
			t.Fatalf("ToUnits(%s): %v", x, err)
		}
		y, err := FromUnits(s)
		if err != nil {
			t.Fatalf("FromUnits(%q): %v", s, err)
		}
		if !y.Equal(x) {
			t.Fatalf("FromUnits(ToUnits(%s)) = %s", x, y)
		}
		// And through JSON, as a response amount.
		var u Units
		if err := json.Unmarshal([]byte(`"`+s+`"`), &u); err != nil || !u.Equal(x) {
			t.Fatalf("Units(%q) = %s, %v", s, u, err)
		}
	}
}

func FuzzUnits(f *testing.F) {
	for _, s := range []string{"100000000", "0", "1", "-5", "1.5", "", "1e8", "99999999999999999999999", " 7 ", "+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := FromUnits(s)
		if err != nil {
			return
		}
		if d.IsNegative() {
			if _, err := ToUnits(d); !errors.Is(err, ErrNegativeAmount) {
				t.Fatalf("ToUnits(%s) = %v, want ErrNegativeAmount", d, err)
			}
			return
		}
		back, err := ToUnits(d)
		if err != nil {
			t.Fatalf("ToUnits(FromUnits(%q)=%s): %v", s, d, err)
		}
		again, err := FromUnits(back)
		if err != nil || !again.Equal(d) {
			t.Fatalf("round trip of %q: %s -> %q -> %s, %v", s, d, back, again, err)
		}
		// The canonical form has no sign, no spaces and no leading zeros.
		if len(back) > 1 && back[0] == '0' {
			t.Fatalf("ToUnits gave leading zero: %q", back)
		}
		var u Units
		if err := json.Unmarshal([]byte(`"`+back+`"`), &u); err != nil || !u.Equal(d) {
			t.Fatalf("Units(%q) = %s, %v", back, u, err)
		}
	})
}

// FuzzUnitsJSON checks that no response amount can crash the decoder and that
// whatever decodes re-encodes to the same value.
func FuzzUnitsJSON(f *testing.F) {
	for _, s := range []string{`"100000000"`, `100000000`, `1e8`, `null`, `""`, `"-1"`, `1.5e-3`, `"x"`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var u Units
		if json.Unmarshal([]byte(s), &u) != nil {
			return
		}
		b, err := json.Marshal(u)
		if errors.Is(err, ErrPrecision) {
			if u.Equal(u.Truncate(unitsExp)) {
				t.Fatalf("refused representable %s", u)
			}
			return // finer than the API's units: refused, never truncated
		}
		if err != nil {
			t.Fatalf("marshal %s: %v", u, err)
		}
		var back Units
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if !back.Equal(u.Decimal) {
			t.Fatalf("%s -> %s -> %s", s, b, back)
		}
	})
}

func TestUnitsMarshalRefusesExcessPrecision(t *testing.T) {
	if _, err := json.Marshal(UnitsOf(decimal.RequireFromString("1.000000001"))); !errors.Is(err, ErrPrecision) {
		t.Fatalf("err = %v, want ErrPrecision", err)
	}
	b, err := json.Marshal(UnitsOf(decimal.RequireFromString("12.34567891")))
	if err != nil || string(b) != `"1234567891"` {
		t.Fatalf("got %s, %v", b, err)
	}
}
