package payees

import (
	"errors"
	"html"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// add starts Add (/addpayee [email]): at the email question, or, with an
// email, at the nickname with one suggested. The transfer plugin's
// receipt links here with the recipient's email ("Save as payee").
func (p *Payees) add(c *kernel.Ctx) error {
	d := book{Page: 1}
	args := c.Args()
	if len(args) == 0 {
		return c.StartFlow("book", d, "email")
	}
	email, dup, taken, err := p.vetEmail(c, strings.Join(args, " "))
	var refusal *kernel.UserError
	switch {
	case errors.As(err, &refusal): // why, above the email question
		d.Notice = c.T(refusal.Key, refusal.Data)
		return c.StartFlow("book", d, "email")
	case err != nil:
		return err
	case dup != nil:
		d.Open = entryOf(*dup)
		d.Notice = c.T("payees.add.exists", map[string]any{"email": dup.Email, "nick": d.Open.label()})
		return c.StartFlow("book", d, "payee")
	}
	d.Email, d.Suggest = email, suggestNickname(email, taken, p.cfg.NicknameMax)
	return c.StartFlow("book", d, "nickname")
}

// startAdd is Add from the list.
func (p *Payees) startAdd(_ *kernel.Ctx, d *book) (kernel.Move, error) {
	d.FromList, d.Email, d.Suggest = true, "", ""
	return kernel.Next("email"), nil
}

// backOrCancel is Back to the list when Add started there, else the
// kernel's Cancel.
func backOrCancel(c *kernel.Ctx, d *book) kernel.Button {
	if d.FromList {
		return c.Tap("payees.button.back", "back")
	}
	return c.CancelButton()
}

// askEmail asks for the new payee's email.
func (p *Payees) askEmail(c *kernel.Ctx, d *book) error {
	text := takeNotice(d) + c.T("payees.add.ask_email", nil)
	_, err := c.Prompt(text, kernel.NewKeyboard().Row(backOrCancel(c, d)))
	return err
}

// takeEmail takes the typed email: a payee already saved under it is
// shown instead; a new one goes on to its nickname.
func (p *Payees) takeEmail(c *kernel.Ctx, d *book) (kernel.Move, error) {
	email, dup, taken, err := p.vetEmail(c, c.Text())
	if err != nil {
		return kernel.Stay, err
	}
	if dup != nil {
		d.Open = entryOf(*dup)
		d.Notice = c.T("payees.add.exists", map[string]any{"email": dup.Email, "nick": d.Open.label()})
		return kernel.Next("payee"), nil
	}
	d.Email, d.Suggest = email, suggestNickname(email, taken, p.cfg.NicknameMax)
	return kernel.Next("nickname"), nil
}

// vetEmail checks the email of a new payee as /send checks a recipient's:
// only ASCII blanks around it are dropped, then copperx.CheckEmail must
// accept it (an invisible or look-alike character is refused, never
// removed), and it must not be the user's own. It returns the email, the
// payee already saved under it (nil when none) and the nicknames in use.
func (p *Payees) vetEmail(c *kernel.Ctx, raw string) (string, *copperx.Payee, []string, error) {
	email, err := copperx.CheckEmail(strings.Trim(raw, " \t\r\n"))
	if err != nil {
		return "", nil, nil, kernel.Fail("payees.add.bad_email", nil)
	}
	if pr := c.Principal(); pr != nil && strings.EqualFold(pr.Email, email) {
		return "", nil, nil, kernel.Fail("payees.add.self", nil)
	}
	saved, err := p.allPayees(c)
	if err != nil {
		return "", nil, nil, err
	}
	var taken []string
	for i, pe := range saved {
		if strings.EqualFold(pe.Email, email) {
			return email, &saved[i], nil, nil
		}
		taken = append(taken, pe.NickName)
	}
	return email, nil, taken, nil
}

// askNickname asks what to call the new payee, offering the suggestion
// as a button.
func (p *Payees) askNickname(c *kernel.Ctx, d *book) error {
	text := takeNotice(d) + c.T("payees.add.ask_nickname", map[string]any{
		"email": d.Email, "limit": p.limit(c)})
	kb := kernel.NewKeyboard()
	if d.Suggest != "" {
		// A label is plain text: the suggestion unescaped.
		kb.Row(c.TapText(html.UnescapeString(c.T("payees.button.use", map[string]any{"nick": d.Suggest})), "use"))
	}
	_, err := c.Prompt(text, kb.Row(backOrCancel(c, d)))
	return err
}

// takeNickname saves the payee under the typed nickname.
func (p *Payees) takeNickname(c *kernel.Ctx, d *book) (kernel.Move, error) {
	return p.create(c, d, c.Text(), false)
}

// useSuggestion saves the payee under the suggested nickname.
func (p *Payees) useSuggestion(c *kernel.Ctx, d *book) (kernel.Move, error) {
	if d.Suggest == "" {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	return p.create(c, d, d.Suggest, true)
}

// create saves the payee (POST /api/payees) and shows its card. The
// nickname must be free among the user's payees as CopperX has them now;
// a suggestion taken meanwhile is replaced by a new one.
func (p *Payees) create(c *kernel.Ctx, d *book, typed string, suggested bool) (kernel.Move, error) {
	nick, err := p.checkNickname(c, typed)
	if err != nil {
		return kernel.Stay, err
	}
	saved, err := p.allPayees(c)
	if err != nil {
		return kernel.Stay, err
	}
	var taken []string
	for i, pe := range saved {
		if strings.EqualFold(pe.Email, d.Email) { // saved meanwhile (another chat, CopperX's site)
			d.Open = entryOf(saved[i])
			d.Notice = c.T("payees.add.exists", map[string]any{"email": pe.Email, "nick": d.Open.label()})
			return kernel.Next("payee"), nil
		}
		taken = append(taken, pe.NickName)
	}
	if nicknameTaken(nick, taken) {
		if suggested {
			d.Suggest = suggestNickname(d.Email, taken, p.cfg.NicknameMax)
			d.Notice = c.T("payees.nickname.taken", map[string]any{"nick": nick})
			return kernel.Next("nickname"), nil
		}
		return kernel.Stay, kernel.Fail("payees.nickname.taken", map[string]any{"nick": nick})
	}
	if ok, err := allowWrite(c); !ok {
		return kernel.Stay, err
	}
	tok, err := userToken(c)
	if err != nil {
		return kernel.Stay, err
	}
	created, err := p.api.CreatePayee(c, tok, copperx.CreatePayeeRequest{NickName: nick, Email: d.Email})
	if errors.Is(err, copperx.ErrValidation) {
		c.Log.Info("payee refused", "reason", copperx.ReasonOf(err))
		return kernel.Stay, kernel.Fail("payees.add.refused", nil)
	}
	if err != nil {
		return kernel.Stay, apiErr(c, "create payee", err)
	}
	d.Open = entryOf(*created)
	d.Email, d.Suggest = "", ""
	d.Notice = c.T("payees.add.saved", map[string]any{"nick": d.Open.label(), "email": d.Open.Email})
	return kernel.Next("payee"), nil
}

// checkNickname checks a typed nickname, refusing it with a reply.
func (p *Payees) checkNickname(c *kernel.Ctx, typed string) (string, error) {
	nick, err := checkNickname(typed, p.cfg.NicknameMax)
	switch {
	case errors.Is(err, errNicknameEmpty):
		return "", kernel.Fail("payees.nickname.empty", nil)
	case errors.Is(err, errNicknameLong):
		return "", kernel.Fail("payees.nickname.too_long", map[string]any{"limit": p.limit(c)})
	case err != nil:
		return "", kernel.Fail("payees.nickname.chars", nil)
	}
	return nick, nil
}

// limit is the longest nickname in words: "32 characters".
func (p *Payees) limit(c *kernel.Ctx) string {
	return c.Plural("payees.nickname.characters", p.cfg.NicknameMax, map[string]any{"n": p.cfg.NicknameMax})
}

// scanPages bounds how many pages of 100 allPayees reads.
const scanPages = 50

// allPayees lists every payee of the user (pages of 100, up to
// scanPages), for the uniqueness of nicknames and emails.
func (p *Payees) allPayees(c *kernel.Ctx) ([]copperx.Payee, error) {
	tok, err := userToken(c)
	if err != nil {
		return nil, err
	}
	var all []copperx.Payee
	for n := 1; n <= scanPages; n++ {
		page, err := p.api.Payees(c, tok, n, 100, "")
		if err != nil {
			return nil, apiErr(c, "list payees", err)
		}
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all, nil
		}
	}
	c.Log.Warn("more payees than allPayees reads; nickname uniqueness checked against the first pages", "pages", scanPages)
	return all, nil
}
