package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// jsonClient is the Bot API client: a request without files goes as one
// JSON body encoded into a pooled buffer, over a keep-alive transport
// sized to the update workers (gotgbot's own client streams every request
// as multipart through a pipe and a goroutine, and Go's default transport
// keeps 2 idle connections per host: a busy bot opened a connection for
// most calls). Requests with files (photos, documents) go through
// gotgbot's multipart client.
type jsonClient struct {
	multipart *gotgbot.BaseBotClient
	http      *http.Client
	apiURL    string
	timeout   time.Duration
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// newJSONClient builds the client for apiURL; idle is how many kept-alive
// connections to keep (at least the update workers).
func newJSONClient(apiURL string, timeout time.Duration, idle int) *jsonClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * idle
	tr.MaxIdleConnsPerHost = idle
	tr.IdleConnTimeout = 90 * time.Second
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	hc := &http.Client{Transport: tr}
	apiURL = strings.TrimSuffix(apiURL, "/")
	return &jsonClient{
		multipart: &gotgbot.BaseBotClient{Client: *hc, DefaultRequestOpts: &gotgbot.RequestOpts{APIURL: apiURL, Timeout: timeout}},
		http:      hc, apiURL: apiURL, timeout: timeout,
	}
}

// GetAPIURL implements gotgbot.BotClient.
func (c *jsonClient) GetAPIURL(opts *gotgbot.RequestOpts) string { return c.multipart.GetAPIURL(opts) }

// FileURL implements gotgbot.BotClient.
func (c *jsonClient) FileURL(token, path string, opts *gotgbot.RequestOpts) string {
	return c.multipart.FileURL(token, path, opts)
}

// RequestWithContext implements gotgbot.BotClient.
func (c *jsonClient) RequestWithContext(ctx context.Context, token, method string, params map[string]any, opts *gotgbot.RequestOpts) (json.RawMessage, error) {
	for _, v := range params {
		if _, file := v.(gotgbot.Attach); file {
			return c.multipart.RequestWithContext(ctx, token, method, params, opts)
		}
	}
	if opts != nil {
		for k, v := range opts.OverrideParams {
			params[k] = v
		}
	}
	timeout := c.timeout
	if opts != nil && opts.Timeout != 0 {
		timeout = opts.Timeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	if err := json.NewEncoder(buf).Encode(params); err != nil {
		return nil, fmt.Errorf("encode %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.GetAPIURL(opts)+"/bot"+token+"/"+method, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", method, redactToken(err, token))
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to execute POST request to %s: %w", method, redactToken(err, token))
	}
	defer res.Body.Close()
	var r gotgbot.Response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("failed to decode POST request to %s (HTTP %d): %w", method, res.StatusCode, err)
	}
	if !r.Ok {
		return nil, &gotgbot.TelegramError{Method: method, Params: params, Code: r.ErrorCode, Description: r.Description, ResponseParams: r.Parameters}
	}
	if idOnly[method] {
		return messageIDOnly(r.Result), nil
	}
	return r.Result, nil
}

// idOnly are the methods whose sent Message the kernel reads only the id
// of (kernel/telegram.go send, edit, removeButtons): gotgbot decodes a
// Message's some 150 fields, reply markup included, for every call, so
// the result is cut down to what identifies the message first.
var idOnly = map[string]bool{"sendMessage": true, "editMessageText": true, "editMessageReplyMarkup": true}

// messageIDOnly is result, a Message, as {"message_id","date","chat"}; a
// result that is not a Message (true, for an inline message's edit) is
// returned as it is.
func messageIDOnly(result json.RawMessage) json.RawMessage {
	var m struct {
		MessageID int64 `json:"message_id"`
		Date      int64 `json:"date"`
		Chat      struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		} `json:"chat"`
	}
	if len(result) == 0 || result[0] != '{' || json.Unmarshal(result, &m) != nil {
		return result
	}
	out := make([]byte, 0, 96)
	out = append(out, `{"message_id":`...)
	out = strconv.AppendInt(out, m.MessageID, 10)
	out = append(out, `,"date":`...)
	out = strconv.AppendInt(out, m.Date, 10)
	out = append(out, `,"chat":{"id":`...)
	out = strconv.AppendInt(out, m.Chat.ID, 10)
	out = append(out, `,"type":`...)
	out = strconv.AppendQuote(out, m.Chat.Type)
	return append(out, "}}"...)
}

// redactToken keeps the bot token out of an error (a url.Error names the
// URL, which holds it).
func redactToken(err error, token string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, token, "<token>")
	}
	return err
}
