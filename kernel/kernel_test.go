package kernel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/secret"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

func newDemo(t testing.TB, extraConfig string, opts ...func(*kerneltest.Options)) (*kerneltest.Harness, *demo) {
	t.Helper()
	d := &demo{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	o := kerneltest.Options{
		Config:       demoConfig + extraConfig,
		Plugins:      []kernel.Plugin{d},
		ExtraLocales: map[string]string{"en": demoLocale},
	}
	for _, f := range opts {
		f(&o)
	}
	return kerneltest.New(t, o), d
}

// sessionFlow reads the raw stored session of a user.
func storedSession(t *testing.T, h *kerneltest.Harness, userID int64) map[string]any {
	t.Helper()
	raw, _, err := h.Store.Get(context.Background(), store.SessionKey(strconv.FormatInt(userID, 10)), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if raw != nil {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestTwoStepFlowAndConfirm(t *testing.T) {
	h, d := newDemo(t, "")
	u := h.Private(42)
	u.Send("/order").Expect(t, "What is your name?")
	u.Send("B").Expect(t, "Too short")
	u.Send("Bob <script>").Expect(t, "How many?")
	r := u.Send("3").Expect(t, "Bob &lt;script&gt; wants 3. Confirm?")
	got := r[0].Message.AllButtons()
	if len(got) != 2 || !strings.HasPrefix(got[0].Data, "demo:order.confirm.confirm:") || !strings.HasPrefix(got[1].Data, "kernel:cancel:") {
		t.Fatalf("buttons = %+v", got)
	}
	confirmData := got[0].Data
	if f := storedSession(t, h, 42)["flow"].(map[string]any); f["step"] != "confirm" || f["name"] != "demo.order" {
		t.Fatalf("stored flow = %v", f)
	}
	if r := u.Tap("Confirm").Expect(t, "Done."); r.Kinds()[0] != "edit" {
		t.Fatalf("Confirm did not turn the summary into the result: %v", r.Kinds())
	}
	if d.confirmed.Load() != 1 {
		t.Fatalf("confirmed %d times", d.confirmed.Load())
	}
	if _, ok := storedSession(t, h, 42)["flow"]; ok {
		t.Fatal("flow still stored after it ended")
	}
	// The summary became the result, without buttons; a second tap on the
	// old Confirm (a double tap) is refused by the kernel, nothing happens.
	last := u.Last()
	if last.Text != "Done." || len(last.AllButtons()) != 0 {
		t.Fatalf("summary after Confirm = %q %v", last.Text, last.AllButtons())
	}
	r = u.Handle(u.CallbackUpdate(last.ID, confirmData))
	if !r.Contains("This button has expired") || d.confirmed.Load() != 1 {
		t.Fatalf("replayed confirm: %q, confirmed=%d", r.Text(), d.confirmed.Load())
	}
}

func TestBadInputKeepsStep(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(1)
	u.Send("/order")
	u.Send("Bob")
	u.Send("lots").Expect(t, "A positive whole number")
	u.Send("2").Expect(t, "Bob wants 2")
}

func TestCancel(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(7)
	u.Send("/cancel").Expect(t, "There is nothing to cancel.")
	u.Send("/order")
	u.Send("/cancel").Expect(t, "Cancelled. Nothing was sent.")
	u.Send("Bob").Expect(t, "I didn't understand that")
}

func TestFlowTimeout(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(8)
	u.Send("/order")
	h.Clock.Advance(16 * time.Minute)
	r := u.Send("Bob").Expect(t, "timed out")
	if r.Contains("How many?") {
		t.Fatal("expired flow still advanced")
	}
	u.Send("Bob").Expect(t, "I didn't understand that")
}

func TestCommandInterruptsFlow(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(9)
	u.Send("/order")
	u.Send("/hello Ann").Expect(t, "Hello Ann!")
	u.Send("Bob").Expect(t, "I didn't understand that")
}

func TestUnknownCommandLeavesFlow(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(10)
	u.Send("/order")
	u.Send("/nope").Expect(t, "I don't know /nope")
	u.Send("Bob").Expect(t, "How many?")
}

func TestForgedCallbacks(t *testing.T) {
	h, d := newDemo(t, "")
	u := h.Private(11)
	u.Send("/order")
	u.Send("Bob")
	u.Send("5")
	before := storedSession(t, h, 11)
	for _, data := range []string{"demo:confirm:n999", "demo:confirm", "nope:x", "demo:unknown:1", "::", "kernel:lang:xx", "kernel:run:boom", strings.Repeat("a", 80)} {
		r := u.Handle(u.CallbackUpdate(1, data))
		if !r.Contains("This button has expired") {
			t.Errorf("data %q: replies %q", data, r.Text())
		}
	}
	if d.confirmed.Load() != 0 {
		t.Fatal("a forged callback confirmed")
	}
	after := storedSession(t, h, 11)
	bj, _ := json.Marshal(before["flow"])
	aj, _ := json.Marshal(after["flow"])
	if string(bj) != string(aj) {
		t.Fatalf("flow changed by forged callbacks:\n%s\n%s", bj, aj)
	}
}

func TestDuplicateUpdateHandledOnce(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(12)
	upd := u.MessageUpdate("/greet")
	u.Handle(upd)
	u.Handle(upd)
	if n := len(h.API.Calls("sendMessage")); n != 1 {
		t.Fatalf("sendMessage called %d times for one update", n)
	}
}

func TestConcurrentUpdatesOneChatInOrder(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			h, d := newDemo(t, "", func(o *kerneltest.Options) {
				if backend == "redis" {
					rdb, prefix := storetest.Redis(t)
					o.Store = store.NewRedis(rdb, prefix)
				}
			})
			u := h.Private(13)
			var dones []<-chan string
			for i := range 50 {
				upd := u.MessageUpdate(fmt.Sprintf("/seq %d", i))
				dones = append(dones, h.Kernel.Submit(context.Background(), &upd))
			}
			for _, done := range dones {
				<-done
			}
			if d.maxSeen.Load() != 1 {
				t.Fatalf("%d handlers of one chat ran at once", d.maxSeen.Load())
			}
			var want []string
			for i := range 50 {
				want = append(want, fmt.Sprint(i))
			}
			if got := strings.Join(d.order, ","); got != strings.Join(want, ",") {
				t.Fatalf("order = %s", got)
			}
			vals := storedSession(t, h, 13)["values"].(map[string]any)
			if got := len(vals["demo.seq"].([]any)); got != 50 {
				t.Fatalf("stored %d of 50 entries", got)
			}
		})
	}
}

func TestPanicBecomesApology(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(14)
	r := u.Send("/boom").Expect(t, "Sorry, something went wrong")
	if !strings.Contains(h.Logs.String(), "kaboom") {
		t.Fatal("panic not logged")
	}
	ref := between(r.Text(), "<code>", "</code>")
	if len(ref) != 8 || !strings.Contains(h.Logs.String(), "ref="+ref) {
		t.Fatalf("correlation id %q not in the logs", ref)
	}
	u.Send("/greet").Expect(t, "Hello")
}

func TestErrorNeverReachesUser(t *testing.T) {
	h, _ := newDemo(t, "")
	r := h.Private(15).Send("/fail").Expect(t, "Sorry, something went wrong")
	if r.Contains("hunter2") {
		t.Fatal("raw error shown to the user")
	}
}

func TestRateLimitRepliesOncePerWindow(t *testing.T) {
	h, _ := newDemo(t, "rate_limits:\n  default: {rate: 2, period: 1m, burst: 2}\n", func(o *kerneltest.Options) {
		o.Config = strings.Replace(o.Config, "rate_limits:\n  default: {rate: 1000, period: 1s, burst: 1000}\n", "", 1)
	})
	u := h.Private(16)
	var limited int
	for range 8 {
		r := u.Send("/greet")
		if r.Contains("Slow down") {
			limited++
		}
	}
	if limited != 1 {
		t.Fatalf("slow-down reply sent %d times, want once per window", limited)
	}
	if n := len(h.API.Calls("sendMessage")); n != 3 {
		t.Fatalf("sendMessage calls = %d, want 2 greetings + 1 notice", n)
	}
}

func TestPrivateOnly(t *testing.T) {
	h, _ := newDemo(t, "")
	h.Kernel.Bot().Username = "copperx_test_bot"
	r := h.Group(-100, 17).Send("/private").Expect(t, "only do this in a private chat")
	if b := r[0].Message.AllButtons(); len(b) != 1 || b[0].URL != "https://t.me/copperx_test_bot?start=private" {
		t.Fatalf("deep link = %+v", b)
	}
	h.Private(17).Send("/private").Expect(t, "Hello")
	h.Private(17).Send("/start private").Expect(t, "Hello")
}

func TestGuard(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(18)
	u.Send("/guarded").Expect(t, "Not allowed yet.")
	u.Send("/allow")
	u.Send("/guarded").Expect(t, "The secret.")
}

func TestHelpStartAndConfigCommand(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(19)
	u.Send("/help").Expect(t, "/start — Start and main menu", "/greet, /hello — Say hello", "/support — Contact CopperX support", "/cancel")
	r := u.Send("/start").Expect(t, "Hi Ada!")
	var labels []string
	for _, b := range r[0].Message.AllButtons() {
		labels = append(labels, b.Text+"="+b.Data)
	}
	if got := strings.Join(labels, " "); got != "Say hello=kernel:run:demo.greet Order something=kernel:run:demo.order" {
		t.Fatalf("menu = %s", got)
	}
	u.Tap("Say hello").Expect(t, "Hello")
	r = u.Send("/support").Expect(t, "community chat")
	if b := r[0].Message.AllButtons(); len(b) != 1 || b[0].URL != "https://t.me/copperxcommunity/2183" {
		t.Fatalf("support buttons = %+v", b)
	}
}

func TestDisabledCommandVanishes(t *testing.T) {
	h, _ := newDemo(t, "", func(o *kerneltest.Options) {
		o.Config = strings.Replace(o.Config, "{name: greet, action: demo.greet, menu: true, aliases: [hello]}", "{name: greet, action: demo.greet, enabled: false}", 1)
	})
	u := h.Private(20)
	u.Send("/greet").Expect(t, "I don't know /greet")
	if u.Send("/help").Contains("/greet") {
		t.Fatal("disabled command in /help")
	}
}

func TestLanguage(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(21)
	u.Send("/language").Expect(t, "Choose your language")
	u.Tap("Español").Expect(t, "Idioma cambiado a español.")
	u.Send("/cancel").Expect(t, "No hay nada que cancelar.")
	// Telegram's language_code picks the language before /language does.
	v := h.Private(22)
	v.LanguageCode = "es-MX"
	v.Send("/cancel").Expect(t, "No hay nada que cancelar.")
}

func TestOversizedText(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(23)
	u.Send("/order")
	u.Send(strings.Repeat("x", 5000)).Expect(t, "too long (at most 1024 characters)")
	u.Send("Bob").Expect(t, "How many?")
}

func TestTelegram429IsRetried(t *testing.T) {
	h, _ := newDemo(t, "")
	h.API.Fail("sendMessage", http.StatusTooManyRequests, 1, 1)
	u := h.Private(24)
	start := time.Now()
	u.Send("/greet").Expect(t, "Hello")
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("retried after %s, before Telegram's retry_after of 1s", waited)
	}
	if n := len(h.API.Calls("sendMessage")); n != 2 {
		t.Fatalf("sendMessage calls = %d, want the 429 and the retry", n)
	}
}

