package kernel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/PaulSonOfLars/gotgbot/v2/ext"
	"github.com/PaulSonOfLars/gotgbot/v2/ext/handlers"

	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

// benchConfig lifts the demo's limits out of reach: every iteration of
// BenchmarkUpdate is a whole update, none answered "slow down".
var benchConfig = strings.Replace(demoConfig,
	"default: {rate: 1000, period: 1s, burst: 1000}",
	"default: {rate: 1000000000, period: 1s, burst: 1000000000}", 1)

// benchUpdate is the raw webhook body of the i-th /count update of chat 1.
func benchUpdate(i int) []byte {
	return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":%d,"date":1,"text":"/count",`+
		`"entities":[{"type":"bot_command","offset":0,"length":6}],"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"A"}}}`, i, i)
}

// BenchmarkUpdate measures one whole update, from its raw JSON body to
// the reply sent through the fake Bot API, in the kernel (dedupe, rate
// limit, lock, session load, route, handler, session save) and in two
// floors: a bare net/http + JSON handler (decode, one sendMessage as JSON
// over a keep-alive client) and a bare gotgbot dispatcher. /count changes
// the session every time, so each kernel update also writes it. Compare
// ns/op as ratios to bare-json from the same run.
func BenchmarkUpdate(b *testing.B) {
	b.Run("bare-json", func(b *testing.B) {
		api := fakebot.New()
		defer api.Close()
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 5 * time.Second}
		url := api.URL() + "/bot" + kerneltest.Token + "/sendMessage"
		var buf bytes.Buffer
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			var u gotgbot.Update
			if err := json.Unmarshal(benchUpdate(i+1), &u); err != nil {
				b.Fatal(err)
			}
			buf.Reset()
			if err := json.NewEncoder(&buf).Encode(map[string]any{"chat_id": u.Message.Chat.Id, "text": "Hello <b>x</b>", "parse_mode": "HTML"}); err != nil {
				b.Fatal(err)
			}
			resp, err := hc.Post(url, "application/json", &buf)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("sendMessage: %s", resp.Status)
			}
		}
		b.StopTimer()
		if n := api.EventCount(1); n != b.N {
			b.Fatalf("the fake Bot API got %d messages for %d updates", n, b.N)
		}
	})
	b.Run("bare-gotgbot", func(b *testing.B) {
		api := fakebot.New()
		defer api.Close()
		bot, err := gotgbot.NewBot(kerneltest.Token, &gotgbot.BotOpts{DisableTokenCheck: true, BotClient: &gotgbot.BaseBotClient{
			Client: http.Client{}, DefaultRequestOpts: &gotgbot.RequestOpts{APIURL: api.URL(), Timeout: 5 * time.Second}}})
		if err != nil {
			b.Fatal(err)
		}
		d := ext.NewDispatcher(&ext.DispatcherOpts{})
		d.AddHandler(handlers.NewCommand("count", func(bot *gotgbot.Bot, ctx *ext.Context) error {
			_, err := bot.SendMessage(ctx.EffectiveChat.Id, "Hello <b>x</b>", &gotgbot.SendMessageOpts{ParseMode: gotgbot.ParseModeHTML})
			return err
		}))
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			var u gotgbot.Update
			if err := json.Unmarshal(benchUpdate(i+1), &u); err != nil {
				b.Fatal(err)
			}
			if err := d.ProcessUpdate(bot, &u, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kernel-memory", func(b *testing.B) {
		h, _ := newDemo(b, "", func(o *kerneltest.Options) { o.Config = benchConfig })
		benchKernel(b, h, nil)
	})
	b.Run("kernel-redis", func(b *testing.B) {
		rdb, prefix := storetest.Redis(b)
		var rt store.RoundTrips
		rdb.AddHook(&rt)
		h, _ := newDemo(b, "", func(o *kerneltest.Options) {
			o.Config = benchConfig
			o.Store = store.NewRedis(rdb, prefix)
			o.Limiter = ratelimit.NewRedis(rdb, prefix)
		})
		benchKernel(b, h, &rt)
	})
}

func benchKernel(b *testing.B, h *kerneltest.Harness, rt *store.RoundTrips) {
	h.Private(1).Send("/count") // warm connections and script caches
	before := h.API.EventCount(1)
	if rt != nil {
		rt.Reset()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		var u gotgbot.Update
		if err := json.Unmarshal(benchUpdate(1_000_000+i), &u); err != nil {
			b.Fatal(err)
		}
		h.Kernel.HandleUpdate(context.Background(), &u)
	}
	b.StopTimer()
	// Each update is answered with one message: none was refused by the
	// limit, dropped as a duplicate or lost.
	if n := h.API.EventCount(1) - before; n != b.N {
		b.Fatalf("the fake Bot API got %d replies for %d updates", n, b.N)
	}
	if rt != nil {
		b.ReportMetric(float64(rt.Count())/float64(b.N), "redis-roundtrips/op")
	}
}
