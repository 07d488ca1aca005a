// Package atomicfile writes files so that a reader sees the old content or the whole
// new content, never a part: the data goes to a temporary file in the same directory,
// which is fsynced, given its mode, closed and renamed over the target; the directory
// is then fsynced where the platform allows, so the rename itself survives a crash.
//
// Every file yardstick writes (run files, merged runs, reports, journals rewritten in
// place, shape-twin GGUF files) goes through here, and so through one guard: a target
// that exists and is not a regular file (a directory, a symbolic link, a FIFO, a
// device) is refused, never replaced by the rename.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/yardstick-dev/yardstick/internal/userfile"
)

// WriteFile writes path with what fill writes to f, then syncs, chmods to perm and
// renames it into place. The temporary file is named "."+base(path)+".tmp-*" in path's
// directory (so the rename never crosses file systems) and is removed on any error;
// path is then left as it was. Errors are returned as the os package gives them, for the
// caller to wrap with its own context.
func WriteFile(path string, perm os.FileMode, fill func(f *os.File) error) (err error) {
	if err := regularOrAbsent(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = regularOrAbsent(path); err != nil { // it may have changed while fill ran
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// NotRegularError is the guard's refusal: Path exists and is Kind ("a directory", "a
// symbolic link", "a named pipe (FIFO)", "a device", "not a regular file").
type NotRegularError struct{ Path, Kind string }

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s; name a regular file (writing would replace it)", e.Path, e.Kind)
}

// regularOrAbsent is the guard: nil when path does not exist or is a regular file
// (not following a symbolic link), else a *NotRegularError.
func regularOrAbsent(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().IsRegular() {
		return nil
	}
	return &NotRegularError{path, userfile.Kind(fi.Mode())}
}

// CheckTarget reports, before anything is measured or rendered, whether WriteFile can
// write path: the guard's rule (a *NotRegularError), and path's directory must exist or
// be creatable (it is created, mode 0755) and accept a new file (one is created and
// removed). A name that is blank or begins or ends with white space (--out ' ') is
// refused too.
func CheckTarget(path string) error {
	if base := filepath.Base(path); strings.TrimSpace(base) != base || base == "" {
		return fmt.Errorf("%q: a file name that is blank or begins or ends with white space is refused (a quoting mistake?)", path)
	}
	if err := regularOrAbsent(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".yardstick-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// WriteFunc is WriteFile through a 1 MiB buffered writer, flushed before the sync: for
// writers of many small pieces (a run file's samples, one line each).
func WriteFunc(path string, perm os.FileMode, fill func(w *bufio.Writer) error) error {
	return WriteFile(path, perm, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// Write is WriteFile of data.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteFile(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// syncDir fsyncs dir so a rename into it is durable. Best effort: some platforms and
// file systems refuse to sync a directory, and the data itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
