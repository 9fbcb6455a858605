package copperx

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Reason says, in a few bounded kinds, why CopperX refused a request, so
// that a caller can tell the user what CopperX said without matching the
// API's text itself. The value is a short snake_case word, safe as a log
// field or metric label.
type Reason string

// The reasons. They are made for the money-moving calls (send, withdraw,
// offramp and its quote, send-batch items, schedules) and their payees.
const (
	// ReasonInsufficientBalance: the wallet cannot cover amount + fee.
	ReasonInsufficientBalance Reason = "insufficient_balance"
	// ReasonKYCRequired: the account's KYC (or KYB) is not approved.
	ReasonKYCRequired Reason = "kyc_required"
	// ReasonLimit: the amount is below the minimum or above the maximum of
	// one transfer, or a daily/monthly limit is reached.
	ReasonLimit Reason = "limit"
	// ReasonValidation: the request was refused for its content; Details
	// has the API's field messages.
	ReasonValidation Reason = "validation"
	// ReasonRecipient: the recipient is invalid (bad email or address,
	// unknown payee or bank account) or is the sender.
	ReasonRecipient Reason = "recipient"
	// ReasonQuote: the offramp quote expired, was used, or is invalid.
	ReasonQuote Reason = "quote"
	// ReasonUnknown: anything else, including 401, 429, 5xx and errors that
	// are not API answers.
	ReasonUnknown Reason = "unknown"
)

// Reason classifies the refusal from its status, message and fields.
func (e *Error) Reason() Reason {
	return classify(e.Status, e.Details())
}

// ReasonOf classifies err when it is (or wraps) an *Error, and is
// ReasonUnknown otherwise (a network error, a cancelled context, nil).
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason()
	}
	return ReasonUnknown
}

// Err returns the refusal a 200 quote carries in "error" as an *Error with
// Status 200 (so it matches no sentinel), or nil when the quote has none.
// ReasonOf(q.Err()) classifies it.
func (q *Quote) Err() error {
	if q == nil || strings.TrimSpace(q.Error) == "" {
		return nil
	}
	return errorFromBody(http.MethodPost, "/api/quotes/offramp", http.StatusOK, 0,
		ErrorBody{Message: jsonString(q.Error)}, nil)
}

// Phrases of the API's messages (lower-cased) by reason, as copperx-api.md
// and the emulator document them.
var (
	insufficientPhrases = []string{"insufficient", "not enough balance", "not enough funds", "exceeds your balance", "exceeds balance"}
	kycPhrases          = []string{"kyc", "kyb", "verify your identity", "identity verification"}
	limitPhrases        = []string{"limit", "exceed"}
	boundPhrases        = []string{"minimum", "maximum", "greater than", "less than", "at least", "at most", "between", "too small", "too large", "too low", "too high"}
	recipientPhrases    = []string{"yourself", "your own", "recipient", "payee", "walletaddress", "wallet address", "bank account", "receiver"}
	recipientFields     = []string{"email", "walletAddress", "payeeId", "preferredBankAccountId", "bankAccountId"}
)

// classify maps a status and the message's parts to a Reason. Order
// matters: a message about the balance, KYC or the quote says so whatever
// else it says; limits come before other recipient and field complaints.
func classify(status int, details []Detail) Reason {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusTooManyRequests, status >= 500:
		return ReasonUnknown
	}
	var texts []string
	for _, d := range details {
		texts = append(texts, strings.ToLower(d.Message))
	}
	all := strings.Join(texts, "\n")
	has := func(phrases []string) bool {
		for _, p := range phrases {
			if strings.Contains(all, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has(insufficientPhrases):
		return ReasonInsufficientBalance
	case has(kycPhrases):
		return ReasonKYCRequired
	case strings.Contains(all, "quote"):
		return ReasonQuote
	case has(limitPhrases):
		return ReasonLimit
	}
	for i, d := range details {
		if isAmountField(d.Field) || d.Field == "" && strings.Contains(texts[i], "amount") {
			for _, p := range boundPhrases {
				if strings.Contains(texts[i], p) {
					return ReasonLimit
				}
			}
		}
	}
	if has(recipientPhrases) {
		return ReasonRecipient
	}
	for _, d := range details {
		if isField(d.Field, recipientFields...) {
			return ReasonRecipient
		}
	}
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return ReasonValidation
	}
	return ReasonUnknown
}

// isAmountField reports a field path ending in "amount".
func isAmountField(field string) bool { return isField(field, "amount") }

// isField reports whether the last segment of a field path is one of names.
func isField(field string, names ...string) bool {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		field = field[i+1:]
	}
	for _, n := range names {
		if strings.EqualFold(field, n) {
			return true
		}
	}
	return false
}

// jsonString encodes s as a JSON string.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
