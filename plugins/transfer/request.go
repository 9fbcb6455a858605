package transfer

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/plugins/internal/qr"
)

// Payment requests. "/request 25 lunch" makes a link,
// https://t.me/<bot>?start=pay_<id>, and its QR code, which the user
// shares. Whoever opens it (Telegram sends "/start pay_<id>": the kernel
// hands the rest to the action "pay", see Registrar.StartParam) lands in
// /send with the requester's email and the amount filled in, past the
// same checks as any send, at its summary; nothing is sent without
// Confirm.
//
// The id is 128 random bits (22 URL-safe characters) and carries nothing
// else: the request — who asked, their email, the amount, the note — is
// kept in the shared store under transfer:request:<id> until request_ttl
// (and a week more, so a link opened late is told it expired). A request
// is paid once: the payer's Confirm claims it atomically (open → paying,
// CompareAndSwap) before anything is submitted, so of two payers one
// wins; the transfer sent makes it paid; a refusal, or a transfer that
// fails later, opens it again; an outcome not known yet keeps it claimed.
// When the payer's transfer completes (outcome tracking), the requester is
// told, once, through the Notifier.

// Request states.
const (
	requestOpen     = "open"
	requestPaying   = "paying" // a payer's Confirm claimed it; not known to be sent yet
	requestPaid     = "paid"
	requestCanceled = "canceled"
)

// requestKeep is how long a request is kept after it expired, so that a
// link opened late is told it expired (after that: not valid).
const requestKeep = 7 * 24 * time.Hour

// requestsKey is the session value with the ids of the user's requests.
const requestsKey = "transfer.requests"

// requestPrefix starts a payment link's /start payload.
const requestPrefix = "pay_"

func requestKey(id string) string { return "transfer:request:" + id }

