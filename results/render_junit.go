package results

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit XML written here follows the schema Jenkins reads (jenkins-junit.xsd, kept
// in the JUnit 5 repository; the tests validate against the copy vendored in
// internal/junitschema) and that GitLab, GitHub test reporters and Azure DevOps read as
// well: <testsuites> holding one <testsuite> per compared run, each with
// <properties>, one <testcase> per gate and <system-out>/<system-err>. A failed gate
// is a <failure>; a gate that cannot be judged (metric missing, too few samples to be
// significant) is a <failure type="not_judged"> under the strict rule (the default,
// CompareOptions.Lenient unset) and <skipped> otherwise. In that schema <skipped> is
// text only (xs:string): its reason is its text, not a message attribute. Without
// gates nothing was checked: the suite holds no test case (tests="0") and says so in
// its <system-out>, rather than dressing each metric as a passing test.

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitText    `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// junitText is an element of text only, as <skipped> is in the schema.
type junitText struct {
	Text string `xml:",chardata"`
}

// junitTimestamp turns a run's started_at (RFC 3339, UTC) into the schema's
// timestamp: ISO 8601 to the second without a zone.
func junitTimestamp(s string) string {
	if len(s) >= 19 {
		return s[:19]
	}
	return "1970-01-01T00:00:00"
}

// RenderComparisonJUnit writes the comparison as JUnit XML: one test suite per compared
// run (per run against the base; the run itself when there is only one), one test case
// per gate (see the comment above for the schema and the cases without gates). Test
// times are 0: a test case here is a verdict, not something that ran.
func RenderComparisonJUnit(w io.Writer, c *Comparison) error {
	doc := junitSuites{}
	targets := []int{}
	for i := 1; i < len(c.Runs); i++ {
		targets = append(targets, i)
	}
	if len(c.Runs) == 1 {
		targets = []int{0}
	}
	for id, ri := range targets {
		r := c.Runs[ri]
		name := "yardstick " + r.Label
		if ri > 0 {
			name += " vs " + c.Runs[0].Label
		}
		s := junitSuite{Name: name, Time: "0", Timestamp: junitTimestamp(r.StartedAt), Hostname: orLocal(r.Host),
			ID: id, Package: "yardstick", Properties: []junitProperty{
				{"alpha", fmt.Sprint(c.Alpha)}, {"ci_level", fmt.Sprint(c.CILevel)},
				{"model", r.Model}, {"quantization", r.Quant}, {"digest", r.Digest}, {"server", r.Backend + " " + r.Server}, {"run_id", r.RunID},
			}}
		if ri > 0 {
			s.Properties = append(s.Properties, junitProperty{"base", c.Runs[0].Label}, junitProperty{"base_run_id", c.Runs[0].RunID})
		}
		for _, g := range c.Gates {
			if g.Run != ri {
				continue
			}
			tc := junitCase{Name: g.Gate.Name() + " " + g.Gate.Threshold(), Classname: "yardstick.gate." + classPart(r.Label), Time: "0", SystemOut: g.Message}
			switch {
			case g.Status == "fail" && !g.Judged:
				tc.Failure = &junitMessage{Message: g.Message, Type: "not_judged", Text: g.Message}
				s.Failures++
			case g.Status == "fail":
				tc.Failure = &junitMessage{Message: g.Message, Type: "regression", Text: g.Message}
				s.Failures++
			case g.Status == "skip":
				tc.Skipped = &junitText{Text: g.Message}
				s.Skipped++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Tests = len(s.Cases)
		var notes strings.Builder
		if len(c.Gates) == 0 {
			notes.WriteString("no gates were given (compare --fail-on): nothing was checked, so this suite holds no test case\n")
		}
		for _, n := range c.notes() {
			notes.WriteString(n + "\n")
		}
		s.SystemOut = notes.String()
		doc.Suites = append(doc.Suites, s)
	}
	return writeJUnit(w, doc)
}

// writeJUnit writes doc with the XML header.
func writeJUnit(w io.Writer, doc junitSuites) error {
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// classPart makes a run label usable in a dotted class name.
func classPart(label string) string {
	return strings.NewReplacer(".", "_", " ", "_", "/", "_").Replace(label)
}

func orLocal(host string) string {
	if host == "" {
		return "localhost"
	}
	return host
}
