package results

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
)

// Version is yardstick's release version, set at build time with
// -ldflags "-X github.com/yardstick-dev/yardstick/results.Version=v1.2.3". Left at
// "dev", the version comes from the build information Go embeds (ThisTool).
var Version = "dev"

// Revision is the source revision of a release built outside a VCS work tree (from a
// tarball), set with -ldflags "-X github.com/yardstick-dev/yardstick/results.Revision=<commit>".
// Empty, the revision comes from the build information Go embeds (ThisTool).
var Revision = ""

// Tool names the program that wrote a file and the build it was: what llama-bench
// records as build_commit. Files written before the build fields existed hold only
// name, version and go_version; they load with the rest empty.
type Tool struct {
	Name string `json:"name"`
	// Version is the release version (ldflags), else the main module's version as the
	// go command stamped it (a tag, or a pseudo-version v0.0.0-<time>-<revision>, with
	// "+dirty" for a modified tree), else "dev" (go run, go test, a build outside a
	// work tree).
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	// VCSRevision is the commit the binary was built from (vcs.revision of
	// runtime/debug.BuildInfo, or the ldflags Revision); empty when unknown.
	VCSRevision string `json:"vcs_revision,omitempty"`
	// VCSTime is that commit's time, RFC 3339 (vcs.time); empty when unknown.
	VCSTime string `json:"vcs_time,omitempty"`
	// VCSModified is true when the work tree had uncommitted changes at build time
	// (vcs.modified); absent when unknown.
	VCSModified *bool `json:"vcs_modified,omitempty"`
}

// Build is the tool's build as one label for comparing files: the revision (with
// "+modified" for a modified tree) when known, else the version. Two files with the
// same Build came from the same source; "dev" means the build is not known.
func (t Tool) Build() string {
	if t.VCSRevision == "" {
		return t.Version
	}
	b := t.VCSRevision
	if t.VCSModified != nil && *t.VCSModified {
		b += "+modified"
	}
	return b
}

// ToolFromBuildInfo is the Tool that a binary with build information bi (nil when the
// binary has none) and ldflags values version and revision ("dev" and "" when not set)
// identifies itself as. ldflags win over the build information; the go command
// stamps bi.Main.Version "(devel)" when it knows no version, which is not recorded.
// Source of the keys: runtime/debug.BuildSetting ("vcs.revision", "vcs.time",
// "vcs.modified"), written by the go command when building the main module in a VCS
// work tree (not by go test or go run).
func ToolFromBuildInfo(bi *debug.BuildInfo, version, revision string) Tool {
	t := Tool{Name: "yardstick", Version: version, GoVersion: runtime.Version()}
	if bi == nil {
		if t.Version == "" {
			t.Version = "dev"
		}
		t.VCSRevision = revision
		return t
	}
	if bi.GoVersion != "" {
		t.GoVersion = bi.GoVersion
	}
	if (t.Version == "" || t.Version == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		t.Version = bi.Main.Version
	}
	if t.Version == "" {
		t.Version = "dev"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			t.VCSRevision = s.Value
		case "vcs.time":
			t.VCSTime = s.Value
		case "vcs.modified":
			if m, err := strconv.ParseBool(s.Value); err == nil {
				t.VCSModified = &m
			}
		}
	}
	if revision != "" && revision != t.VCSRevision {
		// A release's stated revision; the embedded time and flag belong to another
		// tree (or none).
		t.VCSRevision, t.VCSTime, t.VCSModified = revision, "", nil
	}
	return t
}

var thisTool = sync.OnceValue(func() Tool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return ToolFromBuildInfo(bi, Version, Revision)
})

// ThisTool is the running binary's Tool (ToolFromBuildInfo of its own build
// information and ldflags), read once.
func ThisTool() Tool { return thisTool() }
