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
	token, err := userToken(c)
	if err != nil {
		return err
	}
	walletBalances, err := p.api.Balances(c, token)
	if err != nil {
		return apiErr("balances", err)
	}
	// Only Refresh edits: /balance from the /start menu is a button tap too,
	// and must not replace the menu.
	refresh := c.IsCallback() && c.Action() == "wallet.refresh"
	if len(walletBalances) == 0 {
		return p.noWallets(c, refresh)
	}
	firstRow := []kernel.Button{c.Button("wallet.button.deposit", "deposit")}
	if send, ok := c.ActionButton("wallet.button.send", "transfer.send"); ok {
		firstRow = append(firstRow, send)
	}
	kb := kernel.NewKeyboard().
		Row(firstRow...).
		Row(c.Button("wallet.button.wallets", "wallets"), c.Button("wallet.button.refresh", "refresh"))
	if err := p.reply(c, p.renderBalances(c, walletBalances), kb, refresh); err != nil {
		return err
	}
	if refresh {
		c.Answer(c.T("wallet.balance.refreshed", nil), false)
	}
	return nil
}

// renderBalances writes the balances grouped by network, default first,
// then the totals of the tokens held on more than one network.
func (p *Wallet) renderBalances(c *kernel.Ctx, wallets []copperx.WalletBalances) string {
	wallets = slices.Clone(wallets)
	slices.SortStableFunc(wallets, func(a, b copperx.WalletBalances) int {
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
	for _, wallet := range wallets {
		info, _ := p.nets.Lookup(wallet.Network)
		if info.Testnet && !p.cfg.ShowTestnets && !wallet.IsDefault && holdsNothing(wallet.Balances) {
			continue
		}
		sections++
		b.WriteString("\n\n")
		heading := c.T("wallet.balance.network", map[string]any{"network": p.networkName(c, wallet.Network)})
		if wallet.IsDefault {
			heading = c.T("wallet.balance.network_default", map[string]any{"network": p.networkName(c, wallet.Network)})
		}
		b.WriteString(heading)
		if len(wallet.Balances) == 0 {
			b.WriteString("\n" + c.T("wallet.balance.no_funds", nil))
		}
		for _, balance := range wallet.Balances {
			b.WriteString("\n")
			symbol := balance.Symbol
			var tokenTotal *total // test money is not added to the totals
			if !info.Testnet {
				if tokenTotal = byToken[symbol]; tokenTotal == nil {
					tokenTotal = &total{symbol: symbol}
					byToken[symbol] = tokenTotal
					totals = append(totals, tokenTotal)
				}
			}
			if !balance.Valid {
				p.logInvalid(wallet.WalletID, wallet.Network, balance)
				b.WriteString(c.T("wallet.balance.unavailable", map[string]any{"symbol": symbol}))
				empty = false
				if tokenTotal != nil {
					tokenTotal.partial = true
				}
				continue
			}
			places := amountPlaces(balance.Decimals)
			b.WriteString(c.T("wallet.balance.line", map[string]any{"amount": c.FormatDecimal(balance.Amount, places), "symbol": symbol}))
			if !balance.Amount.IsZero() {
				empty = false
			}
			if tokenTotal != nil {
				tokenTotal.sum = tokenTotal.sum.Add(balance.Amount)
				tokenTotal.places = max(tokenTotal.places, places)
				tokenTotal.counted++
			}
		}
	}
	if sections == 0 {
		b.WriteString("\n\n" + c.T("wallet.balance.no_funds", nil))
	}
	if sections > 1 && len(totals) > 0 {
		b.WriteString("\n\n" + c.T("wallet.balance.total_title", nil))
		for _, tokenTotal := range totals {
			b.WriteString("\n")
			data := map[string]any{"amount": c.FormatDecimal(tokenTotal.sum, tokenTotal.places), "symbol": tokenTotal.symbol}
			switch {
			case tokenTotal.counted == 0:
				b.WriteString(c.T("wallet.balance.unavailable", map[string]any{"symbol": tokenTotal.symbol}))
			case tokenTotal.partial:
				b.WriteString(c.T("wallet.balance.total_partial", data))
			default:
				b.WriteString(c.T("wallet.balance.line", data))
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
func holdsNothing(balances []copperx.Balance) bool {
	for _, balance := range balances {
		if !balance.Valid || !balance.Amount.IsZero() {
			return false
		}
	}
	return true
}

// amountPlaces is the fewest decimals an amount is shown with: two (cents),
// or the token's precision when it has fewer. Digits beyond are shown
// as they are, never rounded.
func amountPlaces(decimals int) int {
	if decimals > 0 && decimals < 2 {
		return decimals
	}
	return 2
}
