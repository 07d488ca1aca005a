package results

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// junitRules is the JUnit XML schema that Jenkins reads (jenkins-junit.xsd of the JUnit
// 5 repository, platform-tests/src/test/resources, itself Jenkins' dtkit junit-4.xsd,
// MIT licence; GitLab, GitHub test reporters and Azure DevOps accept it too),
// restated as data: for each element, its allowed attributes (required ones marked
// with "!"), its allowed children (in schema order) and whether text is allowed. No
// copy of that XSD ships in a package of the registries this project reaches (the Go
// module proxy, Debian's packages and npm were searched), so the rules are encoded
// here, element by element as the XSD declares them: <skipped> is xs:string (text,
// no attribute), <properties> holds at least one <property>, a <testsuite> at most one
// <system-out> and one <system-err>. Attribute types (xs:int counts, xs:decimal
// times, the ISO 8601 timestamp without zone that the Ant schema also asks) are
// stricter than the XSD's xs:string and checked by validateJUnit.
var junitRules = map[string]struct {
	attrs    []string
	children []string
	text     bool
}{
	"testsuites": {attrs: []string{"name", "time", "tests", "failures", "disabled", "errors"}, children: []string{"testsuite"}},
	"testsuite": {attrs: []string{"!name", "!tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package"},
		children: []string{"properties", "testcase", "system-out", "system-err"}},
	"properties": {children: []string{"property"}},
	"property":   {attrs: []string{"!name", "!value"}},
	"testcase": {attrs: []string{"!name", "assertions", "time", "classname", "status"},
		children: []string{"skipped", "error", "failure", "system-out", "system-err"}},
	"skipped":    {text: true},
	"error":      {attrs: []string{"message", "type"}, text: true},
	"failure":    {attrs: []string{"message", "type"}, text: true},
	"system-out": {text: true},
	"system-err": {text: true},
}

