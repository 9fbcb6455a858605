package notify

import (
	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// /notifications: the user's switch for deposit messages, one message with
// the state and the button that flips it.

// show answers /notifications: on or off, with the button that flips it.
func (n *Notify) show(c *kernel.Ctx) error {
	s, err := n.userSubscription(c)
	if err != nil {
		return err
	}
	return n.render(c, s)
}

// set turns the messages on or off (set:on, set:off) and edits the
// message in place.
func (n *Notify) set(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
		return kernel.ErrStaleCallback // no button of ours carries that
	}
	s, err := n.userSubscription(c)
	if err != nil {
		return err
	}
	if off := args[0] == "off"; s.Off != off {
		s.Off = off
		if _, err := n.subscriptions.save(c, s); err != nil {
			return err
		}
		c.Log.Info("deposit messages switched", "on", !off)
	}
	return n.render(c, s)
}

// userSubscription is the subscription of the user in c, made from their
// login when missing (a login from before the plugin was enabled).
func (n *Notify) userSubscription(c *kernel.Ctx) (subscription, error) {
	s, err := n.subscriptions.get(c, c.UserID)
	if err != nil {
		return subscription{}, err
	}
	if s != nil {
		return *s, nil
	}
	p := c.Principal()
	if p == nil || p.OrgID == "" {
		return subscription{}, kernel.Fail("notify.no_org", nil)
	}
	made := subscription{User: c.UserID, Chat: c.ChatID, Org: p.OrgID, Lang: c.Lang, Since: n.now()}
	n.subscribe(c, made, copperx.NewToken(p.Token.Reveal()))
	return made, nil
}

// render shows the state with the button that flips it.
func (n *Notify) render(c *kernel.Ctx, s subscription) error {
	key, label, arg := "notify.status.on", "notify.button.turn_off", "off"
	if s.Off {
		key, label, arg = "notify.status.off", "notify.button.turn_on", "on"
	}
	kb := kernel.NewKeyboard().Row(c.Button(label, "set", arg))
	_, err := c.Show(c.T(key, nil), kb)
	return err
}
