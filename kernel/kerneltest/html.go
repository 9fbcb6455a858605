package kerneltest

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	allowedTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
		"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true, "tg-spoiler": true,
		"span": true, "blockquote": true, "tg-emoji": true}
	tagRe    = regexp.MustCompile(`^<(/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>`)
	entityRe = regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);`)
)

// checkHTML rejects text that Telegram's HTML parse mode would refuse: an
// unknown tag, unbalanced tags, or a bare '<' or '&' (an unescaped value).
func checkHTML(text, mode string) error {
	if !strings.EqualFold(mode, "HTML") {
		return nil
	}
	var stack []string
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			m := tagRe.FindStringSubmatch(text[i:])
			if m == nil || !allowedTags[m[2]] {
				return fmt.Errorf("unsupported start tag or bare '<' at byte offset %d", i)
			}
			if m[1] == "/" {
				if len(stack) == 0 || stack[len(stack)-1] != m[2] {
					return fmt.Errorf("unexpected end tag %q at byte offset %d", m[2], i)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, m[2])
			}
			i += len(m[0])
		case '&':
			m := entityRe.FindString(text[i:])
			if m == "" {
				return fmt.Errorf("bare '&' at byte offset %d", i)
			}
			i += len(m)
		case '>':
			return fmt.Errorf("bare '>' at byte offset %d", i)
		default:
			i++
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("can't find end tag corresponding to start tag %q", stack[len(stack)-1])
	}
	return nil
}
