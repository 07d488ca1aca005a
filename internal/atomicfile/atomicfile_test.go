package atomicfile

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "run.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new content"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "new content" {
		t.Fatalf("read %q, %v; want the new content", b, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (the mode asked, not the old file's)", st.Mode().Perm())
	}
	assertNoTemp(t, dir, 1)
}

// A failing writer leaves the old file as it was and no temporary file behind.
func TestWriteFuncFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "run.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := WriteFunc(p, 0o644, func(w *bufio.Writer) error {
		w.WriteString("half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the fill's error", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("target holds %q after a failed write, want the old content", b)
	}
	assertNoTemp(t, dir, 1)
}

func TestWriteMissingDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := Write(p, []byte("x"), 0o644); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v, want not-exist (the caller creates directories)", err)
	}
}

func assertNoTemp(t *testing.T, dir string, want int) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != want {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want %d file(s): a temporary file was left behind", names, want)
	}
}

func TestCheckTargetRefusesWhatRenameWouldReplace(t *testing.T) {
	dir := t.TempDir()
	if err := CheckTarget(filepath.Join(dir, "new", "run.json")); err != nil {
		t.Errorf("new file in a new directory: %v", err)
	}
	if err := CheckTarget(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(filepath.Join(dir, "target.json"), link); err != nil {
		t.Fatal(err)
	}
	if err := CheckTarget(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlink: %v", err)
	}
	if err := CheckTarget("/dev/null"); err == nil {
		t.Error("/dev/null accepted: the atomic rename would replace the device")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 { // new/ and link.json
		t.Errorf("CheckTarget left files behind: %v", entries)
	}
}
