package i18n

import (
	"github.com/copperx-bot/payoutbot/kernel/tghtml"

	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Check reports every content problem of the catalog, joined with
// errors.Join, each naming the file, line (when known) and key:
//
//   - a key segment that is empty or has a dot; a key defined twice;
//   - a leaf that is not a string or plural map (a number, a list, empty);
//   - a plural map with no "other" form, a form that is not a CLDR
//     category, or a form the language never uses ("zero" in English);
//   - a plural map missing a form its language uses for integers up to
//     1000 or simple decimals (a Russian map without "few");
//   - a template that does not parse;
//   - a key in a language that the default language lacks;
//   - a template that uses a data field that the default language's
//     version of the key does not use (a typo in {{.amout}});
//   - a file without language.name;
//   - a format value (format.decimal, format.group, format.date,
//     format.time) that cannot be used, or a decimal mark equal to the
//     thousands separator;
//   - a message that Telegram's HTML parse mode would refuse (a bare "&",
//     an unclosed tag), rendered with sample values and with none, so a
//     broken translation stops the bot at start instead of every reply
//     that uses it.
//
// It returns nil when there is none.
func (c *Catalog) Check() error {
	var errs []error
	for _, lang := range c.langs {
		l := c.locales[lang]
		ps := slices.Clone(l.problems)
		if _, ok := l.msgs[NameKey]; !ok {
			ps = append(ps, problem{file: l.file, key: NameKey, msg: "missing: each file names its language"})
		}
		ps = append(ps, c.checkFormat(l)...)
		needed, possible := l.categories()
		for _, key := range l.keys {
			m := l.msgs[key]
			if !m.broken {
				ps = append(ps, l.checkHTML(key, m)...)
			}
			ref := c.def.msgs[key]
			if ref == nil && !slices.Contains(formatKeys, key) {
				ps = append(ps, problem{m.file, m.line, key, "not in " + c.def.file})
				continue
			}
			if m.forms != nil && !m.broken && possible != nil {
				ps = append(ps, l.checkForms(key, m, needed, possible)...)
			}
			if ref != nil && l != c.def && !m.broken && !ref.broken {
				if extra := extraFields(m, ref); len(extra) > 0 {
					ps = append(ps, problem{m.file, m.line, key, fmt.Sprintf("uses .%s, which the %s version does not", strings.Join(extra, ", ."), c.def.file)})
				}
			}
		}
		slices.SortStableFunc(ps, func(a, b problem) int { return cmp.Compare(a.line, b.line) })
		for _, p := range ps {
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}

// checkFormat reports format values of l that cannot be used.
func (c *Catalog) checkFormat(l *locale) []problem {
	var ps []problem
	for _, key := range formatKeys {
		m := l.msgs[key]
		if m == nil || m.broken {
			continue
		}
		if m.forms != nil || m.text.t != nil {
			ps = append(ps, problem{m.file, m.line, key, "must be plain text, not a template or plural map"})
			continue
		}
		if err := checkFormatValue(key, m.text.static); err != nil {
			ps = append(ps, problem{m.file, m.line, key, err.Error()})
		}
	}
	if c.T(l.lang, keyDecimal, nil) == c.T(l.lang, keyGroup, nil) {
		ps = append(ps, problem{l.file, 0, keyGroup, "must differ from format.decimal"})
	}
	return ps
}

// checkHTML renders every form of m with a sample value in each field and
// with no values, and reports what Telegram would refuse to parse.
func (l *locale) checkHTML(key string, m *message) []problem {
	sample := make(map[string]any, len(m.fields))
	for f := range m.fields {
		sample[f] = "x"
	}
	ts := []*tmpl{m.text}
	if m.forms != nil {
		ts = ts[:0]
		for _, form := range categories {
			if t := m.forms[form]; t != nil {
				ts = append(ts, t)
			}
		}
	}
	for _, t := range ts {
		for _, data := range []map[string]any{sample, noData} {
			out, err := t.execute(data)
			if err != nil {
				continue // a template that cannot run is reported by its renders
			}
			if err := tghtml.Check(out); err != nil {
				return []problem{{m.file, m.line, key, "Telegram would refuse this HTML: " + err.Error()}}
			}
		}
	}
	return nil
}

// checkForms reports the forms of a plural message that l's language needs
// but lacks, or never uses.
func (l *locale) checkForms(key string, m *message, needed, possible map[string]bool) []problem {
	var ps []problem
	for _, form := range categories {
		_, has := m.forms[form]
		switch {
		case has && !possible[form]:
			ps = append(ps, problem{m.file, m.line, key, fmt.Sprintf("plural form %q is never used in %s", form, l.lang)})
		case !has && needed[form]:
			ps = append(ps, problem{m.file, m.line, key, fmt.Sprintf("plural form %q is missing; %s uses it", form, l.lang)})
		}
	}
	return ps
}

// categories returns the plural categories l's language uses for sample
// numbers: needed for integers 0–1000 and simple decimals, possible also
// for large round numbers (Spanish "many" is for millions, so it is
// allowed but not required). Both are nil if the language has no rules.
func (l *locale) categories() (needed, possible map[string]bool) {
	if l.plural == nil {
		return nil, nil
	}
	needed = map[string]bool{"other": true}
	for n := range 1001 {
		needed[l.form(n)] = true
	}
	for _, s := range []string{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "5.5", "10.5", "100.5"} {
		needed[l.form(s)] = true
	}
	possible = maps.Clone(needed)
	for _, n := range []any{1000000, 2000000, 1000000000, "1e6", "1.5e6"} {
		possible[l.form(n)] = true
	}
	return needed, possible
}

// extraFields returns the sorted data fields m uses that ref does not.
// "count" is always allowed in plural messages.
func extraFields(m, ref *message) []string {
	var extra []string
	for f := range m.fields {
		if !ref.fields[f] && !(f == "count" && (m.forms != nil || ref.forms != nil)) {
			extra = append(extra, f)
		}
	}
	slices.Sort(extra)
	return extra
}

// UsedKeysCheck reports the keys that the default language does not define,
// one error per key, joined; nil if there is none. The kernel calls it with
// the keys found in source code.
func (c *Catalog) UsedKeysCheck(keys []string) error {
	var missing []string
	for _, key := range keys {
		if !c.Has(key) {
			missing = append(missing, key)
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	errs := make([]error, len(missing))
	for i, key := range missing {
		errs[i] = problem{file: c.def.file, key: key, msg: "used in code but not defined"}
	}
	return errors.Join(errs...)
}
