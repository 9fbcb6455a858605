package kernel

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Flow is a conversation collected over several updates: steps in the order
// a user meets them, each owning its question (Ask), the text typed at it
// (Text) and its buttons (Tap), and data of type D that the kernel keeps in
// the session between updates (as JSON, with Version).
//
// The kernel does the bookkeeping every flow needs: it asks a step's
// question when the flow moves there, hands typed text and taps only to the
// step that is current, answers a tap that belongs to another step, an
// older run of the flow or another chat as stale (or hands it to Late),
// times the flow out after flows.timeout of silence, and ends a flow saved
// before a deploy changed its Version politely.
//
//	r.Flow("send", kernel.Flow[movement]{Version: 2, Steps: []kernel.Step[movement]{
//		{Name: "recipient", Ask: t.askRecipient, Text: t.takeRecipient},
//		{Name: "amount", Ask: t.askAmount, Text: t.takeAmount},
//		{Name: "confirm", Ask: t.summary, Tap: kernel.Taps[movement]{"confirm": t.confirm}},
//	}})
type Flow[D any] struct {
	// Version is stored with a running flow; bump it when the steps or D
	// change, so a flow saved before a deploy ends politely.
	Version int
	// Steps in the order a user meets them; the first is where StartFlow
	// begins.
	Steps []Step[D]
	// Late, when set, answers a tap on a button of this flow that is no
	// longer current (the flow ended or moved on, such as a second tap on
	// a Confirm that already went through). Without it, or when it returns
	// ErrStaleCallback, the user is told the button expired.
	Late func(c *Ctx, tap string, args []string) error
}

// Step is one question of a Flow.
type Step[D any] struct {
	// Name is unique within the flow (a-z, 0-9, _).
	Name string
	// Ask asks the step's question; the kernel calls it whenever the flow
	// moves to the step (Next, StartFlow). Buttons it makes with Ctx.Tap
	// belong to this step.
	Ask func(c *Ctx, d *D) error
	// Text takes text typed while the step is current; nil means the step
	// wants a button, and text gets "please use the buttons".
	Text func(c *Ctx, d *D) (Move, error)
	// Tap takes the step's buttons by name (Ctx.Tap(label, name, args...));
	// the tap's arguments are Ctx.Args().
	Tap Taps[D]
	// File takes a file (a Telegram document) sent while the step is
	// current: Ctx.File describes it, Ctx.DownloadFile reads it, Ctx.Text
	// is its caption. nil means the step takes no files: a file gets
	// what text does without text.
	File func(c *Ctx, d *D) (Move, error)
}

// Taps are a step's button handlers by name.
type Taps[D any] map[string]func(c *Ctx, d *D) (Move, error)

// Move says where a flow goes after a step took input: Stay, Next(step)
// or Done.
type Move struct {
	kind moveKind
	step string
}

type moveKind uint8

const (
	moveStay moveKind = iota
	moveNext
	moveDone
)

// Stay keeps the current step and asks nothing (the handler replied, such
// as "that amount is too small").
var Stay = Move{}

// Done ends the flow. The buttons of its current prompt are removed unless
// the handler edited that message itself (Confirm turning the summary into
// a receipt).
var Done = Move{kind: moveDone}

// Next moves the flow to step and asks its question; Next to the current
// step asks it again (a new quote in place of the old one).
func Next(step string) Move { return Move{kind: moveNext, step: step} }

func (m Move) String() string {
	switch m.kind {
	case moveNext:
		return "next(" + m.step + ")"
	case moveDone:
		return "done"
	}
	return "stay"
}

// FlowSpec is a Flow of any data type, as Registrar.Flow takes it.
type FlowSpec interface {
	compile(name string) (*flowDef, error)
}

// flowDef is a declared flow with its data type erased.
type flowDef struct {
	name     string // "<plugin>.<flow>"
	plugin   string
	version  int
	first    string
	steps    map[string]*stepDef
	late     func(c *Ctx, tap string, args []string) error
	dataType reflect.Type // D
	opts     route        // guards and the private-chat rule for every input
}

type stepDef struct {
	name string
	ask  func(c *Ctx, d any) error
	text func(c *Ctx, d any) (Move, error)
	file func(c *Ctx, d any) (Move, error)
	taps map[string]func(c *Ctx, d any) (Move, error)
}

