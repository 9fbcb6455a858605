package console_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/console"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/locales"
)

func TestRenderHTML(t *testing.T) {
	for _, tc := range []struct {
		name, in, plain, color string
	}{
		{"plain text", "hello", "hello", "hello"},
		{"entities unescaped", "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39; &#x41;", `a <b> & "c" 'd' A`, `a <b> & "c" 'd' A`},
		{"bold and code", "<b>Total</b> <code>0xabc</code>", "Total 0xabc",
			"\x1b[1mTotal\x1b[0m \x1b[36m0xabc\x1b[0m"},
		{"nested styles restore the outer one", "<b>a <i>b</i> c</b>", "a b c",
			"\x1b[1ma \x1b[3mb\x1b[0m\x1b[1m c\x1b[0m"},
		{"link shows its url", `<a href="https://x.io/a?b=1&amp;c=2">site</a>`, "site (https://x.io/a?b=1&c=2)",
			"\x1b[4;34msite\x1b[0m (https://x.io/a?b=1&c=2)"},
		{"link whose text is the url", `<a href="https://x.io">https://x.io</a>`, "https://x.io", "\x1b[4;34mhttps://x.io\x1b[0m"},
		{"tg link hides the url", `<a href="tg://user?id=1">Ada</a>`, "Ada", "\x1b[4;34mAda\x1b[0m"},
		{"blockquote lines", "x\n<blockquote>one\ntwo</blockquote>", "x\n│ one\n│ two", "x\n│ \x1b[2mone\n│ two\x1b[0m"},
		{"pre block", "<pre>line1\nline2</pre>", "line1\nline2", "\x1b[36mline1\nline2\x1b[0m"},
		{"spoiler and strike", "<tg-spoiler>s</tg-spoiler><s>x</s>", "sx", "\x1b[7ms\x1b[0m\x1b[9mx\x1b[0m"},
		{"bare < kept", "1 < 2", "1 < 2", "1 < 2"},
		{"unclosed tag reset at the end", "<b>bold", "bold", "\x1b[1mbold\x1b[0m"},
		{"stray closing tag dropped", "a</b>b", "ab", "ab"},
		{"emoji and accents", "<b>¡Hola!</b> 👋", "¡Hola! 👋", "\x1b[1m¡Hola!\x1b[0m 👋"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := console.RenderHTML(tc.in, false); got != tc.plain {
				t.Errorf("plain = %q, want %q", got, tc.plain)
			}
			if got := console.RenderHTML(tc.in, true); got != tc.color {
				t.Errorf("color = %q, want %q", got, tc.color)
			}
		})
	}
}

// demo is a test plugin showing everything a chat can hold.
type demo struct{}

func (demo) Name() string { return "demo" }

func (demo) Setup(r *kernel.Registrar) error {
	menu := func(c *kernel.Ctx) *kernel.Keyboard {
		return kernel.NewKeyboard().
			Row(c.Button("demo.b_tap", "tap"), c.Button("demo.b_photo", "photo")).
			Row(c.URLButton("demo.b_site", "https://example.com/help"), c.CopyButton("demo.b_copy", "0xC0FFEE"))
	}
	r.Action("show", func(c *kernel.Ctx) error {
		_, err := c.Send(`<b>Menu</b> for <code>&lt;you&gt;</code>: <a href="https://example.com">site</a>`, menu(c))
		return err
	})
	r.Action("echo", func(c *kernel.Ctx) error {
		_, err := c.Say("demo.echo", map[string]any{"text": c.Text()}, nil)
		return err
	})
	r.Action("boom", func(*kernel.Ctx) error { return errors.New("secret detail") })
	r.Callback("tap", func(c *kernel.Ctx) error {
		c.Answer("tapped!", false)
		_, err := c.Show("<i>Tapped.</i>", kernel.NewKeyboard().Row(c.Button("demo.b_back", "back")))
		return err
	})
	r.Callback("back", func(c *kernel.Ctx) error {
		_, err := c.Show(`<b>Menu</b> again`, menu(c))
		return err
	})
	r.Callback("photo", func(c *kernel.Ctx) error {
		if err := c.Delete(c.MessageID()); err != nil {
			return err
		}
		_, err := c.SendPhoto("qr.png", []byte("\x89PNG fake"), "<b>Your QR</b>", nil)
		return err
	})
	return nil
}

const demoConfig = `
plugins:
  demo: {enabled: true}
commands:
  - {name: show, action: demo.show}
  - {name: echo, action: demo.echo}
  - {name: boom, action: demo.boom}
`

const demoLocale = `
commands:
  show: "Show the menu"
  echo: "Echo"
  boom: "Fail"
demo:
  b_tap: "Tap me"
  b_photo: "Photo"
  b_site: "Help site"
  b_copy: "Copy code"
  b_back: "Back"
  echo: "You said: {{.text}}"
`

