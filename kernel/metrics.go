package kernel

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The kernel's metrics. Labels take only bounded values (update kinds and
// outcomes, Bot API methods, limit and operation names): never a user,
// chat, email or id. Every series exists from the start, at zero.
type metrics struct {
	updates          *prometheus.CounterVec
	latency          *prometheus.HistogramVec
	rateLimited      *prometheus.CounterVec
	storeErrors      *prometheus.CounterVec
	telegramRetries  *prometheus.CounterVec
	telegramRequests *prometheus.CounterVec
	telegramDuration *prometheus.HistogramVec
	telegramUp       prometheus.Gauge
}

var (
	updateKinds     = []string{"command", "message", "callback", "other"}
	updateOutcomes  = []string{outcomeOK, outcomeDuplicate, outcomeLimited, outcomeError, outcomeIgnored, outcomeRetry}
	storeOps        = []string{"rate_limit", "lock", "load", "save", "ping"}
	telegramMethods = []string{"getMe", "getUpdates", "setWebhook", "deleteWebhook", "setMyCommands", "sendMessage",
		"sendPhoto", "sendDocument", "sendChatAction", "editMessageText", "editMessageReplyMarkup", "deleteMessage", "answerCallbackQuery"}
	telegramResults = []string{"ok", "client_error", "rate_limited", "server_error", "network"}
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "updates_total", Help: "Updates by kind (command, message, callback) and outcome.",
		}, []string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "bot", Name: "update_duration_seconds", Help: "Time to handle an update, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"kind"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "rate_limited_total", Help: "Updates refused by a rate limit, by limit.",
		}, []string{"limit"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "store_errors_total", Help: "Session store failures by operation.",
		}, []string{"op"}),
		telegramRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "telegram_retries_total", Help: "Bot API calls retried after a 429 or a 5xx, by method.",
		}, []string{"method"}),
		telegramRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "telegram_requests_total", Help: "Bot API calls (replies, edits, polls) by method and result.",
		}, []string{"method", "result"}),
		telegramDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "bot", Name: "telegram_request_duration_seconds", Help: "Duration of Bot API calls, one observation per attempt, by method.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"method"}),
		telegramUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "bot", Name: "telegram_up", Help: "1 while Telegram accepts the bot's token and answers, else 0.",
		}),
	}
	for _, k := range updateKinds {
		m.latency.WithLabelValues(k)
		for _, o := range updateOutcomes {
			m.updates.WithLabelValues(k, o)
		}
	}
	for _, op := range storeOps {
		m.storeErrors.WithLabelValues(op)
	}
	for _, method := range telegramMethods {
		m.telegramRetries.WithLabelValues(method)
		m.telegramDuration.WithLabelValues(method)
		for _, r := range telegramResults {
			m.telegramRequests.WithLabelValues(method, r)
		}
	}
	for _, c := range []prometheus.Collector{m.updates, m.latency, m.rateLimited, m.storeErrors, m.telegramRetries,
		m.telegramRequests, m.telegramDuration, m.telegramUp} {
		_ = reg.Register(c)
	}
	return m
}
