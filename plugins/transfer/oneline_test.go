package transfer

import (
	"slices"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// TestParseSendWords: the one-line grammar, word by word (the words after
// /send, or after a verb).
func TestParseSendWords(t *testing.T) {
	en, es := []string{"to"}, []string{"a", "para"}
	tests := []struct {
		words     string
		to        []string
		amount    string
		recipient string
	}{
		{"", en, "", ""},
		{"25 bob@example.com", en, "25", "bob@example.com"},
		{"25 to bob@example.com", en, "25", "bob@example.com"},
		{"25 TO bob@example.com", en, "25", "bob@example.com"},
		{"25 USDC to bob", en, "25 USDC", "bob"},
		{"25usdc bob", en, "25usdc", "bob"},
		{"$5 bob", en, "$5", "bob"},
		{"1,000.50 bob", en, "1,000.50", "bob"},
		{"bob 10", en, "10", "bob"},
		{"bob 10 usdc", en, "10 usdc", "bob"},
		{"Bob Smith 10", en, "10", "Bob Smith"},
		{"to Bob Smith 10", en, "10", "Bob Smith"},
		{"10 to", en, "10", "to"}, // a lone "to" is a nickname
		{"to", en, "", "to"},
		{"10 20", en, "10", "20"}, // amount first wins
		{"25", en, "25", ""},
		{"bob@example.com", en, "", "bob@example.com"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed 10", en, "10", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{"10 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", en, "10", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{"1e3 bob", en, "1e3", "bob"}, // looks like a number: read (and refused) later
		{"-5 bob", en, "-5", "bob"},
		{"pay bob 10 now", en, "", "pay bob 10 now"}, // an amount in the middle is none
		{"25 a bob@example.com", es, "25", "bob@example.com"},
		{"10 para bob", es, "10", "bob"},
		{"a bob 10", es, "10", "bob"},
		{"25 a", es, "25", "a"},
		{"1.000,50 a bob", es, "1.000,50", "bob"},
	}
	for _, tt := range tests {
		got := parseSendWords(strings.Fields(tt.words), tt.to, "USDC")
		if got.Amount != tt.amount || got.Recipient != tt.recipient {
			t.Errorf("%q: got amount %q recipient %q, want %q %q", tt.words, got.Amount, got.Recipient, tt.amount, tt.recipient)
		}
	}
}

// TestAmountWord: what looks like an amount (and is read the user's way
// later), and what does not.
func TestAmountWord(t *testing.T) {
	for w, want := range map[string]bool{
		"25": true, "1,000.50": true, "1.000,50": true, ".5": true, ",5": true, "$5": true, "5USDC": true, "5usdc": true,
		"1e3": true, "-5": true, "+5": true, "1'000": true,
		"": false, "$": false, "USDC": false, "bob": false, "0x12ab": false, "bob@example.com": false, "e3": false,
		"5€": false, "٣": false, "five": false, "$usdc": false,
	} {
		if got := amountWord(w, "USDC"); got != want {
			t.Errorf("amountWord(%q) = %v, want %v", w, got, want)
		}
	}
}

// FuzzParseSendWords: whatever is typed, every word ends up in the amount,
// in the recipient, or is the one "to" dropped before a recipient of
// several words; an amount is a word that looks like one (with the
// currency word after it, if any); a recipient is never empty when words
// are left.
func FuzzParseSendWords(f *testing.F) {
	for _, seed := range []string{"25 to bob@example.com", "pay bob 10", "Bob Smith 10 USDC", "to to to", "10 20", "$5usdc a b",
		"1e3", "", "USDC USDC", "0x00 1", "a 1 a", "1,000.50 to\tbob", "💸 25"} {
		f.Add(seed)
	}
	to := []string{"to", "a"}
	f.Fuzz(func(t *testing.T, text string) {
		words := strings.Fields(text)
		got := parseSendWords(words, to, "USDC")
		amount, recipient := strings.Fields(got.Amount), strings.Fields(got.Recipient)
		dropped := len(words) - len(amount) - len(recipient)
		if dropped != 0 && dropped != 1 {
			t.Fatalf("%q: %d words lost: %+v", text, dropped, got)
		}
		if dropped == 1 && (len(recipient) == 0 || !slices.ContainsFunc(to, func(w string) bool {
			rest := slices.DeleteFunc(slices.Clone(words), func(x string) bool { return slices.Contains(amount, x) })
			return len(rest) > 0 && strings.EqualFold(rest[0], w)
		})) {
			t.Fatalf("%q: dropped a word that is no leading to: %+v", text, got)
		}
		if len(amount) > 0 && !amountWord(amount[0], "USDC") && !amountWord(amount[len(amount)-1], "USDC") {
			t.Fatalf("%q: amount %q does not look like one", text, got.Amount)
		}
		if len(amount) > 2 || len(amount) == 2 && !strings.EqualFold(amount[1], "USDC") {
			t.Fatalf("%q: amount %q is more than a number and its currency", text, got.Amount)
		}
		if len(words) > len(amount) && got.Recipient == "" {
			t.Fatalf("%q: words left but no recipient: %+v", text, got)
		}
		if got.Recipient != strings.Join(recipient, " ") {
			t.Fatalf("%q: recipient %q not single-spaced", text, got.Recipient)
		}
	})
}

// One-line /send: an email, a wallet address and a payee's nickname, with
// the amount first or last, open the summary filled in (the purpose is
// config's default, which the summary offers to change); nothing is sent
// before Confirm.
func TestOneLineSend(t *testing.T) {
	e := newEnv(t, setup{})
	e.addPayee(t, "Carol", "carol@example.com")
	tests := []struct {
		text string
		want []string
	}{
		{"/send 25 bob@example.com", []string{"To: <b>bob@example.com</b>", "Amount: <b>25.00 USDC</b>", "Purpose: Myself"}},
		{"/send 25 to bob@example.com", []string{"To: <b>bob@example.com</b>", "Amount: <b>25.00 USDC</b>"}},
		{"/send 1,000 bob@example.com", []string{"Amount: <b>1,000.00 USDC</b>"}},
		{"/send 1.000 bob@example.com", []string{"Amount: <b>1.00 USDC</b>"}}, // English: a decimal point
		{"/send $5 USDC bob@example.com", []string{"Amount: <b>5.00 USDC</b>"}},
		{"/send 10 " + bobAddress, []string{"To: <b>" + bobAddress + "</b>", "Network: Polygon", "Amount: <b>10.00 USDC</b>"}},
		{"/send 5 carol", []string{"To: <b>Carol (carol@example.com)</b>", "Amount: <b>5.00 USDC</b>"}},
		{"/send CAROL 5", []string{"To: <b>Carol (carol@example.com)</b>"}},
	}
	for _, tt := range tests {
		e.U.Send(tt.text).Expect(t, append([]string{"Please check your transfer", "Fee:"}, tt.want...)...)
		if got := strings.Join(e.U.Last().Labels(), "|"); got != "✅ Confirm|✖️ Cancel|📝 Change purpose|🔄 Pay from another wallet" {
			t.Errorf("%s: summary buttons %s", tt.text, got)
		}
	}
	if n := len(e.Emu.CallsTo("POST", "/api/transfers/send")) + e.Posts("/api/transfers/wallet-withdraw"); n != 0 {
		t.Fatalf("%d transfers before any Confirm", n)
	}
	// The last summary is live: Change purpose, then Confirm.
	e.U.Tap("Change purpose").Expect(t, "What is this payment for?")
	e.U.Tap("Family").Expect(t, "Purpose: Family", "To: <b>Carol (carol@example.com)</b>")
	if _, b := e.U.FindButton("Change purpose"); b.Data != "" {
		t.Fatal("a purpose picked is offered for change again")
	}
	e.U.Tap("Confirm").Expect(t, "Sent 5.00 USDC")
	calls := e.Emu.CallsTo("POST", "/api/transfers/send")
	if len(calls) != 1 || calls[0].Body["payeeId"] == nil || calls[0].Body["purposeCode"] != "family" {
		t.Fatalf("sends %v", calls)
	}
}

// The same as plain text, in the user's language's words (the locale
// file's transfer.oneline), with amounts written the language's way.
func TestOneLineText(t *testing.T) {
	tests := []struct {
		lang, text string
		want       []string
	}{
		{"en", "send 25 to bob@example.com", []string{"To: <b>bob@example.com</b>", "Amount: <b>25.00 USDC</b>"}},
		{"en", "Pay carol 10", []string{"To: <b>carol (carol@example.com)</b>", "Amount: <b>10.00 USDC</b>"}},
		{"en", "pay 1,000 to bob@example.com", []string{"Amount: <b>1,000.00 USDC</b>"}},
		{"en", "pay 1.000 to bob@example.com", []string{"Amount: <b>1.00 USDC</b>"}},
		{"es", "envía 25 a bob@example.com", []string{"Para: <b>bob@example.com</b>", "Importe: <b>25,00 USDC</b>", "Motivo: Para mí"}},
		{"es", "Paga 10 a carol", []string{"Para: <b>carol (carol@example.com)</b>", "Importe: <b>10,00 USDC</b>"}},
		{"es", "paga 1.000 a bob@example.com", []string{"Importe: <b>1.000,00 USDC</b>"}}, // Spanish: thousands
		{"es", "paga 1,000 a bob@example.com", []string{"Importe: <b>1,00 USDC</b>"}},
		{"es", "manda " + bobAddress + " 12,5", []string{"Importe: <b>12,50 USDC</b>", "Red: Polygon"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.text, func(t *testing.T) {
			e := newEnv(t, setup{lang: tt.lang})
			e.addPayee(t, "carol", "carol@example.com")
			e.U.Send(tt.text).Expect(t, tt.want...)
			if n := len(e.Emu.CallsTo("POST", "/api/transfers/send")); n != 0 {
				t.Fatalf("%d sends before Confirm", n)
			}
		})
	}
}

// Text that is no one-line send — another language's verbs, a verb with
// neither an amount nor an address — gets the kernel's "I didn't
// understand".
func TestOneLineTextNotTaken(t *testing.T) {
	e := newEnv(t, setup{})
	for _, text := range []string{"hello", "send", "send me the report", "envía 25 a bob@example.com", "pay bob"} {
		if r := e.U.Send(text); !r.Contains("I didn't understand") {
			t.Errorf("%q: %s", text, r.Text())
		}
	}
	es := newEnv(t, setup{lang: "es"})
	if r := es.U.Send("send 25 to bob@example.com"); r.Contains("Revisa tu transferencia") {
		t.Errorf("English words taken in Spanish: %s", r.Text())
	}
}

// A plain-text send goes through the same guards as /send: logged out, it
// asks for a login; without KYC it is refused; in a group it is never
// read.
func TestOneLineTextGuards(t *testing.T) {
	e := newEnv(t, setup{kyc: "pending"})
	e.U.Send("send 25 to bob@example.com").Expect(t, "KYC not approved")
	e.U.Send("/fakelogout")
	e.U.Send("send 25 to bob@example.com").Expect(t, "Please log in first")
	if r := e.H.Group(-100, e.U.UserID).Send("send 25 to bob@example.com"); len(r) != 0 {
		t.Fatalf("a group's text was read: %s", r.Text())
	}
	if n := len(e.Emu.Calls()); n != 0 {
		t.Fatalf("%d API calls", n)
	}
}

// Ambiguous nicknames: two payees "bob" and "bobby" — "bob" is bob; "bo"
// is one of them, offered as "did you mean…" buttons; a name nobody has
// asks who should receive it, saying so. The amount given is kept.
func TestOneLineNicknames(t *testing.T) {
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, setup{lang: lang})
			e.addPayee(t, "bob", "bob@example.com")
			e.addPayee(t, "bobby", "bobby@example.com")
			e.U.Send("/send 5 bob").Expect(t, "<b>bob (bob@example.com)</b>")
			want := map[string][]string{"en": {"No payee is called exactly “bo”. Did you mean one of these?"},
				"es": {"Ningún beneficiario se llama exactamente «bo»"}}[lang]
			e.U.Send("/send 5 bo").Expect(t, want...)
			m, b := e.button(t, "bobby")
			if kerneltest.Target(b) != "send.payee.pick 1" {
				t.Fatalf("did you mean leads to %q", kerneltest.Target(b))
			}
			if _, other := e.button(t, "bob · bob@example.com"); other.Data == "" || len(m.AllButtons()) != 3 {
				t.Fatalf("did you mean offers %d buttons, want bob, bobby and Cancel", len(m.AllButtons()))
			}
			e.U.Tap("bobby").Expect(t, "<b>bobby (bobby@example.com)</b>", map[string]string{"en": "5.00 USDC", "es": "5,00 USDC"}[lang])
			nobody := map[string]string{"en": "You have no saved payee called “zed”.", "es": "No tienes ningún beneficiario guardado llamado «zed»."}[lang]
			e.U.Send("/send 5 zed").Expect(t, nobody)
			e.U.Tap(map[string]string{"en": "Email", "es": "Correo"}[lang])
			e.U.Send("zed@example.com").Expect(t, map[string]string{"en": "Amount: <b>5.00 USDC</b>", "es": "Importe: <b>5,00 USDC</b>"}[lang])
		})
	}
}

