package wallet_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"slices"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestBalanceSeveralNetworksAndTokens(t *testing.T) {
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.emu.SetBalance(email, "137", "USDC", "1234567.890123")
			e.emu.SetBalance(email, "777", "USDC", "2") // a chain id config does not know
			u := e.login(lang)
			r := u.Send("/balance")
			m := lastOf(t, r, "send")
			golden(t, "balance_"+lang, render(m))
			want := map[string][]string{
				"en": {"<b>Polygon</b> ⭐ default\n• 1,234,567.890123 USDC", "<b>network 777</b>\n• 2.00 USDC",
					"• 5.00 STRK", "<b>Total across networks</b>\n• 1,234,965.140123 USDC\n• 5.00 STRK"},
				"es": {"<b>Polygon</b> ⭐ principal\n• 1.234.567,890123 USDC", "• 1.234.965,140123 USDC", "<b>red 777</b>"},
			}[lang]
			for _, s := range want {
				if !strings.Contains(m.Text, s) {
					t.Errorf("balance lacks %q:\n%s", s, m.Text)
				}
			}
			// Default first, then the configured order, unknown ids last.
			order := []string{"Polygon", "Arbitrum One", "Base", "Starknet", map[string]string{"en": "network 777", "es": "red 777"}[lang]}
			last := -1
			for _, n := range order {
				i := strings.Index(m.Text, "<b>"+n+"</b>")
				if i <= last {
					t.Fatalf("%s out of order in:\n%s", n, m.Text)
				}
				last = i
			}
		})
	}
}

func TestRefreshEditsInPlace(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	first := lastOf(t, u.Send("/balance"), "send")
	e.emu.SetBalance(email, "8453", "USDC", "310.5")
	r := u.Tap("Refresh")
	if slices.Contains(r.Kinds(), "send") {
		t.Fatalf("refresh sent a new message: %v", r.Kinds())
	}
	ed := lastOf(t, r, "edit")
	if ed.ID != first.ID {
		t.Fatalf("refresh edited message %d, want %d", ed.ID, first.ID)
	}
	if !strings.Contains(ed.Text, "• 310.50 USDC") || !strings.Contains(ed.Text, "• 1,656.25 USDC") {
		t.Fatalf("refreshed balance:\n%s", ed.Text)
	}
	r.Expect(t, "Balances updated")
	// Nothing changed: Telegram's "not modified" is not an error.
	u.Tap("Refresh").Expect(t, "Balances updated")
	if n := len(e.h.API.Messages(42)); n != 2 { // login reply + the balance
		t.Fatalf("%d messages in the chat, want 2", n)
	}
}

func TestSendAndWalletsButtons(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	u.Send("/balance")
	u.Tap("Send").Expect(t, "Send flow (stub).")
	u.Send("/balance")
	r := u.Tap("Wallets")
	m := lastOf(t, r, "send")
	if !strings.Contains(m.Text, "Your wallets") {
		t.Fatalf("wallets:\n%s", m.Text)
	}
}

