package transfer

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// sources are the API's source-of-funds codes, in button order.
var sources = []string{"salary", "savings", "lottery", "investment", "loan", "business_income", "others"}

// startWithdraw starts /withdraw: which bank account?
func (t *Transfer) startWithdraw(c *kernel.Ctx) error {
	accts, err := t.api.BankAccounts(c, token(c))
	if err != nil {
		return fmt.Errorf("bank accounts: %w", err)
	}
	add := c.URLButton("transfer.button.add_bank", t.cfg.BankAccountsURL)
	if len(accts) == 0 {
		_, err := c.Say("transfer.bank.none", nil, kernel.NewKeyboard().Row(add))
		return err
	}
	kb := kernel.NewKeyboard()
	for _, a := range accts {
		d, err := kernel.CallbackData("transfer", "acct", a.ID)
		if err != nil {
			continue
		}
		kb.Row(kernel.Button{Text: bankLabel(a), Data: d})
	}
	if err := c.StartFlow("withdraw", "account"); err != nil {
		return err
	}
	_, err = c.Say("transfer.bank.choose", nil, kb.Row(add).Row(cancelButton(c)))
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

// pickAccount takes the bank account and asks for the amount.
func (t *Transfer) pickAccount(c *kernel.Ctx) error {
	if !c.InFlow("withdraw", "account") || len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	accts, err := t.api.BankAccounts(c, token(c))
	if err != nil {
		return fmt.Errorf("bank accounts: %w", err)
	}
	i := slices.IndexFunc(accts, func(a copperx.Account) bool { return a.ID == c.Args()[0] })
	if i < 0 {
		return kernel.ErrStaleCallback
	}
	a := accts[i]
	saveMovement(c, movement{Kind: kindBank, AccountID: a.ID, Account: bankLabel(a), Country: a.Country})
	if err := c.Next("amount"); err != nil {
		return err
	}
	text := c.T("transfer.bank.ask_amount", map[string]any{"account": bankLabel(a), "currency": t.cfg.Currency})
	if bal, ok, err := t.balance(c); err != nil {
		return err
	} else if ok {
		text += "\n" + c.T("transfer.amount.balance", map[string]any{"balance": formatAmount(bal, c.Lang), "currency": t.cfg.Currency})
	}
	_, err = c.Show(text, kernel.NewKeyboard().Row(cancelButton(c)))
	return err
}

// withdrawAmount takes the amount and shows a quote.
func (t *Transfer) withdrawAmount(c *kernel.Ctx) error {
	d, err := t.parseAmount(c)
	if err != nil {
		return err
	}
	mv := loadMovement(c)
	mv.Amount = d
	mv.QuotePayload, mv.QuoteSignature = "", ""
	saveMovement(c, mv)
	q, ok, err := t.quote(c, &mv)
	if err != nil || !ok {
		return err
	}
	if err := c.Next("quote"); err != nil {
		return err
	}
	return t.showQuote(c, mv, q, false)
}

// quote asks for an offramp quote for mv and keeps it in the flow; ok is
// false when the user was told why there is none (out of range, the API's
// error, not enough balance).
func (t *Transfer) quote(c *kernel.Ctx, mv *movement) (*copperx.Quote, bool, error) {
	q, err := t.api.OfframpQuote(c, token(c), copperx.QuoteRequest{
		SourceCountry: "none", DestinationCountry: mv.Country, Amount: mv.Amount,
		Currency: t.cfg.Currency, PreferredBankAccountID: mv.AccountID,
	})
	if err != nil {
		return nil, false, fmt.Errorf("offramp quote: %w", err)
	}
	limits := map[string]any{"min": formatAmount(q.MinAmount.Decimal, c.Lang), "max": formatAmount(q.MaxAmount.Decimal, c.Lang), "currency": t.cfg.Currency}
	if q.MinAmount.IsPositive() && mv.Amount.LessThan(q.MinAmount.Decimal) {
		return nil, false, kernel.Fail("transfer.amount.below_min", limits)
	}
	if q.MaxAmount.IsPositive() && mv.Amount.GreaterThan(q.MaxAmount.Decimal) {
		return nil, false, kernel.Fail("transfer.amount.above_max", limits)
	}
	if q.Error != "" || q.QuotePayload == "" || q.Payload == nil {
		c.Log.Info("quote refused", "reason", q.Error)
		kb := kernel.NewKeyboard().Row(c.Button("transfer.button.new_quote", "requote", "again")).Row(cancelButton(c))
		_, err := c.Say("transfer.quote.error", map[string]any{"reason": q.Error}, kb)
		return nil, false, err
	}
	bal, ok, err := t.balance(c)
	if err != nil {
		return nil, false, err
	}
	need := q.Payload.Amount.Add(q.Payload.TotalFee)
	if ok && need.GreaterThan(bal) {
		return nil, false, kernel.Fail("transfer.amount.insufficient_fee", map[string]any{
			"balance": formatAmount(bal, c.Lang), "need": formatAmount(need, c.Lang), "currency": t.cfg.Currency})
	}
	if ok {
		c.SetFlowData("bal", bal.String())
	}
	mv.QuotePayload, mv.QuoteSignature = q.QuotePayload, q.QuoteSignature
	saveMovement(c, *mv)
	exp := int64(0)
	if raw, ok := q.Payload.Fields["expireAt"]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if at, err := time.Parse(time.RFC3339, s); err == nil {
				exp = at.Unix()
			}
		}
	}
	c.SetFlowData("qexp", strconv.FormatInt(exp, 10))
	c.SetFlowData("qmin", q.MinAmount.String())
	c.SetFlowData("qmax", q.MaxAmount.String())
	return q, true, nil
}

