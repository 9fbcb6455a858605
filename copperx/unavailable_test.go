package copperx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
)

// TestUnavailable: every way CopperX can fail to serve a request counts,
// through wrapping; refusals, a caller that gave up and other errors do
// not.
func TestUnavailable(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("wallet: balances: %w", err) }
	apiErr := func(status int) error {
		return &Error{Status: status, Method: http.MethodGet, Endpoint: "/api/wallets"}
	}
	netErr := &NetworkError{Method: http.MethodGet, Endpoint: "/api/wallets", Err: errors.New("connection reset by peer")}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"500", apiErr(500), true},
		{"502 wrapped", wrap(apiErr(502)), true},
		{"503", apiErr(503), true},
		{"504", apiErr(504), true},
		{"429", wrap(apiErr(429)), true},
		{"no answer", wrap(netErr), true},
		{"timeout", &NetworkError{Method: http.MethodPost, Endpoint: "/api/wallets", Err: context.DeadlineExceeded, timeout: true}, true},
		{"400", apiErr(400), false},
		{"401", apiErr(401), false},
		{"403", apiErr(403), false},
		{"404", apiErr(404), false},
		{"422", apiErr(422), false},
		{"caller gave up", fmt.Errorf("copperx: GET /api/wallets: %w", context.Canceled), false},
		{"caller's deadline", fmt.Errorf("copperx: GET /api/wallets: %w", context.DeadlineExceeded), false},
		{"unreadable answer", errors.New("copperx: GET /api/wallets: decode response: unexpected EOF"), false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unavailable(tc.err); got != tc.want {
				t.Fatalf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestUnavailableFromTheClient: what the client returns for a refused
// connection counts.
func TestUnavailableFromTheClient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg := DefaultConfig()
	cfg.APIURL = "http://" + addr
	cfg.MaxRetries = 0
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wallets(context.Background(), testToken); !Unavailable(err) {
		t.Fatalf("connection refused: Unavailable(%v) = false", err)
	}
}
