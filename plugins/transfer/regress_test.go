package transfer

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/auth"
)

// sendTo walks a /send of amount to email up to the summary.
func (e *env) sendTo(t *testing.T, email, amount string) {
	t.Helper()
	e.u.Send("/send").Expect(t, "Who should receive it?")
	e.u.Tap("Email").Expect(t, "email address")
	e.u.Send(email).Expect(t, "How much USDC?")
	e.u.Send(amount).Expect(t, "What is this payment for?")
	e.u.Tap("Gift").Expect(t, "Please check your transfer")
}

// An earlier identical transfer (same recipient, same amount, inside
// reconcile_skew) must never be taken for a submit whose answer was lost.
func TestReconcileNeverMatchesEarlierTransfer(t *testing.T) {
	for name, fault := range map[string]copperxtest.Fault{
		"dropped connection": {DropConnection: true, Times: 1},
		"503":                {Status: 503, Times: 1},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOpt{})
			e.sendTo(t, "bob@example.com", "10")
			e.u.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
			first := e.emu.Transfers(userEmail)[0].ID
			e.h.Clock.Advance(30 * time.Second)
			e.sendTo(t, "bob@example.com", "10")
			e.emu.Fail("POST", "/api/transfers/send", fault)
			r := e.u.Tap("Confirm").Expect(t, "/history before trying again")
			if r.Contains("Sent 10.00") || r.Contains(first) {
				t.Fatalf("reported the earlier transfer as this one: %q", r.Text())
			}
			if n := len(e.emu.Transfers(userEmail)); n != 1 {
				t.Fatalf("%d transfers made, want 1", n)
			}
		})
	}
	t.Run("listing before the submit failed", func(t *testing.T) {
		// Without the earlier ids, only a transfer created since the submit
		// started counts (no skew backwards), and "not found" stays unknown.
		for name, fault := range map[string]copperxtest.Fault{
			"dropped connection": {DropConnection: true, Times: 1},
			"503":                {Status: 503, Times: 1},
		} {
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, envOpt{})
				e.sendTo(t, "bob@example.com", "10")
				e.u.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
				first := e.emu.Transfers(userEmail)[0].ID
				e.h.Clock.Advance(30 * time.Second)
				e.sendTo(t, "bob@example.com", "10")
				e.emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 400, Times: 1})
				e.emu.Fail("POST", "/api/transfers/send", fault)
				r := e.u.Tap("Confirm").Expect(t, "look at /history before trying again")
				if r.Contains("Sent 10.00") || r.Contains(first) || r.Contains("most likely not sent") {
					t.Fatalf("told %q", r.Text())
				}
			})
		}
	})
	t.Run("listing before the submit failed, transfer made", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.sendTo(t, "bob@example.com", "10")
		e.emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 400, Times: 1})
		e.emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{LoseResponse: true, Times: 1})
		r := e.u.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
		if id := e.emu.Transfers(userEmail)[0].ID; !r.Contains(id) {
			t.Fatalf("reply %q lacks %s", r.Text(), id)
		}
	})
}

