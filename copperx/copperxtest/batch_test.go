package copperxtest

import (
	"net/http"
	"testing"

	"github.com/shopspring/decimal"
)

// TestSendBatchInjectedFailures: FailBatchItem fails the named items (once
// each, nothing moved) while the rest of the batch goes through.
func TestSendBatchInjectedFailures(t *testing.T) {
	const alice = "alice@example.com"
	type result struct {
		RequestID string            `json:"requestId"`
		Request   map[string]string `json:"request"`
		Response  *Transfer         `json:"response"`
		Error     *struct {
			Message    any    `json:"message"`
			StatusCode int    `json:"statusCode"`
			Error      string `json:"error"`
		} `json:"error"`
	}
	item := func(id, email string) map[string]any {
		return map[string]any{"requestId": id, "request": map[string]string{"email": email, "amount": "1000000000", "purposeCode": "salary"}}
	}
	batch := map[string]any{"requests": []any{item("r1", "x@example.com"), item("r2", "y@example.com"), item("r3", "z@example.com")}}
	tests := []struct {
		name    string
		inject  func(s *Server)
		failed  map[string]int    // request id → status
		message map[string]string // request id → message
	}{
		{"none", func(*Server) {}, nil, nil},
		{"one with defaults", func(s *Server) { s.FailBatchItem("r2", 0, "") },
			map[string]int{"r2": 422}, map[string]string{"r2": "Unprocessable Entity"}},
		{"two with messages", func(s *Server) {
			s.FailBatchItem("r1", http.StatusBadRequest, "Recipient wallet is blocked")
			s.FailBatchItem("r3", http.StatusInternalServerError, "Provider timeout")
		}, map[string]int{"r1": 400, "r3": 500}, map[string]string{"r1": "Recipient wallet is blocked", "r3": "Provider timeout"}},
		{"cleared", func(s *Server) { s.FailBatchItem("r1", 0, ""); s.ClearFaults() }, nil, nil},
		{"unknown id", func(s *Server) { s.FailBatchItem("r9", 0, "") }, nil, nil},
		{"pattern fails the first match once", func(s *Server) { s.FailBatchItemLike("r[23]", http.StatusBadRequest, "Payee blocked") },
			map[string]int{"r2": 400}, map[string]string{"r2": "Payee blocked"}},
		{"exact id before a pattern", func(s *Server) {
			s.FailBatchItemLike("r*", 0, "any")
			s.FailBatchItem("r1", http.StatusNotFound, "exact")
		}, map[string]int{"r1": 404, "r2": 422}, map[string]string{"r1": "exact", "r2": "any"}},
		{"pattern cleared", func(s *Server) { s.FailBatchItemLike("*", 0, ""); s.ClearFaults() }, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTest(t)
			s.SeedUser(alice)
			c := newClient(t, s, s.IssueToken(alice))
			tt.inject(s)
			var out struct {
				Responses []result `json:"responses"`
			}
			c.mustOK("POST", "/api/transfers/send-batch", batch).decode(t, &out)
			if len(out.Responses) != 3 {
				t.Fatalf("%d responses", len(out.Responses))
			}
			for _, r := range out.Responses {
				status, failed := tt.failed[r.RequestID]
				switch {
				case failed && (r.Error == nil || r.Response != nil || r.Error.StatusCode != status || r.Error.Message != tt.message[r.RequestID] || r.Error.Error != http.StatusText(status)):
					t.Errorf("%s: %+v, want error %d %q", r.RequestID, r, status, tt.message[r.RequestID])
				case !failed && (r.Error != nil || r.Response == nil || r.Response.Status != StatusSuccess):
					t.Errorf("%s: %+v, want a transfer", r.RequestID, r)
				}
				if r.Request["email"] == "" {
					t.Errorf("%s: request not echoed", r.RequestID)
				}
			}
			sent := 3 - len(tt.failed)
			want := dec("1250.50").Sub(decimal.NewFromInt(int64(10 * sent)))
			if got := s.Balance(alice, NetworkPolygon, "USDC"); !got.Equal(want) {
				t.Errorf("balance %s, want %s", got, want)
			}
			if n := len(s.Transfers(alice)); n != sent {
				t.Errorf("%d transfers, want %d", n, sent)
			}
			// An injected failure is used once: the same batch again goes through.
			out.Responses = nil
			c.mustOK("POST", "/api/transfers/send-batch", batch).decode(t, &out)
			for _, r := range out.Responses {
				if r.Error != nil {
					t.Errorf("second batch: %s failed again: %+v", r.RequestID, r.Error)
				}
			}
		})
	}
}
