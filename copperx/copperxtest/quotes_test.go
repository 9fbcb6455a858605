package copperxtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type quoteAnswer struct {
	MinAmount, MaxAmount, ArrivalTimeMessage string
	QuotePayload, QuoteSignature, Error      string
}

func getQuote(t *testing.T, c *client, amount string) quoteAnswer {
	t.Helper()
	var accts struct {
		Data []struct {
			ID, Type, Country string
			BankAccount       *struct{ BankName, BankAccountNumber string }
		}
	}
	c.mustOK("GET", "/api/accounts", nil).decode(t, &accts)
	var bankID, country string
	for _, a := range accts.Data {
		if a.Type == "bank_account" && a.BankAccount != nil && a.BankAccount.BankName != "" {
			bankID, country = a.ID, a.Country
		}
	}
	if bankID == "" || country != "usa" {
		t.Fatalf("no seeded bank account: %+v", accts)
	}
	var q quoteAnswer
	c.mustOK("POST", "/api/quotes/offramp", map[string]any{
		"sourceCountry": "none", "destinationCountry": country, "amount": amount, "currency": "USDC",
		"preferredBankAccountId": bankID, "onlyRemittance": true,
	}).decode(t, &q)
	return q
}

func offrampBodyFor(q quoteAnswer) map[string]string {
	return map[string]string{
		"quotePayload": q.QuotePayload, "quoteSignature": q.QuoteSignature, "purposeCode": "self",
		"sourceOfFunds": "salary", "recipientRelationship": "self", "note": "rent",
	}
}

func TestOfframp(t *testing.T) {
	clock := newFakeClock()
	s := newTest(t, WithClock(clock.now), WithFee(dec("1.5")), WithQuoteTTL(5*time.Minute))
	s.SeedUser("o@example.com")
	c := newClient(t, s, s.IssueToken("o@example.com"))

	t.Run("quote then offramp", func(t *testing.T) {
		q := getQuote(t, c, "10000000000") // 100 USDC
		if q.Error != "" || q.QuoteSignature == "" || q.MinAmount != "100000000" {
			t.Fatalf("quote %+v", q)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(q.QuotePayload), &p); err != nil {
			t.Fatalf("payload is not JSON: %v", err)
		}
		if p["amount"] != "10000000000" || p["toAmount"] != "10000000000" || p["toCurrency"] != "USD" || p["rate"] != "1" || p["totalFee"] != "150000000" {
			t.Errorf("payload %v", p)
		}
		before := s.Balance("o@example.com", NetworkPolygon, "USDC")
		var tr Transfer
		c.mustOK("POST", "/api/transfers/offramp", offrampBodyFor(q)).decode(t, &tr)
		if tr.Mode != "off_ramp" || tr.Type != "withdraw" || tr.DestinationAccount == nil || tr.DestinationAccount.BankName == "" || tr.DestinationCurrency != "USD" {
			t.Errorf("transfer %+v", tr)
		}
		if got, want := s.Balance("o@example.com", NetworkPolygon, "USDC"), before.Sub(dec("101.5")); !got.Equal(want) {
			t.Errorf("balance %s, want %s", got, want)
		}
		msg := wantError(t, c.do("POST", "/api/transfers/offramp", offrampBodyFor(q)), 422)
		if msg != "Quote already used. Please request a new quote" {
			t.Errorf("reuse: %v", msg)
		}
	})
	t.Run("tampered payload", func(t *testing.T) {
		q := getQuote(t, c, "10000000000")
		q.QuotePayload = strings.Replace(q.QuotePayload, `"amount":"10000000000"`, `"amount":"100000000"`, 1)
		if msg := wantError(t, c.do("POST", "/api/transfers/offramp", offrampBodyFor(q)), 422); msg != "Invalid quote signature" {
			t.Errorf("message %v", msg)
		}
	})
	t.Run("expired quote", func(t *testing.T) {
		q := getQuote(t, c, "10000000000")
		clock.advance(5 * time.Minute)
		if msg := wantError(t, c.do("POST", "/api/transfers/offramp", offrampBodyFor(q)), 422); msg != "Quote expired. Please request a new quote" {
			t.Errorf("message %v", msg)
		}
	})
	t.Run("another user's quote", func(t *testing.T) {
		q := getQuote(t, c, "10000000000")
		s.SeedUser("other@example.com")
		other := newClient(t, s, s.IssueToken("other@example.com"))
		wantError(t, other.do("POST", "/api/transfers/offramp", offrampBodyFor(q)), 422)
	})
	t.Run("quote error is a 200", func(t *testing.T) {
		s.SetQuoteError("No provider available for this corridor")
		defer s.SetQuoteError("")
		q := getQuote(t, c, "10000000000")
		if q.Error != "No provider available for this corridor" || q.QuotePayload != "" || q.QuoteSignature != "" {
			t.Errorf("quote %+v", q)
		}
	})
	t.Run("quote below minimum", func(t *testing.T) {
		q := getQuote(t, c, "1000")
		if q.Error == "" || q.QuotePayload != "" {
			t.Errorf("quote %+v", q)
		}
	})
	t.Run("insufficient", func(t *testing.T) {
		q := getQuote(t, c, "5000000000000")
		if msg := wantError(t, c.do("POST", "/api/transfers/offramp", offrampBodyFor(q)), http.StatusUnprocessableEntity); msg != "Insufficient balance" {
			t.Errorf("message %v", msg)
		}
	})
}
