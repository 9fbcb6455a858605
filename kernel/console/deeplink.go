package console

import (
	"net/url"
	"strings"
)

// startPayload is the /start payload of a deep link to the bot
// (https://t.me/<bot>?start=<payload>), which Telegram opens as the message
// "/start <payload>" in the private chat with the bot; false for any other
// URL.
func startPayload(link, bot string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil || bot == "" || u.Scheme != "https" || !strings.EqualFold(u.Host, "t.me") ||
		!strings.EqualFold(strings.Trim(u.Path, "/"), bot) {
		return "", false
	}
	payload := u.Query().Get("start")
	return payload, payload != ""
}
