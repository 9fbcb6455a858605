package transfer

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The plugin's metrics, registered through Registrar.Metrics (so their
// names start with bot_transfer_). Labels take bounded values only: never
// a user, chat, email, amount or id.

// Outcomes of a money submit (submits_total).
const (
	submitSent    = "sent"    // CopperX answered with the transfer, or reconciliation found it
	submitRefused = "refused" // a 4xx: nothing moved
	submitUnknown = "unknown" // no answer, a 5xx or an unreadable one, and not found yet: tracked
)

// Ends of tracking (tracked_total).
const (
	resultCompleted = "completed"
	resultFailed    = "failed"
	resultCanceled  = "canceled"
	resultRefunded  = "refunded"
	resultGaveUp    = "gave_up"    // track_for passed before the transfer settled (or turned up)
	resultLoggedOut = "logged_out" // its user logged out: nothing to check with
)

// endResult is the tracked_total result of a final status.
func endResult(status string) string {
	switch status {
	case "success":
		return resultCompleted
	case "failed":
		return resultFailed
	case "canceled":
		return resultCanceled
	case "refunded":
		return resultRefunded
	}
	return resultGaveUp
}

type transferMetrics struct {
	submits  *prometheus.CounterVec
	tracking prometheus.Gauge
	results  *prometheus.CounterVec
}

func newMetrics() *transferMetrics {
	m := &transferMetrics{
		submits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "submits_total", Help: "Money submits (send, wallet withdrawal, bank withdrawal) by outcome: sent, refused, unknown.",
		}, []string{"outcome"}),
		tracking: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tracking", Help: "Transfers being followed until they settle (all replicas; as of this replica's last scan).",
		}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tracked_total", Help: "Transfers no longer followed, by result: completed, failed, canceled, refunded, gave_up, logged_out.",
		}, []string{"result"}),
	}
	for _, o := range []string{submitSent, submitRefused, submitUnknown} {
		m.submits.WithLabelValues(o)
	}
	for _, r := range []string{resultCompleted, resultFailed, resultCanceled, resultRefunded, resultGaveUp, resultLoggedOut} {
		m.results.WithLabelValues(r)
	}
	return m
}

// register adds the metrics to reg (a registry that has them already, the
// same plugin value set up twice, is fine).
func (m *transferMetrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.submits, m.tracking, m.results} {
		if err := reg.Register(c); err != nil {
			var dup prometheus.AlreadyRegisteredError
			if errors.As(err, &dup) {
				continue
			}
			return fmt.Errorf("transfer: register metrics: %w", err)
		}
	}
	return nil
}

func (m *transferMetrics) submit(outcome string) { m.submits.WithLabelValues(outcome).Inc() }
func (m *transferMetrics) tracked(result string) { m.results.WithLabelValues(result).Inc() }
