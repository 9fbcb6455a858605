package copperx

import (
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
}

// Networks maps chain ids ("137") to their description.
type Networks map[string]Network

// DefaultNetworks are the chains copperx-api.md lists.
func DefaultNetworks() Networks {
	evm := func(name, explorer string, order int, testnet bool) Network {
		return Network{Name: name, Format: FormatEVM, ExplorerAddress: explorer + "/address/{address}",
			ExplorerTx: explorer + "/tx/{tx}", Order: order, Testnet: testnet}
	}
	return Networks{
		"137":        evm("Polygon", "https://polygonscan.com", 10, false),
		"42161":      evm("Arbitrum One", "https://arbiscan.io", 20, false),
		"8453":       evm("Base", "https://basescan.org", 30, false),
		"1":          evm("Ethereum", "https://etherscan.io", 40, false),
		"10":         evm("Optimism", "https://optimistic.etherscan.io", 50, false),
		"56":         evm("BNB Chain", "https://bscscan.com", 60, false),
		"23434":      {Name: "Starknet", Format: FormatStarknet, ExplorerAddress: "https://voyager.online/contract/{address}", ExplorerTx: "https://voyager.online/tx/{tx}", Order: 70},
		"1399811149": {Name: "Solana", Format: FormatSolana, ExplorerAddress: "https://solscan.io/account/{address}", ExplorerTx: "https://solscan.io/tx/{tx}", Order: 80},
		"11155111":   evm("Sepolia", "https://sepolia.etherscan.io", 100, true),
		"80002":      evm("Polygon Amoy", "https://amoy.polygonscan.com", 110, true),
		"84532":      evm("Base Sepolia", "https://sepolia.basescan.org", 120, true),
		"421614":     evm("Arbitrum Sepolia", "https://sepolia.arbiscan.io", 130, true),
		"11155420":   evm("OP Sepolia", "https://sepolia-optimism.etherscan.io", 140, true),
		"97":         evm("BNB testnet", "https://testnet.bscscan.com", 150, true),
		"39361":      {Name: "Starknet Sepolia", Format: FormatStarknet, ExplorerAddress: "https://sepolia.voyager.online/contract/{address}", ExplorerTx: "https://sepolia.voyager.online/tx/{tx}", Order: 160, Testnet: true},
		"1399811150": {Name: "Solana devnet", Format: FormatSolana, ExplorerAddress: "https://solscan.io/account/{address}?cluster=devnet", ExplorerTx: "https://solscan.io/tx/{tx}?cluster=devnet", Order: 170, Testnet: true},
	}
}

// Validate checks every entry, naming the config key of a bad one.
func (ns Networks) Validate() error {
	for _, id := range ns.IDs() {
		n := ns[id]
		key := "networks." + id
		if n.Name == "" {
			return fmt.Errorf("%s.name: must be set", key)
		}
		switch n.Format {
		case FormatEVM, FormatSolana, FormatStarknet:
		default:
			return fmt.Errorf("%s.format: must be evm, solana or starknet, not %q", key, n.Format)
		}
		for field, tmpl := range map[string]string{"explorer_address": n.ExplorerAddress, "explorer_tx": n.ExplorerTx} {
			if tmpl == "" {
				continue
			}
			if u, err := url.Parse(strings.NewReplacer("{address}", "x", "{tx}", "x").Replace(tmpl)); err != nil || u.Scheme != "https" || u.Host == "" {
				return fmt.Errorf("%s.%s: must be an https URL template", key, field)
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
