package payouts

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// counters reads every counter of reg by family and outcome label.
func counters(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "{" + l.GetValue() + "}"
			}
			out[key] = m.GetCounter().GetValue()
		}
	}
	return out
}

// TestCount: a round's lines and outcome in the metrics, every series
// there from the start (lines listed before the submit are counted as
// "already" when found, not here).
func TestCount(t *testing.T) {
	p := &Payouts{metrics: newMetrics()}
	reg := prometheus.NewRegistry()
	if err := p.metrics.register(reg); err != nil {
		t.Fatal(err)
	}
	r := &record{Lines: []entry{
		{State: stateSent, Round: 0}, {State: stateRefused, Round: 0}, {State: stateSent, Round: 0, Already: true},
		{State: stateUnknown, Round: 1}, {State: stateSent, Round: 1},
	}}
	p.count(r, 0)
	p.count(r, 1)
	want := map[string]float64{
		"batch_lines_total{sent}": 2, "batch_lines_total{refused}": 1, "batch_lines_total{unknown}": 1, "batch_lines_total{already}": 0,
		"batches_total{partial}": 1, "batches_total{unknown}": 1, "batches_total{sent}": 0, "batches_total{refused}": 0,
		"schedules_created_total": 0,
	}
	got := counters(t, reg)
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
}
