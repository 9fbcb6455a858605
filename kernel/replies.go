package kernel

import "strings"

// Replies: what a handler says and the buttons it offers.

// Button is a localized callback button for the current plugin's callback
// action with args ("<plugin>:<action>[:args]", ≤ 64 bytes). A button whose
// data does not fit makes the send fail, not the user's chat.
func (c *Ctx) Button(labelKey, action string, args ...string) Button {
	return c.ButtonText(c.T(labelKey, nil), action, args...)
}

// ButtonText is Button with a label built at run time (a network's name).
func (c *Ctx) ButtonText(label, action string, args ...string) Button {
	d, err := CallbackData(c.plugin, action, args...)
	if err != nil {
		c.Log.Error("bad callback button", "err", err)
		d = invalidData
	}
	return Button{Text: label, Data: d}
}

// ActionButton is a localized button that runs another plugin's action
// ("transfer.send") as its command would: whatever command config binds
// to it, guards included. ok is false, and the button must be left out,
// when no enabled command binds the action (its plugin is disabled, or
// config dropped the command). The action must be declared with
// Registrar.Link.
func (c *Ctx) ActionButton(labelKey, action string, args ...string) (Button, bool) {
	return c.actionButton(c.T(labelKey, nil), action, args...)
}

func (c *Ctx) actionButton(label, action string, args ...string) (Button, bool) {
	if !c.k.linked(c.plugin, action) {
		c.Log.Error("button to an action the plugin did not declare with Registrar.Link", "action", action)
		return Button{}, false
	}
	if c.k.bound[action] == nil {
		return Button{}, false
	}
	for _, a := range args {
		if strings.HasPrefix(a, argRefPrefix) || strings.Contains(a, ":") {
			return c.longActionButton(label, action, args)
		}
	}
	d, err := CallbackData("kernel", "run", append([]string{action}, args...)...)
	if err != nil {
		return c.longActionButton(label, action, args)
	}
	return Button{Text: label, Data: d}, true
}

// longActionButton is an action button whose arguments are kept in the
// session (they do not fit in the callback data, or could be misread).
func (c *Ctx) longActionButton(label, action string, args []string) (Button, bool) {
	ref, err := c.keepArgs(action, args)
	if err == nil {
		var d string
		if d, err = CallbackData("kernel", "run", action, ref); err == nil {
			return Button{Text: label, Data: d}, true
		}
	}
	c.Log.Error("bad action button", "action", action, "err", err)
	return Button{}, false
}

// CancelButton is the kernel's Cancel for a flow's prompt: it ends the
// flow and turns the prompt into "Cancelled". Outside a flow it is a
// button that only says there is nothing to cancel.
func (c *Ctx) CancelButton() Button {
	nonce := "-"
	if f := c.sess.Flow; f != nil {
		nonce = f.Nonce
	}
	d, _ := CallbackData("kernel", "cancel", nonce)
	return Button{Text: c.k.catalog.T(c.Lang, "kernel.cancel.button", nil), Data: d}
}

// URLButton is a localized link button.
func (c *Ctx) URLButton(labelKey, url string) Button {
	return Button{Text: c.T(labelKey, nil), URL: url}
}

// CopyButton is a localized copy-to-clipboard button.
func (c *Ctx) CopyButton(labelKey, text string) Button {
	return Button{Text: c.T(labelKey, nil), Copy: text}
}

// Send sends an HTML message to the chat and returns its id.
func (c *Ctx) Send(text string, kb *Keyboard) (int64, error) {
	id, err := c.k.send(c, c.ChatID, text, kb)
	c.touch(id)
	c.notePrompt(id, kb)
	return id, err
}

// Say sends the localized message key.
func (c *Ctx) Say(key string, data map[string]any, kb *Keyboard) (int64, error) {
	return c.Send(c.T(key, data), kb)
}

// Edit replaces the text and buttons of one of the bot's messages.
func (c *Ctx) Edit(messageID int64, text string, kb *Keyboard) error {
	err := c.k.edit(c, c.ChatID, messageID, text, kb)
	if err == nil {
		c.touch(messageID)
		c.notePrompt(messageID, kb)
	}
	return err
}

// Show edits the message whose button was tapped, or sends a new message
// when the update is not a button tap (Refresh, paging, a flow's next
// question after a tap).
func (c *Ctx) Show(text string, kb *Keyboard) (int64, error) {
	if c.IsCallback() && c.MessageID() != 0 {
		id := c.MessageID()
		if err := c.Edit(id, text, kb); err == nil {
			return id, nil
		}
	}
	return c.Send(text, kb)
}

