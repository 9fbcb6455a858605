package i18n

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// viaTemplate renders t with text/template, as every message was before
// the segments.
func viaTemplate(t *tmpl, data map[string]any) (string, error) {
	var b strings.Builder
	err := t.t.Execute(&b, data)
	return b.String(), err
}

// sameAsTemplate fails unless rendering src by segments prints what
// text/template prints, for data with each value in every field, and with
// no data.
func sameAsTemplate(t *testing.T, src string, values []any) {
	t.Helper()
	fields := map[string]bool{}
	cmds := &commands{resolve: func(action string) string { return "/" + action + "<&>" }}
	m, err := compile("x", src, fields, cmds)
	if err != nil || m.segs == nil {
		return
	}
	datas := []map[string]any{nil, noData}
	for _, v := range values {
		d := map[string]any{}
		for f := range fields {
			d[f] = v
		}
		datas = append(datas, d)
	}
	for _, data := range datas {
		if data == nil {
			data = noData // as render passes it
		}
		want, err := viaTemplate(m, data)
		if err != nil {
			continue // such a template fails either way (reported by Check)
		}
		if got := m.join(data); got != want {
			t.Fatalf("%q with %v: segments print %q, text/template %q", src, data, got, want)
		}
	}
}

var sampleValues = []any{"Ada & <Bob> \"q\"", HTML("<b>bold</b>"), 42, int64(-7), 1.5, decimal.RequireFromString("1250.50"),
	errors.New("boom <x>"), true, nil, []string{"a", "b"}, map[string]any{"k": 1}}

func TestSegmentsPrintWhatTemplatesPrint(t *testing.T) {
	tests := []struct {
		src    string
		simple bool // rendered by segments
	}{
		{"plain {{.a}} and {{.b}}", true},
		{"{{.a}}", true},
		{"Log in with {{cmd `auth.login`}}, then {{cmd \"wallet.balance\"}}.", true},
		{"{{- .a -}}  x  {{- .b}}", true},
		{"{{.missing}}!", true},
		{"{{if .a}}yes{{end}}", false},
		{"{{range .a}}x{{end}}", false},
		{"{{.a.b}}", false},
		{"{{.a | printf \"%v\"}}", false},
		{"{{$x := .a}}{{$x}}", false},
		{"{{.}}", false},
		{"{{printf \"%d\" 3}}", false},
		{`{{define "t"}}x{{end}}{{template "t"}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			m, err := compile("x", tc.src, map[string]bool{}, &commands{})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.segs != nil; got != tc.simple {
				t.Fatalf("rendered by segments: %v, want %v", got, tc.simple)
			}
			sameAsTemplate(t, tc.src, sampleValues)
		})
	}
}

// FuzzSegments checks that any template the segments render prints what
// text/template prints.
func FuzzSegments(f *testing.F) {
	for _, s := range []string{"a {{.x}} b", "{{cmd `a.b`}}", "{{- .x}} {{.y -}}", "{{.x}}{{if .y}}z{{end}}", "<b>{{.n}}</b>"} {
		f.Add(s, "v<&>")
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		sameAsTemplate(t, src, []any{value, HTML(value), nil})
	})
}
