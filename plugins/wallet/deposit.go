package wallet

import (
	"fmt"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/plugins/internal/qr"
)

// deposit shows where to deposit (/deposit [network], Deposit under
// /balance): the default wallet's address straight away, else a choice of
// network; "deposit:pick" (Other network) always offers the choice.
func (p *Wallet) deposit(c *kernel.Ctx) error {
	token, err := userToken(c)
	if err != nil {
		return err
	}
	wallets, err := p.api.Wallets(c, token)
	if err != nil {
		return apiErr("wallets", err)
	}
	if len(wallets) == 0 {
		return p.noWallets(c, false)
	}
	p.sortWallets(wallets)
	args := c.Args()
	if c.IsCallback() {
		if len(args) > 1 || len(args) == 1 && args[0] != "pick" {
			return kernel.ErrStaleCallback
		}
		if len(args) == 1 {
			return p.pickNetwork(c, wallets)
		}
	} else if asked := strings.TrimSpace(c.Text()); asked != "" {
		for _, w := range wallets {
			if info, _ := p.nets.Lookup(w.Network); strings.EqualFold(asked, w.Network) || strings.EqualFold(asked, info.Name) {
				return p.sendAddress(c, w, len(wallets) > 1)
			}
		}
		return p.pickNetwork(c, wallets)
	}
	if wallets[0].IsDefault || len(wallets) == 1 {
		return p.sendAddress(c, wallets[0], len(wallets) > 1)
	}
	return p.pickNetwork(c, wallets)
}

// pickNetwork asks which of the user's wallets to deposit to, in a new
// message (the tapped one may be a photo, which cannot become text).
func (p *Wallet) pickNetwork(c *kernel.Ctx, wallets []copperx.Wallet) error {
	kb := kernel.NewKeyboard()
	var row []kernel.Button
	for _, w := range wallets {
		label := p.networkLabel(c, w.Network)
		if w.IsDefault {
			label = "⭐ " + label
		}
		if fits("addr", w.Network) {
			row = append(row, c.ButtonText(label, "addr", w.Network))
		}
		if len(row) == 2 {
			kb.Row(row...)
			row = nil
		}
	}
	kb.Row(row...)
	_, err := c.Say("wallet.deposit.choose", map[string]any{"token": p.cfg.DepositToken}, kb)
	return err
}

// address sends the deposit address of the wallet on the tapped network
// (addr:<network>); a network the user holds no wallet on is refused.
func (p *Wallet) address(c *kernel.Ctx) error {
	if len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	token, err := userToken(c)
	if err != nil {
		return err
	}
	wallets, err := p.api.Wallets(c, token)
	if err != nil {
		return apiErr("wallets", err)
	}
	for _, w := range wallets {
		if w.Network == c.Args()[0] {
			return p.sendAddress(c, w, len(wallets) > 1)
		}
	}
	return kernel.ErrStaleCallback
}

// sendAddress sends the address as a QR code photo whose caption has the
// address, the network, the token, a warning and the explorer link, with a
// Copy button (and Other network when the user has more wallets). The QR
// code holds a payment link the network's wallets open as "send the token
// to this address" (EIP-681, Solana Pay) where there is one, else the bare
// address; Copy always gives the bare address.
func (p *Wallet) sendAddress(c *kernel.Ctx, w copperx.Wallet, others bool) error {
	if w.WalletAddress == "" {
		return fmt.Errorf("wallet: %s wallet has no address", w.Network)
	}
	info, _ := p.nets.Lookup(w.Network)
	content := info.PaymentURI(w.Network, p.cfg.DepositToken, w.WalletAddress)
	if content == "" {
		content = w.WalletAddress
	}
	png, err := qr.PNG(content, p.cfg.QRSize)
	if err != nil {
		return fmt.Errorf("wallet: QR code: %w", err)
	}
	data := map[string]any{"token": p.cfg.DepositToken, "network": p.networkName(c, w.Network), "address": w.WalletAddress}
	caption := c.T("wallet.deposit.caption", data)
	if u := info.AddressURL(w.WalletAddress); u != "" {
		caption += "\n\n" + c.T("wallet.details.explorer", map[string]any{"url": u})
	}
	kb := kernel.NewKeyboard().Row(c.CopyButton("wallet.button.copy", w.WalletAddress))
	if others {
		kb.Row(c.Button("wallet.button.other_network", "deposit", "pick"))
	}
	_, err = c.SendPhoto("deposit.png", png, caption, kb)
	return err
}