func TestSetDefaultWithConfirm(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, setup{opts: func(o *kerneltest.Options) {
				if backend == "redis" {
					rdb, prefix := storetest.Redis(t)
					o.Store = store.NewRedis(rdb, prefix)
				}
			}})
			u := e.login("en")
			base := e.walletOn("8453")
			list := lastOf(t, u.Send("/wallets"), "send")
			if !strings.Contains(list.Text, "<b>Polygon</b> — <code>0x") || !strings.Contains(list.Text, "⭐ default") {
				t.Fatalf("list:\n%s", list.Text)
			}
			if got := list.AllButtons()[0].Text; !strings.HasPrefix(got, "⭐ Polygon · 0x") {
				t.Fatalf("first button %q, want the default wallet", got)
			}

			d := lastOf(t, u.Tap("Base ·"), "edit")
			if d.ID != list.ID || !strings.Contains(d.Text, "<code>"+base.WalletAddress+"</code>") ||
				!strings.Contains(d.Text, "• 300.00 USDC") || !strings.Contains(d.Text, `href="https://basescan.org/address/`+base.WalletAddress+`"`) {
				t.Fatalf("details (message %d, list %d):\n%s", d.ID, list.ID, d.Text)
			}
			if btn := d.AllButtons()[0]; btn.Copy != base.WalletAddress {
				t.Fatalf("copy button = %+v", btn)
			}

			c := lastOf(t, u.Tap("Make default"), "edit")
			if c.ID != list.ID || !strings.Contains(c.Text, "Make your <b>Base</b> wallet") {
				t.Fatalf("confirm:\n%s", c.Text)
			}
			if n := len(e.emu.CallsTo("POST", "/api/wallets/default")); n != 0 {
				t.Fatalf("default changed before confirming (%d calls)", n)
			}
			done := lastOf(t, u.Tap("Yes"), "edit")
			if done.ID != list.ID || !strings.Contains(done.Text, "Your <b>Base</b> wallet is now the default.") ||
				!strings.HasPrefix(done.AllButtons()[0].Text, "⭐ Base") {
				t.Fatalf("updated list:\n%s", render(done))
			}
			if got := e.defaultNetwork(); got != "8453" {
				t.Fatalf("emulator default = %s, want 8453", got)
			}
			// The details of the new default offer no "Make default".
			d = lastOf(t, u.Tap("⭐ Base"), "edit")
			for _, b := range d.AllButtons() {
				if strings.Contains(b.Text, "Make default") {
					t.Fatal("default wallet offers Make default")
				}
			}
			lastOf(t, u.Tap("Back"), "edit")
		})
	}
}

func TestCancelMakeDefault(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	u.Send("/wallets")
	u.Tap("Base ·")
	u.Tap("Make default")
	lastOf(t, u.Tap("No"), "edit")
	if got := e.defaultNetwork(); got != "137" {
		t.Fatalf("default = %s after No", got)
	}
}

func TestCreateWallet(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	u.Send("/wallets")
	ch := lastOf(t, u.Tap("New wallet"), "edit")
	// The API offers 137, 8453, 42161, 23434, 1399811149; the demo account
	// holds all but Solana.
	var labels []string
	for _, b := range ch.AllButtons() {
		labels = append(labels, b.Text)
	}
	if !slices.Equal(labels, []string{"Solana", "⬅️ Back"}) {
		t.Fatalf("new wallet choices = %q", labels)
	}
	r := u.Tap("Solana")
	m := lastOf(t, r, "edit")
	sol := e.walletOn("1399811149")
	if !strings.Contains(m.Text, "Your new <b>Solana</b> wallet is ready.") || !strings.Contains(m.Text, sol.WalletAddress) {
		t.Fatalf("created:\n%s", m.Text)
	}
	if n := len(e.emu.CallsTo("POST", "/api/wallets")); n != 1 {
		t.Fatalf("%d create calls", n)
	}
	// Its buttons work: the new id was added to the listing.
	u.Tap("Make default")
	u.Tap("Yes").Expect(t, "Your <b>Solana</b> wallet is now the default.")
	if got := e.defaultNetwork(); got != "1399811149" {
		t.Fatalf("default = %s", got)
	}
	u.Tap("New wallet").Expect(t, "You already have a wallet on every network CopperX offers.")
	// A replayed create of a network now held is refused, nothing created.
	r = u.Handle(u.CallbackUpdate(m.ID, "wallet:create:1399811149"))
	r.Expect(t, "This button has expired")
	if n := len(e.emu.CallsTo("POST", "/api/wallets")); n != 1 {
		t.Fatalf("%d create calls after replay", n)
	}
}

// decodeQR reads the text of a QR code PNG.
func decodeQR(t *testing.T, png []byte) (string, int) {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.GetText(), img.Bounds().Dx()
}

