package payouts

import (
	"errors"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// /batch: the lines (pasted, or a CSV file) → the purpose → the summary
// with Confirm (more lines sent at the summary are added to it) → one
// send-batch → the result per recipient, in place of the summary
// (submit.go, result.go).

// draft is the batch flow's data: the lines checked so far.
type draft struct {
	Lines   []line `json:"lines"`
	Purpose string `json:"purpose,omitempty"`
	// Wallet is the paying wallet as the last check saw it: addresses
	// were checked for its network.
	Wallet  paying       `json:"wallet"`
	Confirm confirmation `json:"confirm"`
}

// hasWallet reports a line paying a wallet address (checked for one
// network's format).
func hasWallet(lines []line) bool {
	for _, l := range lines {
		if l.Kind == kindWallet {
			return true
		}
	}
	return false
}

// total is the sum of the lines' amounts.
func total(lines []line) decimal.Decimal {
	sum := decimal.Zero
	for _, l := range lines {
		sum = sum.Add(l.Amount)
	}
	return sum
}

// purposes are the API's purpose codes, in the order offered.
var purposes = []string{"self", "salary", "gift", "income", "saving", "education_support", "family", "home_improvement", "reimbursement"}

func (p *Payouts) batchFlow() kernel.Flow[draft] {
	return kernel.Flow[draft]{Version: 1, Steps: []kernel.Step[draft]{
		{Name: "lines", Ask: p.askLines, Text: p.takeText, File: p.takeFile, Tap: kernel.Taps[draft]{"review": p.review}},
		{Name: "purpose", Ask: p.askPurpose, Tap: kernel.Taps[draft]{"purpose": p.takePurpose}},
		{Name: "confirm", Ask: p.summary, Tap: kernel.Taps[draft]{"confirm": p.confirmBatch, "more": p.more}},
	}, Late: p.lateConfirm}
}

// startBatch is /batch.
func (p *Payouts) startBatch(c *kernel.Ctx) error { return c.StartFlow("batch", draft{}) }

// askLines asks for the lines or a file; with lines already in the batch
// (Add lines at the summary), for more, with Review.
func (p *Payouts) askLines(c *kernel.Ctx, d *draft) error {
	if len(d.Lines) > 0 {
		text := c.Plural("payouts.batch.ask_more", len(d.Lines), map[string]any{"count": len(d.Lines),
			"total": c.FormatAmount(total(d.Lines)), "currency": p.cfg.Currency, "max": p.cfg.BatchMax})
		kb := kernel.NewKeyboard().Row(c.TapText(c.Plural("payouts.button.review", len(d.Lines), map[string]any{"n": len(d.Lines)}), "review")).
			Row(c.CancelButton())
		_, err := c.Prompt(text, kb)
		return err
	}
	w, err := p.checker(c).paying()
	if err != nil {
		return err
	}
	d.Wallet = w
	text := c.T("payouts.batch.ask", map[string]any{
		"network": p.networkName(w.Network), "max": p.cfg.BatchMax, "currency": p.cfg.Currency,
		"example1": c.FormatAmount(decimal.New(2550, -2)), "example2": c.FormatAmount(decimal.NewFromInt(10)),
	})
	_, err = c.Prompt(text, kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

// review goes from more lines back to the summary (or the purpose, not
// chosen yet).
func (p *Payouts) review(c *kernel.Ctx, d *draft) (kernel.Move, error) {
	if len(d.Lines) == 0 {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	if d.Purpose == "" {
		return kernel.Next("purpose"), nil
	}
	return kernel.Next("confirm"), nil
}

// more is "Add lines" at the summary: back to the lines, keeping them.
func (p *Payouts) more(c *kernel.Ctx, d *draft) (kernel.Move, error) {
	if len(d.Lines) >= p.cfg.BatchMax {
		c.Answer(c.T("payouts.batch.full", map[string]any{"max": p.cfg.BatchMax}), true)
		return kernel.Stay, nil
	}
	return kernel.Next("lines"), nil
}

// takeText reads pasted lines.
func (p *Payouts) takeText(c *kernel.Ctx, d *draft) (kernel.Move, error) {
	raws := readText(c.Text())
	if len(raws) == 0 {
		return kernel.Stay, kernel.Fail("payouts.batch.no_lines", nil)
	}
	return p.add(c, d, raws)
}

// csvTypes are the MIME types a CSV file arrives with (apps differ).
var csvTypes = []string{"text/csv", "text/plain", "text/comma-separated-values", "application/csv", "application/vnd.ms-excel", "text/tab-separated-values", ""}

// takeFile reads a CSV file.
func (p *Payouts) takeFile(c *kernel.Ctx, d *draft) (kernel.Move, error) {
	f := c.File()
	ext := strings.ToLower(path.Ext(f.Name))
	mime, _, _ := strings.Cut(strings.ToLower(f.MimeType), ";")
	known := false
	for _, t := range csvTypes {
		known = known || strings.TrimSpace(mime) == t
	}
	if ext != ".csv" && ext != ".txt" && ext != ".tsv" || !known {
		return kernel.Stay, kernel.Fail("payouts.file.not_csv", nil)
	}
	data, err := c.DownloadFile(f, int64(p.cfg.FileMaxBytes))
	if errors.Is(err, kernel.ErrFileTooLarge) {
		return kernel.Stay, kernel.Fail("payouts.file.too_large", map[string]any{"max": p.cfg.FileMaxBytes >> 10})
	}
	if err != nil {
		return kernel.Stay, err
	}
	room := p.cfg.BatchMax - len(d.Lines)
	file, err := readCSV(data, room)
	switch {
	case errors.Is(err, errNotText):
		return kernel.Stay, kernel.Fail("payouts.file.not_text", nil)
	case err != nil:
		return kernel.Stay, kernel.Fail("payouts.file.not_csv_content", nil)
	case file.More:
		return kernel.Stay, kernel.Fail("payouts.batch.too_many", map[string]any{"max": p.cfg.BatchMax})
	case len(file.Rows) == 0:
		return kernel.Stay, kernel.Fail("payouts.file.empty", nil)
	}
	m, err := p.add(c, d, file.Rows)
	if err != nil || m == kernel.Stay {
		return m, err
	}
	key := "payouts.file.read"
	if file.Header != nil {
		key = "payouts.file.read_header"
	}
	_, err = c.Say(key, map[string]any{"name": f.Name, "count": len(file.Rows), "header": strings.Join(file.Header, ", ")}, nil)
	return m, err
}

// maxProblems is how many problems one report lists.
const maxProblems = 20

// add checks raws and adds them to the batch, or reports what is wrong
// with them (then nothing from them is added).
func (p *Payouts) add(c *kernel.Ctx, d *draft, raws []rawLine) (kernel.Move, error) {
	if len(d.Lines)+len(raws) > p.cfg.BatchMax {
		return kernel.Stay, kernel.Fail("payouts.batch.too_many", map[string]any{"max": p.cfg.BatchMax})
	}
	ck := p.checker(c)
	lines, problems, err := ck.lines(raws, d.Lines)
	if err != nil {
		return kernel.Stay, err
	}
	if len(problems) > 0 {
		var b strings.Builder
		for i, pr := range problems {
			if i == maxProblems {
				b.WriteString(c.T("payouts.batch.more_problems", map[string]any{"n": len(problems) - maxProblems}) + "\n")
				break
			}
			b.WriteString(string(pr) + "\n")
		}
		key := "payouts.batch.problems"
		if len(d.Lines) > 0 {
			key = "payouts.batch.problems_more"
		}
		_, err := c.Say(key, map[string]any{"problems": i18n.HTML(strings.TrimSuffix(b.String(), "\n"))}, nil)
		return kernel.Stay, err
	}
	w, err := ck.paying()
	if err != nil {
		return kernel.Stay, err
	}
	all := append(append([]line(nil), d.Lines...), lines...)
	if d.Wallet.Network != "" && w.Network != d.Wallet.Network && hasWallet(all) {
		// The addresses already taken were checked for another network.
		c.Log.Info("default wallet changed while the batch was collected", "was", d.Wallet.Network, "now", w.Network)
		_, err := c.Say("payouts.wallet_changed", map[string]any{"now": p.networkName(w.Network), "was": p.networkName(d.Wallet.Network)}, nil)
		return kernel.Done, err
	}
	if sum := total(all); w.Known && sum.GreaterThan(w.Balance) {
		return kernel.Stay, kernel.Fail("payouts.batch.insufficient", map[string]any{"total": c.FormatAmount(sum),
			"balance": c.FormatAmount(w.Balance), "currency": p.cfg.Currency, "network": p.networkName(w.Network)})
	}
	d.Lines, d.Wallet = all, w
	if d.Purpose == "" {
		return kernel.Next("purpose"), nil
	}
	return kernel.Next("confirm"), nil
}

// askPurpose offers the purposes.
func (p *Payouts) askPurpose(c *kernel.Ctx, d *draft) error {
	text := c.Plural("payouts.purpose.ask_batch", len(d.Lines), map[string]any{"count": len(d.Lines),
		"total": c.FormatAmount(total(d.Lines)), "currency": p.cfg.Currency})
	_, err := c.Prompt(text, p.purposeKeyboard(c))
	return err
}

// purposeKeyboard is the purposes, two per row, and Cancel.
func (p *Payouts) purposeKeyboard(c *kernel.Ctx) *kernel.Keyboard {
	buttons := make([]kernel.Button, 0, len(purposes))
	for _, code := range purposes {
		buttons = append(buttons, c.Tap("payouts.purpose."+code, "purpose", code))
	}
	return kernel.NewKeyboard().Grid(2, buttons...).Row(c.CancelButton())
}

// purposeArg is the purpose code a tap carried (false: not one).
func purposeArg(c *kernel.Ctx) (string, bool) {
	if len(c.Args()) != 1 {
		return "", false
	}
	for _, code := range purposes {
		if c.Args()[0] == code {
			return code, true
		}
	}
	return "", false
}

func (p *Payouts) takePurpose(c *kernel.Ctx, d *draft) (kernel.Move, error) {
	code, ok := purposeArg(c)
	if !ok {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	d.Purpose = code
	return kernel.Next("confirm"), nil
}

// summary shows the batch with Confirm, and a new confirmation id.
func (p *Payouts) summary(c *kernel.Ctx, d *draft) error {
	w, err := p.checker(c).paying()
	if err != nil {
		return err
	}
	if w.Network == d.Wallet.Network {
		d.Wallet = w // the balance as it is now
	}
	d.Confirm = confirmation{ID: newID(), ShownAt: c.Now()}
	sum := total(d.Lines)
	head := c.T("payouts.batch.summary_title", nil)
	tail := c.T("payouts.batch.summary", map[string]any{
		"count": len(d.Lines), "total": c.FormatAmount(sum), "currency": p.cfg.Currency,
		"purpose": c.T("payouts.purpose."+d.Purpose, nil),
		"paying":  i18n.HTML(p.payingLine(c, d.Wallet)),
		"after":   p.after(c, d.Wallet, sum),
		"valid":   c.FormatDuration(p.cfg.ConfirmTTL), "max": p.cfg.BatchMax,
	})
	rows := make([]string, len(d.Lines))
	short := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		rows[i] = p.summaryLine(c, l, false)
		short[i] = p.summaryLine(c, l, true)
	}
	text := fit(c, head, rows, short, tail)
	kb := kernel.NewKeyboard().
		Row(c.TapText(c.Plural("payouts.button.confirm_batch", len(d.Lines), map[string]any{"n": len(d.Lines)}), "confirm", d.Confirm.ID)).
		Row(c.Tap("payouts.button.more", "more"), c.CancelButton())
	_, err = c.Prompt(text, kb)
	return err
}

// summaryLine is one line of the summary: its number, recipient, amount
// and note (short: the note cut, for a long batch).
func (p *Payouts) summaryLine(c *kernel.Ctx, l line, short bool) string {
	note := l.Note
	if short {
		note = shortenTo(note, 16)
	}
	return c.T("payouts.batch.line", map[string]any{"n": l.N, "to": l.label(), "amount": c.FormatAmount(l.Amount),
		"currency": p.cfg.Currency, "note": note})
}

// payingLine names the paying wallet and its balance.
func (p *Payouts) payingLine(c *kernel.Ctx, w paying) string {
	if !w.Known {
		return c.T("payouts.paying_unknown", map[string]any{"network": p.networkName(w.Network)})
	}
	return c.T("payouts.paying", map[string]any{"network": p.networkName(w.Network), "balance": c.FormatAmount(w.Balance), "currency": p.cfg.Currency})
}

// after is the balance after sum is paid ("" when the balance is not known).
func (p *Payouts) after(c *kernel.Ctx, w paying, sum decimal.Decimal) string {
	if !w.Known {
		return ""
	}
	return c.FormatAmount(w.Balance.Sub(sum))
}

// maxMessage is the most characters a message the plugin builds may have
// (Telegram takes 4096; markup counts here, not there).
const maxMessage = 3800

// fit joins head, rows and tail within maxMessage: the rows as they are,
// else their short forms, else as many short rows as fit and a line
// saying how many more there are.
func fit(c *kernel.Ctx, head string, rows, short []string, tail string) string {
	join := func(rs []string, more int) string {
		body := strings.Join(rs, "\n")
		if more > 0 {
			body += "\n" + c.Plural("payouts.more_lines", more, map[string]any{"n": more})
		}
		return head + "\n\n" + body + "\n\n" + tail
	}
	if s := join(rows, 0); utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	if s := join(short, 0); utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	budget := maxMessage - utf8.RuneCountInString(head+tail) - 80
	n := 0
	for used := 0; n < len(short); n++ {
		used += utf8.RuneCountInString(short[n]) + 1
		if used > budget {
			break
		}
	}
	return join(short[:n], len(short)-n)
}