func TestValidEmailStrict(t *testing.T) {
	for _, in := range []string{
		"\u200fbob@example.com", "bob\u200b@example.com", "bob@exa\u200bmple.com", "bob@example.com\u200e",
		"b\u00adob@example.com", "bob\u2060@example.com", "bob\ufeff@example.com", "bob\x00@example.com", "bob\t@example.com",
		"bоb@example.com", // Cyrillic о
		"😀@example.com", "bob@例え.jp", "bob@exämple.com",
		"bob@example", "bob@.example.com", "bob@example.com.", "bob@-example.com", "bob@example.c", "bob@example.123",
		".bob@example.com", "bob.@example.com", "b..ob@example.com", "bob@@example.com", "@example.com", "bob@",
		"Bob <bob@example.com>", "\"bob\"@example.com", "bob@[127.0.0.1]", "bob smith@example.com",
		strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("b", 250) + ".com",
	} {
		if got, ok := validEmail(in); ok {
			t.Errorf("validEmail(%q) = %q, want refused", in, got)
		}
	}
	for in, want := range map[string]string{
		"bob@example.com":        "bob@example.com",
		"Bob.Smith@Example.COM":  "Bob.Smith@example.com",
		"o'brien+tag@mail.co.uk": "o'brien+tag@mail.co.uk",
		"bob@xn--r8jz45g.jp":     "bob@xn--r8jz45g.jp",
	} {
		if got, ok := validEmail(in); !ok || got != want {
			t.Errorf("validEmail(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"bob@example.com", "\u200fbob@example.com", "bоb@example.com", "a.b-c+d@x-y.example.org", "😀@example.com", "Bob@EXAMPLE.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := validEmail(in)
		if !ok {
			return
		}
		if len(got) > copperx.MaxEmailLength || !utf8.ValidString(got) {
			t.Fatalf("validEmail(%q) = %q: too long or not UTF-8", in, got)
		}
		for _, r := range got {
			if r > unicode.MaxASCII || !unicode.IsGraphic(r) || unicode.IsSpace(r) {
				t.Fatalf("validEmail(%q) = %q has %U", in, got, r)
			}
		}
		local, domain, _ := strings.Cut(got, "@")
		if strings.Count(got, "@") != 1 || !strings.Contains(domain, ".") || domain != strings.ToLower(domain) || local == "" {
			t.Fatalf("validEmail(%q) = %q", in, got)
		}
		if again, ok := validEmail(got); !ok || again != got {
			t.Fatalf("validEmail not idempotent: %q → %q → %q, %v", in, got, again, ok)
		}
		if !strings.EqualFold(got, in) {
			t.Fatalf("validEmail(%q) = %q changed more than case", in, got)
		}
	})
}

func TestSendRefusesHiddenCharacters(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.u.Send("/send")
	e.u.Tap("Email")
	for _, in := range []string{"\u200fbob@example.com", "bob\u200b@example.com", "bоb@example.com", "😀@example.com", "bob@例え.jp"} {
		e.u.Send(in).Expect(t, "doesn't look like an email address")
	}
	e.u.Send("bob@Example.com").Expect(t, "How much USDC?")
	e.u.Send("10")
	e.u.Tap("Gift").Expect(t, "To: <b>bob@example.com</b>")
}

func TestSendRefusesPayeeWithHiddenCharacters(t *testing.T) {
	e := newEnv(t, envOpt{})
	p, err := e.api.CreatePayee(context.Background(), copperx.NewToken(e.tok), copperx.CreatePayeeRequest{NickName: "bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	e.u.Send("/send")
	e.u.Tap("Saved payee").Expect(t, "Choose a payee")
	e.emu.Fail("GET", "/api/payees/"+p.ID, copperxtest.Fault{Status: 200, Times: 1,
		Body: `{"id":"` + p.ID + `","nickName":"bob","email":"bob\u200b@example.com"}`})
	e.u.Tap("bob").Expect(t, "can't show safely")
	if e.posts("/api/transfers/send") != 0 {
		t.Fatal("sent")
	}
}

// "Get a new quote" refused (not enough balance now, or out of range) must
// leave the flow taking a new amount.
func TestRequoteRefusedTakesANewAmount(t *testing.T) {
	t.Run("at the summary", func(t *testing.T) {
		e := newEnv(t, envOpt{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(time.Minute)}})
		e.toQuote(t, "1000")
		e.u.Tap("Continue")
		e.u.Tap("Salary")
		e.u.Tap("Salary").Expect(t, "Please check your withdrawal")
		e.h.Clock.Advance(2 * time.Minute)
		e.u.Tap("Confirm").Expect(t, "That quote expired")
		e.emu.SetBalance(userEmail, copperxtest.NetworkPolygon, "USDC", "100")
		e.u.Tap("Get a new quote").Expect(t, "You don't have enough")
		e.u.Send("50").Expect(t, "Your quote", "Amount: <b>50.00 USDC</b>")
		e.u.Tap("Continue")
		e.u.Tap("Salary")
		e.u.Tap("Salary")
		e.u.Tap("Confirm").Expect(t, "Withdrawal of 50.00 USDC")
	})
	t.Run("at the quote", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.toQuote(t, "1000")
		e.emu.SetBalance(userEmail, copperxtest.NetworkPolygon, "USDC", "100")
		e.u.Tap("Get a new quote").Expect(t, "You don't have enough")
		e.u.Send("50").Expect(t, "Your quote", "Amount: <b>50.00 USDC</b>")
	})
}

const realAuthConfig = `
flows: {timeout: 15m}
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
plugins:
  auth: {enabled: true}
  transfer: {enabled: true}
commands:
  - {name: login, action: auth.login}
  - {name: logout, action: auth.logout}
  - {name: send, action: transfer.send}
  - {name: history, action: transfer.history}
`

// realAuth runs the plugin with the real auth plugin against an emulator
// with the users ada and eve.
func realAuth(t *testing.T) (*kerneltest.Chat, *copperxtest.Server) {
	t.Helper()
	h0 := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	emu := copperxtest.NewTestServer(t, copperxtest.WithFixedOTP("123456"), copperxtest.WithClock(func() time.Time { return h0 }))
	emu.SeedUser(userEmail)
	emu.SeedUser("eve@example.com")
	cfg := copperx.DefaultConfig()
	cfg.APIURL = emu.URL()
	cfg.Timeout = 5 * time.Second
	api, err := copperx.New(cfg, copperx.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	h := kerneltest.New(t, kerneltest.Options{Config: realAuthConfig, Plugins: []kernel.Plugin{auth.New(api), New(api, copperx.DefaultNetworks())}})
	return h.Private(42), emu
}

func login(t *testing.T, u *kerneltest.Chat, email string) {
	t.Helper()
	u.Send("/login " + email)
	u.Send("123456")
}

// A result's buttons belong to the CopperX account that confirmed it, not
// to whoever is logged in on the same Telegram account later.
func TestOutcomeTiedToCopperXAccount(t *testing.T) {
	u, emu := realAuth(t)
	login(t, u, userEmail)
	u.Send("/send")
	u.Tap("Email")
	u.Send("bob@example.com")
	u.Send("10")
	u.Tap("Gift")
	m, b := u.FindButton("Confirm")
	if m == nil {
		t.Fatal("no Confirm")
	}
	u.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
	save, sb := u.FindButton("Save as payee")
	if save == nil {
		t.Fatal("no Save as payee")
	}
	u.Send("/logout")
	u.Tap("Log out")
	login(t, u, "eve@example.com")
	if r := u.Handle(u.CallbackUpdate(save.ID, sb.Data)); r.Contains("Saved") {
		t.Fatalf("saved into another account: %q", r.Text())
	}
	if n := len(emu.CallsTo("POST", "/api/payees")); n != 0 {
		t.Fatalf("%d payees created", n)
	}
	if r := u.Handle(u.CallbackUpdate(m.ID, b.Data)); r.Contains("Already sent") {
		t.Fatalf("another account's outcome shown: %q", r.Text())
	}
	if n := len(emu.CallsTo("POST", "/api/transfers/send")); n != 1 {
		t.Fatalf("%d sends", n)
	}
}

func TestSubmitRefusals(t *testing.T) {
	for st, want := range map[int]string{
		400: "CopperX refused this transfer. Nothing was sent.",
		403: "CopperX refused this transfer. Nothing was sent.",
		404: "CopperX refused this transfer. Nothing was sent.",
		409: "CopperX refused this transfer. Nothing was sent.",
		422: "CopperX refused this transfer. Nothing was sent.",
		429: "CopperX is busy right now. Nothing was sent. Please try again in a minute.",
	} {
		e := newEnv(t, envOpt{})
		e.sendTo(t, "bob@example.com", "10")
		e.emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{Status: st, Times: 1})
		r := e.u.Tap("Confirm")
		if !r.Contains(want) || r.Contains("went wrong") {
			t.Errorf("%d: got %q, want %q", st, r.Text(), want)
		}
		if n := e.posts("/api/transfers/send"); n != 1 {
			t.Errorf("%d: %d POSTs", st, n)
		}
		e.u.Send("/history").Expect(t, "No transfers yet")
	}
}

// A 401 at submit goes to the auth plugin's error hook: logged out, asked to
// log in again.
func TestSubmit401LogsOut(t *testing.T) {
	u, emu := realAuth(t)
	login(t, u, userEmail)
	u.Send("/send")
	u.Tap("Email")
	u.Send("bob@example.com")
	u.Send("10")
	u.Tap("Gift")
	emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{Status: 401, Times: 1})
	u.Tap("Confirm").Expect(t, "session has ended")
	if n := len(emu.CallsTo("POST", "/api/transfers/send")); n != 1 {
		t.Fatalf("%d sends", n)
	}
	if n := len(emu.CallsTo("GET", "/api/transfers")); n != 1 {
		t.Fatalf("%d listings after a 401, want only the one before the submit", n)
	}
}

