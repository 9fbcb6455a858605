package transfer

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// payer is another Telegram user, logged in to their own CopperX account
// (the emulator's demo wallets and balances), in their own chat.
func (e *env) payer(t *testing.T, userID int64, email string) *kerneltest.Chat {
	t.Helper()
	e.Emu.SeedUser(email)
	u := e.H.Private(userID)
	u.LanguageCode = e.U.LanguageCode
	u.Send("/fakelogin "+e.Emu.IssueToken(email)+" approved "+e.Emu.OrgID(email)).Expect(t, "Logged in (test).")
	return u
}

var linkPattern = regexp.MustCompile(`https://t\.me/` + botUsername + `\?start=pay_([A-Za-z0-9_-]+)`)

// request makes a payment request with text ("/request 25 lunch") and
// returns its message (a QR code with a caption) and id.
func (e *env) request(t *testing.T, text string) (*fakebot.Message, string) {
	t.Helper()
	r := e.U.Send(text)
	if k := r.Kinds(); len(k) != 1 || k[0] != "photo" {
		t.Fatalf("%s: %v %q, want one photo", text, k, r.Text())
	}
	m := e.U.Last()
	match := linkPattern.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no payment link in %q", m.Text)
	}
	return m, match[1]
}

// storedRequest is request id as the store keeps it.
func (e *env) storedRequest(t *testing.T, id string) request {
	t.Helper()
	var r request
	raw := e.stored(t, requestKey(id))
	if raw == nil {
		t.Fatalf("no request %s", id)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// chatSays reports whether a message of the bot in chat contains s.
func (e *env) chatSays(chat int64, s string) int {
	n := 0
	for _, m := range e.H.API.Messages(chat) {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// A payment link opened by someone else: /send to the requester for the
// amount, at the summary; Confirm sends it once; the requester is told
// when it completes; the link is used then, for everyone.
func TestRequestPaid(t *testing.T) {
	e := newEnv(t, setup{})
	m, id := e.request(t, "/request 25 lunch with Bob & co")
	if len(m.Photo) == 0 || !strings.Contains(m.Text, "Payment request: 25.00 USDC") || !strings.Contains(m.Text, "lunch with Bob &amp; co") ||
		!strings.Contains(m.Text, "until 2026-03-27 10:00 UTC") {
		t.Fatalf("request message %q (photo %d bytes)", m.Text, len(m.Photo))
	}
	if len(id) != 22 || !requestIDPattern.MatchString(id) {
		t.Fatalf("request id %q: want 22 URL-safe characters (128 bits)", id)
	}
	link := "https://t.me/" + botUsername + "?start=pay_" + id
	buttons := m.AllButtons()
	if len(buttons) != 2 || buttons[0].URL != link || buttons[0].Text != "💸 Pay 25.00 USDC" ||
		!strings.HasPrefix(buttons[1].URL, "https://t.me/share/url?url="+url.QueryEscape(link)+"&text=") ||
		!strings.Contains(buttons[1].URL, "lunch+with+Bob+%26+co") {
		t.Fatalf("buttons %+v", buttons)
	}
	for _, leak := range []string{"ada", "%40", "@"} {
		if strings.Contains(link, leak) {
			t.Fatalf("the link %s carries %q", link, leak)
		}
	}
	if r := e.storedRequest(t, id); r.State != requestOpen || r.Email != plugintest.Email || r.Amount != "25" {
		t.Fatalf("stored %+v", r)
	}

	carol := e.payer(t, 43, "carol@example.com")
	carol.Send("/start pay_"+id).Expect(t, "Please check your transfer", "To: <b>"+plugintest.Email+"</b>", "Amount: <b>25.00 USDC</b>",
		"For the payment request: <i>lunch with Bob &amp; co</i>", "Purpose: Myself")
	if n := e.Posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d sends before Confirm", n)
	}
	if r := e.storedRequest(t, id); r.State != requestOpen {
		t.Fatalf("opening the link claimed the request: %+v", r)
	}
	carol.Tap("Confirm").Expect(t, "Sent 25.00 USDC")
	calls := e.Emu.CallsTo("POST", "/api/transfers/send")
	if len(calls) != 1 || calls[0].Body["email"] != plugintest.Email || calls[0].Body["amount"] != "2500000000" {
		t.Fatalf("sends %v", calls)
	}
	r := e.storedRequest(t, id)
	if r.State != requestPaid || !r.Told || r.PayerUser != 43 {
		t.Fatalf("request after the payment %+v", r)
	}
	if n := e.chatSays(e.U.ChatID, "Your payment request was paid</b>: 25.00 USDC (lunch with Bob &amp; co)"); n != 1 {
		t.Fatalf("the requester was told %d times", n)
	}
	// Used: for the payer, for anyone else; the requester's own link.
	carol.Send("/start pay_"+id).Expect(t, "has been paid already")
	e.payer(t, 44, "dave@example.com").Send("/start pay_"+id).Expect(t, "has been paid already")
	e.U.Send("/start pay_"+id).Expect(t, "This is your own payment request")
	e.U.Send("/requests").Expect(t, "1. <b>25.00 USDC</b> · lunch with Bob &amp; co — ✅ paid by", "on 2026-03-20 10:00 UTC")
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d sends", n)
	}
}

// The requester's own link, from their chat or another account of theirs
// on the same Telegram user, pays nothing.
func TestRequestOwnLink(t *testing.T) {
	e := newEnv(t, setup{})
	_, id := e.request(t, "/request 5")
	e.U.Send("/start pay_"+id).Expect(t, "This is your own payment request")
	e.Emu.SeedUser("eve@example.com")
	e.U.Send("/fakelogin "+e.Emu.IssueToken("eve@example.com")).Expect(t, "Logged in (test).")
	e.U.Send("/start pay_"+id).Expect(t, "This is your own payment request")
	if n := len(e.Emu.CallsTo("GET", "/api/wallets/balances")); n != 0 {
		t.Fatalf("an own link went on to the send's checks (%d balance reads)", n)
	}
}

// Expired: opened after request_ttl (fake clock) it says so with the date;
// long after, it is unknown, as a made-up id is; one that expires between
// the summary and Confirm is not sent.
func TestRequestExpired(t *testing.T) {
	e := newEnv(t, setup{})
	_, id := e.request(t, "/request 5 taxi")
	e.H.Clock.Advance(7*24*time.Hour - time.Minute)
	carol := e.payer(t, 43, "carol@example.com") // logged in now: FakeAuth's logins last a day
	carol.Send("/start pay_"+id).Expect(t, "Please check your transfer")
	e.H.Clock.Advance(2 * time.Minute)
	carol.Tap("Confirm").Expect(t, "This payment link expired on 2026-03-27 10:00 UTC", "Nothing was sent.")
	carol.Send("/start pay_"+id).Expect(t, "This payment link expired on 2026-03-27 10:00 UTC")
	e.Login(e.U, "")
	e.U.Send("/requests").Expect(t, "⌛ expired on 2026-03-27 10:00 UTC")
	e.H.Clock.Advance(8 * 24 * time.Hour)
	carol = e.payer(t, 43, "carol@example.com")
	carol.Send("/start pay_"+id).Expect(t, "This payment link is not valid")
	carol.Send("/start pay_AAAAAAAAAAAAAAAAAAAAAA").Expect(t, "This payment link is not valid")
	if n := e.Posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d sends", n)
	}
}

// Two payers at the summary: the first Confirm pays; the other is told the
// request was paid, and nothing more is sent — also when both tap at the
// same moment.
func TestRequestTwoPayers(t *testing.T) {
	t.Run("one after the other", func(t *testing.T) {
		e := newEnv(t, setup{})
		_, id := e.request(t, "/request 10")
		carol, dave := e.payer(t, 43, "carol@example.com"), e.payer(t, 44, "dave@example.com")
		carol.Send("/start pay_"+id).Expect(t, "Please check your transfer")
		dave.Send("/start pay_"+id).Expect(t, "Please check your transfer")
		carol.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
		dave.Tap("Confirm").Expect(t, "has been paid already", "Nothing was sent.")
		if n := e.Posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d sends", n)
		}
	})
	t.Run("at once", func(t *testing.T) {
		e := newEnv(t, setup{redis: true})
		_, id := e.request(t, "/request 10")
		payers := []*kerneltest.Chat{e.payer(t, 43, "carol@example.com"), e.payer(t, 44, "dave@example.com"), e.payer(t, 45, "erin@example.com")}
		taps := make([]func() kerneltest.Replies, len(payers))
		for i, p := range payers {
			p.Send("/start pay_"+id).Expect(t, "Please check your transfer")
			m, b := p.FindButton("Confirm")
			taps[i] = func() kerneltest.Replies { return p.Handle(p.CallbackUpdate(m.ID, b.Data)) }
		}
		replies := make([]kerneltest.Replies, len(payers))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range payers {
			wg.Go(func() {
				<-start
				replies[i] = taps[i]()
			})
		}
		close(start)
		wg.Wait()
		sent, refused := 0, 0
		for _, r := range replies {
			switch {
			case r.Contains("Sent 10.00 USDC"):
				sent++
			case r.Contains("Nothing was sent."):
				refused++
			}
		}
		if sent != 1 || refused != 2 {
			t.Fatalf("%d sent, %d refused: %v", sent, refused, replies)
		}
		if n := e.Posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d sends", n)
		}
	})
}

