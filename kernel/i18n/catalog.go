// Package i18n is the bot's message catalog.
//
// Messages live in one YAML file per language, locales/<lang>.yaml, where the
// file stem is a BCP 47 language tag ("en", "es", "pt-BR"). Files are nested
// maps; a message key is the dotted path to a leaf ("transfer.amount.prompt"),
// so the first segment is the plugin's name. A leaf is either
//
//   - a string: a text/template with named fields, "Sent {{.amount}} to {{.email}}";
//   - a plural map whose keys are CLDR cardinal categories (zero, one, two,
//     few, many, other; other is required), each a template as above.
//
// A map is a plural map when at least one of its keys is a CLDR category
// with a string value; anything else is a section of nested keys.
//
// A template may name a command by the action it runs, {{cmd `transfer.send`}}:
// it renders as "/send", or as whatever config renamed the command to (""
// when no command runs the action), so messages never point at a command
// that is not there.
//
// A file's "format" section says how the language writes numbers, dates
// and times (see Format); a key it leaves out comes from the default
// language.
//
// Output is Telegram HTML: templates may contain <b>, <i>, <code>, <pre>,
// <a href="...">. Every value a template prints is HTML-escaped (&, <, > and
// "), whether it is a string, an error or a fmt.Stringer; numbers are printed
// plainly ("1000000", "1.5"); a value of type HTML is printed as is. Use
// double quotes around attribute values.
//
// The default language is the reference: every other file may only define
// keys it has, and a key missing from a language falls back to it. Each file
// defines language.name, the language's own name ("Español"), for a
// language menu.
//
// Load fails only when a file cannot be read or decoded. Content problems
// (unknown keys, templates that do not parse, malformed plural maps) are
// reported by Check, which tests and start-up should call; meanwhile a
// broken message falls back to the default language, and rendering never
// panics: a message that is missing everywhere renders as "[missing: key]",
// one that fails everywhere as "[error: key]".
//
// A Catalog is immutable after Load and safe for concurrent use.
package i18n

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// NameKey is the key of a language's own name, which every file defines.
const NameKey = "language.name"

// HTML is a pre-rendered Telegram HTML fragment: a template prints it
// without escaping. Build it only from trusted text and values passed
// through Escape.
type HTML string

// Catalog holds the messages of every language. Build it with Load.
type Catalog struct {
	def     *locale            // the default language, the reference
	locales map[string]*locale // by language id (file stem)
	langs   []string           // default first, then sorted
	matcher language.Matcher   // over langs, in that order
	formats map[string]Format  // by language id
	cmds    *commands
	// overridden lists the "<lang>: <key>" an overlay replaced.
	overridden []string
	// matched caches Match (language_code → language), which every update
	// asks and language.Matcher answers slowly; at most maxMatched codes.
	matched      sync.Map
	matchedCount atomic.Int64
}

// maxMatched bounds Match's cache: Telegram's language codes are a few
// hundred; a client sending made-up ones gets answers, not memory.
const maxMatched = 1024

// locale is one language file.
type locale struct {
	lang     string
	file     string
	tag      language.Tag
	msgs     map[string]*message
	keys     []string // sorted
	problems []problem
	plural   *goi18n.Localizer // nil when CLDR has no rules for tag
	cmds     *commands
}

// message is one leaf of a file.
type message struct {
	file   string // where it is defined (an overlay's file, when overridden)
	line   int
	broken bool             // a template or plural map is invalid; never rendered
	text   *tmpl            // string leaf
	forms  map[string]*tmpl // plural leaf, by CLDR category
	fields map[string]bool  // top-level data fields the templates use
}

// Load reads every *.yaml file at the root of fsys; each file's stem is its
// language tag. The defaultLang file must exist: it is the reference for
// Check and the fallback for missing keys. Load fails if a file cannot be
// read, is not valid YAML, is not a map, or has a stem that is not a
// language tag; other problems are left to Check.
//
// Each overlay is a folder of partial language files laid over fsys: a
// key an overlay file defines replaces that language's message (so an
// operator changes one message without a copy of every file), a file of a
// language fsys lacks adds the language, and everything else comes from
// fsys. Check validates the merged catalog; Overridden lists what the
// overlays replaced.
func Load(fsys fs.FS, defaultLang string, overlays ...fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("i18n: list locale files: %w", err)
	}
	c := &Catalog{locales: make(map[string]*locale, len(names)), cmds: &commands{}}
	var errs []error
	for _, name := range names {
		l, err := loadFile(fsys, name, c.cmds)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.locales[l.lang] = l
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, o := range overlays {
		if err := c.overlay(o); err != nil {
			return nil, err
		}
	}
	c.def = c.locales[defaultLang]
	if c.def == nil {
		return nil, fmt.Errorf("i18n: default language file %s.yaml not found", defaultLang)
	}
	for lang := range c.locales {
		if lang != defaultLang {
			c.langs = append(c.langs, lang)
		}
	}
	slices.Sort(c.langs)
	c.langs = append([]string{defaultLang}, c.langs...)
	tags := make([]language.Tag, len(c.langs))
	for i, lang := range c.langs {
		tags[i] = c.locales[lang].tag
	}
	c.matcher = language.NewMatcher(tags)
	c.formats = make(map[string]Format, len(c.langs))
	for _, lang := range c.langs {
		v := map[string]string{}
		for _, key := range formatKeys {
			if text := c.T(lang, key, nil); checkFormatValue(key, text) == nil {
				v[key] = text
			}
		}
		c.formats[lang] = newFormat(v)
	}
	return c, nil
}

