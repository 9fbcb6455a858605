package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// File is a file the user sent (a Telegram document), as a flow step's
// File handler sees it; DownloadFile reads it.
type File struct {
	// ID is Telegram's file_id (what getFile takes).
	ID string
	// Name and MimeType are as the sender's app gave them (may be empty).
	Name     string
	MimeType string
	// Size in bytes, as Telegram announced it (0: not announced).
	Size int64
}

// ErrFileTooLarge is DownloadFile's refusal of a file above its limit.
var ErrFileTooLarge = errors.New("kernel: file too large")

// File is the document of the update's message, or nil.
func (c *Ctx) File() *File {
	m := c.Update.Message
	if m == nil || m.Document == nil || m.Document.FileId == "" {
		return nil
	}
	d := m.Document
	return &File{ID: d.FileId, Name: d.FileName, MimeType: d.MimeType, Size: d.FileSize}
}

// DownloadFile reads f's content (getFile, then the Bot API's file URL),
// at most limit bytes: a larger file is ErrFileTooLarge, refused before
// the download when Telegram announced its size. Each of the two requests
// is bounded by telegram.request_timeout.
func (c *Ctx) DownloadFile(f *File, limit int64) ([]byte, error) {
	if f == nil || f.ID == "" {
		return nil, errors.New("download file: no file")
	}
	if f.Size > limit {
		return nil, ErrFileTooLarge
	}
	k := c.k
	meta, err := k.bot.GetFileWithContext(c, f.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("getFile: %w", err)
	}
	if meta.FileSize > limit {
		return nil, ErrFileTooLarge
	}
	if meta.FilePath == "" {
		return nil, errors.New("getFile: no file_path (the file is not downloadable)")
	}
	ctx, cancel := context.WithTimeout(c, k.cfg.Telegram.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.bot.FileURL(k.bot.Token, meta.FilePath, nil), nil)
	if err != nil {
		return nil, fmt.Errorf("download file: %w", redactToken(err, k.bot.Token))
	}
	res, err := k.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("download file: %w", redactToken(err, k.bot.Token))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download file: HTTP %d", res.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download file: %w", redactToken(err, k.bot.Token))
	}
	if int64(len(data)) > limit {
		return nil, ErrFileTooLarge
	}
	return data, nil
}

// httpClient is the Bot API client's HTTP client (its kept-alive
// connections), for file downloads.
func (k *Kernel) httpClient() *http.Client {
	if rc, ok := k.bot.BotClient.(*retryClient); ok {
		if jc, ok := rc.BotClient.(*jsonClient); ok {
			return jc.http
		}
	}
	return http.DefaultClient
}
