package kernel

import (
	"encoding/json"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestMessageIDOnly(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a sent message", `{"message_id":42,"from":{"id":1,"is_bot":true,"first_name":"Bot"},"chat":{"id":-1001,"type":"supergroup","title":"T"},"date":1700000000,"text":"hi <b>x</b>","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`,
			`{"message_id":42,"date":1700000000,"chat":{"id":-1001,"type":"supergroup"}}`},
		{"an inline message's edit", `true`, `true`},
		{"not JSON", `{"message_id":`, `{"message_id":`},
		{"empty", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(messageIDOnly(json.RawMessage(tt.in))); got != tt.want {
				t.Fatalf("messageIDOnly(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
	// What gotgbot makes of it is the message the kernel reads.
	var m gotgbot.Message
	if err := json.Unmarshal(messageIDOnly(json.RawMessage(tests[0].in)), &m); err != nil {
		t.Fatal(err)
	}
	if m.MessageId != 42 || m.Chat.Id != -1001 || m.Chat.Type != "supergroup" || m.Date != 1700000000 {
		t.Fatalf("decoded %+v", m)
	}
}

func BenchmarkMessageIDOnly(b *testing.B) {
	raw := json.RawMessage(`{"message_id":42,"from":{"id":1,"is_bot":true,"first_name":"Bot"},"chat":{"id":7,"type":"private","first_name":"Ada"},"date":1700000000,"text":"💰 Your balances\n\nPolygon ⭐ default\n• 1,250.50 USDC","entities":[{"type":"bold","offset":3,"length":13}],"reply_markup":{"inline_keyboard":[[{"text":"📥 Deposit","callback_data":"k:1"},{"text":"📤 Send","callback_data":"k:2"}],[{"text":"👛 Wallets","callback_data":"k:3"},{"text":"🔄 Refresh","callback_data":"k:4"}]]}}`)
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			var m gotgbot.Message
			_ = json.Unmarshal(raw, &m)
		}
	})
	b.Run("id-only", func(b *testing.B) {
		for b.Loop() {
			var m gotgbot.Message
			_ = json.Unmarshal(messageIDOnly(raw), &m)
		}
	})
}