func TestWalletRefusesZeroAndOwnAddress(t *testing.T) {
	e := newEnv(t, envOpt{})
	ws, err := e.api.Wallets(context.Background(), copperx.NewToken(e.tok))
	if err != nil {
		t.Fatal(err)
	}
	e.u.Send("/send")
	e.u.Tap("Wallet address")
	e.u.Send("0x0000000000000000000000000000000000000000").Expect(t, "zero address")
	for _, w := range ws {
		if w.WalletAddress == "" || w.Network != copperxtest.NetworkPolygon {
			continue
		}
		e.u.Send(w.WalletAddress).Expect(t, "one of your own wallets")
		e.u.Send("0x"+strings.ToUpper(strings.TrimPrefix(w.WalletAddress, "0x"))).Expect(t, "one of your own wallets")
	}
	e.u.Send("0x52908400098527886E0F7030069857D2E4169EE7").Expect(t, "How much USDC?")
}

func TestZeroAddress(t *testing.T) {
	for _, c := range []struct {
		format, addr string
		zero         bool
	}{
		{copperx.FormatEVM, "0x0000000000000000000000000000000000000000", true},
		{copperx.FormatEVM, "0xa6b35531f3df836abb275fcdea46cc9e52084ad6", false},
		{copperx.FormatStarknet, "0x0", true},
		{copperx.FormatStarknet, "0x" + strings.Repeat("0", 64), true},
		{copperx.FormatStarknet, "0x1", false},
		{copperx.FormatSolana, "11111111111111111111111111111111", true},
		{copperx.FormatSolana, "So11111111111111111111111111111111111111112", false},
	} {
		if err := ValidateAddress(c.format, c.addr); err != nil {
			t.Fatalf("%s %s: %v", c.format, c.addr, err)
		}
		if got := zeroAddress(c.format, c.addr); got != c.zero {
			t.Errorf("zeroAddress(%s, %s) = %v", c.format, c.addr, got)
		}
	}
}

