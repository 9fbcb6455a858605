package auth

import (
	"slices"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/locales"
)

// TestComputedKeysExist checks the locale keys chosen at run time (KYC
// states, roles, account types), which the repository's key scan cannot see.
func TestComputedKeysExist(t *testing.T) {
	cat, err := i18n.Load(locales.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"auth.kyc.state.unknown", "auth.kyc.next.approved"}
	for _, s := range kycStates {
		keys = append(keys, s.key)
		if s.next != "" {
			keys = append(keys, s.next)
		}
	}
	for _, m := range []map[string]string{roleKeys, typeKeys} {
		for _, k := range m {
			keys = append(keys, k)
		}
	}
	for _, lang := range []string{"en", "es"} {
		have := cat.Keys(lang)
		for _, k := range keys {
			if !slices.Contains(have, k) {
				t.Errorf("%s.yaml lacks %s", lang, k)
			}
		}
	}
	for _, st := range []string{"", "pending", "initiated", "inprogress", "review_pending", "review", "provider_manual_review",
		"manual_review", "provider_on_hold", "on_hold", "expired", "approved", "rejected"} {
		if _, ok := kycStates[st]; !ok {
			t.Errorf("KYC status %q has no wording", st)
		}
	}
}
