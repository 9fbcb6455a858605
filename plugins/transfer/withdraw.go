package transfer

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// The withdraw flow (/withdraw, /bank), in the order a user meets it:
// which bank account, how much (which asks CopperX for a quote), the quote,
// what for, where the money comes from, then the summary whose Confirm
// submits it exactly once (confirm.go). A quote that expired by Continue
// or Confirm is renewed in place; one CopperX refuses at submit sends the
// flow back to the quote step, with a fresh quote. The wallet that pays
// can be changed at the amount (steps wallet and switch, payfrom.go).
func (t *Transfer) withdrawFlow() kernel.Flow[movement] {
	return kernel.Flow[movement]{Version: 4, Late: t.late, Steps: append([]kernel.Step[movement]{
		{Name: "account", Ask: t.askAccount, Tap: kernel.Taps[movement]{"pick": t.takeAccount}},
		{Name: "amount", Ask: t.askWithdrawAmount, Text: t.takeWithdrawAmount,
			Tap: kernel.Taps[movement]{"requote": t.retryQuote, "payfrom": t.payFrom, "wallet": t.changeWallet("amount")}},
		{Name: "quote", Ask: t.showQuote, Tap: kernel.Taps[movement]{"accept": t.acceptQuote, "requote": t.requote("quote")}},
		{Name: "purpose", Ask: t.askPurpose, Tap: kernel.Taps[movement]{"purpose": t.takePurpose}},
		{Name: "source", Ask: t.askSource, Tap: kernel.Taps[movement]{"source": t.takeSource}},
		{Name: "retype", Ask: t.askRetype, Text: t.takeRetype},
		{Name: "confirm", Ask: t.withdrawSummary, Tap: kernel.Taps[movement]{"confirm": t.confirm, "requote": t.requote("confirm")}},
	}, t.payingSteps()...)}
}

// sources are the API's source-of-funds codes, in button order.
var sources = []string{"salary", "savings", "lottery", "investment", "loan", "business_income", "others"}

// startWithdraw starts /withdraw when the user has a bank account, and
// says where to add one otherwise.
func (t *Transfer) startWithdraw(c *kernel.Ctx) error {
	accts, err := t.api.BankAccounts(c, token(c))
	if err != nil {
		return fmt.Errorf("bank accounts: %w", err)
	}
	if len(accts) == 0 {
		kb := kernel.NewKeyboard().Row(c.URLButton("transfer.button.add_bank", t.cfg.BankAccountsURL))
		_, err := c.Say("transfer.bank.none", nil, kb)
		return err
	}
	mv := movement{Kind: kindBank}
	for _, a := range accts {
		mv.Choices = append(mv.Choices, choice{ID: a.ID, Label: bankLabel(a), Country: a.Country})
	}
	return c.StartFlow("withdraw", mv)
}

// askAccount asks which bank account.
func (t *Transfer) askAccount(c *kernel.Ctx, mv *movement) error {
	kb := kernel.NewKeyboard()
	for i, a := range mv.Choices {
		kb.Row(c.TapText(a.Label, "pick", strconv.Itoa(i)))
	}
	kb.Row(c.URLButton("transfer.button.add_bank", t.cfg.BankAccountsURL)).Row(c.CancelButton())
	_, err := c.Prompt(c.T("transfer.bank.choose", nil), kb)
	return err
}

// bankLabel is a bank account, masked: "Chase Bank ••6789".
func bankLabel(a copperx.Account) string {
	if a.BankAccount == nil {
		return a.ID
	}
	name := a.BankAccount.BankName
	if name == "" {
		name = strings.ToUpper(a.Country)
	}
	return strings.TrimSpace(name + " " + last4(a.BankAccount.BankAccountNumber))
}

