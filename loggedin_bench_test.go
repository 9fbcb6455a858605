package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/copperx/sandbox"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// BenchmarkLoggedIn measures the logged-in path of the whole bot (every
// plugin, notifications on, against the emulator in this process): each
// op is a new user who logs in, asks for the balance, sends 10 USDC to an
// email with Confirm and opens the history (11 updates), while 100 or
// 10,000 users are already logged in (through the bot, before the timer
// starts). A login subscribes its one organization, O(1); but ns/update
// and allocs/op include the emulator, which settles every user's
// transfers on each request (O(users), its cost, not the bot's): the bot's
// own CPU per update is measured apart by `payoutbot loadtest --script
// logged-in --users N` (README, Performance). -short stops at 1,000 users
// (CI); LOGGEDIN_USERS=100,1000 picks the sizes.
func BenchmarkLoggedIn(b *testing.B) {
	sizes := []int{100, 10_000}
	if testing.Short() {
		sizes = []int{100, 1000}
	}
	if env := os.Getenv("LOGGEDIN_USERS"); env != "" {
		sizes = nil
		for f := range strings.SplitSeq(env, ",") {
			var n int
			if _, err := fmt.Sscan(f, &n); err != nil {
				b.Fatalf("LOGGEDIN_USERS: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, users := range sizes {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			w := newLoggedInWorld(b)
			w.loginMany(b, users)
			updates := 0
			b.ReportAllocs()
			next := int64(1 << 40)
			for b.Loop() {
				next++
				updates += w.session(b, next)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(updates), "ns/update")
			w.waitSubscribed(b, users)
		})
	}
}

// loggedInWorld is the shipped bot against the emulator, notifications on.
type loggedInWorld struct {
	h *kerneltest.Harness
}

func newLoggedInWorld(b *testing.B) *loggedInWorld {
	b.Helper()
	raw, err := os.ReadFile("config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	emu := copperxtest.NewTestServer(b, copperxtest.WithAutoSeed(true), copperxtest.WithFixedOTP(loadtestOTP))
	cx := copperx.DefaultConfig()
	cx.APIURL, cx.Timeout = emu.URL(), 10*time.Second
	api, err := copperx.New(cx, copperx.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		b.Fatal(err)
	}
	var ignored struct {
		C map[string]any `koanf:",remain"`
	}
	var nets copperx.Networks
	h := kerneltest.New(b, kerneltest.Options{
		Config:  string(raw),
		Plugins: plugins(api, copperx.DefaultNetworks(), sandbox.PluginOptions{WebsocketURL: emu.WSURL()}),
		Extra:   map[string]any{"copperx": &ignored, "networks": &nets, "sandbox": &ignored},
		// Many users log in at once: no limit may refuse them.
		Env: []string{"COPPERX_BOT_RATE_LIMITS__DEFAULT__RATE=1000000000", "COPPERX_BOT_RATE_LIMITS__DEFAULT__BURST=1000000000"},
	})
	stop, err := h.Kernel.StartServices(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	return &loggedInWorld{h: h}
}

// loginMany logs users in, a few at a time.
func (w *loggedInWorld) loginMany(b *testing.B, users int) {
	b.Helper()
	var wg sync.WaitGroup
	next := make(chan int64)
	var failed atomic.Value
	for range 8 {
		wg.Go(func() {
			for id := range next {
				if err := w.login(id); err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		})
	}
	for i := range users {
		next <- int64(1_000_000 + i)
	}
	close(next)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	w.waitSubscribed(b, users)
}

// waitSubscribed waits until notify holds at least n organizations' channels
// (bot_notify_channels_subscribed on /metrics).
func (w *loggedInWorld) waitSubscribed(b *testing.B, n int) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		rec := httptest.NewRecorder()
		w.h.Kernel.HTTPHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		var got float64
		for line := range strings.Lines(rec.Body.String()) {
			if v, ok := strings.CutPrefix(line, "bot_notify_channels_subscribed "); ok {
				got, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		}
		if int(got) >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("notify holds %v organizations, want at least %d", got, n)
		}
		time.Sleep(10 * time.Millisecond) // polling a gauge, not synchronizing
	}
}

// login logs user id in (3 updates); an error when the bot did not say
// Welcome.
func (w *loggedInWorld) login(id int64) error {
	c := w.h.Private(id)
	c.Send("/login")
	c.Send(fmt.Sprintf("user%d@loadtest.example", id))
	if r := c.Send(loadtestOTP); !r.Contains("Welcome") {
		return fmt.Errorf("user %d did not log in: %s", id, r.Text())
	}
	return nil
}

// session is one op: a new user logs in, asks for the balance, sends with
// Confirm and opens the history. It returns the updates it took.
func (w *loggedInWorld) session(b *testing.B, id int64) int {
	if err := w.login(id); err != nil {
		b.Fatal(err)
	}
	c := w.h.Private(id)
	c.Send("/balance").Expect(b, "USDC")
	c.Send("/send")
	c.Tap("Email")
	c.Send(fmt.Sprintf("friend%d@loadtest.example", id))
	c.Send("10")
	c.Tap("Gift")
	c.Tap("Confirm").Expect(b, "Sent 10.00 USDC")
	c.Send("/history").Expect(b, "10.00")
	return 11
}
