// Package wallet is the bot's wallet plugin: /balance (every wallet's
// balances with per-token totals), /wallets (addresses, details, the default
// wallet, new wallets) and /deposit (the address with a QR code). Nothing
// here moves money.
//
// Screens that people navigate (Refresh, Back, making a wallet the default,
// creating one) edit the message whose button was tapped. Wallet ids in
// callback data are checked against the last listing shown to the user
// (session value wallet.listing); networks against what the API reports
// when the button is tapped. Anything else is refused as a stale button.
package wallet

import (
	"cmp"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// listingKey is the session value holding the wallet ids of the last
// listing, against which callback data is checked.
const listingKey = "wallet.listing"

// Wallet is the wallet plugin.
type Wallet struct {
	api  *copperx.Client
	nets copperx.Networks
	cfg  Config
	log  *slog.Logger

	mu     sync.Mutex
	logged map[string]bool // unparseable balances already logged
}

// New returns the plugin; nets is the networks: section of config.yaml
// (nil means copperx.DefaultNetworks).
func New(api *copperx.Client, nets copperx.Networks) *Wallet {
	if nets == nil {
		nets = copperx.DefaultNetworks()
	}
	return &Wallet{api: api, nets: nets, cfg: DefaultConfig(), logged: map[string]bool{}}
}

// Name implements kernel.Plugin.
func (p *Wallet) Name() string { return "wallet" }

// Setup implements kernel.Plugin.
func (p *Wallet) Setup(r *kernel.Registrar) error {
	if p.api == nil {
		return errors.New("wallet: no CopperX client")
	}
	if err := r.Config(&p.cfg); err != nil {
		return err
	}
	p.log = r.Logger()
	r.Link("transfer.send") // Send under /balance
	opts := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}

	r.Action("balance", p.balance, opts...)
	r.Action("wallets", p.wallets, opts...)
	r.Action("deposit", p.deposit, opts...)

	r.Callback("refresh", p.balance, opts...)   // Refresh under /balance: edits it
	r.Callback("wallets", p.wallets, opts...)   // Wallets under /balance: a new message
	r.Callback("list", p.backToList, opts...)   // Back: the list, in place
	r.Callback("show", p.showWallet, opts...)   // show:<ref>: one wallet, in place
	r.Callback("askdef", p.askDefault, opts...) // askdef:<ref>: confirm making it the default
	r.Callback("setdef", p.setDefault, opts...) // setdef:<ref>: make it the default, list in place
	r.Callback("new", p.newWallet, opts...)     // the networks a new wallet can be on
	r.Callback("create", p.create, opts...)     // create:<network>
	r.Callback("deposit", p.deposit, opts...)   // Deposit under /balance; deposit:pick for Other network
	r.Callback("addr", p.address, opts...)      // addr:<network>: the deposit address

	r.Home(p.home) // /start: the USDC total and the default wallet's network
	return nil
}

// userToken is the logged-in user's CopperX token (the auth guard ran).
func userToken(c *kernel.Ctx) (copperx.Token, error) {
	principal := c.Principal()
	if principal == nil {
		return copperx.Token{}, errors.New("wallet: no principal behind the auth guard")
	}
	return copperx.NewToken(principal.Token.Reveal()), nil
}

// apiErr wraps an API failure for the error hooks, which word it for
// every plugin alike: a 401/403 asks for a new login and CopperX not
// answering (5xx, 429, no answer) is "CopperX is not answering right now"
// (both the auth plugin's); anything else is the kernel's apology.
func apiErr(op string, err error) error {
	return fmt.Errorf("wallet: %s: %w", op, err)
}

// logInvalid logs a balance the API sent that does not parse, once per
// wallet, token and value (bounded, so a flood cannot grow memory).
func (p *Wallet) logInvalid(walletID, network string, b copperx.Balance) {
	key := walletID + "|" + b.Symbol + "|" + b.Raw
	p.mu.Lock()
	seen := p.logged[key]
	if !seen && len(p.logged) < 1024 {
		p.logged[key] = true
	}
	p.mu.Unlock()
	if seen {
		return
	}
	raw := b.Raw
	if len(raw) > 40 {
		raw = raw[:40] + "…"
	}
	p.log.Warn("balance does not parse; shown as unavailable", "wallet", walletID, "network", network,
		"symbol", b.Symbol, "raw", raw)
}

// networkName is the name people see, as HTML for message data: the
// configured name, "network <id>" (localized) for an id config does not
// know, marked when it is a test network.
func (p *Wallet) networkName(c *kernel.Ctx, id string) i18n.HTML {
	info, known := p.nets.Lookup(id)
	switch {
	case !known:
		return i18n.HTML(c.T("wallet.unknown_network", map[string]any{"id": id}))
	case info.Testnet:
		return i18n.HTML(c.T("wallet.testnet", map[string]any{"network": info.Name}))
	}
	return i18n.HTML(i18n.Escape(info.Name))
}

// networkLabel is networkName as plain text for a button label (labels are
// not HTML, so nothing is escaped).
func (p *Wallet) networkLabel(c *kernel.Ctx, id string) string {
	return html.UnescapeString(string(p.networkName(c, id)))
}

// fits reports whether the plugin's callback with args fits in a button's
// data (at most 64 bytes, no ':' in an argument). Chain ids come from the
// API: a network whose id would not fit gets no button rather than a
// keyboard Telegram refuses.
func fits(callback string, args ...string) bool {
	_, err := kernel.CallbackData("wallet", callback, args...)
	return err == nil
}

// sortWallets puts the default wallet first, then the networks in display
// order.
func (p *Wallet) sortWallets(wallets []copperx.Wallet) {
	slices.SortStableFunc(wallets, func(a, b copperx.Wallet) int {
		if a.IsDefault != b.IsDefault {
			if a.IsDefault {
				return -1
			}
			return 1
		}
		return p.cmpNetworks(a.Network, b.Network)
	})
}

// cmpNetworks orders chain ids for display, as copperx.Networks.Sort does.
func (p *Wallet) cmpNetworks(a, b string) int {
	infoA, _ := p.nets.Lookup(a)
	infoB, _ := p.nets.Lookup(b)
	if infoA.Order != infoB.Order {
		return cmp.Compare(infoA.Order, infoB.Order)
	}
	return strings.Compare(infoA.Name, infoB.Name)
}

// ref is how a wallet id travels in callback data: the id itself, or its
// index in the listing ("~3") when the id would not fit.
func ref(listing []string, id string) string {
	if id != "" && !strings.HasPrefix(id, "~") && fits("askdef", id) { // askdef and setdef are the longest
		return id
	}
	return fmt.Sprintf("~%d", slices.Index(listing, id))
}

// resolve maps a callback's wallet reference back to a wallet id of the
// last listing; anything else is a stale or forged button.
func resolve(c *kernel.Ctx) (string, error) {
	args := c.Args()
	if len(args) != 1 {
		return "", kernel.ErrStaleCallback
	}
	var listing []string
	c.Get(listingKey, &listing)
	arg := args[0]
	if n, ok := strings.CutPrefix(arg, "~"); ok {
		var i int
		if _, err := fmt.Sscan(n, &i); err != nil || i < 0 || i >= len(listing) || fmt.Sprint(i) != n {
			return "", kernel.ErrStaleCallback
		}
		return listing[i], nil
	}
	if !slices.Contains(listing, arg) {
		return "", kernel.ErrStaleCallback
	}
	return arg, nil
}
