package database

import "testing"

func TestLSNReadsAndWritesPgLSNText(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0/0", "16/B374D848", "FFFFFFFF/FFFFFFFF", "0/3000148"} {
		l, err := ParseLSN(s)
		if err != nil || l.String() != s {
			t.Errorf("ParseLSN(%q) = %v, %v; want it back", s, l, err)
		}
	}
	a, _ := ParseLSN("1/0")
	b, _ := ParseLSN("0/FFFFFFFF")
	if a <= b {
		t.Errorf("1/0 (%d) must come after 0/FFFFFFFF (%d)", a, b)
	}
	for _, s := range []string{"", "/", "1", "1/", "/1", "G/1", "1/2/3", "123456789/0", "-1/0", "+1/0"} {
		if _, err := ParseLSN(s); err == nil {
			t.Errorf("ParseLSN(%q) accepted it", s)
		}
	}
}
