package copperx_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// TestEmulatorSchedules drives the schedule methods against the emulator
// (every request and answer checked against the OpenAPI document): create,
// list, get, the transfers created when due, and deactivate.
func TestEmulatorSchedules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithTokenTTL(90*24*time.Hour))
	ctx := t.Context()
	const ada, bob = "ada@example.com", "bob@example.com"
	tok := e.token(ada)
	e.emu.SeedUser(bob)
	payee, err := e.c.CreatePayee(ctx, tok, copperx.CreatePayeeRequest{NickName: "Bob", Email: bob})
	if err != nil {
		t.Fatal(err)
	}

	weekly, err := e.c.CreateTransferSchedule(ctx, tok, copperx.ScheduleRequest{
		PayeeID: payee.ID, Amount: dec("12.5"), PurposeCode: "family", RepeatType: copperx.RepeatWeekly,
		Schedule: copperx.ScheduleAt(emuStart.Add(time.Hour)),
	})
	if err != nil {
		t.Fatalf("CreateTransferSchedule: %v", err)
	}
	if body := lastBody(t, e.emu, http.MethodPost, "/api/transfer-schedules"); body["amount"] != "1250000000" || body["payeeId"] != payee.ID ||
		body["schedule"] != "2025-04-20T11:00:00Z" || body["repeatType"] != "weekly" || body["email"] != nil {
		t.Errorf("body = %v", body)
	}
	if weekly.ID == "" || weekly.Status != copperx.ScheduleActive || !weekly.Amount.Equal(dec("12.5")) || weekly.Payee == nil ||
		weekly.Payee.NickName != "Bob" || weekly.CreatedAt.IsZero() || weekly.Type != "on_chain" {
		t.Errorf("schedule = %+v", weekly)
	}
	once, err := e.c.CreateTransferSchedule(ctx, tok, copperx.ScheduleRequest{
		Email: bob, Amount: dec("1"), RepeatType: copperx.RepeatOneTime, Schedule: "2025-04-22",
	})
	if err != nil {
		t.Fatalf("CreateTransferSchedule: %v", err)
	}

	_, err = e.c.CreateTransferSchedule(ctx, tok, copperx.ScheduleRequest{Email: ada, Amount: dec("1"), RepeatType: copperx.RepeatDaily, Schedule: "2025-04-22"})
	if apiErr := wantAPIError(t, err, copperx.ErrValidation, 422, "You cannot send funds to yourself"); apiErr.Reason() != copperx.ReasonRecipient {
		t.Errorf("reason %q", apiErr.Reason())
	}
	_, err = e.c.CreateTransferSchedule(ctx, tok, copperx.ScheduleRequest{Email: bob, Amount: dec("1"), RepeatType: copperx.RepeatDaily, Schedule: "every day"})
	wantAPIError(t, err, copperx.ErrValidation, 422, "schedule must be a valid ISO 8601 date string")

	page, err := e.c.TransferSchedules(ctx, tok, copperx.ScheduleQuery{Page: 1, Limit: 10})
	if err != nil || page.Count != 2 || page.Data[0].ID != once.ID || page.Data[1].ID != weekly.ID {
		t.Fatalf("TransferSchedules = %+v, %v", page, err)
	}

	// Two weeks later: the weekly send ran twice, the one-time send once.
	if n := e.emu.Advance(14 * 24 * time.Hour); n != 3 {
		t.Errorf("Advance created %d transfers, want 3", n)
	}
	sends, err := e.c.Transfers(ctx, tok, copperx.TransferQuery{Types: []string{"send"}})
	if err != nil {
		t.Fatal(err)
	}
	var amounts []string
	for _, tr := range sends.Data {
		amounts = append(amounts, tr.Amount.String()+"@"+tr.CreatedAt.Format(time.DateOnly))
	}
	if got := strings.Join(amounts, " "); got != "12.5@2025-04-27 1@2025-04-22 12.5@2025-04-20" {
		t.Errorf("sends = %s", got)
	}
	got, err := e.c.TransferSchedule(ctx, tok, once.ID)
	if err != nil || got.Status != copperx.ScheduleInactive {
		t.Errorf("one-time schedule after its run = %+v, %v", got, err)
	}

	off, err := e.c.DeactivateTransferSchedule(ctx, tok, weekly.ID)
	if err != nil || off.Status != copperx.ScheduleInactive {
		t.Fatalf("DeactivateTransferSchedule = %+v, %v", off, err)
	}
	if n := e.emu.Advance(30 * 24 * time.Hour); n != 0 {
		t.Errorf("a deactivated schedule ran %d times", n)
	}
	active, err := e.c.TransferSchedules(ctx, tok, copperx.ScheduleQuery{Status: copperx.ScheduleActive})
	if err != nil || active.Count != 0 {
		t.Errorf("active = %+v, %v", active, err)
	}
	byPayee, err := e.c.TransferSchedules(ctx, tok, copperx.ScheduleQuery{PayeeID: payee.ID})
	if err != nil || byPayee.Count != 1 || byPayee.Data[0].ID != weekly.ID {
		t.Errorf("by payee = %+v, %v", byPayee, err)
	}
	_, err = e.c.TransferSchedule(ctx, copperx.NewToken(e.emu.IssueToken(bob)), weekly.ID)
	if !errors.Is(err, copperx.ErrNotFound) {
		t.Errorf("another user's schedule: %v", err)
	}
}
