package console

import (
	"html"
	"regexp"
	"strings"
)

// ANSI styles used when colour is on.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiItalic = "\x1b[3m"
	ansiUnder  = "\x1b[4m"
	ansiStrike = "\x1b[9m"
	ansiCode   = "\x1b[36m"
	ansiLink   = "\x1b[4;34m"
	ansiHidden = "\x1b[7m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiRed    = "\x1b[31m"
)

var (
	renderTagRe = regexp.MustCompile(`^<(/?)([a-zA-Z-]+)((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*/?>`)
	hrefRe      = regexp.MustCompile(`href="([^"]*)"`)
)

// tagStyle is the ANSI style of a Telegram HTML tag ("" = none).
func tagStyle(tag string) string {
	switch tag {
	case "b", "strong":
		return ansiBold
	case "i", "em":
		return ansiItalic
	case "u", "ins":
		return ansiUnder
	case "s", "strike", "del":
		return ansiStrike
	case "code", "pre":
		return ansiCode
	case "a":
		return ansiLink
	case "tg-spoiler":
		return ansiHidden
	case "blockquote":
		return ansiDim
	}
	return ""
}

// RenderHTML turns Telegram HTML into terminal text: tags become ANSI styles
// when color is set (and vanish otherwise), links read "text (url)",
// entities are unescaped and blockquote lines start with "│ ". Malformed
// markup is shown as it is rather than dropped.
func RenderHTML(s string, color bool) string {
	var out strings.Builder
	type open struct {
		tag, href string
		start     int // offset in out where the link text starts
	}
	var stack []open
	quote := 0
	restyle := func() {
		if !color {
			return
		}
		out.WriteString(ansiReset)
		for _, o := range stack {
			out.WriteString(tagStyle(o.tag))
		}
	}
	text := func(t string) {
		t = html.UnescapeString(t)
		if quote > 0 {
			t = strings.ReplaceAll(t, "\n", "\n│ ")
		}
		out.WriteString(t)
	}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			text(s[i:])
			break
		}
		text(s[i : i+j])
		i += j
		m := renderTagRe.FindStringSubmatch(s[i:])
		if m == nil {
			out.WriteString("<")
			i++
			continue
		}
		i += len(m[0])
		closing, tag := m[1] == "/", strings.ToLower(m[2])
		if !closing {
			o := open{tag: tag, start: out.Len()}
			if tag == "a" {
				if h := hrefRe.FindStringSubmatch(m[3]); h != nil {
					o.href = html.UnescapeString(h[1])
				}
			}
			if tag == "blockquote" {
				quote++
				if out.Len() > 0 && !strings.HasSuffix(out.String(), "\n") {
					out.WriteString("\n")
				}
				out.WriteString("│ ")
			}
			stack = append(stack, o)
			if color {
				out.WriteString(tagStyle(tag))
			}
			continue
		}
		// Close the innermost matching tag (and anything left open inside it).
		k := len(stack) - 1
		for k >= 0 && stack[k].tag != tag {
			k--
		}
		if k < 0 {
			continue
		}
		o := stack[k]
		stack = stack[:k]
		restyle()
		switch tag {
		case "a":
			label := stripANSI(out.String()[o.start:])
			if o.href != "" && label != o.href && !strings.HasPrefix(o.href, "tg://") {
				out.WriteString(" (" + o.href + ")")
			}
		case "blockquote":
			quote--
		}
	}
	if color && len(stack) > 0 {
		out.WriteString(ansiReset)
	}
	return out.String()
}

var ansiRe = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripANSI removes colour codes (for matching expectations).
func stripANSI(s string) string { return ansiRe.ReplaceAllString(s, "") }
