package transfer

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// transcript records e's chat for a golden file, with confirmation ids,
// transfer ids and transaction hashes replaced.
func (e *env) transcript() *kerneltest.Transcript {
	return kerneltest.NewTranscript(e.U).
		Scrub(`(confirm\.confirm )[a-z2-7]{12}\b`, "${1}<confirmation>").
		Scrub(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`, "<id>").
		Scrub(`0x[0-9a-f]{64}`, "<hash>")
}

// TestTranscripts records the conversations a person has with the plugin
// (testdata/*.golden; go test -run TestTranscripts -update rewrites them).
func TestTranscripts(t *testing.T) {
	t.Run("send", func(t *testing.T) {
		e := newEnv(t, setup{})
		tr := e.transcript()
		tr.Send("/send")
		tr.Tap("Email")
		tr.Send("bob@example")
		tr.Send("bob@example.com")
		tr.Send("1e3")
		tr.Send("10.5")
		tr.Tap("Gift")
		summary, confirm := e.button(t, "Confirm")
		tr.Tap("Confirm")
		tr.Record("> (tap again) Confirm", e.tapData(summary.ID, confirm.Data))
		tr.Tap("Save as payee")
		tr.Check(t, "send")
	})
	t.Run("send_wallet", func(t *testing.T) {
		e := newEnv(t, setup{})
		tr := e.transcript()
		tr.Send("/send")
		tr.Tap("Wallet address")
		tr.Send("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
		tr.Send(bobAddress)
		tr.Send("12,5")
		tr.Tap("Myself")
		tr.Tap("Confirm")
		tr.Check(t, "send_wallet")
	})
	t.Run("send_payee", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.addPayee(t, "carol", "carol@example.com")
		tr := e.transcript()
		tr.Send("/send")
		tr.Tap("Saved payee")
		tr.Tap("carol")
		tr.Send("20")
		tr.Tap("Family")
		tr.Tap("Cancel")
		tr.Send("20")
		tr.Check(t, "send_payee")
	})
	t.Run("send_trouble", func(t *testing.T) {
		e := newEnv(t, setup{})
		tr := e.transcript()
		tr.Send("/send")
		tr.Tap("Email")
		tr.Send("bob@example.com")
		tr.Send("9")
		tr.Tap("Gift")
		e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{Status: 500, Times: 1})
		summary, confirm := e.button(t, "Confirm")
		tr.Tap("Confirm")
		tr.Record("> (tap again) Confirm", e.tapData(summary.ID, confirm.Data))
		tr.Send("/send")
		tr.Tap("Email")
		tr.Send("bob@example.com")
		tr.Send("9")
		tr.Tap("Gift")
		e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{DropConnection: true, Times: 1})
		tr.Tap("Confirm")
		tr.Check(t, "send_trouble")
	})
	t.Run("withdraw", func(t *testing.T) {
		e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(2 * time.Minute)}})
		tr := e.transcript()
		tr.Send("/withdraw")
		tr.Tap("Chase Bank")
		tr.Send("100")
		tr.Tap("Continue")
		tr.Tap("Myself")
		tr.Tap("Savings")
		e.H.Clock.Advance(3 * time.Minute)
		tr.Tap("Confirm")
		tr.Tap("Confirm")
		tr.Check(t, "withdraw")
	})
	t.Run("withdraw_quote_refused", func(t *testing.T) {
		e := newEnv(t, setup{})
		tr := e.transcript()
		tr.Send("/withdraw")
		tr.Tap("Chase Bank")
		tr.Send("5000")
		e.Emu.SetQuoteError("Provider unavailable")
		tr.Send("30")
		e.Emu.SetQuoteError("")
		tr.Tap("Get a new quote")
		tr.Tap("Continue")
		tr.Tap("Gift")
		tr.Tap("Loan")
		e.Emu.Fail("POST", "/api/transfers/offramp", copperxtest.Fault{Status: 422, Body: `{"message":"Quote already used. Please request a new quote","statusCode":422}`, Times: 1})
		tr.Tap("Confirm")
		tr.Tap("Continue")
		tr.Tap("Gift")
		tr.Tap("Loan")
		tr.Tap("Confirm")
		tr.Check(t, "withdraw_quote_refused")
	})
	t.Run("history", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.Emu.AddTransfers(plugintest.Email, 12)
		tr := e.transcript()
		tr.Send("/history")
		tr.Tap("Next")
		tr.Tap("11")
		tr.Tap("Back")
		tr.Check(t, "history")
	})
}
