package transfer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/plugins/internal/money"
)

// The send flow, in the order a user meets it: who receives the money
// (an email, a wallet address or a saved payee), how much (from which
// wallet), what for, then the summary whose Confirm submits it exactly once
// (confirm.go). The wallet that pays can be changed at the address, the
// amount and the summary (steps wallet and switch, payfrom.go) without
// leaving the send.
func (t *Transfer) sendFlow() kernel.Flow[movement] {
	return kernel.Flow[movement]{Version: 4, Late: t.late, Steps: append([]kernel.Step[movement]{
		{Name: "kind", Ask: t.askKind, Text: t.typedRecipient, Tap: kernel.Taps[movement]{"kind": t.takeKind}},
		{Name: "recipient", Ask: t.askRecipient, Text: t.takeRecipient, Tap: kernel.Taps[movement]{"wallet": t.changeWallet("recipient")}},
		{Name: "payee", Ask: t.askPayee, Tap: kernel.Taps[movement]{"pick": t.takePayee}},
		{Name: "amount", Ask: t.askSendAmount, Text: t.takeSendAmount,
			Tap: kernel.Taps[movement]{"payfrom": t.payFrom, "wallet": t.changeWallet("amount")}},
		{Name: "purpose", Ask: t.askPurpose, Tap: kernel.Taps[movement]{"purpose": t.takePurpose}},
		{Name: "retype", Ask: t.askRetype, Text: t.takeRetype},
		{Name: "confirm", Ask: t.sendSummary, Tap: kernel.Taps[movement]{"confirm": t.confirm, "wallet": t.changeWallet("confirm"),
			"purpose": t.changePurpose}},
	}, t.payingSteps()...)}
}

// purposes are the API's purpose codes, in button order (self is the default).
var purposes = []string{"self", "salary", "gift", "income", "saving", "education_support", "family", "home_improvement", "reimbursement"}

// askKind asks who receives the money (after why, when a one-line send's
// recipient did not do).
func (t *Transfer) askKind(c *kernel.Ctx, mv *movement) error {
	_, err := c.Prompt(withNote(mv, c.T("transfer.send.choose_kind", nil)), kindKeyboard(c, true))
	return err
}

// kindKeyboard offers the recipient kinds.
func kindKeyboard(c *kernel.Ctx, withPayee bool) *kernel.Keyboard {
	kb := kernel.NewKeyboard().Row(c.Tap("transfer.button.email", "kind", kindEmail), c.Tap("transfer.button.wallet", "kind", kindWallet))
	if withPayee {
		kb.Row(c.Tap("transfer.button.payee", "kind", kindPayee))
	}
	return kb.Row(c.CancelButton())
}

