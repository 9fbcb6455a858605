package payouts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// scheduleTo walks /schedule to the summary: recipient, amount, Family,
// repeat, and when (typed).
func scheduleTo(t *testing.T, e *plugintest.Env, to, amount, repeat, when string) {
	t.Helper()
	e.U.Send("/schedule").Expect(t, "Scheduled payout")
	e.U.Send(to).Expect(t, "each time")
	e.U.Send(amount).Expect(t, "What is this payout for?")
	e.U.Tap("Family").Expect(t, "How often?")
	e.U.Tap(repeat).Expect(t, "in UTC")
	e.U.Send(when).Expect(t, "Please check your scheduled payout")
}

// TestScheduleRunsAndStops: a weekly schedule created from the chat is at
// CopperX as the summary said (the schedule string is copperx.ScheduleAt
// of the typed UTC time), runs when the emulator's clock reaches it, and,
// stopped from /schedules (asked first), runs no more.
func TestScheduleRunsAndStops(t *testing.T) {
	// The emulator's clock runs weeks ahead here: its token lives longer.
	e := newEnv(t, setup{emuOpts: []copperxtest.Option{copperxtest.WithTokenTTL(90 * 24 * time.Hour)}})
	scheduleTo(t, e, "bob@example.com", "25", "Weekly", "2026-03-21 09:00")
	e.U.Tap("Confirm").Expect(t, "Scheduled</b>: 25.00 USDC to bob@example.com, every week from 2026-03-21 at 09:00 UTC", "Schedule id")
	list := e.Emu.Schedules(plugintest.Email)
	if len(list) != 1 {
		t.Fatalf("%d schedules at the emulator", len(list))
	}
	s := list[0]
	if s.Schedule != "2026-03-21T09:00:00Z" || s.RepeatType != "weekly" || s.Email != "bob@example.com" || s.Amount != "2500000000" ||
		s.PurposeCode != "family" || s.Status != "active" {
		t.Errorf("schedule at the emulator = %+v", s)
	}
	if got := len(sends(e)); got != 0 {
		t.Fatalf("%d sends before the schedule fell due", got)
	}
	if made := e.Emu.Advance(24 * time.Hour); made != 1 || len(sends(e)) != 1 || sentTo(e)["bob@example.com"] != 1 {
		t.Fatalf("the emulator's clock reached the schedule: %d made, sends %v", made, sentTo(e))
	}
	wantBalance(t, e, "1225.50")

	e.U.Send("/schedules").Expect(t, "Your scheduled payouts</b> (page 1 of 1)", "1. 🟢 bob@example.com · 25.00 USDC · every week from 2026-03-21 at 09:00 UTC")
	e.U.Tap("1").Expect(t, "Status: 🟢 active", "Purpose: Family")
	e.U.Tap("Stop it").Expect(t, "Stop this schedule?")
	if got := e.Emu.Schedules(plugintest.Email)[0].Status; got != "active" {
		t.Fatalf("asking stopped the schedule: %s", got)
	}
	e.U.Tap("Yes, stop it").Expect(t, "Stopped. No more payouts will be made for it.", "Status: ⏸ stopped")
	if got := e.Emu.Schedules(plugintest.Email)[0].Status; got != "inactive" {
		t.Fatalf("schedule status %s after Stop", got)
	}
	if made := e.Emu.Advance(14 * 24 * time.Hour); made != 0 {
		t.Errorf("a stopped schedule made %d transfers", made)
	}
	e.U.Tap("Back").Expect(t, "1. ⏸ bob@example.com")
}

// TestScheduleRecipients: a payee by nickname and a wallet address, one
// time, with the quick choices of the when step.
func TestScheduleRecipients(t *testing.T) {
	e := newEnv(t, setup{})
	carol := addPayee(e, "Carol", "carol@example.com")
	e.U.Send("/schedule")
	e.U.Send("carol")
	e.U.Send("5")
	e.U.Tap("Gift")
	e.U.Tap("One time").Expect(t, "When should it be paid?")
	e.U.Tap("Tomorrow").Expect(t, "To: <b>Carol (carol@example.com)</b>", "once, on 2026-03-21 at 09:00 UTC")
	e.U.Tap("Confirm").Expect(t, "Scheduled")
	e.U.Send("/schedule")
	e.U.Send(addr)
	e.U.Send("2,5")
	e.U.Tap("Myself")
	e.U.Tap("Daily")
	e.U.Tap("In 1 hour").Expect(t, "every day at 11:00 UTC, from 2026-03-20")
	e.U.Tap("Confirm").Expect(t, "Scheduled")
	list := e.Emu.Schedules(plugintest.Email) // newest first
	if len(list) != 2 || list[1].PayeeID != carol.ID || list[1].RepeatType != "one_time" || list[1].Schedule != "2026-03-21T09:00:00Z" ||
		list[0].WalletAddress != addr || list[0].Amount != "250000000" || list[0].Schedule != "2026-03-20T11:00:00Z" {
		t.Errorf("schedules = %+v", list)
	}
}

