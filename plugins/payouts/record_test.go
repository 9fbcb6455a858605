package payouts

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
)

// TestSettle: how a listing moves the open lines of a record — found by
// recipient and amount (or subtotal), never a transfer listed before the
// submit, older than it, or already another line's; absent only from a
// complete listing absent_after after the submit; a pending line whose
// submitter died counts as unknown.
func TestSettle(t *testing.T) {
	p := &Payouts{cfg: DefaultConfig()}
	t0 := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	amount := func(s string) copperx.Units { return copperx.UnitsOf(decimal.RequireFromString(s)) }
	to := func(email string) *copperx.TransferAccount { return &copperx.TransferAccount{PayeeEmail: email} }
	rec := func(state string) *record {
		return &record{ID: "b", Rounds: []round{{ShownAt: t0.Add(-time.Minute), Started: t0, Listed: true, Before: []string{"old"}}},
			Lines: []entry{
				{line: line{N: 1, Kind: kindEmail, To: "bob@example.com", Amount: decimal.NewFromInt(10)}, State: state},
				{line: line{N: 2, Kind: kindPayee, To: "carol@example.com", PayeeID: "p2", Amount: decimal.NewFromInt(5)}, State: state},
				{line: line{N: 3, Kind: kindWallet, To: "0xAbC", Amount: decimal.NewFromInt(1)}, State: stateSent, TransferID: "taken"},
			}}
	}
	for _, tc := range []struct {
		name     string
		state    string
		list     []copperx.Transfer
		complete bool
		after    time.Duration
		want     [2]string
		ids      [2]string
	}{
		{"found by email and payee id", stateUnknown, []copperx.Transfer{
			{ID: "t1", CreatedAt: t0.Add(time.Second), Amount: amount("10"), DestinationAccount: to("BOB@example.com")},
			{ID: "t2", CreatedAt: t0, Amount: amount("5.02"), AmountSubtotal: amount("5"), DestinationAccount: &copperx.TransferAccount{PayeeID: "p2"}},
		}, true, time.Minute, [2]string{stateSent, stateSent}, [2]string{"t1", "t2"}},
		{"listed before, taken, or wrong amount: not it", stateUnknown, []copperx.Transfer{
			{ID: "old", CreatedAt: t0.Add(time.Second), Amount: amount("10"), DestinationAccount: to("bob@example.com")},
			{ID: "taken", CreatedAt: t0.Add(time.Second), Amount: amount("5"), DestinationAccount: to("carol@example.com")},
			{ID: "t3", CreatedAt: t0.Add(time.Second), Amount: amount("5.5"), DestinationAccount: to("carol@example.com")},
		}, true, time.Minute, [2]string{stateUnknown, stateUnknown}, [2]string{}},
		{"older than the submit minus the skew: not it", stateUnknown, []copperx.Transfer{
			{ID: "t4", CreatedAt: t0.Add(-3 * time.Minute), Amount: amount("10"), DestinationAccount: to("bob@example.com")},
		}, true, time.Hour, [2]string{stateAbsent, stateAbsent}, [2]string{}},
		{"one transfer is one line", stateUnknown, []copperx.Transfer{
			{ID: "t5", CreatedAt: t0, Amount: amount("10"), DestinationAccount: to("bob@example.com")},
		}, true, 11 * time.Minute, [2]string{stateSent, stateAbsent}, [2]string{"t5", ""}},
		{"incomplete listing: never absent", stateUnknown, nil, false, time.Hour, [2]string{stateUnknown, stateUnknown}, [2]string{}},
		{"too early: never absent", stateUnknown, nil, true, 9 * time.Minute, [2]string{stateUnknown, stateUnknown}, [2]string{}},
		{"pending, submitter alive: left alone", statePending, nil, true, 30 * time.Second, [2]string{statePending, statePending}, [2]string{}},
		{"pending, submitter died: unknown", statePending, nil, true, 2 * time.Minute, [2]string{stateUnknown, stateUnknown}, [2]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rec(tc.state)
			p.settle(r, -1, tc.list, tc.complete, t0.Add(tc.after))
			for i := range 2 {
				if r.Lines[i].State != tc.want[i] || r.Lines[i].TransferID != tc.ids[i] {
					t.Errorf("line %d: %s %q, want %s %q", i+1, r.Lines[i].State, r.Lines[i].TransferID, tc.want[i], tc.ids[i])
				}
			}
			if r.Lines[2].State != stateSent || r.Lines[2].TransferID != "taken" {
				t.Errorf("a sent line changed: %+v", r.Lines[2])
			}
		})
	}
}

// TestClaimLines: a retry claims only refused or absent lines, with a new
// request id each, keeping the old ones.
func TestClaimLines(t *testing.T) {
	r := &record{ID: "b", Rounds: []round{{}}, Lines: []entry{
		{line: line{N: 1}, State: stateSent, RequestID: "b-1-1", Attempt: 1},
		{line: line{N: 2}, State: stateRefused, RequestID: "b-2-1", Attempt: 1},
		{line: line{N: 3}, State: stateUnknown, RequestID: "b-3-1", Attempt: 1},
		{line: line{N: 4}, State: stateAbsent, RequestID: "b-4-1", Attempt: 1},
	}}
	for _, bad := range [][]int{{1}, {3}, {2, 9}} {
		cp := *r
		cp.Lines = append([]entry(nil), r.Lines...)
		if err := claimLines(&cp, bad, round{}); err != errBatchChanged {
			t.Errorf("claimLines(%v) = %v, want errBatchChanged", bad, err)
		}
	}
	if err := claimLines(r, []int{2, 4}, round{Confirm: "c2"}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 3} {
		e := r.Lines[i]
		if e.State != statePending || e.Round != 1 || e.Attempt != 2 || e.RequestID != requestID("b", e.N, 2) || len(e.Earlier) != 1 || e.Was == "" {
			t.Errorf("line %d after the claim: %+v", e.N, e)
		}
	}
	if len(r.Rounds) != 2 || r.Lines[0].State != stateSent || r.Lines[2].State != stateUnknown {
		t.Errorf("record after the claim: %+v", r)
	}
}
