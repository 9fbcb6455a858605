package transfer

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// EventSubmitted is emitted after a movement was submitted (or found by
// reconciliation), with a map[string]string payload: id, kind
// (email|wallet|payee|bank), amount, currency, status.
const EventSubmitted = "transfer.submitted"

// storeAPI is the part of the shared store the confirmation core uses.
type storeAPI = store.Store

// Kinds of movement.
const (
	kindEmail  = "email"
	kindWallet = "wallet"
	kindPayee  = "payee"
	kindBank   = "bank"
)

// movement is one money movement being collected: what a summary shows,
// what Confirm submits, and what a lost answer is reconciled against. It
// travels in the flow data as JSON (key "mv"); batch sends, schedules and
// payment requests can reuse it.
type movement struct {
	Kind      string          `json:"kind"`
	To        string          `json:"to,omitempty"`      // email, wallet address or the payee's email
	PayeeID   string          `json:"payee,omitempty"`   // kindPayee
	PayeeName string          `json:"pname,omitempty"`   // kindPayee
	Network   string          `json:"net,omitempty"`     // kindWallet: the default wallet's chain id
	AccountID string          `json:"acct,omitempty"`    // kindBank
	Account   string          `json:"acctl,omitempty"`   // kindBank: masked label
	Country   string          `json:"country,omitempty"` // kindBank
	Amount    decimal.Decimal `json:"amount"`
	Purpose   string          `json:"purpose,omitempty"`
	Source    string          `json:"source,omitempty"` // kindBank: source of funds
	// Offramp quote, passed through unmodified.
	QuotePayload   string `json:"qp,omitempty"`
	QuoteSignature string `json:"qs,omitempty"`
}

// loadMovement reads the running flow's movement.
func loadMovement(c *kernel.Ctx) movement {
	var mv movement
	if raw := c.FlowData("mv"); raw != "" {
		_ = json.Unmarshal([]byte(raw), &mv)
	}
	return mv
}

// saveMovement writes the movement into the running flow.
func saveMovement(c *kernel.Ctx, mv movement) {
	b, _ := json.Marshal(mv)
	c.SetFlowData("mv", string(b))
}

// outcome of a confirmed movement, kept under transfer:result:<id>.
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

// account is the CopperX user id of the current principal ("" when none).
func account(c *kernel.Ctx) string {
	if p := c.Principal(); p != nil {
		return p.UserID
	}
	return ""
}

// sameUser reports whether the outcome belongs to the current Telegram user
// and the CopperX account they are logged in to now.
func (o *outcome) sameUser(c *kernel.Ctx) bool {
	return o.UserID == c.UserID && o.Account != "" && o.Account == account(c)
}

func confirmKey(id string) string { return "transfer:confirm:" + id }
func resultKey(id string) string  { return "transfer:result:" + id }

// newConfirmID is a random one-time confirmation id (12 base32 characters).
func newConfirmID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:12])
}

