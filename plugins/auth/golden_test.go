package auth_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

var logoutTag = regexp.MustCompile(`auth:logout:(yes|no):[0-9a-f]+`)

// TestTranscriptGolden renders a whole session — blocked command, login
// with a wrong code, resume, KYC, profile, logout — with the buttons of
// every message, and compares it with testdata/transcript.golden.
func TestTranscriptGolden(t *testing.T) {
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			f := newFixture(t, fixtureOpt{})
			f.emu.SeedUser("bob@example.com", copperxtest.SeedKYC("pending"))
			u := f.h.Private(50)
			u.LanguageCode = lang
			var b strings.Builder
			step := func(in string, r kerneltest.Replies) {
				fmt.Fprintf(&b, "> %s\n", in)
				for _, e := range r {
					switch e.Kind {
					case "send", "edit":
						fmt.Fprintf(&b, "[%s]\n%s\n", e.Kind, e.Message.Text)
						for _, row := range e.Message.Buttons {
							var labels []string
							for _, btn := range row {
								target := btn.Data + btn.URL
								if btn.Copy != "" {
									target = "copy"
								}
								labels = append(labels, fmt.Sprintf("[%s → %s]", btn.Text, target))
							}
							fmt.Fprintln(&b, strings.Join(labels, " "))
						}
					case "delete":
						fmt.Fprintf(&b, "[delete message %d]\n", e.Message.ID)
					}
				}
				b.WriteString("\n")
			}
			step("/send", u.Send("/send"))
			step("bob@example", u.Send("bob@example"))
			step("bob@example.com", u.Send("bob@example.com"))
			code := f.emu.OTP("bob@example.com")
			step("<wrong code>", u.Send(wrongCode(code)))
			step("<code>", u.Send(code))
			f.emu.SetKYC("bob@example.com", "approved")
			step("/send", u.Send("/send"))
			step("/me", u.Send("/me"))
			step("/logout", u.Send("/logout"))
			var yes string // the confirmation's own data, in either language
			for _, btn := range u.Last().AllButtons() {
				if strings.HasPrefix(btn.Data, "auth:logout:yes") {
					yes = btn.Data
				}
			}
			step("(tap) Log out", u.Handle(u.CallbackUpdate(u.Last().ID, yes)))
			got := b.String()
			// The logout buttons carry a hash of the (random) emulator user id.
			got = logoutTag.ReplaceAllString(got, "auth:logout:$1:<account>")
			got = strings.ReplaceAll(got, f.emu.OrgID("bob@example.com"), "<org-id>")
			got = strings.ReplaceAll(got, code, "<code>")
			got = strings.ReplaceAll(got, wrongCode(code), "<wrong>")
			kerneltest.Golden(t, "transcript."+lang, got)
		})
	}
}
