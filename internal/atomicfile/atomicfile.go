// Package atomicfile writes files so that a reader sees the old content or the whole
// new content, never a part: the data goes to a temporary file in the same directory,
// which is fsynced, given its mode, closed and renamed over the target; the directory
// is then fsynced where the platform allows, so the rename itself survives a crash.
//
// Every file yardstick writes (run files, merged runs, reports, journals rewritten in
// place, shape-twin GGUF files) goes through here.
package atomicfile

import (
	"bufio"
	"os"
	"path/filepath"
)

// WriteFile writes path with what fill writes to f, then syncs, chmods to perm and
// renames it into place. The temporary file is named "."+base(path)+".tmp-*" in path's
// directory (so the rename never crosses file systems) and is removed on any error;
// path is then left as it was. Errors are returned as the os package gives them, for the
// caller to wrap with its own context.
func WriteFile(path string, perm os.FileMode, fill func(f *os.File) error) (err error) {
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
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
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