// requestIDPattern is what newRequestID makes.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// newRequestID is a random request id: 128 bits, URL-safe base64.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// request is a payment request as the store keeps it.
type request struct {
	UserID  int64     `json:"user"` // the Telegram user who asked
	Chat    int64     `json:"chat"`
	Lang    string    `json:"lang,omitempty"`
	Account string    `json:"acct"`  // their CopperX user id
	Email   string    `json:"email"` // where the money goes: never in the link
	Amount  string    `json:"amount"`
	Note    string    `json:"note,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	State   string    `json:"state"`
	// Confirmation is the payer's confirmation id that claimed it
	// (paying, paid); PayerUser and PayerEmail who that was.
	Confirmation string    `json:"confirmation,omitempty"`
	PayerUser    int64     `json:"payerUser,omitempty"`
	PayerEmail   string    `json:"payerEmail,omitempty"`
	PaidAt       time.Time `json:"paidAt,omitzero"`
	// Told: the requester was told it was paid.
	Told bool `json:"told,omitempty"`
}

// amount is the request's amount (zero when unreadable).
func (r *request) amount() decimal.Decimal {
	d, err := decimal.NewFromString(r.Amount)
	if err != nil {
		return decimal.Zero
	}
	return d
}

// setupRequests declares /request, /requests, their buttons and the
// payment links' action.
func (t *Transfer) setupRequests(r *kernel.Registrar, money []kernel.ActionOption) {
	r.Action("request", t.newRequest, append(money, kernel.Limit(LimitStart))...)
	r.Action("requests", t.listRequests, money...)
	r.Callback("request", t.requestButton, money...)
	r.Action("pay", t.payRequest, append(money, kernel.Limit(LimitStart))...)
	r.StartParam(requestPrefix, "pay")
}

// loadRequest reads request id (nil when there is none).
func (t *Transfer) loadRequest(ctx context.Context, id string) (*request, int64, error) {
	raw, ver, err := t.st.Get(ctx, requestKey(id), 0)
	if err != nil || raw == nil {
		return nil, 0, err
	}
	var r request
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, 0, fmt.Errorf("decode request: %w", err)
	}
	return &r, ver, nil
}

// errRequestGone: the request is not in the store (never made, or kept
// past its expiry and then dropped).
var errRequestGone = errors.New("transfer: payment request gone")

// updateRequest changes request id with change (which reports whether it
// changed it) by CompareAndSwap, retrying conflicts; it returns the request
// as it now stands.
func (t *Transfer) updateRequest(ctx context.Context, id string, change func(r *request) bool) (*request, error) {
	for range casTries {
		r, ver, err := t.loadRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, errRequestGone
		}
		if !change(r) {
			return r, nil
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		ttl := max(r.Expires.Add(requestKeep).Sub(t.now()), time.Minute)
		_, err = t.st.CompareAndSwap(ctx, requestKey(id), b, ver, ttl)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("save request: %w", err)
		}
		return r, nil
	}
	return nil, errors.New("save request: too many concurrent changes")
}

// newRequest is "/request AMOUNT [note]": a payment link and its QR code.
func (t *Transfer) newRequest(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) == 0 || !amountWord(args[0], t.cfg.Currency) {
		_, err := c.Say("transfer.request.usage", map[string]any{"example": c.FormatAmount(decimal.NewFromInt(25))}, nil)
		return err
	}
	k := 1
	if k < len(args) && strings.EqualFold(args[k], t.cfg.Currency) {
		k++
	}
	d, err := t.amountOf(c, strings.Join(args[:k], " "))
	if err != nil {
		return err
	}
	limits := map[string]any{"min": c.FormatAmount(t.cfg.sendMin), "max": c.FormatAmount(t.cfg.sendMax), "currency": t.cfg.Currency}
	if d.LessThan(t.cfg.sendMin) {
		return kernel.Fail("transfer.amount.below_min", limits)
	}
	if d.GreaterThan(t.cfg.sendMax) {
		return kernel.Fail("transfer.amount.above_max", limits)
	}
	note := strings.Join(args[k:], " ")
	if utf8.RuneCountInString(note) > t.cfg.RequestNoteMax || !printable(note) {
		return kernel.Fail("transfer.request.bad_note", map[string]any{"max": t.cfg.RequestNoteMax})
	}
	p := c.Principal()
	if p == nil {
		return errors.New("request: no principal behind the auth guard")
	}
	email, ok := validEmail(p.Email)
	if !ok {
		return fmt.Errorf("request: the account's email does not pass the send checks")
	}
	if c.Username() == "" {
		return errors.New("request: the bot's username is unknown, so no link can be made")
	}
	ids, open, err := t.myRequests(c)
	if err != nil {
		return err
	}
	if open >= t.cfg.RequestMaxOpen {
		return kernel.Fail("transfer.request.too_many", map[string]any{"max": t.cfg.RequestMaxOpen})
	}
	now := c.Now()
	r := request{UserID: c.UserID, Chat: c.ChatID, Lang: c.Lang, Account: p.UserID, Email: email, Amount: d.String(), Note: note,
		Created: now, Expires: now.Add(t.cfg.RequestTTL), State: requestOpen}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	id := newRequestID()
	made, err := t.st.SetNX(c, requestKey(id), b, t.cfg.RequestTTL+requestKeep)
	if err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	if !made { // 128 random bits met another id: never, in practice
		return errors.New("save request: id taken")
	}
	if err := c.Set(requestsKey, append(ids, id)); err != nil {
		return err
	}
	c.Log.Info("payment request made")
	link := t.requestLink(c, id)
	png, err := qr.PNG(link, t.cfg.RequestQRSize)
	if err != nil {
		return fmt.Errorf("request QR code: %w", err)
	}
	data := map[string]any{"amount": c.FormatAmount(d), "currency": t.cfg.Currency, "note": note, "link": link,
		"until": t.when(c, r.Expires)}
	caption := c.T("transfer.request.made", data)
	// The share text is plain text in a URL, not HTML: T's escaping undone.
	share := "https://t.me/share/url?url=" + url.QueryEscape(link) + "&text=" + url.QueryEscape(html.UnescapeString(c.T("transfer.request.share_text", data)))
	kb := kernel.NewKeyboard().
		Row(kernel.Button{Text: c.T("transfer.button.pay_request", data), URL: link}).
		Row(kernel.Button{Text: c.T("transfer.button.share_request", nil), URL: share})
	_, err = c.SendPhoto("payment-request.png", png, caption, kb)
	return err
}

// requestLink is the payment link of request id.
func (t *Transfer) requestLink(c *kernel.Ctx, id string) string {
	return "https://t.me/" + c.Username() + "?start=" + requestPrefix + id
}

// when is a date and time the user's way, in UTC.
func (t *Transfer) when(c *kernel.Ctx, at time.Time) string {
	return c.Format().FormatDate(at.UTC()) + " " + c.Format().FormatTime(at.UTC()) + " UTC"
}

// myRequests are the ids of the user's requests still kept (the session's
// list, pruned of the ones gone) and how many of them can still be paid.
func (t *Transfer) myRequests(c *kernel.Ctx) ([]string, int, error) {
	var ids []string
	c.Get(requestsKey, &ids)
	kept, open := ids[:0:0], 0
	for _, id := range ids {
		r, _, err := t.loadRequest(c, id)
		if err != nil {
			return nil, 0, err
		}
		if r == nil || r.UserID != c.UserID {
			continue
		}
		kept = append(kept, id)
		if (r.State == requestOpen || r.State == requestPaying) && c.Now().Before(r.Expires) {
			open++
		}
	}
	if len(kept) != len(ids) {
		if len(kept) == 0 {
			c.Del(requestsKey)
		} else if err := c.Set(requestsKey, kept); err != nil {
			return nil, 0, err
		}
	}
	return kept, open, nil
}

// listRequests is /requests: the user's payment requests, newest first,
// with Cancel for those still open.
func (t *Transfer) listRequests(c *kernel.Ctx) error {
	text, kb, err := t.requestsScreen(c)
	if err != nil {
		return err
	}
	_, err = c.Send(text, kb)
	return err
}

// requestsScreen is the /requests screen.
func (t *Transfer) requestsScreen(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
	ids, _, err := t.myRequests(c)
	if err != nil {
		return "", nil, err
	}
	if len(ids) == 0 {
		return c.T("transfer.requests.none", map[string]any{"example": c.FormatAmount(decimal.NewFromInt(25))}), nil, nil
	}
	lines := []string{c.T("transfer.requests.title", nil), ""}
	var buttons []kernel.Button
	for i, id := range slices.Backward(ids) {
		r, _, err := t.loadRequest(c, id)
		if err != nil {
			return "", nil, err
		}
		if r == nil {
			continue
		}
		n := len(ids) - i
		state := r.State
		if state == requestOpen && !c.Now().Before(r.Expires) {
			state = "expired"
		}
		data := map[string]any{"n": n, "amount": c.FormatAmount(r.amount()), "currency": t.cfg.Currency, "note": r.Note,
			"until": t.when(c, r.Expires), "link": t.requestLink(c, id), "payer": r.PayerEmail, "paid": t.when(c, r.PaidAt)}
		lines = append(lines, c.T("transfer.requests."+state, data))
		if state == requestOpen {
			buttons = append(buttons, c.ButtonText(c.T("transfer.button.cancel_request", data), "request", "cancel", id))
		}
	}
	return strings.Join(lines, "\n"), kernel.NewKeyboard().Grid(2, buttons...), nil
}

// requestButton is a /requests button: "cancel <id>" cancels an open
// request of the user's (one a payer is confirming right now cannot be).
func (t *Transfer) requestButton(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) != 2 || args[0] != "cancel" || !requestIDPattern.MatchString(args[1]) {
		return kernel.ErrStaleCallback
	}
	var ids []string
	c.Get(requestsKey, &ids)
	if !slices.Contains(ids, args[1]) {
		return kernel.ErrStaleCallback
	}
	was := ""
	r, err := t.updateRequest(c, args[1], func(r *request) bool {
		was = r.State
		if r.UserID != c.UserID || r.State != requestOpen {
			return false
		}
		r.State = requestCanceled
		return true
	})
	if errors.Is(err, errRequestGone) {
		return kernel.ErrStaleCallback
	}
	if err != nil {
		return err
	}
	if r.UserID != c.UserID {
		return kernel.ErrStaleCallback
	}
	key := "transfer.requests.canceled_short"
	if was != requestOpen {
		key = "transfer.requests.not_open_" + was
		c.Log.Info("payment request not canceled", "state", was)
	} else {
		c.Log.Info("payment request canceled")
	}
	c.Answer(c.T(key, nil), was != requestOpen)
	text, kb, err := t.requestsScreen(c)
	if err != nil {
		return err
	}
	_, err = c.Show(text, kb)
	return err
}

// payRequest is a payment link opened (/start pay_<id>): /send to the
// requester, for the amount, at its summary (after the same checks as any
// send); or why not — the user's own request, one expired, paid, being
// paid, canceled, or no such request.
func (t *Transfer) payRequest(c *kernel.Ctx) error {
	if len(c.Args()) != 1 || !requestIDPattern.MatchString(c.Args()[0]) {
		_, err := c.Say("transfer.request.unknown", nil, nil)
		return err
	}
	id := c.Args()[0]
	r, _, err := t.loadRequest(c, id)
	if err != nil {
		return err
	}
	if r == nil {
		_, err := c.Say("transfer.request.unknown", nil, nil)
		return err
	}
	if reason := t.unpayable(c, r); reason != "" {
		c.Log.Info("payment link not payable", "reason", reason)
		_, err := c.Say("transfer.request."+reason, t.requestData(c, r), nil)
		return err
	}
	email, ok := validEmail(r.Email)
	if !ok {
		return fmt.Errorf("request: the requester's email does not pass the send checks")
	}
	d := r.amount()
	mv := movement{Kind: kindEmail, To: email, Amount: d, Request: id, RequestNote: r.Note,
		Purpose: t.cfg.DefaultPurpose, PurposeDefault: t.cfg.DefaultPurpose != ""}
	c.Log.Info("payment link opened")
	return t.startChecked(c, mv, d, nil)
}

// unpayable is why the current user cannot pay r ("" when they can): the
// locale key's last segment under transfer.request.
func (t *Transfer) unpayable(c *kernel.Ctx, r *request) string {
	p := c.Principal()
	switch {
	case r.UserID == c.UserID || p != nil && r.Account == p.UserID: // the same person, or the same CopperX account
		return "own"
	case r.State == requestCanceled:
		return "canceled"
	case r.State == requestPaid:
		return "used"
	case r.State == requestPaying:
		return "paying"
	case !c.Now().Before(r.Expires):
		return "expired"
	}
	return ""
}

// claimRequest claims a send's payment request for its Confirm (open →
// paying, atomically): "" when this Confirm holds it (now, or already),
// else why not (transfer.request.<reason>).
func (t *Transfer) claimRequest(c *kernel.Ctx, mv *movement) (string, *request, error) {
	reason := ""
	payer := ""
	if p := c.Principal(); p != nil {
		payer = p.Email
	}
	r, err := t.updateRequest(c, mv.Request, func(r *request) bool {
		if r.State == requestPaying && r.Confirmation == mv.Confirmation.ID {
			return false // a repeated Confirm of the same summary
		}
		if reason = t.unpayable(c, r); reason != "" {
			return false
		}
		if !r.amount().Equal(mv.Amount) || !strings.EqualFold(r.Email, mv.To) {
			reason = "changed"
			return false
		}
		r.State, r.Confirmation, r.PayerUser, r.PayerEmail = requestPaying, mv.Confirmation.ID, c.UserID, payer
		return true
	})
	if errors.Is(err, errRequestGone) {
		return "unknown", nil, nil
	}
	return reason, r, err
}

// requestData is what the messages about r say (nil r: nothing).
func (t *Transfer) requestData(c *kernel.Ctx, r *request) map[string]any {
	if r == nil {
		return nil
	}
	return map[string]any{"amount": c.FormatAmount(r.amount()), "currency": t.cfg.Currency, "note": r.Note,
		"until": t.when(c, r.Expires)}
}

// settleRequest moves the payment request of outcome id on with it: sent
// makes it paid (and, once the transfer completed, tells the requester,
// once); refused, or a transfer that did not go through, opens it again;
// an outcome not known yet keeps it claimed. It never fails: a request
// left behind is logged.
func (t *Transfer) settleRequest(ctx context.Context, id string, o *outcome) {
	if o.Request == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	var change func(r *request) bool
	switch {
	case o.State == stateFailed, o.State == stateSent && newsFor(o.Status) != "":
		change = func(r *request) bool {
			if r.Confirmation != id || r.State != requestPaying && r.State != requestPaid {
				return false
			}
			r.State, r.Confirmation, r.PayerUser, r.PayerEmail, r.PaidAt, r.Told = requestOpen, "", 0, "", time.Time{}, false
			return true
		}
	case o.State == stateSent:
		change = func(r *request) bool {
			if r.Confirmation != id || r.State != requestPaying {
				return false
			}
			r.State, r.PaidAt = requestPaid, t.now()
			return true
		}
	default:
		return
	}
	r, err := t.updateRequest(ctx, o.Request, change)
	if err != nil {
		t.log.Warn("payment request not updated with its payment", "state", o.State, "err", err)
		return
	}
	if o.State == stateSent && o.Status == "success" && r.State == requestPaid && r.Confirmation == id && !r.Told {
		t.tellRequester(ctx, id, o)
	}
}

// releaseRequest opens the payment request a Confirm claimed again, when
// that Confirm stopped before anything was submitted (the store failed).
func (t *Transfer) releaseRequest(c *kernel.Ctx, mv *movement) {
	t.settleRequest(c, mv.Confirmation.ID, &outcome{Request: mv.Request, State: stateFailed})
}

// tellRequester tells the requester their request was paid: marked told
// first (CompareAndSwap), so it is told at most once.
func (t *Transfer) tellRequester(ctx context.Context, id string, o *outcome) {
	told := false
	r, err := t.updateRequest(ctx, o.Request, func(r *request) bool {
		if r.Told || r.Confirmation != id || r.State != requestPaid {
			return false
		}
		r.Told, told = true, true
		return true
	})
	if err != nil || !told {
		if err != nil {
			t.log.Warn("could not mark a payment request told", "err", err)
		}
		return
	}
	lang := r.Lang
	if chosen, err := t.sessions.Lang(ctx, r.UserID); err == nil && chosen != "" {
		lang = chosen
	}
	_, err = t.notifier.Send(ctx, kernel.Recipient{ChatID: r.Chat, UserID: r.UserID, Lang: lang}, func(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
		return c.T("transfer.request.paid", map[string]any{"amount": c.FormatAmount(r.amount()), "currency": t.cfg.Currency,
			"note": r.Note, "payer": r.PayerEmail}), nil, nil
	})
	if err != nil {
		t.log.Warn("could not tell the requester their request was paid", "err", err)
		return
	}
	t.log.Info("requester told their payment request was paid")
}

// requestLine is the summary's line about the payment request it pays.
func requestLine(c *kernel.Ctx, note string) string {
	if note == "" {
		return c.T("transfer.summary.request_plain", nil)
	}
	return c.T("transfer.summary.request", map[string]any{"note": note})
}
