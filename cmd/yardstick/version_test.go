package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/results"
)

// --version (and -v) print what the version command prints; the command takes no
// argument. In a test binary the go command embeds no VCS information, so the
// revision line says it is unknown rather than inventing one.
func TestVersionFlagAndCommand(t *testing.T) {
	cmd := runCLI(t, nil, "version")
	if cmd.code != 0 || !strings.HasPrefix(cmd.stdout, "yardstick "+results.ThisTool().Version+" (") || !strings.Contains(cmd.stdout, "\nrevision  ") {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", cmd.code, cmd.stdout, cmd.stderr)
	}
	for _, flag := range []string{"--version", "-v"} {
		if o := runCLI(t, nil, flag); o.code != 0 || o.stdout != cmd.stdout {
			t.Errorf("%s: exit %d, stdout %q, want the version command's %q", flag, o.code, o.stdout, cmd.stdout)
		}
	}
	if o := runCLI(t, nil, "version", "x"); o.code != exitUsage || !strings.Contains(o.stderr, `version: unexpected argument "x"`) {
		t.Errorf("version x: exit %d, %q", o.code, o.stderr)
	}
	if results.ThisTool().VCSRevision == "" && !strings.Contains(cmd.stdout, "revision  unknown") {
		t.Errorf("no revision known, yet: %q", cmd.stdout)
	}
}

// A binary built with go build from a git checkout carries the checkout's revision:
// --version prints it and every run file records it (tool.vcs_revision). The go
// command stamps vcs.* only when it finds a .git directory at the module root (a
// git worktree has a .git file, which it does not follow: cmd/go/internal/vcs) and
// -buildvcs is not false (this machine's go env sets GOFLAGS=-buildvcs=false, so the
// build asks for it). From a worktree, the test builds a clone of its HEAD: the
// revision is then HEAD's, the code that of the last commit.
func TestGitCheckoutBuildCarriesRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yardstick with go build")
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	goBin := filepath.Join(runtimeGOROOT(t), "bin", "go")
	git := func(dir string, args ...string) string {
		t.Helper()
		out, err := exec.Command(gitBin, append([]string{"-C", dir}, args...)...).Output()
		if err != nil {
			t.Skipf("git %v: %v (not a git checkout?)", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	root := git(".", "rev-parse", "--show-toplevel")
	tmp := t.TempDir()
	src := root
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		src = filepath.Join(tmp, "src")
		if out, err := exec.Command(gitBin, "clone", "-q", "--shared", root, src).CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v: %s", err, out)
		}
	}
	head := git(src, "rev-parse", "HEAD")
	dirty := git(src, "status", "--porcelain") != "" // cmd/go's definition of vcs.modified
	bin := filepath.Join(tmp, "yardstick")
	build := exec.Command(goBin, "build", "-buildvcs=true", "-o", bin, "./cmd/yardstick")
	build.Dir = src
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "\nrevision  " + head + "  "
	if !strings.Contains(string(out), want) {
		t.Fatalf("--version prints %q, want it to hold %q", out, want)
	}
	if got := strings.Contains(string(out), "modified"); got != dirty {
		t.Errorf("--version says modified=%v, git status says %v: %q", got, dirty, out)
	}
	// Untagged, the go command stamps a pseudo-version holding the revision's first 12
	// digits; tagged, the tag. Either way not "dev".
	if strings.HasPrefix(string(out), "yardstick dev ") {
		t.Errorf("a stamped build calls itself dev: %q", out)
	}
	if v, _ := exec.Command(bin, "version").Output(); string(v) != string(out) {
		t.Errorf("version prints %q, --version %q", v, out)
	}

	// The run file the binary writes records the same build.
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4})
	defer f.Close()
	prof := filepath.Join(tmp, "p.yaml")
	if err := os.WriteFile(prof, []byte("name: t\nmemory_bandwidth_gb_per_s: 20\npeak_tflop_per_s: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runFile := filepath.Join(tmp, "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, bin, "run", "--model", "twin", "--host", f.URL, "--runs", "2", "--warmup", "0",
		"--prompt-tokens", "8", "--max-tokens", "4", "--no-selftest", "--no-cold", "--quiet", "--profile", prof, "--out", runFile)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("run: %v: %s", err, out)
	}
	r, err := results.ReadFile(runFile)
	if err != nil {
		t.Fatal(err)
	}
	if r.Tool.VCSRevision != head || r.Tool.VCSModified == nil || *r.Tool.VCSModified != dirty || r.Tool.VCSTime == "" || r.Tool.Version == "dev" {
		t.Errorf("run file tool %+v, want revision %s modified %v", r.Tool, head, dirty)
	}
}

// runtimeGOROOT is the GOROOT of the go command on PATH, else the test's own.
func runtimeGOROOT(t *testing.T) string {
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	t.Skip("no go command")
	return ""
}

// version --format json is the run file's tool object with the schema and platform.
func TestVersionJSON(t *testing.T) {
	o := runCLI(t, nil, "version", "--format", "json")
	var got struct {
		Name             string `json:"name"`
		Version          string `json:"version"`
		GoVersion        string `json:"go_version"`
		RunSchemaVersion int    `json:"run_schema_version"`
		OS               string `json:"os"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &got); err != nil || o.code != 0 {
		t.Fatalf("exit %d: %v\n%s", o.code, err, o.stdout)
	}
	tool := results.ThisTool()
	if got.Name != "yardstick" || got.Version != tool.Version || got.GoVersion != tool.GoVersion || got.RunSchemaVersion != results.SchemaVersion || got.OS == "" {
		t.Errorf("%+v, want tool %+v and schema %d", got, tool, results.SchemaVersion)
	}
}
