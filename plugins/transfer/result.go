package transfer

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// receiptOf is the summary turned into the outcome of its Confirm, for
// confirm and for the tracker's later edits: the transfer made (amount,
// recipient, status, id, fee; Details, and "Save as payee" when
// offerPayee), not known yet (what to look at meanwhile: never "try
// again"), or what CopperX refused.
func (t *Transfer) receiptOf(c *kernel.Ctx, id string, o *outcome, offerPayee bool) (string, *kernel.Keyboard) {
	data := map[string]any{"amount": c.FormatAmount(o.amount()), "currency": t.cfg.Currency, "to": o.Label}
	switch o.State {
	case stateFailed:
		return t.refusalText(c, o.Reason, o.Detail), nil
	case stateUnknown, statePending:
		key := "transfer.result.unknown"
		if o.ServerError {
			key = "transfer.result.unknown_error"
		}
		if o.Stopped {
			key = "transfer.result.unknown_stopped"
			data["after"] = c.FormatDuration(t.cfg.TrackFor)
		}
		return c.T(key, data), nil
	}
	data["id"], data["status"], data["emoji"] = o.TransferID, t.statusLabel(c, o.Status), statusEmoji(o.Status)
	key := "transfer.result.sent"
	if o.Kind == kindBank {
		key = "transfer.result.withdrawn"
	}
	ended := newsFor(o.Status) != ""
	if ended {
		key = "transfer.result.send_ended"
		if o.Kind == kindBank {
			key = "transfer.result.withdraw_ended"
		}
	}
	lines := []string{c.T(key, data)}
	if fee := o.fee(); fee.IsPositive() {
		lines = append(lines, c.T("transfer.quote.fee", map[string]any{"fee": c.FormatAmount(fee), "currency": t.cfg.Currency}))
	}
	if o.Already {
		lines = append(lines, c.T("transfer.result.already", nil))
	}
	if o.Stopped && !finalStatus(o.Status) {
		lines = append(lines, c.T("transfer.result.stopped", map[string]any{"after": c.FormatDuration(t.cfg.TrackFor)}))
	}
	kb := kernel.NewKeyboard().Row(c.Button("transfer.button.details", "detail", o.TransferID, "0"))
	if offerPayee && !ended {
		// The payees plugin's Add, with the email: it asks for a nickname,
		// suggesting one.
		if b, ok := c.ActionButton("transfer.button.save_payee", "payees.add", o.To); ok {
			kb.Row(b)
		}
	}
	return strings.Join(lines, "\n"), kb
}

// reasonBusy is the refusal reason of a 429: CopperX is busy, nothing was
// sent.
const reasonBusy = "busy"

// refusalOf is the reason (a copperx.Reason, or reasonBusy) and the API's
// words (its validation details, or its message; "" when it said nothing
// but the status) of a refusal.
func refusalOf(err error) (reason, detail string) {
	var apiErr *copperx.Error
	if !errors.As(err, &apiErr) {
		return string(copperx.ReasonUnknown), ""
	}
	if apiErr.Status == http.StatusTooManyRequests {
		return reasonBusy, ""
	}
	var parts []string
	for _, d := range apiErr.Details() {
		msg := strings.TrimSpace(d.Message)
		if msg == "" || strings.EqualFold(msg, http.StatusText(apiErr.Status)) || slices.Contains(parts, msg) {
			continue
		}
		parts = append(parts, msg)
	}
	detail = strings.TrimRight(strings.Join(parts, "; "), ". ")
	if r := []rune(detail); len(r) > maxDetail {
		detail = string(r[:maxDetail-1]) + "…"
	}
	return string(apiErr.Reason()), detail
}

// maxDetail bounds the API's words quoted to the user (runes).
const maxDetail = 300

// refusalText says what CopperX refused, by reason
// (transfer.refused.<reason>), and quotes its words when it gave some.
func (t *Transfer) refusalText(c *kernel.Ctx, reason, detail string) string {
	var text string
	switch copperx.Reason(reason) {
	case copperx.ReasonInsufficientBalance, copperx.ReasonKYCRequired, copperx.ReasonLimit, copperx.ReasonRecipient,
		copperx.ReasonQuote, copperx.ReasonValidation:
		text = c.T("transfer.refused."+reason, nil)
	default:
		if reason == reasonBusy {
			return c.T("transfer.result.busy", nil)
		}
		text = c.T("transfer.refused.unknown", nil)
	}
	if detail != "" {
		text += "\n" + c.T("transfer.refused.said", map[string]any{"reason": detail})
	}
	return text
}

// refused tells the user why the API refused the movement (nothing moved),
// in place of the summary, and logs the API's message (scrubbed by the
// client) with the status.
//
// A 401 is returned (wrapped), so the auth plugin's error hook logs the user
// out and asks them to log in again; a bank quote CopperX no longer takes
// sends the flow back to a fresh quote; any other 4xx is a refusal, told
// by its reason.
func (t *Transfer) refused(c *kernel.Ctx, mv *movement, o *outcome, err error) (kernel.Move, error) {
	o.Shown = true
	var apiErr *copperx.Error
	if !errors.As(err, &apiErr) || apiErr.Status == http.StatusUnauthorized || apiErr.Status < 400 || apiErr.Status >= 500 {
		return kernel.Done, fmt.Errorf("submit %s: %w", mv.Kind, err)
	}
	c.Log.Info("transfer refused", "kind", mv.Kind, "status", apiErr.Status, "reason", o.Reason, "message", apiErr.Message)
	if mv.Kind == kindBank && o.Reason == string(copperx.ReasonQuote) {
		// The quote is spent or expired: a fresh one for the same amount,
		// after saying so in place of the summary.
		if m, ok, err := t.freshQuote(c, mv); !ok || err != nil {
			return m, err
		}
		if _, err := c.Show(c.T("transfer.quote.expired", nil), nil); err != nil {
			return kernel.Stay, err
		}
		return kernel.Next("quote"), nil
	}
	_, serr := c.Show(t.refusalText(c, o.Reason, o.Detail), nil)
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
