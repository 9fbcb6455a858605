package transfer

import (
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

const bobAddress = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"

func TestSendEmail(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("1"))}})
	e.toAmount(t, "bob@example.com")
	e.U.Send("10.5").Expect(t, "What is this payment for?")
	// No send before this one: no fee to estimate from, and the summary
	// says so.
	r := e.U.Tap("Gift").Expect(t, "Please check your transfer", "To: <b>bob@example.com</b>", "Amount: <b>10.50 USDC</b>",
		"Purpose: Gift", "Paying from your <b>Polygon</b> wallet · balance <b>1,250.50 USDC</b>",
		"Fee: not known before sending", "Balance after: ~1,240.00 USDC before fees")
	if got := r.Kinds(); len(got) == 0 || got[0] != "edit" {
		t.Errorf("the summary should replace the purpose question in place, got %v", got)
	}
	summary, confirm := e.button(t, "Confirm")
	if id := confirmID(t, confirm); len(id) != 12 {
		t.Fatalf("confirmation id %q: want 12 characters", id)
	}
	// Confirm turns the summary into the receipt, in place.
	r = e.U.Tap("Confirm").Expect(t, "Sending…", "Sent 10.50 USDC</b> to bob@example.com", "Status: completed", "Transfer id: <code>", "Fee: 0.105 USDC")
	if got := r.Kinds(); strings.Join(got, " ") != "answer edit" {
		t.Errorf("Confirm: %v, want the notice and the summary edited into the receipt", got)
	}
	calls := e.Emu.CallsTo("POST", "/api/transfers/send")
	if len(calls) != 1 {
		t.Fatalf("%d sends", len(calls))
	}
	if b := calls[0].Body; b["amount"] != "1050000000" || b["email"] != "bob@example.com" || b["purposeCode"] != "gift" || b["currency"] != "USDC" {
		t.Fatalf("send body %v", b)
	}
	if got := e.Balance(); got != "1239.895" {
		t.Fatalf("balance %s", got)
	}
	receipt := e.H.API.Message(e.U.ChatID, summary.ID)
	if !strings.Contains(receipt.Text, "Sent 10.50 USDC") || strings.Join(receipt.Labels(), "|") != "🔎 Details|⭐ Save as payee" {
		t.Fatalf("receipt %q with %s", receipt.Text, strings.Join(receipt.Labels(), "|"))
	}
	// A new recipient: "Save as payee" is the payees plugin's Add with the
	// email (it asks for a nickname); this plugin creates no payee itself.
	if _, save := e.button(t, "Save as payee"); kerneltest.Target(save) != "run payees.add bob@example.com" {
		t.Fatalf("Save as payee leads to %q, want the payees plugin's add with the email", kerneltest.Target(save))
	}
	e.U.Tap("Save as payee").Expect(t, "Add payee (stub): bob@example.com")
	if n := e.Posts("/api/payees"); n != 0 {
		t.Fatalf("%d payees created by the transfer plugin", n)
	}
	e.U.Tap("Details").Expect(t, "Sent", "bob@example.com", "Status: completed")
}

// Without a command for payees.add (the payees plugin disabled, or its
// command dropped), the receipt offers no Save as payee.
func TestSavePayeeNeedsPayees(t *testing.T) {
	e := newEnv(t, setup{config: "plugins: {payees: {enabled: false}}"})
	e.sendTo(t, "bob@example.com", "10")
	summary, _ := e.button(t, "Confirm")
	e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
	if got := strings.Join(e.H.API.Message(e.U.ChatID, summary.ID).Labels(), "|"); got != "🔎 Details" {
		t.Fatalf("receipt buttons without the payees plugin: %s", got)
	}
}

