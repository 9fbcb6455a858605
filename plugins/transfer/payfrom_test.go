package transfer

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// defaultNetwork is the network of the user's default wallet at the
// emulator.
func (e *env) defaultNetwork(t *testing.T) string {
	t.Helper()
	for _, w := range e.Wallets() {
		if w.IsDefault {
			return w.Network
		}
	}
	t.Fatal("no default wallet")
	return ""
}

// A default wallet that is short, with another that holds enough: the
// amount prompt offers to pay from that one, the switch is confirmed as in
// /wallets, and the send goes on with the amount kept — from the new
// wallet.
func TestShortDefaultWalletOffersTheSwitch(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkPolygon, "USDC", "0")
	e.U.Send("/send")
	e.U.Tap("Email")
	e.U.Send("bob@example.com").Expect(t, "Paying from your <b>Polygon</b> wallet · balance <b>0.00 USDC</b>")
	r := e.U.Send("50").Expect(t, "Your Polygon wallet, which pays, holds only 0.00 USDC",
		"Your <b>Base</b> wallet holds 300.00 USDC: pay from it instead, or type a smaller amount.", "How much USDC?")
	offer := e.U.Last()
	if got := strings.Join(offer.Labels(), "|"); got != "💳 Pay from your Base wallet|💳 Pay from your Arbitrum One wallet|✖️ Cancel" {
		t.Fatalf("offer buttons %s", got)
	}
	if k := strings.Join(r.Kinds(), " "); !strings.Contains(k, "send") {
		t.Fatalf("the offer should be a new prompt after the typed amount: %s", k)
	}
	e.U.Tap("Pay from your Base wallet").Expect(t, "Make your <b>Base</b> wallet", "the default?", "Its balance: <b>300.00 USDC</b>")
	if m := e.message(offer.ID); !strings.Contains(m.Text, "Make your <b>Base</b> wallet") {
		t.Fatalf("the confirmation should replace the offer in place: %q", m.Text)
	}
	if n := e.Posts("/api/wallets/default"); n != 0 {
		t.Fatalf("%d default changes before the confirmation", n)
	}
	// Confirmed: the default changes and the send goes on with 50 kept.
	e.U.Tap("Yes, make it default").Expect(t, "Your Base wallet is now the default.", "What is this payment for?")
	if n := e.Posts("/api/wallets/default"); n != 1 || e.defaultNetwork(t) != copperxtest.NetworkBase {
		t.Fatalf("%d default changes; default now %s", n, e.defaultNetwork(t))
	}
	e.U.Tap("Gift").Expect(t, "Amount: <b>50.00 USDC</b>", "Paying from your <b>Base</b> wallet · balance <b>300.00 USDC</b>",
		"Balance after: ~250.00 USDC")
	e.U.Tap("Confirm").Expect(t, "Sent 50.00 USDC")
	if got := e.Emu.Balance(plugintest.Email, copperxtest.NetworkBase, "USDC").String(); got != "250" {
		t.Fatalf("Base balance %s, want 250", got)
	}
	if e.Balance() != "0" {
		t.Fatalf("Polygon balance %s", e.Balance())
	}
}

// The switch can be declined: Back returns to the amount question, with
// nothing changed.
func TestPayFromBack(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkPolygon, "USDC", "10")
	e.toAmountOn(t)
	e.U.Send("50").Expect(t, "holds only 10.00 USDC")
	e.U.Tap("Pay from your Base wallet")
	e.U.Tap("Back").Expect(t, "How much USDC?", "Paying from your <b>Polygon</b> wallet")
	if _, b := e.U.FindButton("Pay from your Base"); b.Data != "" {
		t.Fatal("the offer is still there after Back")
	}
	e.U.Send("5").Expect(t, "What is this payment for?")
	if n := e.Posts("/api/wallets/default"); n != 0 {
		t.Fatalf("%d default changes", n)
	}
}