// overlay lays the language files of o over the catalog.
func (c *Catalog) overlay(o fs.FS) error {
	names, err := fs.Glob(o, "*.yaml")
	if err != nil {
		return fmt.Errorf("i18n: list overlay files: %w", err)
	}
	var errs []error
	for _, name := range names {
		l, err := loadFile(o, name, c.cmds)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.file = "overlay " + name
		for _, m := range l.msgs {
			m.file = l.file
		}
		for i := range l.problems {
			l.problems[i].file = l.file
		}
		base := c.locales[l.lang]
		if base == nil {
			c.locales[l.lang] = l
			continue
		}
		for _, key := range l.keys {
			if _, ok := base.msgs[key]; !ok {
				base.keys = append(base.keys, key)
			}
			base.msgs[key] = l.msgs[key]
			c.overridden = append(c.overridden, l.lang+": "+key)
		}
		slices.Sort(base.keys)
		base.problems = append(base.problems, l.problems...)
	}
	return errors.Join(errs...)
}

// Overridden lists the messages overlays replaced, as "<lang>: <key>".
func (c *Catalog) Overridden() []string { return slices.Clone(c.overridden) }

// SetCommands sets how {{cmd "<plugin>.<action>"}} in a message becomes
// a command ("/send"): resolve returns "" for an action no command binds.
// Before it is set, {{cmd "x.send"}} renders as "/send".
func (c *Catalog) SetCommands(resolve func(action string) string) {
	c.cmds.mu.Lock()
	c.cmds.resolve = resolve
	c.cmds.mu.Unlock()
}

// Format is how lang writes numbers, dates and times (the default
// language's for an unknown lang).
func (c *Catalog) Format(lang string) Format {
	if f, ok := c.formats[lang]; ok {
		return f
	}
	return c.formats[c.def.lang]
}

// loadFile reads, decodes and compiles one language file.
func loadFile(fsys fs.FS, name string, cmds *commands) (*locale, error) {
	lang := strings.TrimSuffix(path.Base(name), ".yaml")
	tag, err := language.Parse(lang)
	if err != nil {
		return nil, fmt.Errorf("i18n: %s: file name is not a language tag: %w", name, err)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	l := &locale{
		lang:   lang,
		file:   name,
		tag:    tag,
		msgs:   map[string]*message{},
		plural: newPluralRules(tag),
		cmds:   cmds,
	}
	if err := l.decode(data); err != nil {
		return nil, fmt.Errorf("i18n: %s: %w", name, err)
	}
	for key := range l.msgs {
		l.keys = append(l.keys, key)
	}
	slices.Sort(l.keys)
	return l, nil
}

// Languages returns the available languages: the default first, then the
// others sorted.
func (c *Catalog) Languages() []string { return slices.Clone(c.langs) }

// Default returns the default language.
func (c *Catalog) Default() string { return c.def.lang }

// Name returns the language's own name (its language.name), for a menu.
func (c *Catalog) Name(lang string) string { return c.T(lang, NameKey, nil) }

// Match returns the available language that best fits a Telegram
// language_code ("es", "es-ES", "pt-br"), or the default language when none
// fits or code is empty or malformed.
func (c *Catalog) Match(code string) string {
	if lang, ok := c.matched.Load(code); ok {
		return lang.(string)
	}
	lang := c.match(code)
	if c.matchedCount.Add(1) <= maxMatched {
		c.matched.Store(code, lang)
	}
	return lang
}

func (c *Catalog) match(code string) string {
	code = strings.TrimSpace(code)
	if code == "" {
		return c.def.lang
	}
	tag, err := language.Parse(strings.ReplaceAll(code, "_", "-"))
	if err != nil && tag == language.Und {
		return c.def.lang
	}
	_, i, conf := c.matcher.Match(tag)
	if conf == language.No || i < 0 || i >= len(c.langs) {
		return c.def.lang
	}
	return c.langs[i]
}

// Has reports whether the default language defines key.
func (c *Catalog) Has(key string) bool {
	_, ok := c.def.msgs[key]
	return ok
}

// Keys returns the sorted keys defined in lang's file, or nil if there is
// no such language.
func (c *Catalog) Keys(lang string) []string {
	l := c.locales[lang]
	if l == nil {
		return nil
	}
	return slices.Clone(l.keys)
}

// Missing returns the sorted keys of the default language that lang's file
// does not define (they fall back to the default language): a translation
// to-do list. It is nil for the default language and unknown languages.
func (c *Catalog) Missing(lang string) []string {
	l := c.locales[lang]
	if l == nil || l == c.def {
		return nil
	}
	var missing []string
	for _, key := range c.def.keys {
		if _, ok := l.msgs[key]; !ok {
			missing = append(missing, key)
		}
	}
	return missing
}
