package payouts

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/plugins/internal/money"
)

// Checking what the user typed: recipients (an email, a wallet address on
// the paying network, or a payee's nickname, looked up with GET
// /api/payees?searchText) and amounts (the user's number format, the
// currency's decimals, min_amount..max_amount), for batch lines and for
// /schedule alike. A refusal is a problem worded for the user, never an
// error; errors are CopperX failing.

// Recipient kinds.
const (
	kindEmail  = "email"
	kindWallet = "wallet"
	kindPayee  = "payee"
)

// line is one payout of a batch, checked.
type line struct {
	// N is the line's number in the batch (1-based, in the order given).
	N    int    `json:"n"`
	Kind string `json:"kind"`
	// To is the email or the address paid; for a payee, their email.
	To      string `json:"to"`
	PayeeID string `json:"payeeId,omitempty"`
	// Nick is the payee's nickname as the user typed it.
	Nick   string          `json:"nick,omitempty"`
	Amount decimal.Decimal `json:"amount"`
	Note   string          `json:"note,omitempty"`
}

// key identifies the line's recipient within a batch (one line each).
func (l line) key() string { return strings.ToLower(l.To) }

// paying is the default wallet — the one CopperX pays from — as a check
// saw it.
type paying struct {
	Network string          `json:"network"`
	Balance decimal.Decimal `json:"balance"`
	// Known is false when the API's balance did not read as a number.
	Known bool `json:"known,omitempty"`
}

// checker checks lines for one update, asking CopperX at most once for
// each thing it needs.
type checker struct {
	p      *Payouts
	c      *kernel.Ctx
	tok    copperx.Token
	wallet *paying
	own    map[string]bool // the user's wallet addresses, lower-cased
	payees map[string][]copperx.Payee
}

func (p *Payouts) checker(c *kernel.Ctx) *checker {
	return &checker{p: p, c: c, tok: token(c), payees: map[string][]copperx.Payee{}}
}

// paying is the default wallet with its balance of the currency (GET
// /api/wallets/balances).
func (ck *checker) paying() (paying, error) {
	if ck.wallet != nil {
		return *ck.wallet, nil
	}
	all, err := ck.p.api.Balances(ck.c, ck.tok)
	if err != nil {
		return paying{}, apiErr("balances", err)
	}
	w := paying{}
	for _, wb := range all {
		if !wb.IsDefault {
			continue
		}
		w.Network = wb.Network
		for _, b := range wb.Balances {
			if strings.EqualFold(b.Symbol, ck.p.cfg.Currency) {
				w.Balance, w.Known = b.Amount, b.Valid
			}
		}
	}
	if w.Network == "" {
		return paying{}, errors.New("payouts: balances: no default wallet")
	}
	ck.wallet = &w
	return w, nil
}

// problem is what is wrong with a line, worded for the user.
type problem string

// say words a problem of line n (0: of a single recipient or amount, as
// /schedule asks for them).
func (ck *checker) say(n int, key string, data map[string]any) problem {
	what := i18n.HTML(ck.c.T("payouts.problem."+key, data))
	if n == 0 {
		return problem(ck.c.T("payouts.problem.alone", map[string]any{"problem": what}))
	}
	return problem(ck.c.T("payouts.line.problem", map[string]any{"n": n, "problem": what}))
}

// lines checks raw lines to add to a batch that has have: each becomes a
// line numbered after have, or a problem. A recipient already in the
// batch, or on an earlier line of raws, is a problem too: one line per
// recipient, so each result names one payout.
func (ck *checker) lines(raws []rawLine, have []line) ([]line, []problem, error) {
	inBatch := map[string]int{}
	for _, l := range have {
		inBatch[l.key()] = l.N
	}
	earlier := map[string]int{} // recipient → its line in raws
	var out []line
	var problems []problem
	for _, r := range raws {
		l, pr, err := ck.line(r)
		if err != nil {
			return nil, nil, err
		}
		if pr != "" {
			problems = append(problems, pr)
			continue
		}
		if n, dup := inBatch[l.key()]; dup {
			problems = append(problems, ck.say(r.N, "duplicate", map[string]any{"value": l.label(), "line": n}))
			continue
		}
		if n, dup := earlier[l.key()]; dup {
			problems = append(problems, ck.say(r.N, "duplicate_here", map[string]any{"value": l.label(), "line": n}))
			continue
		}
		earlier[l.key()] = r.N
		l.N = len(have) + len(out) + 1
		out = append(out, l)
	}
	return out, problems, nil
}

