package copperxtest

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestEmbeddedSpecMatchesShared(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/copperx-openapi.json")
	if os.IsNotExist(err) {
		t.Skip("shared copy not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, openapiJSON) {
		t.Fatal("openapi.json differs from ../../../shared/copperx-openapi.json: copy it again")
	}
}

func TestOTPLogin(t *testing.T) {
	const email = "ada@example.com"
	tests := []struct {
		name       string
		opts       []Option
		run        func(t *testing.T, s *Server, c *client, clock *fakeClock, sid string) response
		wantStatus int
		wantMsg    string
	}{
		{
			name: "right code",
			run: func(t *testing.T, s *Server, c *client, _ *fakeClock, sid string) response {
				return c.do("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": email, "otp": s.OTP(email), "sid": sid})
			},
			wantStatus: http.StatusOK,
		},
		{
			name: "fixed sandbox code",
			opts: []Option{WithFixedOTP("123456")},
			run: func(t *testing.T, s *Server, c *client, _ *fakeClock, sid string) response {
				return c.do("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": email, "otp": "123456", "sid": sid})
			},
			wantStatus: http.StatusOK,
		},
		{
			name: "wrong code",
			run: func(t *testing.T, s *Server, c *client, _ *fakeClock, sid string) response {
				return c.do("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": email, "otp": wrongCode(s.OTP(email)), "sid": sid})
			},
			wantStatus: http.StatusUnauthorized,
			wantMsg:    "Invalid OTP",
		},
		{
			name: "attempts exhausted, then even the right code fails",
			opts: []Option{WithOTPAttempts(3)},
			run: func(t *testing.T, s *Server, c *client, _ *fakeClock, sid string) response {
				for i := range 3 {
					r := c.do("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": email, "otp": wrongCode(s.OTP(email)), "sid": sid})
					want := http.StatusUnauthorized
					if i == 2 {
						want = http.StatusForbidden
					}
					if r.status != want {
						t.Fatalf("attempt %d: status %d, want %d", i+1, r.status, want)
					}
				}
				return c.do("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": email, "otp": s.OTP(email), "sid": sid})
			},
			wantStatus: http.StatusForbidden,
			wantMsg:    "Too many failed attempts",
		},
		{
			name: "expired sid",
			opts: []Option{WithOTPTTL(time.Minute)},
			run: func(t *testing.T, s *Server, c *client, clock *fakeClock, sid string) response {
				clock.advance(61 * time.Second)
				return c.do("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": email, "otp": s.OTP(email), "sid": sid})
			},
			wantStatus: http.StatusBadRequest,
			wantMsg:    "expired",
		},
		{
			name: "unknown sid",
			run: func(t *testing.T, s *Server, c *client, _ *fakeClock, _ string) response {
				return c.do("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": email, "otp": s.OTP(email), "sid": "nope"})
			},
			wantStatus: http.StatusBadRequest,
			wantMsg:    "Invalid or expired",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			var printed []string
			opts := append([]Option{WithClock(clock.now), WithAutoSeed(true), WithOTPPrinter(func(e, code string) { printed = append(printed, e+":"+code) })}, tt.opts...)
			s := newTest(t, opts...)
			c := newClient(t, s, "")
			r := c.mustOK("POST", "/api/auth/email-otp/request", map[string]string{"email": email})
			var req struct{ Email, Sid string }
			r.decode(t, &req)
			if req.Email != email || req.Sid == "" {
				t.Fatalf("request answer %s", r.raw)
			}
			if len(printed) != 1 || printed[0] != email+":"+s.OTP(email) || len(s.OTP(email)) != 6 {
				t.Fatalf("printed %v, OTP %q", printed, s.OTP(email))
			}
			r = tt.run(t, s, c, clock, req.Sid)
			if tt.wantStatus != http.StatusOK {
				msg := wantError(t, r, tt.wantStatus)
				if s, _ := msg.(string); !strings.Contains(s, tt.wantMsg) {
					t.Errorf("message %v, want it to contain %q", msg, tt.wantMsg)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			var auth struct {
				Scheme, AccessToken, AccessTokenID, ExpireAt string
				User                                         struct{ ID, Email, OrganizationID string }
			}
			r.decode(t, &auth)
			if auth.Scheme != "Bearer" || strings.Count(auth.AccessToken, ".") != 2 || auth.AccessTokenID == "" {
				t.Errorf("auth answer %s", r.raw)
			}
			if auth.ExpireAt != "2025-04-27T10:00:00.000Z" {
				t.Errorf("expireAt %q, want 7 days after the clock", auth.ExpireAt)
			}
			if auth.User.Email != email || auth.User.OrganizationID != s.OrgID(email) {
				t.Errorf("user %+v", auth.User)
			}
			me := newClient(t, s, auth.AccessToken).mustOK("GET", "/api/auth/me", nil).object(t)
			if me["email"] != email {
				t.Errorf("me %v", me)
			}
		})
	}
}

// wrongCode returns a 6-digit code different from code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestOTPRequestBadEmail(t *testing.T) {
	s := newTest(t)
	r := newClient(t, s, "").do("POST", "/api/auth/email-otp/request", map[string]string{"email": "not-an-email"})
	msg := wantError(t, r, http.StatusUnprocessableEntity)
	if l, ok := msg.([]any); !ok || len(l) != 1 || l[0] != "email must be an email" {
		t.Errorf("message %v", msg)
	}
}

func TestUnauthorized(t *testing.T) {
	clock := newFakeClock()
	s := newTest(t, WithClock(clock.now), WithTokenTTL(time.Hour))
	s.SeedUser("a@example.com")
	tests := []struct {
		name  string
		token func() string
	}{
		{"no token", func() string { return "" }},
		{"unknown token", func() string { return "garbage" }},
		{"logged out", func() string {
			tok := s.IssueToken("a@example.com")
			c := newClient(t, s, tok)
			c.mustOK("GET", "/api/auth/me", nil)
			out := c.mustOK("POST", "/api/auth/logout", nil).object(t)
			if out["statusCode"].(float64) != 200 {
				t.Errorf("logout answer %v", out)
			}
			return tok
		}},
		{"ExpireToken", func() string {
			tok := s.IssueToken("a@example.com")
			s.ExpireToken(tok)
			return tok
		}},
		{"expired by time", func() string {
			tok := s.IssueToken("a@example.com")
			clock.advance(time.Hour)
			return tok
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/api/auth/me", "/api/wallets/balances", "/api/transfers"} {
				r := newClient(t, s, tt.token()).do("GET", path, nil)
				if r.status != http.StatusUnauthorized || string(bytes.TrimSpace(r.raw)) != `{"message":"Unauthorized","statusCode":401}` {
					t.Errorf("%s: %d %s", path, r.status, r.raw)
				}
			}
		})
	}
}

func TestListenAndServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New().ListenAndServe(ctx, "127.0.0.1:0") }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return")
	}
}
