package copperx_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/shopspring/decimal"
)

func Example() {
	// A stand-in for the API.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"message":[{"property":"amount","constraints":{"min":"amount must be greater than or equal to 100000000"}}],"statusCode":422}`))
	}))
	defer srv.Close()

	cfg := copperx.DefaultConfig()
	cfg.APIURL = srv.URL
	c, err := copperx.New(cfg)
	if err != nil {
		panic(err)
	}
	tok := copperx.NewToken("eyJ...")
	_, err = c.Send(context.Background(), tok, copperx.SendRequest{
		Email: "friend@example.com", Amount: decimal.RequireFromString("0.5"), PurposeCode: "self", Currency: "USDC",
	})
	fmt.Println(errors.Is(err, copperx.ErrValidation))
	fmt.Println(err)
	fmt.Println(tok)
	// Output:
	// true
	// copperx: POST /api/transfers/send: 422: amount must be greater than or equal to 100000000
	// [redacted]
}

func ExampleToUnits() {
	units, _ := copperx.ToUnits(decimal.RequireFromString("12.5"))
	back, _ := copperx.FromUnits(units)
	fmt.Println(units, back)
	// Output: 1250000000 12.5
}