// A payment CopperX refuses opens the request again: another payer can pay
// it, and the requester was not told anything meanwhile.
func TestRequestRefusedReopens(t *testing.T) {
	e := newEnv(t, setup{})
	_, id := e.request(t, "/request 10")
	carol := e.payer(t, 43, "carol@example.com")
	carol.Send("/start pay_" + id)
	e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{Status: 422, Body: `{"message":"Recipient not allowed","statusCode":422}`, Times: 1})
	carol.Tap("Confirm").Expect(t, "Nothing was sent")
	if r := e.storedRequest(t, id); r.State != requestOpen || r.Confirmation != "" {
		t.Fatalf("request after a refusal %+v", r)
	}
	dave := e.payer(t, 44, "dave@example.com")
	dave.Send("/start pay_" + id)
	dave.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
	if n := e.chatSays(e.U.ChatID, "Your payment request was paid"); n != 1 {
		t.Fatalf("the requester was told %d times", n)
	}
}

// A payment whose answer was lost keeps the request claimed (nobody else
// can pay it meanwhile); when outcome tracking finds the transfer, the
// request is paid and the requester told, once.
func TestRequestTrackedCompletion(t *testing.T) {
	e := newTracked(t, setup{})
	_, id := e.request(t, "/request 9")
	carol := e.payer(t, 43, "carol@example.com")
	carol.Send("/start pay_" + id)
	e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{LateWork: 5 * time.Second, Times: 1})
	carol.Tap("Confirm").Expect(t, "can't tell yet")
	if r := e.storedRequest(t, id); r.State != requestPaying {
		t.Fatalf("request while the outcome is unknown %+v", r)
	}
	e.payer(t, 44, "dave@example.com").Send("/start pay_"+id).Expect(t, "Someone is paying this request right now")
	if n := e.chatSays(e.U.ChatID, "Your payment request was paid"); n != 0 {
		t.Fatal("the requester was told before the transfer was found")
	}
	for i := 0; i < 20 && e.storedRequest(t, id).State != requestPaid; i++ {
		e.later(t, firstCheck)
	}
	if r := e.storedRequest(t, id); r.State != requestPaid || !r.Told {
		t.Fatalf("request after tracking %+v", r)
	}
	e.later(t, time.Minute)
	if n := e.chatSays(e.U.ChatID, "Your payment request was paid</b>: 9.00 USDC"); n != 1 {
		t.Fatalf("the requester was told %d times", n)
	}
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d sends", n)
	}
}

