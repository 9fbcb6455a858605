package copperxtest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestScheduleCreateRefusals(t *testing.T) {
	const alice = "alice@example.com"
	clock := newFakeClock() // 2025-04-20 10:00 UTC
	s := newTest(t, WithClock(clock.now))
	s.SeedUser(alice)
	s.SeedUser("pending@example.com", SeedKYC("pending"))
	c := newClient(t, s, s.IssueToken(alice))
	pending := newClient(t, s, s.IssueToken("pending@example.com"))
	body := func(kv ...string) map[string]string {
		m := map[string]string{"amount": "100000000", "email": "bob@example.com", "repeatType": RepeatDaily, "schedule": "2025-04-21T09:00:00Z"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name   string
		c      *client
		body   map[string]string
		status int
		want   string // substring of the message
	}{
		{"no schedule", c, body("schedule", ""), 422, "schedule should not be empty"},
		{"bad repeat type", c, body("repeatType", "hourly"), 422, "repeatType"},
		{"amount too small", c, body("amount", "99999999"), 422, "greater than or equal to 100000000"},
		{"amount too large", c, body("amount", "5000000000001"), 422, "must not be greater than 5000000000000"},
		{"two recipients", c, body("walletAddress", "0x"+strings.Repeat("a", 40)), 422, "exactly one of email, walletAddress or payeeId"},
		{"no recipient", c, body("email", ""), 422, "exactly one of email, walletAddress or payeeId"},
		{"to yourself", c, body("email", alice), 422, "yourself"},
		{"bad address", c, body("email", "", "walletAddress", "0x12"), 422, "walletAddress must be a valid Polygon address"},
		{"unknown payee", c, body("email", "", "payeeId", newID()), 404, "Payee not found"},
		{"cron is not a date", c, body("schedule", "0 9 * * *"), 422, "schedule must be a valid ISO 8601 date string"},
		{"one time in the past", c, body("repeatType", RepeatOneTime, "schedule", "2025-04-19"), 422, "schedule must be in the future"},
		{"kyc pending", pending, body(), 422, "KYC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := wantError(t, tt.c.do("POST", "/api/transfer-schedules", tt.body), tt.status)
			if got := flat(msg); !strings.Contains(got, tt.want) {
				t.Errorf("message %s, want %q", got, tt.want)
			}
		})
	}
	if n := len(s.Schedules(alice)); n != 0 {
		t.Errorf("%d schedules stored by refused requests", n)
	}
}