func TestSendToPayee(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send")
	e.U.Tap("Saved payee").Expect(t, "no saved payees", "Send to an email or a wallet address instead")
	if _, b := e.U.FindButton("Saved payee"); b.Data != "" {
		t.Fatal("still offers saved payees when there are none")
	}
	e.addPayee(t, "carol", "carol@example.com")
	e.U.Send("/send")
	e.U.Tap("Saved payee").Expect(t, "Choose a payee")
	if _, b := e.button(t, "carol"); kerneltest.Target(b) != "send.payee.pick 0" {
		t.Fatalf("payee button leads to %q, want an index into the offered payees", kerneltest.Target(b))
	}
	e.U.Tap("carol").Expect(t, "How much USDC?")
	e.U.Send("2")
	e.U.Tap("Salary").Expect(t, "To: <b>carol (carol@example.com)</b>")
	summary, _ := e.button(t, "Confirm")
	e.U.Tap("Confirm").Expect(t, "Sent 2.00 USDC")
	if got := strings.Join(e.H.API.Message(e.U.ChatID, summary.ID).Labels(), "|"); got != "🔎 Details" {
		t.Errorf("receipt of a send to a saved payee has %s; want no Save as payee", got)
	}
	calls := e.Emu.CallsTo("POST", "/api/transfers/send")
	if last := calls[len(calls)-1].Body; last["payeeId"] == nil || last["email"] != nil || last["amount"] != "200000000" {
		t.Fatalf("payee send body %v", last)
	}
}

// A payee deleted on CopperX after the list was shown: back to the kinds.
func TestSendToDeletedPayee(t *testing.T) {
	e := newEnv(t, setup{})
	p := e.addPayee(t, "carol", "carol@example.com")
	e.U.Send("/send")
	e.U.Tap("Saved payee").Expect(t, "Choose a payee")
	e.Emu.Fail("GET", "/api/payees/"+p.ID, copperxtest.Fault{Status: 404, Times: 1})
	e.U.Tap("carol").Expect(t, "That payee no longer exists", "Who should receive it?")
	e.U.Tap("Email").Expect(t, "email address")
}

func TestSendWallet(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send")
	e.U.Tap("Wallet address").Expect(t, "on <b>Polygon</b>", "0x followed by 40 hex characters")
	if _, b := e.button(t, "Pay from another wallet"); kerneltest.Target(b) != "send.recipient.wallet" {
		t.Fatalf("Pay from another wallet leads to %q, want a step of the send", kerneltest.Target(b))
	}
	e.U.Send("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T").Expect(t, "not a valid Polygon address", "0x followed by 40 hex")
	e.U.Send("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").Expect(t, "checksum")
	e.U.Send(bobAddress).Expect(t, "How much USDC?")
	e.U.Send("100")
	e.U.Tap("Reimbursement").Expect(t, "Network: Polygon", "Amount: <b>100.00 USDC</b>")
	if _, b := e.button(t, "Pay from another wallet"); kerneltest.Target(b) != "send.confirm.wallet" {
		t.Fatalf("Pay from another wallet on the summary leads to %q", kerneltest.Target(b))
	}
	e.U.Tap("Confirm").Expect(t, "Sent 100.00 USDC", bobAddress)
	calls := e.Emu.CallsTo("POST", "/api/transfers/wallet-withdraw")
	if len(calls) != 1 || calls[0].Body["amount"] != "10000000000" || calls[0].Body["walletAddress"] != bobAddress {
		t.Fatalf("withdraw calls %v", calls)
	}
	if e.Balance() != "1150.5" {
		t.Fatalf("balance %s", e.Balance())
	}
}

// "Pay from another wallet" on the summary stays in the send: the old
// summary's Confirm has expired, and the send goes on from the new wallet.
func TestSendWalletChangeDefault(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	e.U.Send(bobAddress)
	e.U.Send("5")
	e.U.Tap("Gift")
	summary, confirm := e.button(t, "Confirm")
	e.U.Tap("Pay from another wallet").Expect(t, "Which wallet should pay?")
	e.U.Tap("Base").Expect(t, "Make your <b>Base</b> wallet")
	e.U.Tap("Yes, make it default").Expect(t, "Your Base wallet is now the default.", "Network: Base", "Amount: <b>5.00 USDC</b>")
	e.tapData(summary.ID, confirm.Data).Expect(t, "This button has expired")
	if n := e.Posts("/api/transfers/wallet-withdraw"); n != 0 {
		t.Fatalf("%d wallet-withdraw POSTs", n)
	}
}

