package transfer

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel"
)

// The store keys of the exactly-once Confirm and of outcome tracking:
//
//	transfer:confirm:<id>      the one-time confirmation id, consumed with SetNX
//	transfer:result:<id>       the outcome of the movement confirmed with it (the truth)
//	transfer:lease:<id>        who checks or reports that outcome right now (track.go)
//	transfer:transfer:<tid>    the confirmation id of CopperX transfer tid, while followed
//	transfer:tracking:<shard>  the outcomes being followed, with when each is due (track.go)

func confirmKey(id string) string { return "transfer:confirm:" + id }
func resultKey(id string) string  { return "transfer:result:" + id }

// newConfirmID is a random one-time confirmation id (12 base32 characters).
func newConfirmID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:12])
}

// outcome of a confirmed movement, kept under transfer:result:<id> for
// result_ttl: what a second tap, a redelivered update or another replica
// answers with, and what the tracker follows until the transfer settles.
//
// It moves only forward: pending (claimed, being submitted) → sent (CopperX
// has the transfer: its id), failed (CopperX refused it with a 4xx: nothing
// moved) or unknown (no answer, a 5xx or an unreadable one, and the transfer
// not found yet). Only a CopperX listing or transfer read moves unknown (or
// a pending whose submitter died) on to sent; nothing ever turns it into
// failed, since the work behind a lost answer may complete much later.
type outcome struct {
	UserID int64 `json:"user"`
	// Account is the CopperX user id (kernel Principal.UserID) the movement
	// was confirmed as: a later log-in to another account must not act on it.
	Account    string `json:"acct,omitempty"`
	State      string `json:"state"` // pending|sent|failed|unknown
	TransferID string `json:"id,omitempty"`
	// Status is the transfer's status as last read from CopperX.
	Status string `json:"status,omitempty"`
	Kind   string `json:"kind"`
	To     string `json:"to,omitempty"`
	Amount string `json:"amount"`
	// PayeeID and BankAccountID identify the recipient of a payee send and
	// a bank withdrawal, for matching the transfer in a listing.
	PayeeID       string `json:"payeeId,omitempty"`
	BankAccountID string `json:"bankAccountId,omitempty"`
	// Label names the recipient as the summary did.
	Label string `json:"label,omitempty"`
	// Fee is the transfer's total fee, once known.
	Fee string `json:"fee,omitempty"`
	// Chat and Receipt are where the outcome is shown: the summary that
	// became the receipt, or the message sent in its place.
	Chat    int64 `json:"chat,omitempty"`
	Receipt int64 `json:"receipt,omitempty"`
	// Lang is the language the user confirmed in (a language chosen since
	// wins).
	Lang string `json:"lang,omitempty"`
	// Shown is set once the receipt shows State and Status as they are
	// now; the tracker delivers what the user has not seen yet.
	Shown bool `json:"shown,omitempty"`
	// OfferPayee: the receipt offers "Save as payee" (a send to an email
	// that is not a payee yet).
	OfferPayee bool `json:"offerPayee,omitempty"`
	// Already: the second line of defence found this transfer in CopperX's
	// listing before submitting, so nothing was submitted.
	Already bool `json:"already,omitempty"`
	// ServerError: the submit was answered with a 5xx (unknown outcomes
	// say so).
	ServerError bool `json:"serverError,omitempty"`
	// ShownAt is when the summary was shown, Started when the submit
	// started; Before are the ids listed just before it (Listed: that
	// listing was read), which a lost answer's transfer cannot be.
	ShownAt time.Time `json:"shownAt,omitzero"`
	Started time.Time `json:"started,omitzero"`
	Before  []string  `json:"before,omitempty"`
	Listed  bool      `json:"listed,omitempty"`
	// Until is when tracking ends; Checks counts the checks so far (the
	// backoff); Done is set when it is no longer followed, Stopped when
	// that was track_for running out.
	Until   time.Time `json:"until,omitzero"`
	Checks  int       `json:"checks,omitempty"`
	Done    bool      `json:"done,omitempty"`
	Stopped bool      `json:"stopped,omitempty"`
	// Told is the last news the user got in a message of its own (a final
	// status, "found"), so a check that runs twice tells it once.
	Told string `json:"told,omitempty"`
	// Reason and Detail are a refusal's copperx.Reason and the API's
	// words (scrubbed of secrets by the client), for its receipt.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Request is the payment request the movement pays (request.go): it
	// is marked paid when the transfer is sent, its requester told when
	// the transfer completes, and it is open again when it does not go
	// through.
	Request string `json:"request,omitempty"`
}

// Outcome states.
const (
	statePending = "pending"
	stateSent    = "sent"
	stateFailed  = "failed" // refused: nothing was sent
	stateUnknown = "unknown"
)

// sameUser reports whether the outcome belongs to the current Telegram user
// and the CopperX account they are logged in to now.
func (o *outcome) sameUser(c *kernel.Ctx) bool {
	return o.UserID == c.UserID && o.Account != "" && o.Account == account(c)
}

// amount is the outcome's amount as a decimal (zero when unreadable).
func (o *outcome) amount() decimal.Decimal {
	d, err := decimal.NewFromString(o.Amount)
	if err != nil {
		return decimal.Zero
	}
	return d
}

// fee is the outcome's fee (zero when none is known).
func (o *outcome) fee() decimal.Decimal {
	d, err := decimal.NewFromString(o.Fee)
	if err != nil {
		return decimal.Zero
	}
	return d
}

// movement is what the outcome was confirmed for, as reconciliation
// matches it.
func (o *outcome) movement() *movement {
	return &movement{Kind: o.Kind, To: o.To, PayeeID: o.PayeeID, AccountID: o.BankAccountID, Amount: o.amount()}
}

// before is the set of ids listed before the submit (nil when that listing
// was not read).
func (o *outcome) before() map[string]bool {
	if !o.Listed {
		return nil
	}
	ids := make(map[string]bool, len(o.Before))
	for _, id := range o.Before {
		ids[id] = true
	}
	return ids
}

// followed reports whether the outcome still needs the tracker: not yet
// known, or sent and not final, or not shown as it is.
func (o *outcome) followed() bool {
	if o.Done {
		return !o.Shown
	}
	switch o.State {
	case statePending, stateUnknown:
		return true
	case stateSent:
		return !finalStatus(o.Status) || !o.Shown || o.Told != o.Status && newsFor(o.Status) != ""
	}
	return false // refused: its reason was shown in place of the summary
}

func (t *Transfer) loadOutcome(ctx context.Context, id string) (*outcome, error) {
	raw, _, err := t.st.Get(ctx, resultKey(id), 0)
	if err != nil || raw == nil {
		return nil, err
	}
	var o outcome
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("decode outcome: %w", err)
	}
	return &o, nil
}

func (t *Transfer) saveOutcome(ctx context.Context, id string, o outcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if err := t.st.Set(ctx, resultKey(id), b, t.cfg.ResultTTL); err != nil {
		return fmt.Errorf("save outcome: %w", err)
	}
	return nil
}

// finalStatus reports a transfer status that never changes again.
func finalStatus(status string) bool {
	switch status {
	case "success", "failed", "canceled", "refunded":
		return true
	}
	return false
}
