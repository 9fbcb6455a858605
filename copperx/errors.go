package copperx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// Error is a non-2xx answer from the API.
type Error struct {
	Status     int           // HTTP status code
	Message    string        // the API's message, flattened into readable text
	Endpoint   string        // request path without the query, e.g. /api/transfers/send
	Method     string        // HTTP method
	RetryAfter time.Duration // from the Retry-After header, when present
}

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
}

// Text flattens the message into readable text; see FlattenMessage.
func (b ErrorBody) Text() string {
	if s := FlattenMessage(b.Message); s != "" {
		return s
	}
	return b.Error
}

// FlattenMessage turns the API's message, which may be a string, an array of
// strings, an array of {"property","constraints"} objects or an object, into
// one line; parts are joined with "; ".
func FlattenMessage(raw json.RawMessage) string {
	var v any
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return strings.Join(flatten(v, ""), "; ")
}

func flatten(v any, property string) []string {
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		if t = strings.TrimSpace(t); t != "" {
			return []string{t}
		}
		return nil
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, flatten(e, property)...)
		}
		return out
	case map[string]any:
		var out []string
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
				return []string{prop + " is invalid"}
			}
			return out
		}
		// Any other object: "key: value" pairs in key order.
		for _, k := range sortedKeys(t) {
			for _, s := range flatten(t[k], "") {
				out = append(out, k+": "+s)
			}
		}
		return out
	case float64:
		return []string{strconv.FormatFloat(t, 'f', -1, 64)}
	case bool:
		return []string{strconv.FormatBool(t)}
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
// replaced by "[redacted]".
func newError(method, endpoint string, status int, retryAfter time.Duration, body []byte, secrets []string) *Error {
	var eb ErrorBody
	msg := ""
	if json.Unmarshal(body, &eb) == nil {
		msg = eb.Text()
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	if msg == "" {
		msg = "unexpected status"
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, redacted)
		}
	}
	return &Error{
		Status:     status,
		Message:    truncate(msg, 1000),
		Endpoint:   endpoint,
		Method:     method,
		RetryAfter: retryAfter,
	}
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