// takeAccount takes the bank account.
func (t *Transfer) takeAccount(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	a, ok := pick(c, mv.Choices)
	if !ok {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	*mv = movement{Kind: kindBank, AccountID: a.ID, Account: a.Label, Country: a.Country}
	return kernel.Next("amount"), nil
}

// askWithdrawAmount asks how much to withdraw, with the wallet that pays
// and its balance; after a shortfall, the wallets that hold enough.
func (t *Transfer) askWithdrawAmount(c *kernel.Ctx, mv *movement) error {
	text := c.T("transfer.bank.ask_amount", map[string]any{"account": mv.Account, "currency": t.cfg.Currency})
	ws, err := t.wallets(c)
	if err != nil {
		return err
	}
	if w, ok := paying(ws); ok {
		text += "\n" + t.payingLine(c, w)
	}
	kb := kernel.NewKeyboard()
	t.walletButtons(c, mv, ws, kb)
	_, err = c.Prompt(withNote(mv, text), kb.Row(c.CancelButton()))
	return err
}

// takeWithdrawAmount takes the amount and, within the daily limit, asks
// CopperX for a quote.
func (t *Transfer) takeWithdrawAmount(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	d, err := t.parseAmount(c)
	if err != nil {
		return kernel.Stay, err
	}
	if err := t.checkDailyLimit(c, d); err != nil {
		return kernel.Stay, err
	}
	mv.Amount, mv.Quote = d, nil
	return t.quoteAtAmount(c, mv)
}

// retryQuote asks again for a quote CopperX could not give (the amount
// step's "Get a new quote").
func (t *Transfer) retryQuote(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if !mv.Amount.IsPositive() {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	return t.quoteAtAmount(c, mv)
}

// quoteAtAmount gets a quote for the amount step: the quote step on
// success; otherwise the user is told why (in place of the message whose
// "Get a new quote" was tapped) and types another amount. When the paying
// wallet is short but another holds enough, the amount question is asked
// again offering it.
func (t *Transfer) quoteAtAmount(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	err := t.fetchQuote(c, mv)
	var refusal *quoteRefusal
	var short *shortfall
	switch {
	case errors.As(err, &refusal):
		if c.IsCallback() {
			// Tapped "Get a new quote" again: the message may read the same,
			// so the tap is answered too.
			c.Answer(html.UnescapeString(c.T("transfer.quote.error_short", map[string]any{"reason": refusal.reason})), false)
		}
		kb := kernel.NewKeyboard().Row(c.Tap("transfer.button.new_quote", "requote"), c.CancelButton())
		_, err := c.Prompt(c.T("transfer.quote.error", map[string]any{"reason": refusal.reason}), kb)
		return kernel.Stay, err
	case errors.As(err, &short):
		data := t.shortData(c, short)
		if t.offerOthers(c, mv, short.wallets, short.need, c.T("transfer.amount.insufficient_fee_other", data)) {
			return kernel.Next("amount"), nil
		}
		return kernel.Stay, kernel.Fail("transfer.amount.insufficient_fee", data)
	case err != nil:
		return kernel.Stay, err
	}
	return kernel.Next("quote"), nil
}

// quoteAgain quotes the amount kept through a change of wallet: the quote
// step, or the amount question again saying why there is no quote.
func (t *Transfer) quoteAgain(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	err := t.fetchQuote(c, mv)
	var refusal *quoteRefusal
	var short *shortfall
	var ue *kernel.UserError
	switch {
	case errors.As(err, &refusal):
		mv.Note = c.T("transfer.quote.error_amount", map[string]any{"reason": refusal.reason})
	case errors.As(err, &short):
		data := t.shortData(c, short)
		if !t.offerOthers(c, mv, short.wallets, short.need, c.T("transfer.amount.insufficient_fee_other", data)) {
			mv.Note = c.T("transfer.amount.insufficient_fee", data)
		}
	case errors.As(err, &ue):
		mv.Note = c.T(ue.Key, ue.Data)
	case err != nil:
		return kernel.Stay, err
	default:
		return kernel.Next("quote"), nil
	}
	return kernel.Next("amount"), nil
}

// quoteRefusal is CopperX giving no quote, with its reason.
type quoteRefusal struct{ reason string }

func (e *quoteRefusal) Error() string { return "transfer: no quote: " + e.reason }

// shortfall is a quote the paying wallet cannot cover (fee included).
type shortfall struct {
	need    decimal.Decimal
	paying  walletChoice
	wallets []walletChoice
}

func (e *shortfall) Error() string { return "transfer: balance short of " + e.need.String() }

// shortData is what the messages about a shortfall say.
func (t *Transfer) shortData(c *kernel.Ctx, s *shortfall) map[string]any {
	return map[string]any{"balance": c.FormatAmount(s.paying.Balance), "need": c.FormatAmount(s.need),
		"currency": t.cfg.Currency, "network": t.networkName(s.paying.Network)}
}

// quoteError turns CopperX refusing a quote request (a 4xx other than
// 401, which logs the user out) into a quoteRefusal with CopperX's reason,
// logging its message; nil when err is no such refusal.
func quoteError(c *kernel.Ctx, err error) *quoteRefusal {
	var apiErr *copperx.Error
	if !errors.As(err, &apiErr) || apiErr.Status < 400 || apiErr.Status >= 500 || errors.Is(err, copperx.ErrUnauthorized) {
		return nil
	}
	c.Log.Info("quote refused by CopperX", "status", apiErr.Status, "reason", string(apiErr.Reason()), "message", apiErr.Message)
	if apiErr.Status == http.StatusTooManyRequests {
		return &quoteRefusal{reason: c.T("transfer.quote.busy", nil)}
	}
	var parts []string
	for _, d := range apiErr.Details() {
		if m := strings.TrimSpace(d.Message); m != "" && !slices.Contains(parts, m) {
			parts = append(parts, m)
		}
	}
	if len(parts) == 0 {
		return &quoteRefusal{reason: c.T("transfer.quote.no_reason", nil)}
	}
	return &quoteRefusal{reason: strings.Join(parts, "; ")}
}

// fetchQuote asks CopperX for an offramp quote for mv and keeps it in
// mv.Quote. It refuses, with a *kernel.UserError, an amount outside the
// quote's limits; a *shortfall is a paying wallet that cannot cover it
// (fees included); a *quoteRefusal is CopperX giving no quote (in a 200,
// or refusing the request with a 4xx), with its reason.
func (t *Transfer) fetchQuote(c *kernel.Ctx, mv *movement) error {
	mv.Quote = nil
	q, err := t.api.OfframpQuote(c, token(c), copperx.QuoteRequest{
		SourceCountry: "none", DestinationCountry: mv.Country, Amount: mv.Amount,
		Currency: t.cfg.Currency, PreferredBankAccountID: mv.AccountID,
	})
	if refusal := quoteError(c, err); refusal != nil {
		return refusal
	}
	if err != nil {
		return fmt.Errorf("offramp quote: %w", err)
	}
	limits := map[string]any{"min": c.FormatAmount(q.MinAmount.Decimal), "max": c.FormatAmount(q.MaxAmount.Decimal), "currency": t.cfg.Currency}
	if q.MinAmount.IsPositive() && mv.Amount.LessThan(q.MinAmount.Decimal) {
		return kernel.Fail("transfer.amount.below_min", limits)
	}
	if q.MaxAmount.IsPositive() && mv.Amount.GreaterThan(q.MaxAmount.Decimal) {
		return kernel.Fail("transfer.amount.above_max", limits)
	}
	if q.Error != "" || q.QuotePayload == "" || q.Payload == nil {
		c.Log.Info("quote refused", "reason", q.Error)
		return &quoteRefusal{reason: q.Error}
	}
	ws, err := t.wallets(c)
	if err != nil {
		return err
	}
	amount := q.Payload.Amount
	if !amount.IsPositive() {
		amount = mv.Amount
	}
	need := amount.Add(q.Payload.TotalFee)
	w, ok := paying(ws)
	if ok && w.Known && need.GreaterThan(w.Balance) {
		return &shortfall{need: need, paying: w, wallets: ws}
	}
	mv.Balance, mv.PayingNetwork, mv.Offers = nil, w.Network, nil
	if ok && w.Known {
		mv.Balance = &w.Balance
	}
	mv.Quote = &quote{
		Payload: q.QuotePayload, Signature: q.QuoteSignature, ExpiresAt: quoteExpiry(q.Payload),
		Min: q.MinAmount.Decimal, Max: q.MaxAmount.Decimal, Arrival: q.ArrivalTimeMessage,
		Fee: q.Payload.TotalFee, Receive: q.Payload.ToAmount, ToCurrency: q.Payload.ToCurrency, Rate: q.Payload.Rate,
		Total: need,
	}
	return nil
}

// quoteExpiry reads when a quote expires from its payload (zero when it
// does not say).
func quoteExpiry(p *copperx.QuotePayload) time.Time {
	return p.ExpiresAt
}

// showQuote shows the quote with Continue / Get a new quote / Cancel (in
// place of the old quote when a new one was asked for).
func (t *Transfer) showQuote(c *kernel.Ctx, mv *movement) error {
	text := c.T("transfer.quote.title", nil) + "\n\n" + strings.Join(t.quoteLines(c, mv), "\n")
	kb := kernel.NewKeyboard().Row(c.Tap("transfer.button.continue", "accept")).
		Row(c.Tap("transfer.button.new_quote", "requote"), c.CancelButton())
	_, err := c.Prompt(text, kb)
	return err
}

// quoteLines describe a quote: what leaves, the fee, the rate, what
// arrives, when, the limits, and until when the quote holds.
func (t *Transfer) quoteLines(c *kernel.Ctx, mv *movement) []string {
	q, cur := mv.Quote, t.cfg.Currency
	lines := []string{
		c.T("transfer.summary.to", map[string]any{"to": mv.Account}),
		c.T("transfer.summary.amount", map[string]any{"amount": c.FormatAmount(mv.Amount), "currency": cur}),
		c.T("transfer.quote.fee", map[string]any{"fee": c.FormatAmount(q.Fee), "currency": cur}),
		c.T("transfer.quote.total", map[string]any{"total": c.FormatAmount(q.total(mv.Amount)), "currency": cur}),
		c.T("transfer.quote.rate", map[string]any{"rate": c.FormatDecimal(q.Rate, 0), "currency": cur, "to_currency": q.ToCurrency}),
		c.T("transfer.quote.receive", map[string]any{"amount": c.FormatAmount(q.Receive), "currency": q.ToCurrency}),
	}
	if q.Arrival != "" {
		lines = append(lines, c.T("transfer.quote.arrival", map[string]any{"arrival": q.Arrival}))
	}
	if q.Max.IsPositive() {
		lines = append(lines, c.T("transfer.quote.limits", map[string]any{"min": c.FormatAmount(q.Min), "max": c.FormatAmount(q.Max), "currency": cur}))
	}
	if !q.ExpiresAt.IsZero() {
		lines = append(lines, c.T("transfer.quote.valid_until", map[string]any{"time": c.Format().FormatTime(q.ExpiresAt.UTC()) + " UTC"}))
	}
	return lines
}

// acceptQuote moves on to the purpose; an expired quote is renewed first
// (and shown in place of the old one, with an alert saying so).
func (t *Transfer) acceptQuote(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if mv.Quote.expired(c.Now()) {
		return t.renewQuote(c, mv, "quote", "transfer.quote.expired_renewed_continue", true)
	}
	return kernel.Next("purpose"), nil
}

// requote is "Get a new quote" at step (the quote or the summary).
func (t *Transfer) requote(step string) func(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	return func(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
		return t.renewQuote(c, mv, step, "transfer.quote.renewed", false)
	}
}

// renewQuote gets a fresh quote for the same account and amount and asks
// step again with it, in place of the tapped quote or summary (a summary
// with a new confirmation id), telling the tap's notice (an alert when
// alert).
func (t *Transfer) renewQuote(c *kernel.Ctx, mv *movement, step, notice string, alert bool) (kernel.Move, error) {
	if mv.Kind != kindBank || !mv.Amount.IsPositive() {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	if m, ok, err := t.freshQuote(c, mv); !ok || err != nil {
		return m, err
	}
	c.Answer(c.T(notice, nil), alert)
	return kernel.Next(step), nil
}

// freshQuote gets a new quote for mv's account and amount. When there is
// none for that amount (CopperX gives none, the amount is out of its
// limits or above the balance with fees), ok is false: the tapped message
// now says why, and m asks for another amount.
func (t *Transfer) freshQuote(c *kernel.Ctx, mv *movement) (m kernel.Move, ok bool, err error) {
	err = t.fetchQuote(c, mv)
	var refusal *quoteRefusal
	var short *shortfall
	var ue *kernel.UserError
	why := ""
	switch {
	case errors.As(err, &refusal):
		why = c.T("transfer.quote.error_amount", map[string]any{"reason": refusal.reason})
	case errors.As(err, &short):
		why = c.T("transfer.amount.insufficient_fee", t.shortData(c, short))
	case errors.As(err, &ue):
		why = c.T(ue.Key, ue.Data)
	case err != nil:
		return kernel.Stay, false, err
	default:
		return kernel.Stay, true, nil
	}
	if _, err := c.Show(why, nil); err != nil {
		return kernel.Stay, false, err
	}
	return kernel.Next("amount"), false, nil
}

// askSource asks where the money comes from.
func (t *Transfer) askSource(c *kernel.Ctx, _ *movement) error {
	_, err := c.Prompt(c.T("transfer.source.ask", nil), choiceKeyboard(c, "transfer.source", "source", sources))
	return err
}

// takeSource takes the source of funds and goes to the summary (after
// the amount typed again, for a large one).
func (t *Transfer) takeSource(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if len(c.Args()) != 1 || !slices.Contains(sources, c.Args()[0]) {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	mv.Source = c.Args()[0]
	return kernel.Next(t.summaryStep(mv)), nil
}

// withdrawSummary shows what Confirm will withdraw, with a fresh
// confirmation id.
func (t *Transfer) withdrawSummary(c *kernel.Ctx, mv *movement) error {
	mv.Confirmation = confirmation{ID: newConfirmID(), ShownAt: c.Now()}
	lines := append([]string{c.T("transfer.summary.title_bank", nil), ""}, t.quoteLines(c, mv)...)
	lines = append(lines,
		c.T("transfer.summary.purpose", map[string]any{"purpose": c.T("transfer.purpose."+mv.Purpose, nil)}),
		c.T("transfer.summary.source", map[string]any{"source": c.T("transfer.source."+mv.Source, nil)}))
	lines = append(lines, t.summaryPaying(c, mv)...)
	if mv.Balance != nil {
		// What leaves the wallet is the quote's total: amount and fee.
		after := mv.Balance.Sub(mv.Quote.total(mv.Amount))
		lines = append(lines, c.T("transfer.summary.balance_after", map[string]any{"balance": c.FormatAmount(after), "currency": t.cfg.Currency}))
	}
	lines = append(lines, "", t.confirmHint(c, mv))
	kb := kernel.NewKeyboard().Row(c.Tap("transfer.button.confirm", "confirm", mv.Confirmation.ID), c.CancelButton()).
		Row(c.Tap("transfer.button.new_quote", "requote"))
	_, err := c.Prompt(strings.Join(lines, "\n"), kb)
	return err
}

// confirmHint says until when Confirm works: confirm_ttl, or the quote's
// expiry when that comes first.
func (t *Transfer) confirmHint(c *kernel.Ctx, mv *movement) string {
	if q := mv.Quote; q != nil && !q.ExpiresAt.IsZero() && q.ExpiresAt.Before(c.Now().Add(t.cfg.ConfirmTTL)) {
		return c.T("transfer.summary.confirm_hint_quote", map[string]any{"time": c.Format().FormatTime(q.ExpiresAt.UTC()) + " UTC"})
	}
	return c.T("transfer.summary.confirm_hint", map[string]any{"within": c.FormatDuration(t.cfg.ConfirmTTL)})
}