func (f Flow[D]) compile(name string) (*flowDef, error) {
	if len(f.Steps) == 0 {
		return nil, fmt.Errorf("flow %q has no steps", name)
	}
	def := &flowDef{version: f.Version, first: f.Steps[0].Name, steps: map[string]*stepDef{},
		late: f.Late, dataType: reflect.TypeFor[D]()}
	for _, s := range f.Steps {
		if !namePattern.MatchString(s.Name) {
			return nil, fmt.Errorf("flow %q: step name %q: want 1-32 of a-z0-9_ starting with a letter", name, s.Name)
		}
		if _, dup := def.steps[s.Name]; dup {
			return nil, fmt.Errorf("flow %q: step %q declared twice", name, s.Name)
		}
		if s.Ask == nil {
			return nil, fmt.Errorf("flow %q: step %q has no Ask", name, s.Name)
		}
		if s.Text == nil && len(s.Tap) == 0 && s.File == nil {
			return nil, fmt.Errorf("flow %q: step %q takes neither text nor taps", name, s.Name)
		}
		sd := &stepDef{name: s.Name, taps: map[string]func(*Ctx, any) (Move, error){}}
		ask := s.Ask
		sd.ask = func(c *Ctx, d any) error { return ask(c, d.(*D)) }
		if text := s.Text; text != nil {
			sd.text = func(c *Ctx, d any) (Move, error) { return text(c, d.(*D)) }
		}
		if file := s.File; file != nil {
			sd.file = func(c *Ctx, d any) (Move, error) { return file(c, d.(*D)) }
		}
		for tap, h := range s.Tap {
			if !namePattern.MatchString(tap) || h == nil {
				return nil, fmt.Errorf("flow %q: step %q: tap %q: want a name of a-z0-9_ and a handler", name, s.Name, tap)
			}
			sd.taps[tap] = func(c *Ctx, d any) (Move, error) { return h(c, d.(*D)) }
		}
		def.steps[s.Name] = sd
	}
	return def, nil
}

// newData returns a fresh *D.
func (f *flowDef) newData() any { return reflect.New(f.dataType).Interface() }

// decodeData decodes a stored flow's data into a fresh *D.
func (f *flowDef) decodeData(raw json.RawMessage) (any, error) {
	d := f.newData()
	if len(raw) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("flow %s: data: %w", f.name, err)
	}
	return d, nil
}

// asData converts what a plugin passed to StartFlow (a D or a *D, or nil
// for a zero D) into a *D of the flow.
func (f *flowDef) asData(v any) (any, error) {
	if v == nil {
		return f.newData(), nil
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.Type() == f.dataType:
		p := reflect.New(f.dataType)
		p.Elem().Set(rv)
		return p.Interface(), nil
	case rv.Type() == reflect.PointerTo(f.dataType) && !rv.IsNil():
		return v, nil
	}
	return nil, fmt.Errorf("flow %s takes %s data, not %T", f.name, f.dataType, v)
}

// flowTapAction is the action part of a flow button's callback data:
// "<flow>.<step>.<tap>" (names never contain dots, actions never do).
func flowTapAction(flow, step, tap string) string { return flow + "." + step + "." + tap }

// newNonce tells one run of a flow from another in its buttons' data.
func newNonce() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	var b [4]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, len(b))
	for i, v := range b {
		out[i] = alphabet[int(v)%len(alphabet)]
	}
	return string(out)
}

// flowRun is what the kernel knows of the running flow during an update.
type flowRun struct {
	def  *flowDef
	data any // *D, decoded once per update and encoded once before the save
}

// StartFlow starts the current plugin's flow name at its first step (or
// at step, when given), with data (a D, a *D or nil for a zero D), and
// asks the step's question. An open flow, in this chat or another of the
// user's, ends first, quietly.
func (c *Ctx) StartFlow(name string, data any, step ...string) error {
	full := c.plugin + "." + name
	def, ok := c.k.flows[full]
	if !ok {
		return fmt.Errorf("start flow %s: not declared", full)
	}
	at := def.first
	if len(step) > 0 {
		at = step[0]
	}
	if _, ok := def.steps[at]; !ok {
		return fmt.Errorf("start flow %s at %s: %w", full, at, ErrUndeclaredTransition)
	}
	d, err := def.asData(data)
	if err != nil {
		return err
	}
	if c.parked != nil { // one flow per user: this one replaces the other chat's
		c.sess.Flow, c.parked = c.parked, nil
	}
	if c.sess.Flow != nil {
		c.endFlowQuietly()
	}
	c.sess.Flow = &FlowState{Name: full, Step: at, Version: def.version, Nonce: newNonce(),
		Expires: c.k.now().Add(c.k.cfg.Flows.Timeout), Chat: c.ChatID}
	c.flow = &flowRun{def: def, data: d}
	return c.ask(def.steps[at])
}

