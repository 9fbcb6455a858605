package console

import "testing"

// TestStartPayload: a deep link to the bot is opened as /start with its
// payload; anything else stays a link.
func TestStartPayload(t *testing.T) {
	tests := []struct {
		link, want string
		ok         bool
	}{
		{"https://t.me/copperx_test_bot?start=pay_Ab-9", "pay_Ab-9", true},
		{"https://T.ME/Copperx_Test_Bot/?start=send", "send", true},
		{"https://t.me/other_bot?start=pay_x", "", false},
		{"https://t.me/copperx_test_bot", "", false},
		{"https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fcopperx_test_bot%3Fstart%3Dpay_x", "", false},
		{"http://t.me/copperx_test_bot?start=x", "", false},
		{"https://example.com/copperx_test_bot?start=x", "", false},
		{"::", "", false},
	}
	for _, tt := range tests {
		got, ok := startPayload(tt.link, "copperx_test_bot")
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: %q %v, want %q %v", tt.link, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := startPayload("https://t.me/x?start=y", ""); ok {
		t.Error("a bot without a username opened a link")
	}
}
