//go:build unix

package userfile

import (
	"os"
	"syscall"
)

// openNonblock opens path read-only with O_NONBLOCK, so opening a FIFO returns at once
// instead of waiting for a writer. On a regular file the flag has no effect (open(2)).
func openNonblock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