// kernelLocales is the kernel's part of the project's locales plus the
// demo's strings, so these tests do not depend on other plugins' sections.
func kernelLocales(t *testing.T) fstest.MapFS {
	t.Helper()
	es := strings.NewReplacer("Show the menu", "Mostrar el menú", "Echo", "Eco", "Fail", "Fallar",
		"Tap me", "Tócame", "Photo", "Foto", "Help site", "Ayuda", "Copy code", "Copiar código",
		"Back", "Atrás", "You said", "Dijiste").Replace(demoLocale)
	out := fstest.MapFS{}
	for lang, extra := range map[string]string{"en": demoLocale, "es": es} {
		raw, err := fs.ReadFile(locales.FS, lang+".yaml")
		if err != nil {
			t.Fatal(err)
		}
		var all, demo map[string]any
		if err := yaml.Unmarshal(raw, &all); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(extra), &demo); err != nil {
			t.Fatal(err)
		}
		cmds := demo["commands"].(map[string]any)
		for _, name := range []string{"start", "help", "cancel", "language"} {
			cmds[name] = all["commands"].(map[string]any)[name]
		}
		for _, key := range []string{"kernel", "language"} {
			demo[key] = all[key]
		}
		b, err := yaml.Marshal(demo)
		if err != nil {
			t.Fatal(err)
		}
		out[lang+".yaml"] = &fstest.MapFile{Data: b}
	}
	return out
}

// newChat builds a console and a kernel wired to it.
func newChat(t *testing.T, script bool) (*console.Console, *kernel.Kernel, *bytes.Buffer) {
	t.Helper()
	return newChatWith(t, console.Options{Script: script})
}

func newChatWith(t *testing.T, opts console.Options) (*console.Console, *kernel.Kernel, *bytes.Buffer) {
	t.Helper()
	out := &bytes.Buffer{}
	opts.Out, opts.PhotoDir = out, t.TempDir()
	con := console.New(opts)
	t.Cleanup(con.Close)
	cfg := kernel.DefaultConfig()
	env := []string{"TELEGRAM_BOT_TOKEN=" + console.Token, "TELEGRAM_API_URL=" + con.APIURL()}
	if err := kernel.LoadConfig(kernel.Source{YAML: []byte(demoConfig), Environ: env}, &cfg, nil); err != nil {
		t.Fatal(err)
	}
	loc := kernelLocales(t)
	k, err := kernel.New(kernel.Options{Config: cfg, Plugins: []kernel.Plugin{demo{}}, Locales: loc, Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return con, k, out
}

func runScript(t *testing.T, script string) (string, error) {
	t.Helper()
	con, k, out := newChat(t, true)
	err := con.Run(context.Background(), k, strings.NewReader(script))
	return out.String(), err
}

func TestButtonsNumberedAndTapped(t *testing.T) {
	out, err := runScript(t, `
/show
--expect Menu for <you>: site (https://example.com)
--expect [1 Tap me]  [2 Photo]
--expect [3 Help site ↗]  [4 Copy code ⧉]
1
--expect 🔔 notice: tapped!
--expect ✎ edited #2 › Tapped.
--expect [1 Back]
#1
--expect ✎ edited #2 › Menu again
3
--expect 🔗 Help site opens https://example.com/help
4
--expect 📋 copied: 0xC0FFEE
:tap photo
--expect ✖ deleted message #2
--expect 🖼  photo:
--expect Your QR
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The photo was written where the console said.
	i := strings.Index(out, "photo: ")
	path := strings.TrimSpace(strings.SplitN(out[i+len("photo: "):], "\n", 2)[0])
	if b, err := os.ReadFile(path); err != nil || string(b) != "\x89PNG fake" || filepath.Ext(path) != ".png" {
		t.Fatalf("photo file %q: %q, %v", path, b, err)
	}
}

func TestBareNumberWithoutSuchButtonIsText(t *testing.T) {
	out, err := runScript(t, "/show\n/echo 25\n--expect You said: 25\n7\n")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// "7" has no button: it goes to the bot as text (the kernel's fallback
	// answers), and nothing is tapped.
	if !strings.Contains(out, "you › 7\nbot #") || strings.Contains(out, "tapped") {
		t.Fatalf("bare 7 was not sent as text:\n%s", out)
	}
}

func TestBadConsoleInput(t *testing.T) {
	long := strings.Repeat("x", console.MaxLine+1)
	con, k, out := newChat(t, false)
	err := con.Run(context.Background(), k, strings.NewReader("\n:nope\n#3\n:tap nothing\n:say\n:buttons\n"+long+"\n/show\n#9\n/boom\n:quit\n/show\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"(empty line: nothing sent",
		"(unknown console command :nope; type :help)",
		"(no buttons to tap: no message with buttons in the chat)",
		`(no button whose label contains "nothing")`,
		"(usage: :say TEXT)",
		"(no message with buttons in the chat)",
		"(line too long: 4097 characters, Telegram allows 4096; nothing sent)",
		"(no button 9: message #",
		"bye",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "secret detail") {
		t.Errorf("a raw error reached the chat:\n%s", got)
	}
	if n := strings.Count(got, "Menu for"); n != 1 {
		t.Errorf("/show after :quit ran (%d menus)", n)
	}
	// Only /show, /boom and the kernel's replies reached the fake Telegram.
	for _, c := range con.API().Calls("sendMessage") {
		if strings.Contains(c.Params["text"], "xxxx") || strings.Contains(c.Params["text"], ":nope") {
			t.Errorf("console input reached the bot: %q", c.Params["text"])
		}
	}
}

func TestExpectations(t *testing.T) {
	for _, tc := range []struct {
		name, script, fail string
	}{
		{"pass", "/echo hi\n--expect You said: hi\n--expect-not Menu\n# a comment\n#\n\n/echo again\n--expect again\n", ""},
		{"missing text", "/echo hi\n--expect You said: bye\n/echo never\n", `replies to "/echo hi" do not contain "You said: bye"`},
		{"unwanted text", "/echo hi\n--expect-not hi\n", `replies to "/echo hi" do not not contain "hi"`},
		{"only the previous input counts", "/echo one\n/echo two\n--expect one\n", `do not contain "one"`},
		{"expect before any input", "--expect anything\n", `replies to "" do not contain "anything"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runScript(t, tc.script)
			if tc.fail == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				return
			}
			if !errors.Is(err, console.ErrExpectation) || !strings.Contains(err.Error(), tc.fail) {
				t.Fatalf("err = %v, want ErrExpectation with %q", err, tc.fail)
			}
			if !strings.Contains(out, "✗ expected") || strings.Contains(out, "never") {
				t.Fatalf("failure not reported, or the script went on:\n%s", out)
			}
		})
	}
}