// takeKind takes the recipient kind. A send to a wallet address is paid
// from the default wallet, so its network decides the address format; a
// saved payee needs saved payees.
func (t *Transfer) takeKind(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if len(c.Args()) != 1 {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	switch kind := c.Args()[0]; kind {
	case kindEmail:
		*mv = mv.restart(kindEmail)
		return kernel.Next("recipient"), nil
	case kindWallet:
		w, err := t.api.DefaultWallet(c, token(c))
		if err != nil {
			return kernel.Stay, fmt.Errorf("default wallet: %w", err)
		}
		*mv = mv.restart(kindWallet)
		mv.Network = w.Network
		return kernel.Next("recipient"), nil
	case kindPayee:
		page, err := t.api.Payees(c, token(c), 1, t.cfg.PayeesShown, "")
		if err != nil {
			return kernel.Stay, fmt.Errorf("list payees: %w", err)
		}
		if len(page.Data) == 0 {
			_, err := c.Prompt(c.T("transfer.send.no_payees", nil), kindKeyboard(c, false))
			return kernel.Stay, err
		}
		*mv = mv.restart(kindPayee)
		for _, p := range page.Data {
			mv.Choices = append(mv.Choices, choice{ID: p.ID, Label: payeeLabel(p)})
		}
		return kernel.Next("payee"), nil
	}
	return kernel.Stay, kernel.ErrStaleCallback
}

// typedRecipient takes a recipient typed where the kinds are offered, as a
// one-line send's is taken: someone who types bob@example.com after /send
// means it. An email or a wallet address goes on to the amount (or, when
// the amount is known, past it), a payee's nickname to that payee; what
// is refused is asked again, saying why.
func (t *Transfer) typedRecipient(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	step, note, err := t.resolveRecipient(c, mv, strings.TrimSpace(c.Text()))
	switch {
	case err != nil:
		return kernel.Stay, err
	case step == "" && mv.Amount.IsPositive():
		return t.recheckAmount(c, mv)
	case step == "":
		return kernel.Next("amount"), nil
	}
	mv.Note = note
	return kernel.Next(step), nil
}

// askRecipient asks for the email, or for the wallet address on the
// network of the default wallet (which can be changed first, without
// leaving the send).
func (t *Transfer) askRecipient(c *kernel.Ctx, mv *movement) error {
	kb := kernel.NewKeyboard()
	text := c.T("transfer.send.ask_email", nil)
	if mv.Kind == kindWallet {
		n, _ := t.nets.Lookup(mv.Network)
		text = c.T("transfer.send.ask_address", map[string]any{"network": n.Name, "format": formatHint(c, n.Format)})
		kb.Row(c.Tap("transfer.button.change_wallet", "wallet"))
	}
	_, err := c.Prompt(withNote(mv, text), kb.Row(c.CancelButton()))
	return err
}

// withNote puts the movement's note (why a question is asked again) before
// text, once.
func withNote(mv *movement, text string) string {
	if mv.Note == "" {
		return text
	}
	text, mv.Note = mv.Note+"\n\n"+text, ""
	return text
}

// takeRecipient checks the typed email or address.
func (t *Transfer) takeRecipient(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	switch mv.Kind {
	case kindEmail:
		// Only ASCII blanks around it are dropped; any other invisible
		// character makes validEmail refuse the address.
		email, ok := validEmail(strings.Trim(c.Text(), " \t\r\n"))
		if !ok {
			return kernel.Stay, kernel.Fail("transfer.send.bad_email", nil)
		}
		if p := c.Principal(); p != nil && strings.EqualFold(p.Email, email) {
			return kernel.Stay, kernel.Fail("transfer.send.self", nil)
		}
		mv.To = email
	case kindWallet:
		in := strings.TrimSpace(c.Text())
		n, _ := t.nets.Lookup(mv.Network)
		switch err := money.ValidateAddress(n.Format, in); {
		case errors.Is(err, money.ErrAddressChecksum):
			return kernel.Stay, kernel.Fail("transfer.address.bad_checksum", nil)
		case err != nil:
			return kernel.Stay, kernel.Fail("transfer.address.bad", map[string]any{"network": n.Name, "format": formatHint(c, n.Format)})
		}
		if money.ZeroAddress(n.Format, in) {
			return kernel.Stay, kernel.Fail("transfer.address.burn", nil)
		}
		mine, err := t.ownAddress(c, in)
		if err != nil {
			return kernel.Stay, err
		}
		if mine {
			return kernel.Stay, kernel.Fail("transfer.address.own", nil)
		}
		mv.To = in
	}
	if mv.Amount.IsPositive() {
		// The address was asked again after a change of wallet: the amount
		// typed before is kept.
		return t.recheckAmount(c, mv)
	}
	return kernel.Next("amount"), nil
}

// recheckAmount checks the amount kept through a change of wallet, from a
// step other than the amount's: when it no longer goes (the new wallet is
// short), the amount question is asked again saying why.
func (t *Transfer) recheckAmount(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	m, err := t.checkSendAmount(c, mv, mv.Amount)
	var ue *kernel.UserError
	if errors.As(err, &ue) {
		mv.Note = c.T(ue.Key, ue.Data)
		return kernel.Next("amount"), nil
	}
	return m, err
}

// formatHint describes an address format.
func formatHint(c *kernel.Ctx, format string) string {
	switch format {
	case copperx.FormatEVM:
		return c.T("transfer.address.format_evm", nil)
	case copperx.FormatSolana:
		return c.T("transfer.address.format_solana", nil)
	case copperx.FormatStarknet:
		return c.T("transfer.address.format_starknet", nil)
	}
	return c.T("transfer.address.format_unknown", nil)
}

// validEmail accepts a recipient address the API takes and the user can
// see in full (copperx.CheckEmail: printable ASCII only, so an invisible or
// look-alike character is refused, never stripped); it returns it with the
// domain lower-cased.
func validEmail(s string) (string, bool) {
	email, err := copperx.CheckEmail(s)
	return email, err == nil
}

// ownAddress reports whether addr is one of the user's own wallets
// (compared case-insensitively with the addresses from GET /api/wallets).
func (t *Transfer) ownAddress(c *kernel.Ctx, addr string) (bool, error) {
	ws, err := t.api.Wallets(c, token(c))
	if err != nil {
		return false, fmt.Errorf("wallets: %w", err)
	}
	for _, w := range ws {
		if w.WalletAddress != "" && strings.EqualFold(w.WalletAddress, addr) {
			return true, nil
		}
	}
	return false, nil
}

// askPayee offers the saved payees.
func (t *Transfer) askPayee(c *kernel.Ctx, mv *movement) error {
	kb := kernel.NewKeyboard()
	for i, p := range mv.Choices {
		kb.Row(c.TapText(p.Label, "pick", strconv.Itoa(i)))
	}
	text := c.T("transfer.send.choose_payee", nil)
	if mv.Note != "" { // a one-line send's "did you mean…" says it all
		text, mv.Note = mv.Note, ""
	}
	_, err := c.Prompt(text, kb.Row(c.CancelButton()))
	return err
}

// payeeLabel is a payee's button: nickname and email.
func payeeLabel(p copperx.Payee) string {
	name := p.NickName
	if name == "" {
		name = p.DisplayName
	}
	if name == "" {
		return p.Email
	}
	return name + " · " + p.Email
}

// takePayee takes the chosen payee, as CopperX has it now.
func (t *Transfer) takePayee(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	picked, ok := pick(c, mv.Choices)
	if !ok {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	p, err := t.api.Payee(c, token(c), picked.ID)
	if errors.Is(err, copperx.ErrNotFound) {
		c.Answer(c.T("transfer.send.payee_gone", nil), true)
		return kernel.Next("kind"), nil
	}
	if err != nil {
		return kernel.Stay, fmt.Errorf("payee: %w", err)
	}
	if p.Email != "" {
		email, ok := validEmail(p.Email)
		if !ok {
			// An address with invisible or look-alike characters would show
			// as someone it is not: refuse it rather than clean it up.
			c.Log.Info("payee email refused", "payee", p.ID)
			c.Answer(c.T("transfer.send.bad_payee_short", nil), false)
			_, err := c.Say("transfer.send.bad_payee", nil, nil)
			return kernel.Stay, err
		}
		p.Email = email
	}
	name := p.NickName
	if name == "" {
		name = p.DisplayName
	}
	*mv = mv.restart(kindPayee)
	mv.PayeeID, mv.PayeeName, mv.To = p.ID, name, p.Email
	if mv.Amount.IsPositive() {
		// A one-line send's amount: checked now, asked again only if it
		// does not go.
		return t.recheckAmount(c, mv)
	}
	return kernel.Next("amount"), nil
}

// pick is the choice a tap's index argument names, if it was offered.
func pick(c *kernel.Ctx, choices []choice) (choice, bool) {
	i, ok := index(c, len(choices))
	if !ok {
		return choice{}, false
	}
	return choices[i], true
}

// askSendAmount asks how much to send, with the limits and the wallet that
// pays with its balance; after a shortfall, the wallets that hold enough.
func (t *Transfer) askSendAmount(c *kernel.Ctx, mv *movement) error {
	ws, err := t.wallets(c)
	if err != nil {
		return err
	}
	text := c.T("transfer.amount.prompt", map[string]any{
		"min": c.FormatAmount(t.cfg.sendMin), "max": c.FormatAmount(t.cfg.sendMax),
		"currency": t.cfg.Currency, "example": c.FormatAmount(exampleAmount),
	})
	if mv.Request != "" {
		text = c.T("transfer.request.amount_prompt", map[string]any{"amount": c.FormatAmount(mv.Amount), "currency": t.cfg.Currency})
	} else {
		// The recipient was typed or picked steps ago (or on another
		// screen, for a payee's Send): name it where the amount is asked.
		text = c.T("transfer.summary.to", map[string]any{"to": t.recipientLabel(mv)}) + "\n" + text
	}
	if w, ok := paying(ws); ok {
		text += "\n" + t.payingLine(c, w)
	}
	kb := kernel.NewKeyboard()
	t.walletButtons(c, mv, ws, kb)
	_, err = c.Prompt(withNote(mv, text), kb.Row(c.CancelButton()))
	return err
}

var (
	exampleAmount = decimal.RequireFromString("1250.5")
	smallAmount   = decimal.RequireFromString("0.5")
)

// takeSendAmount takes the amount typed.
func (t *Transfer) takeSendAmount(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	d, err := t.parseAmount(c)
	if err != nil {
		return kernel.Stay, err
	}
	if mv.Request != "" && !d.Equal(mv.Amount) {
		// A payment request is paid in full.
		return kernel.Stay, kernel.Fail("transfer.request.amount_fixed", map[string]any{"amount": c.FormatAmount(mv.Amount), "currency": t.cfg.Currency})
	}
	return t.checkSendAmount(c, mv, d)
}

// checkSendAmount is sendAmountStep for a step of the flow: the step it
// leads to, or Stay with its refusal.
func (t *Transfer) checkSendAmount(c *kernel.Ctx, mv *movement, d decimal.Decimal) (kernel.Move, error) {
	step, err := t.sendAmountStep(c, mv, d)
	if err != nil || step == "" {
		return kernel.Stay, err
	}
	return kernel.Next(step), nil
}

// sendAmountStep checks an amount against the limits, the daily limit
// (limits.go) and the paying wallet's balance with the estimated fee, and
// names the step it leads to: the purpose, or, when the purpose is known,
// the summary (after the amount typed again, for a large one). When the
// paying wallet is short but another holds enough, the amount is kept and
// the step is "amount" again, offering to pay from that one. A refusal is
// a kernel.Fail error (and "").
func (t *Transfer) sendAmountStep(c *kernel.Ctx, mv *movement, d decimal.Decimal) (string, error) {
	limits := map[string]any{"min": c.FormatAmount(t.cfg.sendMin), "max": c.FormatAmount(t.cfg.sendMax), "currency": t.cfg.Currency}
	if d.LessThan(t.cfg.sendMin) {
		return "", kernel.Fail("transfer.amount.below_min", limits)
	}
	if d.GreaterThan(t.cfg.sendMax) {
		return "", kernel.Fail("transfer.amount.above_max", limits)
	}
	if err := t.checkDailyLimit(c, d); err != nil {
		return "", err
	}
	ws, err := t.wallets(c)
	if err != nil {
		return "", err
	}
	est := t.estimateFee(c, mv)
	need := d
	if est != nil {
		need = d.Add(est.fee(d))
	}
	w, ok := paying(ws)
	if ok && w.Known && need.GreaterThan(w.Balance) {
		data := map[string]any{"balance": c.FormatAmount(w.Balance), "need": c.FormatAmount(need), "currency": t.cfg.Currency,
			"network": t.networkName(w.Network)}
		key := "transfer.amount.insufficient"
		if !need.Equal(d) {
			key = "transfer.amount.insufficient_estimate"
		}
		if t.offerOthers(c, mv, ws, need, c.T(key+"_other", data)) {
			mv.Amount = d // kept for "Pay from your … wallet"
			return "amount", nil
		}
		return "", kernel.Fail(key, data)
	}
	mv.Amount, mv.Balance, mv.FeeEstimate, mv.Offers, mv.PayingNetwork = d, nil, est, nil, w.Network
	if ok && w.Known {
		mv.Balance = &w.Balance
	}
	if mv.Purpose != "" {
		return t.summaryStep(mv), nil
	}
	return "purpose", nil
}

// parseAmount parses the typed amount the user's way, refusing it with a
// localized reason.
func (t *Transfer) parseAmount(c *kernel.Ctx) (decimal.Decimal, error) {
	return t.amountOf(c, c.Text())
}

// amountOf reads an amount the user's way (money.ParseAmount), refusing
// it with a localized reason (transfer.amount.<reason>).
func (t *Transfer) amountOf(c *kernel.Ctx, text string) (decimal.Decimal, error) {
	d, err := money.ParseAmount(text, c.Format(), t.cfg.Decimals, t.cfg.Currency, t.cfg.maxAmount)
	var ae *money.AmountError
	if errors.As(err, &ae) {
		return d, kernel.Fail("transfer.amount."+ae.Reason, map[string]any{
			"decimals": min(t.cfg.Decimals, money.APIDecimals), "max": c.FormatAmount(t.cfg.maxAmount), "currency": t.cfg.Currency,
			"example": c.FormatAmount(exampleAmount), "small": c.FormatAmount(smallAmount),
		})
	}
	return d, err
}

// askPurpose asks what the money is for (sends and withdrawals).
func (t *Transfer) askPurpose(c *kernel.Ctx, _ *movement) error {
	_, err := c.Prompt(c.T("transfer.purpose.ask", nil), choiceKeyboard(c, "transfer.purpose", "purpose", purposes))
	return err
}

// choiceKeyboard has one button of the step's tap per code (labelled by
// "<prefix>.<code>"), two per row, and Cancel.
func choiceKeyboard(c *kernel.Ctx, prefix, tap string, codes []string) *kernel.Keyboard {
	buttons := make([]kernel.Button, 0, len(codes))
	for _, code := range codes {
		buttons = append(buttons, c.Tap(prefix+"."+code, tap, code))
	}
	return kernel.NewKeyboard().Grid(2, buttons...).Row(c.CancelButton())
}

// takePurpose takes the purpose: a send goes to its summary, a withdrawal
// asks for the source of funds.
func (t *Transfer) takePurpose(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if len(c.Args()) != 1 || !slices.Contains(purposes, c.Args()[0]) {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	mv.Purpose, mv.PurposeDefault = c.Args()[0], false
	if mv.Kind == kindBank {
		return kernel.Next("source"), nil
	}
	return kernel.Next(t.summaryStep(mv)), nil
}

// changePurpose is the summary's "Change purpose" (a purpose that was
// config's default): the purposes, then the summary again.
func (t *Transfer) changePurpose(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	return kernel.Next("purpose"), nil
}

// sendSummary shows what Confirm will send, with a fresh confirmation id.
func (t *Transfer) sendSummary(c *kernel.Ctx, mv *movement) error {
	mv.Confirmation = confirmation{ID: newConfirmID(), ShownAt: c.Now()}
	cur := t.cfg.Currency
	lines := []string{
		c.T("transfer.summary.title", nil),
		"",
		c.T("transfer.summary.to", map[string]any{"to": t.recipientLabel(mv)}),
		c.T("transfer.summary.amount", map[string]any{"amount": c.FormatAmount(mv.Amount), "currency": cur}),
	}
	if mv.Kind == kindWallet {
		n, _ := t.nets.Lookup(mv.Network)
		lines = append(lines, c.T("transfer.summary.network", map[string]any{"network": n.Name}))
	}
	if mv.Request != "" {
		lines = append(lines, requestLine(c, mv.RequestNote))
	}
	lines = append(lines, c.T("transfer.summary.purpose", map[string]any{"purpose": c.T("transfer.purpose."+mv.Purpose, nil)}))
	lines = append(lines, t.summaryPaying(c, mv)...)
	// CopperX previews no send's fee: an estimate from recent transfers, or
	// plainly none.
	lines = append(lines, t.feeLines(c, mv)...)
	lines = append(lines, "", t.confirmHint(c, mv))
	kb := kernel.NewKeyboard().Row(c.Tap("transfer.button.confirm", "confirm", mv.Confirmation.ID), c.CancelButton())
	if mv.PurposeDefault {
		kb.Row(c.Tap("transfer.button.change_purpose", "purpose"))
	}
	kb.Row(c.Tap("transfer.button.change_wallet", "wallet"))
	_, err := c.Prompt(withNote(mv, strings.Join(lines, "\n")), kb)
	return err
}

// summaryPaying is a summary's line naming the wallet that pays and its
// balance when the amount was checked.
func (t *Transfer) summaryPaying(c *kernel.Ctx, mv *movement) []string {
	if mv.PayingNetwork == "" {
		return nil
	}
	w := walletChoice{Network: mv.PayingNetwork}
	if mv.Balance != nil {
		w.Balance, w.Known = *mv.Balance, true
	}
	return []string{t.payingLine(c, w)}
}
