package kernel

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// command is an enabled Telegram command.
type command struct {
	name    string
	aliases []string
	menu    bool
	route   *route // nil for a config-defined message command
	message string
	buttons []ButtonConfig
}

var commandPattern = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// builtins are always there; config may rename them or add aliases.
var builtins = []CommandConfig{
	{Name: "start", Action: "kernel.start"},
	{Name: "help", Action: "kernel.help", Menu: true},
	{Name: "cancel", Action: "kernel.cancel", Menu: true},
	{Name: "language", Action: "kernel.language", Menu: true},
}

func (k *Kernel) registerBuiltins() {
	r := &Registrar{k: k, plugin: "kernel"}
	r.Action("start", k.start)
	r.Action("help", k.help)
	r.Action("cancel", k.cancel)
	r.Action("language", k.language)
	r.Callback("run", k.runAction)
	r.Callback("lang", k.setLanguage)
	r.Callback("cancel", k.cancel)
}

// bindCommands turns the commands list into the command table.
func (k *Kernel) bindCommands() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, cfgErr(key, format, args...)) }
	list := slices.Clone(k.cfg.Commands)
	for _, b := range builtins {
		if !slices.ContainsFunc(list, func(c CommandConfig) bool { return c.Action == b.Action }) {
			list = append(list, b)
		}
	}
	taken := map[string]string{}
	claim := func(key, name string) {
		if !commandPattern.MatchString(name) {
			add(key, "%q is not a Telegram command name (1-32 of a-z 0-9 _)", name)
			return
		}
		if other, dup := taken[name]; dup {
			add(key, "/%s is already used by %s", name, other)
			return
		}
		taken[name] = key
	}
	for i, cc := range list {
		key := fmt.Sprintf("commands[%d]", i)
		if cc.Name != "" {
			key = fmt.Sprintf("commands[%d] (%s)", i, cc.Name)
		}
		claim(key+".name", cc.Name)
		for _, a := range cc.Aliases {
			claim(key+".aliases", a)
		}
		if strings.HasPrefix(cc.Action, "kernel.") && !cc.IsEnabled() {
			add(key+".enabled", "built-in /%s cannot be disabled", cc.Name)
		}
		if cc.Action == "kernel.start" && cc.Name != "start" {
			add(key+".name", "kernel.start must stay /start (Telegram sends /start when a chat opens); give it aliases instead")
		}
		if (cc.Action == "") == (cc.Message == "") {
			add(key, "needs exactly one of action or message")
			continue
		}
		cmd := &command{name: cc.Name, aliases: cc.Aliases, menu: cc.Menu, message: cc.Message, buttons: cc.Buttons}
		if cc.Action != "" {
			plugin, _, _ := strings.Cut(cc.Action, ".")
			rt, ok := k.actions[cc.Action]
			switch {
			case ok:
				cmd.route = rt
			case plugin != "kernel" && slices.Contains(k.pluginNames(), plugin) && !slices.Contains(k.enabled, plugin):
				continue // its plugin is disabled: the command vanishes
			default:
				add(key+".action", "unknown action %q (known: %s)", cc.Action, strings.Join(slices.Sorted(maps.Keys(k.actions)), ", "))
				continue
			}
			if other := k.bound[cc.Action]; other != nil && cc.IsEnabled() {
				add(key+".action", "%s is bound to /%s already; give /%s as an alias instead", cc.Action, other.name, cc.Name)
				continue
			}
		} else {
			if !k.catalog.Has(cc.Message) {
				add(key+".message", "locale key %q is missing from %s.yaml", cc.Message, k.catalog.Default())
			}
			for j, b := range cc.Buttons {
				bkey := fmt.Sprintf("%s.buttons[%d]", key, j)
				if !k.catalog.Has(b.Label) {
					add(bkey+".label", "locale key %q is missing from %s.yaml", b.Label, k.catalog.Default())
				}
				if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "tg") || u.Host == "" && u.Scheme != "tg" {
					add(bkey+".url", "%q is not an absolute URL", b.URL)
				}
			}
		}
		if !cc.IsEnabled() {
			continue
		}
		if descKey := "commands." + cc.Name; !k.catalog.Has(descKey) {
			add(key, "locale key %q (its description) is missing from %s.yaml", descKey, k.catalog.Default())
		}
		k.commands = append(k.commands, cmd)
		k.byName[cmd.name] = cmd
		for _, a := range cmd.aliases {
			k.byName[a] = cmd
		}
		if cmd.route != nil {
			k.bound[cmd.route.name] = cmd
		}
		if cmd.menu {
			k.menu = append(k.menu, cmd)
		}
	}
	return errors.Join(errs...)
}

