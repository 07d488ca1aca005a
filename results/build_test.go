package results

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

func TestToolFromBuildInfo(t *testing.T) {
	stamped := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Path: "github.com/yardstick-dev/yardstick", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	const rev = "40c48a9c6c81a4dc7b7af2f1bb9091a5faedab49"
	git := []string{"vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-06T02:01:34Z", "vcs.modified", "true"}
	for _, tc := range []struct {
		name              string
		bi                *debug.BuildInfo
		version, revision string
		wantVersion       string
		wantRev, wantTime string
		wantModified      string // "", "true" or "false"
		wantBuild         string
	}{
		// go build in a git checkout: the go command stamps a pseudo-version and vcs.*.
		{"go build in a checkout", stamped("v0.0.0-20261206020134-40c48a9c6c81+dirty", git...), "dev", "",
			"v0.0.0-20261206020134-40c48a9c6c81+dirty", rev, "2026-12-06T02:01:34Z", "true", rev + "+modified"},
		// A release: -ldflags -X …results.Version wins over the stamped version; the
		// revision and its time stay those embedded.
		{"ldflags version", stamped("(devel)", git...), "v1.2.0", "",
			"v1.2.0", rev, "2026-12-06T02:01:34Z", "true", rev + "+modified"},
		// A release built from a tarball gives its revision by ldflags: the embedded
		// time and modified flag (of no tree, or another) are dropped.
		{"ldflags revision", stamped("(devel)"), "v1.2.0", "abc123",
			"v1.2.0", "abc123", "", "", "abc123"},
		{"ldflags revision over another tree's", stamped("(devel)", git...), "v1.2.0", "abc123",
			"v1.2.0", "abc123", "", "", "abc123"},
		// go test and go run: "(devel)" and no vcs settings: nothing is known.
		{"go test binary", stamped("(devel)"), "dev", "", "dev", "", "", "", "dev"},
		// No build information at all (a binary built without module support).
		{"no build info", nil, "dev", "", "dev", "", "", "", "dev"},
		{"module version from go install", stamped("v1.3.0"), "dev", "", "v1.3.0", "", "", "", "v1.3.0"},
		// An unparsable vcs.modified is left unknown rather than guessed.
		{"bad modified flag", stamped("(devel)", "vcs.revision", rev, "vcs.modified", "perhaps"), "dev", "",
			"dev", rev, "", "", rev},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ToolFromBuildInfo(tc.bi, tc.version, tc.revision)
			mod := ""
			if got.VCSModified != nil {
				mod = map[bool]string{true: "true", false: "false"}[*got.VCSModified]
			}
			if got.Name != "yardstick" || got.Version != tc.wantVersion || got.VCSRevision != tc.wantRev ||
				got.VCSTime != tc.wantTime || mod != tc.wantModified || got.Build() != tc.wantBuild {
				t.Errorf("got %+v (modified %q, build %q), want version %q revision %q time %q modified %q build %q",
					got, mod, got.Build(), tc.wantVersion, tc.wantRev, tc.wantTime, tc.wantModified, tc.wantBuild)
			}
			if tc.bi != nil && got.GoVersion != "go1.99" {
				t.Errorf("go_version %q, want the build info's go1.99", got.GoVersion)
			}
		})
	}
}

// A run file written before the build fields loads with them empty, and a Tool
// without build fields writes none (old readers see what they saw before).
func TestToolJSONOldAndNew(t *testing.T) {
	var old Tool
	if err := json.Unmarshal([]byte(`{"name":"yardstick","version":"dev","go_version":"go1.24.0"}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Version != "dev" || old.VCSRevision != "" || old.VCSModified != nil || old.Build() != "dev" {
		t.Errorf("old tool %+v", old)
	}
	b, _ := json.Marshal(old)
	if string(b) != `{"name":"yardstick","version":"dev","go_version":"go1.24.0"}` {
		t.Errorf("old tool rewritten as %s", b)
	}
	f := false
	nu := Tool{Name: "yardstick", Version: "v1.2.0", GoVersion: "go1.26.8", VCSRevision: "abc", VCSTime: "2026-12-06T02:01:34Z", VCSModified: &f}
	b, _ = json.Marshal(nu)
	for _, k := range []string{`"vcs_revision":"abc"`, `"vcs_time":"2026-12-06T02:01:34Z"`, `"vcs_modified":false`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
}

// compare notes runs of the same version label from different builds; runs of one
// build, or of unknown builds, get no note.
func TestCompareKeysToolBuild(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name       string
		base, othr Tool
		want       string // the key noted, "" for none
	}{
		{"same revision", Tool{Version: "dev", VCSRevision: "aaa", VCSModified: &no}, Tool{Version: "dev", VCSRevision: "aaa", VCSModified: &no}, ""},
		{"other revision", Tool{Version: "dev", VCSRevision: "aaa"}, Tool{Version: "dev", VCSRevision: "bbb"}, "tool_build"},
		// The same commit with local changes is another build: the code measured may differ.
		{"modified tree", Tool{Version: "dev", VCSRevision: "aaa", VCSModified: &no}, Tool{Version: "dev", VCSRevision: "aaa", VCSModified: &yes}, "tool_build"},
		// Two unknown builds (old files, go run) cannot be told apart: no note claims they differ.
		{"both unknown", Tool{Version: "dev"}, Tool{Version: "dev"}, ""},
		// Another version already says it; the build note is not repeated.
		{"other version", Tool{Version: "v1.0.0", VCSRevision: "aaa"}, Tool{Version: "v1.1.0", VCSRevision: "bbb"}, "tool_version"},
	} {
		base := synthRun(synth{seed: 1, n: 8, slow: 1, noise: 0.03, runID: "base"})
		other := synthRun(synth{seed: 1, n: 8, slow: 1, noise: 0.03, runID: "other"})
		base.Tool, other.Tool = tc.base, tc.othr
		var got []string
		for _, k := range CompareKeys(base, other) {
			got = append(got, k.Key)
			if k.Severity != KeyNote {
				t.Errorf("%s: %s is %s, want a note", tc.name, k.Key, k.Severity)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: keys %v, want %q", tc.name, got, tc.want)
		}
	}
}

// A merged file records the build that measured each source (merged_from[].tool_build).
func TestMergeRecordsSourceBuilds(t *testing.T) {
	ra := Build(sweepResult(1, "bench-01", 6), fixtureHardware(), nil)
	rb := Build(sweepResult(2, "bench-02", 6), fixtureHardware(), nil)
	rb.Environment.Hardware.Hostname = "bench-02"
	ra.Tool = Tool{Name: "yardstick", Version: "dev", VCSRevision: "aaa"}
	rb.Tool = Tool{Name: "yardstick", Version: "dev"}
	m, err := Merge([]*Run{ra, rb}, []string{"a.json", "b.json"}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{m.MergedFrom[0].ToolBuild, m.MergedFrom[1].ToolBuild}; got[0] != "aaa" || got[1] != "dev" {
		t.Errorf("tool builds %v, want [aaa dev]", got)
	}
}