func TestWebhookSecret(t *testing.T) {
	h, _ := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "WEBHOOK_URL=https://bot.example.com/tg/hook", "WEBHOOK_SECRET=0123456789abcdef-secret")
	})
	srv := httptest.NewServer(h.Kernel.WebhookHandler())
	defer srv.Close()
	u := h.Private(25)
	body, _ := json.Marshal(u.MessageUpdate("/greet"))
	post := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(string(body)))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, bad := range []string{"", "wrong-secret-0000000"} {
		if code := post(bad); code != http.StatusUnauthorized {
			t.Fatalf("secret %q: status %d", bad, code)
		}
	}
	if n := len(h.API.Calls("sendMessage")); n != 0 {
		t.Fatalf("an unauthorized webhook was processed (%d sends)", n)
	}
	if code := post("0123456789abcdef-secret"); code != http.StatusOK {
		t.Fatalf("good secret: status %d", code)
	}
	if n := len(h.API.Calls("sendMessage")); n != 1 {
		t.Fatalf("sendMessage calls = %d after a good webhook", n)
	}
	if code := post("0123456789abcdef-secret"); code != http.StatusOK || len(h.API.Calls("sendMessage")) != 1 {
		t.Fatal("a redelivered webhook update was handled twice")
	}
}

func TestRunPollingMenuAndShutdown(t *testing.T) {
	h, _ := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "LISTEN_ADDR=127.0.0.1:0", "COPPERX_BOT_TELEGRAM__POLL_TIMEOUT=1s")
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.Kernel.Run(ctx) }()
	u := h.Private(26)
	h.API.PushUpdate(u.MessageUpdate("/greet"))
	deadline := time.Now().Add(5 * time.Second)
	for len(h.API.Calls("sendMessage")) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(h.API.Messages(26)[0].Text, "Hello") {
		t.Fatal("polled update not answered")
	}
	for _, lang := range []string{"", "en", "es"} {
		var names []string
		for _, c := range h.API.Commands(lang) {
			names = append(names, c.Command)
		}
		if got := strings.Join(names, ","); got != "greet,order,support,help,cancel,language" {
			t.Fatalf("setMyCommands(%q) = %s", lang, got)
		}
	}
	es := h.API.Commands("es")
	if es[2].Description != "Contactar con soporte de CopperX" || es[3].Description != "Qué puedo hacer" {
		t.Fatalf("es menu = %+v", es)
	}
}