// quoteExpired reports whether the flow's quote is past its expiry.
func quoteExpired(c *kernel.Ctx) bool {
	exp, _ := strconv.ParseInt(c.FlowData("qexp"), 10, 64)
	return exp > 0 && !c.Now().Before(time.Unix(exp, 0))
}

// quoteLines describes a quote: what leaves, the rate, the fee, what
// arrives, when, and until when the quote holds.
func (t *Transfer) quoteLines(c *kernel.Ctx, mv movement) []string {
	var p copperx.QuotePayload
	_ = json.Unmarshal([]byte(mv.QuotePayload), &p)
	cur := t.cfg.Currency
	lines := []string{
		c.T("transfer.summary.to", map[string]any{"to": mv.Account}),
		c.T("transfer.summary.amount", map[string]any{"amount": formatAmount(mv.Amount, c.Lang), "currency": cur}),
		c.T("transfer.quote.fee", map[string]any{"fee": formatAmount(p.TotalFee, c.Lang), "currency": cur}),
		c.T("transfer.quote.rate", map[string]any{"rate": formatNumber(p.Rate, c.Lang, 0), "currency": cur, "to_currency": p.ToCurrency}),
		c.T("transfer.quote.receive", map[string]any{"amount": formatAmount(p.ToAmount, c.Lang), "currency": p.ToCurrency}),
	}
	if a := c.FlowData("arrival"); a != "" {
		lines = append(lines, c.T("transfer.quote.arrival", map[string]any{"arrival": a}))
	}
	qmin, err1 := decimal.NewFromString(c.FlowData("qmin"))
	qmax, err2 := decimal.NewFromString(c.FlowData("qmax"))
	if err1 == nil && err2 == nil && qmax.IsPositive() {
		lines = append(lines, c.T("transfer.quote.limits", map[string]any{"min": formatAmount(qmin, c.Lang), "max": formatAmount(qmax, c.Lang), "currency": cur}))
	}
	if exp, _ := strconv.ParseInt(c.FlowData("qexp"), 10, 64); exp > 0 {
		lines = append(lines, c.T("transfer.quote.valid_until", map[string]any{"time": time.Unix(exp, 0).UTC().Format("15:04 UTC")}))
	}
	return lines
}

// showQuote shows the quote with Continue / Get a new quote / Cancel.
func (t *Transfer) showQuote(c *kernel.Ctx, mv movement, q *copperx.Quote, edit bool) error {
	if q != nil {
		c.SetFlowData("arrival", q.ArrivalTimeMessage)
	}
	text := c.T("transfer.quote.title", nil) + "\n\n" + strings.Join(t.quoteLines(c, mv), "\n")
	kb := kernel.NewKeyboard().Row(c.Button("transfer.button.continue", "accept")).
		Row(c.Button("transfer.button.new_quote", "requote", "again"), cancelButton(c))
	var err error
	if edit {
		_, err = c.Show(text, kb)
	} else {
		_, err = c.Send(text, kb)
	}
	return err
}

// acceptQuote moves on to the purpose, unless the quote expired.
func (t *Transfer) acceptQuote(c *kernel.Ctx) error {
	if !c.InFlow("withdraw", "quote") {
		return kernel.ErrStaleCallback
	}
	if quoteExpired(c) {
		return t.sayQuoteExpired(c)
	}
	if err := c.Next("purpose"); err != nil {
		return err
	}
	_ = c.RemoveButtons(c.MessageID())
	_, err := c.Say("transfer.purpose.ask", nil, purposeKeyboard(c))
	return err
}

// sayQuoteExpired offers a new quote for the same amount.
func (t *Transfer) sayQuoteExpired(c *kernel.Ctx) error {
	c.SetFlowData("cid", "")
	_ = c.RemoveButtons(c.MessageID())
	kb := kernel.NewKeyboard().Row(c.Button("transfer.button.new_quote", "requote", "again")).Row(cancelButton(c))
	_, err := c.Say("transfer.quote.expired", nil, kb)
	return err
}

