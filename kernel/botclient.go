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

// maxPooled is the largest buffer kept for reuse: a long getUpdates
// answer (up to megabytes) is left to the GC rather than held by the pool.
const maxPooled = 64 << 10

func getBuffer() *bytes.Buffer {
	b := bodyPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		bodyPool.Put(b)
	}
}

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
	buf := getBuffer()
	defer putBuffer(buf)
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
	body := getBuffer()
	defer putBuffer(body)
	if _, err := body.ReadFrom(res.Body); err != nil {
		return nil, fmt.Errorf("failed to read the response to %s (HTTP %d): %w", method, res.StatusCode, redactToken(err, token))
	}
	r, err := decodeResponse(method, body.Bytes())
	if err != nil {
		return nil, fmt.Errorf("failed to decode POST request to %s (HTTP %d): %w", method, res.StatusCode, err)
	}
	if !r.Ok {
		return nil, &gotgbot.TelegramError{Method: method, Params: params, Code: r.ErrorCode, Description: r.Description, ResponseParams: r.Parameters}
	}
	return r.Result, nil
}

// idOnly are the methods whose sent Message the kernel reads only the id
// of (kernel/telegram.go send, edit, editButtons): gotgbot decodes a
// Message's some 150 fields, reply markup included, so for these the
// result is cut down to what identifies the message, in the same pass
// that decodes the response.
var idOnly = map[string]bool{"sendMessage": true, "editMessageText": true, "editMessageReplyMarkup": true}

// sentMessage is what identifies a sent message.
type sentMessage struct {
	MessageID int64 `json:"message_id"`
	Date      int64 `json:"date"`
	Chat      struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	} `json:"chat"`
}

// json is m as a Message with only these fields.
func (m *sentMessage) json() json.RawMessage {
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

// decodeResponse decodes a Bot API response; the result is a copy, never
// body's bytes. For an idOnly method, a Message result comes back as
// {"message_id","date","chat"}; any other result (true, for an inline
// message's edit) as it is.
func decodeResponse(method string, body []byte) (gotgbot.Response, error) {
	if idOnly[method] {
		var r struct {
			Ok          bool                        `json:"ok"`
			Result      *sentMessage                `json:"result"`
			ErrorCode   int                         `json:"error_code"`
			Description string                      `json:"description"`
			Parameters  *gotgbot.ResponseParameters `json:"parameters"`
		}
		// A result that is not an object fails here and is decoded below.
		if json.Unmarshal(body, &r) == nil && (!r.Ok || r.Result != nil) {
			out := gotgbot.Response{Ok: r.Ok, ErrorCode: r.ErrorCode, Description: r.Description, Parameters: r.Parameters}
			if r.Result != nil {
				out.Result = r.Result.json()
			}
			return out, nil
		}
	}
	var r gotgbot.Response
	err := json.Unmarshal(body, &r)
	return r, err
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