func TestSessionTokenEncryptedAtRest(t *testing.T) {
	d := &tokenPlugin{}
	h := kerneltest.New(t, kerneltest.Options{
		Config:       "plugins:\n  tok: {enabled: true}\ncommands:\n  - {name: settok, action: tok.set}\n  - {name: gettok, action: tok.get}\n",
		Plugins:      []kernel.Plugin{d},
		ExtraLocales: map[string]string{"en": "commands:\n  settok: x\n  gettok: y\n"},
	})
	u := h.Private(27)
	u.Send("/settok")
	raw, _, _ := h.Store.Get(context.Background(), store.SessionKey("27"), 0)
	if strings.Contains(string(raw), "jwt-very-secret") {
		t.Fatalf("token stored in clear: %s", raw)
	}
	u.Send("/gettok")
	if d.got != "jwt-very-secret" {
		t.Fatalf("token after reload = %q", d.got)
	}
	if strings.Contains(h.Logs.String(), "jwt-very-secret") {
		t.Fatal("token in logs")
	}
	// A background service reads the principal and writes to the user.
	p, err := d.sessions.Principal(context.Background(), 27)
	if err != nil || p == nil || p.Token.Reveal() != "jwt-very-secret" || p.UserID != "u1" {
		t.Fatalf("Sessions.Principal = %+v, %v", p, err)
	}
	if p, err := d.sessions.Principal(context.Background(), 999); p != nil || err != nil {
		t.Fatalf("unknown user: %+v, %v", p, err)
	}
	if _, err := d.notifier.Send(context.Background(), kernel.Recipient{ChatID: 27, UserID: 27, Lang: "es-ES"}, func(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
		return c.T("kernel.cancel.nothing", nil) + " " + c.FormatAmount(decimal.RequireFromString("1250.5")), nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if m := h.API.Messages(27); m[len(m)-1].Text != "No hay nada que cancelar. 1.250,50" {
		t.Fatalf("notifier sent %q", m[len(m)-1].Text)
	}
	h.Clock.Advance(2 * time.Hour) // the token expired
	if p, _ := d.sessions.Principal(context.Background(), 27); p != nil {
		t.Fatal("an expired principal was returned")
	}
}

type tokenPlugin struct {
	got      string
	sessions *kernel.Sessions
	notifier *kernel.Notifier
}

func (p *tokenPlugin) Name() string { return "tok" }
func (p *tokenPlugin) Setup(r *kernel.Registrar) error {
	p.sessions, p.notifier = r.Sessions(), r.Notifier()
	r.Action("set", func(c *kernel.Ctx) error {
		c.SetPrincipal(&kernel.Principal{UserID: "u1", Token: secret.New("jwt-very-secret"), ExpiresAt: c.Now().Add(time.Hour)})
		c.Log.Info("principal set", "principal", c.Principal())
		return nil
	})
	r.Action("get", func(c *kernel.Ctx) error {
		if pr := c.Principal(); pr != nil {
			p.got = pr.Token.Reveal()
		}
		return nil
	})
	return nil
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	out, _, _ := strings.Cut(rest, b)
	return out
}

func TestHealthReadyMetrics(t *testing.T) {
	h, _ := newDemo(t, "")
	h.Private(30).Send("/greet")
	srv := httptest.NewServer(h.Kernel.HTTPHandler())
	defer srv.Close()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": `bot_updates_total{kind="command",outcome="ok"} 1`} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d %q", path, res.StatusCode, body)
		}
	}
}

