package transfer

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// TestPayingTranscripts records the paying wallet and the fee before
// Confirm, and the statements (testdata/*.golden; go test -run
// TestPayingTranscripts -update rewrites them).
func TestPayingTranscripts(t *testing.T) {
	t.Run("pay_from", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkPolygon, "USDC", "5")
		tr := e.transcript()
		tr.Send("/send")
		tr.Tap("Email")
		tr.Send("bob@example.com")
		tr.Send("50")
		tr.Tap("Pay from your Base wallet")
		tr.Tap("Yes, make it default")
		tr.Tap("Gift")
		tr.Check(t, "pay_from")
	})
	t.Run("pay_from_wallet_send", func(t *testing.T) {
		e := newEnv(t, setup{})
		starknet := "0x0" + strings.Repeat("ab", 30) + "cd"
		tr := e.transcript().Replace(starknet, "<starknet address>")
		tr.Send("/send")
		tr.Tap("Wallet address")
		tr.Send(bobAddress)
		tr.Send("10")
		tr.Tap("Gift")
		tr.Tap("Pay from another wallet")
		tr.Tap("Polygon")
		tr.Tap("Starknet")
		tr.Tap("Yes, make it default")
		tr.Send(starknet)
		tr.Tap("Confirm")
		tr.Check(t, "pay_from_wallet_send")
	})
	t.Run("fee_estimate", func(t *testing.T) {
		e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("0.5"))}})
		e.sendTo(t, "bob@example.com", "10")
		e.U.Tap("Confirm")
		tr := e.transcript()
		tr.Send("/send")
		tr.Tap("Email")
		tr.Send("carol@example.com")
		tr.Send("200")
		tr.Tap("Gift")
		tr.Check(t, "fee_estimate")
	})
	t.Run("withdraw_total", func(t *testing.T) {
		e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("1"))}})
		tr := e.transcript()
		tr.Send("/withdraw")
		tr.Tap("Chase Bank")
		tr.Send("100")
		tr.Tap("Continue")
		tr.Tap("Myself")
		tr.Tap("Savings")
		tr.Check(t, "withdraw_total")
	})
	t.Run("statement", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.world(t)
		// The deposit's sender is random: its address, shortened or not.
		tr := e.transcript().Scrub(`0x[0-9a-f]{40}\b`, "<address>").Scrub(`0x[0-9a-f]{4}…[0-9a-f]{4}`, "<sender>")
		tr.Send("/history")
		tr.Tap("Filter")
		tr.Tap("Sent")
		tr.Tap("✓ Sent")
		tr.Tap("Last 7 days")
		tr.Tap("Show")
		tr.Tap("2")
		tr.Tap("Back")
		tr.Tap("Export CSV")
		tr.Tap("Filter")
		tr.Tap("Type dates")
		tr.Send("yesterday")
		tr.Send("2026-03-19 2026-03-20")
		tr.Check(t, "statement")
	})
	t.Run("history_empty", func(t *testing.T) {
		e := newEnv(t, setup{})
		tr := e.transcript()
		tr.Send("/history")
		tr.Tap("Deposit")
		tr.Check(t, "history_empty")
	})
}
