package transfer

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// exportCSV taps Export CSV on the newest message that has it and returns
// the document sent and its rows (header first), parsed with encoding/csv.
func (e *env) exportCSV(t *testing.T) (*fakebot.Message, [][]string) {
	t.Helper()
	r := e.U.Tap("Export CSV")
	for _, ev := range r {
		if ev.Kind == "document" {
			rows, err := csv.NewReader(bytes.NewReader(ev.Message.Document)).ReadAll()
			if err != nil {
				t.Fatalf("the statement is no CSV: %v\n%s", err, ev.Message.Document)
			}
			return ev.Message, rows
		}
	}
	t.Fatalf("no document sent: %s", r.Text())
	return nil, nil
}

// column is the index of a column of the statement, by its header.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, header)
	}
	return i
}

// The CSV statement holds every transfer, on every page of the API's
// listing, once, with exact amounts: its sums are the emulator's.
func TestExportMatchesTheEmulator(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("0.5"))}})
	e.world(t)
	e.Emu.AddTransfers(plugintest.Email, 230) // the API's pages hold 100: three pages
	e.U.Send("/history")
	doc, rows := e.exportCSV(t)
	if !strings.HasSuffix(doc.FileName, ".csv") || !strings.Contains(doc.Text, "Your statement</b>: 235 transfers.") {
		t.Fatalf("document %q, caption %q", doc.FileName, doc.Text)
	}
	if got := strings.Join(rows[0], ","); got != strings.Join(csvColumns, ",") {
		t.Fatalf("header %s", got)
	}
	if pages := e.Emu.CallsTo("GET", "/api/transfers"); len(pages) < 3 {
		t.Fatalf("%d listings: every page of the range should be read", len(pages))
	}
	want := e.Emu.Transfers(plugintest.Email)
	if len(rows)-1 != len(want) {
		t.Fatalf("%d rows, want %d (one per transfer)", len(rows)-1, len(want))
	}
	h := rows[0]
	id, amount, fee, dir, kind := column(t, h, "id"), column(t, h, "amount"), column(t, h, "fee"), column(t, h, "direction"), column(t, h, "kind")
	in, out, fees := decimal.Zero, decimal.Zero, decimal.Zero
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		if seen[row[id]] {
			t.Fatalf("transfer %s listed twice", row[id])
		}
		seen[row[id]] = true
		a, err := decimal.NewFromString(row[amount])
		if err != nil || strings.ContainsAny(row[amount], ",-") {
			t.Fatalf("amount %q: want a positive decimal with '.' and no grouping", row[amount])
		}
		f := decimal.RequireFromString(row[fee])
		switch row[dir] {
		case "in":
			in = in.Add(a)
		case "out":
			out = out.Add(a)
		default:
			t.Fatalf("direction %q", row[dir])
		}
		fees = fees.Add(f)
		if row[kind] == "withdraw" {
			t.Fatalf("kind %q: want the receipts' words", row[kind])
		}
	}
	wantIn, wantOut, wantFees := decimal.Zero, decimal.Zero, decimal.Zero
	for _, tr := range want {
		if !seen[tr.ID] {
			t.Fatalf("transfer %s missing", tr.ID)
		}
		a := decimal.RequireFromString(tr.Amount).Shift(-8)
		switch tr.Type {
		case "receive", "deposit":
			wantIn = wantIn.Add(a)
		default:
			wantOut = wantOut.Add(a)
		}
		wantFees = wantFees.Add(decimal.RequireFromString(tr.TotalFee).Shift(-8))
	}
	if !in.Equal(wantIn) || !out.Equal(wantOut) || !fees.Equal(wantFees) {
		t.Fatalf("sums in %s out %s fees %s; the emulator's in %s out %s fees %s", in, out, fees, wantIn, wantOut, wantFees)
	}
	// The wallet send and the bank withdrawal are told apart.
	var kinds []string
	for _, row := range rows[1:6] {
		kinds = append(kinds, row[kind]+" "+row[dir]+" "+row[amount])
	}
	if got := strings.Join(kinds, "|"); got != "received in 7.00|deposit in 23.00|withdrawn out 25.00|sent out 12.50|sent out 10.50" {
		t.Fatalf("newest rows: %s", got)
	}
}