// ask runs a step's Ask with the flow's data.
func (c *Ctx) ask(s *stepDef) error {
	if err := s.ask(c, c.flow.data); err != nil {
		return fmt.Errorf("flow %s: ask %s: %w", c.flow.def.name, s.name, err)
	}
	return nil
}

// move applies a step handler's Move to the run of the flow that asked
// (nonce). A handler that ended its flow, or started another one (a login
// that resumes a command with a flow of its own), keeps what it did: the
// Move is for a run that is gone.
func (c *Ctx) move(nonce string, m Move) error {
	fs := c.sess.Flow
	if fs == nil || c.flow == nil || fs.Nonce != nonce {
		return nil
	}
	switch m.kind {
	case moveStay:
		fs.Expires = c.k.now().Add(c.k.cfg.Flows.Timeout)
		return nil
	case moveDone:
		c.finishFlow()
		return nil
	}
	s, ok := c.flow.def.steps[m.step]
	if !ok {
		return fmt.Errorf("flow %s: %s → %s: %w", fs.Name, fs.Step, m.step, ErrUndeclaredTransition)
	}
	fs.Step = m.step
	fs.Expires = c.k.now().Add(c.k.cfg.Flows.Timeout)
	return c.ask(s)
}

// finishFlow ends the flow after Done: its prompt keeps its buttons only
// if the handler rewrote that message during this update.
func (c *Ctx) finishFlow() {
	f := c.sess.Flow
	if f != nil && f.Prompt != 0 && !c.touched[f.Prompt] {
		if err := c.k.removeButtons(c, c.ChatID, f.Prompt); err != nil {
			c.Log.Debug("could not remove the buttons of a finished flow", "err", err)
		}
	}
	c.sess.Flow, c.flow = nil, nil
}

// loadFlow decodes the running flow's data for this update; false when the
// flow no longer fits its declaration (then it was ended with a message).
func (c *Ctx) loadFlow() bool {
	fs := c.sess.Flow
	if fs == nil {
		return false
	}
	if c.flow != nil {
		return true
	}
	def := c.k.flows[fs.Name]
	d, err := def.decodeData(fs.Data)
	if err != nil {
		c.Log.Warn("flow data does not decode; ending it", "flow", fs.Name, "err", err)
		c.endFlowQuietly()
		_, _ = c.Say("kernel.flow.outdated", nil, nil)
		return false
	}
	c.flow = &flowRun{def: def, data: d}
	return true
}

// saveFlow encodes the running flow's data into the session, once, before
// the session is saved.
func (c *Ctx) saveFlow() error {
	if c.flow == nil || c.sess.Flow == nil || c.sess.Flow.Name != c.flow.def.name {
		return nil
	}
	raw, err := json.Marshal(c.flow.data)
	if err != nil {
		return fmt.Errorf("flow %s: encode data: %w", c.flow.def.name, err)
	}
	c.sess.Flow.Data = raw
	return nil
}

// runFlowText hands typed text, or a file, to the current step.
func (k *Kernel) runFlowText(c *Ctx) error {
	fs := c.sess.Flow
	def := k.flows[fs.Name]
	step := def.steps[fs.Step]
	c.plugin, c.action = def.plugin, fs.Name+"."+fs.Step
	if c.File() != nil && step.file != nil {
		return k.runFlowFile(c, def, step)
	}
	if c.text == "" {
		_, err := c.Say("kernel.flow.text_expected", nil, nil)
		return err
	}
	if step.text == nil {
		// The step wants a button: text it cannot take may be a plugin's
		// (a one-line send typed at a summary), else "use the buttons".
		if c.IsPrivate() {
			if took, err := k.strayText(c); took || err != nil {
				return err
			}
		}
		_, err := c.Say("kernel.flow.use_buttons", nil, nil)
		return err
	}
	if ok, err := k.admit(c, &def.opts); !ok || err != nil {
		return err
	}
	if !c.loadFlow() {
		return nil
	}
	nonce := fs.Nonce
	m, err := step.text(c, c.flow.data)
	if err != nil {
		return err
	}
	return c.move(nonce, m)
}