func TestDepositAddressWithQR(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	poly := e.walletOn("137")
	r := u.Send("/deposit")
	ph := lastOf(t, r, "photo")
	if got, size := decodeQR(t, ph.Photo); got != poly.WalletAddress || size != 512 {
		t.Fatalf("QR = %q (%dpx), want %q (512px)", got, size, poly.WalletAddress)
	}
	golden(t, "deposit_en", strings.ReplaceAll(render(ph), poly.WalletAddress, "<address>"))
	for _, s := range []string{"<code>" + poly.WalletAddress + "</code>", "<b>Send only USDC, and only on Polygon, to this address.</b>",
		`<a href="https://polygonscan.com/address/` + poly.WalletAddress + `">`} {
		if !strings.Contains(ph.Text, s) {
			t.Errorf("caption lacks %q:\n%s", s, ph.Text)
		}
	}
	if b := ph.AllButtons()[0]; b.Copy != poly.WalletAddress {
		t.Fatalf("copy button = %+v", b)
	}

	pick := lastOf(t, u.Tap("Other network"), "send")
	if !strings.Contains(pick.Text, "On which network") || len(pick.AllButtons()) != 4 {
		t.Fatalf("picker:\n%s", render(pick))
	}
	ph = lastOf(t, u.Tap("Starknet"), "photo")
	stark := e.walletOn("23434")
	if got, _ := decodeQR(t, ph.Photo); got != stark.WalletAddress || !strings.Contains(ph.Text, "only on Starknet,") {
		t.Fatalf("starknet QR %q, caption:\n%s", got, ph.Text)
	}

	// /deposit <network> goes straight there; Spanish speakers get Spanish.
	ph = lastOf(t, u.Send("/deposit base"), "photo")
	if got, _ := decodeQR(t, ph.Photo); got != e.walletOn("8453").WalletAddress {
		t.Fatalf("/deposit base QR = %q", got)
	}
	es := e.h.Private(43)
	es.LanguageCode = "es"
	es.Send("/fakelogin " + e.tok)
	es.Send("/deposit").Expect(t, "Envía a esta dirección solo USDC, y solo en Polygon.")

	// From /balance, Deposit acts as /deposit.
	u.Send("/balance")
	lastOf(t, u.Tap("Deposit"), "photo")
}

func TestDepositQRSizeFromEnv(t *testing.T) {
	e := newEnv(t, setup{opts: func(o *kerneltest.Options) {
		o.Env = append(o.Env, "COPPERX_BOT_PLUGINS__WALLET__QR_SIZE=256", "COPPERX_BOT_PLUGINS__WALLET__DEPOSIT_TOKEN=USDT")
	}})
	u := e.login("en")
	ph := lastOf(t, u.Send("/deposit"), "photo")
	if _, size := decodeQR(t, ph.Photo); size != 256 {
		t.Fatalf("QR is %dpx, want 256", size)
	}
	if !strings.Contains(ph.Text, "Send only USDT, and only on Polygon") {
		t.Fatalf("caption:\n%s", ph.Text)
	}
}

func TestEmptyAccount(t *testing.T) {
	e := newEnv(t, setup{seed: []copperxtest.SeedOption{copperxtest.SeedBare()}})
	u := e.login("en")
	m := lastOf(t, u.Send("/balance"), "send")
	golden(t, "balance_bare_en", render(m))
	// One wallet: /deposit shows it, with no "Other network".
	ph := lastOf(t, u.Send("/deposit"), "photo")
	if len(ph.AllButtons()) != 1 {
		t.Fatalf("buttons = %+v", ph.AllButtons())
	}
}