func TestRunWebhook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const secret = "0123456789abcdef-secret"
	h, _ := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "LISTEN_ADDR="+addr, "WEBHOOK_URL=https://bot.example.com/tg/hook", "WEBHOOK_SECRET="+secret)
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.Kernel.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for h.API.Webhook() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	calls := h.API.Calls("setWebhook")
	if len(calls) != 1 || calls[0].Params["secret_token"] != secret || calls[0].Params["allowed_updates"] != `["message","callback_query"]` {
		t.Fatalf("setWebhook calls = %+v", calls)
	}
	body, _ := json.Marshal(h.Private(31).MessageUpdate("/greet"))
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/tg/hook", strings.NewReader(string(body)))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(h.API.Calls("sendMessage")) != 1 {
		t.Fatalf("webhook update: status %d, sends %d", res.StatusCode, len(h.API.Calls("sendMessage")))
	}
	if len(h.API.Calls("getUpdates")) != 0 {
		t.Fatal("polled while in webhook mode")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestEndedFlowLeavesNoLiveButtons(t *testing.T) {
	for _, end := range []string{"/cancel", "/greet", "timeout"} {
		t.Run(end, func(t *testing.T) {
			h, d := newDemo(t, "")
			u := h.Private(32)
			u.Send("/order")
			u.Send("Bob")
			summary := u.Send("4")[0].Message
			if len(summary.AllButtons()) != 2 {
				t.Fatal("summary has no Confirm")
			}
			confirm := summary.AllButtons()[0].Data
			if end == "timeout" {
				h.Clock.Advance(time.Hour)
				u.Send("hello").Expect(t, "timed out")
			} else {
				u.Send(end)
			}
			if m := h.API.Message(32, summary.ID); len(m.AllButtons()) != 0 {
				t.Fatalf("after %s the summary still has %v", end, m.AllButtons())
			}
			if r := u.Handle(u.CallbackUpdate(summary.ID, confirm)); !r.Contains("expired") || d.confirmed.Load() != 0 {
				t.Fatal("a confirm from an ended flow went through")
			}
		})
	}
}

func TestPollingSlowChatDoesNotHoldOthers(t *testing.T) {
	h, d := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "LISTEN_ADDR=127.0.0.1:0", "COPPERX_BOT_TELEGRAM__POLL_TIMEOUT=1s", "COPPERX_BOT_UPDATES__POLL_ACK_WAIT=50ms")
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.Kernel.Run(ctx) }()
	h.API.PushUpdate(h.Private(40).MessageUpdate("/slow"))
	time.Sleep(100 * time.Millisecond) // the slow update is being handled
	h.API.PushUpdate(h.Private(41).MessageUpdate("/greet"))
	deadline := time.Now().Add(5 * time.Second)
	for len(h.API.Messages(41)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	answered := len(h.API.Messages(41)) > 0
	close(d.release)
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !answered {
		t.Fatal("a slow chat held up another chat's update")
	}
}

