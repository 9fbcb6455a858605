package payouts

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestReadText: how pasted lines split into recipient, amount and note.
func TestReadText(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []rawLine
	}{
		{"spaces", "bob@example.com 10.50 March rent", []rawLine{{N: 1, Recipient: "bob@example.com", Amount: "10.50", Note: "March rent"}}},
		{"grouped amount with spaces", "bob@example.com 1,250.50", []rawLine{{N: 1, Recipient: "bob@example.com", Amount: "1,250.50"}}},
		{"decimal comma with spaces", "bob 12,5 alquiler", []rawLine{{N: 1, Recipient: "bob", Amount: "12,5", Note: "alquiler"}}},
		{"commas", "bob@example.com, 10, rent, March", []rawLine{{N: 1, Recipient: "bob@example.com", Amount: "10", Note: "rent, March"}}},
		{"comma then digits is ambiguous", "bob@example.com,1,250.50", []rawLine{{N: 1, Recipient: "bob@example.com", Amount: "1", Note: "250.50", SplitAmount: true}}},
		{"tabs", "bob@example.com\t10\tnote, with comma", []rawLine{{N: 1, Recipient: "bob@example.com", Amount: "10", Note: "note, with comma"}}},
		{"semicolons", "bob@example.com; 1.250,50 ;nómina", []rawLine{{N: 1, Recipient: "bob@example.com", Amount: "1.250,50", Note: "nómina"}}},
		{"trailing comma after the amount", "bob 10, rent", []rawLine{{N: 1, Recipient: "bob", Amount: "10", Note: "rent"}}},
		{"recipient only", "bob@example.com", []rawLine{{N: 1, Recipient: "bob@example.com"}}},
		{"blank lines, comments, CRLF and a BOM", "\ufeffbob 1\r\n\r\n# comment\r\n  carol   2  \r\n", []rawLine{
			{N: 1, Recipient: "bob", Amount: "1"}, {N: 4, Recipient: "carol", Amount: "2"}}},
		{"nothing", " \n\n# only\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readText(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("readText(%q) =\n%+v\nwant\n%+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestReadCSV: spreadsheet exports — a BOM, CRLF, a header, quotes,
// semicolons or tabs — and the limit.
func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		limit  int
		want   []rawLine
		header []string
		more   bool
	}{
		{"BOM, header, CRLF, quotes", "\ufeffrecipient,amount,note\r\nbob@example.com,10.50,rent\r\n\"carol\",\"1,250.00\",\"a, b\"\r\n", 50,
			[]rawLine{{N: 2, Recipient: "bob@example.com", Amount: "10.50", Note: "rent"}, {N: 3, Recipient: "carol", Amount: "1,250.00", Note: "a, b"}},
			[]string{"recipient", "amount", "note"}, false},
		{"no header, LF", "bob@example.com,10\ncarol@example.com,5\n", 50,
			[]rawLine{{N: 1, Recipient: "bob@example.com", Amount: "10"}, {N: 2, Recipient: "carol@example.com", Amount: "5"}}, nil, false},
		{"a first row of a payee whose amount is a word is data", "bob@example.com,ten\n", 50,
			[]rawLine{{N: 1, Recipient: "bob@example.com", Amount: "ten"}}, nil, false},
		{"semicolons", "destinatario;importe;nota\nbob;1.250,50;nómina\n", 50,
			[]rawLine{{N: 2, Recipient: "bob", Amount: "1.250,50", Note: "nómina"}}, []string{"destinatario", "importe", "nota"}, false},
		{"tabs", "bob\t10\tx, y\n", 50, []rawLine{{N: 1, Recipient: "bob", Amount: "10", Note: "x, y"}}, nil, false},
		{"blank rows and comments", "\n,,\n# note\nbob,1\n", 50, []rawLine{{N: 4, Recipient: "bob", Amount: "1"}}, nil, false},
		{"unquoted grouped amount", "bob,1,250.50\n", 50, []rawLine{{N: 1, Recipient: "bob", Amount: "1", Note: "250.50", SplitAmount: true}}, nil, false},
		{"limit", "a,1\nb,2\nc,3\n", 2, []rawLine{{N: 1, Recipient: "a", Amount: "1"}, {N: 2, Recipient: "b", Amount: "2"}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readCSV([]byte(tc.in), tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Rows, tc.want) || !slices.Equal(got.Header, tc.header) || got.More != tc.more {
				t.Errorf("readCSV(%q) =\n%+v\nwant\n%+v %q more=%v", tc.in, got, tc.want, tc.header, tc.more)
			}
		})
	}
	for _, bad := range []string{"bob,1\n\xff\xfe", "bob,\x00,1"} {
		if _, err := readCSV([]byte(bad), 50); err != errNotText {
			t.Errorf("readCSV(%q) = %v, want errNotText", bad, err)
		}
	}
}

// checkRaw checks what every reader promises of a line: its number is
// positive and increasing, its columns valid UTF-8 without line breaks,
// the recipient non-empty and without spaces or commas (unless a column
// separator said otherwise), within the line bound.
func checkRaw(t *testing.T, lines []rawLine) {
	t.Helper()
	last := 0
	for _, l := range lines {
		if l.N <= last {
			t.Fatalf("line numbers not increasing: %+v", lines)
		}
		last = l.N
		for _, f := range []string{l.Recipient, l.Amount, l.Note} {
			if !utf8.ValidString(f) || len(f) > maxLineBytes || f != strings.TrimSpace(f) {
				t.Fatalf("column %q of %+v", f, l)
			}
		}
		if l.Recipient == "" && l.Amount == "" && l.Note == "" {
			t.Fatalf("an empty line was read: %+v", l)
		}
	}
}

// FuzzReadText: whatever is pasted reads as lines keeping checkRaw's
// promises, one line per non-blank, non-comment line at most, and reading
// is deterministic.
func FuzzReadText(f *testing.F) {
	for _, s := range []string{"bob@example.com 10.50 March rent", "bob,1,250.50", "a\tb\tc", "x;1,5;n", "\ufeff# c\r\nbob 1\r\n", "", " , ,", "bob 10, x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			return // Telegram delivers valid UTF-8 only
		}
		got := readText(in)
		checkRaw(t, got)
		if n := strings.Count(in, "\n") + 1; len(got) > n {
			t.Fatalf("%d lines read from %d", len(got), n)
		}
		if again := readText(in); !slices.Equal(got, again) {
			t.Fatal("not deterministic")
		}
		for _, l := range got {
			if strings.Contains(l.Recipient, "\t") || !strings.ContainsAny(in, "\t;") && strings.ContainsAny(l.Recipient, " ,") {
				t.Fatalf("a separator in the recipient %q", l.Recipient)
			}
		}
	})
}

// FuzzReadCSV: any file reads as rows keeping checkRaw's promises (at
// most limit of them, More saying there were others), or is refused with
// errNotText or errCSV; never anything else.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{csvSeed, "a,1\nb,2\nc,3\n", "\"unclosed,1\n", "x;1,5;n\r\n", "\xff", "h1,h2\n", ""} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		limit = max(1, limit%60)
		got, err := readCSV(in, limit)
		if err != nil {
			if err != errNotText && err != errCSV {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkRaw(t, got.Rows)
		if len(got.Rows) > limit || got.More && len(got.Rows) != limit {
			t.Fatalf("%d rows, more=%v, limit %d", len(got.Rows), got.More, limit)
		}
	})
}

const csvSeed = "\ufeffrecipient,amount,note\r\nbob@example.com,10.50,rent\r\n\"carol\",\"1,250.00\",\"a, b\"\r\n"