// flat renders an ErrorDto message (string, []string or constraint
// objects) as one string.
func flat(msg any) string {
	switch m := msg.(type) {
	case string:
		return m
	case []any:
		var parts []string
		for _, e := range m {
			parts = append(parts, flat(e))
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		var parts []string
		if c, ok := m["constraints"].(map[string]any); ok {
			for _, v := range c {
				parts = append(parts, flat(v))
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// TestSchedulesRunWhenDue creates schedules of each repeat type and
// advances the clock: each occurrence creates a transfer, dated when it
// fell due; a one-time schedule then turns inactive; a deactivated one
// stops; a run the API would refuse is recorded as failed.
func TestSchedulesRunWhenDue(t *testing.T) {
	const alice, bob = "alice@example.com", "bob@example.com"
	clock := newFakeClock() // 2025-04-20 10:00 UTC
	s := newTest(t, WithClock(clock.now), WithTokenTTL(365*24*time.Hour))
	s.SeedUser(alice)
	s.SeedUser(bob)
	c := newClient(t, s, s.IssueToken(alice))
	var payee payeeJSON
	c.mustOK("POST", "/api/payees", map[string]string{"nickName": "bobby", "email": bob}).decode(t, &payee)

	create := func(body map[string]string) TransferSchedule {
		t.Helper()
		var sc TransferSchedule
		c.mustOK("POST", "/api/transfer-schedules", body).decode(t, &sc)
		return sc
	}
	daily := create(map[string]string{"amount": "100000000", "email": bob, "purposeCode": "family", "repeatType": RepeatDaily, "schedule": "2025-04-20T12:00:00Z"})
	weekly := create(map[string]string{"amount": "200000000", "payeeId": payee.ID, "repeatType": RepeatWeekly, "schedule": "2025-04-21"})
	once := create(map[string]string{"amount": "300000000", "walletAddress": "0x" + strings.Repeat("a", 40), "repeatType": RepeatOneTime, "schedule": "2025-04-20T11:00:00+00:00"})
	monthly := create(map[string]string{"amount": "400000000", "email": bob, "repeatType": RepeatMonthly, "schedule": "2025-01-31T10:00:00Z"}) // started in the past
	if daily.Status != ScheduleActive || daily.Type != "on_chain" || daily.Amount != "100000000" || daily.Currency != "USDC" ||
		daily.PurposeCode != "family" || daily.Email != bob || daily.OrganizationID != s.OrgID(alice) || daily.Schedule != "2025-04-20T12:00:00Z" {
		t.Errorf("daily = %+v", daily)
	}
	if weekly.Payee == nil || weekly.Payee.NickName != "bobby" || weekly.PurposeCode != "self" {
		t.Errorf("weekly = %+v", weekly)
	}

	count := func(amount string) (ok, failed int) {
		for _, tr := range s.Transfers(alice) {
			if tr.Amount != amount || tr.Type != "send" {
				continue
			}
			if tr.Status == StatusFailed {
				failed++
			} else {
				ok++
			}
		}
		return ok, failed
	}
	steps := []struct {
		name    string
		advance time.Duration
		created int
		daily   int // transfers so far, by schedule
		weekly  int
		once    int
		monthly int
	}{
		{"nothing due yet", 30 * time.Minute, 0, 0, 0, 0, 0},
		{"11:00 one time", time.Hour, 1, 0, 0, 1, 0},                       // 11:30
		{"12:00 first daily", time.Hour, 1, 1, 0, 1, 0},                    // 12:30
		{"next day: daily and weekly", 24 * time.Hour, 2, 2, 1, 1, 0},      // 04-21 12:30
		{"ten days later: catch up", 10 * 24 * time.Hour, 12, 12, 2, 1, 1}, // 05-01 12:30: 10 daily, weekly 04-28, monthly 04-30
	}
	for _, st := range steps {
		if got := s.Advance(st.advance); got != st.created {
			t.Errorf("%s: Advance created %d, want %d", st.name, got, st.created)
		}
		for _, w := range []struct {
			amount string
			want   int
		}{{"100000000", st.daily}, {"200000000", st.weekly}, {"300000000", st.once}, {"400000000", st.monthly}} {
			if ok, failed := count(w.amount); ok != w.want || failed != 0 {
				t.Errorf("%s: %s: %d transfers (%d failed), want %d", st.name, w.amount, ok, failed, w.want)
			}
		}
	}
	var got TransferSchedule
	c.mustOK("GET", "/api/transfer-schedules/"+once.ID, nil).decode(t, &got)
	if got.Status != ScheduleInactive {
		t.Errorf("one-time schedule after its run: %q", got.Status)
	}
	// Each occurrence is dated when it fell due.
	var dates []string
	for _, tr := range s.Transfers(alice) {
		if tr.Amount == "100000000" {
			dates = append(dates, tr.CreatedAt)
		}
	}
	if len(dates) != 12 || dates[0] != "2025-05-01T12:00:00.000Z" || dates[11] != "2025-04-20T12:00:00.000Z" {
		t.Errorf("daily dates %v", dates)
	}

	// Deactivated: no more runs; deactivating again answers it as it is.
	c.mustOK("POST", "/api/transfer-schedules/"+daily.ID+"/deactivate", nil).decode(t, &got)
	if got.Status != ScheduleInactive {
		t.Errorf("deactivate: %+v", got)
	}
	c.mustOK("POST", "/api/transfer-schedules/"+daily.ID+"/deactivate", nil).decode(t, &got)
	// A run CopperX would refuse (the balance is gone) is recorded as failed.
	s.SetBalance(alice, NetworkPolygon, "USDC", "0")
	before := s.Balance(bob, NetworkPolygon, "USDC")
	if n := s.Advance(7 * 24 * time.Hour); n != 1 { // 05-08 12:30: the weekly run of 05-05 (monthly: 05-31)
		t.Errorf("Advance created %d, want 1", n)
	}
	if ok, failed := count("100000000"); ok != 12 || failed != 0 {
		t.Errorf("deactivated daily schedule ran: %d, %d failed", ok, failed)
	}
	if ok, failed := count("200000000"); ok != 2 || failed != 1 {
		t.Errorf("weekly without balance: %d ok, %d failed", ok, failed)
	}
	if got := s.Balance(bob, NetworkPolygon, "USDC"); !got.Equal(before) {
		t.Errorf("a failed run moved money: %s → %s", before, got)
	}

	// The list: newest first, filtered; another user sees none of it.
	var page struct {
		Data  []TransferSchedule `json:"data"`
		Count int                `json:"count"`
	}
	c.mustOK("GET", "/api/transfer-schedules?status=active", nil).decode(t, &page)
	if page.Count != 2 || page.Data[0].ID != monthly.ID || page.Data[1].ID != weekly.ID {
		t.Errorf("active schedules %+v", page)
	}
	c.mustOK("GET", "/api/transfer-schedules?payeeId="+payee.ID, nil).decode(t, &page)
	if page.Count != 1 || page.Data[0].ID != weekly.ID {
		t.Errorf("by payee %+v", page)
	}
	c.mustOK("GET", "/api/transfer-schedules?email=BOB@example.com&page=1&limit=1", nil).decode(t, &page)
	if page.Count != 2 || len(page.Data) != 1 || page.Data[0].ID != monthly.ID {
		t.Errorf("by email %+v", page)
	}
	other := newClient(t, s, s.IssueToken(bob))
	other.mustOK("GET", "/api/transfer-schedules", nil).decode(t, &page)
	if page.Count != 0 {
		t.Errorf("bob sees %+v", page)
	}
	wantError(t, other.do("GET", "/api/transfer-schedules/"+weekly.ID, nil), http.StatusNotFound)
	wantError(t, other.do("POST", "/api/transfer-schedules/"+weekly.ID+"/deactivate", nil), http.StatusNotFound)
	if len(s.Schedules(alice)) != 4 || len(s.Schedules(bob)) != 0 {
		t.Errorf("Schedules: %d, %d", len(s.Schedules(alice)), len(s.Schedules(bob)))
	}
}

// TestSchedulesTickBeforeRequests: a standalone emulator runs schedules
// on its clock before answering any API request, without Tick.
func TestSchedulesTickBeforeRequests(t *testing.T) {
	clock := newFakeClock()
	s := newTest(t, WithClock(clock.now))
	s.SeedUser("alice@example.com")
	s.SeedUser("bob@example.com")
	c := newClient(t, s, s.IssueToken("alice@example.com"))
	c.mustOK("POST", "/api/transfer-schedules", map[string]string{"amount": "100000000", "email": "bob@example.com", "repeatType": RepeatOneTime, "schedule": "2025-04-20T10:05:00Z"})
	clock.advance(10 * time.Minute)
	var page struct {
		Data []Transfer `json:"data"`
	}
	c.mustOK("GET", "/api/transfers?type=send", nil).decode(t, &page)
	if len(page.Data) != 1 || page.Data[0].CreatedAt != "2025-04-20T10:05:00.000Z" {
		t.Errorf("transfers %+v", page.Data)
	}
}

func TestScheduleOccurrences(t *testing.T) {
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		repeat string
		anchor time.Time
		n      int
		want   time.Time
	}{
		{RepeatDaily, at(2025, 4, 20, 9), 0, at(2025, 4, 20, 9)},
		{RepeatDaily, at(2025, 4, 30, 9), 1, at(2025, 5, 1, 9)},
		{RepeatWeekly, at(2025, 4, 21, 0), 2, at(2025, 5, 5, 0)},
		{RepeatMonthly, at(2025, 1, 31, 10), 1, at(2025, 2, 28, 10)},
		{RepeatMonthly, at(2025, 1, 31, 10), 2, at(2025, 3, 31, 10)},
		{RepeatMonthly, at(2024, 1, 31, 10), 1, at(2024, 2, 29, 10)},
		{RepeatMonthly, at(2025, 11, 30, 8), 3, at(2026, 2, 28, 8)},
		{RepeatMonthly, at(2025, 4, 15, 8), 12, at(2026, 4, 15, 8)},
		{RepeatOneTime, at(2025, 4, 20, 9), 3, at(2025, 4, 20, 9)},
	}
	for _, tt := range tests {
		if got := occurrence(tt.anchor, tt.repeat, tt.n); !got.Equal(tt.want) {
			t.Errorf("occurrence(%v, %s, %d) = %v, want %v", tt.anchor, tt.repeat, tt.n, got, tt.want)
		}
	}
}
