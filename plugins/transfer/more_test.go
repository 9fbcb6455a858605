package transfer

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knadh/koanf/parsers/yaml"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

func TestSpanish(t *testing.T) {
	e := newEnv(t, envOpt{lang: "es"})
	e.u.Send("/send").Expect(t, "¿Quién lo recibe?")
	e.u.Tap("Correo")
	e.u.Send("bob@example.com").Expect(t, "Entre 1,00 y 50.000,00", "Tu saldo: <b>1.250,50 USDC</b>")
	e.u.Send("0.500").Expect(t, "No sé si eso son miles o decimales", "<code>1.250,50</code>", "<code>0,50</code>")
	e.u.Send("1.000,5").Expect(t, "¿Para qué es este pago?")
	e.u.Tap("Regalo").Expect(t, "Importe: <b>1.000,50 USDC</b>", "Saldo después: ~250,00 USDC antes de comisiones")
	e.u.Tap("Confirmar").Expect(t, "Enviados 1.000,50 USDC")
	if b := e.emu.CallsTo("POST", "/api/transfers/send")[0].Body; b["amount"] != "100050000000" {
		t.Fatalf("body %v", b)
	}
	// A plain 12.5 is unambiguous in Spanish too.
	e.u.Send("/send")
	e.u.Tap("Correo")
	e.u.Send("bob@example.com")
	e.u.Send("12.5")
	e.u.Tap("Regalo").Expect(t, "Importe: <b>12,50 USDC</b>")
}

func TestKYCGuard(t *testing.T) {
	e := newEnv(t, envOpt{kyc: "pending"})
	for _, cmd := range []string{"/send", "/withdraw"} {
		e.u.Send(cmd).Expect(t, "KYC not approved")
	}
	if n := len(e.emu.Calls()); n != 0 {
		t.Fatalf("%d API calls without KYC", n)
	}
	// /history only reads: a login is enough.
	if r := e.u.Send("/history"); r.Contains("KYC not approved") {
		t.Fatalf("/history behind the kyc guard: %q", r.Text())
	}
}

func TestSendOtherNetworks(t *testing.T) {
	e := newEnv(t, envOpt{})
	ws, err := e.api.Wallets(context.Background(), copperx.NewToken(e.tok))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Network == copperxtest.NetworkStarknet {
			if _, err := e.api.SetDefaultWallet(context.Background(), copperx.NewToken(e.tok), w.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.u.Send("/send")
	e.u.Tap("Wallet address").Expect(t, "on <b>Starknet</b>", "up to 64 hex")
	e.u.Send("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T").Expect(t, "not a valid Starknet address", "0x followed by up to 64 hex characters")
	addr := "0x0" + strings.Repeat("ab", 31) + "c"
	e.u.Send(addr).Expect(t, "Your balance: <b>20.00 USDC</b>")
	e.u.Send("25").Expect(t, "your balance is 20.00 USDC")
	e.u.Send("5")
	e.u.Tap("Gift").Expect(t, "Network: Starknet")
	e.u.Tap("Confirm").Expect(t, "Sent 5.00 USDC")
	if got := e.emu.Balance(userEmail, copperxtest.NetworkStarknet, "USDC").String(); got != "15" {
		t.Fatalf("starknet balance %s", got)
	}
}

func TestWithdrawQuoteRefusedAtSubmit(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.toQuote(t, "30")
	e.u.Tap("Continue")
	e.u.Tap("Gift")
	e.u.Tap("Loan")
	e.emu.Fail("POST", "/api/transfers/offramp", copperxtest.Fault{Status: 422, Body: `{"message":"Quote already used. Please request a new quote","statusCode":422}`, Times: 1})
	e.u.Tap("Confirm").Expect(t, "That quote expired", "Nothing was sent")
	e.u.Tap("Get a new quote").Expect(t, "Please check your withdrawal", "Source of funds: Loan")
	e.u.Tap("Confirm").Expect(t, "Withdrawal of 30.00 USDC")
	if n := e.posts("/api/transfers/offramp"); n != 2 {
		t.Fatalf("%d offramp POSTs (one refused, one accepted)", n)
	}
}

// TestDoubleTapTwoReplicas taps Confirm on two bot replicas sharing one
// Redis and one CopperX at the same time: exactly one transfer.
func TestDoubleTapTwoReplicas(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	st := store.NewRedis(rdb, prefix)
	a := newEnv(t, envOpt{store: st})
	b := newEnv(t, envOpt{store: st, shared: a.emu})
	a.toAmount(t, "bob@example.com")
	a.u.Send("7")
	a.u.Tap("Gift")
	msgID, data := a.confirmData(t)
	var wg sync.WaitGroup
	var ra, rb kerneltest.Replies
	wg.Add(2)
	go func() { defer wg.Done(); ra = a.u.Handle(a.u.CallbackUpdate(msgID, data)) }()
	go func() { defer wg.Done(); rb = b.u.Handle(b.u.CallbackUpdate(msgID, data)) }()
	wg.Wait()
	if n := a.posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d POSTs from two replicas", n)
	}
	if !strings.Contains(ra.Text()+rb.Text(), "Sent 7.00 USDC") {
		t.Fatalf("no result: %q / %q", ra.Text(), rb.Text())
	}
}

// TestShippedConfig decodes the plugins.transfer block of config.yaml
// strictly, and checks an environment override reaches validation.
func TestShippedConfig(t *testing.T) {
	raw, err := os.ReadFile("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := yaml.Parser().Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	block := m["plugins"].(map[string]any)["transfer"]
	js, _ := json.Marshal(block)
	cfg := strings.Replace(testConfig, "transfer: {enabled: true}", "transfer: "+string(js), 1)
	build := func(env ...string) error {
		_, err := kerneltest.Build(t, kerneltest.Options{
			Config: cfg, Env: env,
			Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, New(nil, nil)},
			ExtraLocales: map[string]string{"en": plugintest.Locale},
		})
		return err
	}
	if err := build(); err != nil {
		t.Fatalf("shipped config: %v", err)
	}
	if err := build("COPPERX_BOT_PLUGINS__TRANSFER__SEND_MAX=0"); err == nil || !strings.Contains(err.Error(), "plugins.transfer.send_max: must be positive") {
		t.Fatalf("env override: %v", err)
	}
	bad := strings.Replace(cfg, `"currency"`, `"currencyy"`, 1)
	if _, err := kerneltest.Build(t, kerneltest.Options{Config: bad, Plugins: []kernel.Plugin{plugintest.FakeAuth{}, New(nil, nil)},
		ExtraLocales: map[string]string{"en": plugintest.Locale}}); err == nil || !strings.Contains(err.Error(), "currencyy") {
		t.Fatalf("unknown key: %v", err)
	}
}

// TestSleepRespectsContext: the wait between reconciliation listings ends
// with the update's context.
func TestSleepRespectsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleep(ctx, time.Minute); err == nil {
		t.Fatal("sleep ignored a cancelled context")
	}
	if time.Since(start) > time.Second {
		t.Fatal("sleep waited despite a cancelled context")
	}
	if err := sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
