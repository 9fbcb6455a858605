package copperx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestErrorReason classifies the refusals copperx-api.md documents and the
// emulator answers, from the status and the ErrorDto body.
func TestErrorReason(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Reason
	}{
		{"insufficient balance", 422, `{"message":"Insufficient balance","statusCode":422,"error":"Unprocessable Entity"}`, ReasonInsufficientBalance},
		{"insufficient funds 400", 400, `{"message":"Insufficient funds in wallet","statusCode":400}`, ReasonInsufficientBalance},
		{"kyc to transfer", 422, `{"message":"Please complete your KYC to make transfers","statusCode":422,"error":"Unprocessable Entity"}`, ReasonKYCRequired},
		{"kyc 403", 403, `{"message":"KYC not approved","statusCode":403,"error":"Forbidden"}`, ReasonKYCRequired},
		{"kyb", 422, `{"message":"Complete your KYB first","statusCode":422}`, ReasonKYCRequired},
		{"amount below min (constraint object)", 422, `{"message":[{"property":"amount","constraints":{"min":"amount must be greater than or equal to 100000000"}}],"statusCode":422,"error":"Unprocessable Entity"}`, ReasonLimit},
		{"amount above max (constraint object)", 422, `{"message":[{"property":"amount","constraints":{"max":"amount must not be greater than 5000000000000"}}],"statusCode":422}`, ReasonLimit},
		{"amount below min (string array)", 400, `{"message":["amount must not be less than 100000000"],"statusCode":400,"error":"Bad Request"}`, ReasonLimit},
		{"batch item amount", 422, `{"message":[{"property":"requests","children":[{"property":"amount","constraints":{"min":"too small"}}]}],"statusCode":422}`, ReasonLimit},
		{"daily limit", 422, `{"message":"Daily transfer limit exceeded. Your daily limit is 1000 USDC","statusCode":422}`, ReasonLimit},
		{"amount not a number", 422, `{"message":[{"property":"amount","constraints":{"isNumberString":"amount must be a number string"}}],"statusCode":422}`, ReasonValidation},
		{"purpose code", 422, `{"message":["purposeCode must be one of the following values: self, salary"],"statusCode":422}`, ReasonValidation},
		{"currency", 422, `{"message":"Currency EUR is not supported for this transfer","statusCode":422}`, ReasonValidation},
		{"send to yourself", 422, `{"message":"You cannot send funds to yourself","statusCode":422}`, ReasonRecipient},
		{"bad email", 422, `{"message":["email must be an email"],"statusCode":422}`, ReasonRecipient},
		{"bad address", 422, `{"message":[{"property":"walletAddress","constraints":{"isValidAddress":"walletAddress must be a valid Polygon address"}}],"statusCode":422}`, ReasonRecipient},
		{"no recipient", 422, `{"message":["exactly one of email, walletAddress or payeeId must be provided"],"statusCode":422}`, ReasonRecipient},
		{"payee not found", 404, `{"message":"Payee not found","statusCode":404,"error":"Not Found"}`, ReasonRecipient},
		{"bank account not found", 404, `{"message":"Bank account not found","statusCode":404}`, ReasonRecipient},
		{"quote expired", 422, `{"message":"Quote expired. Please request a new quote","statusCode":422}`, ReasonQuote},
		{"quote signature", 422, `{"message":"Invalid quote signature","statusCode":422}`, ReasonQuote},
		{"quote used", 422, `{"message":"Quote already used. Please request a new quote","statusCode":422}`, ReasonQuote},
		{"unauthorized", 401, `{"message":"Unauthorized","statusCode":401}`, ReasonUnknown},
		{"rate limited", 429, `{"message":"ThrottlerException: Too Many Requests","statusCode":429}`, ReasonUnknown},
		{"server error mentioning balance", 500, `{"message":"Insufficient balance service unavailable","statusCode":500}`, ReasonUnknown},
		{"transfer not found", 404, `{"message":"Transfer not found","statusCode":404}`, ReasonUnknown},
		{"other 422", 422, `{"message":"Something else","statusCode":422}`, ReasonValidation},
		{"no body", 400, ``, ReasonValidation},
		{"conflict", 409, `{"message":"conflict","statusCode":409}`, ReasonUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newError(http.MethodPost, "/api/transfers/send", tt.status, 0, []byte(tt.body), nil)
			if got := e.Reason(); got != tt.want {
				t.Errorf("Reason() = %q, want %q (details %+v)", got, tt.want, e.Details())
			}
			if got := ReasonOf(fmt.Errorf("submit: %w", e)); got != tt.want {
				t.Errorf("ReasonOf(wrapped) = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReasonOfOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("boom"), context.Canceled, &NetworkError{Err: errors.New("reset")}} {
		if got := ReasonOf(err); got != ReasonUnknown {
			t.Errorf("ReasonOf(%v) = %q", err, got)
		}
	}
}

// TestErrorDetails keeps each part of the message with its field.
func TestErrorDetails(t *testing.T) {
	tests := []struct {
		name, body string
		want       []Detail
		code       string
	}{
		{"string", `{"message":"Insufficient balance","statusCode":422,"error":"Unprocessable Entity"}`,
			[]Detail{{Message: "Insufficient balance"}}, "Unprocessable Entity"},
		{"validator strings", `{"message":["amount must be a number string","requests.0.request.purposeCode should not be empty","Bad thing"],"statusCode":422}`,
			[]Detail{{"amount", "amount must be a number string"}, {"requests.0.request.purposeCode", "requests.0.request.purposeCode should not be empty"}, {"", "Bad thing"}}, ""},
		{"constraints", `{"message":[{"property":"amount","constraints":{"min":"amount too small","isInt":"amount must be an integer"}}],"statusCode":422}`,
			[]Detail{{"amount", "amount must be an integer"}, {"amount", "amount too small"}}, ""},
		{"nested", `{"message":[{"property":"requests","children":[{"property":"0","children":[{"property":"email","constraints":{"isEmail":"email must be an email"}}]}]}],"statusCode":422}`,
			[]Detail{{"requests.0.email", "email must be an email"}}, ""},
		{"sentence, not a property", `{"message":"Amount must be between 1 and 50000 USDC","statusCode":422}`,
			[]Detail{{Message: "Amount must be between 1 and 50000 USDC"}}, ""},
		{"code field", `{"message":"Limit reached","statusCode":422,"error":"Unprocessable Entity","code":"DAILY_LIMIT"}`,
			[]Detail{{Message: "Limit reached"}}, "DAILY_LIMIT"},
		{"only error", `{"statusCode":422,"error":"Unprocessable Entity"}`,
			[]Detail{{Message: "Unprocessable Entity"}}, "Unprocessable Entity"},
		{"not json", `<html>`, []Detail{{Message: "Unprocessable Entity"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newError(http.MethodPost, "/api/transfers/send", 422, 0, []byte(tt.body), nil)
			if got := e.Details(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Details() = %+v, want %+v", got, tt.want)
			}
			if e.Code() != tt.code {
				t.Errorf("Code() = %q, want %q", e.Code(), tt.code)
			}
			var texts []string
			for _, d := range tt.want {
				texts = append(texts, d.Message)
			}
			if e.Message != strings.Join(texts, "; ") {
				t.Errorf("Message = %q", e.Message)
			}
		})
	}
	// Details is a copy.
	e := newError(http.MethodGet, "/api/x", 422, 0, []byte(`{"message":"a"}`), nil)
	e.Details()[0].Message = "changed"
	if e.Details()[0].Message != "a" {
		t.Error("Details exposes the error's own slice")
	}
}

// TestErrorRedactsTokenLike: Message, Details and Code never carry a
// credential, whatever the API echoes; public ids, hashes and addresses stay.
func TestErrorRedactsTokenLike(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"
	tests := []struct {
		name, message string
		secrets       []string // must be gone
		kept          []string // must stay
	}{
		{"jwt", "token " + jwt + " is expired", []string{jwt, "eyJzdWIiOiJ1MSJ9"}, []string{"is expired"}},
		{"bearer", "header Bearer abc.def-123 rejected", []string{"abc.def-123"}, []string{"Bearer [redacted]", "rejected"}},
		{"opaque key", "invalid api key sk_live_4eC39HqLyjWDarjtT1zdp7dc0123456789", []string{"sk_live_4eC39HqLyjWDarjtT1zdp7dc0123456789"}, []string{"invalid api key"}},
		{"hmac signature", "signature 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 does not match",
			[]string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, []string{"does not match"}},
		{"public values", "transfer 2f1c9a4e-8b0d-4c3e-9f1a-6b7d8e9f0a1b to 0x2d4C407BBe49438ED859fe965b140dcF1aaB71a9 tx 0x" + strings.Repeat("ab", 32),
			nil, []string{"2f1c9a4e-8b0d-4c3e-9f1a-6b7d8e9f0a1b", "0x2d4C407BBe49438ED859fe965b140dcF1aaB71a9", "0x" + strings.Repeat("ab", 32)}},
		{"long words", "amount must not be greater than 5000000000000", nil, []string{"amount must not be greater than 5000000000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"message": []string{tt.message}, "statusCode": 400, "code": tt.message})
			e := newError(http.MethodPost, "/api/transfers/send", 400, 0, body, nil)
			texts := []string{e.Message, e.Error(), e.Code()}
			for _, d := range e.Details() {
				texts = append(texts, d.Message)
			}
			for _, text := range texts {
				for _, s := range tt.secrets {
					if strings.Contains(text, s) {
						t.Errorf("%q contains %q", text, s)
					}
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(e.Message, k) {
					t.Errorf("Message %q lost %q", e.Message, k)
				}
			}
		})
	}
}

func TestQuoteErr(t *testing.T) {
	tests := []struct {
		name, quoteError string
		want             Reason // "" = no error
	}{
		{"none", "", ""},
		{"blank", "  ", ""},
		{"below the corridor minimum", "Amount is below the minimum for this corridor", ReasonLimit},
		{"emulator range", "Amount must be between 1 and 50000 USDC", ReasonLimit},
		{"kyc", "Please complete your KYC to withdraw to a bank account", ReasonKYCRequired},
		{"no bank account", "No bank account found. Add a bank account on payout.copperx.io", ReasonRecipient},
		{"other", "Provider unavailable", ReasonUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &Quote{Error: tt.quoteError}
			err := q.Err()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Err() = %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusOK || e.Message != tt.quoteError || errors.Is(err, ErrValidation) {
				t.Fatalf("Err() = %#v", err)
			}
			if got := ReasonOf(err); got != tt.want {
				t.Errorf("reason = %q, want %q", got, tt.want)
			}
		})
	}
	if (*Quote)(nil).Err() != nil {
		t.Error("nil quote has an error")
	}
}
