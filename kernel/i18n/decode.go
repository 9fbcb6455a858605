package i18n

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// categories are the CLDR plural categories, in CLDR order.
var categories = []string{"zero", "one", "two", "few", "many", "other"}

func isCategory(s string) bool {
	for _, c := range categories {
		if s == c {
			return true
		}
	}
	return false
}

// problem is a content problem in one file, found by Load or Check.
type problem struct {
	file string
	line int
	key  string
	msg  string
}

func (p problem) Error() string {
	if p.line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", p.file, p.line, p.key, p.msg)
	}
	return fmt.Sprintf("%s: %s: %s", p.file, p.key, p.msg)
}

// decode fills l.msgs from a YAML document, recording content problems in
// l.problems. It fails only when data is not YAML or not a map.
func (l *locale) decode(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Kind == 0 { // empty file
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return errors.New("top level is not a map of keys")
	}
	l.walk(root, "")
	return nil
}

// walk flattens a mapping node whose keys are under prefix.
func (l *locale) walk(n *yaml.Node, prefix string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		switch {
		case k.Kind != yaml.ScalarNode || k.Value == "" || strings.Contains(k.Value, "."):
			l.problem(k.Line, prefix+k.Value, "a key segment must be a non-empty name without dots")
			continue
		case k.Value == "<<":
			l.problem(k.Line, key, "YAML merge keys are not supported")
			continue
		}
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag == "!!str":
			l.add(key, k.Line, v.Value, nil)
		case v.Kind == yaml.MappingNode && isPluralMap(v):
			l.pluralLeaf(key, k.Line, v)
		case v.Kind == yaml.MappingNode:
			l.walk(v, key+".")
		default:
			l.problem(k.Line, key, "value is "+describe(v)+", want a string, a map of keys or a plural map (quote it to make it a string)")
		}
	}
}

// isPluralMap reports whether a map has a CLDR category key with a string
// value.
func isPluralMap(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isCategory(n.Content[i].Value) && n.Content[i+1].Kind == yaml.ScalarNode && n.Content[i+1].Tag == "!!str" {
			return true
		}
	}
	return false
}

// pluralLeaf checks and adds a plural map.
func (l *locale) pluralLeaf(key string, line int, n *yaml.Node) {
	forms := map[string]string{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !isCategory(k.Value):
			l.problem(k.Line, key, fmt.Sprintf("plural form %q is not a CLDR category (%s)", k.Value, strings.Join(categories, ", ")))
			ok = false
		case v.Kind != yaml.ScalarNode || v.Tag != "!!str":
			l.problem(k.Line, key, fmt.Sprintf("plural form %q is %s, want a string", k.Value, describe(v)))
			ok = false
		default:
			forms[k.Value] = v.Value
		}
	}
	if _, has := forms["other"]; !has {
		l.problem(line, key, `plural map has no "other" form`)
		ok = false
	}
	l.add(key, line, "", forms)
	if !ok {
		l.msgs[key].broken = true
	}
}

// add compiles a string leaf (forms == nil) or a plural leaf and stores it.
func (l *locale) add(key string, line int, text string, forms map[string]string) {
	if prev, dup := l.msgs[key]; dup {
		l.problem(line, key, fmt.Sprintf("defined twice (first on line %d)", prev.line))
		return
	}
	m := &message{file: l.file, line: line, fields: map[string]bool{}}
	l.msgs[key] = m
	if forms == nil {
		t, err := compile(key, text, m.fields, l.cmds)
		if err != nil {
			l.problem(line, key, err.Error())
			m.broken = true
		}
		m.text = t
		return
	}
	m.forms = make(map[string]*tmpl, len(forms))
	for _, form := range categories {
		src, ok := forms[form]
		if !ok {
			continue
		}
		t, err := compile(key+"."+form, src, m.fields, l.cmds)
		if err != nil {
			l.problem(line, key, fmt.Sprintf("form %s: %v", form, err))
			m.broken = true
		}
		m.forms[form] = t
	}
}

func (l *locale) problem(line int, key, msg string) {
	l.problems = append(l.problems, problem{file: l.file, line: line, key: key, msg: msg})
}

// describe names the kind of a YAML value for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		}
		return "a " + strings.TrimPrefix(n.Tag, "!!")
	}
	return "not a string"
}