// arm gives the summary about to be shown a fresh confirmation id (replacing
// any earlier one) and returns it.
func arm(c *kernel.Ctx) string {
	id := newConfirmID()
	c.SetFlowData("cid", id)
	c.SetFlowData("cat", strconv.FormatInt(c.Now().Unix(), 10))
	return id
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

// confirmKeyboard is the summary's Confirm / Cancel.
func confirmKeyboard(c *kernel.Ctx, id string) *kernel.Keyboard {
	return kernel.NewKeyboard().Row(c.Button("transfer.button.confirm", "confirm", id), cancelButton(c))
}

// cancelButton ends the running flow (the kernel's /cancel).
func cancelButton(c *kernel.Ctx) kernel.Button {
	return kernel.Button{Text: c.T("transfer.button.cancel", nil), Data: "kernel:cancel"}
}

// confirm submits the summarized movement exactly once (callback
// "transfer:confirm:<id>").
func (t *Transfer) confirm(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) != 1 || args[0] == "" {
		return kernel.ErrStaleCallback
	}
	id := args[0]
	// A second tap, a retried update or another replica: answer with the
	// outcome of the first.
	if o, err := t.loadOutcome(c, id); err != nil {
		return err
	} else if o != nil {
		if !o.sameUser(c) {
			return kernel.ErrStaleCallback
		}
		return t.sayAgain(c, o)
	}
	if !(c.InFlow("send", "confirm") || c.InFlow("withdraw", "confirm")) || c.FlowData("cid") != id {
		return kernel.ErrStaleCallback
	}
	cat, _ := strconv.ParseInt(c.FlowData("cat"), 10, 64)
	if c.Now().Sub(time.Unix(cat, 0)) > t.cfg.ConfirmTTL {
		c.EndFlow()
		_ = c.RemoveButtons(c.MessageID())
		c.Answer(c.T("transfer.confirm.expired_short", nil), false)
		_, err := c.Say("transfer.confirm.expired", map[string]any{"minutes": int(t.cfg.ConfirmTTL.Minutes())}, nil)
		return err
	}
	mv := loadMovement(c)
	if mv.Kind == kindBank && quoteExpired(c) {
		return t.sayQuoteExpired(c)
	}
	// Before the id is consumed: a refused Confirm leaves nothing behind.
	if mv.Kind == kindWallet {
		if changed, err := t.walletChanged(c, mv); changed || err != nil {
			return err
		}
	}
	won, err := t.st.SetNX(c, confirmKey(id), []byte(strconv.FormatInt(c.UserID, 10)), t.cfg.ResultTTL)
	if err != nil {
		return fmt.Errorf("consume confirmation: %w", err)
	}
	if !won {
		o, err := t.loadOutcome(c, id)
		if err != nil {
			return err
		}
		if o == nil {
			o = &outcome{UserID: c.UserID, Account: account(c), State: statePending}
		}
		if !o.sameUser(c) {
			return kernel.ErrStaleCallback
		}
		return t.sayAgain(c, o)
	}
	o := outcome{UserID: c.UserID, Account: account(c), State: statePending, Kind: mv.Kind, To: mv.To, Amount: mv.Amount.String()}
	if err := t.saveOutcome(c, id, o); err != nil {
		return err
	}
	c.EndFlow()
	_ = c.RemoveButtons(c.MessageID())
	c.Answer(c.T("transfer.confirm.sending", nil), false)

	// The newest transfers of the kind before the submit: reconciliation
	// must never take one of them for the one about to be made.
	before, berr := t.listIDs(c, mv)
	if berr != nil {
		c.Log.Warn("listing before the submit failed; reconciliation will be strict", "err", berr)
	}
	started := c.Now()
	tr, err := t.submit(c, mv)
	if err != nil && uncertain(err) {
		c.Log.Warn("submit answer lost or failed; reconciling", "kind", mv.Kind, "err", err)
		found, rerr := t.reconcile(c, mv, started, before)
		switch {
		case found != nil:
			tr, err = found, nil
		case rerr == nil && before != nil && serverError(err):
			// CopperX answered 5xx and the transfer never showed up: most
			// likely not made, but a 5xx can come after the work was done.
			o.State = stateFailed
			_ = t.saveOutcome(c, id, o)
			_, serr := c.Say("transfer.result.not_sent", nil, nil)
			return serr
		default:
			// No answer or an unreadable one (the transfer may still be
			// on its way), the listing itself failed, or there was no
			// listing from before the submit to tell old from new: we
			// cannot know.
			if rerr != nil {
				c.Log.Error("reconcile failed", "err", rerr)
			}
			o.State = stateUnknown
			_ = t.saveOutcome(c, id, o)
			key := "transfer.result.unknown"
			if serverError(err) {
				key = "transfer.result.unknown_error"
			}
			_, serr := c.Say(key, nil, nil)
			return serr
		}
	}
	if err != nil {
		o.State = stateFailed
		_ = t.saveOutcome(c, id, o)
		return t.refused(c, mv, err)
	}
	o.State, o.TransferID, o.Status = stateSent, tr.ID, tr.Status
	if err := t.saveOutcome(c, id, o); err != nil {
		c.Log.Error("save outcome", "err", err)
	}
	c.Log.Info("transfer submitted", "kind", mv.Kind, "transfer", tr.ID, "status", tr.Status)
	// Plain strings: listeners are other plugins, which cannot import this one.
	if err := c.Emit(EventSubmitted, map[string]string{
		"id": tr.ID, "kind": mv.Kind, "amount": mv.Amount.String(), "currency": t.cfg.Currency, "status": tr.Status,
	}); err != nil {
		c.Log.Error("event listener failed", "event", EventSubmitted, "err", err)
	}
	return t.sayResult(c, id, mv, tr)
}

