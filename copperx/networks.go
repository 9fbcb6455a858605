package copperx

import (
	"regexp"
	"strconv"

	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Address formats of the networks CopperX pays on.
const (
	FormatEVM      = "evm"
	FormatSolana   = "solana"
	FormatStarknet = "starknet"
)

// Network describes a chain id for people: its name, explorer links and
// the address format wallets on it use. Operators list them in config.yaml
// (networks:), so a new chain is a config change.
type Network struct {
	// Name shown to users ("Polygon").
	Name string `koanf:"name"`
	// Format of addresses: evm, solana or starknet.
	Format string `koanf:"format"`
	// Explorer URL templates; {address} and {tx} are replaced.
	ExplorerAddress string `koanf:"explorer_address"`
	ExplorerTx      string `koanf:"explorer_tx"`
	// Testnet marks test networks.
	Testnet bool `koanf:"testnet"`
	// Order sorts networks for display (lower first; ties by name).
	Order int `koanf:"order"`
	// Tokens are the contracts (EVM) or mints (Solana) of tokens on this
	// network by symbol ("USDC"), for payment links wallets understand.
	Tokens map[string]string `koanf:"tokens"`
}

// PaymentURI is a link that wallets of the network open as "send token to
// address": EIP-681 (ethereum:<token>@<chain>/transfer?address=<address>)
// on EVM networks, a Solana Pay transfer (solana:<address>?spl-token=<mint>)
// on Solana. It is "" when the network has no such link or the token's
// contract is not configured; the bare address is the fallback.
func (n Network) PaymentURI(chainID, symbol, address string) string {
	token := n.Tokens[symbol]
	if token == "" || address == "" {
		return ""
	}
	switch n.Format {
	case FormatEVM:
		if _, err := strconv.ParseUint(chainID, 10, 64); err != nil {
			return ""
		}
		return "ethereum:" + token + "@" + chainID + "/transfer?address=" + address
	case FormatSolana:
		return "solana:" + address + "?spl-token=" + token
	}
	return ""
}

// Networks maps chain ids ("137") to their description.
type Networks map[string]Network

// DefaultNetworks are the chains copperx-api.md lists.
func DefaultNetworks() Networks {
	evm := func(name, explorer string, order int, testnet bool, usdc string) Network {
		n := Network{Name: name, Format: FormatEVM, ExplorerAddress: explorer + "/address/{address}",
			ExplorerTx: explorer + "/tx/{tx}", Order: order, Testnet: testnet}
		if usdc != "" {
			n.Tokens = map[string]string{"USDC": usdc}
		}
		return n
	}
	return Networks{
		"137":        evm("Polygon", "https://polygonscan.com", 10, false, "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"),
		"42161":      evm("Arbitrum One", "https://arbiscan.io", 20, false, "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"),
		"8453":       evm("Base", "https://basescan.org", 30, false, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"),
		"1":          evm("Ethereum", "https://etherscan.io", 40, false, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"),
		"10":         evm("Optimism", "https://optimistic.etherscan.io", 50, false, "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85"),
		"56":         evm("BNB Chain", "https://bscscan.com", 60, false, "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d"),
		"23434":      {Name: "Starknet", Format: FormatStarknet, ExplorerAddress: "https://voyager.online/contract/{address}", ExplorerTx: "https://voyager.online/tx/{tx}", Order: 70},
		"1399811149": {Name: "Solana", Format: FormatSolana, ExplorerAddress: "https://solscan.io/account/{address}", ExplorerTx: "https://solscan.io/tx/{tx}", Order: 80, Tokens: map[string]string{"USDC": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"}},
		"11155111":   evm("Sepolia", "https://sepolia.etherscan.io", 100, true, "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238"),
		"80002":      evm("Polygon Amoy", "https://amoy.polygonscan.com", 110, true, "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582"),
		"84532":      evm("Base Sepolia", "https://sepolia.basescan.org", 120, true, "0x036CbD53842c5426634e7929541eC2318f3dCF7e"),
		"421614":     evm("Arbitrum Sepolia", "https://sepolia.arbiscan.io", 130, true, "0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d"),
		"11155420":   evm("OP Sepolia", "https://sepolia-optimism.etherscan.io", 140, true, "0x5fd84259d66Cd46123540766Be93DFE6D43130D7"),
		"97":         evm("BNB testnet", "https://testnet.bscscan.com", 150, true, ""),
		"39361":      {Name: "Starknet Sepolia", Format: FormatStarknet, ExplorerAddress: "https://sepolia.voyager.online/contract/{address}", ExplorerTx: "https://sepolia.voyager.online/tx/{tx}", Order: 160, Testnet: true},
		"1399811150": {Name: "Solana devnet", Format: FormatSolana, ExplorerAddress: "https://solscan.io/account/{address}?cluster=devnet", ExplorerTx: "https://solscan.io/tx/{tx}?cluster=devnet", Order: 170, Testnet: true, Tokens: map[string]string{"USDC": "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU"}},
	}
}

var (
	tokenRef   = regexp.MustCompile(`^[0-9A-Za-z]{32,66}$`)
	evmAddress = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)
)

// Validate checks every entry, naming the config key of a bad one.
func (ns Networks) Validate() error {
	for _, id := range ns.IDs() {
		n := ns[id]
		key := "networks." + id
		if n.Name == "" {
			return &ConfigError{Key: key + ".name", Problem: "must be set"}
		}
		switch n.Format {
		case FormatEVM, FormatSolana, FormatStarknet:
		default:
			return &ConfigError{Key: key + ".format", Problem: fmt.Sprintf("must be evm, solana or starknet, not %q", n.Format)}
		}
		for symbol, token := range n.Tokens {
			if !tokenRef.MatchString(token) || n.Format == FormatEVM && !evmAddress.MatchString(token) {
				return &ConfigError{Key: key + ".tokens." + symbol, Problem: fmt.Sprintf("%q is not a token contract or mint address", token)}
			}
		}
		for field, tmpl := range map[string]string{"explorer_address": n.ExplorerAddress, "explorer_tx": n.ExplorerTx} {
			if tmpl == "" {
				continue
			}
			if u, err := url.Parse(strings.NewReplacer("{address}", "x", "{tx}", "x").Replace(tmpl)); err != nil || u.Scheme != "https" || u.Host == "" {
				return &ConfigError{Key: key + "." + field, Problem: "must be an https URL template"}
			}
		}
	}
	return nil
}

// Lookup returns the network for a chain id. An id the config does not know
// is described as "network <id>" with no explorer, never dropped.
func (ns Networks) Lookup(id string) (Network, bool) {
	if n, ok := ns[id]; ok {
		return n, true
	}
	return Network{Name: "network " + id, Order: 1 << 30}, false
}

// IDs lists the configured chain ids in display order.
func (ns Networks) IDs() []string {
	ids := make([]string, 0, len(ns))
	for id := range ns {
		ids = append(ids, id)
	}
	ns.Sort(ids)
	return ids
}

// Sort orders chain ids for display: configured order, then name, with
// unknown ids last.
func (ns Networks) Sort(ids []string) {
	slices.SortStableFunc(ids, func(a, b string) int {
		na, _ := ns.Lookup(a)
		nb, _ := ns.Lookup(b)
		if na.Order != nb.Order {
			return na.Order - nb.Order
		}
		return strings.Compare(na.Name, nb.Name)
	})
}

// AddressURL is the explorer link of an address on the network ("" when
// the network has none).
func (n Network) AddressURL(address string) string {
	if n.ExplorerAddress == "" || address == "" {
		return ""
	}
	return strings.ReplaceAll(n.ExplorerAddress, "{address}", url.PathEscape(address))
}

// TxURL is the explorer link of a transaction ("" when unknown).
func (n Network) TxURL(tx string) string {
	if n.ExplorerTx == "" || tx == "" {
		return ""
	}
	return strings.ReplaceAll(n.ExplorerTx, "{tx}", url.PathEscape(tx))
}
