package payees

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// book is the data of the payees flow, kept by the kernel between updates.
type book struct {
	// Page is the list page shown (from 1); Filter the search typed at it.
	Page   int    `json:"page"`
	Filter string `json:"filter,omitempty"`
	// Shown are the payees behind the list's buttons, in order; Seq counts
	// the lists shown. A button carries Seq and an index into Shown, so it
	// can only name what the list it was on showed.
	Shown []entry `json:"shown,omitempty"`
	Seq   int     `json:"seq"`
	// Open is the payee whose card, rename or removal is on screen.
	Open entry `json:"open,omitzero"`
	// Email and Suggest are Add's: the email taken and the nickname offered
	// as a button. FromList: Add was started from the list (Back returns
	// there), else from /addpayee (Cancel ends it).
	Email    string `json:"email,omitempty"`
	Suggest  string `json:"suggest,omitempty"`
	FromList bool   `json:"fromList,omitempty"`
	// Notice is a line (HTML) put above the next screen once: "Saved",
	// "Removed", why an email was refused.
	Notice string `json:"notice,omitempty"`
}

// entry is a payee as the flow remembers it.
type entry struct {
	ID    string `json:"id"`
	Nick  string `json:"nick"`
	Email string `json:"email"`
	Name  string `json:"name,omitempty"` // first and last name, when CopperX has them
}

// entryOf is what the flow keeps of a payee.
func entryOf(p copperx.Payee) entry {
	return entry{ID: p.ID, Nick: p.NickName, Email: p.Email, Name: strings.TrimSpace(p.FirstName + " " + p.LastName)}
}

// label is the payee's name on a button (plain text, not HTML).
func (e entry) label() string {
	if e.Nick != "" {
		return e.Nick
	}
	return e.Email
}

// maxFilter is the longest search the list takes, in characters (an email
// address at most).
const maxFilter = copperx.MaxEmailLength

// book is the payees flow: the list, a payee's card, Rename, Remove and
// Add, in the order a user meets them.
func (p *Payees) book() kernel.Flow[book] {
	return kernel.Flow[book]{Version: 1, Steps: []kernel.Step[book]{
		{Name: "list", Ask: p.askList, Text: p.filter, Tap: kernel.Taps[book]{
			"open": p.open, "prev": p.prev, "next": p.next, "all": p.showAll, "add": p.startAdd, "close": p.close,
		}},
		{Name: "payee", Ask: p.askPayee, Tap: kernel.Taps[book]{
			"rename": goTo("rename"), "remove": goTo("remove"), "list": goTo("list"),
		}},
		{Name: "rename", Ask: p.askRename, Text: p.takeRename, Tap: kernel.Taps[book]{"back": goTo("payee")}},
		{Name: "remove", Ask: p.askRemove, Tap: kernel.Taps[book]{"yes": p.remove, "back": goTo("payee")}},
		{Name: "email", Ask: p.askEmail, Text: p.takeEmail, Tap: kernel.Taps[book]{"back": goTo("list")}},
		{Name: "nickname", Ask: p.askNickname, Text: p.takeNickname, Tap: kernel.Taps[book]{
			"use": p.useSuggestion, "back": goTo("list"),
		}},
	}}
}

// list starts the flow at the list (/payees [search]).
func (p *Payees) list(c *kernel.Ctx) error {
	d := book{Page: 1}
	if search := c.Text(); search != "" {
		if utf8.RuneCountInString(search) > maxFilter {
			return kernel.Fail("payees.list.search_too_long", nil)
		}
		d.Filter = search
	}
	return c.StartFlow("book", d)
}

// goTo is a button that only moves to step (Back, Rename, Remove).
func goTo(step string) func(c *kernel.Ctx, d *book) (kernel.Move, error) {
	return func(*kernel.Ctx, *book) (kernel.Move, error) { return kernel.Next(step), nil }
}

// takeNotice is the screen's one-time notice as its first lines ("" when
// there is none), and clears it.
func takeNotice(d *book) string {
	n := d.Notice
	d.Notice = ""
	if n == "" {
		return ""
	}
	return n + "\n\n"
}