// Prompt asks a flow step's question: it rewrites the step's previous
// prompt in place when the user tapped one of its buttons (the question
// after Email is the email prompt, in the same message), and sends a new
// message otherwise (after typed text, or a tap elsewhere such as a menu).
func (c *Ctx) Prompt(text string, kb *Keyboard) (int64, error) {
	if f := c.sess.Flow; f != nil && c.IsCallback() && f.Prompt != 0 && f.Prompt == c.MessageID() {
		if err := c.Edit(f.Prompt, text, kb); err == nil {
			return f.Prompt, nil
		}
	}
	return c.Send(text, kb)
}

// EditButtons replaces the inline keyboard of a message, keeping its text.
func (c *Ctx) EditButtons(messageID int64, kb *Keyboard) error {
	err := c.k.editButtons(c, c.ChatID, messageID, kb)
	if err == nil {
		c.touch(messageID)
		c.notePrompt(messageID, kb)
	}
	return err
}

// RemoveButtons removes the inline keyboard of a message.
func (c *Ctx) RemoveButtons(messageID int64) error { return c.EditButtons(messageID, nil) }

// Delete deletes a message in the chat (the user's too, in private chats).
func (c *Ctx) Delete(messageID int64) error { return c.k.deleteMessage(c, c.ChatID, messageID) }

// SendPhoto sends a PNG with an HTML caption.
func (c *Ctx) SendPhoto(name string, png []byte, caption string, kb *Keyboard) (int64, error) {
	id, err := c.k.sendPhoto(c, c.ChatID, name, png, caption, kb)
	c.touch(id)
	c.notePrompt(id, kb)
	return id, err
}

// SendDocument sends a file (a CSV statement) with an HTML caption.
func (c *Ctx) SendDocument(name string, data []byte, caption string, kb *Keyboard) (int64, error) {
	id, err := c.k.sendDocument(c, c.ChatID, name, data, caption, kb)
	c.touch(id)
	return id, err
}

// Answer answers the button tap with a short notice (or an alert); only the
// first answer counts, later ones are ignored.
func (c *Ctx) Answer(text string, alert bool) {
	if c.Update.CallbackQuery == nil || c.answered {
		return
	}
	c.answered = true
	c.k.answer(c, c.Update.CallbackQuery.Id, text, alert)
}

// touch records a message this update sent or rewrote.
func (c *Ctx) touch(id int64) {
	if id == 0 {
		return
	}
	if c.touched == nil {
		c.touched = map[int64]bool{}
	}
	c.touched[id] = true
}

// notePrompt remembers the newest flow message with buttons; the one it
// replaces loses its buttons, so only the current step's stay live.
func (c *Ctx) notePrompt(id int64, kb *Keyboard) {
	f := c.sess.Flow
	if id == 0 || f == nil {
		return
	}
	if kb.Empty() {
		if f.Prompt == id {
			f.Prompt = 0 // its buttons are gone: nothing to remove later
		}
		return
	}
	if f.Prompt != 0 && f.Prompt != id && (f.Chat == 0 || f.Chat == c.ChatID) {
		if err := c.k.removeButtons(c, c.ChatID, f.Prompt); err != nil {
			c.Log.Debug("could not remove the previous prompt's buttons", "err", err)
		}
	}
	f.Prompt = id
}

// endFlowQuietly ends the flow and removes its prompt's buttons.
func (c *Ctx) endFlowQuietly() {
	f := c.sess.Flow
	c.sess.Flow, c.flow = nil, nil
	if f != nil && f.Prompt != 0 {
		chat := f.Chat
		if chat == 0 {
			chat = c.ChatID
		}
		if err := c.k.removeButtons(c, chat, f.Prompt); err != nil {
			c.Log.Debug("could not remove the buttons of an ended flow", "err", err)
		}
	}
}

// parkForeignFlow hides a flow that runs in another of the user's chats
// from this update; unparkFlow puts it back before the session is saved.
func (c *Ctx) parkForeignFlow() {
	if f := c.sess.Flow; f != nil && f.Chat != 0 && f.Chat != c.ChatID {
		c.parked, c.sess.Flow = f, nil
	}
}

func (c *Ctx) unparkFlow() {
	if c.parked != nil && c.sess.Flow == nil {
		c.sess.Flow = c.parked
	}
	c.parked = nil
}