// toAmountOn walks /send to an email up to the amount question.
func (e *env) toAmountOn(t *testing.T) {
	t.Helper()
	e.U.Send("/send")
	e.U.Tap("Email")
	e.U.Send("bob@example.com").Expect(t, "How much USDC?")
}

// A wallet send whose wallet changes to another address format asks for
// the address again, saying why, and keeps the amount and purpose; one of
// the same format keeps the address.
func TestWalletSendSwitchNetwork(t *testing.T) {
	t.Run("another format", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.U.Send("/send")
		e.U.Tap("Wallet address")
		e.U.Send(bobAddress)
		e.U.Send("10")
		e.U.Tap("Gift").Expect(t, "Network: Polygon")
		e.U.Tap("Pay from another wallet").Expect(t, "Which wallet should pay?")
		if got := strings.Join(e.U.Last().Labels(), "|"); !strings.HasPrefix(got, "⭐ Polygon · 1,250.50 USDC|Base · 300.00 USDC|") {
			t.Fatalf("wallet buttons %s", got)
		}
		// The one that pays already: a notice, nothing else.
		r := e.U.Tap("Polygon").Expect(t, "Your Polygon wallet pays already.")
		if k := strings.Join(r.Kinds(), " "); k != "answer" {
			t.Fatalf("tapping the paying wallet: %s, want a notice only", k)
		}
		e.U.Tap("Starknet").Expect(t, "Make your <b>Starknet</b> wallet", "Addresses on Starknet have another format")
		e.U.Tap("Yes, make it default").Expect(t, "Your <b>Starknet</b> wallet pays now", "was for Polygon",
			"type the recipient's Starknet address", "on <b>Starknet</b>")
		addr := "0x0" + strings.Repeat("cd", 31) + "e"
		e.U.Send(addr).Expect(t, "Please check your transfer", "Network: Starknet", "Amount: <b>10.00 USDC</b>", "Purpose: Gift")
		e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
		calls := e.Emu.CallsTo("POST", "/api/transfers/wallet-withdraw")
		if len(calls) != 1 || calls[0].Body["walletAddress"] != addr {
			t.Fatalf("withdraws %v", calls)
		}
		if got := e.Emu.Balance(plugintest.Email, copperxtest.NetworkStarknet, "USDC").String(); got != "10" {
			t.Fatalf("Starknet balance %s", got)
		}
	})
	t.Run("same format", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.U.Send("/send")
		e.U.Tap("Wallet address")
		e.U.Send(bobAddress)
		e.U.Send("10")
		e.U.Tap("Gift")
		e.U.Tap("Pay from another wallet")
		r := e.U.Tap("Base")
		if r.Contains("another format") {
			t.Fatalf("Base and Polygon addresses are alike: %s", r.Text())
		}
		e.U.Tap("Yes, make it default").Expect(t, "Please check your transfer", "To: <b>"+bobAddress+"</b>", "Network: Base",
			"Paying from your <b>Base</b> wallet · balance <b>300.00 USDC</b>")
		e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
		if got := e.Emu.Balance(plugintest.Email, copperxtest.NetworkBase, "USDC").String(); got != "290" {
			t.Fatalf("Base balance %s", got)
		}
	})
	t.Run("before the address", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.U.Send("/send")
		e.U.Tap("Wallet address").Expect(t, "on <b>Polygon</b>")
		e.U.Tap("Pay from another wallet")
		e.U.Tap("Arbitrum")
		e.U.Tap("Yes, make it default").Expect(t, "on <b>Arbitrum One</b>")
		e.U.Send(bobAddress).Expect(t, "How much USDC?", "Paying from your <b>Arbitrum One</b> wallet")
	})
}

