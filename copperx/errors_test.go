package copperx

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFlattenMessage(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"string", `"Invalid OTP"`, "Invalid OTP"},
		{"strings", `["a is bad","b is bad"]`, "a is bad; b is bad"},
		{"constraints", `[{"property":"amount","constraints":{"min":"amount too small","isNumberString":"amount must be a number string"}}]`,
			"amount must be a number string; amount too small"},
		{"nested children", `[{"property":"request","children":[{"property":"amount","constraints":{"min":"amount too small"}}]}]`, "amount too small"},
		{"property only", `[{"property":"email"}]`, "email is invalid"},
		{"object", `{"b":"second","a":"first"}`, "a: first; b: second"},
		{"object with message", `{"message":"inner","statusCode":400}`, "inner"},
		{"mixed", `["plain",{"property":"x","constraints":{"c":"x broken"}}]`, "plain; x broken"},
		{"null", `null`, ""},
		{"empty", ``, ""},
		{"number", `42`, "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FlattenMessage(json.RawMessage(tt.in)); got != tt.want {
				t.Errorf("FlattenMessage(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestErrorKinds(t *testing.T) {
	all := []error{ErrUnauthorized, ErrNotFound, ErrValidation, ErrRateLimited, ErrServer, ErrUnavailable}
	tests := []struct {
		status int
		body   string
		want   error
	}{
		{401, `{"message":"Unauthorized","statusCode":401}`, ErrUnauthorized},
		{403, `{"message":"Forbidden resource","statusCode":403,"error":"Forbidden"}`, ErrUnauthorized},
		{404, `{"message":"Cannot GET /api/x","statusCode":404,"error":"Not Found"}`, ErrNotFound},
		{400, `{"message":["bad"],"statusCode":400}`, ErrValidation},
		{422, `{"message":"bad","statusCode":422}`, ErrValidation},
		{429, `{"message":"ThrottlerException: Too Many Requests","statusCode":429}`, ErrRateLimited},
		{500, `{"message":"Internal server error","statusCode":500}`, ErrServer},
		{502, `<html>bad gateway</html>`, ErrServer},
		{409, `{"message":"conflict"}`, nil},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			// A POST, so that nothing is retried.
			err := c.Logout(context.Background(), testToken)
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.status {
				t.Fatalf("err = %v", err)
			}
			for _, s := range all {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, got)
				}
			}
			if strings.Contains(err.Error(), "<html>") {
				t.Errorf("raw body in error: %v", err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	c, _, _ := newTestClient(t, serveFixture(t, 422, "error_constraints.json"))
	_, err := c.Send(context.Background(), testToken, SendRequest{Email: "f@x.com", Amount: dec("0.5"), PurposeCode: "self", Currency: "USDC"})
	want := "copperx: POST /api/transfers/send: 422: amount must be greater than or equal to 100000000"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if !errors.Is(err, ErrValidation) {
		t.Error("not ErrValidation")
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 3, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 1 ", time.Second},
		{"-1", 0},
		{"soon", 0},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{now.Add(-5 * time.Second).Format(http.TimeFormat), 0},
		{"999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNetworkError(t *testing.T) {
	// A listener that is closed at once: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg := DefaultConfig()
	cfg.APIURL = "http://" + addr
	sl := &sleeps{}
	c, err := New(cfg, WithSleep(sl.sleep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Payees(context.Background(), testToken, 1, 10, "secret-search@x.com")
	var ne *NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, ErrUnavailable) || ne.Timeout() {
		t.Fatalf("err = %#v", err)
	}
	if errors.Is(err, ErrServer) {
		t.Error("network error matches ErrServer")
	}
	if strings.Contains(err.Error(), "secret-search") {
		t.Errorf("error leaks the query: %v", err)
	}
	if got := len(sl.all()); got != cfg.MaxRetries {
		t.Errorf("GET retried %d times, want %d", got, cfg.MaxRetries)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c, sl, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	c.cfg.Timeout = 50 * time.Millisecond
	_, err := c.Wallets(context.Background(), testToken)
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout NetworkError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("timeout should match context.DeadlineExceeded and ErrUnavailable: %v", err)
	}
	if len(sl.all()) != 2 {
		t.Errorf("timeouts of a GET are retried: %v", sl.all())
	}
}

func TestHTTPClientTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	_, err := c.CreateWallet(context.Background(), testToken, "137")
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want a timeout NetworkError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("http.Client.Timeout error does not match context.DeadlineExceeded: %v", err)
	}
}

func TestCallerDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c, sl, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Wallets(ctx, testToken)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want the caller's deadline, not an outage", err)
	}
	if len(sl.all()) != 0 {
		t.Errorf("retried after the caller's deadline: %v", sl.all())
	}
}

func TestErrorRedactsSecrets(t *testing.T) {
	const otp, sid = "739155", "sid-opaque-42"
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"otp 739155 does not match sid sid-opaque-42","statusCode":401}`))
	}))
	_, err := c.AuthenticateEmailOTP(context.Background(), "a@b.com", otp, sid)
	if err == nil || strings.Contains(err.Error(), otp) || strings.Contains(err.Error(), sid) {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("err = %v", err)
	}
}

func TestBatchResultErr(t *testing.T) {
	var r struct {
		Responses []BatchSendResult `json:"responses"`
	}
	decodeFixture(t, "batch_response.json", &r)
	if len(r.Responses) != 2 {
		t.Fatalf("responses = %d", len(r.Responses))
	}
	ok, bad := r.Responses[0], r.Responses[1]
	if ok.Err() != nil || ok.Response == nil || ok.Response.ID != "tr-b1" || ok.RequestID != "r1" {
		t.Errorf("ok = %+v", ok)
	}
	eqDec(t, "batch amount", ok.Response.Amount.Decimal, "1")
	err := bad.Err()
	if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "amount must not be less than 100000000") || bad.RequestID != "r2" {
		t.Errorf("bad = %+v, err %v", bad, err)
	}
}
