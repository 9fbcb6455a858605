package copperx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// QuoteRequest asks for an offramp (bank withdrawal) quote. Amount is in tokens.
type QuoteRequest struct {
	SourceCountry          string // "none" for a crypto source
	DestinationCountry     string // the bank account's country, lowercase ISO alpha-3
	Amount                 decimal.Decimal
	Currency               string
	PreferredBankAccountID string
	OnlyRemittance         bool // sent only when true
}

// quoteBody is QuoteRequest on the wire (OfframpQuoteRequestDto).
type quoteBody struct {
	SourceCountry          string `json:"sourceCountry"`
	DestinationCountry     string `json:"destinationCountry"`
	Amount                 string `json:"amount"`
	Currency               string `json:"currency"`
	PreferredBankAccountID string `json:"preferredBankAccountId,omitempty"`
	OnlyRemittance         bool   `json:"onlyRemittance,omitempty"`
}

// Quote is an offramp quote (OfframpQuoteResponseDto). A 200 may carry Error
// and no payload: show the error. QuotePayload and QuoteSignature are kept
// exactly as received, to pass to Offramp; Payload is QuotePayload parsed for
// display, nil when absent or not JSON.
type Quote struct {
	MinAmount          Units           `json:"minAmount"`
	MaxAmount          Units           `json:"maxAmount"`
	ArrivalTimeMessage string          `json:"arrivalTimeMessage,omitempty"`
	Provider           json.RawMessage `json:"provider,omitempty"`
	Error              string          `json:"error,omitempty"`
	QuotePayload       string          `json:"quotePayload,omitempty"`
	QuoteSignature     string          `json:"quoteSignature,omitempty"`
	Payload            *QuotePayload   `json:"-"`
}

// UnmarshalJSON implements json.Unmarshaler and parses QuotePayload.
func (q *Quote) UnmarshalJSON(data []byte) error {
	type plain Quote
	var p struct {
		plain
		// The document types arrivalTimeMessage as an int64 string: accept a number too.
		ArrivalTimeMessage json.RawMessage `json:"arrivalTimeMessage"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*q = Quote(p.plain)
	q.ArrivalTimeMessage = rawText(p.ArrivalTimeMessage)
	if q.QuotePayload != "" {
		var qp QuotePayload
		if json.Unmarshal([]byte(q.QuotePayload), &qp) == nil {
			q.Payload = &qp
		}
	}
	return nil
}

// QuotePayload is the parsed quotePayload: what the user gets for what. Every
// field is optional; one that is missing or does not parse is left zero.
// Amounts are token amounts, converted from 10^-8 units.
type QuotePayload struct {
	Amount             decimal.Decimal // what leaves the wallet
	ToAmount           decimal.Decimal // what reaches the bank account
	Currency           string
	ToCurrency         string
	Rate               decimal.Decimal // human-readable exchange rate
	TotalFee           decimal.Decimal // 10^-8 units on the wire
	FeePercentage      decimal.Decimal // human-readable
	FixedFee           decimal.Decimal // 10^-8 units on the wire
	SourceCountry      string
	DestinationCountry string
	// ExpiresAt is when the quote stops being accepted (UTC; zero when the
	// payload does not say). It is read from "expireAt" or "expiresAt", an
	// RFC 3339 string or a number of unix seconds or milliseconds (see
	// ParseExpiry).
	ExpiresAt time.Time
	Fields    map[string]json.RawMessage // every field, as received
}

// UnmarshalJSON implements json.Unmarshaler leniently.
func (p *QuotePayload) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("quote payload: %w", err)
	}
	units := func(k string) decimal.Decimal {
		var u Units
		if raw, ok := m[k]; ok && json.Unmarshal(raw, &u) == nil {
			return u.Decimal
		}
		return decimal.Decimal{}
	}
	human := func(k string) decimal.Decimal {
		d, _, _ := parseDecimal(m[k])
		return d
	}
	str := func(k string) string {
		var s string
		if raw, ok := m[k]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	*p = QuotePayload{
		Amount:             units("amount"),
		ToAmount:           units("toAmount"),
		Currency:           str("currency"),
		ToCurrency:         str("toCurrency"),
		Rate:               human("rate"),
		TotalFee:           units("totalFee"),
		FeePercentage:      human("feePercentage"),
		FixedFee:           units("fixedFee"),
		SourceCountry:      str("sourceCountry"),
		DestinationCountry: str("destinationCountry"),
		Fields:             m,
	}
	for _, k := range []string{"expireAt", "expiresAt"} {
		if t, ok := ParseExpiry(m[k]); ok {
			p.ExpiresAt = t
			break
		}
	}
	return nil
}

// unixMillisFrom is where ParseExpiry tells milliseconds from seconds: 10^11
// seconds is the year 5138, 10^11 milliseconds is 1973. Every plausible
// expiry is on the right side in either unit.
const unixMillisFrom = 1e11

// ParseExpiry reads an expiry as the API may send it: an RFC 3339 string
// ("2025-04-20T10:05:00.000Z"), or a number (JSON number or digit string)
// of unix seconds or, from 10^11 on, unix milliseconds; a fraction is
// kept. It returns the time in UTC and false for null, an absent value,
// zero, a negative number, a time after 2262 or anything else.
func ParseExpiry(raw json.RawMessage) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return time.Time{}, false
	}
	text := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &text) != nil {
			return time.Time{}, false
		}
		text = strings.TrimSpace(text)
		if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
			return t.UTC(), true
		}
	}
	n, err := decimal.NewFromString(text)
	if err != nil || !n.IsPositive() {
		return time.Time{}, false
	}
	if n.LessThan(decimal.NewFromInt(unixMillisFrom)) {
		n = n.Shift(3) // seconds to milliseconds
	}
	if n.GreaterThan(maxUnixMillis) {
		return time.Time{}, false
	}
	return time.Unix(0, n.Shift(6).Truncate(0).IntPart()).UTC(), true
}

// maxUnixMillis is the last millisecond time.Unix(0, ns) can hold (2262).
var maxUnixMillis = decimal.NewFromInt(math.MaxInt64 / int64(time.Millisecond))

// OfframpQuote asks for a bank withdrawal quote (POST /api/quotes/offramp).
// Never retried.
func (c *Client) OfframpQuote(ctx context.Context, tok Token, r QuoteRequest) (*Quote, error) {
	units, err := ToUnits(r.Amount)
	if err != nil {
		return nil, fmt.Errorf("copperx: offramp quote: amount: %w", err)
	}
	body := quoteBody{
		SourceCountry: r.SourceCountry, DestinationCountry: r.DestinationCountry,
		Amount: units, Currency: r.Currency,
		PreferredBankAccountID: r.PreferredBankAccountID, OnlyRemittance: r.OnlyRemittance,
	}
	var out Quote
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/quotes/offramp", tok: &tok, body: body, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// rawText returns a JSON string's value, or a number's literal; "" otherwise.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
