package transfer

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// setupHistory declares /history, its screens and the typed-dates flow. It
// only reads: a login is enough (KYC pending still shows it).
func (t *Transfer) setupHistory(r *kernel.Registrar) {
	read := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}
	// The empty history leads to a deposit or a send.
	r.Link("wallet.deposit", "transfer.send")
	r.Action("history", t.history, read...)
	r.Callback("page", t.historyPage, read...)    // page:<n>[:<statement>]
	r.Callback("detail", t.detail, read...)       // detail:<transfer id>:<page>
	r.Callback("filter", t.filterScreen, read...) // filter:<statement>
	r.Callback("export", t.export, read...)       // export:<statement>
	r.Callback("dates", t.askDatesFlow, read...)  // dates:<statement>
	r.Flow("statement", t.statementFlow(), read...)
}

// statementKey is the session value holding the statement the newest
// /history page showed, so a detail's Back returns to it.
const statementKey = "transfer.statement"

// history shows the first page of transfers in a new message (also when
// a button of another screen, such as the /start menu, ran it); with a
// transfer id ("/history <id>", or a deposit message's Details button) it
// shows that transfer.
func (t *Transfer) history(c *kernel.Ctx) error {
	if args := c.Args(); len(args) > 0 {
		if len(args) != 1 || !transferID.MatchString(args[0]) {
			_, err := c.Say("transfer.history.usage", nil, nil)
			return err
		}
		return t.showDetail(c, args[0], 0)
	}
	text, kb, err := t.renderPage(c, statement{}, 1)
	if err != nil {
		return err
	}
	_, err = c.Send(text, kb)
	return err
}

// transferID is what a transfer id may look like (a UUID, for CopperX).
var transferID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// historyPage shows a page of a statement, editing the message in place
// (callback "transfer:page:<n>[:<statement>]").
func (t *Transfer) historyPage(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) < 1 || len(args) > 2 {
		return kernel.ErrStaleCallback
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > 10000 {
		return kernel.ErrStaleCallback
	}
	var st statement
	if len(args) == 2 {
		if st, err = parseStatement(args[1]); err != nil {
			return kernel.ErrStaleCallback
		}
	}
	text, kb, err := t.renderPage(c, st, n)
	if err != nil {
		return err
	}
	_, err = c.Show(text, kb)
	return err
}

// renderPage renders page n of a statement: a line per transfer (date,
// kind, signed amount, counterparty, status), a number button per line
// for its details, Prev/Next, Filter and Export. An empty first page
// offers a way on: Deposit and Send, or the whole history.
func (t *Transfer) renderPage(c *kernel.Ctx, st statement, n int) (string, *kernel.Keyboard, error) {
	p, err := t.page(c, st, n)
	if err != nil {
		return "", nil, err
	}
	if err := c.Set(statementKey, st.code()); err != nil {
		return "", nil, err
	}
	t.noteSeen(c, p.items)
	code := st.code()
	if len(p.items) == 0 && n == 1 {
		return t.emptyPage(c, st)
	}
	lines := []string{}
	if p.pages > 0 {
		lines = append(lines, c.T("transfer.history.title", map[string]any{"page": n, "pages": p.pages}))
	} else {
		lines = append(lines, c.T("transfer.history.title_open", map[string]any{"page": n}))
	}
	if st.filtered() {
		lines = append(lines, c.T("transfer.history.showing", map[string]any{"filter": t.describe(c, st)}))
	}
	lines = append(lines, "")
	size := t.cfg.HistoryPageSize
	kb := kernel.NewKeyboard()
	var row []kernel.Button
	for i, tr := range p.items {
		num := (n-1)*size + i + 1
		lines = append(lines, t.historyLine(c, num, tr))
		if _, err := kernel.CallbackData("transfer", "detail", tr.ID, strconv.Itoa(n)); err == nil { // an id too long for a button gets none
			row = append(row, c.ButtonText(strconv.Itoa(num), "detail", tr.ID, strconv.Itoa(n)))
		}
		if len(row) == 5 {
			kb.Row(row...)
			row = nil
		}
	}
	kb.Row(row...)
	var nav []kernel.Button
	if n > 1 {
		nav = append(nav, c.Button("transfer.button.prev", "page", strconv.Itoa(n-1), code))
	}
	if p.more {
		nav = append(nav, c.Button("transfer.button.next", "page", strconv.Itoa(n+1), code))
	}
	kb.Row(nav...)
	kb.Row(c.Button("transfer.button.filter", "filter", code), c.Button("transfer.button.export", "export", code))
	lines = append(lines, "", c.T("transfer.history.hint", nil))
	return strings.Join(lines, "\n"), kb, nil
}

