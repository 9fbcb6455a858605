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
	// PurposeDefault: Purpose is config's default_purpose, not picked (a
	// one-line send, a payment request): the summary offers to change it.
	PurposeDefault bool `json:"purposeDefault,omitempty"`
	// Retyped is the amount typed again for a movement above
	// reconfirm_above (limits.go); nil until then.
	Retyped *decimal.Decimal `json:"retyped,omitempty"`
	// Request is the id of the payment request this send pays (request.go),
	// RequestNote its note.
	Request     string `json:"request,omitempty"`
	RequestNote string `json:"requestNote,omitempty"`
	// Balance is the paying wallet's balance when the amount was checked
	// (nil when the API gave none), for "balance after" on the summary.
	Balance *decimal.Decimal `json:"balance,omitempty"`
	// PayingNetwork is the chain id of the wallet that pays (the default
	// wallet when the amount was checked), named by the summary.
	PayingNetwork string `json:"payingNetwork,omitempty"`
	// FeeEstimate is a send's fee as the user's recent transfers of the
	// same kind suggest (nil: none known); a withdrawal's fee is its quote's.
	FeeEstimate *feeEstimate `json:"feeEstimate,omitempty"`
	// Wallets are the wallets the "wallet" step offered, Offers the ones
	// the amount prompt offered to pay from because they hold enough
	// (payfrom.go); SwitchTo is the one picked, to confirm making it the
	// default.
	Wallets  []walletChoice `json:"wallets,omitempty"`
	Offers   []walletChoice `json:"offers,omitempty"`
	SwitchTo *walletChoice  `json:"switchTo,omitempty"`
	// Resume is the step a wallet change returns to, with everything typed
	// so far ("" when none is under way).
	Resume string `json:"resume,omitempty"`
	// Note is a line (HTML) the next question starts with, once: why it is
	// asked again.
	Note string `json:"note,omitempty"`
	// Choices are the ids behind a step's buttons (payees, bank accounts),
	// which carry only an index: ids do not fit in a button, and a tap can
	// only pick what was offered.
	Choices []choice `json:"choices,omitempty"`
	// Quote is the bank withdrawal's offramp quote.
	Quote *quote `json:"quote,omitempty"`
	// Confirmation is the summary's one-time id; Confirm must carry it.
	Confirmation confirmation `json:"confirmation,omitzero"`
}

// restart is a fresh movement of kind that keeps what was given before
// the recipient was (a one-line send's amount, a payment request, the
// purpose): picking the kind of recipient again starts the recipient
// afresh, nothing else.
func (mv *movement) restart(kind string) movement {
	return movement{Kind: kind, Amount: mv.Amount, Purpose: mv.Purpose, PurposeDefault: mv.PurposeDefault,
		Request: mv.Request, RequestNote: mv.RequestNote}
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
	// Total is what leaves the wallet: the quote's amount plus its fee.
	Total decimal.Decimal `json:"total"`
}

// total is what leaves the wallet for the quote of amount: its total, or
// amount and fee for a quote kept before it had one.
func (q *quote) total(amount decimal.Decimal) decimal.Decimal {
	if q.Total.IsPositive() {
		return q.Total
	}
	return amount.Add(q.Fee)
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
