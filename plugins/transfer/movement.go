package transfer

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// Kinds of movement.
const (
	kindEmail  = "email"
	kindWallet = "wallet"
	kindPayee  = "payee"
	kindBank   = "bank"
)

// movement is one money movement being collected: the data of the send and
// withdraw flows (the kernel keeps it as JSON between updates). It is what
// a summary shows, what Confirm submits, and what a lost answer is
// reconciled against.
type movement struct {
	Kind      string          `json:"kind"`
	To        string          `json:"to,omitempty"`        // email, wallet address or the payee's email
	PayeeID   string          `json:"payeeId,omitempty"`   // kindPayee
	PayeeName string          `json:"payeeName,omitempty"` // kindPayee
	Network   string          `json:"network,omitempty"`   // kindWallet: the chain id of the default wallet that pays
	AccountID string          `json:"accountId,omitempty"` // kindBank
	Account   string          `json:"account,omitempty"`   // kindBank: the account, masked ("Chase ••6789")
	Country   string          `json:"country,omitempty"`   // kindBank
	Amount    decimal.Decimal `json:"amount"`
	Purpose   string          `json:"purpose,omitempty"`
	Source    string          `json:"source,omitempty"` // kindBank: source of funds
	// Balance is the paying wallet's balance when the amount was checked
	// (nil when the API gave none), for "balance after" on the summary.
	Balance *decimal.Decimal `json:"balance,omitempty"`
	// Choices are the ids behind a step's buttons (payees, bank accounts),
	// which carry only an index: ids do not fit in a button, and a tap can
	// only pick what was offered.
	Choices []choice `json:"choices,omitempty"`
	// Quote is the bank withdrawal's offramp quote.
	Quote *quote `json:"quote,omitempty"`
	// Confirmation is the summary's one-time id; Confirm must carry it.
	Confirmation confirmation `json:"confirmation,omitzero"`
}

// choice is one option a step offered: an id and its label.
type choice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Email string `json:"email,omitempty"`
	// Country is a bank account's, for its quote.
	Country string `json:"country,omitempty"`
}

// quote is an offramp quote as the flow keeps it: the signed payload is
// passed to the API unmodified.
type quote struct {
	Payload   string          `json:"payload"`
	Signature string          `json:"signature"`
	ExpiresAt time.Time       `json:"expiresAt,omitzero"`
	Min       decimal.Decimal `json:"min"`
	Max       decimal.Decimal `json:"max"`
	Arrival   string          `json:"arrival,omitempty"`
	// Fee, Receive, ToCurrency and Rate are read from the payload.
	Fee        decimal.Decimal `json:"fee"`
	Receive    decimal.Decimal `json:"receive"`
	ToCurrency string          `json:"toCurrency,omitempty"`
	Rate       decimal.Decimal `json:"rate"`
}

// expired reports whether the quote is past its expiry (a quote without
// one never expires here; the API refuses it if it must).
func (q *quote) expired(now time.Time) bool {
	return q != nil && !q.ExpiresAt.IsZero() && !now.Before(q.ExpiresAt)
}

// confirmation is the id a summary's Confirm carries and when the summary
// was shown (Confirm works for confirm_ttl after that).
type confirmation struct {
	ID      string    `json:"id"`
	ShownAt time.Time `json:"shownAt"`
}

// token is the principal's CopperX token for one call (zero when logged
// out, which the API refuses).
func token(c *kernel.Ctx) copperx.Token {
	if p := c.Principal(); p != nil {
		return copperx.NewToken(p.Token.Reveal())
	}
	return copperx.Token{}
}

// account is the CopperX user id of the current principal ("" when none).
func account(c *kernel.Ctx) string {
	if p := c.Principal(); p != nil {
		return p.UserID
	}
	return ""
}