// line checks one raw line.
func (ck *checker) line(r rawLine) (line, problem, error) {
	if r.SplitAmount {
		return line{}, ck.say(r.N, "split_amount", map[string]any{"value": r.Amount + "," + r.Note}), nil
	}
	l, pr, err := ck.recipient(r.N, r.Recipient)
	if err != nil || pr != "" {
		return line{}, pr, err
	}
	if strings.TrimSpace(r.Amount) == "" {
		return line{}, ck.say(r.N, "missing_amount", nil), nil
	}
	amount, pr := ck.amount(r.N, r.Amount)
	if pr != "" {
		return line{}, pr, nil
	}
	l.Amount = amount
	note := strings.TrimSpace(r.Note)
	if n := utf8.RuneCountInString(note); n > ck.p.cfg.NoteMax {
		return line{}, ck.say(r.N, "note_too_long", map[string]any{"max": ck.p.cfg.NoteMax}), nil
	}
	if strings.ContainsFunc(note, unsafeRune) {
		return line{}, ck.say(r.N, "note_chars", nil), nil
	}
	l.Note = note
	return l, "", nil
}

// unsafeRune is a character a note must not hold: control, format
// (invisible: zero-width, bidi) and unassigned ones.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r) && r != ' '
}

// recipient reads a recipient: an email, a wallet address on the paying
// wallet's network, or a payee's nickname.
func (ck *checker) recipient(n int, value string) (line, problem, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return line{}, ck.say(n, "missing_recipient", nil), nil
	}
	if strings.Contains(v, "@") {
		email, err := copperx.CheckEmail(v)
		if err != nil {
			return line{}, ck.say(n, "bad_email", map[string]any{"value": shorten(v)}), nil
		}
		if self := ck.self(); self != "" && strings.EqualFold(email, self) {
			return line{}, ck.say(n, "self", nil), nil
		}
		return line{Kind: kindEmail, To: email}, "", nil
	}
	w, err := ck.paying()
	if err != nil {
		return line{}, "", err
	}
	net, _ := ck.p.nets.Lookup(w.Network)
	if ck.looksLikeAddress(net.Format, v) {
		return ck.address(n, v, w.Network, net)
	}
	return ck.payee(n, v, w.Network)
}

// self is the logged-in user's own email.
func (ck *checker) self() string {
	if pr := ck.c.Principal(); pr != nil {
		return pr.Email
	}
	return ""
}

// looksLikeAddress tells an address (right or wrong) from a nickname:
// "0x…" on any network, or a long base58 string on Solana.
func (ck *checker) looksLikeAddress(format, v string) bool {
	if strings.HasPrefix(strings.ToLower(v), "0x") && len(v) > 2 {
		return true
	}
	if format == copperx.FormatSolana && len(v) >= 32 && len(v) <= 44 {
		return !strings.ContainsFunc(v, func(r rune) bool { return !strings.ContainsRune(base58, r) })
	}
	return false
}

const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// address checks a wallet address for the paying network's format: not
// the zero address, not one of the user's own wallets.
func (ck *checker) address(n int, v, network string, net copperx.Network) (line, problem, error) {
	name := ck.p.networkName(network)
	switch err := money.ValidateAddress(net.Format, v); {
	case errors.Is(err, money.ErrAddressChecksum):
		return line{}, ck.say(n, "bad_checksum", map[string]any{"value": shorten(v)}), nil
	case err != nil:
		return line{}, ck.say(n, "bad_address", map[string]any{"value": shorten(v), "network": name,
			"format": ck.c.T("payouts.address.format."+formatKey(net.Format), nil)}), nil
	}
	if money.ZeroAddress(net.Format, v) {
		return line{}, ck.say(n, "burn", nil), nil
	}
	if ck.own == nil {
		ws, err := ck.p.api.Wallets(ck.c, ck.tok)
		if err != nil {
			return line{}, "", apiErr("wallets", err)
		}
		ck.own = map[string]bool{}
		for _, w := range ws {
			ck.own[strings.ToLower(w.WalletAddress)] = true
		}
	}
	if ck.own[strings.ToLower(v)] {
		return line{}, ck.say(n, "own", nil), nil
	}
	return line{Kind: kindWallet, To: v}, "", nil
}

