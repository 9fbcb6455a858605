package notify

// What a deposit message says, and the one key each deposit is announced
// under.
//
// One key per deposit. A deposit may reach a replica twice — as the live
// Pusher event (on each of the organization's two holders) and in the
// catch-up's listing — and is announced under one dedupe key whichever
// way it came, so the claim and seen marks (delivery.go) catch the
// repeats:
//
//   - a listed transfer: the hash of its first transaction (hex
//     lower-cased, base58 as is), else its transfer id;
//   - a live event with a transaction hash (metadata.txHash,
//     transactionHash or txId): that hash, normalized the same way;
//   - a live event without one: the key of the transfer it matches among
//     the organization's newest deposits (GET /api/transfers?type=deposit,
//     page 1): the same amount (as is, or the event's scaled by 10^6 or
//     10^8), the same network and currency when the event names them,
//     created within matchWindow of the event's timestamp (or of now);
//     the oldest such transfer not announced yet;
//   - a live event without a hash that matches nothing (the listing
//     failed or lags behind the event): a hash of its payload. This is
//     the one case where the catch-up could announce the deposit again,
//     under the transfer's key.
//
// The listing also checks what the event says: when it lists the
// deposit, its amount, currency and network win over the event's (an
// amount in other units, say), and its transfer id gives the message a
// Details button. With no match the event is announced with its own
// values, as before.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// matchWindow: a listed deposit created this far from a hash-less event's
// time may be the one it announces.
const matchWindow = 10 * time.Minute

// deposit is what a message says about one deposit; every field but Key
// may be missing (the event's payload is not documented).
type deposit struct {
	Key        string          // dedupe key (see above)
	TxHash     string          // the transaction hash ("" unknown): the explorer link
	TransferID string          // the CopperX transfer ("" unknown): the Details button
	Amount     decimal.Decimal // zero when unknown
	Currency   string
	Network    string    // chain id
	At         time.Time // the event's timestamp or the transfer's creation (zero: unknown)
}