// TestOneUserTwoChats: the session belongs to the user, so a user writing
// in a group and in private at once must not lose updates to version
// conflicts.
func TestOneUserTwoChats(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			h, _ := newDemo(t, "", func(o *kerneltest.Options) {
				if backend == "redis" {
					rdb, prefix := storetest.Redis(t)
					o.Store = store.NewRedis(rdb, prefix)
				}
			})
			private, group := h.Private(50), h.Group(-500, 50)
			var dones []<-chan string
			for i := range 20 {
				for _, c := range []*kerneltest.Chat{private, group} {
					upd := c.MessageUpdate(fmt.Sprintf("/seq %s%d", c.Type[:1], i))
					dones = append(dones, h.Kernel.Submit(context.Background(), &upd))
				}
			}
			for _, done := range dones {
				<-done
			}
			vals := storedSession(t, h, 50)["values"].(map[string]any)
			if got := len(vals["demo.seq"].([]any)); got != 40 {
				t.Fatalf("stored %d of 40 entries", got)
			}
			if strings.Contains(h.Logs.String(), "save session") {
				t.Fatal("a session save conflicted")
			}
		})
	}
}

func TestUndeclaredTransitionIsAnError(t *testing.T) {
	h, _ := newDemo(t, "")
	h.Private(60).Send("/wander").Expect(t, "Sorry, something went wrong")
	if !strings.Contains(h.Logs.String(), "undeclared flow transition") {
		t.Fatal("undeclared transition not reported")
	}
}

func TestOversizedCallbackDataFailsTheSend(t *testing.T) {
	h, _ := newDemo(t, "")
	h.Private(61).Send("/longbutton").Expect(t, "Sorry, something went wrong")
	if !strings.Contains(h.Logs.String(), "bad callback button") || len(h.API.Calls("sendMessage")) != 1 {
		t.Fatal("a button with over 64 bytes of data reached Telegram")
	}
}

