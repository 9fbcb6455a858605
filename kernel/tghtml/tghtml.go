// Package tghtml checks text against Telegram's HTML parse mode, the way
// the Bot API does before it sends a message: the locale catalog runs it
// on every message at start-up (so a bare "&" or an unclosed <b> in a
// translation stops the bot instead of breaking every reply that uses it),
// and the fake Bot API of the tests and the console runs it on every send.
package tghtml

import (
	"fmt"
	"regexp"
)

var (
	allowedTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
		"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true, "tg-spoiler": true,
		"span": true, "blockquote": true, "tg-emoji": true}
	tagRe    = regexp.MustCompile(`^<(/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>`)
	entityRe = regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);`)
)

// Check reports why Telegram would refuse text in HTML parse mode: a tag
// it does not support, unbalanced tags, or a bare '<', '>' or '&' (a value
// that was not escaped). It returns nil for text Telegram accepts.
func Check(text string) error {
	var stack []string
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			m := tagRe.FindStringSubmatch(text[i:])
			if m == nil || !allowedTags[m[2]] {
				return fmt.Errorf("unsupported tag or bare '<' at byte %d", i)
			}
			if m[1] == "/" {
				if len(stack) == 0 || stack[len(stack)-1] != m[2] {
					return fmt.Errorf("end tag </%s> at byte %d closes nothing open", m[2], i)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, m[2])
			}
			i += len(m[0])
		case '&':
			m := entityRe.FindString(text[i:])
			if m == "" {
				return fmt.Errorf("bare '&' at byte %d (write &amp;)", i)
			}
			i += len(m)
		case '>':
			return fmt.Errorf("bare '>' at byte %d (write &gt;)", i)
		default:
			i++
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("<%s> is never closed", stack[len(stack)-1])
	}
	return nil
}
