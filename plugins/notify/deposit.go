package notify

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

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// deposit is what a message says about one deposit; every field may be
// missing (the event's payload is not documented).
type deposit struct {
	ID       string          // dedupe id: the tx hash, else a hash of the payload or the transfer id
	Amount   decimal.Decimal // zero when unknown
	Currency string
	Network  string // chain id
}

var (
	symbolPattern  = regexp.MustCompile(`^[A-Za-z0-9.]{1,12}$`)
	networkPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	hashPattern    = regexp.MustCompile(`^[A-Za-z0-9_:.-]{8,128}$`)
)

// parseDeposit reads a "deposit" event's payload: amount (string or
// number, human-readable), currency, metadata.network or network,
// metadata.txHash, transactionHash or txId (at the top or in metadata).
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
			d.ID = s
			break
		}
	}
	if d.ID == "" {
		sum := sha256.Sum256(trimmed)
		d.ID = "p" + hex.EncodeToString(sum[:16])
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

// normHash is a transaction hash as a dedupe id: hex (0x…) in lower case,
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

// fromTransfer is the deposit a listed transfer describes; its id agrees
// with the live event's whenever the transaction hash is known.
func fromTransfer(t copperx.Transfer) deposit {
	d := deposit{ID: t.ID, Amount: t.Amount.Decimal, Currency: strings.ToUpper(t.Currency)}
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
			d.ID = h
		}
	}
	return d
}

// message is notify.deposit for one subscriber, in c's language: the
// amounts written the way that language writes them.
func (n *Notify) message(c *kernel.Ctx, s subscription, d deposit) string {
	data := map[string]any{"amount": "", "currency": d.Currency, "network": "", "network_id": d.Network, "balance": ""}
	if d.Amount.IsPositive() {
		data["amount"] = c.FormatAmount(d.Amount)
	}
	if d.Network != "" {
		if net, ok := n.nets.Lookup(d.Network); ok {
			name := net.Name
			if net.Testnet {
				name += " 🧪"
			}
			data["network"] = name
		}
		if balance, ok := n.balance(c, s.User, d.Network, d.Currency); ok {
			data["balance"] = c.FormatAmount(balance.Amount) + " " + balance.Symbol
		}
	}
	return c.T("notify.deposit", data)
}

// balance is the user's balance of currency on network after the deposit
// (ok false when it cannot be told: then the message goes without it).
func (n *Notify) balance(ctx context.Context, user int64, network, currency string) (copperx.Balance, bool) {
	token, ok := n.token(ctx, user)
	if !ok {
		return copperx.Balance{}, false
	}
	wallets, err := n.api.Balances(ctx, token)
	if err != nil {
		n.log.Warn("balances for a deposit message failed; sent without", "user", user, "err", err)
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

// announce sends one deposit to every subscriber of org who has
// notifications on, unless some replica (or an earlier catch-up) already
// did: the first to write notify:seen:<org>:<id> sends.
func (n *Notify) announce(ctx context.Context, org string, d deposit) error {
	won, err := n.store.SetNX(ctx, seenKey(org, d.ID), []byte("1"), seenTTL)
	if err != nil {
		return fmt.Errorf("dedupe deposit: %w", err)
	}
	if !won {
		n.log.Debug("deposit already announced", "org", org, "id", d.ID)
		return nil
	}
	list, err := n.subscriptions.ofOrg(ctx, org)
	if err != nil {
		return err
	}
	sent := 0
	for _, s := range list {
		if s.Off {
			continue
		}
		lang, err := n.sessions.Lang(ctx, s.User)
		if err != nil || lang == "" {
			lang = s.Lang
		}
		to := kernel.Recipient{ChatID: s.Chat, UserID: s.User, Lang: lang}
		_, err = n.notifier.Send(ctx, to, func(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
			return n.message(c, s, d), nil, nil
		})
		if err != nil {
			n.log.Warn("deposit message not delivered", "user", s.User, "chat", s.Chat, "err", err)
			continue
		}
		sent++
	}
	n.log.Info("deposit announced", "org", org, "id", d.ID, "network", d.Network, "recipients", sent)
	return nil
}
