package i18n

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/shopspring/decimal"
	"golang.org/x/text/language"
)

// noData stands in for nil data, so that {{.x}} prints nothing instead of
// failing. It is never written.
var noData = map[string]any{}

// T renders the message key in lang with data. A key lang does not define,
// or cannot render, falls back to the default language; an unknown lang is
// the default language. A plural message takes its count from data["count"],
// or uses its "other" form. T never panics: a key missing everywhere renders
// as "[missing: key]", one that fails everywhere as "[error: key]".
func (c *Catalog) T(lang, key string, data map[string]any) string {
	count, ok := data["count"]
	return c.render(lang, key, count, ok, data)
}

// Plural renders the plural message key in lang, choosing the form by the
// CLDR cardinal rules of the language whose text is used. count is an
// integer, a decimal.Decimal, a float or a decimal string ("1.50"); a count
// that is none of these uses the "other" form. data["count"] is set to
// count unless data has it. A string message ignores count except as data.
// Fallbacks are as for T.
func (c *Catalog) Plural(lang, key string, count any, data map[string]any) string {
	if _, ok := data["count"]; !ok {
		d := make(map[string]any, len(data)+1)
		maps.Copy(d, data)
		d["count"] = count
		data = d
	}
	return c.render(lang, key, count, true, data)
}

// render renders key in lang, then in the default language.
func (c *Catalog) render(lang, key string, count any, hasCount bool, data map[string]any) string {
	if data == nil {
		data = noData
	}
	failed := false
	chain, n := c.chain(lang)
	for _, l := range chain[:n] {
		m := l.msgs[key]
		if m == nil || m.broken {
			continue
		}
		t := m.text
		if m.forms != nil {
			form := "other"
			if hasCount {
				form = l.form(count)
			}
			if t = m.forms[form]; t == nil {
				t = m.forms["other"]
			}
		}
		out, err := t.execute(data)
		if err == nil {
			return out
		}
		failed = true
	}
	if failed {
		return "[error: " + escaper.Replace(key) + "]"
	}
	return "[missing: " + escaper.Replace(key) + "]"
}

// chain returns the locales to try for lang, lang then the default, and
// how many there are (an array: rendering allocates no slice for it).
func (c *Catalog) chain(lang string) ([2]*locale, int) {
	if l := c.locales[lang]; l != nil && l != c.def {
		return [2]*locale{l, c.def}, 2
	}
	return [2]*locale{c.def}, 1
}

// Plural rules come from go-i18n, through a one-message Bundle per language
// whose forms are the category names, so that localizing it with a
// PluralCount returns the category. We prefer it to
// golang.org/x/text/feature/plural, whose tables are CLDR 32 (2017) and
// whose MatchPlural ignores the w, t and exponent operands; go-i18n follows
// current CLDR (e.g. Spanish "many" for millions) and parses decimal
// strings into operands itself.
const pluralID = "category"

// newPluralRules returns a localizer whose message renders the plural
// category of its PluralCount, or nil if CLDR has no rules for tag.
func newPluralRules(tag language.Tag) *goi18n.Localizer {
	b := goi18n.NewBundle(tag)
	err := b.AddMessages(tag, &goi18n.Message{
		ID: pluralID, Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other",
	})
	if err != nil {
		return nil
	}
	return goi18n.NewLocalizer(b, tag.String())
}

// form returns the CLDR cardinal category of count in l's language, or
// "other" when count is not a number or the language has no rules.
func (l *locale) form(count any) string {
	n, ok := operand(count)
	if !ok || l.plural == nil {
		return "other"
	}
	form, err := l.plural.Localize(&goi18n.LocalizeConfig{MessageID: pluralID, PluralCount: n})
	if err != nil || !isCategory(form) {
		return "other"
	}
	return form
}

// operand converts count to what go-i18n accepts (int64 or a decimal
// string), keeping the visible fraction digits of decimals: "1.50" has
// operands v=2, f=50, which some languages' rules need.
func operand(count any) (any, bool) {
	switch n := count.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return strconv.FormatUint(uint64(n), 10), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return strconv.FormatUint(n, 10), true
	case float32:
		return strconv.FormatFloat(float64(n), 'f', -1, 32), true
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64), true
	case decimal.Decimal:
		return decimalString(n), true
	case *decimal.Decimal:
		if n == nil {
			return nil, false
		}
		return decimalString(*n), true
	case string:
		s := strings.TrimSpace(n)
		if _, err := decimal.NewFromString(s); err != nil {
			return nil, false
		}
		return s, true
	case fmt.Stringer: // e.g. json.Number-like types
		return operand(n.String())
	}
	return nil, false
}

// decimalString formats d with its visible fraction digits ("1.50", not
// "1.5") and without an exponent.
func decimalString(d decimal.Decimal) string {
	if exp := d.Exponent(); exp < 0 {
		return d.StringFixed(-exp)
	}
	return d.String()
}