func TestSendOtherNetworks(t *testing.T) {
	e := newEnv(t, setup{})
	e.setDefaultNetwork(t, copperxtest.NetworkStarknet)
	e.U.Send("/send")
	e.U.Tap("Wallet address").Expect(t, "on <b>Starknet</b>", "up to 64 hex")
	e.U.Send("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T").Expect(t, "not a valid Starknet address", "0x followed by up to 64 hex characters")
	addr := "0x0" + strings.Repeat("ab", 31) + "c"
	e.U.Send(addr).Expect(t, "Paying from your <b>Starknet</b> wallet · balance <b>20.00 USDC</b>")
	e.U.Send("25").Expect(t, "Your Starknet wallet, which pays, holds only 20.00 USDC", "Your <b>Polygon</b> wallet holds 1,250.50 USDC")
	if _, b := e.button(t, "Pay from your Polygon wallet"); kerneltest.Target(b) != "send.amount.payfrom 0" {
		t.Fatalf("Pay from your Polygon wallet leads to %q", kerneltest.Target(b))
	}
	e.U.Send("5")
	e.U.Tap("Gift").Expect(t, "Network: Starknet")
	e.U.Tap("Confirm").Expect(t, "Sent 5.00 USDC")
	if got := e.Emu.Balance(plugintest.Email, copperxtest.NetworkStarknet, "USDC").String(); got != "15" {
		t.Fatalf("starknet balance %s", got)
	}
}

func TestSendBadRecipient(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send")
	e.U.Tap("Email")
	for _, tc := range []struct{ in, want string }{
		{"not-an-email", "doesn't look like an email"},
		{"bob@localhost", "doesn't look like an email"},
		{plugintest.Email, "your own email"},
		// Invisible and look-alike characters are refused, never stripped.
		{"\u200fbob@example.com", "doesn't look like an email address"},
		{"bob\u200b@example.com", "doesn't look like an email address"},
		{"bоb@example.com", "doesn't look like an email address"}, // Cyrillic о
		{"😀@example.com", "doesn't look like an email address"},
		{"bob@例え.jp", "doesn't look like an email address"},
	} {
		e.U.Send(tc.in).Expect(t, tc.want)
	}
	e.U.Send("bob@Example.com").Expect(t, "How much USDC?")
	e.U.Send("10")
	e.U.Tap("Gift").Expect(t, "To: <b>bob@example.com</b>")
}

func TestSendBadAmount(t *testing.T) {
	e := newEnv(t, setup{})
	e.toAmount(t, "bob@example.com")
	for _, tc := range []struct{ in, want string }{
		{"abc", "couldn't read that amount"},
		{"1e3", "no exponents"},
		{"0,500", "can't tell whether that means thousands or a fraction"},
		{"0,050", "like <code>0.50</code> for less than one USDC"},
		{"-5", "must be positive"},
		{"0", "more than zero"},
		{"1.1234567", "at most 6 decimal places"},
		{"2000000", "more than I can handle"},
		{"0.5", "minimum is 1.00 USDC"},
		{"50001", "maximum is 50,000.00 USDC"},
		{"1300", "your balance is 1,250.50 USDC"},
	} {
		e.U.Send(tc.in).Expect(t, tc.want)
	}
	e.U.Send("1,250.50").Expect(t, "What is this payment for?")
	if n := e.Posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d sends", n)
	}
}

func TestSendRefusesPayeeWithHiddenCharacters(t *testing.T) {
	e := newEnv(t, setup{})
	p := e.addPayee(t, "bob", "bob@example.com")
	e.U.Send("/send")
	e.U.Tap("Saved payee").Expect(t, "Choose a payee")
	e.Emu.Fail("GET", "/api/payees/"+p.ID, copperxtest.Fault{Status: 200, Times: 1,
		Body: `{"id":"` + p.ID + `","nickName":"bob","email":"bob\u200b@example.com"}`})
	e.U.Tap("bob").Expect(t, "can't show safely")
	if e.Posts("/api/transfers/send") != 0 {
		t.Fatal("sent")
	}
}

func TestWalletRefusesZeroAndOwnAddress(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	e.U.Send("0x0000000000000000000000000000000000000000").Expect(t, "zero address")
	own := 0
	for _, w := range e.Wallets() {
		if w.WalletAddress == "" || w.Network != copperxtest.NetworkPolygon {
			continue
		}
		own++
		e.U.Send(w.WalletAddress).Expect(t, "one of your own wallets")
		e.U.Send("0x"+strings.ToUpper(strings.TrimPrefix(w.WalletAddress, "0x"))).Expect(t, "one of your own wallets")
	}
	if own == 0 {
		t.Fatal("no Polygon wallet to try")
	}
	e.U.Send("0x52908400098527886E0F7030069857D2E4169EE7").Expect(t, "How much USDC?")
}

