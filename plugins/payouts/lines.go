package payouts

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reading a batch: the lines a user pastes ("recipient amount [note]",
// columns separated by spaces, commas, semicolons or tabs) and the CSV
// files they send (the same columns, an optional header row, UTF-8 with
// or without a byte order mark, Windows or Unix line ends). Reading only
// splits columns; checking them (recipients, amounts) is check.go's.

// rawLine is one line of a batch as the user wrote it, split into its
// columns.
type rawLine struct {
	// N is the line's number in the message or the file (1-based, blank
	// and comment lines counted), as the user's editor shows it.
	N         int
	Recipient string
	Amount    string
	Note      string
	// SplitAmount: the columns are separated by commas and the note looks
	// like the rest of a number ("bob,1,250.50" or "bob,10,5"): which
	// amount was meant cannot be told.
	SplitAmount bool
}

// maxLineBytes bounds one line: longer ones are cut (the checks then
// refuse what remains).
const maxLineBytes = 1024

// bom is UTF-8's byte order mark, which spreadsheet apps put at the start
// of a "CSV UTF-8" file.
const bom = "\ufeff"

// readText splits a pasted message into lines: one payout per line;
// blank lines and lines starting with "#" are skipped.
func readText(text string) []rawLine {
	text = strings.TrimPrefix(text, bom)
	var out []rawLine
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(clip(l))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if r := splitLine(i+1, l); r.Recipient != "" || r.Amount != "" || r.Note != "" {
			out = append(out, r) // a line of separators only is blank
		}
	}
	return out
}

// splitLine splits one typed line into its columns. Tabs or semicolons,
// when the line has any, separate the columns. Otherwise the recipient
// (which never holds a space or a comma) ends at the first space or
// comma: a comma there makes every comma a separator ("bob@x.com, 10,
// rent"); a space leaves commas to the amount, which the user's language
// may write with them ("bob@x.com 1,250.50 rent"), and the rest of the
// line is the note.
func splitLine(n int, l string) rawLine {
	switch {
	case strings.Contains(l, "\t"):
		return columns(n, strings.Split(l, "\t"), '\t')
	case strings.Contains(l, ";"):
		return columns(n, strings.Split(l, ";"), ';')
	}
	end := strings.IndexFunc(l, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
	if end < 0 {
		return rawLine{N: n, Recipient: l}
	}
	rest := strings.TrimLeftFunc(l[end:], unicode.IsSpace)
	if strings.HasPrefix(rest, ",") {
		return columns(n, strings.Split(l, ","), ',')
	}
	amount, note := rest, ""
	if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
		amount, note = rest[:i], rest[i:]
	}
	return rawLine{N: n, Recipient: l[:end], Amount: strings.TrimSuffix(amount, ","),
		Note: strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(note), ","))}
}

// columns makes a rawLine of fields separated by sep: recipient, amount,
// and the note (the fields after them, joined again: a note may hold the
// separator).
func columns(n int, fields []string, sep rune) rawLine {
	for len(fields) > 0 && strings.TrimSpace(fields[len(fields)-1]) == "" {
		fields = fields[:len(fields)-1]
	}
	r := rawLine{N: n}
	if len(fields) > 0 {
		r.Recipient = strings.TrimSpace(fields[0])
	}
	if len(fields) > 1 {
		r.Amount = strings.TrimSpace(fields[1])
	}
	if len(fields) > 2 {
		r.Note = strings.TrimSpace(clip(strings.TrimSpace(strings.Join(fields[2:], string(sep)))))
		r.SplitAmount = sep == ',' && numberish(strings.TrimSpace(fields[2]))
	}
	return r
}

// numberish reports a field that could be the end of a number split at a
// comma: digits, perhaps with a decimal mark ("250.50", "5", "000").
func numberish(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != ',' {
			return false
		}
	}
	return true
}

// clip cuts s to maxLineBytes, on a character boundary.
func clip(s string) string {
	if len(s) <= maxLineBytes {
		return s
	}
	s = s[:maxLineBytes]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// CSV problems.
var (
	// errNotText: the file is not UTF-8 text (a spreadsheet's own format,
	// or a CSV saved in another encoding).
	errNotText = errors.New("payouts: not UTF-8 text")
	// errCSV: the file does not read as CSV (a quote never closed).
	errCSV = errors.New("payouts: not CSV")
)

// csvFile is a CSV file as read: its rows, and the header row when the
// first row was one.
type csvFile struct {
	Rows   []rawLine
	Header []string
	// More: the file has more than the rows read (reading stopped at the
	// caller's limit).
	More bool
}

// readCSV reads a CSV file of payouts: UTF-8 with or without a byte order
// mark, CRLF or LF line ends, columns separated by commas — or by tabs or
// semicolons, when the first line has any (a spreadsheet set to a
// language whose decimal mark is the comma saves with semicolons) —,
// quoted fields as CSV quotes them. The first row is a header when its
// amount column holds no digit and its first column is not a recipient
// ("recipient,amount,note"). Blank rows and rows starting with "#" are
// skipped. At most limit rows are read; More says whether there were more.
func readCSV(data []byte, limit int) (csvFile, error) {
	data = bytes.TrimPrefix(data, []byte(bom))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return csvFile{}, errNotText
	}
	sep := ','
	first, _, _ := bytes.Cut(bytes.TrimLeft(data, "\r\n\t "), []byte("\n"))
	switch {
	case bytes.ContainsRune(first, '\t'):
		sep = '\t'
	case bytes.ContainsRune(first, ';'):
		sep = ';'
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.TrimLeadingSpace = sep, -1, true, true
	var out csvFile
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return csvFile{}, errCSV
		}
		n, _ := r.FieldPos(0)
		if blank(rec) || strings.HasPrefix(strings.TrimSpace(rec[0]), "#") {
			continue
		}
		for i := range rec {
			rec[i] = clip(rec[i])
		}
		if len(out.Rows) == 0 && out.Header == nil && header(rec) {
			out.Header = trimAll(rec)
			continue
		}
		if len(out.Rows) == limit {
			out.More = true
			return out, nil
		}
		out.Rows = append(out.Rows, columns(n, rec, sep))
	}
}

// blank reports a row with nothing in it.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// header reports a first row of column names: its amount column has no
// digit, and its first column does not look like a recipient's email or
// address.
func header(rec []string) bool {
	if len(rec) < 2 || strings.TrimSpace(rec[1]) == "" {
		return false
	}
	first := strings.TrimSpace(rec[0])
	if strings.Contains(first, "@") || strings.HasPrefix(strings.ToLower(first), "0x") {
		return false
	}
	return !strings.ContainsFunc(rec[1], unicode.IsDigit)
}

func trimAll(rec []string) []string {
	out := make([]string, 0, len(rec))
	for _, f := range rec {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}
