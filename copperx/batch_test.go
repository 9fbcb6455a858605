package copperx_test

import (
	"net/http"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
)

// TestEmulatorSendBatchPartialFailure: with failures injected on some
// items, SendBatch returns every item's outcome, Err classifies the failed
// ones, and only the others moved money.
func TestEmulatorSendBatchPartialFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	const ada = "ada@example.com"
	tok := e.token(ada)
	e.emu.FailBatchItem("salary-2", http.StatusUnprocessableEntity, "Insufficient balance")
	e.emu.FailBatchItem("salary-3", http.StatusBadRequest, "Recipient wallet is blocked")
	items := []copperx.BatchSendItem{
		{RequestID: "salary-1", Request: copperx.SendRequest{Email: "a@example.com", Amount: dec("10"), PurposeCode: "salary"}},
		{RequestID: "salary-2", Request: copperx.SendRequest{Email: "b@example.com", Amount: dec("20"), PurposeCode: "salary"}},
		{RequestID: "salary-3", Request: copperx.SendRequest{Email: "c@example.com", Amount: dec("30"), PurposeCode: "salary"}},
		{RequestID: "salary-4", Request: copperx.SendRequest{Email: "d@example.com", Amount: dec("40"), PurposeCode: "salary"}},
	}
	res, err := e.c.SendBatch(ctx, tok, items)
	if err != nil || len(res) != len(items) {
		t.Fatalf("SendBatch = %d results, %v", len(res), err)
	}
	want := []struct {
		id     string
		reason copperx.Reason // "" = sent
		status int
	}{
		{"salary-1", "", 0},
		{"salary-2", copperx.ReasonInsufficientBalance, 422},
		{"salary-3", copperx.ReasonRecipient, 400},
		{"salary-4", "", 0},
	}
	for i, w := range want {
		r := res[i]
		if r.RequestID != w.id {
			t.Errorf("result %d is %s, want %s", i, r.RequestID, w.id)
		}
		if w.reason == "" {
			if r.Err() != nil || r.Response == nil || r.Response.Status != "success" {
				t.Errorf("%s: %v, %+v", w.id, r.Err(), r.Response)
			}
			continue
		}
		apiErr := wantAPIError(t, r.Err(), copperx.ErrValidation, w.status, "")
		if apiErr.Reason() != w.reason || r.Response != nil {
			t.Errorf("%s: reason %q, response %+v", w.id, apiErr.Reason(), r.Response)
		}
	}
	wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1200.50"))
}
