package notify

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestMetrics: websocket_up and channels_subscribed follow the websocket,
// replicas_live the heartbeat, deposits_total the deposits; every series
// is there from the start, and no label holds more than an outcome.
func TestMetrics(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noStart: true})
	for _, series := range []string{"bot_notify_websocket_up", "bot_notify_channels_subscribed", "bot_notify_replicas_live",
		`bot_notify_deposits_total{outcome="announced"}`, `bot_notify_deposits_total{outcome="duplicate"}`, `bot_notify_deposits_total{outcome="failed"}`} {
		if got := r.metric(series); got != 0 {
			t.Errorf("%s = %v before the start, want 0", series, got)
		}
	}
	r.start()
	w.ready(r)
	want := func(series string, value float64) {
		t.Helper()
		waitFor(t, series, func() bool { return r.metric(series) == value })
	}
	want("bot_notify_websocket_up", 1)
	want("bot_notify_channels_subscribed", 1)
	want("bot_notify_replicas_live", 1)

	w.deposit("10", "137")
	waitDeposits(t, 1, r)
	want(`bot_notify_deposits_total{outcome="announced"}`, 1)

	w.gate.blocked.Store(true)
	w.gate.drop()
	want("bot_notify_websocket_up", 0)
	want("bot_notify_channels_subscribed", 0)
	w.gate.blocked.Store(false)
	want("bot_notify_websocket_up", 1)
	want("bot_notify_channels_subscribed", 1)

	rec := httptest.NewRecorder()
	r.H.Kernel.HTTPHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	labels := regexp.MustCompile(`(\w+)="`)
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, "bot_notify_") {
			continue
		}
		for _, m := range labels.FindAllStringSubmatch(line, -1) {
			if m[1] != "outcome" {
				t.Errorf("label %q in %s", m[1], line)
			}
		}
	}
}
