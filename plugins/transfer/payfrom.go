package transfer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel"
)

// The paying wallet. CopperX pays a send or a withdrawal from the default
// wallet, so the amount prompt and the summary name it with its balance,
// and a flow can change it without ending: "Pay from your Base wallet"
// when the default wallet is short and another holds enough, or "Pay from
// another wallet" — both lead to the same confirmation as /wallets (the
// step "switch"), then back to the step they left, with everything typed
// so far. Steps "wallet" and "switch" belong to /send and /withdraw alike.

// walletChoice is one of the user's wallets with its balance of the
// currency, as a step offered it.
type walletChoice struct {
	ID      string          `json:"id"`
	Network string          `json:"network"`
	Balance decimal.Decimal `json:"balance"`
	// Known is false when the API's balance did not read as a number.
	Known   bool `json:"known,omitempty"`
	Default bool `json:"default,omitempty"`
}

// payingSteps are the steps of both money flows that change the paying
// wallet.
func (t *Transfer) payingSteps() []kernel.Step[movement] {
	return []kernel.Step[movement]{
		{Name: "wallet", Ask: t.askWallet, Tap: kernel.Taps[movement]{"pick": t.pickWallet, "back": t.backFromWallet}},
		{Name: "switch", Ask: t.askSwitch, Tap: kernel.Taps[movement]{"yes": t.switchWallet, "back": t.backFromWallet}},
	}
}

// wallets lists the user's wallets with their balance of the currency,
// the default first (GET /api/wallets/balances).
func (t *Transfer) wallets(c *kernel.Ctx) ([]walletChoice, error) {
	all, err := t.api.Balances(c, token(c))
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	out := make([]walletChoice, 0, len(all))
	for _, w := range all {
		wc := walletChoice{ID: w.WalletID, Network: w.Network, Default: w.IsDefault, Known: true}
		for _, b := range w.Balances {
			if strings.EqualFold(b.Symbol, t.cfg.Currency) {
				wc.Balance, wc.Known = b.Amount, b.Valid
				break
			}
		}
		if wc.Default {
			out = append([]walletChoice{wc}, out...)
		} else {
			out = append(out, wc)
		}
	}
	return out, nil
}

// paying is the default wallet among ws; false when there is none.
func paying(ws []walletChoice) (walletChoice, bool) {
	for _, w := range ws {
		if w.Default {
			return w, true
		}
	}
	return walletChoice{}, false
}

// networkName is a chain id's name ("Polygon").
func (t *Transfer) networkName(network string) string {
	n, _ := t.nets.Lookup(network)
	return n.Name
}

// payingLine names the wallet that pays and its balance, for the amount
// prompts and the summaries.
func (t *Transfer) payingLine(c *kernel.Ctx, w walletChoice) string {
	if !w.Known {
		return c.T("transfer.paying.line_unknown", map[string]any{"network": t.networkName(w.Network)})
	}
	return c.T("transfer.paying.line", map[string]any{
		"network": t.networkName(w.Network), "balance": c.FormatAmount(w.Balance), "currency": t.cfg.Currency})
}

// offerOthers is what the amount prompt says and offers when the paying
// wallet cannot cover need: the wallets that can (kept in mv.Offers for
// the "payfrom" tap), and the shortfall as the prompt's note. It reports
// whether any other wallet holds enough.
func (t *Transfer) offerOthers(c *kernel.Ctx, mv *movement, ws []walletChoice, need decimal.Decimal, note string) bool {
	mv.Offers = nil
	for _, w := range ws {
		if !w.Default && w.Known && !w.Balance.LessThan(need) {
			mv.Offers = append(mv.Offers, w)
		}
	}
	if len(mv.Offers) == 0 {
		return false
	}
	mv.Note = note + "\n" + c.T("transfer.paying.others", map[string]any{
		"network": t.networkName(mv.Offers[0].Network), "balance": c.FormatAmount(mv.Offers[0].Balance), "currency": t.cfg.Currency})
	return true
}

// walletButtons are the amount prompt's buttons about the paying wallet:
// "Pay from your Base wallet" for each wallet offered, else "Pay from
// another wallet" when there is another one.
func (t *Transfer) walletButtons(c *kernel.Ctx, mv *movement, ws []walletChoice, kb *kernel.Keyboard) {
	for i, w := range mv.Offers {
		kb.Row(c.TapText(c.T("transfer.button.pay_from", map[string]any{"network": t.networkName(w.Network)}), "payfrom", strconv.Itoa(i)))
	}
	if len(mv.Offers) == 0 && len(ws) > 1 {
		kb.Row(c.Tap("transfer.button.change_wallet", "wallet"))
	}
}

// changeWallet is "Pay from another wallet" at step: the wallets, then
// back to step.
func (t *Transfer) changeWallet(step string) func(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	return func(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
		mv.Resume = step
		return kernel.Next("wallet"), nil
	}
}

