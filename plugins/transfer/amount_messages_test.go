package transfer

import (
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/locales"
	"github.com/copperx-bot/payoutbot/plugins/internal/money"
)

// Every refusal of a typed amount has its message (the locale test checks
// the other languages have every English key).
func TestAmountReasonsHaveMessages(t *testing.T) {
	cat, err := i18n.Load(locales.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{money.AmountInvalid, money.AmountAmbiguous, money.AmountExponent, money.AmountNegative, money.AmountZero, money.AmountPrecision, money.AmountTooLarge} {
		if !cat.Has("transfer.amount." + reason) {
			t.Errorf("no message transfer.amount.%s", reason)
		}
	}
}
