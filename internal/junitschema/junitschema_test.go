package junitschema

import (
	"math"
	"testing"
)

// The vendored XSD parses into the elements it declares, with the bounds it states:
// these are read from jenkins-junit.xsd, not restated (the expected values are the
// XSD's own, quoted in each comment).
func TestSchemaReadsTheXSD(t *testing.T) {
	s, err := Schema(XSD)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 10 {
		t.Errorf("%d elements, want the XSD's 10", len(s))
	}
	// <xs:element name="skipped" type="xs:string"/>: text, no attribute.
	if e := s["skipped"]; !e.Text || len(e.Attrs) != 0 {
		t.Errorf("skipped %+v", e)
	}
	// testsuite: name and tests required; properties 0..1, testcase 0..unbounded.
	ts := s["testsuite"]
	if !ts.Attrs["name"] || !ts.Attrs["tests"] || ts.Attrs["failures"] || ts.Text {
		t.Errorf("testsuite attrs %+v", ts.Attrs)
	}
	want := []Particle{{"properties", 0, 1}, {"testcase", 0, math.MaxInt}, {"system-out", 0, 1}, {"system-err", 0, 1}}
	if len(ts.Children) != len(want) {
		t.Fatalf("testsuite children %+v", ts.Children)
	}
	for i := range want {
		if ts.Children[i] != want[i] {
			t.Errorf("testsuite child %d: %+v, want %+v", i, ts.Children[i], want[i])
		}
	}
	// properties: <xs:element ref="property" maxOccurs="unbounded"/>, minOccurs 1 by default.
	if p := s["properties"].Children; len(p) != 1 || p[0] != (Particle{"property", 1, math.MaxInt}) {
		t.Errorf("properties %+v", p)
	}
	// failure is mixed: text and type/message attributes.
	if f := s["failure"]; !f.Text || len(f.Attrs) != 2 {
		t.Errorf("failure %+v", f)
	}
	// A construct outside the subset is refused, not half understood.
	if _, err := Schema([]byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a"><xs:complexType><xs:choice/></xs:complexType></xs:element></xs:schema>`)); err == nil {
		t.Error("xs:choice accepted")
	}
}

var valid = `<testsuites><testsuite name="s" tests="1" skipped="1"><properties><property name="a" value="b"/></properties><testcase name="a"><skipped>why</skipped></testcase><system-out>x</system-out></testsuite></testsuites>`

// The validator rejects what the schema rejects (each document breaks one rule) and
// accepts a minimal valid one; xmllint, when installed, agrees on every document
// whose fault is the XSD's (not one of yardstick's stricter rules).
func TestValidateRejects(t *testing.T) {
	if err := Validate([]byte(valid)); err != nil {
		t.Errorf("valid document refused: %v", err)
	}
	for _, tc := range []struct {
		doc   string
		byXSD bool // the XSD itself refuses it (xmllint must too)
	}{
		{`<testsuites><testsuite tests="1"><testcase name="a"/></testsuite></testsuites>`, true},
		{`<testsuites><testsuite name="s" tests="2"><testcase name="a"/></testsuite></testsuites>`, false},
		{`<testsuites><testsuite name="s" tests="1" failures="0"><testcase name="a"><failure/></testcase></testsuite></testsuites>`, false},
		{`<testsuites><testsuite name="s" tests="1" timestamp="2026-01-01T00:00:00Z"><testcase name="a"/></testsuite></testsuites>`, false},
		{`<testsuites><testsuite name="s" tests="1"><testcase name="a" time="fast"/></testsuite></testsuites>`, false},
		{`<testsuites><testsuite name="s" tests="1"><system-out/><testcase name="a"/></testsuite></testsuites>`, true},
		{`<testsuites><testsuite name="s" tests="1"><testcase name="a"><bogus/></testcase></testsuite></testsuites>`, true},
		// The XSD's <skipped> is xs:string: no message attribute.
		{`<testsuites><testsuite name="s" tests="1" skipped="1"><testcase name="a"><skipped message="m"/></testcase></testsuite></testsuites>`, true},
		// <properties> holds at least one <property>.
		{`<testsuites><testsuite name="s" tests="0"><properties></properties></testsuite></testsuites>`, true},
		{`<testsuites><testsuite name="s" tests="0"><system-out/><system-out/></testsuite></testsuites>`, true},
		{`<testsuites><testsuite name="s" tests="1"><testcase name="a"><skipped/><skipped/></testcase></testsuite></testsuites>`, true},
		{`<testsuites><testsuite name="s" tests="1" failures="2"><testcase name="a"><failure/><failure/></testcase></testsuite></testsuites>`, false},
		{`<testsuites>text<testsuite name="s" tests="0"/></testsuites>`, true},
		{`<testcase name="a"/>`, false},
	} {
		if err := Validate([]byte(tc.doc)); err == nil {
			t.Errorf("validator accepted %s", tc.doc)
		}
		if tc.byXSD {
			if ran, ok, out := xmllint(t, []byte(tc.doc)); ran && ok {
				t.Errorf("xmllint accepted what the XSD refuses: %s\n%s", tc.doc, out)
			}
		}
	}
	if ran, ok, out := xmllint(t, []byte(valid)); ran && !ok {
		t.Errorf("xmllint refused the valid document: %s", out)
	}
}

// xmllint is XMLLint for the test: ran is false without xmllint, ok its verdict.
func xmllint(t *testing.T, doc []byte) (ran, ok bool, out string) {
	t.Helper()
	ran, err := XMLLint(doc)
	if err != nil {
		out = err.Error()
	}
	return ran, err == nil, out
}