// emptyPage is a statement with nothing in it: a first step for a new
// user (Deposit, Send), or the filter to widen.
func (t *Transfer) emptyPage(c *kernel.Ctx, st statement) (string, *kernel.Keyboard, error) {
	kb := kernel.NewKeyboard()
	if st.filtered() {
		kb.Row(c.Button("transfer.button.filter", "filter", st.code()), c.Button("transfer.button.show_all", "page", "1", statement{}.code()))
		return c.T("transfer.history.empty_filtered", map[string]any{"filter": t.describe(c, st)}), kb, nil
	}
	var row []kernel.Button
	if b, ok := c.ActionButton("transfer.button.deposit", "wallet.deposit"); ok {
		row = append(row, b)
	}
	if b, ok := c.ActionButton("transfer.button.send", "transfer.send"); ok {
		row = append(row, b)
	}
	return c.T("transfer.history.empty", nil), kb.Row(row...), nil
}

// historyLine is one transfer: number, date, kind, signed amount,
// counterparty, status emoji.
func (t *Transfer) historyLine(c *kernel.Ctx, num int, tr copperx.Transfer) string {
	return c.T("transfer.history.line", map[string]any{
		"n": num, "date": c.Format().FormatDate(tr.CreatedAt.UTC()), "kind": kindLabel(c, tr),
		"sign": sign(direction(tr)), "amount": c.FormatAmount(tr.Amount.Abs()), "currency": tr.Currency,
		"party": shortParty(counterparty(tr)), "emoji": statusEmoji(tr.Status),
	})
}

// noteSeen tells outcome tracking the statuses a screen showed: a
// transfer seen in a final state needs no more following.
func (t *Transfer) noteSeen(ctx context.Context, trs []copperx.Transfer) {
	for _, tr := range trs {
		t.noteStatus(ctx, tr.ID, tr.Status)
	}
}

// counterparty names the other side of a transfer.
func counterparty(tr copperx.Transfer) string {
	acct := tr.DestinationAccount
	if direction(tr) == dirIn {
		acct = tr.SourceAccount
		if tr.SenderDisplayName != "" && tr.Type == "receive" {
			return tr.SenderDisplayName
		}
	}
	if acct == nil {
		return ""
	}
	switch {
	case acct.PayeeDisplayName != "":
		return acct.PayeeDisplayName
	case acct.PayeeEmail != "":
		return acct.PayeeEmail
	case acct.BankName != "":
		return acct.BankName + " " + last4(acct.BankAccountNumber)
	case acct.WalletAddress != "":
		return acct.WalletAddress
	}
	return ""
}

// detail shows one transfer in full, with Back to the page of the newest
// statement shown (callback "transfer:detail:<id>:<page>"; page 0 = no
// Back, a new message).
func (t *Transfer) detail(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) != 2 {
		return kernel.ErrStaleCallback
	}
	back, err := strconv.Atoi(args[1])
	if err != nil || back < 0 || back > 10000 {
		return kernel.ErrStaleCallback
	}
	return t.showDetail(c, args[0], back)
}

// showDetail shows transfer id: in place of the page with a Back button
// (back > 0), else in a new message.
func (t *Transfer) showDetail(c *kernel.Ctx, id string, back int) error {
	tr, err := t.api.Transfer(c, token(c), id)
	if errors.Is(err, copperx.ErrNotFound) {
		if c.IsCallback() && c.Command() == "" {
			return kernel.ErrStaleCallback
		}
		_, err := c.Say("transfer.history.not_found", map[string]any{"id": id}, nil)
		return err
	}
	if err != nil {
		return fmt.Errorf("transfer %s: %w", id, err)
	}
	t.noteSeen(c, []copperx.Transfer{*tr})
	text := t.detailText(c, tr)
	if back > 0 {
		code := statement{}.code()
		var saved string
		if c.Get(statementKey, &saved) {
			if _, err := parseStatement(saved); err == nil {
				code = saved
			}
		}
		kb := kernel.NewKeyboard().Row(c.Button("transfer.button.back", "page", strconv.Itoa(back), code))
		_, err = c.Show(text, kb)
		return err
	}
	_, err = c.Send(text, nil)
	return err
}