func TestExpectationOutsideScriptOnlyReports(t *testing.T) {
	con, k, out := newChat(t, false)
	if err := con.Run(context.Background(), k, strings.NewReader("/echo hi\n--expect bye\n/echo still here\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "✗ expected") || !strings.Contains(out.String(), "You said: still here") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestCommandsAndNotes(t *testing.T) {
	con, k, out := newChat(t, true)
	var got []string
	con.Command(console.Command{Name: "ping", Usage: "X", Help: "says pong", Run: func(_ context.Context, args []string) error {
		got = args
		con.Note("pong %s", strings.Join(args, ","))
		return nil
	}})
	con.Command(console.Command{Name: "fail", Run: func(context.Context, []string) error { return errors.New("no way") }})
	err := con.Run(context.Background(), k, strings.NewReader(":help\n--expect-not pong\n:ping a b\n--expect pong a,b\n:fail\n"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Join(got, " ") != "a b" {
		t.Fatalf("args = %q", got)
	}
	for _, want := range []string{":ping X", "says pong", "(:fail: no way)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTapRefusedByBotIsShown(t *testing.T) {
	// A button of an older message still works like in Telegram: the
	// console sends its callback; the bot decides.
	out, err := runScript(t, "/show\n/show\n:buttons\n--expect [1 Tap me]\n1\n--expect ✎ edited #4\n")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestInteractivePromptAndEOF(t *testing.T) {
	con, k, out := newChatWith(t, console.Options{Prompt: true, Color: true})
	if err := con.Run(context.Background(), k, strings.NewReader("/echo hi")); err != nil { // Ctrl-D after a line without newline
		t.Fatal(err)
	}
	got := out.String()
	if strings.Count(got, "you › ") != 2 || strings.Contains(got, "you › \x1b[0m/echo hi") ||
		!strings.Contains(got, "You said: hi") || !strings.Contains(got, "\x1b[1mbot #") || !strings.HasSuffix(got, "\n") {
		t.Fatalf("interactive output (prompts, no echo, colour, newline at EOF):\n%q", got)
	}
}

// A line ending in a backslash goes on on the next line: the bot gets one
// message with both lines, as a pasted list.
func TestBackslashContinuesTheMessage(t *testing.T) {
	out, err := runScript(t, "/echo first \\\nsecond\n--expect You said: first\n/echo alone\n")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := strings.Count(out, "You said"); n != 2 {
		t.Fatalf("%d replies, want 2 (one for the two joined lines):\n%s", n, out)
	}
	reply := out[strings.Index(out, "You said: first"):]
	if !strings.Contains(strings.SplitN(reply, "you ›", 2)[0], "second") || strings.Contains(out, "first \\") {
		t.Fatalf("the second line is not part of the first message:\n%s", out)
	}
}

// A comment ending in a backslash does not swallow the next line, and a
// backslash on the input's last line (no newline after it) is dropped.
func TestBackslashEdges(t *testing.T) {
	out, err := runScript(t, "# a note \\\n/echo kept\n--expect You said: kept\n/echo last \\")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "You said: last") || strings.Contains(out, `You said: last \`) {
		t.Fatalf("the last line's backslash:\n%s", out)
	}
}
