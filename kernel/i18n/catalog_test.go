package i18n_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// load loads a testdata directory with English as the default language.
func load(t testing.TB, dir string) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load(os.DirFS("testdata/"+dir), "en")
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return c
}

func TestLoadGood(t *testing.T) {
	c := load(t, "good")
	if err := c.Check(); err != nil {
		t.Errorf("Check() = %v, want nil", err)
	}
	if got, want := c.Languages(), []string{"en", "es", "pt-BR", "ru"}; !slices.Equal(got, want) {
		t.Errorf("Languages() = %v, want %v", got, want)
	}
	if got := c.Default(); got != "en" {
		t.Errorf("Default() = %q, want en", got)
	}
	if got, want := c.Keys("es"), []string{"language.name", "start.welcome", "transfer.files", "transfer.sent"}; !slices.Equal(got, want) {
		t.Errorf("Keys(es) = %v, want %v", got, want)
	}
	if got := c.Keys("xx"); got != nil {
		t.Errorf("Keys(xx) = %v, want nil", got)
	}
	if got, want := c.Missing("es"), []string{"transfer.link", "transfer.method", "transfer.note", "transfer.only_en", "transfer.with_list"}; !slices.Equal(got, want) {
		t.Errorf("Missing(es) = %v, want %v", got, want)
	}
	if !c.Has("transfer.files") || c.Has("transfer") || c.Has("nope") {
		t.Errorf("Has: want transfer.files only")
	}
	for lang, want := range map[string]string{"en": "English", "es": "Español", "ru": "Русский", "xx": "English"} {
		if got := c.Name(lang); got != want {
			t.Errorf("Name(%s) = %q, want %q", lang, got, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"no default", fstest.MapFS{"es.yaml": {Data: []byte("a: b\n")}}, "en.yaml not found"},
		{"not yaml", fstest.MapFS{"en.yaml": {Data: []byte("a: [b\n")}}, "en.yaml"},
		{"not a map", fstest.MapFS{"en.yaml": {Data: []byte("- a\n")}}, "en.yaml: top level is not a map"},
		{"bad file name", fstest.MapFS{"en.yaml": {Data: []byte("a: b\n")}, "not_a_language!.yaml": {Data: []byte("a: b\n")}}, "not_a_language!.yaml: file name is not a language tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := i18n.Load(tt.fsys, "en")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := i18n.Load(os.DirFS("testdata/no_default"), "en"); err == nil {
		t.Errorf("Load(no_default) succeeded, want error")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		dir  string
		want []string // each is a substring of one line of the error
	}{
		{"extra_key", []string{"es.yaml:5: transfer.extra: not in en.yaml"}},
		{"bad_template", []string{"es.yaml:4: transfer.sent: template does not parse"}},
		{"no_other", []string{`es.yaml:4: transfer.files: plural map has no "other" form`}},
		{"bad_category", []string{`es.yaml:6: transfer.files: plural form "plural" is not a CLDR category`}},
		{"wrong_type", []string{
			"es.yaml:4: transfer.sent: value is a number",
			"es.yaml:5: transfer.files: value is a list",
		}},
		{"field_typo", []string{"es.yaml:4: transfer.sent: uses .amout, which the en.yaml version does not"}},
		{"plural_forms", []string{
			`en.yaml:8: transfer.transfers: plural form "zero" is never used in en`,
			`ru.yaml:4: transfer.files: plural form "few" is missing; ru uses it`,
			`ru.yaml:4: transfer.files: plural form "many" is missing; ru uses it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			err := load(t, tt.dir).Check()
			if err == nil {
				t.Fatalf("Check() = nil, want %d problems", len(tt.want))
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("Check() has %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for _, want := range tt.want {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, want) }) {
					t.Errorf("Check() = \n%v\nwant a line containing %q", err, want)
				}
			}
		})
	}
}

func TestCheckInline(t *testing.T) {
	tests := []struct {
		name string
		en   string
		want string
	}{
		{"no language name", "a: b\n", "en.yaml: language.name: missing"},
		{"duplicate", "language:\n  name: English\na: x\na: y\n", "en.yaml:4: a: defined twice (first on line 3)"},
		{"dotted key", "language:\n  name: English\na.b: x\n", "en.yaml:3: a.b: a key segment must be a non-empty name without dots"},
		{"empty value", "language:\n  name: English\na:\n", "en.yaml:3: a: value is empty"},
		{"boolean", "language:\n  name: English\na: true\n", "en.yaml:3: a: value is a boolean"},
		{"plural form not a string", "language:\n  name: English\na:\n  one: x\n  other: [y]\n", `en.yaml:5: a: plural form "other" is a list, want a string`},
		{"bare ampersand", "language:\n  name: English\na: \"Tom & Jerry\"\n", "en.yaml:3: a: Telegram would refuse this HTML: bare '&'"},
		{"unclosed tag", "language:\n  name: English\na: \"<b>{{.x}}\"\n", "en.yaml:3: a: Telegram would refuse this HTML: <b> is never closed"},
		{"unclosed in one branch", "language:\n  name: English\na: \"{{if .x}}<b>{{end}}y\"\n", "en.yaml:3: a: Telegram would refuse this HTML"},
		{"unclosed plural form", "language:\n  name: English\na:\n  one: \"<i>x\"\n  other: \"x\"\n", "en.yaml:3: a: Telegram would refuse this HTML"},
		{"unknown tag", "language:\n  name: English\na: \"<div>x</div>\"\n", "en.yaml:3: a: Telegram would refuse this HTML"},
		{"decimal mark", "language:\n  name: English\nformat:\n  decimal: \"dot\"\n", "en.yaml:4: format.decimal: must be one punctuation mark"},
		{"same marks", "language:\n  name: English\nformat:\n  decimal: \",\"\n  group: \",\"\n", "format.group: must differ from format.decimal"},
		{"date pattern", "language:\n  name: English\nformat:\n  date: \"DD.MM\"\n", "en.yaml:4: format.date: must contain YYYY once"},
		{"time pattern", "language:\n  name: English\nformat:\n  time: \"HH\"\n", "en.yaml:4: format.time: must contain mm once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := i18n.Load(fstest.MapFS{"en.yaml": {Data: []byte(tt.en)}}, "en")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBrokenFallsBack(t *testing.T) {
	c := load(t, "bad_template")
	got := c.T("es", "transfer.sent", map[string]any{"amount": 5, "email": "a@b.c"})
	if want := "Sent 5 to a@b.c."; got != want {
		t.Errorf("T(es, broken) = %q, want fallback %q", got, want)
	}
}

func TestMatch(t *testing.T) {
	c := load(t, "good")
	tests := []struct{ code, want string }{
		{"", "en"},
		{"en", "en"},
		{"en-US", "en"},
		{"es", "es"},
		{"es-ES", "es"},
		{"es-419", "es"},
		{"ES", "es"},
		{"pt-br", "pt-BR"},
		{"pt_BR", "pt-BR"},
		{"pt", "pt-BR"},
		{"ru", "ru"},
		{"uk", "en"},
		{"de", "en"},
		{"zh-hans", "en"},
		{"!!", "en"},
		{"  es  ", "es"},
	}
	for _, tt := range tests {
		if got := c.Match(tt.code); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestT(t *testing.T) {
	c := load(t, "good")
	type user struct{ Name string }
	tests := []struct {
		name, lang, key string
		data            map[string]any
		want            string
	}{
		{"plain", "en", "transfer.only_en", nil, "Only in English"},
		{"fields", "es", "transfer.sent", map[string]any{"amount": decimal.RequireFromString("10.50"), "email": "a@b.c"}, "Enviado <b>10.5 USDC</b> a a@b.c."},
		{"fallback to default", "es", "transfer.only_en", nil, "Only in English"},
		{"unknown language", "xx", "start.welcome", map[string]any{"name": "Ann"}, "Welcome, <b>Ann</b>!"},
		{"missing key", "es", "no.such.key", nil, "[missing: no.such.key]"},
		{"missing key escaped", "en", "<b>", nil, "[missing: &lt;b&gt;]"},
		{"absent field prints nothing", "en", "start.welcome", nil, "Welcome, <b></b>!"},
		{"escape string", "en", "transfer.note", map[string]any{"note": `<script>alert("x")</script> & co`}, "Note: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"},
		{"escape error", "en", "transfer.note", map[string]any{"note": errors.New("a < b")}, "Note: a &lt; b"},
		{"escape stringer", "en", "transfer.note", map[string]any{"note": stringer("<i>")}, "Note: &lt;i&gt;"},
		{"html passthrough", "en", "transfer.note", map[string]any{"note": i18n.HTML("<code>0x1 &amp; 0x2</code>")}, "Note: <code>0x1 &amp; 0x2</code>"},
		{"plus and apostrophe kept", "en", "transfer.note", map[string]any{"note": "+1 don't"}, "Note: +1 don't"},
		{"int", "en", "transfer.note", map[string]any{"note": 1000000}, "Note: 1000000"},
		{"float plain", "en", "transfer.note", map[string]any{"note": 1e6}, "Note: 1000000"},
		{"float fraction", "en", "transfer.note", map[string]any{"note": 0.25}, "Note: 0.25"},
		{"attribute", "en", "transfer.link", map[string]any{"url": `https://x.io/?a=1&b="2"`}, `<a href="https://x.io/?a=1&amp;b=&quot;2&quot;">Open</a>`},
		{"tg link kept", "en", "transfer.link", map[string]any{"url": "tg://resolve?domain=copperx"}, `<a href="tg://resolve?domain=copperx">Open</a>`},
		{"range escapes", "en", "transfer.with_list", map[string]any{"items": []string{"a", "<b>"}}, "[a][&lt;b&gt;]"},
		{"nested field escaped", "en", "transfer.method", map[string]any{"user": user{Name: "<Bob>"}}, "&lt;Bob&gt;"},
		{"execution error", "en", "transfer.method", map[string]any{"user": 5}, "[error: transfer.method]"},
		{"plural via T uses count", "en", "transfer.files", map[string]any{"count": 1}, "1 file"},
		{"plural via T without count", "en", "transfer.files", nil, " files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.T(tt.lang, tt.key, tt.data); got != tt.want {
				t.Errorf("T(%s, %s) = %q, want %q", tt.lang, tt.key, got, tt.want)
			}
		})
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

type panicker struct{}

func (panicker) String() string { panic("boom") }

func TestEscape(t *testing.T) {
	if got, want := i18n.Escape(`<a href="x">&</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"; got != want {
		t.Errorf("Escape = %q, want %q", got, want)
	}
}

func TestTPanickingValue(t *testing.T) {
	c := load(t, "good")
	got := c.T("en", "transfer.note", map[string]any{"note": panicker{}})
	if got != "[error: transfer.note]" {
		t.Errorf("T with panicking Stringer = %q, want error marker", got)
	}
}

func TestPlural(t *testing.T) {
	c := load(t, "good")
	d := decimal.RequireFromString
	tests := []struct {
		lang  string
		count any
		want  string
	}{
		{"en", 0, "0 files"},
		{"en", 1, "1 file"},
		{"en", 2, "2 files"},
		{"en", int64(1), "1 file"},
		{"en", uint(1), "1 file"},
		{"en", "1", "1 file"},
		{"en", "1.5", "1.5 files"},
		{"en", "1.0", "1.0 files"}, // v=1: other in English
		{"en", d("1.5"), "1.5 files"},
		{"en", d("1"), "1 file"},
		{"en", 1.0, "1 file"}, // a float loses its visible decimals
		{"en", 1.5, "1.5 files"},
		{"en", "not a number", "not a number files"},
		{"en", nil, " files"},
		{"es", 1, "1 archivo"},
		{"es", 0, "0 archivos"},
		{"es", 2, "2 archivos"},
		{"es", "1.0", "1.0 archivo"}, // es: n = 1, so 1.0 is one
		{"es", 1000000, "1000000 de archivos"},
		{"ru", 1, "1 файл"},
		{"ru", 21, "21 файл"},
		{"ru", 22, "22 файла"},
		{"ru", 25, "25 файлов"},
		{"ru", 11, "11 файлов"},
		{"ru", 111, "111 файлов"},
		{"ru", 104, "104 файла"},
		{"ru", d("1.5"), "1.5 файла"},
		{"pt-BR", 1, "1 file"}, // key missing in pt-BR: English text and English rules
		{"pt-BR", 2, "2 files"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.lang, tt.count), func(t *testing.T) {
			got := c.Plural(tt.lang, "transfer.files", tt.count, nil)
			if got != tt.want {
				t.Errorf("Plural(%s, %v) = %q, want %q", tt.lang, tt.count, got, tt.want)
			}
		})
	}
}

func TestPluralData(t *testing.T) {
	c := load(t, "good")
	data := map[string]any{"other": 1}
	if got := c.Plural("en", "transfer.files", 3, data); got != "3 files" {
		t.Errorf("Plural = %q", got)
	}
	if _, ok := data["count"]; ok {
		t.Errorf("Plural wrote to the caller's data")
	}
	// A count given in data is what the template prints.
	if got := c.Plural("en", "transfer.files", 1, map[string]any{"count": "one"}); got != "one file" {
		t.Errorf("Plural with data count = %q, want %q", got, "one file")
	}
	// A string message ignores the count.
	if got := c.Plural("en", "transfer.only_en", 5, nil); got != "Only in English" {
		t.Errorf("Plural on string message = %q", got)
	}
}

func TestUsedKeysCheck(t *testing.T) {
	c := load(t, "good")
	if err := c.UsedKeysCheck([]string{"transfer.sent", "language.name"}); err != nil {
		t.Errorf("UsedKeysCheck(known) = %v", err)
	}
	err := c.UsedKeysCheck([]string{"b.missing", "transfer.sent", "a.missing", "b.missing"})
	want := "en.yaml: a.missing: used in code but not defined\nen.yaml: b.missing: used in code but not defined"
	if err == nil || err.Error() != want {
		t.Errorf("UsedKeysCheck = %v, want %q", err, want)
	}
}

func TestConcurrent(t *testing.T) {
	c := load(t, "good")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				lang := c.Languages()[(i+j)%4]
				data := map[string]any{"name": "<x>", "amount": j, "email": "e"}
				_ = c.T(lang, "start.welcome", data)
				_ = c.T(lang, "transfer.sent", data)
				_ = c.Plural(lang, "transfer.files", j, data)
				_ = c.Match("es-ES")
			}
		})
	}
	wg.Wait()
}

func FuzzT(f *testing.F) {
	c := load(f, "good")
	f.Add("en", "transfer.note", "<script>&", int64(1), "1.5")
	f.Add("es", "transfer.files", "", int64(-21), "x")
	f.Add("ru", "transfer.method", "{{.x}}", int64(1<<62), "1e999999")
	f.Add("xx", "", "\x00", int64(0), "-0.00")
	f.Fuzz(func(t *testing.T, lang, key, s string, n int64, num string) {
		data := map[string]any{"name": s, "note": s, "amount": n, "email": i18n.HTML(s), "url": s, "user": s, "items": s, "count": num}
		_ = c.T(lang, key, data)
		_ = c.Plural(lang, key, num, data)
		_ = c.Plural(lang, key, n, nil)
		_ = c.Match(s)
		out := c.T("en", "transfer.note", map[string]any{"note": s})
		if strings.ContainsAny(strings.TrimPrefix(out, "Note: "), "<>\"") {
			t.Errorf("unescaped value in %q", out)
		}
	})
}

func TestFormatFromFiles(t *testing.T) {
	c, err := i18n.Load(fstest.MapFS{
		"en.yaml":    {Data: []byte("language:\n  name: English\nformat:\n  decimal: \".\"\n  group: \",\"\n")},
		"pt-BR.yaml": {Data: []byte("language:\n  name: Português\nformat:\n  decimal: \",\"\n  group: \".\"\n  date: \"DD/MM/YYYY\"\n")},
		"de.yaml":    {Data: []byte("language:\n  name: Deutsch\n")},
	}, "en")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	d := decimal.RequireFromString("1250.5")
	for lang, want := range map[string]string{"en": "1,250.50", "pt-BR": "1.250,50", "de": "1,250.50", "xx": "1,250.50"} {
		if got := c.Format(lang).Amount(d, 2); got != want {
			t.Errorf("Format(%s).Amount = %q, want %q", lang, got, want)
		}
	}
	got, err := c.Format("pt-BR").Parse("1.250,5")
	if err != nil || !got.Equal(d) {
		t.Errorf("pt-BR Parse = %v, %v", got, err)
	}
}

func TestOverlay(t *testing.T) {
	base := fstest.MapFS{
		"en.yaml": {Data: []byte("language:\n  name: English\ngreet: \"Hello {{.name}}\"\nbye: Bye\n")},
		"es.yaml": {Data: []byte("language:\n  name: Español\ngreet: \"Hola {{.name}}\"\nbye: Adiós\n")},
	}
	over := fstest.MapFS{
		"es.yaml":    {Data: []byte("bye: \"¡Chao!\"\n")},
		"pt-BR.yaml": {Data: []byte("language:\n  name: Português\ngreet: \"Olá {{.name}}\"\n")},
	}
	c, err := i18n.Load(base, "en", over)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, key, want string }{
		{"es", "bye", "¡Chao!"}, {"es", "greet", "Hola Ana"}, {"en", "bye", "Bye"},
		{"pt-BR", "greet", "Olá Ana"}, {"pt-BR", "bye", "Bye"},
	} {
		if got := c.T(tt.lang, tt.key, map[string]any{"name": "Ana"}); got != tt.want {
			t.Errorf("T(%s, %s) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	if got := c.Overridden(); len(got) != 1 || got[0] != "es: bye" {
		t.Errorf("Overridden() = %v", got)
	}
	// A typo in an overlay is caught, naming the overlay file.
	bad := fstest.MapFS{"es.yaml": {Data: []byte("by: \"x & y\"\n")}}
	c, err = i18n.Load(base, "en", bad)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Check()
	if err == nil || !strings.Contains(err.Error(), "overlay es.yaml:1: by: not in en.yaml") || !strings.Contains(err.Error(), "bare '&'") {
		t.Fatalf("Check() = %v", err)
	}
}
