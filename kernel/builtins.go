package kernel

import (
	"fmt"
	"slices"
	"strings"
)

// start is the home screen: a welcome, a line from each plugin that has
// one (who is logged in, a balance), and a button per menu command the
// user can use now; a deep link (/start <command>) runs that command
// instead, and one with a plugin's prefix (StartParam) runs its action.
func (k *Kernel) start(c *Ctx) error {
	if len(c.args) == 1 {
		if cmd := k.byName[strings.ToLower(c.args[0])]; cmd != nil && (cmd.route == nil || cmd.route.plugin != "kernel") {
			return k.runCommand(c, cmd, nil)
		}
		if took, err := k.runStartParam(c, c.args[0]); took {
			return err
		}
	}
	name := ""
	if u := c.Update.Message; u != nil && u.From != nil {
		name = u.From.FirstName
	}
	text := c.T("kernel.start.welcome", map[string]any{"name": name})
	plugin := c.plugin
	for _, h := range k.home {
		c.plugin = h.plugin
		if line := h.line(c); line != "" {
			text += "\n\n" + line
		}
	}
	c.plugin = plugin
	text += "\n\n" + c.T("kernel.start.pick", nil)
	_, err := c.Send(text, k.menuKeyboard(c))
	return err
}

// menuKeyboard has a button per menu command the user can use now (see
// Ctx.Offered), two per row.
func (k *Kernel) menuKeyboard(c *Ctx) *Keyboard {
	var buttons []Button
	for _, cmd := range k.menu {
		if cmd.route == nil || cmd.route.plugin == "kernel" || !c.Offered(cmd.route.name) {
			continue
		}
		if b, ok := c.actionButton(c.T("commands."+cmd.name, nil), cmd.route.name); ok {
			buttons = append(buttons, b)
		}
	}
	return NewKeyboard().Grid(2, buttons...)
}

// help lists the enabled commands with their descriptions.
func (k *Kernel) help(c *Ctx) error {
	var b strings.Builder
	b.WriteString(c.T("kernel.help.title", nil))
	for _, cmd := range k.commands {
		b.WriteString("\n")
		line := "/" + cmd.name
		if len(cmd.aliases) > 0 {
			line += ", /" + strings.Join(cmd.aliases, ", /")
		}
		b.WriteString(c.T("kernel.help.line", map[string]any{"command": line, "description": c.T("commands."+cmd.name, nil)}))
	}
	_, err := c.Send(b.String(), nil)
	return err
}

// cancel ends the open flow (/cancel, or the Cancel button of a flow's
// prompt, "kernel:cancel:<nonce>"). The tapped prompt becomes "Cancelled";
// a Cancel of a flow that already ended only loses its buttons.
func (k *Kernel) cancel(c *Ctx) error {
	f := c.sess.Flow
	if c.IsCallback() {
		if f == nil || len(c.args) != 1 || c.args[0] != f.Nonce {
			_ = c.RemoveButtons(c.MessageID())
			c.Answer(c.T("kernel.cancel.nothing", nil), false)
			return nil
		}
		c.sess.Flow, c.flow = nil, nil
		if f.Prompt != 0 && f.Prompt != c.MessageID() {
			_ = c.RemoveButtons(f.Prompt)
		}
		_, err := c.Show(c.T("kernel.cancel.done", nil), nil)
		return err
	}
	if f == nil {
		_, err := c.Say("kernel.cancel.nothing", nil, nil)
		return err
	}
	c.endFlowQuietly()
	_, err := c.Say("kernel.cancel.done", nil, nil)
	return err
}

// language offers the available languages.
func (k *Kernel) language(c *Ctx) error {
	kb := NewKeyboard()
	for _, lang := range k.catalog.Languages() {
		label := k.catalog.Name(lang)
		if lang == c.Lang {
			label = "✓ " + label
		}
		kb.Row(c.ButtonText(label, "lang", lang))
	}
	_, err := c.Say("kernel.language.choose", nil, kb)
	return err
}

// setLanguage keeps the chosen language in the session.
func (k *Kernel) setLanguage(c *Ctx) error {
	if len(c.args) != 1 || !slices.Contains(k.catalog.Languages(), c.args[0]) {
		return ErrStaleCallback
	}
	c.sess.Lang = c.args[0]
	c.Lang = c.args[0]
	text := c.T("kernel.language.set", nil)
	if c.sess.Flow != nil {
		// Amounts typed next would be read with the new language's
		// separators under the old prompt: start the flow afresh instead.
		c.endFlowQuietly()
		text += "\n" + c.T("kernel.language.flow_ended", nil)
	}
	_, err := c.Show(text, nil)
	return err
}

// runAction runs the action behind a button of another plugin's (or the
// /start menu's) screen, "kernel:run:<action>[:args]", as if its command
// had been sent: whatever command config binds it to, with its guards. An
// action no enabled command binds any more is a stale button.
func (k *Kernel) runAction(c *Ctx) error {
	if len(c.args) == 0 {
		return ErrStaleCallback
	}
	cmd := k.bound[c.args[0]]
	if cmd == nil {
		return ErrStaleCallback
	}
	args, ok, err := c.keptArgsFor(c.args[0], c.args[1:])
	if err != nil {
		return fmt.Errorf("kept button arguments: %w", err)
	}
	if !ok {
		return ErrStaleCallback
	}
	c.endFlowQuietly()
	return k.runCommand(c, cmd, args)
}

// Offered reports whether menus offer action to the user now: a command
// binds it, its guards' quiet checks pass, and its Offer (if any) agrees.
func (c *Ctx) Offered(action string) bool {
	rt := c.k.actions[action]
	if rt == nil || c.k.bound[action] == nil {
		return false
	}
	plugin := c.plugin
	defer func() { c.plugin = plugin }()
	for _, g := range rt.guards {
		gd := c.k.guards[g]
		if gd == nil {
			return false
		}
		if gd.check != nil {
			c.plugin = gd.plugin
			if !gd.check(c) {
				return false
			}
		}
	}
	if rt.offer != nil {
		c.plugin = rt.plugin
		return rt.offer(c)
	}
	return true
}
