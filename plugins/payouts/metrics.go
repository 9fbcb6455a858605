package payouts

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The plugin's metrics, registered through Registrar.Metrics (so their
// names start with bot_payouts_). Labels take bounded values only: never a
// user, chat, email, amount or id.

// Outcomes of one batch submit (batches_total): every line sent; some
// sent and some not; none sent (all refused); some not confirmed yet.
const (
	batchSent    = "sent"
	batchPartial = "partial"
	batchRefused = "refused"
	batchUnknown = "unknown"
)

// Outcomes of one line of a batch submit (batch_lines_total): sent (the
// API's answer or a listing showed it), refused (a 4xx for that line),
// unknown (no answer, a 5xx, not listed yet), already (listed before the
// submit: not sent again).
const (
	lineSent    = "sent"
	lineRefused = "refused"
	lineUnknown = "unknown"
	lineAlready = "already"
)

type payoutMetrics struct {
	batches   *prometheus.CounterVec
	lines     *prometheus.CounterVec
	schedules prometheus.Counter
}

func newMetrics() *payoutMetrics {
	m := &payoutMetrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batches_total", Help: "Batch submits (a first Confirm or a retry of failed lines) by outcome: sent, partial, refused, unknown.",
		}, []string{"outcome"}),
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batch_lines_total", Help: "Lines of batch submits by outcome: sent, refused, unknown, already (listed before the submit, not sent again).",
		}, []string{"outcome"}),
		schedules: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "schedules_created_total", Help: "Transfer schedules created at CopperX (including one a lost answer turned out to have made).",
		}),
	}
	for _, o := range []string{batchSent, batchPartial, batchRefused, batchUnknown} {
		m.batches.WithLabelValues(o)
	}
	for _, o := range []string{lineSent, lineRefused, lineUnknown, lineAlready} {
		m.lines.WithLabelValues(o)
	}
	return m
}

// register adds the metrics to reg (already there: the same plugin value
// set up twice, fine).
func (m *payoutMetrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.batches, m.lines, m.schedules} {
		if err := reg.Register(c); err != nil {
			var dup prometheus.AlreadyRegisteredError
			if errors.As(err, &dup) {
				continue
			}
			return fmt.Errorf("payouts: register metrics: %w", err)
		}
	}
	return nil
}
