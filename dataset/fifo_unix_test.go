//go:build unix

package dataset

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO named as --dataset is refused at once: opened blocking, it waited for a
// writer forever, deaf to Ctrl-C, since the open holds the goroutine that would exit.
func TestReadRefusesFIFOWithoutBlocking(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "prompts.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(fifo, ""); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "a named pipe") {
			t.Errorf("Read(FIFO) err = %v, want one line saying it is a named pipe", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read(FIFO) blocked waiting for a writer")
	}
}
