package kernel

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AllowedUpdates are the update kinds the bot asks Telegram for.
var AllowedUpdates = []string{"message", "callback_query"}

// Run serves until ctx ends: it starts the plugins' services, publishes the
// command menu, serves health, metrics and (in webhook mode) the webhook,
// and polls otherwise. On return, in-flight updates were drained (bounded by
// http.shutdown_timeout), services stopped and the store closed.
func (k *Kernel) Run(ctx context.Context) error {
	defer k.Close()
	if me, err := k.bot.GetMeWithContext(ctx, nil); err == nil {
		k.bot.User = *me
	} else {
		k.log.Warn("getMe failed; deep links will be missing", "err", err)
	}
	started, err := k.startServices(ctx)
	defer k.stopServices(started)
	if err != nil {
		return err
	}
	if err := k.setCommands(ctx); err != nil {
		k.log.Warn("could not publish the command menu", "err", err)
	}

	mux := k.HTTPHandler()
	webhook := k.cfg.Telegram.Webhook.URL != ""
	if webhook {
		u, _ := url.Parse(k.cfg.Telegram.Webhook.URL)
		path := u.Path
		if path == "" {
			path = "/"
		}
		mux.Handle(path, k.WebhookHandler())
	}
	srv := &http.Server{Addr: k.cfg.HTTP.ListenAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", k.cfg.HTTP.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", k.cfg.HTTP.ListenAddr, err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	k.log.Info("serving", "addr", ln.Addr().String(), "webhook", webhook, "plugins", k.enabled)

	var pollDone chan struct{}
	if webhook {
		w := k.cfg.Telegram.Webhook
		if _, err := k.bot.SetWebhookWithContext(ctx, w.URL, &gotgbot.SetWebhookOpts{
			SecretToken: w.Secret, AllowedUpdates: AllowedUpdates, MaxConnections: int64(w.MaxConnections),
			DropPendingUpdates: k.cfg.Telegram.DropPending,
		}); err != nil {
			_ = srv.Close()
			return fmt.Errorf("setWebhook: %w", err)
		}
	} else {
		if _, err := k.bot.DeleteWebhookWithContext(ctx, &gotgbot.DeleteWebhookOpts{DropPendingUpdates: k.cfg.Telegram.DropPending}); err != nil {
			k.log.Warn("deleteWebhook failed", "err", err)
		}
		pollDone = make(chan struct{})
		go func() { defer close(pollDone); k.Poll(ctx) }()
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	}
	k.log.Info("shutting down: draining updates")
	sctx, cancel := context.WithTimeout(context.Background(), k.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if pollDone != nil {
		<-pollDone
	}
	if err := k.disp.close(sctx); err != nil {
		k.log.Warn("updates still running at shutdown", "err", err)
	}
	return srv.Shutdown(sctx)
}

// Poll long-polls getUpdates until ctx ends. The next getUpdates, which
// acknowledges a batch, waits for the batch to be handled (up to
// updates.poll_ack_wait), so a crash rarely loses an update, and dedupe
// makes a redelivery harmless.
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
			k.log.Warn("getUpdates failed", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		var waits []<-chan struct{}
		for i := range updates {
			offset = updates[i].UpdateId + 1
			if done := k.disp.submit(ctx, &updates[i]); done != nil {
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

// Submit hands one update to the dispatcher and returns a channel closed
// when it was handled (nil after shutdown began). Transports call it.
func (k *Kernel) Submit(ctx context.Context, u *gotgbot.Update) <-chan struct{} {
	return k.disp.submit(ctx, u)
}

// HandleUpdate runs one update synchronously (benchmarks, tests).
func (k *Kernel) HandleUpdate(ctx context.Context, u *gotgbot.Update) { k.handle(ctx, u) }

// WebhookHandler accepts Telegram's webhook POSTs: the secret token header
// must match (else 401, nothing processed), the body is bounded, and the
// request is answered once the update was handled (or timed out), so a
// crash makes Telegram redeliver rather than lose it.
func (k *Kernel) WebhookHandler() http.Handler {
	secret := []byte(k.cfg.Telegram.Webhook.Secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			k.metrics.updates.WithLabelValues("webhook", "unauthorized").Inc()
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, k.cfg.Telegram.Webhook.MaxBodyBytes))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		var u gotgbot.Update
		if err := json.Unmarshal(body, &u); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		done := k.disp.submit(context.WithoutCancel(r.Context()), &u)
		if done == nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		select {
		case <-done:
		case <-r.Context().Done():
		case <-time.After(k.cfg.Updates.HandlerTimeout):
		}
		w.WriteHeader(http.StatusOK)
	})
}

// HTTPHandler serves /healthz, /readyz (the store answers) and /metrics.
func (k *Kernel) HTTPHandler() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := k.store.Ping(ctx); err != nil {
			k.metrics.storeErrors.WithLabelValues("ping").Inc()
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(k.registry, promhttp.HandlerOpts{}))
	return mux
}
