package qr

import (
	"bytes"
	"image/png"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestPNG(t *testing.T) {
	for _, tc := range []struct {
		content string
		size    int
	}{
		{"ethereum:0x52908400098527886E0F7030069857D2E4169EE7@137", 256},
		{"https://t.me/copperx_bot?start=pay_abcdefABCDEF0123456789", 512},
	} {
		img, err := PNG(tc.content, tc.size)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("%q: not a PNG: %v", tc.content, err)
		}
		if b := m.Bounds(); b.Dx() != tc.size || b.Dy() != tc.size {
			t.Errorf("%q: %v, want %d×%d", tc.content, b, tc.size, tc.size)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(m)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil || res.GetText() != tc.content {
			t.Errorf("%q: reads back as %v (%v)", tc.content, res, err)
		}
		again, _ := PNG(tc.content, tc.size)
		if &again[0] != &img[0] {
			t.Errorf("%q: drawn again instead of kept", tc.content)
		}
	}
}

func TestCacheIsBounded(t *testing.T) {
	for i := range cacheSize + 10 {
		if _, err := PNG("x"+strconv.Itoa(i), 64); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(cache) != cacheSize || len(order) != cacheSize {
		t.Fatalf("%d kept (%d in order), want %d", len(cache), len(order), cacheSize)
	}
}