// checkRoutes verifies that the guards and limits routes name exist. A
// plugin that provides guards others need, when disabled, is reported once
// ("wallet, transfer need plugin auth"), not once per action.
func (k *Kernel) checkRoutes() error {
	var errs []error
	needs := map[string][]string{} // disabled provider → plugins that need it
	var all []*route
	for _, m := range []map[string]*route{k.actions, k.callbacks} {
		for _, n := range slices.Sorted(maps.Keys(m)) {
			all = append(all, m[n])
		}
	}
	for _, n := range slices.Sorted(maps.Keys(k.flows)) {
		all = append(all, &k.flows[n].opts)
	}
	for _, rt := range all {
		for _, g := range rt.guards {
			if _, ok := k.guards[g]; ok {
				continue
			}
			owner, _, _ := strings.Cut(g, ".")
			switch {
			case slices.Contains(k.pluginNames(), owner) && !slices.Contains(k.enabled, owner):
				if !slices.Contains(needs[owner], rt.plugin) {
					needs[owner] = append(needs[owner], rt.plugin)
				}
			default:
				errs = append(errs, fmt.Errorf("plugin %s: %s needs guard %q, which no plugin provides", rt.plugin, rt.name, g))
			}
		}
		if rt.limit != "" {
			if _, ok := k.limits[rt.limit]; !ok {
				errs = append(errs, fmt.Errorf("plugin %s: %s uses rate limit %q, which is not declared", rt.plugin, rt.name, rt.limit))
			}
		}
	}
	order := k.pluginNames()
	for _, owner := range slices.Sorted(maps.Keys(needs)) {
		users := needs[owner]
		slices.SortFunc(users, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
		verb := "needs"
		if len(users) > 1 {
			verb = "need"
		}
		errs = append(errs, cfgErr("plugins."+owner+".enabled", "%s %s plugin %s: enable it, or disable them", strings.Join(users, ", "), verb, owner))
	}
	return errors.Join(errs...)
}

// checkLinks verifies every action a plugin links to: it must be declared
// by its plugin, unless that plugin is disabled (the button is not shown).
func (k *Kernel) checkLinks() error {
	var errs []error
	for _, l := range k.links {
		owner, _, _ := strings.Cut(l.action, ".")
		key := "plugin " + l.plugin
		if l.key != "" {
			key = "plugins." + l.plugin + "." + l.key
		}
		_, declared := k.actions[l.action]
		switch {
		case declared:
		case owner != "kernel" && slices.Contains(k.pluginNames(), owner) && !slices.Contains(k.enabled, owner):
		default:
			errs = append(errs, &ConfigError{Key: key, Err: fmt.Errorf("links to unknown action %q (known: %s)", l.action, strings.Join(slices.Sorted(maps.Keys(k.actions)), ", "))})
		}
	}
	return errors.Join(errs...)
}

// commandFor is the command that runs action ("/send"), or "" when no
// enabled command binds it.
func (k *Kernel) commandFor(action string) string {
	if cmd := k.bound[action]; cmd != nil {
		return "/" + cmd.name
	}
	return ""
}

// linked reports whether plugin declared a link to action.
func (k *Kernel) linked(plugin, action string) bool {
	return plugin == "kernel" || slices.ContainsFunc(k.links, func(l link) bool { return l.plugin == plugin && l.action == action })
}

// Commands lists the enabled commands as "/name → action" lines, for
// check-config.
func (k *Kernel) Commands() []string {
	out := make([]string, 0, len(k.commands))
	for _, c := range k.commands {
		target := "message " + c.message
		if c.route != nil {
			target = c.route.name
		}
		line := "/" + c.name + " → " + target
		if len(c.aliases) > 0 {
			line += " (aliases: /" + strings.Join(c.aliases, ", /") + ")"
		}
		if c.menu {
			line += " [menu]"
		}
		out = append(out, line)
	}
	return out
}

func (k *Kernel) runCommand(c *Ctx, cmd *command, args []string) error {
	if cmd.route == nil {
		kb := NewKeyboard()
		for _, b := range cmd.buttons {
			kb.Row(c.URLButton(b.Label, b.URL))
		}
		c.action = "command." + cmd.name
		_, err := c.Say(cmd.message, nil, kb)
		return err
	}
	c.command = cmd.name
	return k.runRoute(c, cmd.route, args)
}