// uncertain reports a submit failure after which the transfer may exist:
// anything but a 4xx refusal from the API. No answer (timeout, dropped
// connection), a 5xx, and an answer that could not be read (a 2xx whose body
// does not decode means the transfer was most likely made) all go through
// reconciliation instead of being reported as failed.
func uncertain(err error) bool {
	var apiErr *copperx.Error
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500
	}
	// No token: refused by the client before anything was sent.
	return !errors.Is(err, copperx.ErrUnauthorized)
}

// serverError reports a submit that CopperX answered with a 5xx (as opposed
// to no answer, or an answer that could not be read).
func serverError(err error) bool {
	var apiErr *copperx.Error
	return errors.As(err, &apiErr) && apiErr.Status >= 500
}

// walletChanged refuses a wallet-address send whose default wallet — the
// network it is paid on — is no longer the one the address was checked for
// (mv.Network): the user changed it after the summary. It ends the flow and
// says so; changed is true when the Confirm must stop there. The
// confirmation id is left unused, and nothing is submitted.
func (t *Transfer) walletChanged(c *kernel.Ctx, mv movement) (changed bool, err error) {
	w, err := t.api.DefaultWallet(c, token(c))
	if err != nil {
		return true, fmt.Errorf("default wallet before submit: %w", err)
	}
	if w.Network == mv.Network {
		return false, nil
	}
	now, _ := t.nets.Lookup(w.Network)
	was, _ := t.nets.Lookup(mv.Network)
	c.Log.Info("default wallet changed since the summary; not sent", "was", mv.Network, "now", w.Network)
	c.EndFlow()
	_ = c.RemoveButtons(c.MessageID())
	_, err = c.Say("transfer.confirm.wallet_changed", map[string]any{"now": now.Name, "was": was.Name}, nil)
	return true, err
}

// token is the principal's CopperX token for one call.
func token(c *kernel.Ctx) copperx.Token {
	if p := c.Principal(); p != nil {
		return copperx.NewToken(p.Token.Reveal())
	}
	return copperx.Token{}
}

