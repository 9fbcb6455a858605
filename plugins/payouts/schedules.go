package payouts

import (
	"errors"
	"strconv"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// /schedules: the user's transfer schedules at CopperX, a page at a time
// (GET /api/transfer-schedules), newest first; a number opens one (GET
// /api/transfer-schedules/{id}), whose Deactivate asks first, then POST
// /api/transfer-schedules/{id}/deactivate. Every screen edits the one
// before in place. Buttons carry the schedule's id and the page to go back
// to; CopperX answers only the user's own schedules.

// listSchedules is /schedules: the first page, in a new message.
func (p *Payouts) listSchedules(c *kernel.Ctx) error { return p.showSchedules(c, 1, true) }

// schedulesPage is a page of the list ("page" callback), in place; "list"
// (📅 Your schedules under a new schedule) is page 1 in a new message, so
// the schedule's receipt stays.
func (p *Payouts) schedulesPage(c *kernel.Ctx) error {
	page, ok := pageArg(c, 0)
	if !ok {
		return kernel.ErrStaleCallback
	}
	return p.showSchedules(c, page, len(c.Args()) == 2 && c.Args()[1] == "new")
}

// pageArg reads a page number from the tap's i-th argument.
func pageArg(c *kernel.Ctx, i int) (int, bool) {
	if len(c.Args()) <= i {
		return 0, false
	}
	n, err := strconv.Atoi(c.Args()[i])
	return n, err == nil && n >= 1 && n <= 10000
}

// showSchedules shows page n of the schedules (the last page when n is
// past it), in place of the tapped message unless fresh.
func (p *Payouts) showSchedules(c *kernel.Ctx, n int, fresh bool) error {
	show := c.Show
	if fresh {
		show = c.Send
	}
	size := p.cfg.SchedulesPageSize
	res, err := p.api.TransferSchedules(c, token(c), copperx.ScheduleQuery{Page: n, Limit: size})
	if err != nil {
		return apiErr("list schedules", err)
	}
	pages := max(1, (res.Count+size-1)/size)
	if len(res.Data) == 0 && n > 1 {
		return p.showSchedules(c, pages, fresh)
	}
	if len(res.Data) == 0 {
		_, err := show(c.T("payouts.schedules.empty", nil), nil)
		return err
	}
	text := c.T("payouts.schedules.title", map[string]any{"page": n, "pages": pages}) + "\n"
	var numbers []kernel.Button
	for i, s := range res.Data {
		text += "\n" + c.T("payouts.schedules.line", map[string]any{"n": i + 1, "status": statusMark(s.Status),
			"to": scheduleRecipient(&s), "amount": c.FormatAmount(s.Amount.Decimal), "currency": p.scheduleCurrency(&s),
			"when": scheduleWhen(c, &s)})
		numbers = append(numbers, c.ButtonText(strconv.Itoa(i+1), "open", s.ID, strconv.Itoa(n)))
	}
	text += "\n\n" + c.T("payouts.schedules.hint", nil)
	kb := kernel.NewKeyboard().Grid(5, numbers...)
	var nav []kernel.Button
	if n > 1 {
		nav = append(nav, c.Button("payouts.button.prev", "page", strconv.Itoa(n-1)))
	}
	if res.HasMore || n < pages {
		nav = append(nav, c.Button("payouts.button.next", "page", strconv.Itoa(n+1)))
	}
	if len(nav) > 0 {
		kb.Row(nav...)
	}
	_, err = show(text, kb)
	return err
}

// statusMark is a schedule status's mark.
func statusMark(status string) string {
	if status == copperx.ScheduleActive {
		return "🟢"
	}
	return "⏸"
}

// scheduleRecipient names a schedule's recipient: the payee's nickname
// and email, the email, or the address.
func scheduleRecipient(s *copperx.TransferSchedule) string {
	switch {
	case s.Payee != nil && s.Payee.NickName != "":
		return s.Payee.NickName + " (" + s.Payee.Email + ")"
	case s.Email != "":
		return s.Email
	case s.WalletAddress != "":
		return s.WalletAddress
	}
	return s.PayeeID
}

// scheduleCurrency is the schedule's currency (the configured one when
// the API leaves it out).
func (p *Payouts) scheduleCurrency(s *copperx.TransferSchedule) string {
	if s.Currency != "" {
		return s.Currency
	}
	return p.cfg.Currency
}

// scheduleWhen words how often and from when a schedule pays, or shows its
// schedule string as CopperX sent it when it does not read as a time.
func scheduleWhen(c *kernel.Ctx, s *copperx.TransferSchedule) string {
	at, ok := copperx.ScheduleTime(s.Schedule)
	if !ok {
		return c.T("payouts.repeat.raw", map[string]any{"repeat": c.T("payouts.repeat."+repeatKey(s.RepeatType), nil), "schedule": s.Schedule})
	}
	return describe(c, s.RepeatType, at)
}

// repeatKey is the locale key part of a repeat type.
func repeatKey(r string) string {
	for _, known := range repeats {
		if r == known {
			return r
		}
	}
	return "unknown"
}

// scheduleArgs reads a schedule button's id and page.
func scheduleArgs(c *kernel.Ctx) (string, int, bool) {
	if len(c.Args()) != 2 || c.Args()[0] == "" {
		return "", 0, false
	}
	page, ok := pageArg(c, 1)
	return c.Args()[0], page, ok
}

// scheduleGone answers a tap on a schedule CopperX no longer has (deleted
// elsewhere) and shows the list again, at page.
func (p *Payouts) scheduleGone(c *kernel.Ctx, page int) error {
	c.Answer(c.T("payouts.schedules.gone", nil), true)
	return p.showSchedules(c, page, false)
}

// openSchedule shows one schedule in full, in place.
func (p *Payouts) openSchedule(c *kernel.Ctx) error {
	id, page, ok := scheduleArgs(c)
	if !ok {
		return kernel.ErrStaleCallback
	}
	s, err := p.api.TransferSchedule(c, token(c), id)
	if errors.Is(err, copperx.ErrNotFound) {
		return p.scheduleGone(c, page)
	}
	if err != nil {
		return apiErr("schedule", err)
	}
	return p.showCard(c, s, page, "")
}

// showCard shows a schedule with Deactivate (while active) and Back; note
// is a line above it ("Deactivated.").
func (p *Payouts) showCard(c *kernel.Ctx, s *copperx.TransferSchedule, page int, note string) error {
	purpose := s.PurposeCode
	if purpose == "" {
		purpose = "self"
	}
	text := c.T("payouts.schedules.card", map[string]any{"to": scheduleRecipient(s), "amount": c.FormatAmount(s.Amount.Decimal),
		"currency": p.scheduleCurrency(s), "purpose": c.T("payouts.purpose."+purposeKey(purpose), nil),
		"when": scheduleWhen(c, s), "status": c.T("payouts.schedules.status."+statusKey(s.Status), nil), "id": s.ID})
	if note != "" {
		text = note + "\n\n" + text
	}
	kb := kernel.NewKeyboard()
	back := c.Button("payouts.button.back", "page", strconv.Itoa(page))
	if s.Status == copperx.ScheduleActive {
		kb.Row(c.Button("payouts.button.deactivate", "stop", s.ID, strconv.Itoa(page)), back)
	} else {
		kb.Row(back)
	}
	_, err := c.Show(text, kb)
	return err
}

// purposeKey is the locale key part of a purpose code.
func purposeKey(code string) string {
	for _, known := range purposes {
		if code == known {
			return code
		}
	}
	return "unknown"
}

// statusKey is the locale key part of a schedule status.
func statusKey(status string) string {
	if status == copperx.ScheduleActive || status == copperx.ScheduleInactive {
		return status
	}
	return "unknown"
}

// askStop asks before deactivating, in place.
func (p *Payouts) askStop(c *kernel.Ctx) error {
	id, page, ok := scheduleArgs(c)
	if !ok {
		return kernel.ErrStaleCallback
	}
	s, err := p.api.TransferSchedule(c, token(c), id)
	if errors.Is(err, copperx.ErrNotFound) {
		return p.scheduleGone(c, page)
	}
	if err != nil {
		return apiErr("schedule", err)
	}
	if s.Status != copperx.ScheduleActive {
		return p.showCard(c, s, page, c.T("payouts.schedules.already_stopped", nil))
	}
	text := c.T("payouts.schedules.ask_stop", map[string]any{"to": scheduleRecipient(s), "amount": c.FormatAmount(s.Amount.Decimal),
		"currency": p.scheduleCurrency(s), "when": scheduleWhen(c, s)})
	kb := kernel.NewKeyboard().Row(c.Button("payouts.button.confirm_stop", "stopyes", s.ID, strconv.Itoa(page)),
		c.Button("payouts.button.back", "open", s.ID, strconv.Itoa(page)))
	_, err = c.Show(text, kb)
	return err
}

// stop deactivates a schedule (CopperX answers a second deactivation with
// the schedule as it is: tapping twice is harmless) and shows it.
func (p *Payouts) stop(c *kernel.Ctx) error {
	id, page, ok := scheduleArgs(c)
	if !ok {
		return kernel.ErrStaleCallback
	}
	if ok, err := allowSubmit(c); !ok || err != nil {
		return err
	}
	s, err := p.api.DeactivateTransferSchedule(c, token(c), id)
	if errors.Is(err, copperx.ErrNotFound) {
		return p.scheduleGone(c, page)
	}
	if err != nil {
		return apiErr("deactivate schedule", err)
	}
	c.Log.Info("transfer schedule deactivated", "schedule", s.ID)
	c.Answer(c.T("payouts.schedules.stopped_short", nil), false)
	return p.showCard(c, s, page, c.T("payouts.schedules.stopped", nil))
}