// /history only reads: with KYC pending it still lists and details.
func TestHistoryNeedsOnlyLogin(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.sendTo(t, "bob@example.com", "10")
	e.u.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
	e.u.Send("/fakelogin " + e.tok + " pending")
	e.u.Send("/send").Expect(t, "KYC not approved")
	e.u.Send("/history").Expect(t, "Your transfers")
	e.u.Tap("1").Expect(t, "bob@example.com")
}

func TestAmountNotAnExponent(t *testing.T) {
	for in, want := range map[string]string{
		"bob@example.com": AmountInvalid, "ten": AmountInvalid, "e": AmountInvalid, "5 euros": AmountInvalid, "1e": AmountInvalid,
		"1e3": AmountExponent, "2.5E-4": AmountExponent, "1,5e+3": AmountExponent,
	} {
		_, err := ParseAmount(in, "en", 6, "USDC", decimal.RequireFromString("1000000"))
		ae, ok := err.(*AmountError)
		if !ok || ae.Reason != want {
			t.Errorf("ParseAmount(%q) = %v, want %s", in, err, want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	for _, c := range []struct{ rate, lang, want string }{
		{"0.92", "es", "0,92"}, {"0.92", "en", "0.92"}, {"1", "en", "1"}, {"85.25", "es", "85,25"}, {"1234.5", "es", "1.234,5"},
	} {
		if got := formatNumber(decimal.RequireFromString(c.rate), c.lang, 0); got != c.want {
			t.Errorf("formatNumber(%s, %s) = %s, want %s", c.rate, c.lang, got, c.want)
		}
	}
}

// The summary's Confirm deadline is the quote's when that comes first.
func TestWithdrawConfirmHintQuoteExpiry(t *testing.T) {
	e := newEnv(t, envOpt{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(2 * time.Minute)}})
	e.toQuote(t, "50")
	e.u.Tap("Continue")
	e.u.Tap("Salary")
	r := e.u.Tap("Salary").Expect(t, "Tap Confirm before 10:02 UTC, when the quote expires.")
	if r.Contains("within 5 minutes") {
		t.Fatalf("summary %q", r.Text())
	}
}
