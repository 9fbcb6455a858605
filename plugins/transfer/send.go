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
)

// The send flow, in the order a user meets it: who receives the money
// (an email, a wallet address or a saved payee), how much, what for, then
// the summary whose Confirm submits it exactly once (confirm.go).
func (t *Transfer) sendFlow() kernel.Flow[movement] {
	return kernel.Flow[movement]{Version: 2, Late: t.late, Steps: []kernel.Step[movement]{
		{Name: "kind", Ask: t.askKind, Tap: kernel.Taps[movement]{"kind": t.takeKind}},
		{Name: "recipient", Ask: t.askRecipient, Text: t.takeRecipient},
		{Name: "payee", Ask: t.askPayee, Tap: kernel.Taps[movement]{"pick": t.takePayee}},
		{Name: "amount", Ask: t.askSendAmount, Text: t.takeSendAmount},
		{Name: "purpose", Ask: t.askPurpose, Tap: kernel.Taps[movement]{"purpose": t.takePurpose}},
		{Name: "confirm", Ask: t.sendSummary, Tap: kernel.Taps[movement]{"confirm": t.confirm}},
	}}
}

// purposes are the API's purpose codes, in button order (self is the default).
var purposes = []string{"self", "salary", "gift", "income", "saving", "education_support", "family", "home_improvement", "reimbursement"}

// startSend starts /send.
func (t *Transfer) startSend(c *kernel.Ctx) error { return c.StartFlow("send", movement{}) }

// askKind asks who receives the money.
func (t *Transfer) askKind(c *kernel.Ctx, _ *movement) error {
	_, err := c.Prompt(c.T("transfer.send.choose_kind", nil), kindKeyboard(c, true))
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
		*mv = movement{Kind: kindEmail}
		return kernel.Next("recipient"), nil
	case kindWallet:
		w, err := t.api.DefaultWallet(c, token(c))
		if err != nil {
			return kernel.Stay, fmt.Errorf("default wallet: %w", err)
		}
		*mv = movement{Kind: kindWallet, Network: w.Network}
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
		*mv = movement{Kind: kindPayee}
		for _, p := range page.Data {
			mv.Choices = append(mv.Choices, choice{ID: p.ID, Label: payeeLabel(p)})
		}
		return kernel.Next("payee"), nil
	}
	return kernel.Stay, kernel.ErrStaleCallback
}