// A payer whose wallet is short lands at the amount step, told so; the
// amount cannot change there.
func TestRequestAmountFixed(t *testing.T) {
	e := newEnv(t, setup{})
	_, id := e.request(t, "/request 900")
	carol := e.payer(t, 43, "carol@example.com")
	e.Emu.SetBalance("carol@example.com", copperxtest.NetworkPolygon, "USDC", "100")
	carol.Send("/start pay_"+id).Expect(t, "You don't have enough: your balance is 100.00 USDC", "This payment request is for <b>900.00 USDC</b>")
	carol.Send("100").Expect(t, "the amount can't change")
	if n := e.Posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d sends", n)
	}
}

// /requests lists the requests with Cancel for the open ones; a canceled
// link says so; request_max_open bounds the open ones; a bad /request says
// how to use it.
func TestRequestsListAndCancel(t *testing.T) {
	e := newEnv(t, setup{config: "plugins: {transfer: {request_max_open: 2, request_note_max: 10}}"})
	e.U.Send("/requests").Expect(t, "You have no payment requests")
	e.U.Send("/request").Expect(t, "with the amount, and a note if you like")
	e.U.Send("/request lunch 5").Expect(t, "with the amount, and a note if you like")
	e.U.Send("/request 1e3").Expect(t, "no exponents")
	e.U.Send("/request 0.5").Expect(t, "The minimum is 1.00 USDC.")
	e.U.Send("/request 5 a very long note").Expect(t, "at most 10 characters")
	_, first := e.request(t, "/request 5 taxi")
	_, second := e.request(t, "/request 6 USDC cinema")
	e.U.Send("/request 7").Expect(t, "You have 2 open payment requests already")
	r := e.U.Send("/requests").Expect(t, "1. <b>6.00 USDC</b> · cinema — open until 2026-03-27 10:00 UTC\nhttps://t.me/"+botUsername+"?start=pay_"+second,
		"2. <b>5.00 USDC</b> · taxi — open until", "start=pay_"+first)
	if strings.Index(r.Text(), "1. <b>6.00") > strings.Index(r.Text(), "2. <b>5.00") {
		t.Fatalf("not newest first:\n%s", r.Text())
	}
	if got := strings.Join(e.U.Last().Labels(), "|"); got != "✖️ Cancel 1|✖️ Cancel 2" {
		t.Fatalf("buttons %s", got)
	}
	e.U.Tap("Cancel 2").Expect(t, "Request canceled.", "2. <b>5.00 USDC</b> · taxi — ✖️ canceled")
	if got := strings.Join(e.U.Last().Labels(), "|"); got != "✖️ Cancel 1" {
		t.Fatalf("buttons after canceling %s", got)
	}
	e.payer(t, 43, "carol@example.com").Send("/start pay_"+first).Expect(t, "was canceled by whoever made it")
	e.request(t, "/request 7") // a canceled request is not open
	// Another user cannot cancel (or even name) the user's requests.
	carol := e.H.Private(43)
	e.U.Send("/requests")
	m, cancel := e.button(t, "Cancel 2")
	if r := carol.Handle(carol.CallbackUpdate(m.ID, cancel.Data)); !r.Contains("This button has expired") {
		t.Fatalf("another user's cancel: %s", r.Text())
	}
	if r := e.storedRequest(t, second); r.State != requestOpen {
		t.Fatalf("canceled by another user: %+v", r)
	}
}

