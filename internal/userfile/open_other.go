//go:build !unix

package userfile

import "os"

// openNonblock opens path read-only; where there is no O_NONBLOCK, the checks before
// and after opening are what keep FIFOs out.
func openNonblock(path string) (*os.File, error) {
	return os.Open(path)
}
