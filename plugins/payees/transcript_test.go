package payees_test

import (
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// transcript records e's chat for a golden file, with payee ids replaced.
func transcript(e *plugintest.Env) *kerneltest.Transcript {
	return kerneltest.NewTranscript(e.U).
		Scrub(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`, "<id>")
}

// walkLabels are the buttons the main walk taps, in one language.
type walkLabels struct {
	add, useBob, all, showAll, rename, remove, yes, close, send string
}

// TestTranscripts records the main walk through the plugin in each
// language (testdata/main_<lang>.golden; go test -run TestTranscripts
// -update rewrites them): an empty list, Add with a refused email and the
// suggested nickname, Add with a typed one, Rename, a search, Remove with
// its confirmation, Close, and Send.
func TestTranscripts(t *testing.T) {
	for lang, l := range map[string]walkLabels{
		"en": {add: "Add payee", useBob: "Use “bob”", all: "All payees", showAll: "Show all", rename: "Rename",
			remove: "Remove", yes: "Yes, remove", close: "Close", send: "Send"},
		"es": {add: "Añadir beneficiario", useBob: "Usar «bob»", all: "Todos los beneficiarios", showAll: "Ver todos",
			rename: "Renombrar", remove: "Eliminar", yes: "Sí, eliminar", close: "Cerrar", send: "Enviar"},
	} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, setup{lang: lang})
			tr := transcript(e)
			tr.Send("/payees")
			tr.Tap(l.add)
			tr.Send("bob@example")
			tr.Send("bob@example.com")
			tr.Tap(l.useBob)
			tr.Tap(l.all)
			tr.Tap(l.add)
			tr.Send("carol@example.com")
			tr.Send("bob")
			tr.Send("  Carol  ")
			tr.Tap(l.rename)
			tr.Send("Caro 🌸")
			tr.Tap(l.all)
			tr.Send("car")
			tr.Tap(l.showAll)
			tr.Tap("bob")
			tr.Tap(l.remove)
			tr.Tap(l.yes)
			tr.Tap(l.close)
			tr.Send("/addpayee dave@example.com")
			tr.Send("Dave")
			tr.Tap(l.send)
			tr.Check(t, "main_"+lang)
			wantSaved(t, e, "Caro 🌸 <carol@example.com>", "Dave <dave@example.com>")
		})
	}
}