var (
	symbolPattern  = regexp.MustCompile(`^[A-Za-z0-9.]{1,12}$`)
	networkPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	hashPattern    = regexp.MustCompile(`^[A-Za-z0-9_:.-]{8,128}$`)
	// transferIDPattern: a transfer id a Details button can carry. The
	// button's data holds the action and the id within Telegram's 64
	// bytes: a 36-character uuid fits exactly; a longer id gets no button.
	transferIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,36}$`)
)

// parseDeposit reads a "deposit" event's payload: amount (string or
// number), currency, metadata.network or network, metadata.txHash,
// transactionHash or txId (at the top or in metadata), timestamp.
// Values that do not look right are dropped, not guessed; a payload that
// is not a JSON object is an error.
func parseDeposit(data []byte) (deposit, error) {
	var raw struct {
		Amount          json.RawMessage `json:"amount"`
		Currency        json.RawMessage `json:"currency"`
		Network         json.RawMessage `json:"network"`
		TxHash          json.RawMessage `json:"txHash"`
		TransactionHash json.RawMessage `json:"transactionHash"`
		TxID            json.RawMessage `json:"txId"`
		Timestamp       json.RawMessage `json:"timestamp"`
		Metadata        struct {
			Network         json.RawMessage `json:"network"`
			TxHash          json.RawMessage `json:"txHash"`
			TransactionHash json.RawMessage `json:"transactionHash"`
			TxID            json.RawMessage `json:"txId"`
		} `json:"metadata"`
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return deposit{}, errors.New("deposit payload is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		// metadata of another shape: read what we can without it
		var flat map[string]json.RawMessage
		if json.Unmarshal(trimmed, &flat) != nil {
			return deposit{}, fmt.Errorf("deposit payload: %w", err)
		}
		raw.Amount, raw.Currency, raw.Network = flat["amount"], flat["currency"], flat["network"]
		raw.TxHash, raw.TransactionHash, raw.TxID = flat["txHash"], flat["transactionHash"], flat["txId"]
		raw.Timestamp = flat["timestamp"]
	}
	var d deposit
	if s := scalar(raw.Amount); s != "" && len(s) <= 40 {
		if a, err := decimal.NewFromString(s); err == nil && a.IsPositive() {
			d.Amount = a
		}
	}
	if s := scalar(raw.Currency); symbolPattern.MatchString(s) {
		d.Currency = strings.ToUpper(s)
	}
	for _, n := range []json.RawMessage{raw.Metadata.Network, raw.Network} {
		if s := scalar(n); networkPattern.MatchString(s) {
			d.Network = s
			break
		}
	}
	for _, h := range []json.RawMessage{raw.Metadata.TxHash, raw.Metadata.TransactionHash, raw.Metadata.TxID, raw.TxHash, raw.TransactionHash, raw.TxID} {
		if s := normHash(scalar(h)); s != "" {
			d.TxHash = s
			break
		}
	}
	if at, err := time.Parse(time.RFC3339, scalar(raw.Timestamp)); err == nil {
		d.At = at
	}
	d.Key = d.TxHash
	if d.Key == "" {
		sum := sha256.Sum256(trimmed)
		d.Key = "p" + hex.EncodeToString(sum[:16])
	}
	return d, nil
}

// scalar is a JSON string or number as text ("" for anything else).
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// normHash is a transaction hash as a dedupe key: hex (0x…) in lower case,
// anything else (base58 is case-sensitive) as is; "" if it does not look
// like a hash.
func normHash(s string) string {
	if !hashPattern.MatchString(s) {
		return ""
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return strings.ToLower(s)
	}
	return s
}

// fromTransfer is the deposit a listed transfer describes; its key agrees
// with the live event's.
func fromTransfer(t copperx.Transfer) deposit {
	d := deposit{Key: t.ID, TransferID: t.ID, Amount: t.Amount.Decimal, Currency: strings.ToUpper(t.Currency), At: t.CreatedAt}
	if !d.Amount.IsPositive() {
		d.Amount = decimal.Zero
	}
	if !symbolPattern.MatchString(d.Currency) {
		d.Currency = ""
	}
	if t.DestinationAccount != nil && networkPattern.MatchString(t.DestinationAccount.Network) {
		d.Network = t.DestinationAccount.Network
	}
	if len(t.Transactions) > 0 {
		if h := normHash(t.Transactions[0].TransactionHash); h != "" {
			d.Key, d.TxHash = h, h
		}
	}
	return d
}

// hashes are the normalized transaction hashes of a transfer.
func hashes(t copperx.Transfer) []string {
	var out []string
	for _, tx := range t.Transactions {
		if h := normHash(tx.TransactionHash); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// announceable: a listed deposit that may be announced (not failed,
// canceled or refunded).
func announceable(t copperx.Transfer) bool {
	return t.Type == "deposit" && t.Status != "failed" && t.Status != "canceled" && t.Status != "refunded"
}

// candidates are the listed transfers a live event may announce, best
// first: the one with its hash, or, without a hash, those that agree on
// amount, network, currency and time, oldest first.
func candidates(d deposit, listed []copperx.Transfer, now time.Time) []copperx.Transfer {
	if d.TxHash != "" {
		for _, t := range listed {
			if slices.Contains(hashes(t), d.TxHash) {
				return []copperx.Transfer{t}
			}
		}
		return nil
	}
	if !d.Amount.IsPositive() {
		return nil // nothing to match on
	}
	at := d.At
	if at.IsZero() {
		at = now
	}
	var out []copperx.Transfer
	for _, t := range listed {
		said := fromTransfer(t)
		switch {
		case !announceable(t),
			d.Network != "" && said.Network != "" && d.Network != said.Network,
			d.Currency != "" && said.Currency != "" && d.Currency != said.Currency,
			!sameAmount(d.Amount, said.Amount),
			said.At.Sub(at).Abs() > matchWindow:
			continue
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(a, b copperx.Transfer) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// sameAmount: the event's amount is the listed one, or the listed one in
// token units (10^6) or CopperX's API units (10^8).
func sameAmount(event, listed decimal.Decimal) bool {
	if !listed.IsPositive() {
		return false
	}
	return event.Equal(listed) || event.Equal(listed.Shift(6)) || event.Equal(listed.Shift(8))
}

// completed is d with what the listing says about it: the listing's
// amount, currency and network win; the transfer id and hash fill in.
// The key stays d's.
func completed(d deposit, t copperx.Transfer) deposit {
	listed := fromTransfer(t)
	d.TransferID = listed.TransferID
	if listed.Amount.IsPositive() {
		d.Amount = listed.Amount
	}
	if listed.Currency != "" {
		d.Currency = listed.Currency
	}
	if listed.Network != "" {
		d.Network = listed.Network
	}
	if d.TxHash == "" {
		d.TxHash = listed.TxHash
	}
	if d.At.IsZero() {
		d.At = listed.At
	}
	return d
}

// recentDeposits is page 1 of the organization's deposits, newest first.
func (n *Notify) recentDeposits(ctx context.Context, token copperx.Token) ([]copperx.Transfer, error) {
	page, err := n.api.Transfers(ctx, token, copperx.TransferQuery{Page: 1, Limit: 10, Types: []string{"deposit"}})
	if err != nil {
		return nil, err
	}
	return page.Data, nil
}

// message is notify.deposit for one subscriber, in c's language: the
// amounts written the way that language writes them, a link to the
// transaction, and buttons to the balance and the transfer's details.
func (n *Notify) message(c *kernel.Ctx, r recipient, d deposit) (string, *kernel.Keyboard) {
	data := map[string]any{"amount": "", "currency": d.Currency, "network": "", "network_id": d.Network, "balance": ""}
	if d.Amount.IsPositive() {
		data["amount"] = c.FormatAmount(d.Amount)
	}
	var net copperx.Network
	if d.Network != "" {
		var known bool
		if net, known = n.nets.Lookup(d.Network); known {
			name := net.Name
			if net.Testnet {
				name += " 🧪"
			}
			data["network"] = name
		}
		if balance, ok := n.balance(c, r.token, d.Network, d.Currency); ok {
			data["balance"] = c.FormatAmount(balance.Amount) + " " + balance.Symbol
		}
	}
	text := c.T("notify.deposit", data)
	if u := net.TxURL(d.TxHash); u != "" {
		text += "\n" + c.T("notify.explorer", map[string]any{"url": u})
	}
	var row []kernel.Button
	if b, ok := c.ActionButton("notify.button.balance", "wallet.balance"); ok {
		row = append(row, b)
	}
	if transferIDPattern.MatchString(d.TransferID) {
		if b, ok := c.ActionButton("notify.button.details", "transfer.history", d.TransferID); ok {
			row = append(row, b)
		}
	}
	if len(row) == 0 {
		return text, nil
	}
	return text, kernel.NewKeyboard().Row(row...)
}

// balance is the balance of currency on network after the deposit (ok
// false when it cannot be told: then the message goes without it).
func (n *Notify) balance(ctx context.Context, token copperx.Token, network, currency string) (copperx.Balance, bool) {
	if token.IsZero() {
		return copperx.Balance{}, false
	}
	wallets, err := n.api.Balances(ctx, token)
	if err != nil {
		n.log.Warn("balances for a deposit message failed; sent without", "err", err)
		return copperx.Balance{}, false
	}
	for _, wallet := range wallets {
		if wallet.Network != network {
			continue
		}
		valid := slices.DeleteFunc(slices.Clone(wallet.Balances), func(b copperx.Balance) bool { return !b.Valid })
		for _, b := range valid {
			if currency != "" && strings.EqualFold(b.Symbol, currency) {
				return b, true
			}
		}
		if currency == "" && len(valid) == 1 {
			return valid[0], true
		}
	}
	return copperx.Balance{}, false
}
