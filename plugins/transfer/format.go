package transfer

import (
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// statusEmoji marks a transfer status.
func statusEmoji(status string) string {
	switch status {
	case "success":
		return "✅"
	case "pending", "initiated", "processing":
		return "⏳"
	case "failed":
		return "❌"
	case "canceled":
		return "🚫"
	case "refunded":
		return "↩️"
	}
	return "•"
}

// statusLabel is a transfer status in the user's language.
func (t *Transfer) statusLabel(c *kernel.Ctx, status string) string {
	switch status {
	case "pending", "initiated", "processing", "success", "canceled", "failed", "refunded":
		return c.T("transfer.status."+status, nil)
	}
	return status
}

// kindLabel is a transfer's kind in the user's language, in the receipts'
// words: a send to a wallet address is "Sent" (the API types it
// "withdraw"), a bank withdrawal a "Withdrawal".
func kindLabel(c *kernel.Ctx, tr copperx.Transfer) string {
	switch transferKind(tr) {
	case kindSent:
		return c.T("transfer.type.send", nil)
	case kindWithdrawn:
		return c.T("transfer.type.withdraw", nil)
	}
	switch tr.Type {
	case "receive", "deposit", "bridge", "bank_deposit":
		return c.T("transfer.type."+tr.Type, nil)
	}
	return tr.Type
}

// shortAddr shortens a long address or id: 0x1234…abcd.
func shortAddr(s string) string {
	if len(s) <= 14 {
		return s
	}
	return s[:6] + "…" + s[len(s)-4:]
}

// shortParty shortens a counterparty for a one-line listing: addresses to
// 0x1234…abcd, long emails to their start and domain, names to 24 runes.
func shortParty(s string) string {
	switch {
	case strings.Contains(s, "@"):
		local, domain, _ := strings.Cut(s, "@")
		if len(s) > 24 && len(local) > 4 {
			return local[:3] + "…@" + domain
		}
		return s
	case strings.ContainsAny(s, " •"):
		if r := []rune(s); len(r) > 24 {
			return string(r[:23]) + "…"
		}
		return s
	}
	return shortAddr(s)
}

// last4 masks an account number to its last four digits.
func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return "••" + s[len(s)-4:]
}

// recipientLabel names a movement's recipient for summaries and results.
func (t *Transfer) recipientLabel(mv *movement) string {
	switch mv.Kind {
	case kindPayee:
		if mv.To != "" {
			return mv.PayeeName + " (" + mv.To + ")"
		}
		return mv.PayeeName
	case kindBank:
		return mv.Account
	}
	return mv.To
}