// askList shows a page of payees (GET /api/payees, filtered by the
// search), one button each, with Prev/Next, Add and Close.
func (p *Payees) askList(c *kernel.Ctx, d *book) error {
	tok, err := userToken(c)
	if err != nil {
		return err
	}
	size := p.cfg.PageSize
	d.Page = max(d.Page, 1)
	page, err := p.api.Payees(c, tok, d.Page, size, d.Filter)
	if err != nil {
		return apiErr(c, "list payees", err)
	}
	if len(page.Data) == 0 && d.Page > 1 && page.Count > 0 { // the list got shorter: its last page
		d.Page = (page.Count + size - 1) / size
		if page, err = p.api.Payees(c, tok, d.Page, size, d.Filter); err != nil {
			return apiErr(c, "list payees", err)
		}
	}
	text := takeNotice(d)
	if d.Filter == "" {
		text += c.T("payees.list.title", nil)
	} else {
		text += c.T("payees.list.title_filtered", map[string]any{"filter": d.Filter})
	}
	d.Shown, d.Seq = d.Shown[:0], d.Seq+1
	seq := strconv.Itoa(d.Seq)
	kb := kernel.NewKeyboard()
	switch {
	case len(page.Data) == 0 && d.Filter == "":
		text += "\n\n" + c.T("payees.list.empty", nil)
	case len(page.Data) == 0:
		text += "\n\n" + c.T("payees.list.no_match", map[string]any{"filter": d.Filter})
	default:
		if pages := (page.Count + size - 1) / size; pages > 1 || d.Page > 1 {
			text += "\n" + c.T("payees.list.page", map[string]any{"page": d.Page, "pages": max(pages, d.Page)})
		}
		text += "\n"
		var buttons []kernel.Button
		for i, pe := range page.Data {
			e := entryOf(pe)
			d.Shown = append(d.Shown, e)
			text += "\n" + c.T("payees.list.line", map[string]any{"nick": e.label(), "email": e.Email})
			buttons = append(buttons, c.TapText(e.label(), "open", seq, strconv.Itoa(i)))
		}
		text += "\n\n" + c.T("payees.list.hint", nil)
		kb.Grid(2, buttons...)
		var nav []kernel.Button
		if d.Page > 1 {
			nav = append(nav, c.Tap("payees.button.prev", "prev"))
		}
		if page.HasMore {
			nav = append(nav, c.Tap("payees.button.next", "next"))
		}
		kb.Row(nav...)
	}
	if d.Filter != "" {
		kb.Row(c.Tap("payees.button.all", "all"))
	}
	kb.Row(c.Tap("payees.button.add", "add"), c.Tap("payees.button.close", "close"))
	_, err = c.Prompt(text, kb)
	return err
}

// filter takes text typed at the list as a search by nickname or email.
func (p *Payees) filter(c *kernel.Ctx, d *book) (kernel.Move, error) {
	if utf8.RuneCountInString(c.Text()) > maxFilter {
		return kernel.Stay, kernel.Fail("payees.list.search_too_long", nil)
	}
	d.Filter, d.Page = c.Text(), 1
	return kernel.Next("list"), nil
}

// prev and next turn the page.
func (p *Payees) prev(_ *kernel.Ctx, d *book) (kernel.Move, error) {
	d.Page = max(d.Page-1, 1)
	return kernel.Next("list"), nil
}

func (p *Payees) next(_ *kernel.Ctx, d *book) (kernel.Move, error) {
	d.Page++
	return kernel.Next("list"), nil
}

// showAll drops the search.
func (p *Payees) showAll(_ *kernel.Ctx, d *book) (kernel.Move, error) {
	d.Filter, d.Page = "", 1
	return kernel.Next("list"), nil
}

// close ends the flow; the list stays, without its buttons.
func (p *Payees) close(*kernel.Ctx, *book) (kernel.Move, error) { return kernel.Done, nil }

// open shows the card of a payee of the list, as CopperX has it now
// (tap "open:<seq>:<index>"); one removed meanwhile brings the list back.
// A button of an older list (before a removal, say) is stale.
func (p *Payees) open(c *kernel.Ctx, d *book) (kernel.Move, error) {
	args := c.Args()
	if len(args) != 2 || args[0] != strconv.Itoa(d.Seq) {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	i, err := strconv.Atoi(args[1])
	if err != nil || i < 0 || i >= len(d.Shown) || strconv.Itoa(i) != args[1] {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	tok, err := userToken(c)
	if err != nil {
		return kernel.Stay, err
	}
	pe, err := p.api.Payee(c, tok, d.Shown[i].ID)
	if errors.Is(err, copperx.ErrNotFound) {
		d.Notice = c.T("payees.list.gone", map[string]any{"nick": d.Shown[i].label()})
		return kernel.Next("list"), nil
	}
	if err != nil {
		return kernel.Stay, apiErr(c, "payee", err)
	}
	d.Open = entryOf(*pe)
	return kernel.Next("payee"), nil
}

// askPayee shows the open payee's card: Send (the transfer plugin's /send
// with the email), Rename, Remove, and back to the list.
func (p *Payees) askPayee(c *kernel.Ctx, d *book) error {
	e := d.Open
	text := takeNotice(d) + c.T("payees.card.title", map[string]any{"nick": e.label()}) +
		"\n" + c.T("payees.card.email", map[string]any{"email": e.Email})
	if e.Name != "" && e.Name != e.Nick {
		text += "\n" + c.T("payees.card.name", map[string]any{"name": e.Name})
	}
	kb := kernel.NewKeyboard()
	if email, err := copperx.CheckEmail(e.Email); err != nil {
		// An address with invisible or look-alike characters would show as
		// someone it is not: no Send (the send flow refuses it too).
		text += "\n\n" + c.T("payees.card.unsafe", nil)
	} else if b, ok := sendButton(c, email); ok {
		kb.Row(b)
	}
	kb.Row(c.Tap("payees.button.rename", "rename"), c.Tap("payees.button.remove", "remove"))
	kb.Row(c.Tap("payees.button.list", "list"))
	_, err := c.Prompt(text, kb)
	return err
}

// sendButton runs the transfer plugin's /send with the payee's email (an
// email too long for a button's data is kept by the kernel); ok is false
// while no command binds transfer.send.
func sendButton(c *kernel.Ctx, email string) (kernel.Button, bool) {
	return c.ActionButton("payees.button.send", "transfer.send", email)
}