func TestShutdownFinishesInFlightUpdates(t *testing.T) {
	h, d := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "LISTEN_ADDR=127.0.0.1:0", "COPPERX_BOT_TELEGRAM__POLL_TIMEOUT=1s")
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.Kernel.Run(ctx) }()
	h.API.PushUpdate(h.Private(62).MessageUpdate("/slow"))
	<-d.entered
	cancel() // SIGTERM while /slow is running
	time.AfterFunc(50*time.Millisecond, func() { close(d.release) })
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d.finished.Load() != 1 {
		t.Fatal("Run returned before the in-flight update finished")
	}
}

func TestReplyAfterHandlerDeadline(t *testing.T) {
	h, _ := newDemo(t, "updates: {handler_timeout: 1s, lock_ttl: 3s}\n")
	r := h.Private(63).Send("/late")
	if !r.Contains("Hello late!") {
		t.Fatalf("no reply after the handler's deadline: %q", r.Text())
	}
}

// TestFlowStaysInItsChat: a flow started in private never takes input from
// the same user's group chat, and the group's chatter does not end it.
func TestFlowStaysInItsChat(t *testing.T) {
	h, d := newDemo(t, "")
	private, group := h.Private(70), h.Group(-700, 70)
	private.Send("/order").Expect(t, "What is your name?")
	for _, text := range []string{"Mallory", "/greet there", "hello everyone", "/otherbot_cmd"} {
		r := group.Send(text)
		if r.Contains("How many?") || r.Contains("What is your name") || r.Contains("I didn't understand") || r.Contains("I don't know") {
			t.Fatalf("group %q got %q", text, r.Text())
		}
	}
	private.Send("Bob").Expect(t, "How many?")
	summary := private.Send("2").Expect(t, "Bob wants 2")[0].Message
	group.Handle(group.CallbackUpdate(summary.ID, "demo:confirm:n2")).Expect(t, "This button has expired")
	if d.confirmed.Load() != 0 {
		t.Fatal("confirmed from the group")
	}
	private.Tap("Confirm").Expect(t, "Done.")
}

func TestLanguageSwitchEndsFlow(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(71)
	u.Send("/language")
	u.Send("/order")
	// An old language button, tapped mid-flow.
	m, b := u.FindButton("Español")
	r := u.Handle(u.CallbackUpdate(m.ID, b.Data)).Expect(t, "Idioma cambiado", "no se envió nada")
	if u.Send("Bob").Contains("How many") || storedSession(t, h, 71)["flow"] != nil {
		t.Fatalf("flow survived the language switch: %q", r.Text())
	}
}

// TestOnlyTheCurrentPromptHasButtons: moving to the next step takes the
// buttons off the previous prompt, so an old Cancel cannot act on a later
// step.
func TestOnlyTheCurrentPromptHasButtons(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(80)
	first := u.Send("/order")[0].Message
	second := u.Send("Bob").Expect(t, "How many?")
	var qty *fakebot.Message
	for _, e := range second {
		if e.Kind == "send" {
			qty = e.Message
		}
	}
	if m := h.API.Message(80, first.ID); len(m.AllButtons()) != 0 {
		t.Fatalf("the name prompt still has %v", m.AllButtons())
	}
	if m := h.API.Message(80, qty.ID); len(m.AllButtons()) != 1 || !strings.HasPrefix(m.AllButtons()[0].Data, "kernel:cancel:") {
		t.Fatalf("the current prompt lost its buttons: %v", m.AllButtons())
	}
}

// TestLockKeys: the user's lock is <prefix>lock:user:{<id>} in Redis (the
// hash tag keeps it in the session's cluster slot), not lock:lock:user:….
func TestLockKeys(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	h, d := newDemo(t, "", func(o *kerneltest.Options) { o.Store = store.NewRedis(rdb, prefix) })
	done := make(chan struct{})
	go func() { h.Private(5).Send("/slow"); close(done) }()
	<-d.entered
	keys, err := rdb.Keys(context.Background(), prefix+"*lock*").Result()
	close(d.release)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != prefix+"lock:user:{5}" {
		t.Fatalf("lock keys while handling = %v, want [%slock:user:{5}]", keys, prefix)
	}
}

