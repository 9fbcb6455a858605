package transfer

import (
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
)

// The statement's filter screen and the flow that takes typed dates.

// Choices of the filter screen, in button order ("" = all).
var (
	filterKinds    = []string{"", kindSent, kindReceived, kindWithdrawn, kindDeposit}
	filterStatuses = []string{"", "completed", "pending", "failed"}
	filterPeriods  = []string{periodAll, periodWeek, periodMonth, periodThis}
)

// statementArg is the statement a button carries as its first argument.
func statementArg(c *kernel.Ctx) (statement, bool) {
	if len(c.Args()) == 0 {
		return statement{}, false
	}
	st, err := parseStatement(c.Args()[0])
	return st, err == nil
}

// filterScreen shows the filter of a statement in place: a row of choices
// for the kind, the status and the period (✓ marks the chosen ones; a tap
// on one only says it is chosen), typed dates, and Show / Export CSV
// (callback "transfer:filter:<statement>[:=]").
func (t *Transfer) filterScreen(c *kernel.Ctx) error {
	st, ok := statementArg(c)
	if !ok || len(c.Args()) > 2 || len(c.Args()) == 2 && c.Args()[1] != "=" {
		return kernel.ErrStaleCallback
	}
	if len(c.Args()) == 2 {
		c.Answer(c.T("transfer.statement.chosen", nil), false)
		return nil
	}
	lines := []string{
		c.T("transfer.statement.title", nil),
		"",
		c.T("transfer.statement.kind", map[string]any{"kind": t.kindChoice(c, st.Kind)}),
		c.T("transfer.statement.status", map[string]any{"status": t.statusChoice(c, st.Status)}),
		c.T("transfer.statement.period", map[string]any{"period": t.periodChoice(c, st)}),
		"",
		c.T("transfer.statement.hint", nil),
	}
	option := func(label string, next statement) kernel.Button {
		if next.code() == st.code() {
			return c.ButtonText("✓ "+label, "filter", st.code(), "=")
		}
		return c.ButtonText(label, "filter", next.code())
	}
	var kinds, statuses, periods []kernel.Button
	for _, k := range filterKinds {
		next := st
		next.Kind = k
		kinds = append(kinds, option(t.kindChoice(c, k), next))
	}
	for _, s := range filterStatuses {
		next := st
		next.Status = s
		statuses = append(statuses, option(t.statusChoice(c, s), next))
	}
	for _, p := range filterPeriods {
		next := st
		next.Period, next.From, next.To = p, time.Time{}, time.Time{}
		periods = append(periods, option(t.periodChoice(c, next), next))
	}
	dates := c.T("transfer.button.dates", nil)
	if st.Period == periodCustom {
		dates = "✓ " + t.periodChoice(c, st)
	}
	kb := kernel.NewKeyboard().Grid(3, kinds...).Grid(2, statuses...).Grid(2, periods...).
		Row(c.ButtonText(dates, "dates", st.code())).
		Row(c.Button("transfer.button.show", "page", "1", st.code()), c.Button("transfer.button.export", "export", st.code()))
	_, err := c.Show(strings.Join(lines, "\n"), kb)
	return err
}

// kindChoice names a kind filter.
func (t *Transfer) kindChoice(c *kernel.Ctx, kind string) string {
	if kind == "" {
		kind = "all"
	}
	return c.T("transfer.statement.kinds."+kind, nil)
}

// statusChoice names a status filter.
func (t *Transfer) statusChoice(c *kernel.Ctx, status string) string {
	if status == "" {
		status = "all"
	}
	return c.T("transfer.statement.statuses."+status, nil)
}

// periodChoice names a period: a preset, or a custom range's dates the
// user's way.
func (t *Transfer) periodChoice(c *kernel.Ctx, st statement) string {
	switch st.Period {
	case periodAll:
		return c.T("transfer.statement.periods.all", nil)
	case periodCustom:
		f := c.Format()
		if st.From.Equal(st.To) {
			return f.FormatDate(st.From)
		}
		return c.T("transfer.statement.periods.custom", map[string]any{"from": f.FormatDate(st.From), "to": f.FormatDate(st.To)})
	}
	return c.T("transfer.statement.periods."+periodLabels[st.Period], nil)
}

// periodLabels are the preset periods' label keys.
var periodLabels = map[string]string{periodWeek: "last7", periodMonth: "last30", periodThis: "month"}

// describe names a statement's filter in one line ("Sent · Completed ·
// Last 7 days"), leaving out what is not filtered.
func (t *Transfer) describe(c *kernel.Ctx, st statement) string {
	var parts []string
	if st.Kind != "" {
		parts = append(parts, t.kindChoice(c, st.Kind))
	}
	if st.Status != "" {
		parts = append(parts, t.statusChoice(c, st.Status))
	}
	if st.Period != periodAll {
		parts = append(parts, t.periodChoice(c, st))
	}
	return strings.Join(parts, " · ")
}

// typedDates is the data of the flow that takes typed dates: the
// statement they go into.
type typedDates struct {
	Statement string `json:"statement"`
}

// statementFlow asks for the dates of a statement, typed the language's
// way.
func (t *Transfer) statementFlow() kernel.Flow[typedDates] {
	return kernel.Flow[typedDates]{Version: 1, Steps: []kernel.Step[typedDates]{
		{Name: "dates", Ask: t.askDates, Text: t.takeDates},
	}}
}

// askDatesFlow is the filter's "Type dates…" (callback
// "transfer:dates:<statement>").
func (t *Transfer) askDatesFlow(c *kernel.Ctx) error {
	st, ok := statementArg(c)
	if !ok || len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	return c.StartFlow("statement", typedDates{Statement: st.code()})
}

// askDates asks for the dates, in place of the filter screen.
func (t *Transfer) askDates(c *kernel.Ctx, _ *typedDates) error {
	_, err := c.Show(c.T("transfer.statement.ask_dates", t.dateExamples(c)), kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

// dateExamples are a range and a day as the user's language writes them.
func (t *Transfer) dateExamples(c *kernel.Ctx) map[string]any {
	f := c.Format()
	today := c.Now().UTC()
	return map[string]any{"example": f.FormatDate(today.AddDate(0, 0, -14)) + " " + f.FormatDate(today), "one": f.FormatDate(today)}
}

// takeDates reads one date or two, and shows the statement of those days.
func (t *Transfer) takeDates(c *kernel.Ctx, d *typedDates) (kernel.Move, error) {
	st, err := parseStatement(d.Statement)
	if err != nil {
		st = statement{}
	}
	from, to, err := ParseDateRange(c.Text(), c.Format().Date)
	if err != nil {
		return kernel.Stay, kernel.Fail("transfer.statement.bad_dates", t.dateExamples(c))
	}
	st.Period, st.From, st.To = periodCustom, from, to
	text, kb, err := t.renderPage(c, st, 1)
	if err != nil {
		return kernel.Stay, err
	}
	_, err = c.Send(text, kb)
	return kernel.Done, err
}
