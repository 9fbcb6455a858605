package auth_test

import "testing"

func TestProfile(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(23)
	u.Send("/profile").Expect(t, "Please log in first")
	f.login(t, u, "ada@example.com")
	r := u.Send("/me").Expect(t,
		"👤 <b>Ada Tester</b>", "Email: ada@example.com",
		"Role: owner", "Account type: individual", "Verification: approved ✅")
	if r.Contains(f.emu.OrgID("ada@example.com")) || r.Contains("Organisation") {
		t.Fatalf("the profile shows the organisation id: %s", r.Text())
	}
	s, _ := session(t, f.h, 23)
	address := s["principal"].(map[string]any)["attrs"].(map[string]any)["wallet_address"].(string)
	r.Expect(t, "Default wallet: "+address[:6]+"…"+address[len(address)-4:], "<code>"+address+"</code>")
	if b := lastSent(r).AllButtons(); len(b) != 1 || b[0].Copy != address {
		t.Fatalf("buttons = %+v", b)
	}
}