// What a /send argument gets wrong is said above the step that asks for it
// again, and the rest is kept; a recipient alone (the payees plugin's
// Send) asks for the amount.
func TestOneLineWrongWords(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send bob@example.com").Expect(t, "How much USDC?")
	e.U.Send("7").Expect(t, "Amount: <b>7.00 USDC</b>", "To: <b>bob@example.com</b>")
	e.U.Send("/send 1e3 bob@example.com").Expect(t, "I couldn't read the amount “1e3”: Please type the amount in full", "How much USDC?")
	e.U.Send("/send 0,500 bob@example.com").Expect(t, "I can't tell whether that means thousands or a fraction", "How much USDC?")
	e.U.Send("/send 0.5 bob@example.com").Expect(t, "The minimum is 1.00 USDC.", "How much USDC?")
	e.U.Send("/send 2000 bob@example.com").Expect(t, "You don't have enough", "How much USDC?")
	e.U.Send("/send 5 bob@example").Expect(t, "“bob@example” doesn't look like an email address", "Who should receive it?")
	e.U.Tap("Email")
	e.U.Send("bob@example.com").Expect(t, "Amount: <b>5.00 USDC</b>")
	e.U.Send("/send 5 "+plugintest.Email).Expect(t, "That's your own email", "Who should receive it?")
	e.U.Send("/send 5 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").Expect(t, "checksum error", "Who should receive it?")
	e.U.Send("/send 5 0x0000000000000000000000000000000000000000").Expect(t, "zero address", "Who should receive it?")
	e.U.Send("/send 25").Expect(t, "Who should receive it?")
	e.U.Tap("Email")
	e.U.Send("bob@example.com").Expect(t, "Amount: <b>25.00 USDC</b>")
	if n := len(e.Emu.CallsTo("POST", "/api/transfers/send")); n != 0 {
		t.Fatalf("%d sends", n)
	}
}