// requote gets a fresh quote for the same account and amount: back to the
// summary when purpose and source are known, else to the quote.
func (t *Transfer) requote(c *kernel.Ctx) error {
	if !c.InFlow("withdraw", "amount", "quote", "confirm") {
		return kernel.ErrStaleCallback
	}
	mv := loadMovement(c)
	if mv.Kind != kindBank || !mv.Amount.IsPositive() {
		return kernel.ErrStaleCallback
	}
	_ = c.RemoveButtons(c.MessageID())
	q, ok, err := t.quote(c, &mv)
	if err != nil || !ok {
		// Out of range, not enough balance or no quote: the user was told
		// to type another amount, so the flow must take one.
		if !c.InFlow("withdraw", "amount") {
			if nerr := c.Next("amount"); nerr != nil {
				return errors.Join(err, nerr)
			}
		}
		return err
	}
	c.SetFlowData("arrival", q.ArrivalTimeMessage)
	if c.InFlow("withdraw", "confirm") && mv.Purpose != "" && mv.Source != "" {
		if err := c.Next("confirm"); err != nil {
			return err
		}
		return t.withdrawSummary(c, mv, false)
	}
	if err := c.Next("quote"); err != nil {
		return err
	}
	return t.showQuote(c, mv, q, false)
}

// restartWithQuote reopens a withdrawal whose quote the API refused at
// submit, at the summary step, so "Get a new quote" can resume it.
func (t *Transfer) restartWithQuote(c *kernel.Ctx, mv movement) error {
	if err := c.StartFlow("withdraw", "confirm"); err != nil {
		return err
	}
	mv.QuotePayload, mv.QuoteSignature = "", ""
	saveMovement(c, mv)
	return nil
}

// withdrawConfirmHint says until when Confirm works: confirm_ttl, or the
// quote's expiry when that comes first.
func (t *Transfer) withdrawConfirmHint(c *kernel.Ctx) string {
	exp, _ := strconv.ParseInt(c.FlowData("qexp"), 10, 64)
	if exp > 0 && time.Unix(exp, 0).Before(c.Now().Add(t.cfg.ConfirmTTL)) {
		return c.T("transfer.summary.confirm_hint_quote", map[string]any{"time": time.Unix(exp, 0).UTC().Format("15:04 UTC")})
	}
	return c.T("transfer.summary.confirm_hint", map[string]any{"minutes": int(t.cfg.ConfirmTTL.Minutes())})
}

// sourceKeyboard has one button per source of funds.
func sourceKeyboard(c *kernel.Ctx) *kernel.Keyboard {
	return choiceKeyboard(c, "transfer.source", "source", sources)
}

// pickSource takes the source of funds and shows the summary.
func (t *Transfer) pickSource(c *kernel.Ctx) error {
	if !c.InFlow("withdraw", "source") || len(c.Args()) != 1 || !slices.Contains(sources, c.Args()[0]) {
		return kernel.ErrStaleCallback
	}
	mv := loadMovement(c)
	mv.Source = c.Args()[0]
	saveMovement(c, mv)
	if err := c.Next("confirm"); err != nil {
		return err
	}
	return t.withdrawSummary(c, mv, true)
}

// withdrawSummary shows what Confirm will withdraw.
func (t *Transfer) withdrawSummary(c *kernel.Ctx, mv movement, edit bool) error {
	if quoteExpired(c) {
		return t.sayQuoteExpired(c)
	}
	id := arm(c)
	var p copperx.QuotePayload
	_ = json.Unmarshal([]byte(mv.QuotePayload), &p)
	lines := append([]string{c.T("transfer.summary.title_bank", nil), ""}, t.quoteLines(c, mv)...)
	lines = append(lines,
		c.T("transfer.summary.purpose", map[string]any{"purpose": c.T("transfer.purpose."+mv.Purpose, nil)}),
		c.T("transfer.summary.source", map[string]any{"source": c.T("transfer.source."+mv.Source, nil)}))
	if bal, err := decimal.NewFromString(c.FlowData("bal")); err == nil {
		after := bal.Sub(mv.Amount).Sub(p.TotalFee)
		lines = append(lines, c.T("transfer.summary.balance_after", map[string]any{"balance": formatAmount(after, c.Lang), "currency": t.cfg.Currency}))
	}
	lines = append(lines, "", t.withdrawConfirmHint(c))
	text := strings.Join(lines, "\n")
	var err error
	if edit {
		_, err = c.Show(text, confirmKeyboard(c, id))
	} else {
		_, err = c.Send(text, confirmKeyboard(c, id))
	}
	return err
}
