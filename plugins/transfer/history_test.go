package transfer

import (
	"testing"

	"github.com/shopspring/decimal"
)

func decimalOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestHistoryPaging(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.emu.AddTransfers(userEmail, 35)
	r := e.u.Send("/history").Expect(t, "page 1 of 4", "1. ", "10. ")
	if r.Contains("11. ") {
		t.Fatal("more than 10 on a page")
	}
	msg := e.u.Last()
	r = e.u.Tap("Next").Expect(t, "page 2 of 4", "11. ", "20. ")
	if r.Kinds()[0] != "edit" || e.u.Last().ID != msg.ID {
		t.Fatalf("Next did not edit in place: %v", r.Kinds())
	}
	e.u.Tap("Next")
	e.u.Tap("Next").Expect(t, "page 4 of 4", "35. ")
	if _, b := e.u.FindButton("Next"); b.Data != "" {
		t.Fatal("Next on the last page")
	}
	e.u.Tap("Prev").Expect(t, "page 3 of 4")
	// Details of the first row on page 3, then back.
	e.u.Tap("21").Expect(t, "Id: <code>", "Transaction: <code>0x", "polygonscan.com/tx/0x")
	e.u.Tap("Back").Expect(t, "page 3 of 4")
	if got := len(e.h.API.Calls("sendMessage")); got != 2 { // login + the history message
		t.Fatalf("%d messages sent; paging must edit", got)
	}
}

func TestHistoryEmpty(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.u.Send("/history").Expect(t, "No transfers yet.")
}
