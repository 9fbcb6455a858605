package copperx

import (
	"strings"
	"testing"
)

func TestNetworks(t *testing.T) {
	ns := DefaultNetworks()
	if err := ns.Validate(); err != nil {
		t.Fatal(err)
	}
	ids := []string{"23434", "999", "8453", "137"}
	ns.Sort(ids)
	if got := strings.Join(ids, ","); got != "137,8453,23434,999" {
		t.Fatalf("sorted = %s", got)
	}
	if n, ok := ns.Lookup("999"); ok || n.Name != "network 999" || n.AddressURL("0xabc") != "" {
		t.Fatalf("unknown network = %+v", n)
	}
	p, _ := ns.Lookup("137")
	if got := p.TxURL("0xdead"); got != "https://polygonscan.com/tx/0xdead" {
		t.Fatalf("tx url = %s", got)
	}
	bad := Networks{"5": {Name: "Goerli", Format: "cosmos"}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "networks.5.format") {
		t.Fatalf("err = %v", err)
	}
}

func TestPaymentURI(t *testing.T) {
	nets := DefaultNetworks()
	const evmAddr = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	const solAddr = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"
	tests := []struct{ chain, symbol, addr, want string }{
		{"137", "USDC", evmAddr, "ethereum:0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359@137/transfer?address=" + evmAddr},
		{"8453", "USDC", evmAddr, "ethereum:0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913@8453/transfer?address=" + evmAddr},
		{"1399811149", "USDC", solAddr, "solana:" + solAddr + "?spl-token=EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"},
		{"23434", "USDC", "0x1234", ""}, // Starknet: no payment link
		{"137", "USDT", evmAddr, ""},    // no contract configured
		{"97", "USDC", evmAddr, ""},     // none for the BNB testnet
		{"999999", "USDC", evmAddr, ""}, // unknown network
	}
	for _, tt := range tests {
		n, _ := nets.Lookup(tt.chain)
		if got := n.PaymentURI(tt.chain, tt.symbol, tt.addr); got != tt.want {
			t.Errorf("PaymentURI(%s, %s) = %q, want %q", tt.chain, tt.symbol, got, tt.want)
		}
	}
	bad := Networks{"137": {Name: "Polygon", Format: FormatEVM, Tokens: map[string]string{"USDC": "0x12"}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "networks.137.tokens.USDC") {
		t.Fatalf("Validate() = %v", err)
	}
}
