package copperx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sentinels for errors.Is. An *Error matches the one its status maps to; a
// *NetworkError matches ErrUnavailable.
var (
	// ErrUnauthorized: 401 or 403, the token is missing, expired or revoked.
	ErrUnauthorized = errors.New("copperx: unauthorized")
	// ErrNotFound: 404.
	ErrNotFound = errors.New("copperx: not found")
	// ErrValidation: 400 or 422, the API rejected the request's content.
	ErrValidation = errors.New("copperx: validation failed")
	// ErrRateLimited: 429; Error.RetryAfter says how long to wait, if known.
	ErrRateLimited = errors.New("copperx: rate limited")
	// ErrServer: any 5xx.
	ErrServer = errors.New("copperx: server error")
	// ErrUnavailable: the API could not be reached or did not answer in time.
	ErrUnavailable = errors.New("copperx: unavailable")
)

// Error is a non-2xx answer from the API (or a refusal the API carried in a
// 2xx, see BatchSendResult.Err and Quote.Err). Reason classifies it; Message
// and Details are safe to show and to log: the request's token, OTP and sid
// and anything else token-like in the API's text are "[redacted]".
type Error struct {
	Status     int           // HTTP status code
	Message    string        // the API's message, flattened into readable text
	Endpoint   string        // request path without the query, e.g. /api/transfers/send
	Method     string        // HTTP method
	RetryAfter time.Duration // from the Retry-After header, when present

	details []Detail // the message's parts
	code    string   // the ErrorDto's "error" (e.g. "Unprocessable Entity") or "code"
}

// Detail is one part of the API's message: a field's complaint
// ("amount", "amount must not be less than 100000000") or a sentence
// without a field ("Insufficient balance").
type Detail struct {
	// Field is the request property at fault ("amount",
	// "requests.0.request.email"), "" when the message names none.
	Field   string
	Message string
}

// Details returns the parts of the API's message, in order (redacted like
// Message). For a ReasonValidation they are the API's field messages.
func (e *Error) Details() []Detail {
	if len(e.details) == 0 && e.Message != "" {
		return []Detail{{Message: e.Message}}
	}
	return slices.Clone(e.details)
}

// Code is the ErrorDto's "error" text ("Unprocessable Entity") or, when the
// API sends one, its "code"; "" when absent.
func (e *Error) Code() string { return e.code }

// Error formats as "copperx: POST /api/transfers/send: 422: amount must be …".
func (e *Error) Error() string {
	return fmt.Sprintf("copperx: %s %s: %d: %s", e.Method, e.Endpoint, e.Status, e.Message)
}

// Is matches the sentinel for the error's status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrValidation:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrServer:
		return e.Status >= 500 && e.Status <= 599
	}
	return false
}

// NetworkError is a failure to get an answer: connection refused, reset, DNS,
// TLS, a per-attempt timeout, or a body cut short. It matches ErrUnavailable
// and unwraps to the cause, so errors.Is(err, context.DeadlineExceeded) holds
// for timeouts.
type NetworkError struct {
	Method   string
	Endpoint string
	Err      error
	timeout  bool
}

// Error implements error.
func (e *NetworkError) Error() string {
	return fmt.Sprintf("copperx: %s %s: %v", e.Method, e.Endpoint, e.Err)
}

// Unwrap returns the cause.
func (e *NetworkError) Unwrap() error { return e.Err }

// Is matches ErrUnavailable.
func (e *NetworkError) Is(target error) bool { return target == ErrUnavailable }

// Timeout reports whether the attempt timed out.
func (e *NetworkError) Timeout() bool { return e.timeout }

// ErrorBody is the API's error document (NestJS ErrorDto).
type ErrorBody struct {
	Message    json.RawMessage `json:"message"`
	StatusCode int             `json:"statusCode"`
	Error      string          `json:"error"`
	// Code is not in the document; kept when an answer carries one.
	Code json.RawMessage `json:"code,omitempty"`
}

// Text flattens the message into readable text; see FlattenMessage.
func (b ErrorBody) Text() string {
	if s := FlattenMessage(b.Message); s != "" {
		return s
	}
	return b.Error
}

// details returns the message's parts (the error text when it has none).
func (b ErrorBody) details() []Detail {
	if d := MessageDetails(b.Message); len(d) > 0 {
		return d
	}
	if e := strings.TrimSpace(b.Error); e != "" {
		return []Detail{{Message: e}}
	}
	return nil
}

// code is the body's "code" when present, else its "error".
func (b ErrorBody) code() string {
	if c := rawText(b.Code); c != "" {
		return c
	}
	return strings.TrimSpace(b.Error)
}