// TestOneLineTranscripts records one-line sends in English and Spanish
// (testdata/oneline.golden, oneline_es.golden; -update rewrites them).
func TestOneLineTranscripts(t *testing.T) {
	t.Run("en", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.addPayee(t, "bob", "bob@example.com")
		e.addPayee(t, "bobby", "bobby@example.com")
		tr := e.transcript()
		tr.Send("/send 25 bob@example.com")
		tr.Tap("Change purpose")
		tr.Tap("Gift")
		tr.Tap("Confirm")
		tr.Send("pay bob 10")
		tr.Send("/send 5 bo")
		tr.Tap("bobby")
		tr.Tap("Cancel")
		tr.Send("send 1e3 to bob@example.com")
		tr.Send("1,000")
		tr.Send("/send 5 zed")
		tr.Tap("Cancel")
		tr.Check(t, "oneline")
	})
	t.Run("es", func(t *testing.T) {
		e := newEnv(t, setup{lang: "es"})
		e.addPayee(t, "bob", "bob@example.com")
		e.addPayee(t, "bobby", "bobby@example.com")
		tr := e.transcript()
		tr.Send("envía 25 a bob@example.com")
		tr.Tap("Confirmar")
		tr.Send("paga 1.000,5 a bob")
		tr.Send("1000,5")
		tr.Send("/send 12,5 bo")
		tr.Tap("bob ·")
		tr.Check(t, "oneline_es")
	})
}

// With default_purpose "", a one-line send asks the purpose (its step),
// with everything else filled in, then shows the summary.
func TestOneLineAsksPurpose(t *testing.T) {
	e := newEnv(t, setup{config: `plugins: {transfer: {default_purpose: ""}}`})
	e.U.Send("/send 25 bob@example.com").Expect(t, "What is this payment for?")
	e.U.Tap("Salary").Expect(t, "To: <b>bob@example.com</b>", "Amount: <b>25.00 USDC</b>", "Purpose: Salary")
	if got := strings.Join(e.U.Last().Labels(), "|"); got != "✅ Confirm|✖️ Cancel|🔄 Pay from another wallet" {
		t.Fatalf("summary buttons %s", got)
	}
}