// askRecipient asks for the email, or for the wallet address on the
// network of the default wallet (which can be changed first).
func (t *Transfer) askRecipient(c *kernel.Ctx, mv *movement) error {
	kb := kernel.NewKeyboard()
	text := c.T("transfer.send.ask_email", nil)
	if mv.Kind == kindWallet {
		n, _ := t.nets.Lookup(mv.Network)
		text = c.T("transfer.send.ask_address", map[string]any{"network": n.Name, "format": formatHint(c, n.Format)})
		if b, ok := c.ActionButton("transfer.button.change_wallet", "wallet.wallets"); ok {
			kb.Row(b)
		}
	}
	_, err := c.Prompt(text, kb.Row(c.CancelButton()))
	return err
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
		switch err := ValidateAddress(n.Format, in); {
		case errors.Is(err, ErrAddressChecksum):
			return kernel.Stay, kernel.Fail("transfer.address.bad_checksum", nil)
		case err != nil:
			return kernel.Stay, kernel.Fail("transfer.address.bad", map[string]any{"network": n.Name, "format": formatHint(c, n.Format)})
		}
		if zeroAddress(n.Format, in) {
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
	return kernel.Next("amount"), nil
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
	_, err := c.Prompt(c.T("transfer.send.choose_payee", nil), kb.Row(c.CancelButton()))
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
	*mv = movement{Kind: kindPayee, PayeeID: p.ID, PayeeName: name, To: p.Email}
	return kernel.Next("amount"), nil
}

// pick is the choice a tap's index argument names, if it was offered.
func pick(c *kernel.Ctx, choices []choice) (choice, bool) {
	if len(c.Args()) != 1 {
		return choice{}, false
	}
	i, err := strconv.Atoi(c.Args()[0])
	if err != nil || i < 0 || i >= len(choices) || strconv.Itoa(i) != c.Args()[0] {
		return choice{}, false
	}
	return choices[i], true
}

// askSendAmount asks how much to send, with the limits and the balance.
func (t *Transfer) askSendAmount(c *kernel.Ctx, _ *movement) error {
	bal, ok, err := t.balance(c)
	if err != nil {
		return err
	}
	text := c.T("transfer.amount.prompt", map[string]any{
		"min": c.FormatAmount(t.cfg.sendMin), "max": c.FormatAmount(t.cfg.sendMax),
		"currency": t.cfg.Currency, "example": c.FormatAmount(exampleAmount),
	})
	if ok {
		text += "\n" + c.T("transfer.amount.balance", map[string]any{"balance": c.FormatAmount(bal), "currency": t.cfg.Currency})
	}
	_, err = c.Prompt(text, kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

var (
	exampleAmount = decimal.RequireFromString("1250.5")
	smallAmount   = decimal.RequireFromString("0.5")
)

// takeSendAmount checks the amount against the limits and the balance.
func (t *Transfer) takeSendAmount(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	d, err := t.parseAmount(c)
	if err != nil {
		return kernel.Stay, err
	}
	limits := map[string]any{"min": c.FormatAmount(t.cfg.sendMin), "max": c.FormatAmount(t.cfg.sendMax), "currency": t.cfg.Currency}
	if d.LessThan(t.cfg.sendMin) {
		return kernel.Stay, kernel.Fail("transfer.amount.below_min", limits)
	}
	if d.GreaterThan(t.cfg.sendMax) {
		return kernel.Stay, kernel.Fail("transfer.amount.above_max", limits)
	}
	bal, ok, err := t.balance(c)
	if err != nil {
		return kernel.Stay, err
	}
	if ok && d.GreaterThan(bal) {
		return kernel.Stay, kernel.Fail("transfer.amount.insufficient", map[string]any{"balance": c.FormatAmount(bal), "currency": t.cfg.Currency})
	}
	mv.Amount, mv.Balance = d, nil
	if ok {
		mv.Balance = &bal
	}
	return kernel.Next("purpose"), nil
}

// balance is the default wallet's balance of the currency; ok is false when
// the API did not give a readable one.
func (t *Transfer) balance(c *kernel.Ctx) (decimal.Decimal, bool, error) {
	all, err := t.api.Balances(c, token(c))
	if err != nil {
		return decimal.Zero, false, fmt.Errorf("balances: %w", err)
	}
	for _, w := range all {
		if !w.IsDefault {
			continue
		}
		for _, b := range w.Balances {
			if strings.EqualFold(b.Symbol, t.cfg.Currency) {
				return b.Amount, b.Valid, nil
			}
		}
		return decimal.Zero, true, nil // the default wallet holds none
	}
	return decimal.Zero, false, nil
}

// parseAmount parses the typed amount the user's way, refusing it with a
// localized reason.
func (t *Transfer) parseAmount(c *kernel.Ctx) (decimal.Decimal, error) {
	d, err := ParseAmount(c.Text(), c.Format(), t.cfg.Decimals, t.cfg.Currency, t.cfg.maxAmount)
	var ae *AmountError
	if errors.As(err, &ae) {
		return d, kernel.Fail("transfer.amount."+ae.Reason, map[string]any{
			"decimals": min(t.cfg.Decimals, apiDecimals), "max": c.FormatAmount(t.cfg.maxAmount), "currency": t.cfg.Currency,
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
	mv.Purpose = c.Args()[0]
	if mv.Kind == kindBank {
		return kernel.Next("source"), nil
	}
	return kernel.Next("confirm"), nil
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
	lines = append(lines, c.T("transfer.summary.purpose", map[string]any{"purpose": c.T("transfer.purpose."+mv.Purpose, nil)}))
	if mv.Balance != nil {
		// The fee is only known from the submit's answer: say so rather than
		// show a balance the send will not leave.
		lines = append(lines, c.T("transfer.summary.balance_after_send", map[string]any{"balance": c.FormatAmount(mv.Balance.Sub(mv.Amount)), "currency": cur}))
	}
	lines = append(lines, "", c.T("transfer.summary.fee_note", nil), t.confirmHint(c, mv))
	kb := kernel.NewKeyboard().Row(c.Tap("transfer.button.confirm", "confirm", mv.Confirmation.ID), c.CancelButton())
	if mv.Kind == kindWallet {
		if b, ok := c.ActionButton("transfer.button.change_wallet", "wallet.wallets"); ok {
			kb.Row(b)
		}
	}
	_, err := c.Prompt(strings.Join(lines, "\n"), kb)
	return err
}
