package copperx

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/shopspring/decimal"
)

// QuoteRequest asks for an offramp (bank withdrawal) quote. Amount is in tokens.
type QuoteRequest struct {
	SourceCountry          string // "none" for a crypto source
	DestinationCountry     string // the bank account's country, lowercase ISO alpha-3
	Amount                 decimal.Decimal
	Currency               string
	PreferredBankAccountID string
	OnlyRemittance         bool
}

// quoteBody is QuoteRequest on the wire (OfframpQuoteRequestDto).
type quoteBody struct {
	SourceCountry          string `json:"sourceCountry"`
	DestinationCountry     string `json:"destinationCountry"`
	Amount                 string `json:"amount"`
	Currency               string `json:"currency"`
	PreferredBankAccountID string `json:"preferredBankAccountId,omitempty"`
	OnlyRemittance         bool   `json:"onlyRemittance"`
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
	Fields             map[string]json.RawMessage // every field, as received
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
	return nil
}

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
