package copperx_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
)

// TestEmulatorUpdatePayee: UpdatePayee sends UpdatePayeeDto (nickName and
// only the fields set) and the emulator keeps what it was not given.
func TestEmulatorUpdatePayee(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	tok := e.token("ada@example.com")
	p, err := e.c.CreatePayee(ctx, tok, copperx.CreatePayeeRequest{NickName: "Bob", Email: "bob@example.com", FirstName: "Robert", PhoneNumber: "15550100"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		req      copperx.UpdatePayeeRequest
		wantBody string
		want     copperx.Payee // compared: NickName, FirstName, LastName, PhoneNumber
	}{
		{"nickname only", copperx.UpdatePayeeRequest{NickName: "Bobby"}, "map[nickName:Bobby]",
			copperx.Payee{NickName: "Bobby", FirstName: "Robert", PhoneNumber: "15550100"}},
		{"names", copperx.UpdatePayeeRequest{NickName: "Bobby", FirstName: "Rob", LastName: "Smith"}, "map[firstName:Rob lastName:Smith nickName:Bobby]",
			copperx.Payee{NickName: "Bobby", FirstName: "Rob", LastName: "Smith", PhoneNumber: "15550100"}},
		{"phone", copperx.UpdatePayeeRequest{NickName: "B", PhoneNumber: "447700900123"}, "map[nickName:B phoneNumber:447700900123]",
			copperx.Payee{NickName: "B", FirstName: "Rob", LastName: "Smith", PhoneNumber: "447700900123"}},
	}
	for _, tt := range tests {
		got, err := e.c.UpdatePayee(ctx, tok, p.ID, tt.req)
		if err != nil {
			t.Fatalf("%s: UpdatePayee: %v", tt.name, err)
		}
		calls := e.emu.CallsTo(http.MethodPut, "/api/payees/"+p.ID)
		if body := calls[len(calls)-1].Body; fmt.Sprint(body) != tt.wantBody {
			t.Errorf("%s: body %v, want %s", tt.name, body, tt.wantBody)
		}
		if got.ID != p.ID || got.Email != "bob@example.com" || got.NickName != tt.want.NickName || got.FirstName != tt.want.FirstName ||
			got.LastName != tt.want.LastName || got.PhoneNumber != tt.want.PhoneNumber || got.UpdatedAt.Before(got.CreatedAt) {
			t.Errorf("%s: payee %+v", tt.name, got)
		}
		again, err := e.c.Payee(ctx, tok, p.ID)
		if err != nil || again.NickName != tt.want.NickName {
			t.Errorf("%s: Payee = %+v, %v", tt.name, again, err)
		}
	}
	_, err = e.c.UpdatePayee(ctx, tok, "4c0a3f49-0000-4000-8000-000000000000", copperx.UpdatePayeeRequest{NickName: "x"})
	if !errors.Is(err, copperx.ErrNotFound) {
		t.Errorf("unknown payee: %v", err)
	}
}