func TestSpanish(t *testing.T) {
	e := newEnv(t, setup{lang: "es"})
	e.U.Send("/send").Expect(t, "¿Quién lo recibe?")
	e.U.Tap("Correo")
	e.U.Send("bob@example.com").Expect(t, "Entre 1,00 y 50.000,00", "Pagas desde tu billetera de <b>Polygon</b> · saldo <b>1.250,50 USDC</b>")
	e.U.Send("0.500").Expect(t, "No sé si eso son miles o decimales", "<code>1.250,50</code>", "<code>0,50</code>")
	e.U.Send("1.000,5").Expect(t, "¿Para qué es este pago?")
	// Above reconfirm_above (1000): the amount typed again, the Spanish way.
	e.U.Tap("Regalo").Expect(t, "Una transferencia grande", "1.000,50 USDC para bob@example.com supera 1.000,00 USDC")
	e.U.Send("1.000,05").Expect(t, "No coincide con 1.000,50 USDC")
	e.U.Send("1000,50").Expect(t, "Importe: <b>1.000,50 USDC</b>", "Saldo después: ~250,00 USDC antes de comisiones")
	e.U.Tap("Confirmar").Expect(t, "Enviados 1.000,50 USDC")
	if b := e.Emu.CallsTo("POST", "/api/transfers/send")[0].Body; b["amount"] != "100050000000" {
		t.Fatalf("body %v", b)
	}
	// A plain 12.5 is unambiguous in Spanish too.
	e.U.Send("/send")
	e.U.Tap("Correo")
	e.U.Send("bob@example.com")
	e.U.Send("12.5")
	e.U.Tap("Regalo").Expect(t, "Importe: <b>12,50 USDC</b>")
}

func TestGuards(t *testing.T) {
	e := newEnv(t, setup{kyc: "pending"})
	for _, cmd := range []string{"/send", "/withdraw", "/bank"} {
		e.U.Send(cmd).Expect(t, "KYC not approved")
	}
	if n := len(e.Emu.Calls()); n != 0 {
		t.Fatalf("%d API calls without KYC", n)
	}
	// /history only reads: a login is enough.
	if r := e.U.Send("/history"); r.Contains("KYC not approved") {
		t.Fatalf("/history behind the kyc guard: %q", r.Text())
	}
	e.U.Send("/fakelogout")
	for _, cmd := range []string{"/send", "/withdraw", "/history"} {
		e.U.Send(cmd).Expect(t, "Please log in first")
	}
	// Money moves only in a private chat.
	e.Login(e.U, "")
	e.H.Group(-100, e.U.UserID).Send("/send").Expect(t, "only do this in a private chat")
}

// Cancel at every step of /send to an email, a wallet address and a saved
// payee: the prompt becomes "Cancelled", nothing moves, and what is typed
// next belongs to no flow.
func TestSendCancelAtEveryStep(t *testing.T) {
	email := func(e *env) { e.U.Tap("Email"); e.U.Send("bob@example.com") }
	wallet := func(e *env) { e.U.Tap("Wallet address"); e.U.Send(bobAddress) }
	payee := func(e *env) { e.U.Tap("Saved payee"); e.U.Tap("carol") }
	steps := []struct {
		name string
		walk func(e *env)
	}{
		{"kind", func(e *env) {}},
		{"email", func(e *env) { e.U.Tap("Email") }},
		{"email amount", email},
		{"email purpose", func(e *env) { email(e); e.U.Send("3") }},
		{"email confirm", func(e *env) { email(e); e.U.Send("3"); e.U.Tap("Gift") }},
		{"wallet", func(e *env) { e.U.Tap("Wallet address") }},
		{"wallet amount", wallet},
		{"wallet purpose", func(e *env) { wallet(e); e.U.Send("3") }},
		{"wallet confirm", func(e *env) { wallet(e); e.U.Send("3"); e.U.Tap("Gift") }},
		{"payee", func(e *env) { e.U.Tap("Saved payee") }},
		{"payee amount", payee},
		{"payee purpose", func(e *env) { payee(e); e.U.Send("3") }},
		{"payee confirm", func(e *env) { payee(e); e.U.Send("3"); e.U.Tap("Gift") }},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.addPayee(t, "carol", "carol@example.com")
			e.U.Send("/send")
			step.walk(e)
			prompt, _ := e.button(t, "Cancel")
			e.U.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
			if m := e.message(prompt.ID); m.Text != "Cancelled. Nothing was sent." || len(m.AllButtons()) != 0 {
				t.Fatalf("the prompt should have become %q: %q %v", "Cancelled. Nothing was sent.", m.Text, m.AllButtons())
			}
			for _, path := range []string{"/api/transfers/send", "/api/transfers/wallet-withdraw"} {
				if n := e.Posts(path); n != 0 {
					t.Fatalf("%d POSTs to %s after cancel", n, path)
				}
			}
			e.U.Send(bobAddress).Expect(t, "I didn't understand")
			e.U.Send("3").Expect(t, "I didn't understand")
			if e.Balance() != "1250.5" {
				t.Fatalf("balance %s", e.Balance())
			}
		})
	}
}