// formatKey is the locale key part of an address format.
func formatKey(format string) string {
	switch format {
	case copperx.FormatEVM, copperx.FormatSolana, copperx.FormatStarknet:
		return format
	}
	return "unknown"
}

// payee looks a nickname up among the user's payees (GET
// /api/payees?searchText=<nickname>, matched exactly, ignoring case).
func (ck *checker) payee(n int, nick, network string) (line, problem, error) {
	k := strings.ToLower(nick)
	found, ok := ck.payees[k]
	if !ok {
		page, err := ck.p.api.Payees(ck.c, ck.tok, 1, 50, nick)
		if err != nil {
			return line{}, "", apiErr("payees", err)
		}
		for _, p := range page.Data {
			if strings.EqualFold(strings.TrimSpace(p.NickName), nick) {
				found = append(found, p)
			}
		}
		ck.payees[k] = found
	}
	switch len(found) {
	case 0:
		return line{}, ck.say(n, "unknown", map[string]any{"value": shorten(nick), "network": ck.p.networkName(network)}), nil
	case 1:
	default:
		return line{}, ck.say(n, "ambiguous_payee", map[string]any{"value": shorten(nick)}), nil
	}
	email, err := copperx.CheckEmail(found[0].Email)
	if err != nil {
		return line{}, ck.say(n, "unsafe_payee", map[string]any{"value": shorten(nick)}), nil
	}
	return line{Kind: kindPayee, To: email, PayeeID: found[0].ID, Nick: found[0].NickName}, "", nil
}

// amount reads an amount the user's way and checks it against
// min_amount..max_amount.
func (ck *checker) amount(n int, v string) (decimal.Decimal, problem) {
	cfg := ck.p.cfg
	d, err := money.ParseAmount(v, ck.c.Format(), cfg.Decimals, cfg.Currency, cfg.maxAmount)
	data := map[string]any{"value": shorten(strings.TrimSpace(v)), "currency": cfg.Currency, "decimals": cfg.Decimals,
		"min": ck.c.FormatAmount(cfg.minAmount), "max": ck.c.FormatAmount(cfg.maxAmount),
		"example": ck.c.FormatAmount(decimal.New(125050, -2))}
	var ae *money.AmountError
	switch {
	case errors.As(err, &ae) && ae.Reason == money.AmountTooLarge:
		return decimal.Zero, ck.say(n, "amount_above_max", data)
	case errors.As(err, &ae):
		return decimal.Zero, ck.say(n, "amount_"+ae.Reason, data)
	case err != nil:
		return decimal.Zero, ck.say(n, "amount_invalid", data)
	case d.LessThan(cfg.minAmount):
		return decimal.Zero, ck.say(n, "amount_below_min", data)
	case d.GreaterThan(cfg.maxAmount):
		return decimal.Zero, ck.say(n, "amount_above_max", data)
	}
	return d, ""
}

// shorten keeps a value quoted in a problem readable.
func shorten(s string) string {
	const keep = 48
	if utf8.RuneCountInString(s) <= keep {
		return s
	}
	return string([]rune(s)[:keep-1]) + "…"
}

// label is the line's recipient for people: the payee's nickname with
// their email, the email, or the address.
func (l line) label() string {
	if l.Kind == kindPayee && l.Nick != "" {
		return l.Nick + " (" + l.To + ")"
	}
	return l.To
}

// networkName is a chain id's name ("Polygon").
func (p *Payouts) networkName(network string) string {
	if n, ok := p.nets.Lookup(network); ok && n.Name != "" {
		return n.Name
	}
	return copperx.NetworkName(network)
}
