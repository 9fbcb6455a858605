// Package qr draws QR codes as PNG images for the plugins that show them
// (deposit addresses, payment links). It is not a plugin.
//
// Drawing is CPU work (most of it compressing the PNG), and the same
// deposit address is drawn again each time its screen is shown: images
// are compressed for speed (a two-colour QR code loses little size) and
// the newest ones are kept.
package qr

import (
	"bytes"
	"fmt"
	"image/png"
	"sync"

	"github.com/skip2/go-qrcode"
)

// cacheSize bounds the kept images (a few KB each).
const cacheSize = 256

var (
	mu    sync.Mutex
	cache = map[key][]byte{}
	order []key // oldest first
)

type key struct {
	content string
	size    int
}

// PNG draws content as a QR code (medium error correction) of size×size
// pixels. The returned slice is shared: do not modify it.
func PNG(content string, size int) ([]byte, error) {
	k := key{content, size}
	mu.Lock()
	img, ok := cache[k]
	mu.Unlock()
	if ok {
		return img, nil
	}
	code, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, code.Image(size)); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	img = b.Bytes()
	mu.Lock()
	defer mu.Unlock()
	if _, ok := cache[k]; !ok {
		cache[k] = img
		order = append(order, k)
		if len(order) > cacheSize {
			delete(cache, order[0])
			order = order[1:]
		}
	}
	return img, nil
}
