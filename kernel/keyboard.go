package kernel

import (
	"fmt"
	"strings"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// MaxCallbackData is Telegram's limit on inline-button data.
const MaxCallbackData = 64

// Button is an inline button: exactly one of Data (callback), URL or Copy
// (copy-to-clipboard text) is set.
type Button struct {
	Text string
	Data string
	URL  string
	Copy string
}

// Keyboard is an inline keyboard, built row by row.
type Keyboard struct {
	rows [][]Button
}

// NewKeyboard starts an empty inline keyboard.
func NewKeyboard() *Keyboard { return &Keyboard{} }

// Row appends a row of buttons (an empty call is ignored).
func (k *Keyboard) Row(b ...Button) *Keyboard {
	if len(b) > 0 {
		k.rows = append(k.rows, b)
	}
	return k
}

// Grid appends buttons n per row.
func (k *Keyboard) Grid(n int, b ...Button) *Keyboard {
	for len(b) > 0 {
		m := min(n, len(b))
		k.Row(b[:m]...)
		b = b[m:]
	}
	return k
}

// Empty reports whether the keyboard has no buttons.
func (k *Keyboard) Empty() bool { return k == nil || len(k.rows) == 0 }

// Rows returns the rows (read-only use).
func (k *Keyboard) Rows() [][]Button {
	if k == nil {
		return nil
	}
	return k.rows
}

// CallbackData builds "<plugin>:<action>[:arg...]" and checks Telegram's
// 64-byte limit and that no part contains a colon.
func CallbackData(plugin, action string, args ...string) (string, error) {
	parts := append([]string{plugin, action}, args...)
	for _, p := range parts {
		if strings.Contains(p, ":") {
			return "", fmt.Errorf("callback data part %q contains ':'", p)
		}
	}
	d := strings.Join(parts, ":")
	if len(d) > MaxCallbackData {
		return "", fmt.Errorf("callback data %q is %d bytes, Telegram allows %d", d, len(d), MaxCallbackData)
	}
	return d, nil
}

// parseCallbackData splits "<plugin>:<action>[:args]".
func parseCallbackData(d string) (plugin, action string, args []string, ok bool) {
	parts := strings.Split(d, ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" || len(d) > MaxCallbackData {
		return "", "", nil, false
	}
	return parts[0], parts[1], parts[2:], true
}

// markup converts the keyboard to the Bot API type, validating each button.
func (k *Keyboard) markup() (*gotgbot.InlineKeyboardMarkup, error) {
	if k.Empty() {
		return nil, nil
	}
	rows := make([][]gotgbot.InlineKeyboardButton, 0, len(k.rows))
	for _, row := range k.rows {
		out := make([]gotgbot.InlineKeyboardButton, 0, len(row))
		for _, b := range row {
			btn := gotgbot.InlineKeyboardButton{Text: b.Text}
			set := 0
			if b.Data != "" {
				if len(b.Data) > MaxCallbackData {
					return nil, fmt.Errorf("button %q: callback data over %d bytes", b.Text, MaxCallbackData)
				}
				btn.CallbackData = b.Data
				set++
			}
			if b.URL != "" {
				btn.Url = b.URL
				set++
			}
			if b.Copy != "" {
				btn.CopyText = &gotgbot.CopyTextButton{Text: b.Copy}
				set++
			}
			if set != 1 || b.Text == "" {
				return nil, fmt.Errorf("button %q: needs a label and exactly one of data, url, copy", b.Text)
			}
			out = append(out, btn)
		}
		rows = append(rows, out)
	}
	return &gotgbot.InlineKeyboardMarkup{InlineKeyboard: rows}, nil
}
