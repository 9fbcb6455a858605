package transfer

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// The CSV statement: every transfer of the chosen statement (all its
// pages, up to history_export_max), one row each, exact amounts.

// csvColumns are the statement's columns, in order (README: "CSV
// statement").
var csvColumns = []string{
	"date", "id", "kind", "direction", "amount", "fee", "currency", "status",
	"counterparty", "network", "purpose", "transaction_hash", "type",
}

// export sends the statement as a CSV file (callback
// "transfer:export:<statement>").
func (t *Transfer) export(c *kernel.Ctx) error {
	st, ok := statementArg(c)
	if !ok || len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	rows, complete, err := t.scan(c, st, 0, t.cfg.HistoryExportMax)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		c.Answer(c.T("transfer.statement.nothing", nil), false)
		return nil
	}
	data, err := t.statementCSV(rows)
	if err != nil {
		return err
	}
	caption := c.Plural("transfer.statement.caption", len(rows), map[string]any{"count": len(rows)})
	if st.filtered() {
		caption += "\n" + c.T("transfer.history.showing", map[string]any{"filter": t.describe(c, st)})
	}
	if !complete {
		caption += "\n" + c.T("transfer.statement.truncated", map[string]any{"max": t.cfg.HistoryExportMax})
	}
	if _, err := c.SendDocument(statementFile(st, c.Now()), data, caption, nil); err != nil {
		return fmt.Errorf("send statement: %w", err)
	}
	c.Log.Info("statement exported", "rows", len(rows), "complete", complete)
	c.Answer(c.T("transfer.statement.sent", nil), false)
	return nil
}

// statementFile names a statement's file after its period
// ("transfers-2026-03-01-2026-03-15.csv"; open periods end today).
func statementFile(st statement, now time.Time) string {
	from, to := st.bounds(now)
	end := now.UTC()
	if to != nil {
		end = *to
	}
	if from == nil {
		return "transfers-until-" + end.Format(time.DateOnly) + ".csv"
	}
	return "transfers-" + from.Format(time.DateOnly) + "-" + end.Format(time.DateOnly) + ".csv"
}

// statementCSV writes the rows as CSV (RFC 4180, UTF-8, a header row).
// Amounts are positive exact decimals with "." and no grouping — the
// direction column says in or out —, and a cell that a spreadsheet would
// run as a formula starts with a single quote.
func (t *Transfer) statementCSV(rows []copperx.Transfer) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(csvColumns); err != nil {
		return nil, err
	}
	for _, tr := range rows {
		network := transferNetwork(tr)
		if network != "" {
			network = t.networkName(network)
		}
		record := []string{
			tr.CreatedAt.UTC().Format(time.RFC3339), tr.ID, transferKind(tr), direction(tr),
			csvAmount(tr.Amount.Abs()), csvAmount(tr.TotalFee.Abs()), tr.Currency, tr.Status,
			counterparty(tr), network, tr.PurposeCode, txHash(tr), tr.Type,
		}
		for i, cell := range record {
			record[i] = safeCell(cell)
		}
		if err := w.Write(record); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write statement: %w", err)
	}
	return buf.Bytes(), nil
}

// csvAmount writes an amount exactly, with "." and at least two decimals.
func csvAmount(d decimal.Decimal) string { return i18n.FormatDecimal(d, 2, "", ".") }

// safeCell defuses a cell a spreadsheet would take for a formula (starting
// with = + - @, a tab or a carriage return) with a leading single quote.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