// detailText is a transfer in full: kind and status, id, date, signed
// amount, fee, purpose, both sides, network, transaction and explorer.
func (t *Transfer) detailText(c *kernel.Ctx, tr *copperx.Transfer) string {
	lines := []string{
		c.T("transfer.detail.title", map[string]any{"kind": kindLabel(c, *tr), "emoji": statusEmoji(tr.Status)}),
		"",
		c.T("transfer.detail.id", map[string]any{"id": tr.ID}),
		c.T("transfer.detail.status", map[string]any{"status": t.statusLabel(c, tr.Status)}),
		c.T("transfer.detail.date", map[string]any{"date": c.Format().FormatDate(tr.CreatedAt.UTC()) + " " + c.Format().FormatTime(tr.CreatedAt.UTC()) + " UTC"}),
		c.T("transfer.detail.amount", map[string]any{"sign": sign(direction(*tr)), "amount": c.FormatAmount(tr.Amount.Abs()), "currency": tr.Currency}),
	}
	if tr.TotalFee.IsPositive() {
		lines = append(lines, c.T("transfer.quote.fee", map[string]any{"fee": c.FormatAmount(tr.TotalFee.Decimal), "currency": tr.Currency}))
	}
	if tr.PurposeCode != "" {
		lines = append(lines, c.T("transfer.summary.purpose", map[string]any{"purpose": t.purposeLabel(c, tr.PurposeCode)}))
	}
	if s := accountLine(tr.SourceAccount); s != "" {
		lines = append(lines, c.T("transfer.detail.from", map[string]any{"from": s}))
	}
	if s := accountLine(tr.DestinationAccount); s != "" {
		lines = append(lines, c.T("transfer.detail.to", map[string]any{"to": s}))
	}
	if network := transferNetwork(*tr); network != "" {
		n, _ := t.nets.Lookup(network)
		lines = append(lines, c.T("transfer.summary.network", map[string]any{"network": n.Name}))
		if hash := txHash(*tr); hash != "" {
			lines = append(lines, c.T("transfer.detail.tx", map[string]any{"hash": hash}))
			if u := n.TxURL(hash); u != "" {
				lines = append(lines, c.T("transfer.detail.explorer", map[string]any{"url": u, "network": n.Name}))
			}
		}
	}
	return strings.Join(lines, "\n")
}

// transferNetwork is the chain id a transfer moved on ("" when it says
// none).
func transferNetwork(tr copperx.Transfer) string {
	for _, a := range []*copperx.TransferAccount{tr.DestinationAccount, tr.SourceAccount} {
		if a != nil && a.Network != "" {
			return a.Network
		}
	}
	return ""
}

// txHash is the first transaction hash of a transfer ("" when none).
func txHash(tr copperx.Transfer) string {
	for _, tx := range tr.Transactions {
		if tx.TransactionHash != "" {
			return tx.TransactionHash
		}
	}
	return ""
}

// purposeLabel is a purpose code in the user's language.
func (t *Transfer) purposeLabel(c *kernel.Ctx, code string) string {
	for _, p := range purposes {
		if p == code {
			return c.T("transfer.purpose."+code, nil)
		}
	}
	return code
}

// accountLine describes a transfer account in one line.
func accountLine(a *copperx.TransferAccount) string {
	if a == nil {
		return ""
	}
	var parts []string
	if a.PayeeDisplayName != "" {
		parts = append(parts, a.PayeeDisplayName)
	}
	if a.PayeeEmail != "" {
		parts = append(parts, a.PayeeEmail)
	}
	if a.BankName != "" {
		parts = append(parts, a.BankName+" "+last4(a.BankAccountNumber))
	}
	if a.WalletAddress != "" {
		parts = append(parts, a.WalletAddress)
	}
	return strings.Join(parts, " · ")
}
