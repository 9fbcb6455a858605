package payees_test

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestRename: PUT /api/payees/{id} with the new nickname; the card comes
// back renamed; a nickname another payee has is refused in any case, the
// payee's own in another case is not.
func TestRename(t *testing.T) {
	e := newEnv(t, setup{})
	bob := addPayee(e, "Bob", "bob@example.com")
	addPayee(e, "Carol", "carol@example.com")
	e.Emu.ResetCalls()
	u := e.U
	u.Send("/payees")
	u.Tap("Bob")
	u.Tap("Rename").Expect(t, "Type a new nickname for <b>Bob</b> (bob@example.com), at most 32 characters")
	u.Send("carol").Expect(t, "You already have a payee called <b>carol</b>")
	u.Send("Bob\u200b").Expect(t, "only have visible characters")
	if n := writes(e); n != 0 {
		t.Fatalf("%d writes after refused nicknames", n)
	}
	u.Send("BOB").Expect(t, "Renamed to <b>BOB</b>", "👤 <b>BOB</b>")
	u.Tap("Rename")
	u.Send("Robert").Expect(t, "Renamed to <b>Robert</b>")
	wantSaved(t, e, "Robert <bob@example.com>", "Carol <carol@example.com>")
	puts := e.Emu.CallsTo("PUT", "/api/payees/"+bob.ID)
	if len(puts) != 2 || puts[1].Body["nickName"] != "Robert" {
		t.Fatalf("PUT calls = %+v", puts)
	}
	// Back leaves the name as it is.
	u.Tap("Rename")
	u.Tap("Back").Expect(t, "👤 <b>Robert</b>")
	if n := writes(e); n != 2 {
		t.Fatalf("%d writes, want 2", n)
	}
}

// TestRenameRemovedElsewhere: renaming a payee removed meanwhile says so
// and shows the list as it is.
func TestRenameRemovedElsewhere(t *testing.T) {
	e := newEnv(t, setup{})
	bob := addPayee(e, "Bob", "bob@example.com")
	u := e.U
	u.Send("/payees")
	u.Tap("Bob")
	u.Tap("Rename")
	if err := e.API.DeletePayee(context.Background(), token(e), bob.ID); err != nil {
		t.Fatal(err)
	}
	u.Send("Robert").Expect(t, "<b>Bob</b> is no longer among your payees", "You have no saved payees yet")
	wantSaved(t, e)
}

// TestRemove: Remove asks first; Back keeps the payee; Yes deletes it
// (DELETE /api/payees/{id}) and shows the list without it.
func TestRemove(t *testing.T) {
	e := newEnv(t, setup{})
	bob := addPayee(e, "Bob", "bob@example.com")
	addPayee(e, "Carol", "carol@example.com")
	u := e.U
	u.Send("/payees")
	u.Tap("Bob")
	m := u.Tap("Remove").LastOf(t, "edit")
	if !strings.Contains(m.Text, "Remove <b>Bob</b> (bob@example.com) from your payees?") || !slices.Equal(m.Labels(), []string{"🗑 Yes, remove", "⬅️ Back"}) {
		t.Fatalf("confirmation: %s %q", m.Text, m.Labels())
	}
	u.Tap("Back").Expect(t, "👤 <b>Bob</b>")
	wantSaved(t, e, "Bob <bob@example.com>", "Carol <carol@example.com>")
	u.Tap("Remove")
	r := u.Tap("Yes, remove").Expect(t, "🗑 Removed <b>Bob</b>.", "Carol")
	if slices.Contains(r.LastOf(t, "edit").Labels(), "Bob") {
		t.Fatal("the list still has a Bob button")
	}
	wantSaved(t, e, "Carol <carol@example.com>")
	if n := len(e.Emu.CallsTo("DELETE", "/api/payees/"+bob.ID)); n != 1 {
		t.Fatalf("%d DELETE calls, want 1", n)
	}
}

// TestRemoveRemovedElsewhere: confirming the removal of a payee already
// gone says so, without an apology.
func TestRemoveRemovedElsewhere(t *testing.T) {
	e := newEnv(t, setup{})
	bob := addPayee(e, "Bob", "bob@example.com")
	u := e.U
	u.Send("/payees")
	u.Tap("Bob")
	u.Tap("Remove")
	if err := e.API.DeletePayee(context.Background(), token(e), bob.ID); err != nil {
		t.Fatal(err)
	}
	u.Tap("Yes, remove").Expect(t, "<b>Bob</b> was already removed.", "You have no saved payees yet")
}

// TestStaleTapsAfterRemoval: after a removal, the buttons of the screens
// before it (the list that showed the payee, the confirmation) are stale:
// they answer "expired" and call nothing.
func TestStaleTapsAfterRemoval(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "Bob", "bob@example.com")
	addPayee(e, "Carol", "carol@example.com")
	u := e.U
	u.Send("/payees")
	listMsg, openBob := e.U.MustFindButton(t, "Bob")
	u.Tap("Bob")
	u.Tap("Remove")
	confirmMsg, yes := e.U.MustFindButton(t, "Yes, remove")
	u.Tap("Yes, remove").Expect(t, "Removed <b>Bob</b>")
	calls := len(e.Emu.Calls())
	// The list shown now has Carol where Bob was: the old "open 0" must
	// not open her.
	e.U.Retap(listMsg, openBob).Expect(t, "This button has expired")
	e.U.Retap(confirmMsg, yes).Expect(t, "This button has expired")
	if n := len(e.Emu.Calls()); n != calls {
		t.Fatalf("%d API calls from stale taps", n-calls)
	}
	wantSaved(t, e, "Carol <carol@example.com>")
}
