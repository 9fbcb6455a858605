package wallet

import (
	"fmt"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	qrcode "github.com/skip2/go-qrcode"
)

// deposit shows where to deposit (/deposit [network], Deposit under
// /balance): the default wallet's address straight away, else a choice of
// network; "deposit:pick" (Other network) always offers the choice.
func (p *Wallet) deposit(c *kernel.Ctx) error {
	tok, err := token(c)
	if err != nil {
		return err
	}
	ws, err := p.api.Wallets(c, tok)
	if err != nil {
		return apiErr(c, "wallets", err)
	}
	if len(ws) == 0 {
		return p.noWallets(c, false)
	}
	p.sortWallets(ws)
	args := c.Args()
	if c.IsCallback() {
		if len(args) > 1 || len(args) == 1 && args[0] != "pick" {
			return kernel.ErrStaleCallback
		}
		if len(args) == 1 {
			return p.pickNetwork(c, ws)
		}
	} else if q := strings.TrimSpace(c.Text()); q != "" {
		for _, w := range ws {
			if n, _ := p.nets.Lookup(w.Network); strings.EqualFold(q, w.Network) || strings.EqualFold(q, n.Name) {
				return p.sendAddress(c, w, len(ws) > 1)
			}
		}
		return p.pickNetwork(c, ws)
	}
	if ws[0].IsDefault || len(ws) == 1 {
		return p.sendAddress(c, ws[0], len(ws) > 1)
	}
	return p.pickNetwork(c, ws)
}

// pickNetwork asks which of the user's wallets to deposit to, in a new
// message (the tapped one may be a photo, which cannot become text).
func (p *Wallet) pickNetwork(c *kernel.Ctx, ws []copperx.Wallet) error {
	kb := kernel.NewKeyboard()
	var row []kernel.Button
	for _, w := range ws {
		label := p.networkLabel(c, w.Network)
		if w.IsDefault {
			label = "⭐ " + label
		}
		if btn, ok := dataButton(label, "addr", w.Network); ok {
			row = append(row, btn)
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
	tok, err := token(c)
	if err != nil {
		return err
	}
	ws, err := p.api.Wallets(c, tok)
	if err != nil {
		return apiErr(c, "wallets", err)
	}
	for _, w := range ws {
		if w.Network == c.Args()[0] {
			return p.sendAddress(c, w, len(ws) > 1)
		}
	}
	return kernel.ErrStaleCallback
}

// sendAddress sends the address as a QR code photo whose caption has the
// address, the network, the token, a warning and the explorer link, with a
// Copy button (and Other network when the user has more wallets).
func (p *Wallet) sendAddress(c *kernel.Ctx, w copperx.Wallet, others bool) error {
	if w.WalletAddress == "" {
		return fmt.Errorf("wallet: %s wallet has no address", w.Network)
	}
	png, err := qrcode.Encode(w.WalletAddress, qrcode.Medium, p.cfg.QRSize)
	if err != nil {
		return fmt.Errorf("wallet: QR code: %w", err)
	}
	net, _ := p.nets.Lookup(w.Network)
	data := map[string]any{"token": p.cfg.DepositToken, "network": p.networkName(c, w.Network), "address": w.WalletAddress}
	caption := c.T("wallet.deposit.caption", data)
	if u := net.AddressURL(w.WalletAddress); u != "" {
		caption += "\n\n" + c.T("wallet.details.explorer", map[string]any{"url": u})
	}
	kb := kernel.NewKeyboard().Row(c.CopyButton("wallet.button.copy", w.WalletAddress))
	if others {
		kb.Row(c.Button("wallet.button.other_network", "deposit", "pick"))
	}
	_, err = c.SendPhoto("deposit.png", png, caption, kb)
	return err
}
