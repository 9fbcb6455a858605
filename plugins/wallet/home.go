package wallet

import (
	"context"
	"errors"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// home is the wallet's line of /start, for a user whom menus offer
// /balance (logged in): the total of deposit_token across networks (test
// networks left out) and the default wallet's network, in one line. It
// waits at most home_timeout for CopperX and never fails the screen: no
// answer is "balance unavailable", a refused token is no line (the auth
// plugin asks for a new login when it matters).
func (p *Wallet) home(c *kernel.Ctx) string {
	if !c.Offered("wallet.balance") {
		return ""
	}
	token, err := userToken(c)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(c, p.cfg.HomeTimeout)
	defer cancel()
	wallets, err := p.api.Balances(ctx, token)
	switch {
	case errors.Is(err, copperx.ErrUnauthorized):
		return ""
	case err != nil:
		c.Log.Info("no balance for the home screen", "err", err)
		return c.T("wallet.home.unavailable", nil)
	case len(wallets) == 0:
		return c.T("wallet.home.no_wallet", nil)
	}
	var sum decimal.Decimal
	counted, partial := 0, false
	network := ""
	for _, w := range wallets {
		if w.IsDefault {
			network = w.Network
		}
		if info, _ := p.nets.Lookup(w.Network); info.Testnet {
			continue
		}
		for _, b := range w.Balances {
			if !strings.EqualFold(b.Symbol, p.cfg.DepositToken) {
				continue
			}
			if !b.Valid {
				p.logInvalid(w.WalletID, w.Network, b)
				partial = true
				continue
			}
			sum = sum.Add(b.Amount)
			counted++
		}
	}
	if counted == 0 && partial {
		return c.T("wallet.home.unavailable", nil)
	}
	data := map[string]any{"amount": c.FormatAmount(sum), "token": p.cfg.DepositToken}
	text := c.T("wallet.home.balance_total", data)
	if network != "" {
		data["network"] = p.networkName(c, network)
		text = c.T("wallet.home.balance", data)
	}
	if partial {
		text += " " + c.T("wallet.home.partial", nil)
	}
	return text
}
