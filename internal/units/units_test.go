package units

import "testing"

func TestIEC(t *testing.T) {
	for _, tt := range []struct {
		n    float64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},        // below one KiB: whole bytes
		{1024, "1.0 KiB"},       // 2^10
		{1536, "1.5 KiB"},       // 1.5 × 2^10
		{24 << 30, "24.0 GiB"},  // 24 × 2^30
		{3 << 40, "3.0 TiB"},    // the largest unit
		{5 << 50, "5120.0 TiB"}, // beyond TiB stays in TiB
	} {
		if got := IEC(tt.n); got != tt.want {
			t.Errorf("IEC(%g) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestSI(t *testing.T) {
	for _, tt := range []struct {
		n    float64
		want string
	}{
		{900, "900 B"},
		{1500, "1.5 kB"},
		{89.6e9, "89.6 GB"},
		{2e15, "2e+03 TB"}, // %.3g of 2000
	} {
		if got := SI(tt.n); got != tt.want {
			t.Errorf("SI(%g) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
