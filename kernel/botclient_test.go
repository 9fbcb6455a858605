package kernel

import (
	"encoding/json"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

const sentJSON = `{"message_id":42,"from":{"id":1,"is_bot":true,"first_name":"Bot"},"chat":{"id":-1001,"type":"supergroup","title":"T"},"date":1700000000,"text":"hi <b>x</b>","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name, method, body string
		want               gotgbot.Response
		wantErr            bool
	}{
		{"a sent message, cut down", "sendMessage", `{"ok":true,"result":` + sentJSON + `}`,
			gotgbot.Response{Ok: true, Result: json.RawMessage(`{"message_id":42,"date":1700000000,"chat":{"id":-1001,"type":"supergroup"}}`)}, false},
		{"an edit, cut down", "editMessageText", `{"ok":true,"result":` + sentJSON + `}`,
			gotgbot.Response{Ok: true, Result: json.RawMessage(`{"message_id":42,"date":1700000000,"chat":{"id":-1001,"type":"supergroup"}}`)}, false},
		{"an inline message's edit", "editMessageText", `{"ok":true,"result":true}`,
			gotgbot.Response{Ok: true, Result: json.RawMessage(`true`)}, false},
		{"another method, whole", "getMe", `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B"}}`,
			gotgbot.Response{Ok: true, Result: json.RawMessage(`{"id":1,"is_bot":true,"first_name":"B"}`)}, false},
		{"a refusal", "sendMessage", `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`,
			gotgbot.Response{ErrorCode: 429, Description: "Too Many Requests: retry after 7", Parameters: &gotgbot.ResponseParameters{RetryAfter: 7}}, false},
		{"not JSON", "sendMessage", `{"ok":true,"result":{"message_id":`, gotgbot.Response{}, true},
		{"empty", "sendMessage", ``, gotgbot.Response{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			got, err := decodeResponse(tt.method, body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got.Ok != tt.want.Ok || string(got.Result) != string(tt.want.Result) || got.ErrorCode != tt.want.ErrorCode || got.Description != tt.want.Description {
				t.Fatalf("decoded %+v (result %s), want %+v (result %s)", got, got.Result, tt.want, tt.want.Result)
			}
			if (got.Parameters == nil) != (tt.want.Parameters == nil) || got.Parameters != nil && got.Parameters.RetryAfter != tt.want.Parameters.RetryAfter {
				t.Fatalf("parameters %+v, want %+v", got.Parameters, tt.want.Parameters)
			}
			// The result never aliases the (pooled) body.
			for i := range body {
				body[i] = 'x'
			}
			if string(got.Result) != string(tt.want.Result) {
				t.Fatalf("result changed with the body: %s", got.Result)
			}
		})
	}
	// What gotgbot makes of a cut-down result is the message the kernel reads.
	r, err := decodeResponse("sendMessage", []byte(`{"ok":true,"result":`+sentJSON+`}`))
	if err != nil {
		t.Fatal(err)
	}
	var m gotgbot.Message
	if err := json.Unmarshal(r.Result, &m); err != nil {
		t.Fatal(err)
	}
	if m.MessageId != 42 || m.Chat.Id != -1001 || m.Chat.Type != "supergroup" || m.Date != 1700000000 {
		t.Fatalf("decoded %+v", m)
	}
}

// BenchmarkDecodeResponse: a sent message's response decoded whole, as
// gotgbot would, against decoded as far as its id.
func BenchmarkDecodeResponse(b *testing.B) {
	body := []byte(`{"ok":true,"result":{"message_id":42,"from":{"id":1,"is_bot":true,"first_name":"Bot"},"chat":{"id":7,"type":"private","first_name":"Ada"},"date":1700000000,"text":"💰 Your balances\n\nPolygon ⭐ default\n• 1,250.50 USDC","entities":[{"type":"bold","offset":3,"length":13}],"reply_markup":{"inline_keyboard":[[{"text":"📥 Deposit","callback_data":"k:1"},{"text":"📤 Send","callback_data":"k:2"}],[{"text":"👛 Wallets","callback_data":"k:3"},{"text":"🔄 Refresh","callback_data":"k:4"}]]}}}`)
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			r, _ := decodeResponse("getMe", body) // not an idOnly method
			var m gotgbot.Message
			_ = json.Unmarshal(r.Result, &m)
		}
	})
	b.Run("id-only", func(b *testing.B) {
		for b.Loop() {
			r, _ := decodeResponse("sendMessage", body)
			var m struct {
				MessageID int64 `json:"message_id"`
			}
			_ = json.Unmarshal(r.Result, &m)
		}
	})
}