func TestFormatDuration(t *testing.T) {
	d := &durations{}
	h := kerneltest.New(t, kerneltest.Options{
		Config:       "plugins:\n  dur: {enabled: true}\ncommands:\n  - {name: dur, action: dur.show}\n",
		Plugins:      []kernel.Plugin{d},
		ExtraLocales: map[string]string{"en": "commands:\n  dur: x\n"},
	})
	for _, tt := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 30 * time.Second, "30 seconds"},
		{"en", time.Second, "1 second"},
		{"en", 1500 * time.Millisecond, "2 seconds"},
		{"en", 5 * time.Minute, "5 minutes"},
		{"en", 90 * time.Second, "2 minutes"},
		{"en", 0, "1 second"},
		{"en", 2 * time.Hour, "2 hours"},
		{"en", 7 * 24 * time.Hour, "7 days"},
		{"es", 30 * time.Second, "30 segundos"},
		{"es", time.Minute, "1 minuto"},
	} {
		d.d = tt.d
		u := h.Private(1)
		u.LanguageCode = tt.lang
		if got := u.Send("/dur").Text(); got != tt.want+"\n" {
			t.Errorf("%s %s = %q, want %q", tt.lang, tt.d, got, tt.want)
		}
	}
}

// durations says a duration for TestFormatDuration.
type durations struct{ d time.Duration }

func (*durations) Name() string { return "dur" }
func (p *durations) Setup(r *kernel.Registrar) error {
	r.Action("show", func(c *kernel.Ctx) error { _, err := c.Send(c.FormatDuration(p.d), nil); return err })
	return nil
}

// TestCancelTapMakesNoUselessEdit: tapping a prompt's Cancel edits that
// prompt once (into "Cancelled"); no editMessageReplyMarkup that Telegram
// would refuse as "not modified".
func TestCancelTapMakesNoUselessEdit(t *testing.T) {
	h, _ := newDemo(t, "")
	u := h.Private(90)
	u.Send("/order")
	u.Send("Bob")
	before := len(h.API.Calls("editMessageReplyMarkup", "editMessageText"))
	r := u.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
	if got := r.Kinds(); !slices.Equal(got, []string{"edit", "answer"}) {
		t.Fatalf("Cancel caused %v, want one edit and the tap's answer", got)
	}
	if calls := h.API.Calls("editMessageReplyMarkup", "editMessageText")[before:]; len(calls) != 1 {
		t.Fatalf("%d edits for one Cancel: %+v", len(calls), calls)
	}
	if refused := h.API.Refused(); len(refused) != 0 {
		t.Fatalf("Telegram would have refused: %+v", refused)
	}
}

// TestFakeRefusesUnmodifiedMarkup: the fake Bot API answers an edit of
// buttons that changes nothing as Telegram does.
func TestFakeRefusesUnmodifiedMarkup(t *testing.T) {
	h, _ := newDemo(t, "", func(o *kerneltest.Options) { o.AllowUselessEdits = true })
	u := h.Private(91)
	id := u.Send("/greet Ann")[0].Message.ID
	bot := h.Kernel.Bot()
	for range 2 {
		_, _, _ = bot.EditMessageReplyMarkup(&gotgbot.EditMessageReplyMarkupOpts{ChatId: 91, MessageId: id})
	}
	refused := h.API.Refused()
	if len(refused) != 2 || !strings.Contains(refused[1].Description, "message is not modified") {
		t.Fatalf("refusals = %+v", refused)
	}
}

// TestEncryptionKeyRotation: with the old key among session.previous_keys,
// a session sealed before the rotation still opens, and is sealed again
// with the new key, so the old key can go once every session was seen.
func TestEncryptionKeyRotation(t *testing.T) {
	oldKey, newKey := strings.Repeat("11", 32), strings.Repeat("22", 32)
	st := store.NewMemory()
	build := func(env ...string) (*kerneltest.Harness, *tokenPlugin) {
		d := &tokenPlugin{}
		return kerneltest.New(t, kerneltest.Options{
			Config:       "plugins:\n  tok: {enabled: true}\ncommands:\n  - {name: settok, action: tok.set}\n  - {name: gettok, action: tok.get}\n",
			Plugins:      []kernel.Plugin{d},
			ExtraLocales: map[string]string{"en": "commands:\n  settok: x\n  gettok: y\n"},
			Store:        st, Env: env,
		}), d
	}
	before, _ := build("SESSION_ENCRYPTION_KEY=" + oldKey)
	before.Private(5).Send("/settok")

	rotated, d := build("SESSION_ENCRYPTION_KEY="+newKey, "SESSION_PREVIOUS_KEYS="+oldKey)
	rotated.Private(5).Send("/gettok")
	if d.got != "jwt-very-secret" {
		t.Fatalf("token after the rotation = %q", d.got)
	}
	after, d := build("SESSION_ENCRYPTION_KEY=" + newKey)
	after.Private(5).Send("/gettok")
	if d.got != "jwt-very-secret" {
		t.Fatalf("token with the old key dropped = %q: the session was not sealed again", d.got)
	}
}