var (
	xsInt      = regexp.MustCompile(`^-?[0-9]+$`)
	xsDecimal  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	isoNoZone  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`)
	intAttrs   = map[string]bool{"tests": true, "failures": true, "errors": true, "skipped": true, "disabled": true, "id": true}
	countNames = map[string]string{"failures": "failure", "errors": "error", "skipped": "skipped"}
)

// validateJUnit checks doc against junitRules, the attribute types, and that every
// test suite's counts match its test cases.
func validateJUnit(doc []byte) error {
	type frame struct {
		name     string
		lastKid  int
		counts   map[string]int
		declared map[string]int
	}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*frame
	root := true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			rule, ok := junitRules[name]
			if !ok {
				return fmt.Errorf("element <%s> is not in the schema", name)
			}
			if root {
				if name != "testsuites" && name != "testsuite" {
					return fmt.Errorf("root <%s>", name)
				}
				root = false
			} else {
				parent := stack[len(stack)-1]
				kids := junitRules[parent.name].children
				idx := -1
				for i, k := range kids {
					if k == name {
						idx = i
					}
				}
				if idx < 0 {
					return fmt.Errorf("<%s> not allowed in <%s>", name, parent.name)
				}
				if idx < parent.lastKid {
					return fmt.Errorf("<%s> out of schema order in <%s>", name, parent.name)
				}
				if once := parent.name == "testsuite" && name != "testcase" || parent.name == "testcase" && name == "skipped"; once && parent.counts["kid:"+name] > 0 {
					return fmt.Errorf("a second <%s> in <%s> (maxOccurs 1)", name, parent.name)
				}
				parent.counts["kid:"+name]++
				parent.lastKid = idx
				if parent.name == "testcase" && name != "system-out" && name != "system-err" {
					if parent.counts["outcome"]++; parent.counts["outcome"] > 1 {
						return errors.New("a testcase with more than one of skipped/error/failure")
					}
				}
				if parent.name == "testsuite" && name == "testcase" {
					parent.counts["tests"]++
				}
				if name == "failure" || name == "error" || name == "skipped" {
					stack[len(stack)-2].counts[name]++ // the suite holding this testcase
				}
			}
			f := &frame{name: name, counts: map[string]int{}, declared: map[string]int{}}
			seen := map[string]bool{}
			for _, a := range t.Attr {
				okAttr := false
				for _, ra := range rule.attrs {
					if strings.TrimPrefix(ra, "!") == a.Name.Local {
						okAttr = true
					}
				}
				if !okAttr {
					return fmt.Errorf("<%s %s=…> is not in the schema", name, a.Name.Local)
				}
				seen[a.Name.Local] = true
				if intAttrs[a.Name.Local] && name != "property" {
					if !xsInt.MatchString(a.Value) {
						return fmt.Errorf("<%s %s=%q> is not an xs:int", name, a.Name.Local, a.Value)
					}
					f.declared[a.Name.Local], _ = strconv.Atoi(a.Value)
				}
				if a.Name.Local == "time" && !xsDecimal.MatchString(a.Value) {
					return fmt.Errorf("<%s time=%q> is not an xs:decimal", name, a.Value)
				}
				if a.Name.Local == "timestamp" && !isoNoZone.MatchString(a.Value) {
					return fmt.Errorf("<%s timestamp=%q> is not ISO 8601 without zone", name, a.Value)
				}
			}
			for _, ra := range rule.attrs {
				if r, req := strings.CutPrefix(ra, "!"); req && !seen[r] {
					return fmt.Errorf("<%s> lacks required %s", name, r)
				}
			}
			stack = append(stack, f)
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.name == "properties" && f.counts["kid:property"] == 0 {
				return errors.New("<properties> without a <property>")
			}
			if f.name == "testsuite" {
				if f.declared["tests"] != f.counts["tests"] {
					return fmt.Errorf("testsuite says tests=%d, holds %d", f.declared["tests"], f.counts["tests"])
				}
				for attr, el := range countNames {
					if f.declared[attr] != f.counts[el] {
						return fmt.Errorf("testsuite says %s=%d, holds %d", attr, f.declared[attr], f.counts[el])
					}
				}
			}
		case xml.CharData:
			if len(stack) > 0 && !junitRules[stack[len(stack)-1].name].text && strings.TrimSpace(string(t)) != "" {
				return fmt.Errorf("text in <%s>", stack[len(stack)-1].name)
			}
		}
	}
	return nil
}

func TestJUnitValidates(t *testing.T) {
	runs, labels := fixedRuns(t)
	for _, tc := range []struct {
		name  string
		runs  int
		gates string
	}{{"gated, one failing", 2, "server_gen_per_s:-5%,ttft_p95:+20%"}, {"no gates", 2, ""}, {"one run", 1, ""},
		{"unjudged gate (strict)", 2, "load:+0%"}, {"skipped gate (lenient)", 2, "load:+0%"}} {
		gates, err := ParseGates(tc.gates)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compare(runs[:tc.runs], labels[:tc.runs], CompareOptions{Gates: gates, Lenient: strings.Contains(tc.name, "lenient")})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderComparisonJUnit(&b, c); err != nil {
			t.Fatal(err)
		}
		if err := validateJUnit(b.Bytes()); err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, b.String())
		}
		if xmllint, err := exec.LookPath("xmllint"); err == nil {
			// Well-formedness by a second parser, when one is installed.
			cmd := exec.Command(xmllint, "--noout", "-")
			cmd.Stdin = bytes.NewReader(b.Bytes())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: xmllint: %v\n%s", tc.name, err, out)
			}
		}
	}
	// The validator rejects what the schema rejects.
	for _, bad := range []string{
		`<testsuites><testsuite tests="1"><testcase name="a"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="2"><testcase name="a"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="1" failures="0"><testcase name="a"><failure/></testcase></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="1" timestamp="2026-01-01T00:00:00Z"><testcase name="a"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="1"><testcase name="a" time="fast"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="1"><system-out/><testcase name="a"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="1"><testcase name="a"><bogus/></testcase></testsuite></testsuites>`,
		// The XSD's <skipped> is xs:string: no message attribute.
		`<testsuites><testsuite name="s" tests="1" skipped="1"><testcase name="a"><skipped message="m"/></testcase></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="0"><properties></properties></testsuite></testsuites>`,
		`<testsuites><testsuite name="s" tests="0"><system-out/><system-out/></testsuite></testsuites>`,
	} {
		if err := validateJUnit([]byte(bad)); err == nil {
			t.Errorf("validator accepted %s", bad)
		}
	}
}

// benchstat (golang.org/x/perf/cmd/benchstat, at the version in go.mod) reads the
// benchstat output of two runs and reports the same change as Compare: for every
// metric yardstick calls significant, benchstat's "vs base" cell holds the same
// percentage, hence the same direction.
func TestBenchstatReadsOutputAndAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run golang.org/x/perf/cmd/benchstat")
	}
	runs, labels := fixedRuns(t)
	c, err := Compare(runs, labels, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	for i := range runs {
		one, err := Compare(runs[i:i+1], labels[i:i+1], CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderBenchstat(&b, one); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, strings.TrimSuffix(labels[i], ".json")+".txt")
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	version := perfVersion(t)
	cmd := exec.Command("go", append([]string{"run", "golang.org/x/perf/cmd/benchstat@" + version}, files...)...)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "proxy") || strings.Contains(string(out), "dial tcp") || strings.Contains(string(out), "no required module") {
			t.Skipf("benchstat@%s cannot be fetched here: %s", version, out)
		}
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	text := string(out)
	checked := 0
	for _, m := range c.Metrics {
		name, ok := benchName[m.Metric]
		d := m.Deltas[0]
		if !ok || !d.Significant || d.Frac == nil {
			continue
		}
		// benchstat row: "TTFT   98.82m ± 2%   111.73m ± 3%   +13.07% (p=0.000 n=20)"
		re := regexp.MustCompile(`(?m)^` + name + `\s.*\s([+-][0-9.]+)% \(p=`)
		mm := re.FindStringSubmatch(text)
		if mm == nil {
			t.Errorf("%s: no change in benchstat's output:\n%s", name, text)
			continue
		}
		got, _ := strconv.ParseFloat(mm[1], 64)
		if want := 100 * *d.Frac; (got > 0) != (want > 0) || mathAbs(got-want) > 0.01 {
			t.Errorf("%s: benchstat says %+.2f%%, yardstick %+.2f%%", name, got, want)
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("only %d metrics checked against benchstat:\n%s", checked, text)
	}
	t.Logf("benchstat output:\n%s", text)
}

func mathAbs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// perfVersion is the version of golang.org/x/perf required by go.mod.
func perfVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`golang.org/x/perf (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod does not require golang.org/x/perf")
	}
	return string(m[1])
}
