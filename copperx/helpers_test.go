package copperx

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken is the bearer token tests send; no log or error may contain it.
var testToken = NewToken("tok-SECRET-eyJhbGciOi")

// sleeps records the backoff delays the client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newTestClient starts h on an httptest server and returns a client for it
// that records sleeps instead of sleeping and logs at debug level into logs.
func newTestClient(t *testing.T, h http.Handler, opts ...Option) (*Client, *sleeps, *bytes.Buffer) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := DefaultConfig()
	cfg.APIURL = srv.URL
	cfg.Timeout = 5 * time.Second
	sl := &sleeps{}
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	all := append([]Option{WithSleep(sl.sleep), WithJitter(func(d time.Duration) time.Duration { return d }), WithLogger(logger)}, opts...)
	c, err := New(cfg, all...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, sl, &logs
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// fixture reads testdata/name.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serveFixture answers every request with status and the fixture's bytes.
func serveFixture(t *testing.T, status int, name string) http.HandlerFunc {
	body := fixture(t, name)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }

func asError(err error, target **Error) bool { return errors.As(err, target) }
