package payouts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// /schedule: recipient → amount → purpose → repeat → when → summary →
// Confirm (once) → POST /api/transfer-schedules. CopperX then makes the
// transfers itself when they fall due; /schedules lists them
// (schedules.go). The schedule string's format lives in one place,
// copperx.ScheduleAt.

// plan is the schedule flow's data.
type plan struct {
	Recipient line   `json:"recipient"`
	Purpose   string `json:"purpose,omitempty"`
	Repeat    string `json:"repeat,omitempty"`
	// When is the first payout, UTC.
	When time.Time `json:"when,omitzero"`
	// Network is the paying wallet's when the recipient was checked.
	Network string       `json:"network,omitempty"`
	Confirm confirmation `json:"confirm"`
}

// repeats are the API's repeat types, in the order offered.
var repeats = []string{copperx.RepeatDaily, copperx.RepeatWeekly, copperx.RepeatMonthly, copperx.RepeatOneTime}

func (p *Payouts) scheduleFlow() kernel.Flow[plan] {
	return kernel.Flow[plan]{Version: 1, Steps: []kernel.Step[plan]{
		{Name: "recipient", Ask: p.askRecipient, Text: p.takeRecipient},
		{Name: "amount", Ask: p.askAmount, Text: p.takeAmount},
		{Name: "purpose", Ask: p.askSchedulePurpose, Tap: kernel.Taps[plan]{"purpose": p.takeSchedulePurpose}},
		{Name: "repeat", Ask: p.askRepeat, Tap: kernel.Taps[plan]{"repeat": p.takeRepeat}},
		{Name: "when", Ask: p.askWhen, Text: p.takeWhen, Tap: kernel.Taps[plan]{"soon": p.takeSoon}},
		{Name: "confirm", Ask: p.scheduleSummary, Tap: kernel.Taps[plan]{"confirm": p.confirmSchedule}},
	}, Late: p.lateSchedule}
}

// startSchedule is /schedule.
func (p *Payouts) startSchedule(c *kernel.Ctx) error { return c.StartFlow("schedule", plan{}) }

