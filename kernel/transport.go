package kernel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// AllowedUpdates are the update kinds the bot asks Telegram for.
var AllowedUpdates = []string{"message", "callback_query"}

// Readiness components, as /readyz names them.
const (
	readyTelegram = "telegram"
	readyWebhook  = "webhook"
	readyDraining = "shutdown"
)

// ErrTokenRefused is returned by Run when Telegram refuses the bot token.
var ErrTokenRefused error = &ConfigError{Key: "telegram.token", Err: errors.New("refused by Telegram (401/404): check TELEGRAM_BOT_TOKEN with @BotFather")}

// Run serves until ctx ends. It binds the HTTP listeners first, so
// /healthz answers and /readyz says what is missing while the bot starts:
// it checks the token with getMe (a token Telegram refuses stops the start
// with ErrTokenRefused; a network failure is retried, /readyz not ready,
// until it succeeds), starts the plugins' services, publishes the command
// menu, then registers the webhook (in webhook mode) or polls. When ctx
// ends, /readyz reports the shutdown, in-flight updates finish (bounded by
// http.shutdown_timeout), the listeners close, services stop and the store
// closes; a shutdown that ctx asked for returns nil.
func (k *Kernel) Run(ctx context.Context) error {
	defer k.Close()
	k.ready.set(readyTelegram, "checking the bot token (getMe)")
	webhook := k.cfg.Telegram.Webhook.URL != ""
	var hook http.Handler
	if webhook {
		hook = k.WebhookHandler()
		k.ready.set(readyWebhook, "not registered yet (setWebhook)")
	}
	lis, err := k.serve(hook)
	if err != nil {
		return err
	}
	defer lis.close()
	if r, ok := k.store.(*store.Redis); ok {
		r.CheckEviction(ctx, k.log) // exactly-once needs maxmemory-policy noeviction
	}
	if err := k.checkToken(ctx); err != nil {
		return k.stopped(ctx, err)
	}
	started, err := k.startServices(ctx)
	defer k.stopServices(started)
	if err != nil {
		return k.stopped(ctx, err)
	}
	if err := k.setCommands(ctx); err != nil && ctx.Err() == nil { // a signal during start-up is no failure
		k.log.Warn("could not publish the command menu", "err", err)
	}
	var pollDone chan struct{}
	if webhook {
		if err := k.registerWebhook(ctx); err != nil {
			return k.stopped(ctx, err)
		}
	} else {
		if _, err := k.bot.DeleteWebhookWithContext(ctx, &gotgbot.DeleteWebhookOpts{DropPendingUpdates: k.cfg.Telegram.DropPending}); err != nil && ctx.Err() == nil {
			k.log.Warn("deleteWebhook failed", "err", err)
		}
		pollDone = make(chan struct{})
		go func() { defer close(pollDone); k.Poll(ctx) }()
	}
	k.log.Info("serving", "webhook", webhook, "plugins", k.enabled, "bot", k.bot.Username)

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-lis.failed():
		if !errors.Is(err, http.ErrServerClosed) {
			serveErr = fmt.Errorf("http server: %w", err)
		}
	}
	k.ready.set(readyDraining, "draining: finishing the updates in flight")
	k.log.Info("shutting down: finishing the updates in flight")
	sctx, cancel := context.WithTimeout(context.Background(), k.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if pollDone != nil {
		<-pollDone
	}
	if err := k.disp.close(sctx); err != nil {
		k.log.Error("updates still running when http.shutdown_timeout ran out", "err", err)
	}
	if err := lis.shutdown(sctx); err != nil && serveErr == nil {
		serveErr = fmt.Errorf("http shutdown: %w", err)
	}
	k.log.Info("stopped")
	return serveErr
}

