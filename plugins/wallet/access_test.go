package wallet_test

import (
	"slices"
	"testing"
)

// Every action needs a login and a private chat; the /start menu's buttons
// send new messages.

func TestLoginRequired(t *testing.T) {
	e := newEnv(t, setup{noLogin: true})
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		e.U.Send(cmd).Expect(t, "Please log in first")
	}
	if n := len(e.Emu.Calls()); n != 0 {
		t.Fatalf("%d API calls without login", n)
	}
}

func TestPrivateChatsOnly(t *testing.T) {
	e := newEnv(t, setup{})
	group := e.H.Group(-100, 42)
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		group.Send(cmd).Expect(t, "only do this in a private chat")
	}
	if n := len(e.Emu.CallsTo("", "/api/wallets/balances")) + len(e.Emu.CallsTo("", "/api/wallets")); n != 0 {
		t.Fatalf("%d API calls from a group", n)
	}
}

func TestStartMenuSendsNewMessages(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	menu := u.Send("/start").LastOf(t, "send")
	for _, label := range []string{"Wallet balances", "Your wallets"} {
		r := u.Tap(label)
		if m := r.LastOf(t, "send"); m.ID == menu.ID {
			t.Fatalf("%s replaced the menu", label)
		}
		if slices.Contains(r.Kinds(), "edit") {
			t.Fatalf("%s edited a message: %v", label, r.Kinds())
		}
	}
	u.Tap("Deposit address").LastOf(t, "photo")
	if m := e.H.API.Message(42, menu.ID); m.Edits != 0 {
		t.Fatal("the /start menu was edited")
	}
}
