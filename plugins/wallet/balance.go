package wallet

import (
	"slices"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/shopspring/decimal"
)

// total is one token's sum across networks.
type total struct {
	symbol  string
	sum     decimal.Decimal
	places  int
	counted int  // balances summed
	partial bool // some balance of this token did not parse
}

// balance shows every wallet's balances with a total per token (/balance);
// Refresh edits the same message.
func (p *Wallet) balance(c *kernel.Ctx) error {
	tok, err := token(c)
	if err != nil {
		return err
	}
	wbs, err := p.api.Balances(c, tok)
	if err != nil {
		return apiErr(c, "balances", err)
	}
	// Only Refresh edits: /balance from the /start menu is a button tap too,
	// and must not replace the menu.
	refresh := c.IsCallback() && c.Action() == "wallet.refresh"
	if len(wbs) == 0 {
		return p.noWallets(c, refresh)
	}
	kb := kernel.NewKeyboard().
		Row(c.Button("wallet.button.deposit", "deposit"), sendButton(c)).
		Row(c.Button("wallet.button.wallets", "wallets"), c.Button("wallet.button.refresh", "refresh"))
	if err := p.put(c, p.renderBalances(c, wbs), kb, refresh); err != nil {
		return err
	}
	if refresh {
		c.Answer(c.T("wallet.balance.refreshed", nil), false)
	}
	return nil
}

// renderBalances writes the balances grouped by network, default first,
// then the totals of the tokens held on more than one network.
func (p *Wallet) renderBalances(c *kernel.Ctx, wbs []copperx.WalletBalances) string {
	nf := fmtFor(c)
	wbs = slices.Clone(wbs)
	slices.SortStableFunc(wbs, func(a, b copperx.WalletBalances) int {
		if a.IsDefault != b.IsDefault {
			if a.IsDefault {
				return -1
			}
			return 1
		}
		return p.cmpNetworks(a.Network, b.Network)
	})

	var b strings.Builder
	b.WriteString(c.T("wallet.balance.title", nil))
	var totals []*total
	byToken := map[string]*total{}
	sections, empty := 0, true
	for _, wb := range wbs {
		net, _ := p.nets.Lookup(wb.Network)
		if net.Testnet && !p.cfg.ShowTestnets && !wb.IsDefault && holdsNothing(wb.Balances) {
			continue
		}
		sections++
		b.WriteString("\n\n")
		head := c.T("wallet.balance.network", map[string]any{"network": p.networkName(c, wb.Network)})
		if wb.IsDefault {
			head = c.T("wallet.balance.network_default", map[string]any{"network": p.networkName(c, wb.Network)})
		}
		b.WriteString(head)
		if len(wb.Balances) == 0 {
			b.WriteString("\n" + c.T("wallet.balance.no_funds", nil))
		}
		for _, bal := range wb.Balances {
			b.WriteString("\n")
			sym := bal.Symbol
			var t *total // test money is not added to the totals
			if !net.Testnet {
				if t = byToken[sym]; t == nil {
					t = &total{symbol: sym}
					byToken[sym] = t
					totals = append(totals, t)
				}
			}
			if !bal.Valid {
				p.logInvalid(wb.WalletID, wb.Network, bal)
				b.WriteString(c.T("wallet.balance.unavailable", map[string]any{"symbol": sym}))
				empty = false
				if t != nil {
					t.partial = true
				}
				continue
			}
			places := amountPlaces(bal.Decimals)
			b.WriteString(c.T("wallet.balance.line", map[string]any{"amount": nf.formatAmount(bal.Amount, places), "symbol": sym}))
			if !bal.Amount.IsZero() {
				empty = false
			}
			if t != nil {
				t.sum = t.sum.Add(bal.Amount)
				t.places = max(t.places, places)
				t.counted++
			}
		}
	}
	if sections == 0 {
		b.WriteString("\n\n" + c.T("wallet.balance.no_funds", nil))
	}
	if sections > 1 && len(totals) > 0 {
		b.WriteString("\n\n" + c.T("wallet.balance.total_title", nil))
		for _, t := range totals {
			b.WriteString("\n")
			switch {
			case t.counted == 0:
				b.WriteString(c.T("wallet.balance.unavailable", map[string]any{"symbol": t.symbol}))
			case t.partial:
				b.WriteString(c.T("wallet.balance.total_partial", map[string]any{"amount": nf.formatAmount(t.sum, t.places), "symbol": t.symbol}))
			default:
				b.WriteString(c.T("wallet.balance.line", map[string]any{"amount": nf.formatAmount(t.sum, t.places), "symbol": t.symbol}))
			}
		}
	}
	if empty {
		b.WriteString("\n\n" + c.T("wallet.balance.empty_hint", nil))
	}
	b.WriteString("\n\n" + c.T("wallet.balance.updated", map[string]any{"time": c.Now().UTC().Format("15:04:05")}))
	return b.String()
}

// holdsNothing reports a wallet whose balances are all zero (an unparseable
// one counts as something: it is never hidden).
func holdsNothing(bals []copperx.Balance) bool {
	for _, b := range bals {
		if !b.Valid || !b.Amount.IsZero() {
			return false
		}
	}
	return true
}

// amountPlaces is the fewest decimals an amount is shown with: two (cents),
// or the token's own precision when it has fewer. Digits beyond are shown
// as they are, never rounded.
func amountPlaces(decimals int) int {
	if decimals > 0 && decimals < 2 {
		return decimals
	}
	return 2
}