// "Pay from another wallet" and Back leave everything as it was; Cancel
// at the wallet steps ends the send like at any other.
func TestWalletStepsBackAndCancel(t *testing.T) {
	e := newEnv(t, setup{})
	e.sendTo(t, "bob@example.com", "10")
	e.U.Tap("Pay from another wallet")
	e.U.Tap("Back").Expect(t, "Please check your transfer", "Amount: <b>10.00 USDC</b>")
	e.U.Tap("Pay from another wallet")
	e.U.Tap("Base")
	prompt, _ := e.button(t, "Cancel")
	e.U.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
	if m := e.message(prompt.ID); m.Text != "Cancelled. Nothing was sent." {
		t.Fatalf("prompt %q", m.Text)
	}
	if e.Posts("/api/wallets/default") != 0 || e.Posts("/api/transfers/send") != 0 {
		t.Fatal("something changed")
	}
}

// A withdrawal short on the default wallet offers the switch too, and
// quotes the amount kept.
func TestWithdrawShortOffersTheSwitch(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("1"))}})
	e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkPolygon, "USDC", "100")
	e.U.Send("/withdraw")
	e.U.Tap("Chase Bank")
	e.U.Send("200").Expect(t, "With fees this needs 202.00 USDC", "your Polygon wallet, which pays, holds 100.00 USDC",
		"Your <b>Base</b> wallet holds 300.00 USDC")
	e.U.Tap("Pay from your Base wallet")
	e.U.Tap("Yes, make it default").Expect(t, "Your quote", "Amount: <b>200.00 USDC</b>", "Total: <b>202.00 USDC</b>")
	e.U.Tap("Continue")
	e.U.Tap("Salary")
	e.U.Tap("Salary").Expect(t, "Paying from your <b>Base</b> wallet", "Balance after: 98.00 USDC")
	e.U.Tap("Confirm").Expect(t, "Withdrawal of 200.00 USDC")
	if got := e.Emu.Balance(plugintest.Email, copperxtest.NetworkBase, "USDC").String(); got != "98" {
		t.Fatalf("Base balance %s", got)
	}
}

// The flows' buttons about wallets are steps of the flow, never another
// plugin's screen: nothing ends the send on the way.
func TestWalletButtonsStayInTheFlow(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	for _, m := range e.H.API.Messages(e.U.ChatID) {
		for _, b := range m.AllButtons() {
			if strings.HasPrefix(kerneltest.Target(b), "run ") {
				t.Fatalf("button %q leaves the flow: %s", b.Text, kerneltest.Target(b))
			}
		}
	}
}

// A wallet that cannot cover the amount kept through the change says so
// at the amount question, not at the step the change came from: offering
// a wallet that can, or alone.
func TestSwitchToAShortWallet(t *testing.T) {
	t.Run("another wallet can", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.sendTo(t, "bob@example.com", "100")
		e.U.Tap("Pay from another wallet")
		e.U.Tap("Starknet") // 20 USDC
		e.U.Tap("Yes, make it default").Expect(t, "Your Starknet wallet, which pays, holds only 20.00 USDC",
			"Your <b>Polygon</b> wallet holds 1,250.50 USDC", "How much USDC?")
		e.U.Send("15").Expect(t, "Please check your transfer", "Amount: <b>15.00 USDC</b>", "Purpose: Gift")
	})
	t.Run("none can", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkPolygon, "USDC", "50")
		e.toAmountOn(t)
		e.U.Send("100").Expect(t, "Your <b>Base</b> wallet holds 300.00 USDC")
		e.U.Tap("Pay from your Base wallet")
		e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkBase, "USDC", "10") // spent meanwhile
		e.U.Tap("Yes, make it default").Expect(t, "You don't have enough: your balance is 10.00 USDC", "How much USDC?",
			"Paying from your <b>Base</b> wallet")
		if got := strings.Join(e.U.Last().Labels(), "|"); strings.Contains(got, "Pay from your") {
			t.Fatalf("no wallet holds 100 now, yet: %s", got)
		}
		e.U.Send("5").Expect(t, "What is this payment for?")
	})
}
