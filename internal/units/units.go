// Package units formats quantities for people: sizes with binary (IEC) prefixes, as
// memory is counted, and with decimal (SI) prefixes, as bandwidth is quoted. Every
// renderer of the project formats sizes through here, so a size reads the same in
// every table.
package units

import "fmt"

// IEC formats n bytes with binary prefixes: "512 B", "1.5 KiB", "24.0 GiB" (one
// decimal from KiB up; TiB is the largest unit).
func IEC(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

// SI formats n bytes with decimal prefixes and three significant digits: "900 B",
// "1.5 kB", "89.6 GB" (TB is the largest unit).
func SI(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	return fmt.Sprintf("%.3g %s", n, units[i])
}
