package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/internal/runfixture"
)

// The done-when through the command line: a 50-run directory imports, ls --db
// prints what ls of the directory prints, and importing it again adds nothing.
func TestDBImportDirectoryListAndReimport(t *testing.T) {
	dir := t.TempDir()
	if _, err := runfixture.WriteDir(dir, 50, 6); err != nil {
		t.Fatal(err)
	}
	// A comparison report in the directory is not a run file: skipped and counted.
	if err := os.WriteFile(filepath.Join(dir, "comparison.json"), []byte(`{"kind":"yardstick.comparison"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "runs.db")
	o := runCLI(t, nil, "db", "import", dir, "--db", db)
	if o.code != 0 || o.stdout != "imported 50 runs into "+db+" (0 already there)\n" ||
		!strings.Contains(o.stderr, "skipped 1 JSON files that are not run files") {
		t.Fatalf("first import: exit %d\nstdout %q\nstderr %q", o.code, o.stdout, o.stderr)
	}
	ls := runCLI(t, nil, "ls", dir)
	lsDB := runCLI(t, nil, "ls", "--db", db)
	if lsDB.code != 0 || lsDB.stdout != ls.stdout || strings.Count(lsDB.stdout, "\n") != 51 {
		t.Errorf("ls --db (exit %d, %q) differs from ls of the directory:\n%s\nwant\n%s", lsDB.code, lsDB.stderr, lsDB.stdout, ls.stdout)
	}
	jsonDir, jsonDB := runCLI(t, nil, "ls", "-f", "json", dir), runCLI(t, nil, "ls", "--db", db, "--format", "json")
	if jsonDB.code != 0 || jsonDB.stdout != jsonDir.stdout {
		t.Errorf("ls --db --format json differs from the directory's")
	}
	o = runCLI(t, nil, "db", "--db", db, "import", dir)
	if o.code != 0 || o.stdout != "imported 0 runs into "+db+" (50 already there)\n" {
		t.Errorf("second import: exit %d, stdout %q, stderr %q", o.code, o.stdout, o.stderr)
	}
	if again := runCLI(t, nil, "ls", "--db", db); again.stdout != lsDB.stdout {
		t.Errorf("ls --db after re-import:\n%s\nwant\n%s", again.stdout, lsDB.stdout)
	}
}

// A bad file among good ones: one line naming it, exit 2, and the good ones imported
// and counted.
func TestDBImportBadFileKeepsTheGoodOnes(t *testing.T) {
	dir := t.TempDir()
	paths, err := runfixture.WriteDir(dir, 3, 6)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"kind": "yardstick.run", "schema_version": 1, "samples": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "runs.db")
	o := runCLI(t, nil, "db", "import", "--db", db, paths[0], bad, paths[1], paths[2])
	lines := strings.Split(strings.TrimSpace(o.stderr), "\n")
	if o.code != 2 || o.stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "yardstick: "+bad+":") ||
		lines[1] != "yardstick: db import: 1 of 4 files could not be imported; imported 3 runs into "+db+" (0 already there)" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", o.code, o.stdout, o.stderr)
	}
	if ls := runCLI(t, nil, "ls", "--db", db); strings.Count(ls.stdout, "\n") != 4 {
		t.Errorf("ls --db after a failed file lists:\n%s\nwant the 3 good runs", ls.stdout)
	}
}

// Usage errors: exit 2 and one line.
func TestDBUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"db", "import", "x.json"}, "--db FILE is required"},
		{[]string{"db", "--db", db}, "name an action"},
		{[]string{"db", "export", "--db", db}, `unknown action "export"`},
		{[]string{"db", "import", "--db", db}, "name run files or directories"},
		{[]string{"db", "import", "--db", db, filepath.Join(t.TempDir(), "missing.json")}, "missing.json"},
		{[]string{"db", "import", "--db", db, t.TempDir()}, "holds no JSON files"},
		{[]string{"ls", "--db", db, "."}, "a directory or --db, not both"},
		{[]string{"ls", "--db", filepath.Join(t.TempDir(), "none.db")}, "none.db"},
	} {
		o := runCLI(t, nil, tc.args...)
		if o.code != 2 || strings.Count(o.stderr, "\n") != 1 || !strings.Contains(o.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, o.code, o.stderr, tc.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("a refused command created %s", db)
	}
}
