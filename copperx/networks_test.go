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
