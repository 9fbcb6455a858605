package copperx_test

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// TestEmulatorRefusalReasons: each refusal the emulator produces the way
// CopperX does is classified by Reason, with a safe message and, for
// field complaints, the field.
func TestEmulatorRefusalReasons(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithDailyLimit(dec("1000")))
	ctx := t.Context()
	const ada, bob, pending = "ada@example.com", "bob@example.com", "pending@example.com"
	tok := e.token(ada)
	e.emu.SeedUser(bob)
	e.emu.SeedUser(pending, copperxtest.SeedKYC("pending"))
	pendingTok := copperx.NewToken(e.emu.IssueToken(pending))
	bobTok := copperx.NewToken(e.emu.IssueToken(bob))
	e.emu.SetBalance(ada, "137", "USDC", "50")
	ext := "0x" + strings.Repeat("ab", 20)

	tests := []struct {
		name   string
		call   func() error
		status int
		kind   error
		reason copperx.Reason
		field  string // a Details field that must be there ("" none required)
	}{
		{"insufficient balance", func() error {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{Email: bob, Amount: dec("60"), PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonInsufficientBalance, ""},
		{"kyc not approved", func() error {
			_, err := e.c.Send(ctx, pendingTok, copperx.SendRequest{Email: bob, Amount: dec("1"), PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonKYCRequired, ""},
		{"below the minimum", func() error {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{Email: bob, Amount: dec("0.5"), PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonLimit, "amount"},
		{"above the maximum", func() error {
			_, err := e.c.WalletWithdraw(ctx, tok, copperx.WithdrawRequest{WalletAddress: ext, Amount: dec("50000.01"), PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonLimit, "amount"},
		{"daily limit", func() error {
			if _, err := e.c.Send(ctx, bobTok, copperx.SendRequest{Email: ada, Amount: dec("999"), PurposeCode: "self"}); err != nil {
				return err
			}
			_, err := e.c.Send(ctx, bobTok, copperx.SendRequest{Email: ada, Amount: dec("2"), PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonLimit, ""},
		{"to yourself", func() error {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{Email: ada, Amount: dec("1"), PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonRecipient, ""},
		{"bad address", func() error {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{WalletAddress: "0x12", Amount: dec("1"), PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonRecipient, "walletAddress"},
		{"unknown payee", func() error {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{PayeeID: "4c0a3f49-0000-4000-8000-000000000000", Amount: dec("1"), PurposeCode: "self"})
			return err
		}, 404, copperx.ErrNotFound, copperx.ReasonRecipient, ""},
		{"schema violation", func() error {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{Email: bob, Amount: dec("1"), PurposeCode: "bribe"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonValidation, "purposeCode"},
		{"unsupported currency", func() error {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{Email: bob, Amount: dec("1"), PurposeCode: "self", Currency: "EUR"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonValidation, ""},
		{"quote signature", func() error {
			_, err := e.c.Offramp(ctx, tok, copperx.OfframpRequest{QuotePayload: `{"amount":"100000000"}`, QuoteSignature: "forged", PurposeCode: "self"})
			return err
		}, 422, copperx.ErrValidation, copperx.ReasonQuote, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			apiErr := wantAPIError(t, err, tt.kind, tt.status, "")
			if got := apiErr.Reason(); got != tt.reason {
				t.Errorf("Reason() = %q, want %q (message %q)", got, tt.reason, apiErr.Message)
			}
			if copperx.ReasonOf(err) != tt.reason {
				t.Errorf("ReasonOf = %q", copperx.ReasonOf(err))
			}
			if tt.field != "" {
				found := false
				for _, d := range apiErr.Details() {
					found = found || d.Field == tt.field
				}
				if !found {
					t.Errorf("Details() = %+v, want field %q", apiErr.Details(), tt.field)
				}
			}
			if strings.Contains(apiErr.Message, tok.Reveal()) {
				t.Error("token in the message")
			}
		})
	}
}
