package transfer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/plugins/internal/money"
)

// One-line sends: "/send 25 bob@example.com", "/send 10 0x…", "/send 5 bob"
// (a payee's nickname), "/send bob@example.com" (the payees plugin's Send),
// and the same typed without the command, starting with one of the
// language's verbs ("send 25 to bob@example.com", "pay bob 10", "paga 10 a
// bob"). The words come from the locale file (transfer.oneline.verbs and
// .to, "|"-separated), never from Go. Whatever is given is filled in and
// goes through exactly the checks of the step-by-step flow; what is
// missing or wrong is asked for at its step, saying why. Nothing is ever
// sent without Confirm.

// oneLine is what the words of a one-line send hold: the amount as typed
// ("25", "1,000.50", "$5", "25 USDC") and the recipient (an email, a
// wallet address, or a nickname, whose words are joined by one space).
// Either may be "".
type oneLine struct {
	Amount    string
	Recipient string
}

// parseSendWords reads the words after /send (or after a verb):
//
//	AMOUNT [TO] RECIPIENT    25 bob@example.com, 25 to bob, $5 USDC a bob
//	[TO] RECIPIENT AMOUNT    bob 10, to Bob Smith 10 USDC
//	AMOUNT | RECIPIENT       25, bob@example.com
//
// The amount is one word that looks like a number (digits and separators,
// a "$" before, the currency code after or as the next word); the number
// itself is read later, the user's way. to are the language's words for
// "to", dropped before a recipient of more than one word. An amount first
// wins over one last ("/send 10 20" sends 10 to the payee "20"). Every word
// ends up in exactly one part, or is a dropped "to".
func parseSendWords(words, to []string, currency string) oneLine {
	var line oneLine
	n := len(words)
	switch {
	case n == 0:
		return line
	case amountWord(words[0], currency):
		k := 1
		if k < n && strings.EqualFold(words[k], currency) {
			k++
		}
		line.Amount, words = strings.Join(words[:k], " "), words[k:]
	case n >= 2 && strings.EqualFold(words[n-1], currency) && amountWord(words[n-2], currency):
		line.Amount, words = strings.Join(words[n-2:], " "), words[:n-2]
	case amountWord(words[n-1], currency):
		line.Amount, words = words[n-1], words[:n-1]
	}
	if len(words) > 1 && slices.ContainsFunc(to, func(w string) bool { return strings.EqualFold(w, words[0]) }) {
		words = words[1:]
	}
	line.Recipient = strings.Join(words, " ")
	return line
}

// amountWord reports a word that looks like an amount: after an optional
// "$" and the currency code, only digits, "." "," "'", signs and an
// exponent's "e", with at least one digit, starting with a digit, a sign
// or a separator. "0x12…" (an address) and emails do not.
func amountWord(w, currency string) bool {
	w = strings.TrimPrefix(w, "$")
	if currency != "" && len(w) > len(currency) && strings.EqualFold(w[len(w)-len(currency):], currency) {
		w = w[:len(w)-len(currency)]
	}
	if w == "" || !strings.ContainsAny(w[:1], "0123456789.,-+") {
		return false
	}
	digit := false
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(".,'-+eE", r):
		default:
			return false
		}
	}
	return digit
}

// wordList is a "|"-separated list of words from the locale file.
func wordList(c *kernel.Ctx, key string) []string {
	var out []string
	for w := range strings.SplitSeq(c.T(key, nil), "|") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// looksEmail reports a recipient meant as an email address.
func looksEmail(s string) bool { return strings.Contains(s, "@") }

// looksAddress reports a recipient meant as a wallet address: "0x…", or one
// word of 32 to 44 base58 characters (Solana).
func looksAddress(s string) bool {
	if len(s) > 2 && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")) {
		return true
	}
	if len(s) < 32 || len(s) > 44 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", r) {
			return false
		}
	}
	return true
}

// oneLineText takes text typed outside a flow that starts with one of the
// language's verbs and holds an amount or an email or wallet address
// ("send 25 to bob@example.com", "pay bob 10"): it runs /send with the
// words after the verb, as if typed after the command (guards, limits and
// all). Other text is left to the next plugin, then the kernel's "I didn't
// understand".
func (t *Transfer) oneLineText(c *kernel.Ctx) (bool, error) {
	words := strings.Fields(c.Text())
	if len(words) < 2 || c.CommandFor("transfer.send") == "" ||
		!slices.ContainsFunc(wordList(c, "transfer.oneline.verbs"), func(v string) bool { return strings.EqualFold(v, words[0]) }) {
		return false, nil
	}
	line := parseSendWords(words[1:], wordList(c, "transfer.oneline.to"), t.cfg.Currency)
	if line.Amount == "" && !looksEmail(line.Recipient) && !looksAddress(line.Recipient) {
		return false, nil
	}
	return true, c.Invoke("transfer.send", words[1:])
}

// startSend starts /send: the step-by-step flow, or, with words after the
// command (typed, or a button's), a one-line send.
func (t *Transfer) startSend(c *kernel.Ctx) error {
	if len(c.Args()) == 0 {
		return c.StartFlow("send", movement{})
	}
	line := parseSendWords(c.Args(), wordList(c, "transfer.oneline.to"), t.cfg.Currency)
	mv := movement{Purpose: t.cfg.DefaultPurpose, PurposeDefault: t.cfg.DefaultPurpose != ""}
	var notes []string
	var amount *decimal.Decimal
	if line.Amount != "" {
		d, err := t.amountOf(c, line.Amount)
		var ue *kernel.UserError
		switch {
		case errors.As(err, &ue):
			notes = append(notes, c.T("transfer.oneline.bad_amount", map[string]any{"amount": line.Amount})+" "+c.T(ue.Key, ue.Data))
		case err != nil:
			return err
		default:
			amount = &d
		}
	}
	step, note, err := t.resolveRecipient(c, &mv, line.Recipient)
	if err != nil {
		return err
	}
	if note != "" {
		notes = append(notes, note)
	}
	if amount != nil {
		mv.Amount = *amount
	}
	if step == "" && amount != nil {
		return t.startChecked(c, mv, *amount, notes)
	}
	if step == "" {
		step = "amount"
	}
	mv.Note = lines(notes...)
	return c.StartFlow("send", mv, step)
}