// TestMessagesReadRightForEveryNetwork: the address question names the
// network without an article that fits only some names ("a Arbitrum One
// address").
func TestMessagesReadRightForEveryNetwork(t *testing.T) {
	e := newEnv(t, setup{})
	e.setDefaultNetwork(t, copperxtest.NetworkArbitrum)
	e.U.Send("/send")
	r := e.U.Tap("Wallet address").Expect(t, "which is on Arbitrum One, so the address must be on Arbitrum One too")
	if r.Contains(" a Arbitrum") || r.Contains(" an Arbitrum") {
		t.Fatalf("article before the network's name: %s", r.Text())
	}
}

// TestShortConfirmWindowReadsInSeconds: a confirm_ttl under a minute is
// said in seconds, never "0 minutes".
func TestShortConfirmWindowReadsInSeconds(t *testing.T) {
	e := newEnv(t, setup{env: []string{"COPPERX_BOT_PLUGINS__TRANSFER__CONFIRM_TTL=30s", "COPPERX_BOT_PLUGINS__TRANSFER__RESULT_TTL=1h"}})
	e.sendTo(t, "bob@example.com", "10")
	if m := e.U.Last(); !strings.Contains(m.Text, "Tap Confirm within 30 seconds.") {
		t.Fatalf("summary:\n%s", m.Text)
	}
	e.H.Clock.Advance(31 * time.Second)
	e.U.Tap("Confirm").Expect(t, "summaries are valid for 30 seconds")
	if n := e.Posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d sends after the summary expired", n)
	}
}

// TestTypedRecipient: a recipient typed where the kinds are offered is
// taken as a one-line send's: an email or an address goes on to the
// amount (or past it when /send gave one), a nickname to its payee, and
// what is refused is asked again saying why, with nothing sent.
func TestTypedRecipient(t *testing.T) {
	e := newEnv(t, setup{})
	e.addPayee(t, "bob", "bob@example.com")
	addr := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	steps := []struct {
		send string
		want []string
	}{
		{"/send", []string{"Who should receive it?", "type an email"}},
		{"carol@example.com", []string{"To: <b>carol@example.com</b>", "How much USDC?"}},
		{"/send", []string{"Who should receive it?"}},
		{addr, []string{"To: <b>" + addr + "</b>", "How much USDC?"}},
		{"/send", []string{"Who should receive it?"}},
		{"bob", []string{"To: <b>bob (bob@example.com)</b>", "How much USDC?"}},
		{"/send", []string{"Who should receive it?"}},
		{"carol@example", []string{"“carol@example” doesn't look like an email address", "Who should receive it?"}},
		{"nobody", []string{"You have no saved payee called “nobody”", "Who should receive it?"}},
		{"0x0000000000000000000000000000000000000000", []string{"zero address", "Who should receive it?"}},
		{"carol@example.com", []string{"How much USDC?"}},
		{"/send 25", []string{"Who should receive it?"}},
		{"carol@example.com", []string{"Amount: <b>25.00 USDC</b>", "To: <b>carol@example.com</b>"}},
	}
	for _, s := range steps {
		e.U.Send(s.send).Expect(t, s.want...)
	}
	if n := len(e.Emu.CallsTo("POST", "/api/transfers/send")); n != 0 {
		t.Fatalf("%d sends", n)
	}
}