// runFlowFile hands a file to the current step, which takes files.
func (k *Kernel) runFlowFile(c *Ctx, def *flowDef, step *stepDef) error {
	c.text = strings.TrimSpace(c.Update.Message.Caption)
	if ok, err := k.admit(c, &def.opts); !ok || err != nil {
		return err
	}
	if !c.loadFlow() {
		return nil
	}
	nonce := c.sess.Flow.Nonce
	m, err := step.file(c, c.flow.data)
	if err != nil {
		return err
	}
	return c.move(nonce, m)
}

// runFlowTap hands a tap to the step it belongs to, if that step of that
// run of the flow is current in this chat; anything else is Late's, or
// stale.
func (k *Kernel) runFlowTap(c *Ctx, plugin, action string, args []string) error {
	flow, rest, _ := strings.Cut(action, ".")
	step, tap, _ := strings.Cut(rest, ".")
	full := plugin + "." + flow
	def, ok := k.flows[full]
	if !ok || len(args) == 0 {
		return ErrStaleCallback
	}
	nonce, args := args[0], args[1:]
	c.plugin, c.action, c.args = plugin, full+"."+step+"."+tap, args
	fs := c.sess.Flow
	current := fs != nil && fs.Name == full && fs.Nonce == nonce && fs.Step == step
	handler := def.steps[step]
	if !current || handler == nil || handler.taps[tap] == nil {
		if def.late == nil {
			return ErrStaleCallback
		}
		if ok, err := k.admit(c, &def.opts); !ok || err != nil {
			return err
		}
		return def.late(c, tap, args)
	}
	if ok, err := k.admit(c, &def.opts); !ok || err != nil {
		return err
	}
	if !c.loadFlow() {
		return nil
	}
	m, err := handler.taps[tap](c, c.flow.data)
	if err != nil {
		return err
	}
	return c.move(nonce, m)
}

// Tap is a localized button of the current flow step: tapping it runs the
// step's Tap[tap] with args, while this step of this run of the flow is
// current, in this chat. A Tap made outside a flow fails the send.
func (c *Ctx) Tap(labelKey, tap string, args ...string) Button {
	return c.TapText(c.T(labelKey, nil), tap, args...)
}

// TapText is Tap with a label built at run time (a payee's name).
func (c *Ctx) TapText(label, tap string, args ...string) Button {
	fs := c.sess.Flow
	if fs == nil || !strings.HasPrefix(fs.Name, c.plugin+".") {
		c.Log.Error("flow button made outside the plugin's flow", "tap", tap)
		return Button{Text: label, Data: invalidData}
	}
	flow := strings.TrimPrefix(fs.Name, c.plugin+".")
	d, err := CallbackData(c.plugin, flowTapAction(flow, fs.Step, tap), append([]string{fs.Nonce}, args...)...)
	if err != nil {
		c.Log.Error("bad flow button", "err", err)
		d = invalidData
	}
	return Button{Text: label, Data: d}
}

// invalidData makes Keyboard.markup refuse a button that could not be
// built, so the send fails loudly instead of the button failing quietly.
var invalidData = strings.Repeat("x", MaxCallbackData+1)

// EndFlow ends any open flow, removing its prompt's buttons (a logout
// ends the login's work, say). Flow steps end their own flow with Done.
func (c *Ctx) EndFlow() { c.endFlowQuietly() }

// errNoFlow is returned by flow secrets outside a flow.
var errNoFlow = errors.New("no flow running")

// ExpectsText reports whether the user's flow in chat takes typed text at
// its current step. A terminal transport asks it before reading "1" as a
// tap on button 1: at an amount prompt, "1" is an amount.
func (k *Kernel) ExpectsText(ctx context.Context, userID, chatID int64) bool {
	raw, _, err := k.store.Get(ctx, sessionKey(userID), 0)
	if err != nil {
		return false
	}
	sess, err := decodeSession(raw)
	if err != nil || sess.Flow == nil || (sess.Flow.Chat != 0 && sess.Flow.Chat != chatID) {
		return false
	}
	def := k.flows[sess.Flow.Name]
	if def == nil || def.steps[sess.Flow.Step] == nil {
		return false
	}
	return def.steps[sess.Flow.Step].text != nil
}