// lines joins the parts that are not empty, one per line.
func lines(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), "\n")
}

// startChecked starts the send flow for a movement whose recipient and
// amount are known, after the amount step's checks (limits, the daily
// limit, the paying wallet's balance with the fee): at the step they lead
// to — the summary, the purpose, the amount typed again for a large one —
// or, refused, at the amount step saying why.
func (t *Transfer) startChecked(c *kernel.Ctx, mv movement, d decimal.Decimal, notes []string) error {
	step, err := t.sendAmountStep(c, &mv, d)
	var ue *kernel.UserError
	switch {
	case errors.As(err, &ue):
		notes, step = append(notes, c.T(ue.Key, ue.Data)), "amount"
	case err != nil:
		return err
	case step == "":
		step = "amount"
	}
	mv.Note = lines(append(notes, mv.Note)...)
	return c.StartFlow("send", mv, step)
}

// resolveRecipient fills mv's recipient from a one-line send's: an email
// or a wallet address (checked as the recipient step checks them), or a
// payee's nickname (GET /api/payees?searchText=…: one whose nickname is
// exactly it, ignoring case). It returns the step to start at when the
// recipient is not settled — "kind" with why (nothing given, a bad email
// or address, no such payee), "payee" with the payees it may mean — and ""
// when it is.
func (t *Transfer) resolveRecipient(c *kernel.Ctx, mv *movement, text string) (step, note string, err error) {
	switch {
	case text == "":
		return "kind", "", nil
	case looksEmail(text):
		email, ok := validEmail(text)
		if !ok {
			return "kind", c.T("transfer.oneline.bad_email", map[string]any{"email": text}), nil
		}
		if p := c.Principal(); p != nil && strings.EqualFold(p.Email, email) {
			return "kind", c.T("transfer.send.self", nil), nil
		}
		*mv = mv.restart(kindEmail)
		mv.To = email
		return "", "", nil
	case looksAddress(text):
		w, err := t.api.DefaultWallet(c, token(c))
		if err != nil {
			return "", "", fmt.Errorf("default wallet: %w", err)
		}
		n, _ := t.nets.Lookup(w.Network)
		switch err := money.ValidateAddress(n.Format, text); {
		case errors.Is(err, money.ErrAddressChecksum):
			return "kind", c.T("transfer.address.bad_checksum", nil), nil
		case err != nil:
			return "kind", c.T("transfer.address.bad", map[string]any{"network": n.Name, "format": formatHint(c, n.Format)}), nil
		}
		if money.ZeroAddress(n.Format, text) {
			return "kind", c.T("transfer.address.burn", nil), nil
		}
		mine, err := t.ownAddress(c, text)
		if err != nil {
			return "", "", err
		}
		if mine {
			return "kind", c.T("transfer.address.own", nil), nil
		}
		*mv = mv.restart(kindWallet)
		mv.Network, mv.To = w.Network, text
		return "", "", nil
	}
	return t.resolvePayee(c, mv, text)
}

// resolvePayee finds the payee a one-line send names: the one whose
// nickname is exactly text (ignoring case); several such, or none but
// payees whose nickname or email contain it, are offered as "did you
// mean…" buttons (the payee step); none at all starts at the kind step,
// saying so.
func (t *Transfer) resolvePayee(c *kernel.Ctx, mv *movement, text string) (step, note string, err error) {
	if !printable(text) {
		return "kind", c.T("transfer.oneline.no_payee", map[string]any{"name": text}), nil
	}
	page, err := t.api.Payees(c, token(c), 1, payeeSearchLimit, text)
	if err != nil {
		return "", "", fmt.Errorf("search payees: %w", err)
	}
	var exact []copperx.Payee
	for _, p := range page.Data {
		if strings.EqualFold(p.NickName, text) {
			exact = append(exact, p)
		}
	}
	if len(exact) == 1 {
		p := exact[0]
		email, ok := validEmail(p.Email)
		if !ok {
			c.Log.Info("payee email refused", "payee", p.ID)
			return "kind", c.T("transfer.send.bad_payee", nil), nil
		}
		*mv = mv.restart(kindPayee)
		mv.PayeeID, mv.PayeeName, mv.To = p.ID, p.NickName, email
		return "", "", nil
	}
	offered := exact
	if len(offered) == 0 {
		offered = page.Data[:min(len(page.Data), t.cfg.PayeesShown)]
	}
	if len(offered) == 0 {
		return "kind", c.T("transfer.oneline.no_payee", map[string]any{"name": text}), nil
	}
	*mv = mv.restart(kindPayee)
	for _, p := range offered {
		mv.Choices = append(mv.Choices, choice{ID: p.ID, Label: payeeLabel(p)})
	}
	return "payee", c.T("transfer.oneline.did_you_mean", map[string]any{"name": text}), nil
}

// payeeSearchLimit is how many payees a nickname search reads: an exact
// nickname is found among this many that contain it.
const payeeSearchLimit = 50

// printable reports text without control or formatting characters (a
// nickname as a person types it).
func printable(text string) bool {
	for _, r := range text {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}