func (p *Payouts) askRecipient(c *kernel.Ctx, d *plan) error {
	w, err := p.checker(c).paying()
	if err != nil {
		return err
	}
	d.Network = w.Network
	_, err = c.Prompt(c.T("payouts.schedule.ask_recipient", map[string]any{"network": p.networkName(w.Network)}),
		kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

// takeRecipient reads an email, an address or a payee's nickname, as a
// batch line's recipient is read.
func (p *Payouts) takeRecipient(c *kernel.Ctx, d *plan) (kernel.Move, error) {
	ck := p.checker(c)
	l, pr, err := ck.recipient(0, c.Text())
	if err != nil {
		return kernel.Stay, err
	}
	if pr != "" {
		_, err := c.Send(string(pr), nil)
		return kernel.Stay, err
	}
	if w, err := ck.paying(); err == nil {
		d.Network = w.Network
	}
	d.Recipient = l
	return kernel.Next("amount"), nil
}

func (p *Payouts) askAmount(c *kernel.Ctx, d *plan) error {
	_, err := c.Prompt(c.T("payouts.schedule.ask_amount", map[string]any{"to": d.Recipient.label(), "currency": p.cfg.Currency,
		"min": c.FormatAmount(p.cfg.minAmount), "max": c.FormatAmount(p.cfg.maxAmount), "example": c.FormatAmount(decimal.New(2550, -2))}),
		kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

func (p *Payouts) takeAmount(c *kernel.Ctx, d *plan) (kernel.Move, error) {
	amount, pr := p.checker(c).amount(0, c.Text())
	if pr != "" {
		_, err := c.Send(string(pr), nil)
		return kernel.Stay, err
	}
	d.Recipient.Amount = amount
	return kernel.Next("purpose"), nil
}

func (p *Payouts) askSchedulePurpose(c *kernel.Ctx, _ *plan) error {
	_, err := c.Prompt(c.T("payouts.purpose.ask_schedule", nil), p.purposeKeyboard(c))
	return err
}

func (p *Payouts) takeSchedulePurpose(c *kernel.Ctx, d *plan) (kernel.Move, error) {
	code, ok := purposeArg(c)
	if !ok {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	d.Purpose = code
	return kernel.Next("repeat"), nil
}

func (p *Payouts) askRepeat(c *kernel.Ctx, _ *plan) error {
	buttons := make([]kernel.Button, 0, len(repeats))
	for _, r := range repeats {
		buttons = append(buttons, c.Tap("payouts.repeat."+r, "repeat", r))
	}
	_, err := c.Prompt(c.T("payouts.schedule.ask_repeat", nil), kernel.NewKeyboard().Grid(2, buttons...).Row(c.CancelButton()))
	return err
}

func (p *Payouts) takeRepeat(c *kernel.Ctx, d *plan) (kernel.Move, error) {
	if len(c.Args()) != 1 {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	for _, r := range repeats {
		if c.Args()[0] == r {
			d.Repeat = r
			return kernel.Next("when"), nil
		}
	}
	return kernel.Stay, kernel.ErrStaleCallback
}

// soon are the quick choices of the when step: in an hour (to the
// minute), tomorrow at 09:00 UTC.
func soon(now time.Time, choice string) (time.Time, bool) {
	now = now.UTC()
	switch choice {
	case "hour":
		return now.Add(time.Hour).Truncate(time.Minute), true
	case "tomorrow":
		y, m, d := now.AddDate(0, 0, 1).Date()
		return time.Date(y, m, d, 9, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}

func (p *Payouts) askWhen(c *kernel.Ctx, d *plan) error {
	f := c.Format()
	now := c.Now().UTC()
	hour, _ := soon(now, "hour")
	tomorrow, _ := soon(now, "tomorrow")
	key := "payouts.schedule.ask_when"
	if d.Repeat == copperx.RepeatOneTime {
		key = "payouts.schedule.ask_when_once"
	}
	text := c.T(key, map[string]any{"pattern": f.Date + " " + f.Time, "example": f.FormatDate(tomorrow) + " " + f.FormatTime(tomorrow),
		"now": f.FormatDate(now) + " " + f.FormatTime(now)})
	kb := kernel.NewKeyboard().
		Row(c.TapText(c.T("payouts.button.in_hour", map[string]any{"time": f.FormatTime(hour)}), "soon", "hour"),
			c.TapText(c.T("payouts.button.tomorrow", map[string]any{"time": f.FormatTime(tomorrow)}), "soon", "tomorrow")).
		Row(c.CancelButton())
	_, err := c.Prompt(text, kb)
	return err
}

func (p *Payouts) takeWhen(c *kernel.Ctx, d *plan) (kernel.Move, error) {
	f := c.Format()
	t, err := parseWhen(c.Text(), f.Date)
	if err != nil {
		return kernel.Stay, kernel.Fail("payouts.schedule.bad_when", map[string]any{"pattern": f.Date + " " + f.Time})
	}
	return p.setWhen(c, d, t)
}

func (p *Payouts) takeSoon(c *kernel.Ctx, d *plan) (kernel.Move, error) {
	if len(c.Args()) != 1 {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	t, ok := soon(c.Now(), c.Args()[0])
	if !ok {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	return p.setWhen(c, d, t)
}

// minLead is how far ahead the first payout must be when it is chosen.
const minLead = 5 * time.Minute

// setWhen takes the first payout's time: in the future (by minLead), and
// within schedule_max_ahead.
func (p *Payouts) setWhen(c *kernel.Ctx, d *plan, t time.Time) (kernel.Move, error) {
	now := c.Now()
	if t.Before(now.Add(minLead)) {
		f := c.Format()
		return kernel.Stay, kernel.Fail("payouts.schedule.past", map[string]any{"now": f.FormatDate(now.UTC()) + " " + f.FormatTime(now.UTC())})
	}
	if t.After(now.Add(p.cfg.ScheduleMaxAhead)) {
		return kernel.Stay, kernel.Fail("payouts.schedule.too_far", map[string]any{"max": c.FormatDuration(p.cfg.ScheduleMaxAhead)})
	}
	d.When = t.UTC()
	return kernel.Next("confirm"), nil
}

// describe words a schedule: how often, from when (UTC).
func describe(c *kernel.Ctx, repeat string, when time.Time) string {
	f := c.Format()
	switch repeat {
	case copperx.RepeatDaily, copperx.RepeatWeekly, copperx.RepeatMonthly, copperx.RepeatOneTime:
	default:
		repeat = "unknown"
	}
	return c.T("payouts.repeat.desc."+repeat, map[string]any{"date": f.FormatDate(when.UTC()), "time": f.FormatTime(when.UTC())})
}

func (p *Payouts) scheduleSummary(c *kernel.Ctx, d *plan) error {
	d.Confirm = confirmation{ID: newID(), ShownAt: c.Now()}
	w, err := p.checker(c).paying()
	if err != nil {
		return err
	}
	text := c.T("payouts.schedule.summary", map[string]any{
		"to": d.Recipient.label(), "amount": c.FormatAmount(d.Recipient.Amount), "currency": p.cfg.Currency,
		"purpose": c.T("payouts.purpose."+d.Purpose, nil), "when": describe(c, d.Repeat, d.When),
		"paying": i18n.HTML(p.payingLine(c, w)), "valid": c.FormatDuration(p.cfg.ConfirmTTL),
	})
	kb := kernel.NewKeyboard().Row(c.Tap("payouts.button.confirm_schedule", "confirm", d.Confirm.ID), c.CancelButton())
	_, err = c.Prompt(text, kb)
	return err
}

// scheduleOutcome is what a /schedule Confirm did, kept under
// payouts:schedule:<confirmation id> for a repeated Confirm.
type scheduleOutcome struct {
	UserID     int64  `json:"user"`
	Account    string `json:"account"`
	State      string `json:"state"` // pending|sent|refused|unknown
	ScheduleID string `json:"schedule,omitempty"`
	Already    bool   `json:"already,omitempty"`
}

func (p *Payouts) saveScheduleOutcome(ctx context.Context, id string, o scheduleOutcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if err := p.st.Set(ctx, scheduleKey(id), b, p.cfg.ResultTTL); err != nil {
		return fmt.Errorf("payouts: save schedule outcome: %w", err)
	}
	return nil
}

// request is the schedule the plan stands for.
func (d *plan) request() copperx.ScheduleRequest {
	r := copperx.ScheduleRequest{Amount: d.Recipient.Amount, PurposeCode: d.Purpose, RepeatType: d.Repeat, Schedule: copperx.ScheduleAt(d.When)}
	switch d.Recipient.Kind {
	case kindPayee:
		r.PayeeID = d.Recipient.PayeeID
	case kindWallet:
		r.WalletAddress = d.Recipient.To
	default:
		r.Email = d.Recipient.To
	}
	return r
}

// sameSchedule reports whether s is the schedule the plan stands for.
func (d *plan) sameSchedule(s *copperx.TransferSchedule) bool {
	if !s.Amount.Equal(d.Recipient.Amount) || s.RepeatType != d.Repeat || s.Status != copperx.ScheduleActive {
		return false
	}
	if at, ok := copperx.ScheduleTime(s.Schedule); !ok || !at.Equal(d.When) {
		return false
	}
	switch d.Recipient.Kind {
	case kindPayee:
		return s.PayeeID == d.Recipient.PayeeID
	case kindWallet:
		return strings.EqualFold(s.WalletAddress, d.Recipient.To)
	}
	return strings.EqualFold(s.Email, d.Recipient.To)
}

// scheduleListed is how many of the newest schedules are read before and
// after a create.
const scheduleListed = 50

// newestSchedules lists the newest schedules.
func (p *Payouts) newestSchedules(ctx context.Context, tok copperx.Token) ([]copperx.TransferSchedule, error) {
	page, err := p.api.TransferSchedules(ctx, tok, copperx.ScheduleQuery{Page: 1, Limit: scheduleListed})
	if err != nil {
		return nil, apiErr("list schedules", err)
	}
	return page.Data, nil
}

// findSchedule is the schedule of list the plan stands for, created since
// since and not among before.
func (d *plan) findSchedule(list []copperx.TransferSchedule, since time.Time, before map[string]bool) *copperx.TransferSchedule {
	for i := range list {
		s := &list[i]
		if !before[s.ID] && !s.CreatedAt.Before(since) && d.sameSchedule(s) {
			return s
		}
	}
	return nil
}

// confirmSchedule creates the schedule exactly once: the summary is
// checked, its id claimed with SetNX, the newest schedules listed (one
// identical made since the summary is this one already: nothing is
// created), then POST /api/transfer-schedules; a lost answer or a 5xx is
// looked for among the schedules that are new since that listing.
func (p *Payouts) confirmSchedule(c *kernel.Ctx, d *plan) (kernel.Move, error) {
	if len(c.Args()) != 1 || c.Args()[0] != d.Confirm.ID {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	if m, stop, err := p.checkSummary(c, d.Confirm, []line{d.Recipient}, d.Network); stop || err != nil {
		return m, err
	}
	if d.When.Before(c.Now().Add(time.Minute)) {
		c.Answer(c.T("payouts.schedule.passed_short", nil), true)
		return kernel.Next("when"), nil
	}
	if ok, err := allowSubmit(c); !ok || err != nil {
		return kernel.Stay, err
	}
	id := d.Confirm.ID
	won, err := p.st.SetNX(c, confirmKey(id), []byte(scheduleKey(id)), p.cfg.ResultTTL)
	if err != nil {
		return kernel.Stay, apiErr("claim the confirmation", err)
	}
	if !won {
		return kernel.Done, p.replaySchedule(c, id)
	}
	o := scheduleOutcome{UserID: c.UserID, Account: account(c), State: statePending}
	if err := p.saveScheduleOutcome(c, id, o); err != nil {
		p.unclaim(c, id)
		return kernel.Stay, err
	}
	c.Answer(c.T("payouts.sending", nil), false)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c), p.cfg.SubmitTimeout)
	defer cancel()
	tok := token(c)
	var before map[string]bool
	list, lerr := p.newestSchedules(ctx, tok)
	if lerr != nil {
		c.Log.Warn("listing schedules before the create failed; reconciliation will be strict", "err", lerr)
	} else {
		before = map[string]bool{}
		for _, s := range list {
			before[s.ID] = true
		}
		if s := d.findSchedule(list, d.Confirm.ShownAt.Add(-clockAllowance), nil); s != nil {
			c.Log.Warn("an identical schedule was made since the summary was shown; not creating another", "schedule", s.ID)
			o.State, o.ScheduleID, o.Already = stateSent, s.ID, true
			return p.reportSchedule(c, d, id, o, s, nil)
		}
	}
	started := c.Now()
	s, err := p.api.CreateTransferSchedule(ctx, tok, d.request())
	if err == nil || uncertain(err) {
		c.Irreversible()
	}
	if err != nil && uncertain(err) {
		c.Log.Warn("schedule create answer lost or failed; reconciling", "err", err)
		since := started
		if before != nil {
			since = started.Add(-p.cfg.ReconcileSkew)
		}
		for attempt := range p.cfg.ReconcileAttempts {
			if attempt > 0 && sleep(ctx, p.cfg.ReconcileInterval) != nil {
				break
			}
			list, lerr := p.newestSchedules(ctx, tok)
			if lerr != nil {
				continue
			}
			if found := d.findSchedule(list, since, before); found != nil {
				s, err = found, nil
				break
			}
		}
		if err != nil {
			o.State = stateUnknown
			return p.reportSchedule(c, d, id, o, nil, err)
		}
	}
	if err != nil {
		o.State = stateRefused
		return p.reportSchedule(c, d, id, o, nil, err)
	}
	o.State, o.ScheduleID = stateSent, s.ID
	return p.reportSchedule(c, d, id, o, s, nil)
}

// reportSchedule records the outcome and turns the summary into it.
func (p *Payouts) reportSchedule(c *kernel.Ctx, d *plan, id string, o scheduleOutcome, s *copperx.TransferSchedule, err error) (kernel.Move, error) {
	ctx := context.WithoutCancel(c)
	if serr := p.saveScheduleOutcome(ctx, id, o); serr != nil {
		c.Log.Error("schedule outcome not recorded", "state", o.State, "err", serr)
	}
	data := map[string]any{"to": d.Recipient.label(), "amount": c.FormatAmount(d.Recipient.Amount), "currency": p.cfg.Currency,
		"when": describe(c, d.Repeat, d.When)}
	var text string
	kb := kernel.NewKeyboard()
	switch o.State {
	case stateSent:
		if !o.Already {
			p.metrics.schedules.Inc()
		}
		data["id"] = s.ID
		text = c.T("payouts.schedule.created", data)
		kb.Row(c.Button("payouts.button.schedules", "page", "1", "new"))
		c.Log.Info("transfer schedule created", "schedule", s.ID, "repeat", d.Repeat, "already", o.Already)
	case stateUnknown:
		text = c.T("payouts.schedule.unknown", data)
		kb.Row(c.Button("payouts.button.schedules", "page", "1", "new"))
	default:
		reason, detail := refusal(err)
		c.Log.Info("schedule refused", "reason", reason, "err", err)
		data["reason"] = i18n.HTML(p.reasonText(c, reason, detail))
		text = c.T("payouts.schedule.refused", data)
	}
	if _, serr := c.Show(text, kb); serr != nil {
		c.Log.Error("schedule outcome not shown", "state", o.State, "err", serr)
	}
	if errors.Is(err, copperx.ErrUnauthorized) {
		return kernel.Done, err
	}
	return kernel.Done, nil
}

// lateSchedule answers a tap on the schedule flow's buttons once it moved
// on: a second Confirm is told what the first did.
func (p *Payouts) lateSchedule(c *kernel.Ctx, tap string, args []string) error {
	if tap != "confirm" || len(args) != 1 {
		return kernel.ErrStaleCallback
	}
	return p.replaySchedule(c, args[0])
}

// replaySchedule answers a used /schedule Confirm with what it did.
func (p *Payouts) replaySchedule(c *kernel.Ctx, id string) error {
	raw, _, err := p.st.Get(c, scheduleKey(id), 0)
	if err != nil {
		return apiErr("read the schedule outcome", err)
	}
	if raw == nil {
		claimed, _, err := p.st.Get(c, confirmKey(id), 0)
		if err != nil {
			return apiErr("read the confirmation", err)
		}
		if claimed == nil {
			return kernel.ErrStaleCallback
		}
		c.Answer(c.T("payouts.replay_pending", nil), true)
		return nil
	}
	var o scheduleOutcome
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("payouts: decode schedule outcome: %w", err)
	}
	if o.UserID != c.UserID || o.Account == "" || o.Account != account(c) {
		return kernel.ErrStaleCallback
	}
	key := "payouts.schedule.replay_" + o.State
	switch o.State {
	case stateSent, stateRefused, stateUnknown:
	default:
		key = "payouts.replay_pending"
	}
	c.Answer(c.T(key, map[string]any{"id": o.ScheduleID}), true)
	return nil
}
