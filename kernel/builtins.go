package kernel

import (
	"slices"
	"strings"
)

// start welcomes the user with a button menu of the enabled features; a deep
// link (/start <command>) runs that command instead.
func (k *Kernel) start(c *Ctx) error {
	if len(c.args) == 1 {
		if cmd := k.byName[strings.ToLower(c.args[0])]; cmd != nil && (cmd.route == nil || cmd.route.plugin != "kernel") {
			return k.runCommand(c, cmd, nil)
		}
	}
	name := ""
	if u := c.Update.Message; u != nil && u.From != nil {
		name = u.From.FirstName
	}
	_, err := c.Say("kernel.start.welcome", map[string]any{"name": name}, k.menuKeyboard(c))
	return err
}

// menuKeyboard has a button per enabled feature command, two per row.
func (k *Kernel) menuKeyboard(c *Ctx) *Keyboard {
	kb := NewKeyboard()
	var row []Button
	for _, cmd := range k.menu {
		if cmd.route != nil && cmd.route.plugin == "kernel" {
			continue
		}
		d, err := CallbackData("kernel", "run", cmd.name)
		if err != nil {
			continue
		}
		row = append(row, Button{Text: c.T("commands."+cmd.name, nil), Data: d})
		if len(row) == 2 {
			kb.Row(row...)
			row = nil
		}
	}
	kb.Row(row...)
	return kb
}

// help lists the enabled commands with their descriptions.
func (k *Kernel) help(c *Ctx) error {
	var b strings.Builder
	b.WriteString(c.T("kernel.help.title", nil))
	for _, cmd := range k.commands {
		if cmd.route != nil && cmd.route.name == "kernel.start" {
			continue
		}
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

// cancel ends the open flow, if any.
func (k *Kernel) cancel(c *Ctx) error {
	if c.IsCallback() {
		_ = c.RemoveButtons(c.MessageID())
	}
	if c.sess.Flow == nil {
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
		label := k.catalog.T(lang, "language.name", nil)
		if lang == c.Lang {
			label = "✓ " + label
		}
		d, err := CallbackData("kernel", "lang", lang)
		if err != nil {
			return err
		}
		kb.Row(Button{Text: label, Data: d})
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

// runMenu runs the command behind a /start menu button.
func (k *Kernel) runMenu(c *Ctx) error {
	if len(c.args) != 1 {
		return ErrStaleCallback
	}
	cmd := k.byName[c.args[0]]
	if cmd == nil || !cmd.menu {
		return ErrStaleCallback
	}
	c.endFlowQuietly()
	return k.runCommand(c, cmd, nil)
}
