package kernel

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	updates         *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	rateLimited     *prometheus.CounterVec
	storeErrors     *prometheus.CounterVec
	telegramRetries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "updates_total", Help: "Updates by kind and outcome.",
		}, []string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "bot", Name: "update_duration_seconds", Help: "Time to handle an update.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"kind"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "rate_limited_total", Help: "Updates refused by a rate limit.",
		}, []string{"limit"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "store_errors_total", Help: "Session store failures by operation.",
		}, []string{"op"}),
		telegramRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bot", Name: "telegram_retries_total", Help: "Bot API calls retried after a 429.",
		}, []string{"method"}),
	}
	for _, c := range []prometheus.Collector{m.updates, m.latency, m.rateLimited, m.storeErrors, m.telegramRetries} {
		_ = reg.Register(c)
	}
	return m
}
