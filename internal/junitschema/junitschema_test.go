package junitschema

import "testing"

// The validator rejects what the schema rejects (each document breaks one rule) and
// accepts a minimal valid one.
func TestValidateRejects(t *testing.T) {
	if err := Validate([]byte(`<testsuites><testsuite name="s" tests="1" skipped="1"><properties><property name="a" value="b"/></properties><testcase name="a"><skipped>why</skipped></testcase><system-out>x</system-out></testsuite></testsuites>`)); err != nil {
		t.Errorf("valid document refused: %v", err)
	}
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
		if err := Validate([]byte(bad)); err == nil {
			t.Errorf("validator accepted %s", bad)
		}
	}
}
