package transfer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// Statements: what /history and its CSV export list. A transfer is told by
// its kind in the receipts' words — a wallet send is "Sent" like an email
// send, a bank withdrawal is a "Withdrawal" — and by its direction (+ in,
// − out). A statement is filtered by kind, status and period; the filter
// travels in the buttons' data as a short code (statementCode).

// Kinds of transfer, in the receipts' words; each is also a filter.
const (
	kindSent      = "sent"      // send, and withdraw to a wallet address
	kindReceived  = "received"  // receive
	kindWithdrawn = "withdrawn" // withdraw to a bank account (offramp)
	kindDeposit   = "deposit"   // deposit, bank_deposit
	kindBridge    = "bridge"
)

// Directions of a transfer for the user's balance.
const (
	dirIn       = "in"
	dirOut      = "out"
	dirInternal = "internal" // between the user's own wallets (bridge)
)

// bankWithdrawal reports a withdraw to a bank account (an offramp), as
// opposed to a send to a wallet address, which the API also types
// "withdraw".
func bankWithdrawal(tr copperx.Transfer) bool {
	if tr.Type != "withdraw" {
		return false
	}
	switch tr.Mode {
	case "off_ramp":
		return true
	case "on_chain":
		return false
	}
	d := tr.DestinationAccount
	return d == nil || d.WalletAddress == "" && d.Type != "web3_wallet"
}

// transferKind is a transfer's kind in the receipts' words.
func transferKind(tr copperx.Transfer) string {
	switch tr.Type {
	case "send":
		return kindSent
	case "withdraw":
		if bankWithdrawal(tr) {
			return kindWithdrawn
		}
		return kindSent
	case "receive":
		return kindReceived
	case "deposit", "bank_deposit":
		return kindDeposit
	case "bridge":
		return kindBridge
	}
	return tr.Type
}

// direction is whether a transfer added to the user's money or took from it.
func direction(tr copperx.Transfer) string {
	switch tr.Type {
	case "receive", "deposit", "bank_deposit":
		return dirIn
	case "bridge":
		return dirInternal
	}
	return dirOut
}

// sign marks a direction in a listing: + in, − out (a minus sign, not a
// hyphen), nothing for a move between one's own wallets.
func sign(dir string) string {
	switch dir {
	case dirIn:
		return "+"
	case dirOut:
		return "−"
	}
	return ""
}

// Status filters: each stands for the API statuses it lists.
var statusGroups = map[string][]string{
	"completed": {"success"},
	"pending":   {"pending", "initiated", "processing"},
	"failed":    {"failed", "canceled", "refunded"},
}

// Period filters.
const (
	periodAll    = ""
	periodWeek   = "7d"
	periodMonth  = "30d"
	periodThis   = "month"
	periodCustom = "custom"
)

// statement is a /history filter: kind, status and period ("" = all).
type statement struct {
	Kind   string
	Status string
	Period string
	// From and To are the days of a custom period (midnights, UTC), both
	// included.
	From, To time.Time
}

// Codes of the filter in button data: kind, status, "." and the period,
// e.g. "sc.7" (sent, completed, last 7 days) or "aa.20260301-20260315".
var (
	kindCodes   = map[string]string{"": "a", kindSent: "s", kindReceived: "r", kindWithdrawn: "w", kindDeposit: "d"}
	statusCodes = map[string]string{"": "a", "completed": "c", "pending": "p", "failed": "f"}
	periodCodes = map[string]string{periodAll: "a", periodWeek: "7", periodMonth: "30", periodThis: "m"}
)

// code is the statement as button data carries it.
func (s statement) code() string {
	period := periodCodes[s.Period]
	if s.Period == periodCustom {
		period = s.From.Format("20060102") + "-" + s.To.Format("20060102")
	}
	return kindCodes[s.Kind] + statusCodes[s.Status] + "." + period
}

// errStatementCode is button data no screen made.
var errStatementCode = errors.New("transfer: bad statement code")

// parseStatement reads a code made by statement.code.
func parseStatement(code string) (statement, error) {
	var s statement
	head, period, ok := strings.Cut(code, ".")
	if !ok || len(head) != 2 {
		return s, errStatementCode
	}
	if s.Kind, ok = keyOf(kindCodes, head[:1]); !ok {
		return s, errStatementCode
	}
	if s.Status, ok = keyOf(statusCodes, head[1:]); !ok {
		return s, errStatementCode
	}
	if s.Period, ok = keyOf(periodCodes, period); ok {
		return s, nil
	}
	from, to, ok := strings.Cut(period, "-")
	if !ok || len(from) != 8 || len(to) != 8 {
		return s, errStatementCode
	}
	var err1, err2 error
	s.From, err1 = time.Parse("20060102", from)
	s.To, err2 = time.Parse("20060102", to)
	if err1 != nil || err2 != nil || s.To.Before(s.From) {
		return s, errStatementCode
	}
	s.Period = periodCustom
	return s, nil
}

