package transfer

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/copperx-bot/payoutbot/kernel"
)

// The store keys of the exactly-once Confirm:
//
//	transfer:confirm:<id>  the one-time confirmation id, consumed with SetNX
//	transfer:result:<id>   the outcome of the movement confirmed with it
//	transfer:payee:<id>    its receipt's "Save as payee" was tapped

func confirmKey(id string) string { return "transfer:confirm:" + id }
func resultKey(id string) string  { return "transfer:result:" + id }
func payeeKey(id string) string   { return "transfer:payee:" + id }

// newConfirmID is a random one-time confirmation id (12 base32 characters).
func newConfirmID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:12])
}

// outcome of a confirmed movement, kept under transfer:result:<id> for
// result_ttl, so a second tap, a redelivered update or another replica
// answers with the first Confirm's transfer.
type outcome struct {
	UserID int64 `json:"user"`
	// Account is the CopperX user id (kernel Principal.UserID) the movement
	// was confirmed as: a later log-in to another account must not act on it.
	Account    string `json:"acct,omitempty"`
	State      string `json:"state"` // pending|sent|failed|unknown
	TransferID string `json:"id,omitempty"`
	Status     string `json:"status,omitempty"`
	Kind       string `json:"kind"`
	To         string `json:"to,omitempty"`
	Amount     string `json:"amount"`
}

// Outcome states.
const (
	statePending = "pending"
	stateSent    = "sent"
	stateFailed  = "failed"
	stateUnknown = "unknown"
)

// sameUser reports whether the outcome belongs to the current Telegram user
// and the CopperX account they are logged in to now.
func (o *outcome) sameUser(c *kernel.Ctx) bool {
	return o.UserID == c.UserID && o.Account != "" && o.Account == account(c)
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
	return t.st.Set(ctx, resultKey(id), b, t.cfg.ResultTTL)
}
