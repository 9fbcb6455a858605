package payees

import (
	"errors"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// askRename asks for the open payee's new nickname.
func (p *Payees) askRename(c *kernel.Ctx, d *book) error {
	text := takeNotice(d) + c.T("payees.rename.ask", map[string]any{
		"nick": d.Open.label(), "email": d.Open.Email, "limit": p.limit(c),
	})
	_, err := c.Prompt(text, kernel.NewKeyboard().Row(c.Tap("payees.button.back", "back")))
	return err
}

// takeRename renames the open payee (PUT /api/payees/{id}) to a nickname
// no other payee of the user has, and shows its card again.
func (p *Payees) takeRename(c *kernel.Ctx, d *book) (kernel.Move, error) {
	nick, err := p.checkNickname(c, c.Text())
	if err != nil {
		return kernel.Stay, err
	}
	saved, err := p.allPayees(c)
	if err != nil {
		return kernel.Stay, err
	}
	for _, pe := range saved {
		if pe.ID != d.Open.ID && strings.EqualFold(pe.NickName, nick) {
			return kernel.Stay, kernel.Fail("payees.nickname.taken", map[string]any{"nick": nick})
		}
	}
	if ok, err := allowWrite(c); !ok {
		return kernel.Stay, err
	}
	tok, err := userToken(c)
	if err != nil {
		return kernel.Stay, err
	}
	updated, err := p.api.UpdatePayee(c, tok, d.Open.ID, copperx.UpdatePayeeRequest{NickName: nick})
	switch {
	case errors.Is(err, copperx.ErrNotFound):
		d.Notice = c.T("payees.list.gone", map[string]any{"nick": d.Open.label()})
		d.Open = entry{}
		return kernel.Next("list"), nil
	case errors.Is(err, copperx.ErrValidation):
		c.Log.Info("rename refused", "reason", copperx.ReasonOf(err))
		return kernel.Stay, kernel.Fail("payees.rename.refused", nil)
	case err != nil:
		return kernel.Stay, apiErr(c, "update payee", err)
	}
	d.Open = entryOf(*updated)
	d.Notice = c.T("payees.rename.done", map[string]any{"nick": d.Open.label()})
	return kernel.Next("payee"), nil
}

// askRemove asks to confirm removing the open payee.
func (p *Payees) askRemove(c *kernel.Ctx, d *book) error {
	text := c.T("payees.remove.ask", map[string]any{"nick": d.Open.label(), "email": d.Open.Email})
	kb := kernel.NewKeyboard().Row(c.Tap("payees.button.confirm_remove", "yes"), c.Tap("payees.button.back", "back"))
	_, err := c.Prompt(text, kb)
	return err
}

// remove removes the open payee (DELETE /api/payees/{id}) and shows the
// list, saying so. A payee removed meanwhile is reported as such.
func (p *Payees) remove(c *kernel.Ctx, d *book) (kernel.Move, error) {
	if ok, err := allowWrite(c); !ok {
		return kernel.Stay, err
	}
	tok, err := userToken(c)
	if err != nil {
		return kernel.Stay, err
	}
	key := "payees.remove.done"
	err = p.api.DeletePayee(c, tok, d.Open.ID)
	switch {
	case errors.Is(err, copperx.ErrNotFound):
		key = "payees.remove.already"
	case err != nil:
		return kernel.Stay, apiErr(c, "delete payee", err)
	}
	d.Notice = c.T(key, map[string]any{"nick": d.Open.label()})
	d.Open = entry{}
	return kernel.Next("list"), nil
}