// submit makes the API call of the movement.
func (t *Transfer) submit(c *kernel.Ctx, mv movement) (*copperx.Transfer, error) {
	tok := token(c)
	switch mv.Kind {
	case kindEmail:
		return t.api.Send(c, tok, copperx.SendRequest{Email: mv.To, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindPayee:
		return t.api.Send(c, tok, copperx.SendRequest{PayeeID: mv.PayeeID, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindWallet:
		return t.api.WalletWithdraw(c, tok, copperx.WithdrawRequest{WalletAddress: mv.To, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindBank:
		return t.api.Offramp(c, tok, copperx.OfframpRequest{QuotePayload: mv.QuotePayload, QuoteSignature: mv.QuoteSignature,
			PurposeCode: mv.Purpose, SourceOfFunds: mv.Source, RecipientRelationship: "self"})
	}
	return nil, fmt.Errorf("submit: unknown movement kind %q", mv.Kind)
}

// transferType is the listing type of a movement's transfers.
func transferType(mv movement) string {
	if mv.Kind == kindWallet || mv.Kind == kindBank {
		return "withdraw"
	}
	return "send"
}

// reconcileLimit is how many of the newest transfers are listed, before the
// submit and when reconciling.
const reconcileLimit = 10

// listIDs lists the newest transfers of mv's type (one GET, page 1) and
// returns their ids: the transfers that existed before the submit.
func (t *Transfer) listIDs(c *kernel.Ctx, mv movement) (map[string]bool, error) {
	page, err := t.api.Transfers(c, token(c), copperx.TransferQuery{Page: 1, Limit: reconcileLimit, Types: []string{transferType(mv)}})
	if err != nil {
		return nil, fmt.Errorf("list transfers before the submit: %w", err)
	}
	ids := make(map[string]bool, len(page.Data))
	for _, tr := range page.Data {
		ids[tr.ID] = true
	}
	return ids, nil
}

// reconcile looks for the movement among the newest transfers that were not
// listed before the submit (before; nil when that listing failed) and were
// created since the submit started — minus reconcile_skew when before is
// known, exactly since the start otherwise —, listing them up to
// reconcile_attempts times, reconcile_interval apart, since a transfer may
// show up in the listing a moment after it was made. nil, nil means it was
// not there in any listing; an error means no listing could be read (or ctx
// ended), so nothing can be concluded.
func (t *Transfer) reconcile(c *kernel.Ctx, mv movement, started time.Time, before map[string]bool) (*copperx.Transfer, error) {
	typ := transferType(mv)
	since := started
	if before != nil {
		since = started.Add(-t.cfg.ReconcileSkew)
	}
	var lastErr error
	listed := false
	for attempt := range t.cfg.ReconcileAttempts {
		if attempt > 0 {
			if err := sleep(c, t.cfg.ReconcileInterval); err != nil {
				return nil, err
			}
		}
		page, err := t.api.Transfers(c, token(c), copperx.TransferQuery{Page: 1, Limit: reconcileLimit, Types: []string{typ}})
		if err != nil {
			lastErr = fmt.Errorf("list transfers: %w", err)
			c.Log.Warn("reconcile listing failed", "attempt", attempt+1, "err", err)
			continue
		}
		listed = true
		if tr := matchTransfer(page.Data, mv, since, before); tr != nil {
			return tr, nil
		}
	}
	if !listed {
		return nil, lastErr
	}
	return nil, nil
}

// sleep waits d, or less if ctx ends first (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// matchTransfer finds the movement among transfers: not among before (the
// ids listed before the submit), created since since, for the movement's
// amount — the transfer's amount or its subtotal, as the API's amount may
// include the fee — and to its recipient.
func matchTransfer(list []copperx.Transfer, mv movement, since time.Time, before map[string]bool) *copperx.Transfer {
	for i := range list {
		tr := &list[i]
		if before[tr.ID] || tr.CreatedAt.Before(since) || !tr.Amount.Equal(mv.Amount) && !tr.AmountSubtotal.Equal(mv.Amount) {
			continue
		}
		d := tr.DestinationAccount
		if d == nil {
			d = &copperx.TransferAccount{}
		}
		switch mv.Kind {
		case kindEmail:
			if strings.EqualFold(d.PayeeEmail, mv.To) {
				return tr
			}
		case kindPayee:
			if d.PayeeID == mv.PayeeID || strings.EqualFold(d.PayeeEmail, mv.To) && mv.To != "" {
				return tr
			}
		case kindWallet:
			if strings.EqualFold(d.WalletAddress, mv.To) {
				return tr
			}
		case kindBank:
			if tr.DestinationAccountID == mv.AccountID || d.ID == mv.AccountID || d.AccountID == mv.AccountID {
				return tr
			}
		}
	}
	return nil
}

// refused tells the user why the API refused the movement (nothing moved).
//
// A 401 is returned (wrapped), so the auth plugin's error hook logs the user
// out and asks them to log in again; a 429 says CopperX is busy; any other
// 4xx is a refusal.
func (t *Transfer) refused(c *kernel.Ctx, mv movement, err error) error {
	var apiErr *copperx.Error
	if !errors.As(err, &apiErr) || apiErr.Status == http.StatusUnauthorized || apiErr.Status < 400 || apiErr.Status >= 500 {
		return fmt.Errorf("submit %s: %w", mv.Kind, err)
	}
	msg := strings.ToLower(apiErr.Message)
	c.Log.Info("transfer refused", "kind", mv.Kind, "status", apiErr.Status)
	switch {
	case apiErr.Status == http.StatusTooManyRequests:
		_, serr := c.Say("transfer.result.busy", nil, nil)
		return serr
	case mv.Kind == kindBank && strings.Contains(msg, "quote"):
		kb := kernel.NewKeyboard().Row(c.Button("transfer.button.new_quote", "requote", "again"))
		// The quote is spent or expired: start a fresh withdraw flow at the quote.
		if err := t.restartWithQuote(c, mv); err != nil {
			return err
		}
		_, serr := c.Say("transfer.quote.expired", nil, kb.Row(cancelButton(c)))
		return serr
	case strings.Contains(msg, "insufficient"):
		_, serr := c.Say("transfer.result.insufficient", nil, nil)
		return serr
	case strings.Contains(msg, "yourself"):
		_, serr := c.Say("transfer.result.self", nil, nil)
		return serr
	}
	_, serr := c.Say("transfer.result.refused", nil, nil)
	return serr
}

// sayAgain answers a repeated Confirm with the first one's outcome.
func (t *Transfer) sayAgain(c *kernel.Ctx, o *outcome) error {
	_ = c.RemoveButtons(c.MessageID())
	var key string
	switch o.State {
	case stateSent:
		key = "transfer.confirm.already_sent"
	case stateFailed:
		key = "transfer.confirm.already_failed"
	default:
		key = "transfer.confirm.already_pending"
	}
	c.Answer(c.T("transfer.confirm.already_short", nil), false)
	var kb *kernel.Keyboard
	if o.TransferID != "" {
		kb = kernel.NewKeyboard().Row(c.Button("transfer.button.details", "detail", o.TransferID, "0"))
	}
	_, err := c.Say(key, map[string]any{"id": o.TransferID}, kb)
	return err
}

// sayResult reports a submitted movement: id, status, a Details button and,
// after a send to a new email, "Save as payee".
func (t *Transfer) sayResult(c *kernel.Ctx, id string, mv movement, tr *copperx.Transfer) error {
	kb := kernel.NewKeyboard().Row(c.Button("transfer.button.details", "detail", tr.ID, "0"))
	if mv.Kind == kindEmail && t.isNewPayee(c, mv.To) {
		kb.Row(c.Button("transfer.button.save_payee", "savepayee", id))
	}
	data := map[string]any{
		"id": tr.ID, "status": t.statusLabel(c, tr.Status), "emoji": statusEmoji(tr.Status),
		"amount": formatAmount(mv.Amount, c.Lang), "currency": t.cfg.Currency, "to": t.recipientLabel(c, mv),
	}
	key := "transfer.result.sent"
	if mv.Kind == kindBank {
		key = "transfer.result.withdrawn"
	}
	text := c.T(key, data)
	if tr.TotalFee.IsPositive() {
		text += "\n" + c.T("transfer.quote.fee", map[string]any{"fee": formatAmount(tr.TotalFee.Decimal, c.Lang), "currency": t.cfg.Currency})
	}
	_, err := c.Send(text, kb)
	return err
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

// savePayee saves the email of a finished send as a payee (callback
// "transfer:savepayee:<confirmation id>").
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
	nick := nickname(o.To)
	_, err = t.api.CreatePayee(c, token(c), copperx.CreatePayeeRequest{NickName: nick, Email: o.To})
	exists := errors.Is(err, copperx.ErrValidation)
	if err != nil && !exists {
		return fmt.Errorf("create payee: %w", err)
	}
	// Either way the offer is done: the result keeps only its Details button.
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