// TestScheduleInputs: what each step refuses, and how it says so.
func TestScheduleInputs(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/schedule")
	e.U.Send("bob@example").Expect(t, "Not accepted: “bob@example” is not a valid email address")
	e.U.Send("ada@example.com").Expect(t, "Not accepted: that is your own email")
	e.U.Send("bob@example.com")
	e.U.Send("0.5").Expect(t, "Not accepted: amount must be at least 1.00 USDC")
	e.U.Send("1,5,0").Expect(t, "is not an amount")
	e.U.Send("10")
	e.U.Tap("Salary")
	e.U.Tap("Monthly")
	e.U.Send("next friday").Expect(t, "I couldn't read that. Type the date and time as <code>YYYY-MM-DD HH:mm</code>, in UTC")
	e.U.Send("2026-03-20 10:02").Expect(t, "That time has passed or is too soon (it is 2026-03-20 10:00 UTC now)")
	e.U.Send("2029-03-20 10:00").Expect(t, "That is too far ahead: at most 366 days from now.")
	e.U.Send("2026-03-31 23:59 UTC").Expect(t, "every month from 2026-03-31 at 23:59 UTC")
	if n := e.Posts("/api/transfer-schedules"); n != 0 {
		t.Errorf("%d schedules created before Confirm", n)
	}
	t.Run("spanish", func(t *testing.T) {
		e := newEnv(t, setup{lang: "es"})
		e.U.Send("/schedule")
		e.U.Send("bob@example.com")
		e.U.Send("1.000,5").Expect(t, "¿Para qué es este pago?")
		e.U.Tap("Salario")
		e.U.Tap("Cada semana").Expect(t, "<code>DD/MM/YYYY HH:mm</code>, en UTC (ahora: 20/03/2026 10:00 UTC)")
		e.U.Send("27/03/2026 9:30").Expect(t, "Importe: <b>1.000,50 USDC</b> cada vez", "cada semana desde el 27/03/2026 a las 09:30 UTC")
	})
}

// TestScheduleExactlyOnce: a second Confirm creates nothing; a lost
// answer is found in CopperX's listing; an answer that never came for a
// request CopperX never got says it is not known; a refusal says why;
// an expired summary creates nothing.
func TestScheduleExactlyOnce(t *testing.T) {
	t.Run("double tap", func(t *testing.T) {
		e := newEnv(t, setup{})
		scheduleTo(t, e, "bob@example.com", "25", "Daily", "2026-03-21 09:00")
		m, b := e.U.MustFindButton(t, "Confirm")
		e.U.Tap("Confirm").Expect(t, "Scheduled")
		e.U.Retap(m, b).Expect(t, "Already scheduled")
		if n := e.Posts("/api/transfer-schedules"); n != 1 || len(e.Emu.Schedules(plugintest.Email)) != 1 {
			t.Errorf("%d creates, %d schedules; want 1", n, len(e.Emu.Schedules(plugintest.Email)))
		}
	})
	for _, tc := range []struct {
		name  string
		fault copperxtest.Fault
		want  string
		made  int
	}{
		{"answer lost after the work", copperxtest.Fault{LoseResponse: true, Times: 1}, "Scheduled</b>", 1},
		{"gateway 504 after the work", copperxtest.Fault{LoseResponse: true, Status: 504, Times: 1}, "Scheduled</b>", 1},
		{"connection dropped before the work", copperxtest.Fault{DropConnection: true, Times: 1}, "CopperX did not answer in time, so I can't tell whether the schedule", 0},
		{"refused", copperxtest.Fault{Status: 422, Body: `{"message":"Please complete your KYC to make transfers","statusCode":422,"error":"Unprocessable Entity"}`, Times: 1},
			"CopperX did not create the schedule (25.00 USDC to bob@example.com): CopperX needs your identity verification (KYC) approved", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			scheduleTo(t, e, "bob@example.com", "25", "Daily", "2026-03-21 09:00")
			e.Emu.Fail("POST", "/api/transfer-schedules", tc.fault)
			e.U.Tap("Confirm").Expect(t, tc.want)
			if n := len(e.Emu.Schedules(plugintest.Email)); n != tc.made {
				t.Errorf("%d schedules at the emulator, want %d", n, tc.made)
			}
			if n := e.Posts("/api/transfer-schedules"); n != 1 {
				t.Errorf("%d creates, want 1", n)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		e := newEnv(t, setup{})
		scheduleTo(t, e, "bob@example.com", "25", "Daily", "2026-03-21 09:00")
		e.H.Clock.Advance(6 * time.Minute)
		e.U.Tap("Confirm").Expect(t, "This summary expired")
		if n := e.Posts("/api/transfer-schedules"); n != 0 {
			t.Errorf("%d creates", n)
		}
	})
}

// TestSchedulesPages: /schedules pages through CopperX's list, newest
// first; an empty list says how to make one.
func TestSchedulesPages(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/schedules").Expect(t, "You have no scheduled payouts. Create one with /schedule.")
	for i := range 7 {
		_, err := e.API.CreateTransferSchedule(context.Background(), token(e), copperx.ScheduleRequest{
			Email: fmt.Sprintf("p%d@example.com", i+1), Amount: decimal.NewFromInt(int64(i + 1)), RepeatType: copperx.RepeatMonthly,
			Schedule: copperx.ScheduleAt(e.H.Clock.Now().Add(time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
	}
	r := e.U.Send("/schedules").Expect(t, "(page 1 of 2)", "1. 🟢 p7@example.com · 7.00 USDC", "5. 🟢 p3@example.com")
	if r.Contains("p2@example.com") {
		t.Errorf("page 1 shows more than 5:\n%s", r.Text())
	}
	e.U.Tap("Next").Expect(t, "(page 2 of 2)", "1. 🟢 p2@example.com", "2. 🟢 p1@example.com")
	e.U.Tap("2").Expect(t, "To: <b>p1@example.com</b>", "every month from")
	e.U.Tap("Back").Expect(t, "(page 2 of 2)")
	e.U.Tap("Prev").Expect(t, "(page 1 of 2)")
	if strings.Contains(e.U.Last().Text, "page 2") {
		t.Error("Prev did not go back")
	}
}