// payFrom is "Pay from your Base wallet" at the amount step: confirm
// making that wallet the default, keeping the amount typed.
func (t *Transfer) payFrom(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	i, ok := index(c, len(mv.Offers))
	if !ok {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	w := mv.Offers[i]
	mv.SwitchTo, mv.Resume = &w, "amount"
	return kernel.Next("switch"), nil
}

// index is the tap's one argument as an index below n.
func index(c *kernel.Ctx, n int) (int, bool) {
	if len(c.Args()) != 1 {
		return 0, false
	}
	i, err := strconv.Atoi(c.Args()[0])
	if err != nil || i < 0 || i >= n || strconv.Itoa(i) != c.Args()[0] {
		return 0, false
	}
	return i, true
}

// askWallet offers the wallets, each with its balance; ⭐ marks the one
// that pays now.
func (t *Transfer) askWallet(c *kernel.Ctx, mv *movement) error {
	ws, err := t.wallets(c)
	if err != nil {
		return err
	}
	mv.Wallets = ws
	kb := kernel.NewKeyboard()
	for i, w := range ws {
		label := t.networkName(w.Network)
		if w.Known {
			label += " · " + c.FormatAmount(w.Balance) + " " + t.cfg.Currency
		}
		if w.Default {
			label = "⭐ " + label
		}
		kb.Row(c.TapText(label, "pick", strconv.Itoa(i)))
	}
	kb.Row(c.Tap("transfer.button.back", "back"), c.CancelButton())
	_, err = c.Prompt(c.T("transfer.paying.choose", nil), kb)
	return err
}

// pickWallet takes the wallet to pay from: the one paying already is only
// said so (a notice); another is confirmed first.
func (t *Transfer) pickWallet(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	i, ok := index(c, len(mv.Wallets))
	if !ok {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	w := mv.Wallets[i]
	if w.Default {
		c.Answer(c.T("transfer.paying.already", map[string]any{"network": t.networkName(w.Network)}), false)
		return kernel.Stay, nil
	}
	mv.SwitchTo = &w
	return kernel.Next("switch"), nil
}

// askSwitch asks to confirm making the picked wallet the default, as
// /wallets does.
func (t *Transfer) askSwitch(c *kernel.Ctx, mv *movement) error {
	w := mv.SwitchTo
	if w == nil {
		return fmt.Errorf("switch wallet: nothing picked")
	}
	address := ""
	all, err := t.api.Wallets(c, token(c))
	if err != nil {
		return fmt.Errorf("wallets: %w", err)
	}
	for _, x := range all {
		if x.ID == w.ID {
			address = shortAddr(x.WalletAddress)
		}
	}
	text := c.T("transfer.paying.confirm", map[string]any{"network": t.networkName(w.Network), "address": address})
	if w.Known {
		text += "\n" + c.T("transfer.paying.confirm_balance", map[string]any{"balance": c.FormatAmount(w.Balance), "currency": t.cfg.Currency})
	}
	if mv.Kind == kindWallet && mv.To != "" && t.family(w.Network) != t.family(mv.Network) {
		text += "\n" + c.T("transfer.paying.confirm_address", map[string]any{"network": t.networkName(w.Network)})
	}
	kb := kernel.NewKeyboard().Row(c.Tap("transfer.button.make_default", "yes")).
		Row(c.Tap("transfer.button.back", "back"), c.CancelButton())
	_, err = c.Prompt(text, kb)
	return err
}

// family is a network's address format: a wallet address typed for one
// network is good for another of the same format.
func (t *Transfer) family(network string) string {
	n, _ := t.nets.Lookup(network)
	return n.Format
}

// switchWallet makes the picked wallet the default (POST
// /api/wallets/default) and returns to the step the change started from.
func (t *Transfer) switchWallet(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if mv.SwitchTo == nil {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	w, err := t.api.SetDefaultWallet(c, token(c), mv.SwitchTo.ID)
	if err != nil {
		return kernel.Stay, fmt.Errorf("set default wallet: %w", err)
	}
	network := w.Network
	if network == "" {
		network = mv.SwitchTo.Network
	}
	c.Log.Info("default wallet changed in a flow", "network", network)
	c.Answer(c.T("transfer.paying.switched", map[string]any{"network": t.networkName(network)}), false)
	return t.resume(c, mv, network)
}

// backFromWallet leaves the wallets unchanged and asks the step the change
// started from again.
func (t *Transfer) backFromWallet(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	step := mv.Resume
	if step == "" {
		step = "amount"
	}
	mv.Resume, mv.SwitchTo, mv.Wallets, mv.Offers = "", nil, nil, nil
	return kernel.Next(step), nil
}

// resume returns to the step a wallet change started from, now that
// network pays, with everything typed so far: a wallet address of another
// format is asked again (saying why), an amount typed is checked again
// against the new wallet (and, for a withdrawal, quoted again).
func (t *Transfer) resume(c *kernel.Ctx, mv *movement, network string) (kernel.Move, error) {
	step := mv.Resume
	mv.Resume, mv.SwitchTo, mv.Wallets, mv.Offers = "", nil, nil, nil
	if mv.Kind == kindWallet {
		was := mv.Network
		mv.Network = network
		if mv.To != "" && t.family(was) != t.family(network) {
			mv.Note = c.T("transfer.paying.address_again", map[string]any{
				"was": t.networkName(was), "now": t.networkName(network), "address": shortAddr(mv.To)})
			mv.To = ""
			return kernel.Next("recipient"), nil
		}
	}
	if step == "recipient" || !mv.Amount.IsPositive() {
		if step == "" {
			step = "amount"
		}
		return kernel.Next(step), nil
	}
	if mv.Kind == kindBank {
		return t.quoteAgain(c, mv)
	}
	return t.recheckAmount(c, mv)
}
