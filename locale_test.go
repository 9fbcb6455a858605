package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// TestThirdLanguageIsOneFile: a language added as one YAML file (laid over
// the built-in ones, as i18n.dir does) writes and reads amounts its way on
// every screen — balances, the amount prompt, the summary, the receipt and
// a deposit message — with no Go code naming it.
func TestThirdLanguageIsOneFile(t *testing.T) {
	w := newCrawlWorld(t, variant{name: "pt-BR", lang: "pt-BR"}, func(o *kerneltest.Options) {
		o.LocaleOverlay = os.DirFS("locales/testdata")
	})
	u := w.u
	u.Send("/balance").Expect(t, "Seus saldos", "1.250,50 USDC")
	u.Send("/send")
	u.Tap("Email")
	u.Send("bob@example.com").Expect(t, "Between 1,00 and 50.000,00", "1.250,50")
	u.Send("1.000").Expect(t, "What is this payment for?") // a thousand, the language's way
	u.Tap("Gift").Expect(t, "Amount: <b>1.000,00 USDC</b>", "~250,50 USDC")
	u.Tap("Confirm").Expect(t, "Sent 1.000,00 USDC")
	if got := w.emu.Balance("ada@example.com", copperxtest.NetworkPolygon, "USDC"); !got.Equal(decimal.RequireFromString("250.5")) {
		t.Fatalf("balance after sending 1.000 = %s, want 250.5", got)
	}
	u.Send("/send")
	u.Tap("Email")
	u.Send("bob@example.com")
	u.Send("12,5").Expect(t, "What is this payment for?")
	u.Tap("Gift").Expect(t, "Amount: <b>12,50 USDC</b>")
	u.Send("/cancel")

	stop, err := w.h.Kernel.StartServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	org := w.emu.OrgID("ada@example.com")
	// The subscription is live once the channel is: retry the deposit
	// event until a message arrives, or give up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := w.emu.Deposit(org, decimal.RequireFromString("1234.5"), "USDC", copperxtest.NetworkPolygon); err != nil {
			t.Fatal(err)
		}
		if m := waitMessage(w, "Deposit received", 500*time.Millisecond); m != "" {
			if !strings.Contains(m, "1.234,50") {
				t.Fatalf("deposit message in pt-BR:\n%s", m)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no deposit message")
		}
	}
}

// waitMessage waits up to d for a bot message containing s in the
// world's chat and returns its text ("" when none came).
func waitMessage(w *crawlWorld, s string, d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		for _, m := range w.h.API.Messages(w.u.ChatID) {
			if strings.Contains(m.Text, s) {
				return m.Text
			}
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
}
