package notify

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The plugin's metrics, registered through Registrar.Metrics (so their
// names start with bot_notify_). Labels take bounded values only: never
// a user, chat, organization, email or id.

// Outcomes of one deposit handled by this replica (deposits_total).
const (
	outcomeAnnounced = "announced" // this replica sent it (to every subscriber who has messages on)
	outcomeDuplicate = "duplicate" // another replica, or an earlier run, had it already
	outcomeFailed    = "failed"    // Telegram kept failing: the claim is released for a retry
)

type metrics struct {
	websocketUp prometheus.Gauge
	channels    prometheus.Gauge
	deposits    *prometheus.CounterVec
	replicas    prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		websocketUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "websocket_up", Help: "1 while this replica's Pusher websocket is connected, else 0.",
		}),
		channels: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "channels_subscribed", Help: "Organization channels subscribed on this replica's websocket.",
		}),
		deposits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deposits_total", Help: "Deposits handled by this replica, by outcome (announced, duplicate, failed).",
		}, []string{"outcome"}),
		replicas: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "replicas_live", Help: "Replicas this one saw alive at its last heartbeat (itself included).",
		}),
	}
	for _, o := range []string{outcomeAnnounced, outcomeDuplicate, outcomeFailed} {
		m.deposits.WithLabelValues(o)
	}
	return m
}

// register adds the metrics to reg (a registry that already has them, the
// same plugin value set up twice, is fine).
func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.websocketUp, m.channels, m.deposits, m.replicas} {
		if err := reg.Register(c); err != nil {
			var dup prometheus.AlreadyRegisteredError
			if errors.As(err, &dup) {
				continue
			}
			return fmt.Errorf("notify: register metrics: %w", err)
		}
	}
	return nil
}

// deposit counts one deposit handled, by outcome.
func (m *metrics) deposit(outcome string) { m.deposits.WithLabelValues(outcome).Inc() }