// FlattenMessage turns the API's message, which may be a string, an array of
// strings, an array of {"property","constraints"} objects or an object, into
// one line; parts are joined with "; ".
func FlattenMessage(raw json.RawMessage) string {
	parts := MessageDetails(raw)
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = p.Message
	}
	return strings.Join(texts, "; ")
}

// MessageDetails splits the API's message like FlattenMessage, keeping the
// field of each part: the property of a constraint object, or the leading
// property of a class-validator sentence ("amount must be …", a lower-case
// identifier or path before "must" or "should").
func MessageDetails(raw json.RawMessage) []Detail {
	var v any
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return flatten(v, "")
}

// validatorSentence is class-validator's "<property> must …" / "should …".
var validatorSentence = regexp.MustCompile(`^([a-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*) (?:must|should) `)

func flatten(v any, property string) []Detail {
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		if t = strings.TrimSpace(t); t == "" {
			return nil
		}
		field := property
		if m := validatorSentence.FindStringSubmatch(t); field == "" && m != nil {
			field = m[1]
		}
		return []Detail{{Field: field, Message: t}}
	case []any:
		var out []Detail
		for _, e := range t {
			out = append(out, flatten(e, property)...)
		}
		return out
	case map[string]any:
		var out []Detail
		prop, _ := t["property"].(string)
		if prop == "" {
			prop = property
		} else if property != "" {
			prop = property + "." + prop
		}
		if c, ok := t["constraints"].(map[string]any); ok {
			for _, k := range sortedKeys(c) {
				out = append(out, flatten(c[k], prop)...)
			}
		}
		if m, ok := t["message"]; ok {
			out = append(out, flatten(m, prop)...)
		}
		if ch, ok := t["children"]; ok {
			out = append(out, flatten(ch, prop)...)
		}
		if len(out) > 0 || prop != "" {
			if len(out) == 0 {
				return []Detail{{Field: prop, Message: prop + " is invalid"}}
			}
			return out
		}
		// Any other object: "key: value" pairs in key order.
		for _, k := range sortedKeys(t) {
			for _, d := range flatten(t[k], "") {
				out = append(out, Detail{Field: k, Message: k + ": " + d.Message})
			}
		}
		return out
	case float64:
		return []Detail{{Field: property, Message: strconv.FormatFloat(t, 'f', -1, 64)}}
	case bool:
		return []Detail{{Field: property, Message: strconv.FormatBool(t)}}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// newError builds an *Error from a non-2xx response. The body never appears
// verbatim: only the flattened message, with every secret of the request
// and anything token-like replaced by "[redacted]".
func newError(method, endpoint string, status int, retryAfter time.Duration, body []byte, secrets []string) *Error {
	var eb ErrorBody
	if json.Unmarshal(body, &eb) != nil {
		eb = ErrorBody{}
	}
	return errorFromBody(method, endpoint, status, retryAfter, eb, secrets)
}

// errorFromBody builds an *Error from an ErrorDto (a response body, or a
// send-batch item's error).
func errorFromBody(method, endpoint string, status int, retryAfter time.Duration, eb ErrorBody, secrets []string) *Error {
	details := eb.details()
	if len(details) == 0 {
		msg := http.StatusText(status)
		if msg == "" {
			msg = "unexpected status"
		}
		details = []Detail{{Message: msg}}
	}
	texts := make([]string, 0, len(details))
	for i := range details {
		details[i].Message = redact(details[i].Message, secrets)
		texts = append(texts, details[i].Message)
	}
	if len(details) > 50 {
		details = details[:50]
	}
	return &Error{
		Status:     status,
		Message:    truncate(strings.Join(texts, "; "), 1000),
		Endpoint:   endpoint,
		Method:     method,
		RetryAfter: retryAfter,
		details:    details,
		code:       truncate(redact(eb.code(), secrets), 100),
	}
}

// Token-like text in an API message: a bearer credential, a JWT, or a long
// opaque run of letters and digits (an address or hash in 0x hex and a UUID
// are public and kept).
var (
	bearerText = regexp.MustCompile(`(?i)\bbearer\s+[^\s,;"']+`)
	jwtText    = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	opaqueText = regexp.MustCompile(`[A-Za-z0-9+/=_-]{32,}`)
	publicText = regexp.MustCompile(`^(0x[0-9a-fA-F]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)
)

// redact replaces the request's secrets and anything token-like in s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = bearerText.ReplaceAllString(s, "Bearer "+redacted)
	s = jwtText.ReplaceAllString(s, redacted)
	return opaqueText.ReplaceAllStringFunc(s, func(run string) string {
		if publicText.MatchString(run) || !strings.ContainsAny(run, "0123456789") ||
			strings.IndexFunc(run, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) < 0 {
			return run
		}
		return redacted
	})
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 86400 {
			n = 86400
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
