package transfer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// setupHistory declares /history and its screens. It only reads: a login
// is enough (KYC pending still shows it).
func (t *Transfer) setupHistory(r *kernel.Registrar) {
	read := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}
	r.Action("history", t.history, read...)
	r.Callback("page", t.historyPage, read...)
	r.Callback("detail", t.detail, read...)
}

// history shows the first page of transfers, in a new message (also when
// a button of another screen, such as the /start menu, ran it).
func (t *Transfer) history(c *kernel.Ctx) error { return t.showPage(c, 1, false) }

// historyPage shows another page, editing the message in place
// (callback "transfer:page:<n>").
func (t *Transfer) historyPage(c *kernel.Ctx) error {
	if len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	n, err := strconv.Atoi(c.Args()[0])
	if err != nil || n < 1 || n > 10000 {
		return kernel.ErrStaleCallback
	}
	return t.showPage(c, n, true)
}

// showPage renders page n: one line per transfer, a Details button per
// line, Prev/Next; inPlace edits the tapped page or detail.
func (t *Transfer) showPage(c *kernel.Ctx, n int, inPlace bool) error {
	reply := c.Send
	if inPlace {
		reply = c.Show
	}
	size := t.cfg.HistoryPageSize
	page, err := t.api.Transfers(c, token(c), copperx.TransferQuery{Page: n, Limit: size})
	if err != nil {
		return fmt.Errorf("list transfers: %w", err)
	}
	if len(page.Data) == 0 && n == 1 {
		_, err := reply(c.T("transfer.history.empty", nil), nil)
		return err
	}
	pages := (page.Count + size - 1) / size
	if pages < n {
		pages = n
	}
	lines := []string{c.T("transfer.history.title", map[string]any{"page": n, "pages": pages}), ""}
	kb := kernel.NewKeyboard()
	var row []kernel.Button
	for i, tr := range page.Data {
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
		nav = append(nav, c.Button("transfer.button.prev", "page", strconv.Itoa(n-1)))
	}
	if page.HasMore || n*size < page.Count {
		nav = append(nav, c.Button("transfer.button.next", "page", strconv.Itoa(n+1)))
	}
	kb.Row(nav...)
	lines = append(lines, "", c.T("transfer.history.hint", nil))
	_, err = reply(strings.Join(lines, "\n"), kb)
	return err
}

// historyLine is one transfer: number, date, kind, amount, counterparty,
// status emoji.
func (t *Transfer) historyLine(c *kernel.Ctx, num int, tr copperx.Transfer) string {
	return c.T("transfer.history.line", map[string]any{
		"n": num, "date": c.Format().FormatDate(tr.CreatedAt.UTC()), "kind": kindLabel(c, tr.Type),
		"amount": c.FormatAmount(tr.Amount.Decimal), "currency": tr.Currency,
		"party": shortParty(counterparty(tr)), "emoji": statusEmoji(tr.Status),
	})
}

// counterparty names the other side of a transfer.
func counterparty(tr copperx.Transfer) string {
	acct := tr.DestinationAccount
	if tr.Type == "receive" || tr.Type == "deposit" || tr.Type == "bank_deposit" {
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

// detail shows one transfer in full, with Back to its page
// (callback "transfer:detail:<id>:<page>"; page 0 = no Back).
func (t *Transfer) detail(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) != 2 {
		return kernel.ErrStaleCallback
	}
	back, err := strconv.Atoi(args[1])
	if err != nil || back < 0 {
		return kernel.ErrStaleCallback
	}
	tr, err := t.api.Transfer(c, token(c), args[0])
	if errors.Is(err, copperx.ErrNotFound) {
		return kernel.ErrStaleCallback
	}
	if err != nil {
		return fmt.Errorf("transfer %s: %w", args[0], err)
	}
	lines := []string{
		c.T("transfer.detail.title", map[string]any{"kind": kindLabel(c, tr.Type), "emoji": statusEmoji(tr.Status)}),
		"",
		c.T("transfer.detail.id", map[string]any{"id": tr.ID}),
		c.T("transfer.detail.status", map[string]any{"status": t.statusLabel(c, tr.Status)}),
		c.T("transfer.detail.date", map[string]any{"date": c.Format().FormatDate(tr.CreatedAt.UTC()) + " " + c.Format().FormatTime(tr.CreatedAt.UTC()) + " UTC"}),
		c.T("transfer.summary.amount", map[string]any{"amount": c.FormatAmount(tr.Amount.Decimal), "currency": tr.Currency}),
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
	network := ""
	for _, a := range []*copperx.TransferAccount{tr.DestinationAccount, tr.SourceAccount} {
		if a != nil && a.Network != "" {
			network = a.Network
			break
		}
	}
	if network != "" {
		n, _ := t.nets.Lookup(network)
		lines = append(lines, c.T("transfer.summary.network", map[string]any{"network": n.Name}))
		for _, tx := range tr.Transactions {
			if tx.TransactionHash == "" {
				continue
			}
			lines = append(lines, c.T("transfer.detail.tx", map[string]any{"hash": tx.TransactionHash}))
			if u := n.TxURL(tx.TransactionHash); u != "" {
				lines = append(lines, c.T("transfer.detail.explorer", map[string]any{"url": u, "network": n.Name}))
			}
			break
		}
	}
	var kb *kernel.Keyboard
	if back > 0 {
		kb = kernel.NewKeyboard().Row(c.Button("transfer.button.back", "page", strconv.Itoa(back)))
		_, err = c.Show(strings.Join(lines, "\n"), kb)
	} else {
		_, err = c.Send(strings.Join(lines, "\n"), nil)
	}
	return err
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