func TestNoWalletsAtAll(t *testing.T) {
	e := newEnv(t, setup{seed: []copperxtest.SeedOption{copperxtest.SeedBare()}})
	u := e.login("en")
	e.emu.Fail("GET", "/api/wallets", copperxtest.Fault{Status: 200, Body: "[]"})
	e.emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 200, Body: "[]"})
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		m := lastOf(t, u.Send(cmd), "send")
		if !strings.Contains(m.Text, "You don't have a wallet yet.") || m.AllButtons()[0].Data != "wallet:new" {
			t.Fatalf("%s:\n%s", cmd, render(m))
		}
	}
	ch := lastOf(t, u.Tap("New wallet"), "edit")
	if !strings.Contains(ch.Text, "New wallet") || len(ch.AllButtons()) != 6 { // 5 networks + Back
		t.Fatalf("choices:\n%s", render(ch))
	}
}

func TestForgedCallbacksRefused(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	base := e.walletOn("8453")
	// Before any listing, even the user's own wallet id is refused.
	r := u.Handle(u.CallbackUpdate(1, "wallet:setdef:"+base.ID))
	r.Expect(t, "This button has expired")
	list := lastOf(t, u.Send("/wallets"), "send")
	for _, data := range []string{
		"wallet:setdef:3f2b8c1e-0000-4000-8000-000000000000", "wallet:setdef:~9", "wallet:setdef:~-1", "wallet:setdef:~01",
		"wallet:setdef", "wallet:setdef:a:b", "wallet:askdef:nope", "wallet:show:nope", "wallet:create:999",
		"wallet:create", "wallet:addr:999", "wallet:addr", "wallet:deposit:zzz", "wallet:nope",
	} {
		r := u.Handle(u.CallbackUpdate(list.ID, data))
		if !r.Contains("This button has expired") {
			t.Errorf("%s: %q", data, r.Text())
		}
	}
	if n := len(e.emu.CallsTo("POST", "/api/wallets/default")) + len(e.emu.CallsTo("POST", "/api/wallets")); n != 0 {
		t.Fatalf("%d state-changing calls", n)
	}
	if got := e.defaultNetwork(); got != "137" {
		t.Fatalf("default = %s", got)
	}
	if m := e.h.API.Message(42, list.ID); m.Text != list.Text || m.Edits != 0 {
		t.Fatal("the list changed")
	}
}

func TestLoginRequired(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.h.Private(42)
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		u.Send(cmd).Expect(t, "Please log in first")
	}
	if n := len(e.emu.Calls()); n != 0 {
		t.Fatalf("%d API calls without login", n)
	}
}

func TestAPIFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault copperxtest.Fault
		want  string
	}{
		{"server error", copperxtest.Fault{Status: 500}, "Sorry, something went wrong on my side"},
		{"not answering", copperxtest.Fault{DropConnection: true}, "CopperX is not answering right now"},
		{"rate limited", copperxtest.Fault{Status: 429}, "CopperX is busy right now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			u := e.login("en")
			u.Send("/wallets")
			e.emu.Fail("", "/api/wallets", tc.fault)
			e.emu.Fail("", "/api/wallets/*", tc.fault)
			for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
				r := u.Send(cmd).Expect(t, tc.want)
				if strings.Contains(r.Text(), "copperx:") || strings.Contains(r.Text(), "500") {
					t.Fatalf("%s leaks the raw error: %s", cmd, r.Text())
				}
			}
			u.Tap("⭐ Polygon").Expect(t, tc.want)
			if strings.Contains(e.h.Logs.String(), e.tok) {
				t.Fatal("token logged")
			}
		})
	}
}

