package copperxtest

import (
	"math/big"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// Amount limits of a transfer request, in 10^-8 units.
const (
	MinAmount = 100000000     // 1 USDC
	MaxAmount = 5000000000000 // 50,000 USDC
)

var digitsRe = regexp.MustCompile(`^[0-9]+$`)

// parseAmount checks a request amount (an integer string in 10^-8 units)
// and answers the NestJS constraint errors the API gives.
func parseAmount(s string) (decimal.Decimal, error) {
	if !digitsRe.MatchString(s) {
		return decimal.Zero, constraint("amount", "isNumberString", "amount must be a number string")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, constraint("amount", "isNumberString", "amount must be a number string")
	}
	if d.LessThan(decimal.NewFromInt(MinAmount)) {
		return decimal.Zero, constraint("amount", "min", "amount must be greater than or equal to 100000000")
	}
	if d.GreaterThan(decimal.NewFromInt(MaxAmount)) {
		return decimal.Zero, constraint("amount", "max", "amount must not be greater than 5000000000000")
	}
	return d, nil
}

// units renders a 10^-8 amount as the API does ("100000000").
func units(d decimal.Decimal) string { return d.Truncate(0).String() }

// fromUnits converts 10^-8 units to a token amount.
func fromUnits(d decimal.Decimal) decimal.Decimal { return d.Shift(-8) }

// toUnits converts a token amount to 10^-8 units (rounded down).
func toUnits(d decimal.Decimal) decimal.Decimal { return d.Shift(8).Floor() }

// feeFor is percent of an amount in 10^-8 units, rounded down.
func (s *Server) feeFor(amount decimal.Decimal) decimal.Decimal {
	return amount.Mul(s.cfg.fee).Shift(-2).Floor()
}

// human renders a balance: at least two decimals ("1250.50"), more when
// needed ("0.00012345").
func human(d decimal.Decimal) string {
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// Address formats per network family.
var (
	evmRe      = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)
	starknetRe = regexp.MustCompile(`^0x[0-9a-fA-F]{1,64}$`)
	emailRe    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// validAddress reports whether addr is a wallet address on network.
func validAddress(network, addr string) bool {
	switch network {
	case NetworkStarknet, "39361":
		return starknetRe.MatchString(addr)
	case NetworkSolana, "1399811150":
		b, ok := base58Decode(addr)
		return ok && len(b) == 32
	default:
		return evmRe.MatchString(addr)
	}
}

func networkName(n string) string {
	switch n {
	case NetworkPolygon:
		return "Polygon"
	case NetworkBase:
		return "Base"
	case NetworkArbitrum:
		return "Arbitrum"
	case NetworkStarknet:
		return "Starknet"
	case NetworkSolana:
		return "Solana"
	}
	return n
}

const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func base58Encode(b []byte) string {
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod, base := new(big.Int), big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, b58[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func base58Decode(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	n := new(big.Int)
	base := big.NewInt(58)
	for _, c := range s {
		i := strings.IndexRune(b58, c)
		if i < 0 {
			return nil, false
		}
		n.Mul(n, base).Add(n, big.NewInt(int64(i)))
	}
	body := n.Bytes()
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	return append(make([]byte, zeros), body...), true
}