func keyOf(m map[string]string, code string) (string, bool) {
	for k, v := range m {
		if v == code {
			return k, true
		}
	}
	return "", false
}

// filtered reports whether the statement narrows the listing at all.
func (s statement) filtered() bool { return s.Kind != "" || s.Status != "" || s.Period != periodAll }

// bounds are the period's first and last instants (nil: open), in UTC;
// periods up to today end now.
func (s statement) bounds(now time.Time) (from, to *time.Time) {
	today := now.UTC().Truncate(24 * time.Hour)
	day := func(t time.Time) *time.Time { return &t }
	switch s.Period {
	case periodWeek:
		return day(today.AddDate(0, 0, -6)), nil
	case periodMonth:
		return day(today.AddDate(0, 0, -29)), nil
	case periodThis:
		return day(time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)), nil
	case periodCustom:
		return day(s.From), day(s.To.Add(24*time.Hour - time.Second))
	}
	return nil, nil
}

// query is the API's part of the filter: the transfer types, one status
// and the dates it can select by itself.
func (s statement) query(now time.Time) copperx.TransferQuery {
	var q copperx.TransferQuery
	switch s.Kind {
	case kindSent:
		q.Types = []string{"send", "withdraw"}
	case kindReceived:
		q.Types = []string{"receive"}
	case kindWithdrawn:
		q.Types = []string{"withdraw"}
	case kindDeposit:
		q.Types = []string{"deposit", "bank_deposit"}
	}
	if g := statusGroups[s.Status]; len(g) == 1 {
		q.Statuses = g
	}
	q.StartDate, q.EndDate = s.bounds(now)
	return q
}

// keep is the part of the filter the API cannot apply (a send to a wallet
// and a bank withdrawal are both "withdraw"; a status group is several
// statuses); nil when the API's listing is exactly the statement.
func (s statement) keep() func(copperx.Transfer) bool {
	group := statusGroups[s.Status]
	kind := s.Kind == kindSent || s.Kind == kindWithdrawn
	if !kind && len(group) <= 1 {
		return nil
	}
	return func(tr copperx.Transfer) bool {
		if kind && transferKind(tr) != s.Kind {
			return false
		}
		return len(group) <= 1 || slices.Contains(group, tr.Status)
	}
}

// scanLimit is the page size of a statement read page by page.
const scanLimit = 100

// scan reads the statement's transfers page by page (following the API's
// pagination), newest first, until a page brings the count to want (0:
// all), the listing ends, or maxRead transfers were read; complete reports
// that the listing ended. A transfer that moved to the next page while
// reading is listed once.
func (t *Transfer) scan(c *kernel.Ctx, s statement, want, maxRead int) (out []copperx.Transfer, complete bool, err error) {
	q := s.query(c.Now())
	keep := s.keep()
	seen := map[string]bool{}
	read := 0
	for page := 1; ; page++ {
		q.Page, q.Limit = page, scanLimit
		res, err := t.api.Transfers(c, token(c), q)
		if err != nil {
			return nil, false, fmt.Errorf("list transfers, page %d: %w", page, err)
		}
		fresh := 0
		for _, tr := range res.Data {
			if seen[tr.ID] {
				continue
			}
			seen[tr.ID] = true
			fresh++
			if read++; read > maxRead {
				return out, false, nil
			}
			if keep == nil || keep(tr) {
				out = append(out, tr)
			}
		}
		more := res.HasMore || res.Count > read || res.Count == 0 && len(res.Data) >= scanLimit
		switch {
		case !more || fresh == 0:
			return out, true, nil
		case want > 0 && len(out) >= want:
			return out, false, nil
		}
	}
}

// statementPage is one page of a statement.
type statementPage struct {
	items []copperx.Transfer
	pages int // 0 when not known (a filtered listing read only in part)
	more  bool
}

// page reads page n of the statement: straight from the API when it can
// filter by itself, else by reading the listing up to that page.
func (t *Transfer) page(c *kernel.Ctx, s statement, n int) (statementPage, error) {
	size := t.cfg.HistoryPageSize
	if s.keep() == nil {
		q := s.query(c.Now())
		q.Page, q.Limit = n, size
		res, err := t.api.Transfers(c, token(c), q)
		if err != nil {
			return statementPage{}, fmt.Errorf("list transfers: %w", err)
		}
		pages := max((res.Count+size-1)/size, n)
		return statementPage{items: res.Data, pages: pages, more: res.HasMore || n*size < res.Count}, nil
	}
	found, complete, err := t.scan(c, s, n*size+1, t.cfg.HistoryExportMax)
	if err != nil {
		return statementPage{}, err
	}
	p := statementPage{more: len(found) > n*size}
	if lo := (n - 1) * size; lo < len(found) {
		p.items = found[lo:min(n*size, len(found))]
	}
	if complete {
		p.pages = max((len(found)+size-1)/size, n)
	}
	return p, nil
}
