package wallet_test

import (
	"bytes"
	"image"
	_ "image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// decodeQR reads the text and the width of a QR code PNG.
func decodeQR(t *testing.T, png []byte) (string, int) {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.GetText(), img.Bounds().Dx()
}

func TestDepositAddressWithQR(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	polygon := walletOn(e, "137")
	tr := kerneltest.NewTranscript(u).Replace(polygon.WalletAddress, "<address>")
	photo := tr.Send("/deposit").LastOf(t, "photo")
	// EIP-681: USDC's contract on Polygon (chain 137), transfer to the address.
	wantURI := "ethereum:0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359@137/transfer?address=" + polygon.WalletAddress
	if got, size := decodeQR(t, photo.Photo); got != wantURI || size != 512 {
		t.Fatalf("QR = %q (%dpx), want %q (512px)", got, size, wantURI)
	}
	for _, s := range []string{"<code>" + polygon.WalletAddress + "</code>", "<b>Send only USDC, and only on Polygon, to this address.</b>",
		`<a href="https://polygonscan.com/address/` + polygon.WalletAddress + `">`} {
		if !strings.Contains(photo.Text, s) {
			t.Errorf("caption lacks %q:\n%s", s, photo.Text)
		}
	}
	if b := photo.AllButtons()[0]; b.Copy != polygon.WalletAddress {
		t.Fatalf("copy button = %+v", b)
	}

	pick := tr.Tap("Other network").LastOf(t, "send")
	tr.Check(t, "deposit_en")
	if !strings.Contains(pick.Text, "On which network") || len(pick.AllButtons()) != 4 {
		t.Fatalf("picker:\n%s\n%q", pick.Text, pick.Labels())
	}
	photo = u.Tap("Starknet").LastOf(t, "photo")
	starknet := walletOn(e, "23434")
	if got, _ := decodeQR(t, photo.Photo); got != starknet.WalletAddress || !strings.Contains(photo.Text, "only on Starknet,") {
		t.Fatalf("starknet QR %q, caption:\n%s", got, photo.Text)
	}

	// /deposit <network> goes straight there; Spanish speakers get Spanish.
	photo = u.Send("/deposit base").LastOf(t, "photo")
	if got, _ := decodeQR(t, photo.Photo); got != "ethereum:0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913@8453/transfer?address="+walletOn(e, "8453").WalletAddress {
		t.Fatalf("/deposit base QR = %q", got)
	}
	spanish := e.H.Private(43)
	spanish.LanguageCode = "es"
	e.Login(spanish, "")
	spanish.Send("/deposit").Expect(t, "Envía a esta dirección solo USDC, y solo en Polygon.")

	// From /balance, Deposit acts as /deposit.
	u.Send("/balance")
	if got, _ := decodeQR(t, u.Tap("Deposit").LastOf(t, "photo").Photo); got != wantURI {
		t.Fatalf("Deposit under /balance QR = %q", got)
	}
}

func TestDepositQRSizeFromEnv(t *testing.T) {
	e := newEnv(t, setup{env: []string{"COPPERX_BOT_PLUGINS__WALLET__QR_SIZE=256", "COPPERX_BOT_PLUGINS__WALLET__DEPOSIT_TOKEN=USDT"}})
	photo := e.U.Send("/deposit").LastOf(t, "photo")
	if _, size := decodeQR(t, photo.Photo); size != 256 {
		t.Fatalf("QR is %dpx, want 256", size)
	}
	if !strings.Contains(photo.Text, "Send only USDT, and only on Polygon") {
		t.Fatalf("caption:\n%s", photo.Text)
	}
}

// TestDepositQRPaymentLinks: on Solana the QR code is a Solana Pay link to
// the address for USDC's mint; on Starknet, which has none, the address.
func TestDepositQRPaymentLinks(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	u.Send("/wallets")
	u.Tap("New wallet")
	u.Tap("Solana")
	solana := walletOn(e, "1399811149")
	photo := u.Send("/deposit solana").LastOf(t, "photo")
	want := "solana:" + solana.WalletAddress + "?spl-token=EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
	if got, _ := decodeQR(t, photo.Photo); got != want {
		t.Fatalf("Solana QR = %q, want %q", got, want)
	}
	if b := photo.AllButtons()[0]; b.Copy != solana.WalletAddress {
		t.Fatalf("Copy gives %q, want the bare address", b.Copy)
	}
	photo = u.Send("/deposit starknet").LastOf(t, "photo")
	if got, _ := decodeQR(t, photo.Photo); got != walletOn(e, "23434").WalletAddress {
		t.Fatalf("Starknet QR = %q, want the bare address", got)
	}
}
