package i18n_test

import (
	"testing"
	"testing/fstest"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// benchLocales are messages of the shapes the bot renders on every update:
// static text, values, a command, a conditional and a plural.
var benchLocales = fstest.MapFS{"en.yaml": {Data: []byte(`
language: {name: "English"}
static: "<b>What I can do</b>"
line: "{{.command}} — {{.description}}"
command: "Log in first with {{cmd ` + "`auth.login`" + `}}."
branch: "{{if .name}}Hi {{.name}}{{else}}Hi{{end}}!"
files: {one: "{{.count}} file", other: "{{.count}} files"}
`)}}

// BenchmarkRender measures rendering one message of each shape; allocs/op
// is what the bot pays per message.
func BenchmarkRender(b *testing.B) {
	c, err := i18n.Load(benchLocales, "en")
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Check(); err != nil {
		b.Fatal(err)
	}
	c.SetCommands(func(action string) string { return "/login" })
	cases := []struct {
		name, key string
		data      map[string]any
		want      string
	}{
		{"static", "static", nil, "<b>What I can do</b>"},
		{"fields", "line", map[string]any{"command": "/send", "description": "Send <USDC>"}, "/send — Send &lt;USDC&gt;"},
		{"command", "command", nil, "Log in first with /login."},
		{"if", "branch", map[string]any{"name": "Ada"}, "Hi Ada!"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := c.T("en", tc.key, tc.data); got != tc.want {
					b.Fatalf("T(%s) = %q, want %q", tc.key, got, tc.want)
				}
			}
		})
	}
	b.Run("plural", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got := c.Plural("en", "files", 3, nil); got != "3 files" {
				b.Fatalf("Plural = %q", got)
			}
		}
	})
}
