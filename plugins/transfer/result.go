package transfer

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// receipt is the summary turned into the result of a submitted movement:
// amount, recipient, status and id, with Details and, after a send to a
// new email, "Save as payee".
func (t *Transfer) receipt(c *kernel.Ctx, id string, mv *movement, tr *copperx.Transfer) (string, *kernel.Keyboard) {
	kb := kernel.NewKeyboard().Row(c.Button("transfer.button.details", "detail", tr.ID, "0"))
	if mv.Kind == kindEmail && t.isNewPayee(c, mv.To) {
		kb.Row(c.Button("transfer.button.save_payee", "savepayee", id))
	}
	data := map[string]any{
		"id": tr.ID, "status": t.statusLabel(c, tr.Status), "emoji": statusEmoji(tr.Status),
		"amount": c.FormatAmount(mv.Amount), "currency": t.cfg.Currency, "to": t.recipientLabel(mv),
	}
	key := "transfer.result.sent"
	if mv.Kind == kindBank {
		key = "transfer.result.withdrawn"
	}
	text := c.T(key, data)
	if tr.TotalFee.IsPositive() {
		text += "\n" + c.T("transfer.quote.fee", map[string]any{"fee": c.FormatAmount(tr.TotalFee.Decimal), "currency": t.cfg.Currency})
	}
	return text, kb
}

// refused tells the user why the API refused the movement (nothing moved),
// in place of the summary.
//
// A 401 is returned (wrapped), so the auth plugin's error hook logs the user
// out and asks them to log in again; a 429 says CopperX is busy; a bank
// quote CopperX no longer takes sends the flow back to a fresh quote; any
// other 4xx is a refusal.
func (t *Transfer) refused(c *kernel.Ctx, mv *movement, err error) (kernel.Move, error) {
	var apiErr *copperx.Error
	if !errors.As(err, &apiErr) || apiErr.Status == http.StatusUnauthorized || apiErr.Status < 400 || apiErr.Status >= 500 {
		return kernel.Done, fmt.Errorf("submit %s: %w", mv.Kind, err)
	}
	msg := strings.ToLower(apiErr.Message)
	c.Log.Info("transfer refused", "kind", mv.Kind, "status", apiErr.Status)
	key := "transfer.result.refused"
	switch {
	case apiErr.Status == http.StatusTooManyRequests:
		key = "transfer.result.busy"
	case mv.Kind == kindBank && strings.Contains(msg, "quote"):
		// The quote is spent or expired: a fresh one for the same amount,
		// after saying so in place of the summary.
		if m, ok, err := t.freshQuote(c, mv); !ok || err != nil {
			return m, err
		}
		if _, err := c.Show(c.T("transfer.quote.expired", nil), nil); err != nil {
			return kernel.Stay, err
		}
		return kernel.Next("quote"), nil
	case strings.Contains(msg, "insufficient"):
		key = "transfer.result.insufficient"
	case strings.Contains(msg, "yourself"):
		key = "transfer.result.self"
	}
	_, serr := c.Show(c.T(key, nil), nil)
	return kernel.Done, serr
}

// isNewPayee reports whether email is not among the saved payees (false when
// that cannot be told).
func (t *Transfer) isNewPayee(c *kernel.Ctx, email string) bool {
	page, err := t.api.Payees(c, token(c), 1, 50, email)
	if err != nil {
		c.Log.Warn("list payees", "err", err)
		return false
	}
	for _, p := range page.Data {
		if strings.EqualFold(p.Email, email) {
			return false
		}
	}
	return true
}

// savePayee saves the email of a finished send as a payee (the receipt's
// "Save as payee", "transfer:savepayee:<confirmation id>").
func (t *Transfer) savePayee(c *kernel.Ctx) error {
	if len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	o, err := t.loadOutcome(c, c.Args()[0])
	if err != nil {
		return err
	}
	if o == nil || !o.sameUser(c) || o.Kind != kindEmail || o.State != stateSent {
		return kernel.ErrStaleCallback
	}
	// One save per receipt: a second tap (before the button is gone) is
	// told the first one's result without calling CopperX or touching the
	// receipt again.
	first, err := t.st.SetNX(c, payeeKey(c.Args()[0]), []byte{1}, t.cfg.ResultTTL)
	if err != nil {
		return fmt.Errorf("claim save payee: %w", err)
	}
	if !first {
		c.Answer(c.T("transfer.payee.exists", nil), false)
		return nil
	}
	nick := nickname(o.To)
	_, err = t.api.CreatePayee(c, token(c), copperx.CreatePayeeRequest{NickName: nick, Email: o.To})
	exists := errors.Is(err, copperx.ErrValidation)
	if err != nil && !exists {
		if derr := t.st.Delete(c, payeeKey(c.Args()[0])); derr != nil {
			c.Log.Warn("release save payee", "err", derr)
		}
		return fmt.Errorf("create payee: %w", err)
	}
	// Either way the offer is done: the receipt keeps only its Details button.
	if err := c.EditButtons(c.MessageID(), kernel.NewKeyboard().Row(c.Button("transfer.button.details", "detail", o.TransferID, "0"))); err != nil {
		c.Log.Debug("could not remove the Save as payee button", "err", err)
	}
	if exists {
		c.Answer(c.T("transfer.payee.exists", nil), false)
		return nil
	}
	c.Answer(c.T("transfer.payee.saved_short", nil), false)
	_, err = c.Say("transfer.payee.saved", map[string]any{"name": nick, "email": o.To}, nil)
	return err
}

// nickname is an email's local part, as a payee nickname.
func nickname(email string) string {
	local, _, _ := strings.Cut(email, "@")
	if local == "" {
		return email
	}
	return local
}
