package transfer

import (
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

func TestStatementCode(t *testing.T) {
	for _, st := range []statement{
		{},
		{Kind: kindSent, Status: "completed", Period: periodWeek},
		{Kind: kindDeposit, Status: "failed", Period: periodThis},
		{Kind: kindWithdrawn, Status: "pending", Period: periodMonth},
		{Kind: kindReceived, Period: periodCustom, From: day("2026-03-01"), To: day("2026-03-15")},
	} {
		code := st.code()
		got, err := parseStatement(code)
		if err != nil || got != st {
			t.Errorf("%+v → %q → %+v, %v", st, code, got, err)
		}
		// Every screen's button carries it within Telegram's 64 bytes.
		for _, args := range [][]string{{"filter", code, "="}, {"page", "10000", code}, {"export", code}, {"dates", code}} {
			if _, err := kernel.CallbackData("transfer", args[0], args[1:]...); err != nil {
				t.Errorf("%v: %v", args, err)
			}
		}
	}
	for _, bad := range []string{"", "aa", "aa.", "xa.a", "ax.a", "aa.x", "aaa.a", "aa.20260315-20260301", "aa.2026031-20260315",
		"aa.20261301-20261302", "aa.20260301_20260315", "aa.7.7"} {
		if st, err := parseStatement(bad); err == nil {
			t.Errorf("parseStatement(%q) = %+v, want it refused", bad, st)
		}
	}
}

func TestTransferKind(t *testing.T) {
	wallet := &copperx.TransferAccount{Type: "web3_wallet", WalletAddress: "0xabc"}
	bank := &copperx.TransferAccount{Type: "bank_ach", BankName: "Chase"}
	for _, tc := range []struct {
		name      string
		tr        copperx.Transfer
		kind, dir string
	}{
		{"send", copperx.Transfer{Type: "send"}, kindSent, dirOut},
		{"wallet withdraw", copperx.Transfer{Type: "withdraw", Mode: "on_chain", DestinationAccount: wallet}, kindSent, dirOut},
		{"wallet withdraw without a mode", copperx.Transfer{Type: "withdraw", DestinationAccount: wallet}, kindSent, dirOut},
		{"offramp", copperx.Transfer{Type: "withdraw", Mode: "off_ramp", DestinationAccount: bank}, kindWithdrawn, dirOut},
		{"bank without a mode", copperx.Transfer{Type: "withdraw", DestinationAccount: bank}, kindWithdrawn, dirOut},
		{"withdraw that says nothing", copperx.Transfer{Type: "withdraw"}, kindWithdrawn, dirOut},
		{"receive", copperx.Transfer{Type: "receive"}, kindReceived, dirIn},
		{"deposit", copperx.Transfer{Type: "deposit"}, kindDeposit, dirIn},
		{"bank deposit", copperx.Transfer{Type: "bank_deposit"}, kindDeposit, dirIn},
		{"bridge", copperx.Transfer{Type: "bridge"}, kindBridge, dirInternal},
	} {
		if k, d := transferKind(tc.tr), direction(tc.tr); k != tc.kind || d != tc.dir {
			t.Errorf("%s: %s %s, want %s %s", tc.name, k, d, tc.kind, tc.dir)
		}
	}
}

// What the API filters by itself, and what is left to the bot.
func TestStatementQuery(t *testing.T) {
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		st               statement
		types, statuses  string
		from, to         string
		filteredByTheBot bool
	}{
		{statement{}, "", "", "", "", false},
		{statement{Kind: kindSent}, "send withdraw", "", "", "", true},
		{statement{Kind: kindWithdrawn}, "withdraw", "", "", "", true},
		{statement{Kind: kindReceived, Status: "completed"}, "receive", "success", "", "", false},
		{statement{Kind: kindDeposit, Status: "pending"}, "deposit bank_deposit", "", "", "", true},
		{statement{Period: periodWeek}, "", "", "2026-03-14T00:00:00Z", "", false},
		{statement{Period: periodMonth}, "", "", "2026-02-19T00:00:00Z", "", false},
		{statement{Period: periodThis}, "", "", "2026-03-01T00:00:00Z", "", false},
		{statement{Period: periodCustom, From: day("2026-01-02"), To: day("2026-01-02")}, "", "", "2026-01-02T00:00:00Z", "2026-01-02T23:59:59Z", false},
	} {
		q := tc.st.query(now)
		str := func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.Format(time.RFC3339)
		}
		if got := strings.Join(q.Types, " "); got != tc.types || strings.Join(q.Statuses, " ") != tc.statuses || str(q.StartDate) != tc.from || str(q.EndDate) != tc.to {
			t.Errorf("%+v: types %q statuses %q from %q to %q", tc.st, got, strings.Join(q.Statuses, " "), str(q.StartDate), str(q.EndDate))
		}
		if (tc.st.keep() != nil) != tc.filteredByTheBot {
			t.Errorf("%+v: filtered by the bot %v, want %v", tc.st, tc.st.keep() != nil, tc.filteredByTheBot)
		}
	}
}