// A statement's filter and period are the export's.
func TestExportFiltered(t *testing.T) {
	e := newEnv(t, setup{})
	e.world(t)
	e.U.Send("/history")
	e.U.Tap("Filter")
	e.U.Tap("Sent")
	doc, rows := e.exportCSV(t)
	if len(rows) != 3 || !strings.Contains(doc.Text, "2 transfers") || !strings.Contains(doc.Text, "Showing: Sent") {
		t.Fatalf("caption %q, rows %v", doc.Text, rows)
	}
	if doc.FileName != "transfers-until-2026-03-20.csv" {
		t.Fatalf("file %q", doc.FileName)
	}
	e.U.Tap("Last 7 days")
	doc, _ = e.exportCSV(t)
	if doc.FileName != "transfers-2026-03-14-2026-03-20.csv" {
		t.Fatalf("file %q", doc.FileName)
	}
	// Nothing to export: a notice, no file.
	e.U.Tap("Received")
	e.U.Tap("Not completed")
	r := e.U.Tap("Export CSV").Expect(t, "Nothing to export: no transfers match.")
	if k := strings.Join(r.Kinds(), " "); k != "answer" {
		t.Fatalf("an empty export: %s, want a notice only", k)
	}
}

// history_export_max bounds a statement, and its caption says so.
func TestExportBounded(t *testing.T) {
	e := newEnv(t, setup{env: []string{"COPPERX_BOT_PLUGINS__TRANSFER__HISTORY_EXPORT_MAX=7"}})
	e.Emu.AddTransfers(plugintest.Email, 12)
	e.U.Send("/history")
	doc, rows := e.exportCSV(t)
	if len(rows) != 8 || !strings.Contains(doc.Text, "It holds the newest 7 transfers only") {
		t.Fatalf("caption %q, %d rows", doc.Text, len(rows))
	}
}

// A cell a spreadsheet would run as a formula is defused with a quote;
// amounts stay plain numbers.
func TestExportFormulaInjection(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.SeedUser("mallory@example.com", copperxtest.SeedName("=HYPERLINK(\"http://x\")", ""))
	if _, err := e.API.Send(context.Background(), copperx.NewToken(e.Emu.IssueToken("mallory@example.com")),
		copperx.SendRequest{Email: plugintest.Email, Amount: decimalOf("5"), PurposeCode: "gift", Currency: "USDC"}); err != nil {
		t.Fatal(err)
	}
	for i, nick := range []string{"+cmd", "-2+3", "@SUM(A1)", "\tx"} {
		email := "payee" + strconv.Itoa(i) + "@example.com"
		if _, err := e.API.CreatePayee(context.Background(), copperx.NewToken(e.Token), copperx.CreatePayeeRequest{NickName: nick, Email: email}); err != nil {
			t.Fatal(err)
		}
	}
	e.U.Send("/send")
	e.U.Tap("Saved payee")
	e.U.Tap("SUM")
	e.U.Send("3")
	e.U.Tap("Gift")
	e.U.Tap("Confirm").Expect(t, "Sent 3.00 USDC")
	e.U.Send("/history")
	_, rows := e.exportCSV(t)
	party, amount := column(t, rows[0], "counterparty"), column(t, rows[0], "amount")
	var parties []string
	for _, row := range rows[1:] {
		parties = append(parties, row[party])
		if strings.HasPrefix(row[amount], "'") {
			t.Fatalf("amount %q should stay a number", row[amount])
		}
	}
	if got := strings.Join(parties, "|"); got != "'@SUM(A1)|'=HYPERLINK(\"http://x\")" {
		t.Fatalf("counterparties %q", got)
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@A1": "'@A1", "\tx": "'\tx", "\rx": "'\rx",
		"1.50": "1.50", "bob@example.com": "bob@example.com", "": "", "a=b": "a=b", "Zed": "Zed",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// history_export_max bounds what one statement reads: 1..10000.
func TestExportMaxConfig(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{{"1", true}, {"10000", true}, {"0", false}, {"10001", false}} {
		err := build(t, "plugins: {transfer: {enabled: true, history_export_max: "+tc.value+"}}")
		if tc.ok != (err == nil) || err != nil && !strings.Contains(err.Error(), "config: plugins.transfer.history_export_max: must be between 1 and 10000") {
			t.Errorf("history_export_max %s: %v", tc.value, err)
		}
	}
}

// Cancel at the typed dates turns the question into "Cancelled"; what is
// typed next is no date.
func TestDatesCancel(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.AddTransfers(plugintest.Email, 2)
	e.U.Send("/history")
	e.U.Tap("Filter")
	e.U.Tap("Type dates")
	prompt, _ := e.button(t, "Cancel")
	e.U.Tap("Cancel")
	if m := e.message(prompt.ID); !strings.HasPrefix(m.Text, "Cancelled.") || len(m.AllButtons()) != 0 {
		t.Fatalf("the date question should have become Cancelled: %q %v", m.Text, m.AllButtons())
	}
	e.U.Send("2026-03-20").Expect(t, "I didn't understand")
}