// TestLockIsRenewedWhileTheUpdateRuns: an update that runs longer than
// updates.lock_ttl keeps its user's lock (it is renewed), so a second
// update of that user waits for it instead of running alongside.
func TestLockIsRenewedWhileTheUpdateRuns(t *testing.T) {
	h, d := newDemo(t, "updates: {lock_ttl: 3s, handler_timeout: 20s}\n", func(o *kerneltest.Options) {
		o.Store = store.NewMemory() // real time: the lock must outlive its ttl
	})
	u := h.Private(93)
	slow := make(chan struct{})
	go func() { u.Send("/slow"); close(slow) }()
	<-d.entered
	second := make(chan struct{})
	go func() { u.Send("/seq x"); close(second) }()
	select {
	case <-second:
		t.Fatal("a second update ran while the first held the lock")
	case <-time.After(4 * time.Second): // past lock_ttl: only renewal keeps the lock
	}
	close(d.release)
	<-slow
	<-second
	if d.maxSeen.Load() != 1 {
		t.Fatalf("%d updates of one user ran at once", d.maxSeen.Load())
	}
}

// TestTelegram5xxIsRetried: a reply the Bot API answers with a 502 is sent
// again (bounded), not lost.
func TestTelegram5xxIsRetried(t *testing.T) {
	h, _ := newDemo(t, "")
	h.API.Fail("sendMessage", http.StatusBadGateway, 0, 2)
	h.Private(25).Send("/greet").Expect(t, "Hello")
	if n := len(h.API.Calls("sendMessage")); n != 3 {
		t.Fatalf("sendMessage calls = %d, want two 502s and the retry", n)
	}
}

// gate has a guard with a quiet check, an action offered only while the
// gate is closed, and a line on the home screen.
type gate struct{}

func (gate) Name() string { return "gate" }
func (gate) Setup(r *kernel.Registrar) error {
	open := func(c *kernel.Ctx) bool { var ok bool; return c.Get("gate.open", &ok) && ok }
	r.Guard("gate", func(c *kernel.Ctx) (bool, error) {
		_, err := c.Send("closed", nil)
		return open(c), err
	}, kernel.Quietly(open))
	r.Action("open", func(c *kernel.Ctx) error { return c.Set("gate.open", true) }, kernel.Offer(func(c *kernel.Ctx) bool { return !open(c) }))
	r.Action("inside", func(c *kernel.Ctx) error { _, err := c.Send("inside", nil); return err }, kernel.Guard("gate"))
	r.Home(func(c *kernel.Ctx) string {
		if open(c) {
			return "The gate is open."
		}
		return "The gate is closed."
	})
	return nil
}

// TestHomeScreenKnowsTheUser: /start shows the plugins' lines and offers
// only what the user can do now.
func TestHomeScreenKnowsTheUser(t *testing.T) {
	h := kerneltest.New(t, kerneltest.Options{
		Config:       "plugins:\n  gate: {enabled: true}\ncommands:\n  - {name: open, action: gate.open, menu: true}\n  - {name: inside, action: gate.inside, menu: true}\n",
		Plugins:      []kernel.Plugin{gate{}},
		ExtraLocales: map[string]string{"en": "commands:\n  open: Open the gate\n  inside: Go inside\n"},
	})
	u := h.Private(94)
	labels := func(r kerneltest.Replies) []string {
		var out []string
		for _, b := range r[0].Message.AllButtons() {
			out = append(out, b.Text)
		}
		return out
	}
	r := u.Send("/start").Expect(t, "The gate is closed.")
	if got := labels(r); !slices.Equal(got, []string{"Open the gate"}) {
		t.Fatalf("menu while closed = %v", got)
	}
	u.Send("/open")
	r = u.Send("/start").Expect(t, "The gate is open.")
	if got := labels(r); !slices.Equal(got, []string{"Go inside"}) {
		t.Fatalf("menu while open = %v", got)
	}
}

// TestSlowUpdateShowsTyping: an update still running after a moment shows
// "typing…" in the chat; a quick one does not.
func TestSlowUpdateShowsTyping(t *testing.T) {
	h, d := newDemo(t, "")
	h.Private(95).Send("/greet")
	if got := h.API.ChatActions(95); len(got) != 0 {
		t.Fatalf("a quick update showed %v", got)
	}
	time.AfterFunc(1200*time.Millisecond, func() { close(d.release) })
	h.Private(96).Send("/slow")
	if got := h.API.ChatActions(96); !slices.Equal(got, []string{"typing"}) {
		t.Fatalf("a slow update showed %v, want typing", got)
	}
}
