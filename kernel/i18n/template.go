package i18n

import (
	"sync"

	"fmt"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// escapeFunc is appended to every printing action of a template, so that
// {{.amount}} runs as {{.amount | _i18n_escape}}.
//
// We use text/template with this one escaper rather than html/template:
// Telegram's HTML has no scripts, styles or event attributes, and
// html/template's browser-oriented rewriting gets in the way (it turns "+"
// and "'" into numeric entities, rejects tg:// links as #ZgotmplZ and
// reports context errors only at first execution).
const escapeFunc = "_i18n_escape"

// commands resolves {{cmd "transfer.send"}} in messages to the command
// that config binds to the action ("/send", or "/pay" once renamed), so no
// message names a command that is not there. The kernel sets it once the
// command table is known (Catalog.SetCommands); one resolver serves every
// catalog of the process.
type commands struct {
	mu      sync.RWMutex
	resolve func(action string) string
}

func (r *commands) cmd(action string) string {
	r.mu.RLock()
	f := r.resolve
	r.mu.RUnlock()
	if f == nil {
		return "/" + action[strings.LastIndexByte(action, '.')+1:]
	}
	return f(action)
}

// tmpl is a compiled message: static text, or a template.
type tmpl struct {
	static string
	t      *template.Template // nil for static text
	// segs, when set, render t without text/template: most messages are
	// only text, {{.field}} and {{cmd `action`}}, and text/template's
	// reflection costs a dozen allocations per message for them.
	segs []segment
	size int // of the text in segs, plus a guess for each value
	cmds *commands
}

// segment is one piece of a message that needs no template engine.
type segment struct {
	kind segmentKind
	text string // the text, the field's name, or the command's action
}

type segmentKind uint8

const (
	segmentText  segmentKind = iota // printed as is
	segmentField                    // {{.text}}: the value, escaped
	segmentCmd                      // {{cmd "text"}}: the command, escaped
)

// compile parses src, adds the escaper to its printing actions and records
// the top-level data fields it uses in fields.
func compile(name, src string, fields map[string]bool, cmds *commands) (*tmpl, error) {
	if !strings.Contains(src, "{{") {
		return &tmpl{static: src}, nil
	}
	funcs := template.FuncMap{escapeFunc: escape, "cmd": cmds.cmd}
	t, err := template.New(name).Option("missingkey=zero").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("template does not parse: %w", err)
	}
	out := &tmpl{t: t, cmds: cmds}
	if len(t.Templates()) == 1 && t.Tree != nil {
		out.segs = segments(t.Tree.Root)
		for _, s := range out.segs {
			out.size += len(s.text)
			if s.kind != segmentText {
				out.size += 16
			}
		}
	}
	for _, d := range t.Templates() {
		if d.Tree == nil {
			continue
		}
		collectFields(d.Tree.Root, true, fields)
		addEscaper(d.Tree.Root)
	}
	return out, nil
}

// segments flattens a template made only of text, {{.field}} and
// {{cmd "action"}}; nil for any other (conditions, loops, pipelines,
// variables): text/template renders those.
func segments(root *parse.ListNode) []segment {
	out := make([]segment, 0, len(root.Nodes))
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			out = append(out, segment{kind: segmentText, text: string(n.Text)})
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 {
				return nil
			}
			args := n.Pipe.Cmds[0].Args
			if f, ok := args[0].(*parse.FieldNode); ok && len(args) == 1 && len(f.Ident) == 1 {
				out = append(out, segment{kind: segmentField, text: f.Ident[0]})
				continue
			}
			if id, ok := args[0].(*parse.IdentifierNode); ok && id.Ident == "cmd" && len(args) == 2 {
				if s, ok := args[1].(*parse.StringNode); ok {
					out = append(out, segment{kind: segmentCmd, text: s.Text})
					continue
				}
			}
			return nil
		default:
			return nil
		}
	}
	return out
}

// execute renders the template. It never panics: a panic in a value's
// method becomes an error.
func (t *tmpl) execute(data map[string]any) (out string, err error) {
	if t.t == nil {
		return t.static, nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("template panicked: %v", r)
		}
	}()
	if t.segs != nil {
		return t.join(data), nil
	}
	var b strings.Builder
	if err := t.t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// join renders segs: what text/template would print, without it.
func (t *tmpl) join(data map[string]any) string {
	var b strings.Builder
	b.Grow(t.size)
	for _, s := range t.segs {
		switch s.kind {
		case segmentText:
			b.WriteString(s.text)
		case segmentField:
			b.WriteString(escape(data[s.text]))
		case segmentCmd:
			b.WriteString(escaper.Replace(t.cmds.cmd(s.text)))
		}
	}
	return b.String()
}

// addEscaper appends escapeFunc to every action that prints.
func addEscaper(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			addEscaper(c)
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 { // {{$x := ...}} prints nothing
			return
		}
		n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
			NodeType: parse.NodeCommand,
			Pos:      n.Pos,
			Args:     []parse.Node{parse.NewIdentifier(escapeFunc).SetTree(nil).SetPos(n.Pos)},
		})
	case *parse.IfNode:
		addEscaper(n.List)
		addEscaper(n.ElseList)
	case *parse.RangeNode:
		addEscaper(n.List)
		addEscaper(n.ElseList)
	case *parse.WithNode:
		addEscaper(n.List)
		addEscaper(n.ElseList)
	}
}

// collectFields records the data fields a template uses: .name where dot
// is the data map (not inside range or with), and $.name anywhere.
func collectFields(n parse.Node, top bool, fields map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			collectFields(c, top, fields)
		}
	case *parse.ActionNode:
		collectFields(n.Pipe, top, fields)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			collectFields(c, top, fields)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collectFields(a, top, fields)
		}
	case *parse.ChainNode:
		collectFields(n.Node, top, fields)
	case *parse.FieldNode:
		if top {
			fields[n.Ident[0]] = true
		}
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			fields[n.Ident[1]] = true
		}
	case *parse.TemplateNode:
		collectFields(n.Pipe, top, fields)
	case *parse.IfNode:
		collectFields(n.Pipe, top, fields)
		collectFields(n.List, top, fields)
		collectFields(n.ElseList, top, fields)
	case *parse.RangeNode:
		collectFields(n.Pipe, top, fields)
		collectFields(n.List, false, fields)
		collectFields(n.ElseList, top, fields)
	case *parse.WithNode:
		collectFields(n.Pipe, top, fields)
		collectFields(n.List, false, fields)
		collectFields(n.ElseList, top, fields)
	}
}

// escaper escapes the characters that are special in Telegram HTML text and
// double-quoted attributes.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// Escape escapes s for Telegram HTML text and double-quoted attributes, as
// templates do with the values they print. Use it to build HTML fragments.
func Escape(s string) string { return escaper.Replace(s) }

// escape prints a value for Telegram HTML.
func escape(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case HTML:
		return string(v)
	case string:
		return escaper.Replace(v)
	case error:
		return escaper.Replace(v.Error())
	case fmt.Stringer:
		return escaper.Replace(v.String())
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, bool:
		return fmt.Sprint(v)
	}
	return escaper.Replace(fmt.Sprint(v))
}
