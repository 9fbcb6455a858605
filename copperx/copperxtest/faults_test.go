package copperxtest

import (
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	send := map[string]string{"email": "z@example.com", "amount": "100000000", "purposeCode": "self"}
	tests := []struct {
		name      string
		fault     Fault
		wantErr   bool // transport error
		status    int
		bodyHas   string
		workDone  bool
		minLatncy time.Duration
	}{
		{name: "status 500", fault: Fault{Status: 500}, status: 500, bodyHas: `"statusCode":500`},
		{name: "status 429 with body", fault: Fault{Status: 429, Body: `{"message":"slow down","statusCode":429,"error":"Too Many Requests"}`}, status: 429, bodyHas: "slow down"},
		{name: "latency", fault: Fault{Latency: 150 * time.Millisecond}, status: 200, workDone: true, minLatncy: 150 * time.Millisecond},
		{name: "malformed", fault: Fault{Malformed: true}, status: 200, bodyHas: `"status":`},
		{name: "drop connection", fault: Fault{DropConnection: true}, wantErr: true},
		{name: "lose response (dropped)", fault: Fault{LoseResponse: true}, wantErr: true, workDone: true},
		{name: "lose response (504)", fault: Fault{LoseResponse: true, Status: 504}, status: 504, workDone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTest(t)
			s.SeedUser("f@example.com")
			c := newClient(t, s, s.IssueToken("f@example.com"))
			s.Fail("POST", "/api/transfers/send", tt.fault)

			start := time.Now()
			r, err := c.send("POST", "/api/transfers/send", send)
			if tt.wantErr != (err != nil) {
				t.Fatalf("transport error %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				if r.status != tt.status || !strings.Contains(string(r.raw), tt.bodyHas) {
					t.Errorf("answer %d %s", r.status, r.raw)
				}
				if tt.status == 429 && r.header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			}
			if time.Since(start) < tt.minLatncy {
				t.Errorf("answered after %s", time.Since(start))
			}
			n := len(s.Transfers("f@example.com"))
			if done := n == 1; done != tt.workDone {
				t.Errorf("%d transfers recorded, want work done = %v", n, tt.workDone)
			}
			if calls := s.CallsTo("POST", "/api/transfers/send"); len(calls) < 1 || calls[0].Body["email"] != "z@example.com" || calls[0].Header.Get("Authorization") != "" {
				t.Errorf("calls %+v", calls)
			}
		})
	}
}

func TestFaultTimesAndClear(t *testing.T) {
	s := newTest(t)
	s.SeedUser("f@example.com")
	c := newClient(t, s, s.IssueToken("f@example.com"))
	s.Fail("GET", "/api/wallets/*", Fault{Status: 503, Times: 2})
	for i, want := range []int{503, 503, 200} {
		if r := c.do("GET", "/api/wallets/balance", nil); r.status != want {
			t.Errorf("call %d: %d, want %d", i+1, r.status, want)
		}
	}
	s.Fail("", "/api/auth/me", Fault{Status: 500})
	for range 3 {
		if r := c.do("GET", "/api/auth/me", nil); r.status != 500 {
			t.Errorf("unlimited fault: %d", r.status)
		}
	}
	s.ClearFaults()
	c.mustOK("GET", "/api/auth/me", nil)
	if n := len(s.CallsTo("GET", "/api/auth/me")); n != 4 {
		t.Errorf("%d calls to /auth/me", n)
	}
	if calls := s.Calls(); calls[len(calls)-1].Status != 200 {
		t.Errorf("last call status %d", calls[len(calls)-1].Status)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Error("ResetCalls kept calls")
	}
}

func TestFaultPrecedence(t *testing.T) {
	s := newTest(t)
	s.SeedUser("f@example.com")
	c := newClient(t, s, s.IssueToken("f@example.com"))
	s.Fail("POST", "/api/transfers/send", Fault{DropConnection: true, LoseResponse: true})
	if _, err := c.send("POST", "/api/transfers/send", map[string]string{"email": "z@example.com", "amount": "100000000", "purposeCode": "self"}); err == nil {
		t.Fatal("no transport error")
	}
	if n := len(s.Transfers("f@example.com")); n != 0 {
		t.Errorf("DropConnection must win over LoseResponse: %d transfers made", n)
	}
}
