package wallet

import (
	"slices"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// wallets lists the wallets (/wallets, and Wallets under /balance) in a new
// message.
func (p *Wallet) wallets(c *kernel.Ctx) error { return p.list(c, "", false) }

// backToList shows the list in place of the tapped message (Back).
func (p *Wallet) backToList(c *kernel.Ctx) error { return p.list(c, "", true) }

// list shows the wallets with their network, short address and the default
// mark, one button each, and remembers their ids for the buttons. notice is
// an already rendered line shown above the list.
func (p *Wallet) list(c *kernel.Ctx, notice string, inPlace bool) error {
	token, err := userToken(c)
	if err != nil {
		return err
	}
	wallets, err := p.api.Wallets(c, token)
	if err != nil {
		return apiErr("wallets", err)
	}
	if len(wallets) == 0 {
		return p.noWallets(c, inPlace)
	}
	p.sortWallets(wallets)
	listing := make([]string, len(wallets))
	for i, w := range wallets {
		listing[i] = w.ID
	}
	if err := c.Set(listingKey, listing); err != nil {
		return err
	}

	var b strings.Builder
	if notice != "" {
		b.WriteString(notice + "\n\n")
	}
	b.WriteString(c.T("wallet.wallets.title", nil))
	kb := kernel.NewKeyboard()
	for _, w := range wallets {
		data := map[string]any{"network": p.networkName(c, w.Network), "address": shortAddress(w.WalletAddress)}
		key, label := "wallet.wallets.line", p.networkLabel(c, w.Network)+" · "+shortAddress(w.WalletAddress)
		if w.IsDefault {
			key, label = "wallet.wallets.line_default", "⭐ "+label
		}
		b.WriteString("\n" + c.T(key, data))
		kb.Row(c.ButtonText(label, "show", ref(listing, w.ID))) // a ref always fits
	}
	b.WriteString("\n\n" + c.T("wallet.wallets.hint", nil))
	kb.Row(c.Button("wallet.button.new", "new"))
	return p.reply(c, b.String(), kb, inPlace)
}

// shortAddress keeps the start and the end of a long address: 0x1234…abcd.
func shortAddress(address string) string {
	runes := []rune(address)
	if len(runes) <= 14 {
		return address
	}
	return string(runes[:6]) + "…" + string(runes[len(runes)-4:])
}

// reply edits the tapped message when inPlace, else sends a new one.
func (p *Wallet) reply(c *kernel.Ctx, text string, kb *kernel.Keyboard, inPlace bool) error {
	var err error
	if inPlace {
		_, err = c.Show(text, kb)
	} else {
		_, err = c.Send(text, kb)
	}
	return err
}

// noWallets tells a user without any wallet how to get one.
func (p *Wallet) noWallets(c *kernel.Ctx, inPlace bool) error {
	kb := kernel.NewKeyboard().Row(c.Button("wallet.button.new", "new"))
	return p.reply(c, c.T("wallet.wallets.empty", nil), kb, inPlace)
}

// findWallet fetches the wallets and returns the one with id (nil when it
// no longer exists).
func (p *Wallet) findWallet(c *kernel.Ctx, token copperx.Token, id string) (*copperx.Wallet, []copperx.Wallet, error) {
	wallets, err := p.api.Wallets(c, token)
	if err != nil {
		return nil, nil, apiErr("wallets", err)
	}
	for i := range wallets {
		if wallets[i].ID == id {
			return &wallets[i], wallets, nil
		}
	}
	return nil, wallets, nil
}

// showWallet shows one wallet in place: full address, network, balances,
// explorer link, and Make default / Copy / Deposit / Back.
func (p *Wallet) showWallet(c *kernel.Ctx) error {
	id, err := resolve(c)
	if err != nil {
		return err
	}
	return p.details(c, id, "")
}

// details renders the wallet id in place of the tapped message.
func (p *Wallet) details(c *kernel.Ctx, id, notice string) error {
	token, err := userToken(c)
	if err != nil {
		return err
	}
	w, _, err := p.findWallet(c, token, id)
	if err != nil {
		return err
	}
	if w == nil {
		return kernel.ErrStaleCallback
	}
	walletBalances, err := p.api.Balances(c, token)
	if err != nil {
		return apiErr("balances", err)
	}
	info, _ := p.nets.Lookup(w.Network)
	name := p.networkName(c, w.Network)

	var b strings.Builder
	if notice != "" {
		b.WriteString(notice + "\n\n")
	}
	b.WriteString(c.T("wallet.details.title", map[string]any{"network": name}))
	if w.IsDefault {
		b.WriteString("\n" + c.T("wallet.details.default", nil))
	}
	b.WriteString("\n\n" + c.T("wallet.details.address", map[string]any{"address": w.WalletAddress}))
	b.WriteString("\n" + c.T("wallet.details.network", map[string]any{"network": name}))
	b.WriteString("\n\n" + c.T("wallet.details.balances", nil))
	var balances []copperx.Balance
	for _, wallet := range walletBalances {
		if wallet.WalletID == w.ID {
			balances = wallet.Balances
		}
	}
	if len(balances) == 0 {
		b.WriteString("\n" + c.T("wallet.balance.no_funds", nil))
	}
	for _, balance := range balances {
		b.WriteString("\n")
		if !balance.Valid {
			p.logInvalid(w.ID, w.Network, balance)
			b.WriteString(c.T("wallet.balance.unavailable", map[string]any{"symbol": balance.Symbol}))
			continue
		}
		b.WriteString(c.T("wallet.balance.line", map[string]any{
			"amount": c.FormatDecimal(balance.Amount, amountPlaces(balance.Decimals)), "symbol": balance.Symbol}))
	}
	if u := info.AddressURL(w.WalletAddress); u != "" {
		b.WriteString("\n\n" + c.T("wallet.details.explorer", map[string]any{"url": u}))
	}

	var listing []string
	c.Get(listingKey, &listing)
	walletRef := ref(listing, w.ID)
	kb := kernel.NewKeyboard().Row(c.CopyButton("wallet.button.copy", w.WalletAddress))
	if fits("addr", w.Network) {
		kb.Row(c.Button("wallet.button.deposit", "addr", w.Network))
	}
	if !w.IsDefault {
		kb.Row(c.Button("wallet.button.make_default", "askdef", walletRef))
	}
	kb.Row(c.Button("wallet.button.back", "list"))
	_, err = c.Show(b.String(), kb)
	return err
}

// askDefault asks to confirm making a wallet the default, in place.
func (p *Wallet) askDefault(c *kernel.Ctx) error {
	id, err := resolve(c)
	if err != nil {
		return err
	}
	token, err := userToken(c)
	if err != nil {
		return err
	}
	w, _, err := p.findWallet(c, token, id)
	if err != nil {
		return err
	}
	if w == nil {
		return kernel.ErrStaleCallback
	}
	if w.IsDefault {
		return p.details(c, id, "")
	}
	walletRef := c.Args()[0] // resolve checked it against the listing
	kb := kernel.NewKeyboard().Row(
		c.Button("wallet.button.confirm_default", "setdef", walletRef),
		c.Button("wallet.button.cancel", "show", walletRef),
	)
	_, err = c.Show(c.T("wallet.details.confirm_default", map[string]any{
		"network": p.networkName(c, w.Network), "address": shortAddress(w.WalletAddress)}), kb)
	return err
}

// setDefault makes the wallet the default and shows the updated list in
// place.
func (p *Wallet) setDefault(c *kernel.Ctx) error {
	id, err := resolve(c)
	if err != nil {
		return err
	}
	token, err := userToken(c)
	if err != nil {
		return err
	}
	w, err := p.api.SetDefaultWallet(c, token, id)
	if err != nil {
		return apiErr("set default wallet", err)
	}
	c.Log.Info("default wallet changed", "network", w.Network)
	notice := c.T("wallet.wallets.default_set", map[string]any{"network": p.networkName(c, w.Network)})
	return p.list(c, notice, true)
}

// newWallet offers the networks the API reports on which the user has no
// wallet yet, in place.
func (p *Wallet) newWallet(c *kernel.Ctx) error {
	token, err := userToken(c)
	if err != nil {
		return err
	}
	networks, err := p.available(c, token)
	if err != nil {
		return err
	}
	kb := kernel.NewKeyboard()
	if len(networks) == 0 {
		kb.Row(c.Button("wallet.button.back", "list"))
		_, err := c.Show(c.T("wallet.new.none_left", nil), kb)
		return err
	}
	var row []kernel.Button
	for _, network := range networks {
		if fits("create", network) {
			row = append(row, c.ButtonText(p.networkLabel(c, network), "create", network))
		}
		if len(row) == 2 {
			kb.Row(row...)
			row = nil
		}
	}
	kb.Row(row...)
	kb.Row(c.Button("wallet.button.back", "list"))
	_, err = c.Show(c.T("wallet.new.choose", nil), kb)
	return err
}

// available lists, in display order, the networks the API offers that the
// user holds no wallet on (test networks only with show_testnets).
func (p *Wallet) available(c *kernel.Ctx, token copperx.Token) ([]string, error) {
	offered, err := p.api.Networks(c, token)
	if err != nil {
		return nil, apiErr("networks", err)
	}
	wallets, err := p.api.Wallets(c, token)
	if err != nil {
		return nil, apiErr("wallets", err)
	}
	var out []string
	for _, network := range offered {
		if network == "" || slices.Contains(out, network) || slices.ContainsFunc(wallets, func(w copperx.Wallet) bool { return w.Network == network }) {
			continue
		}
		if info, _ := p.nets.Lookup(network); info.Testnet && !p.cfg.ShowTestnets {
			continue
		}
		out = append(out, network)
	}
	slices.SortStableFunc(out, p.cmpNetworks)
	return out, nil
}

// create creates a wallet on the chosen network and shows it in place.
func (p *Wallet) create(c *kernel.Ctx) error {
	if len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	network := c.Args()[0]
	token, err := userToken(c)
	if err != nil {
		return err
	}
	networks, err := p.available(c, token)
	if err != nil {
		return err
	}
	if !slices.Contains(networks, network) {
		return kernel.ErrStaleCallback
	}
	w, err := p.api.CreateWallet(c, token, network)
	if err != nil {
		return apiErr("create wallet", err)
	}
	c.Log.Info("wallet created", "network", network)
	var listing []string
	c.Get(listingKey, &listing)
	if !slices.Contains(listing, w.ID) {
		listing = append(listing, w.ID)
		if err := c.Set(listingKey, listing); err != nil {
			return err
		}
	}
	return p.details(c, w.ID, c.T("wallet.new.created", map[string]any{"network": p.networkName(c, network)}))
}