func TestUnparseableBalance(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	ws := e.wallets()
	var poly, base string
	for _, w := range ws {
		switch w.Network {
		case "137":
			poly = w.ID
		case "8453":
			base = w.ID
		}
	}
	body, _ := json.Marshal([]map[string]any{
		{"walletId": poly, "isDefault": true, "network": "137", "balances": []map[string]any{
			{"decimals": 6, "balance": "12,5 oops", "symbol": "USDC", "address": "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"}}},
		{"walletId": base, "isDefault": false, "network": "8453", "balances": []map[string]any{
			{"decimals": 6, "balance": "300.25", "symbol": "USDC", "address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"}}},
	})
	e.emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 200, Body: string(body)})
	m := lastOf(t, u.Send("/balance"), "send")
	for _, s := range []string{"<b>Polygon</b> ⭐ default\n• USDC: <i>unavailable right now</i>",
		"• 300.25 USDC <i>(partial: some balances are unavailable)</i>"} {
		if !strings.Contains(m.Text, s) {
			t.Errorf("balance lacks %q:\n%s", s, m.Text)
		}
	}
	if strings.Contains(m.Text, "• 0.00 USDC") || strings.Contains(m.Text, "Nothing here yet") {
		t.Fatalf("an unparseable balance shown as zero:\n%s", m.Text)
	}
	u.Tap("Refresh")
	u.Send("/wallets")
	u.Tap("⭐ Polygon").Expect(t, "USDC: <i>unavailable right now</i>")
	if n := strings.Count(e.h.Logs.String(), "balance does not parse"); n != 1 {
		t.Fatalf("logged %d times, want once", n)
	}
}

func TestTestnets(t *testing.T) {
	for _, show := range []bool{false, true} {
		t.Run(fmt.Sprint("show=", show), func(t *testing.T) {
			e := newEnv(t, setup{walletBlock: fmt.Sprintf("{enabled: true, show_testnets: %v}", show)})
			e.emu.SetBalance(email, "80002", "USDC", "0")    // empty testnet wallet
			e.emu.SetBalance(email, "84532", "USDC", "12.5") // testnet wallet with funds
			u := e.login("en")
			m := lastOf(t, u.Send("/balance"), "send")
			if got := strings.Contains(m.Text, "Polygon Amoy"); got != show {
				t.Errorf("empty testnet wallet shown = %v:\n%s", got, m.Text)
			}
			if !strings.Contains(m.Text, "<b>Base Sepolia 🧪</b>\n• 12.50 USDC") {
				t.Errorf("funded testnet wallet missing:\n%s", m.Text)
			}
			// Test money is not added to the totals.
			if !strings.Contains(m.Text, "<b>Total across networks</b>\n• 1,645.75 USDC") {
				t.Errorf("totals:\n%s", m.Text)
			}
		})
	}
}

func TestStartMenuSendsNewMessages(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	menu := lastOf(t, u.Send("/start"), "send")
	for _, label := range []string{"Wallet balances", "Your wallets"} {
		r := u.Tap(label)
		if m := lastOf(t, r, "send"); m.ID == menu.ID {
			t.Fatalf("%s replaced the menu", label)
		}
		if slices.Contains(r.Kinds(), "edit") {
			t.Fatalf("%s edited a message: %v", label, r.Kinds())
		}
	}
	lastOf(t, u.Tap("Deposit address"), "photo")
	if m := e.h.API.Message(42, menu.ID); m.Edits != 0 {
		t.Fatal("the /start menu was edited")
	}
}

func TestExpiredTokenGoesToTheAuthHook(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.login("en")
	u.Send("/wallets")
	e.emu.ExpireToken(e.tok)
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		r := u.Send(cmd).Expect(t, "Please log in again (stub).")
		if r.Contains("Sorry") {
			t.Fatalf("%s: %s", cmd, r.Text())
		}
	}
	u.Tap("⭐ Polygon").Expect(t, "Please log in again (stub).")
}

func TestPrivateChatsOnly(t *testing.T) {
	e := newEnv(t, setup{})
	e.login("en")
	g := e.h.Group(-100, 42)
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		g.Send(cmd).Expect(t, "only do this in a private chat")
	}
	if n := len(e.emu.CallsTo("", "/api/wallets/balances")) + len(e.emu.CallsTo("", "/api/wallets")); n != 0 {
		t.Fatalf("%d API calls from a group", n)
	}
}
