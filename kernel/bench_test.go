package kernel_test

import (
	"context"
	"net/http"
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

// BenchmarkUpdate measures one whole update through the kernel (dedupe,
// rate limit, lock, session load, route, handler sending one reply through
// the fake Bot API, session save) against a bare gotgbot handler that sends
// the same reply through the same fake. /count changes the session every
// time, so each update also writes it.
func BenchmarkUpdate(b *testing.B) {
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
			u := gotgbot.Update{UpdateId: int64(i + 1), Message: &gotgbot.Message{MessageId: int64(i + 1), Text: "/count",
				Entities: []gotgbot.MessageEntity{{Type: "bot_command", Offset: 0, Length: 6}},
				Chat:     gotgbot.Chat{Id: 1, Type: "private"}, From: &gotgbot.User{Id: 1, FirstName: "A"}}}
			if err := d.ProcessUpdate(bot, &u, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kernel-memory", func(b *testing.B) {
		h, _ := newDemo(b, "")
		benchKernel(b, h, nil)
	})
	b.Run("kernel-redis", func(b *testing.B) {
		rdb, prefix := storetest.Redis(b)
		var rt store.RoundTrips
		rdb.AddHook(&rt)
		h, _ := newDemo(b, "", func(o *kerneltest.Options) {
			o.Store = store.NewRedis(rdb, prefix)
			o.Limiter = ratelimit.NewRedis(rdb, prefix)
		})
		benchKernel(b, h, &rt)
	})
}

func benchKernel(b *testing.B, h *kerneltest.Harness, rt *store.RoundTrips) {
	u := h.Private(1)
	u.Send("/count") // warm connections and script caches
	if rt != nil {
		rt.Reset()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		upd := u.MessageUpdate("/count")
		h.Kernel.HandleUpdate(context.Background(), &upd)
	}
	b.StopTimer()
	if rt != nil {
		b.ReportMetric(float64(rt.Count())/float64(b.N), "redis-roundtrips/op")
	}
}