// stopped is the error Run returns when start-up stops: none when ctx
// ended (a signal during start-up is a clean stop).
func (k *Kernel) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// checkToken asks getMe until it succeeds, ctx ends, or Telegram refuses
// the token (401 or 404: it does not exist), retrying network failures and
// 5xx with backoff while /readyz says why the bot is not ready.
func (k *Kernel) checkToken(ctx context.Context) error {
	backoff := time.Second
	for {
		me, err := k.bot.GetMeWithContext(ctx, nil)
		if err == nil {
			k.bot.User = *me
			k.ready.set(readyTelegram, "")
			k.metrics.telegramUp.Set(1)
			return nil
		}
		var te *gotgbot.TelegramError
		if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
			k.ready.set(readyTelegram, "the bot token was refused")
			return ErrTokenRefused
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		k.ready.set(readyTelegram, "getMe failed, retrying: "+err.Error())
		k.log.Warn("Telegram is not answering getMe; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// registerWebhook calls setWebhook until it succeeds; a 4xx answer (a URL
// Telegram refuses) stops the start.
func (k *Kernel) registerWebhook(ctx context.Context) error {
	w := k.cfg.Telegram.Webhook
	backoff := time.Second
	for {
		_, err := k.bot.SetWebhookWithContext(ctx, w.URL, &gotgbot.SetWebhookOpts{
			SecretToken: w.Secret, AllowedUpdates: AllowedUpdates, MaxConnections: int64(w.MaxConnections),
			DropPendingUpdates: k.cfg.Telegram.DropPending,
		})
		if err == nil {
			k.ready.set(readyWebhook, "")
			return nil
		}
		var te *gotgbot.TelegramError
		if errors.As(err, &te) && te.Code >= 400 && te.Code < 500 && te.Code != http.StatusTooManyRequests {
			k.ready.set(readyWebhook, "Telegram refused the webhook URL")
			return fmt.Errorf("setWebhook %s: %w", w.URL, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		k.ready.set(readyWebhook, "setWebhook failed, retrying: "+err.Error())
		k.log.Warn("setWebhook failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// Poll long-polls getUpdates until ctx ends. The next getUpdates, which
// acknowledges a batch, waits for the batch to be handled (up to
// updates.poll_ack_wait), so a crash rarely loses an update, and dedupe
// makes a redelivery harmless. A token Telegram refuses later (revoked)
// makes /readyz not ready until it is accepted again.
func (k *Kernel) Poll(ctx context.Context) {
	var offset int64
	backoff := time.Second
	timeout := int64(k.cfg.Telegram.PollTimeout / time.Second)
	for ctx.Err() == nil {
		updates, err := k.bot.GetUpdatesWithContext(ctx, &gotgbot.GetUpdatesOpts{
			Offset: offset, Timeout: timeout, AllowedUpdates: AllowedUpdates,
			RequestOpts: &gotgbot.RequestOpts{Timeout: k.cfg.Telegram.PollTimeout + k.cfg.Telegram.RequestTimeout},
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			k.ready.set(readyTelegram, "getUpdates failed: "+err.Error())
			k.metrics.telegramUp.Set(0)
			k.log.Warn("getUpdates failed", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		if backoff > time.Second {
			k.ready.set(readyTelegram, "")
			k.metrics.telegramUp.Set(1)
		}
		backoff = time.Second
		var waits []<-chan string
		for i := range updates {
			offset = updates[i].UpdateId + 1
			if done := k.disp.submit(ctx, &updates[i], pollTries); done != nil {
				waits = append(waits, done)
			}
		}
		// Acknowledge (by polling again) once the batch was handled, so a
		// crash loses nothing; but never let one slow chat hold up everyone
		// else's updates for longer than poll_ack_wait.
		deadline := time.NewTimer(k.cfg.Updates.PollAckWait)
	wait:
		for _, w := range waits {
			select {
			case <-w:
			case <-deadline.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
		deadline.Stop()
	}
}

// Submit hands one update to the dispatcher, as a webhook's (tried once),
// and returns a channel that receives its outcome (nil after shutdown
// began). Transports call it.
func (k *Kernel) Submit(ctx context.Context, u *gotgbot.Update) <-chan string {
	return k.disp.submit(ctx, u, 1)
}

// HandleUpdate runs one update synchronously (benchmarks, tests, the
// console).
func (k *Kernel) HandleUpdate(ctx context.Context, u *gotgbot.Update) { k.handle(ctx, u, true) }
