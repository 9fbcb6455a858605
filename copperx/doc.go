// Package copperx is a typed client for the CopperX Payout API
// (https://income-api.copperx.io).
//
// One Client serves every user: the caller passes the user's bearer Token to
// each authenticated call. Amounts are shopspring/decimal values end to end;
// the client converts them to and from the API's integer strings in units of
// 10^-8 (see ToUnits and FromUnits). Failures are *Error values (an HTTP status
// and the API's message) that match the sentinels ErrUnauthorized,
// ErrNotFound, ErrValidation, ErrRateLimited and ErrServer with errors.Is, or
// *NetworkError values that match ErrUnavailable; Error.Reason classifies a
// refusal (insufficient balance, KYC, limit, recipient, quote, validation).
// GET requests are retried with exponential backoff and jitter on 5xx, 429
// and network errors, within a total time budget per call
// (Config.RetryBudget); other methods are never retried.
//
// The package imports nothing from the bot's kernel or plugins.
package copperx
