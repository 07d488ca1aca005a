// Package userfile reads the files a user names (profiles, run files, journals) with
// bounds: only regular files, at most a given number of bytes, opened so that a FIFO
// can never block the process. A device such as /dev/zero, a pipe, a socket or a
// directory is one clear error, whatever symbolic links lead to it.
package userfile

import (
	"fmt"
	"io"
	"os"
)

// Kind names what a file of mode m is, for error messages: "a directory", "a named
// pipe (FIFO)", "a socket", "a device", "a symbolic link", else "not a regular file".
func Kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

// Open opens path for reading if it is (or a symbolic link leads to) a regular file of
// at most limit bytes. It is opened non-blocking where the platform has that, then
// checked again on the open descriptor, so a file swapped for a FIFO between the two
// checks cannot block. Errors: "PATH: is a device; name a regular file",
// "PATH: N bytes, more than the M this reads", or the os package's error (wrapped, so
// errors.Is(err, os.ErrNotExist) holds).
func Open(path string, limit int64) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := check(path, fi, limit); err != nil {
		return nil, err
	}
	f, err := openNonblock(path)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = check(path, fi, limit)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func check(path string, fi os.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: is %s; name a regular file", path, Kind(fi.Mode()))
	}
	if fi.Size() > limit {
		return fmt.Errorf("%s: %d bytes, more than the %d this reads", path, fi.Size(), limit)
	}
	return nil
}

// Read returns the contents of path, a regular file of at most limit bytes (see Open).
// A file that grows past limit while it is read is an error too.
func Read(path string, limit int64) ([]byte, error) {
	f, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: grew past the %d bytes this reads while it was read", path, limit)
	}
	return b, nil
}
