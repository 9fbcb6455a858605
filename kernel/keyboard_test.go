package kernel

import (
	"strings"
	"testing"
)

func TestCallbackData(t *testing.T) {
	tests := []struct {
		plugin, action string
		args           []string
		want, err      string
	}{
		{"wallet", "show", []string{"0f8fad5b-d9cb-469f-a165-70867728950e"}, "wallet:show:0f8fad5b-d9cb-469f-a165-70867728950e", ""},
		{"transfer", "confirm", nil, "transfer:confirm", ""},
		{"a", "b", []string{strings.Repeat("x", 61)}, "", "Telegram allows 64"},
		{"a", "b", []string{"has:colon"}, "", "contains ':'"},
	}
	for _, tt := range tests {
		got, err := CallbackData(tt.plugin, tt.action, tt.args...)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: err = %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("got %q, %v; want %q", got, err, tt.want)
		}
		if p, a, args, ok := parseCallbackData(got); !ok || p != tt.plugin || a != tt.action || len(args) != len(tt.args) {
			t.Errorf("parse(%q) = %q %q %q %v", got, p, a, args, ok)
		}
	}
	for _, bad := range []string{"", "x", ":a", "a:", strings.Repeat("a:", 40)} {
		if _, _, _, ok := parseCallbackData(bad); ok {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}
