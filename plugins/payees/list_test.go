package payees_test

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestListPaging: pages of page_size as the API pages them (GET
// /api/payees?page&limit), Prev/Next in place, and the page line.
func TestListPaging(t *testing.T) {
	e := newEnv(t, setup{})
	addPayees(e, 19) // 8 + 8 + 3
	u := e.U
	first := u.Send("/payees").LastOf(t, "send")
	if !strings.Contains(first.Text, "Page 1 of 3") || !strings.Contains(first.Text, "p01@example.com") || strings.Contains(first.Text, "p09") {
		t.Fatalf("page 1:\n%s", first.Text)
	}
	if got := first.Labels(); !slices.Contains(got, "Next ➡️") || slices.Contains(got, "⬅️ Prev") || !slices.Contains(got, "p08") {
		t.Fatalf("page 1 buttons = %q", got)
	}
	for _, step := range []struct {
		tap, page, has, hasNot string
		prev, next             bool
	}{
		{"Next", "Page 2 of 3", "p09", "p08", true, true},
		{"Next", "Page 3 of 3", "p19", "p16", true, false},
		{"Prev", "Page 2 of 3", "p16", "p17", true, true},
		{"Prev", "Page 1 of 3", "p01", "p09", false, true},
	} {
		r := u.Tap(step.tap)
		m := r.LastOf(t, "edit")
		if m.ID != first.ID {
			t.Fatalf("%s sent a new message instead of editing the list", step.tap)
		}
		if !strings.Contains(m.Text, step.page) || !strings.Contains(m.Text, step.has) || strings.Contains(m.Text, step.hasNot+"@") {
			t.Fatalf("after %s, want %s with %s and without %s:\n%s", step.tap, step.page, step.has, step.hasNot, m.Text)
		}
		got := m.Labels()
		if slices.Contains(got, "⬅️ Prev") != step.prev || slices.Contains(got, "Next ➡️") != step.next {
			t.Fatalf("after %s, buttons = %q", step.tap, got)
		}
	}
	// Each page is one call with the configured limit.
	for _, c := range e.Emu.CallsTo("GET", "/api/payees") {
		if c.Query.Get("limit") != "8" {
			t.Fatalf("listed with limit %q, want 8", c.Query.Get("limit"))
		}
	}
}

// TestListPageSize: page_size from config.
func TestListPageSize(t *testing.T) {
	e := newEnv(t, setup{config: "plugins: {payees: {page_size: 3}}"})
	addPayees(e, 4)
	m := e.U.Send("/payees").LastOf(t, "send")
	if !strings.Contains(m.Text, "Page 1 of 2") || strings.Contains(m.Text, "p04") {
		t.Fatalf("page of 3:\n%s", m.Text)
	}
}

// TestListShrunk: a page beyond the end (payees removed elsewhere) shows
// the last page there is.
func TestListShrunk(t *testing.T) {
	e := newEnv(t, setup{config: "plugins: {payees: {page_size: 2}}"})
	addPayees(e, 5)
	u := e.U
	u.Send("/payees")
	u.Tap("Next")
	u.Tap("Next").Expect(t, "Page 3 of 3", "p05")
	page, err := e.API.Payees(context.Background(), token(e), 1, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Data[2:] {
		if err := e.API.DeletePayee(context.Background(), token(e), p.ID); err != nil {
			t.Fatal(err)
		}
	}
	r := u.Tap("Prev").Expect(t, "p01", "p02")
	if r.Contains("Page") {
		t.Fatalf("one page left, yet a page line:\n%s", r.Text())
	}
}

// TestListFilter: text typed at the list searches nicknames and emails
// (the API's searchText), from page 1; Show all drops the search.
func TestListFilter(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "Bob", "bob@example.com")
	addPayee(e, "Carol", "carol@work.example")
	addPayee(e, "Dan", "dan@example.com")
	u := e.U
	u.Send("/payees")
	for _, tc := range []struct {
		typed  string
		want   []string
		absent []string
	}{
		{"car", []string{"Payees matching “car”", "Carol"}, []string{"Bob", "Dan"}},
		{"EXAMPLE.COM", []string{"Bob", "Dan"}, []string{"Carol"}},
		{"work.example", []string{"Carol"}, []string{"Bob"}},
		{"<b>zed", []string{"No payee matches “&lt;b&gt;zed”", "Show all"}, []string{"Bob"}},
	} {
		r := u.Send(tc.typed).Expect(t, tc.want...)
		for _, s := range tc.absent {
			if r.Contains("<b>" + s + "</b>") {
				t.Fatalf("search %q shows %s:\n%s", tc.typed, s, r.Text())
			}
		}
		if q := e.Emu.CallsTo("GET", "/api/payees"); q[len(q)-1].Query.Get("searchText") != tc.typed {
			t.Fatalf("search %q sent searchText=%q", tc.typed, q[len(q)-1].Query.Get("searchText"))
		}
	}
	u.Tap("Show all").Expect(t, "Your payees", "Bob", "Carol", "Dan")
	u.Send(strings.Repeat("x", 255)).Expect(t, "That search is too long")
	// /payees with words searches straight away.
	u.Send("/payees dan").Expect(t, "Payees matching “dan”", "Dan")
}

// TestListEmptyAndClose: no payees says how to add one; Close ends the
// flow (text typed after it is not a search).
func TestListEmptyAndClose(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	m := u.Send("/payees").LastOf(t, "send")
	if !strings.Contains(m.Text, "You have no saved payees yet") || !slices.Equal(m.Labels(), []string{"➕ Add payee", "✖️ Close"}) {
		t.Fatalf("empty list: %s %q", m.Text, m.Labels())
	}
	u.Tap("Close")
	if got := e.H.API.Message(u.ChatID, m.ID); len(got.AllButtons()) != 0 || got.Text != m.Text {
		t.Fatalf("after Close the list is %q with %q", got.Text, got.Labels())
	}
	u.Send("bob").Expect(t, "I didn't understand that")
}

// TestOpenPayeeRemovedElsewhere: tapping a payee that was removed since
// the list was shown (on CopperX's site, say) says so and shows the list
// as it is now.
func TestOpenPayeeRemovedElsewhere(t *testing.T) {
	e := newEnv(t, setup{})
	bob := addPayee(e, "Bob", "bob@example.com")
	addPayee(e, "Carol", "carol@example.com")
	u := e.U
	u.Send("/payees")
	if err := e.API.DeletePayee(context.Background(), token(e), bob.ID); err != nil {
		t.Fatal(err)
	}
	r := u.Tap("Bob").Expect(t, "<b>Bob</b> is no longer among your payees", "Carol")
	m := r.LastOf(t, "edit")
	if slices.Contains(m.Labels(), "Bob") {
		t.Fatalf("Bob still has a button: %q", m.Labels())
	}
}