// In Spanish: the request, the payer's summary and the requester's news
// in the language, amounts the Spanish way.
func TestRequestSpanish(t *testing.T) {
	e := newEnv(t, setup{lang: "es"})
	m, id := e.request(t, "/request 1.250,5 alquiler")
	if !strings.Contains(m.Text, "Solicitud de pago: 1.250,50 USDC") || m.AllButtons()[0].Text != "💸 Pagar 1.250,50 USDC" {
		t.Fatalf("request message %q %+v", m.Text, m.AllButtons())
	}
	carol := e.payer(t, 43, "carol@example.com")
	e.Emu.SetBalance("carol@example.com", copperxtest.NetworkPolygon, "USDC", "5000")
	// Above reconfirm_above: the amount typed again first.
	carol.Send("/start pay_"+id).Expect(t, "Una transferencia grande", "1.250,50 USDC para "+plugintest.Email)
	carol.Send("1250,50").Expect(t, "Importe: <b>1.250,50 USDC</b>", "Para la solicitud de pago: <i>alquiler</i>")
	carol.Tap("Confirmar").Expect(t, "Enviados 1.250,50 USDC")
	if n := e.chatSays(e.U.ChatID, "Te pagaron tu solicitud de pago</b>: 1.250,50 USDC (alquiler)"); n != 1 {
		t.Fatalf("the requester was told %d times", n)
	}
}

// TestRequestTranscript records a payment request from both sides
// (testdata/request.golden; -update rewrites it): the requester's link,
// the payer's summary and receipt, the requester's news, a used link and
// the requester's own.
func TestRequestTranscript(t *testing.T) {
	e := newEnv(t, setup{})
	carol := e.payer(t, 43, "carol@example.com")
	tr := e.transcript().Scrub(`pay_[A-Za-z0-9_-]{22}`, "pay_<request>")
	tr.Record("(FakeAuth gives every test account the email ada@example.com: carol's payment says \"from ada@example.com\")", nil)
	tr.Send("/request 25 lunch")
	m := e.U.Last()
	id := linkPattern.FindStringSubmatch(m.Text)[1]
	payer := func(input string, r kerneltest.Replies) { tr.Record("> (carol, in her chat) "+input, r) }
	payer("/start pay_"+id, carol.Send("/start pay_"+id))
	mark := e.mark()
	payer("(tap) Confirm", carol.Tap("Confirm"))
	tr.Record("(ada's chat, meanwhile)", e.since(mark))
	payer("/start pay_"+id, carol.Send("/start pay_"+id))
	tr.Send("/start pay_" + id)
	tr.Send("/requests")
	tr.Check(t, "request")
}
