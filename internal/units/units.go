// Package units formats quantities for people: sizes with binary (IEC) prefixes, as
// memory is counted, and with decimal (SI) prefixes, as bandwidth is quoted. Every
// renderer of the project formats sizes through here, so a size reads the same in
// every table.
package units

import "fmt"

// IEC formats n bytes with binary prefixes: "512 B", "1.5 KiB", "24.0 GiB" (one
// decimal from KiB up; TiB is the largest unit).
func IEC(n float64) string {
	v, unit := scale(n, 1024, "B", "KiB", "MiB", "GiB", "TiB")
	if unit == "B" {
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

// SI formats n bytes with decimal prefixes and three significant digits: "900 B",
// "1.5 kB", "89.6 GB" (TB is the largest unit).
func SI(n float64) string {
	v, unit := scale(n, 1000, "B", "kB", "MB", "GB", "TB")
	return fmt.Sprintf("%.3g %s", v, unit)
}

// scale divides n by base until it is below base or the last unit is reached, and
// returns it with its unit.
func scale(n, base float64, units ...string) (float64, string) {
	i := 0
	for n >= base && i < len(units)-1 {
		n /= base
		i++
	}
	return n, units[i]
}
