package payouts_test

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// walkLabels are the buttons the walks tap, in one language.
type walkLabels struct {
	salary, more, confirm, retry, confirmRetry, check, family, weekly, tomorrow, confirmSchedule, stop, yesStop, back string
}

var labels = map[string]walkLabels{
	"en": {salary: "Salary", more: "Add lines", confirm: "Confirm and send", retry: "Retry failed", confirmRetry: "send 1 again", check: "Check again",
		family: "Family", weekly: "Weekly", tomorrow: "Tomorrow", confirmSchedule: "✅ Confirm", stop: "Stop it", yesStop: "Yes, stop it", back: "Back"},
	"es": {salary: "Salario", more: "Añadir líneas", confirm: "Confirmar y enviar", retry: "Reintentar", confirmRetry: "reenviar 1", check: "Comprobar de nuevo",
		family: "Familia", weekly: "Cada semana", tomorrow: "Mañana", confirmSchedule: "✅ Confirmar", stop: "Detenerlo", yesStop: "Sí, detenerlo", back: "Atrás"},
}

// TestTranscripts records the walks through the plugin in each language
// (testdata/<walk>_<lang>.golden; go test -run TestTranscripts -update
// rewrites them): a batch with bad lines, a CSV file, a partial failure
// and its retry, a second Confirm; a batch whose answer was lost; a
// schedule created, listed and stopped.
func TestTranscripts(t *testing.T) {
	for lang, l := range labels {
		t.Run("batch "+lang, func(t *testing.T) {
			e := newEnv(t, setup{lang: lang})
			addPayee(e, "carol", "carol@example.com")
			tr := transcript(e)
			tr.Send("/batch")
			tr.Send("bob@example.com 10 rent\nnobody 5\ndave@example.com 0,5\n" + addr + " 2")
			tr.Send("bob@example.com 10 rent\ncarol 5")
			tr.Tap(l.salary)
			tr.Tap(l.more)
			tr.SendDocument("more.csv", []byte("\ufeffrecipient,amount,note\r\n"+addr+",2.25,gas\r\n"), "")
			e.Emu.FailBatchItemLike("*-2-1", 422, "Insufficient balance")
			confirm, button := e.U.MustFindButton(t, l.confirm)
			tr.Tap(l.confirm)
			tr.Record("> (tap again) "+button.Text, e.U.Retap(confirm, button))
			tr.Tap(l.retry)
			tr.Tap(l.confirmRetry)
			tr.Check(t, "batch_"+lang)
		})
		t.Run("lost answer "+lang, func(t *testing.T) {
			e := newEnv(t, setup{lang: lang})
			tr := transcript(e)
			e.Emu.Fail("POST", "/api/transfers/send-batch", copperxtest.Fault{LoseResponse: true, Times: 1})
			e.Emu.FailBatchItemLike("*-2-1", 422, "Insufficient balance")
			tr.Send("/batch")
			tr.Send("bob@example.com 10\ncarol@example.com 5")
			tr.Tap(l.salary)
			tr.Tap(l.confirm)
			tr.Tap(l.check)
			e.H.Clock.Advance(11 * time.Minute)
			tr.Tap(l.check)
			tr.Tap(l.retry)
			tr.Tap(l.confirmRetry)
			tr.Check(t, "batch_lost_"+lang)
		})
		t.Run("schedule "+lang, func(t *testing.T) {
			e := newEnv(t, setup{lang: lang})
			tr := transcript(e)
			tr.Send("/schedule")
			tr.Send("bob@example")
			tr.Send("bob@example.com")
			tr.Send("25")
			tr.Tap(l.family)
			tr.Tap(l.weekly)
			tr.Send("2026-03-20 10:01")
			tr.Tap(l.tomorrow)
			tr.Tap(l.confirmSchedule)
			e.Emu.Advance(24 * time.Hour)
			tr.Send("/schedules")
			tr.Tap("1")
			tr.Tap(l.stop)
			tr.Tap(l.yesStop)
			tr.Tap(l.back)
			tr.Check(t, "schedule_"+lang)
		})
	}
}
