package copperxtest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A LateWork fault answers 504 at once and makes the transfer only once the
// emulator's clock has moved on: a gateway timeout whose work completes.
func TestLateWork(t *testing.T) {
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	srv := NewTestServer(t, WithClock(func() time.Time { return now }))
	srv.SeedUser("ada@example.com")
	token := srv.IssueToken("ada@example.com")
	srv.Fail("POST", "/api/transfers/send", Fault{LateWork: 10 * time.Second, Times: 1})
	send := func() int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/api/transfers/send",
			strings.NewReader(`{"email":"bob@example.com","amount":"500000000","purposeCode":"self","currency":"USDC"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return res.StatusCode
	}
	if got := send(); got != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", got)
	}
	if n := len(srv.Transfers("ada@example.com")); n != 0 {
		t.Fatalf("%d transfers at once, want none yet", n)
	}
	srv.Advance(9 * time.Second)
	if n := len(srv.Transfers("ada@example.com")); n != 0 {
		t.Fatalf("%d transfers after 9 s", n)
	}
	srv.Advance(time.Second)
	trs := srv.Transfers("ada@example.com")
	if len(trs) != 1 || trs[0].CreatedAt != ts(now.Add(10*time.Second)) {
		t.Fatalf("transfers after 10 s: %+v", trs)
	}
	// The fault was used once: the next send is made at once.
	if got := send(); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	if n := len(srv.Transfers("ada@example.com")); n != 2 {
		t.Fatalf("%d transfers", n)
	}
}
