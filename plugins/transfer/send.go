package transfer

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// purposes are the API's purpose codes, in button order (self is the default).
var purposes = []string{"self", "salary", "gift", "income", "saving", "education_support", "family", "home_improvement", "reimbursement"}

// startSend starts /send: who receives the money?
func (t *Transfer) startSend(c *kernel.Ctx) error {
	if err := c.StartFlow("send", "kind"); err != nil {
		return err
	}
	_, err := c.Say("transfer.send.choose_kind", nil, kindKeyboard(c, true))
	return err
}

// kindKeyboard offers the recipient kinds.
func kindKeyboard(c *kernel.Ctx, withPayee bool) *kernel.Keyboard {
	kb := kernel.NewKeyboard().Row(c.Button("transfer.button.email", "kind", kindEmail), c.Button("transfer.button.wallet", "kind", kindWallet))
	if withPayee {
		kb.Row(c.Button("transfer.button.payee", "kind", kindPayee))
	}
	return kb.Row(cancelButton(c))
}

// sendKind takes the recipient kind and asks for the recipient.
func (t *Transfer) sendKind(c *kernel.Ctx) error {
	if !c.InFlow("send", "kind") || len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	cancel := kernel.NewKeyboard().Row(cancelButton(c))
	switch c.Args()[0] {
	case kindEmail:
		saveMovement(c, movement{Kind: kindEmail})
		if err := c.Next("recipient"); err != nil {
			return err
		}
		_, err := c.Show(c.T("transfer.send.ask_email", nil), cancel)
		return err
	case kindWallet:
		w, err := t.api.DefaultWallet(c, token(c))
		if err != nil {
			return fmt.Errorf("default wallet: %w", err)
		}
		n, _ := t.nets.Lookup(w.Network)
		saveMovement(c, movement{Kind: kindWallet, Network: w.Network})
		if err := c.Next("recipient"); err != nil {
			return err
		}
		kb := kernel.NewKeyboard().Row(kernel.Button{Text: c.T("transfer.button.change_wallet", nil), Data: "kernel:run:wallets"}).Row(cancelButton(c))
		_, err = c.Show(c.T("transfer.send.ask_address", map[string]any{"network": n.Name, "format": formatHint(c, n.Format)}), kb)
		return err
	case kindPayee:
		page, err := t.api.Payees(c, token(c), 1, t.cfg.PayeesShown, "")
		if err != nil {
			return fmt.Errorf("list payees: %w", err)
		}
		if len(page.Data) == 0 {
			_, err := c.Show(c.T("transfer.send.no_payees", nil), kindKeyboard(c, false))
			return err
		}
		kb := kernel.NewKeyboard()
		for _, p := range page.Data {
			d, err := kernel.CallbackData("transfer", "payee", p.ID)
			if err != nil {
				continue
			}
			kb.Row(kernel.Button{Text: payeeLabel(p), Data: d})
		}
		if err := c.Next("payee"); err != nil {
			return err
		}
		_, err = c.Show(c.T("transfer.send.choose_payee", nil), kb.Row(cancelButton(c)))
		return err
	}
	return kernel.ErrStaleCallback
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

// sendRecipient checks the typed email or address and asks for the amount.
func (t *Transfer) sendRecipient(c *kernel.Ctx) error {
	mv := loadMovement(c)
	in := strings.TrimSpace(c.Text())
	switch mv.Kind {
	case kindEmail:
		// Only ASCII blanks around it are dropped; any other invisible
		// character makes validEmail refuse the address.
		email, ok := validEmail(strings.Trim(c.Text(), " \t\r\n"))
		if !ok {
			return kernel.Fail("transfer.send.bad_email", nil)
		}
		if p := c.Principal(); p != nil && strings.EqualFold(p.Email, email) {
			return kernel.Fail("transfer.send.self", nil)
		}
		mv.To = email
	case kindWallet:
		n, _ := t.nets.Lookup(mv.Network)
		switch err := ValidateAddress(n.Format, in); {
		case errors.Is(err, ErrAddressChecksum):
			return kernel.Fail("transfer.address.bad_checksum", nil)
		case err != nil:
			return kernel.Fail("transfer.address.bad", map[string]any{"network": n.Name, "format": formatHint(c, n.Format)})
		}
		if zeroAddress(n.Format, in) {
			return kernel.Fail("transfer.address.burn", nil)
		}
		if own, err := t.ownAddress(c, in); err != nil {
			return err
		} else if own {
			return kernel.Fail("transfer.address.own", nil)
		}
		mv.To = in
	default:
		return kernel.ErrStaleCallback
	}
	saveMovement(c, mv)
	if err := c.Next("amount"); err != nil {
		return err
	}
	return t.askAmount(c)
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

// sendPayee takes the chosen payee and asks for the amount.
func (t *Transfer) sendPayee(c *kernel.Ctx) error {
	if !c.InFlow("send", "payee") || len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	p, err := t.api.Payee(c, token(c), c.Args()[0])
	if errors.Is(err, copperx.ErrNotFound) {
		return kernel.ErrStaleCallback
	}
	if err != nil {
		return fmt.Errorf("payee: %w", err)
	}
	if p.Email != "" {
		email, ok := validEmail(p.Email)
		if !ok {
			// An address with invisible or look-alike characters would show
			// as someone it is not: refuse it rather than clean it up.
			c.Log.Info("payee email refused", "payee", p.ID)
			c.Answer(c.T("transfer.send.bad_payee_short", nil), false)
			_, err := c.Say("transfer.send.bad_payee", nil, nil)
			return err
		}
		p.Email = email
	}
	name := p.NickName
	if name == "" {
		name = p.DisplayName
	}
	saveMovement(c, movement{Kind: kindPayee, PayeeID: p.ID, PayeeName: name, To: p.Email})
	if err := c.Next("amount"); err != nil {
		return err
	}
	_ = c.RemoveButtons(c.MessageID())
	return t.askAmount(c)
}

// askAmount asks how much to send, with the limits and the balance.
func (t *Transfer) askAmount(c *kernel.Ctx) error {
	bal, ok, err := t.balance(c)
	if err != nil {
		return err
	}
	data := map[string]any{
		"min": formatAmount(t.cfg.sendMin, c.Lang), "max": formatAmount(t.cfg.sendMax, c.Lang),
		"currency": t.cfg.Currency, "example": formatAmount(decimal.RequireFromString("1250.5"), c.Lang),
	}
	text := c.T("transfer.amount.prompt", data)
	if ok {
		text += "\n" + c.T("transfer.amount.balance", map[string]any{"balance": formatAmount(bal, c.Lang), "currency": t.cfg.Currency})
	}
	_, err = c.Send(text, kernel.NewKeyboard().Row(cancelButton(c)))
	return err
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

// parseAmount parses the typed amount, refusing it with a localized reason.
func (t *Transfer) parseAmount(c *kernel.Ctx) (decimal.Decimal, error) {
	d, err := ParseAmount(c.Text(), c.Lang, t.cfg.Decimals, t.cfg.Currency, t.cfg.maxAmount)
	var ae *AmountError
	if errors.As(err, &ae) {
		return d, kernel.Fail("transfer.amount."+ae.Reason, map[string]any{
			"decimals": min(t.cfg.Decimals, apiDecimals), "max": formatAmount(t.cfg.maxAmount, c.Lang), "currency": t.cfg.Currency,
			"example": formatAmount(decimal.RequireFromString("1250.5"), c.Lang),
			"small":   formatAmount(decimal.RequireFromString("0.5"), c.Lang),
		})
	}
	return d, err
}

// sendAmount checks the amount against the limits and the balance, then
// asks for the purpose.
func (t *Transfer) sendAmount(c *kernel.Ctx) error {
	d, err := t.parseAmount(c)
	if err != nil {
		return err
	}
	limits := map[string]any{"min": formatAmount(t.cfg.sendMin, c.Lang), "max": formatAmount(t.cfg.sendMax, c.Lang), "currency": t.cfg.Currency}
	if d.LessThan(t.cfg.sendMin) {
		return kernel.Fail("transfer.amount.below_min", limits)
	}
	if d.GreaterThan(t.cfg.sendMax) {
		return kernel.Fail("transfer.amount.above_max", limits)
	}
	bal, ok, err := t.balance(c)
	if err != nil {
		return err
	}
	if ok && d.GreaterThan(bal) {
		return kernel.Fail("transfer.amount.insufficient", map[string]any{"balance": formatAmount(bal, c.Lang), "currency": t.cfg.Currency})
	}
	mv := loadMovement(c)
	mv.Amount = d
	saveMovement(c, mv)
	if ok {
		c.SetFlowData("bal", bal.String())
	}
	if err := c.Next("purpose"); err != nil {
		return err
	}
	_, err = c.Say("transfer.purpose.ask", nil, purposeKeyboard(c))
	return err
}

// choiceKeyboard has one button per code (labelled by "<prefix>.<code>",
// data "<action>:<code>"), two per row, and Cancel.
func choiceKeyboard(c *kernel.Ctx, prefix, action string, codes []string) *kernel.Keyboard {
	kb := kernel.NewKeyboard()
	for i := 0; i < len(codes); i += 2 {
		row := []kernel.Button{c.Button(prefix+"."+codes[i], action, codes[i])}
		if i+1 < len(codes) {
			row = append(row, c.Button(prefix+"."+codes[i+1], action, codes[i+1]))
		}
		kb.Row(row...)
	}
	return kb.Row(cancelButton(c))
}

// purposeKeyboard has one button per purpose code.
func purposeKeyboard(c *kernel.Ctx) *kernel.Keyboard {
	return choiceKeyboard(c, "transfer.purpose", "purpose", purposes)
}

// pickPurpose takes the purpose: a send goes to its summary, a withdrawal
// asks for the source of funds.
func (t *Transfer) pickPurpose(c *kernel.Ctx) error {
	if len(c.Args()) != 1 || !slices.Contains(purposes, c.Args()[0]) {
		return kernel.ErrStaleCallback
	}
	mv := loadMovement(c)
	mv.Purpose = c.Args()[0]
	switch {
	case c.InFlow("send", "purpose"):
		saveMovement(c, mv)
		if err := c.Next("confirm"); err != nil {
			return err
		}
		return t.sendSummary(c, mv)
	case c.InFlow("withdraw", "purpose"):
		saveMovement(c, mv)
		if err := c.Next("source"); err != nil {
			return err
		}
		_, err := c.Show(c.T("transfer.source.ask", nil), sourceKeyboard(c))
		return err
	}
	return kernel.ErrStaleCallback
}

// sendSummary shows what Confirm will send.
func (t *Transfer) sendSummary(c *kernel.Ctx, mv movement) error {
	id := arm(c)
	cur := t.cfg.Currency
	lines := []string{
		c.T("transfer.summary.title", nil),
		"",
		c.T("transfer.summary.to", map[string]any{"to": t.recipientLabel(c, mv)}),
		c.T("transfer.summary.amount", map[string]any{"amount": formatAmount(mv.Amount, c.Lang), "currency": cur}),
	}
	if mv.Kind == kindWallet {
		n, _ := t.nets.Lookup(mv.Network)
		lines = append(lines, c.T("transfer.summary.network", map[string]any{"network": n.Name}))
	}
	lines = append(lines, c.T("transfer.summary.purpose", map[string]any{"purpose": c.T("transfer.purpose."+mv.Purpose, nil)}))
	if bal, err := decimal.NewFromString(c.FlowData("bal")); err == nil {
		// The fee is only known from the submit's answer: say so rather than
		// show a balance the send will not leave.
		lines = append(lines, c.T("transfer.summary.balance_after_send", map[string]any{"balance": formatAmount(bal.Sub(mv.Amount), c.Lang), "currency": cur}))
	}
	lines = append(lines, "", c.T("transfer.summary.fee_note", nil), c.T("transfer.summary.confirm_hint", map[string]any{"minutes": int(t.cfg.ConfirmTTL.Minutes())}))
	kb := confirmKeyboard(c, id)
	if mv.Kind == kindWallet {
		kb.Row(kernel.Button{Text: c.T("transfer.button.change_wallet", nil), Data: "kernel:run:wallets"})
	}
	_, err := c.Show(strings.Join(lines, "\n"), kb)
	return err
}
