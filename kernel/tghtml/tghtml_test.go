package tghtml

import "testing"

func TestCheck(t *testing.T) {
	tests := []struct {
		text string
		ok   bool
	}{
		{"plain text", true},
		{"<b>bold</b> and <i>it</i>", true},
		{`<a href="https://x.io/?a=1&amp;b=2">link</a>`, true},
		{"1 &lt; 2 &amp;&amp; 3 &gt; 2 &#128512; &#x1F600;", true},
		{"<code>0x12</code>\n<pre>x</pre>", true},
		{"Tom & Jerry", false},
		{"<b>never closed", false},
		{"</b>", false},
		{"<b><i>crossed</b></i>", false},
		{"<div>no</div>", false},
		{"a < b", false},
		{"a > b", false},
		{`<a href=x>unquoted</a>`, false},
	}
	for _, tt := range tests {
		if err := Check(tt.text); (err == nil) != tt.ok {
			t.Errorf("Check(%q) = %v, want ok=%v", tt.text, err, tt.ok)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"<b>x</b>", "&amp;", "<a href=\"u\">", "&", "<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _ = Check(s) })
}
