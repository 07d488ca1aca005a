// Package junitschema checks a JUnit XML document against the schema Jenkins reads,
// for the tests of every command that writes JUnit (compare, check). It is test
// support: nothing in yardstick's commands calls it.
package junitschema

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
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
// stricter than the XSD's xs:string and checked by Validate.
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

// Validate checks doc against junitRules, the attribute types, and that every
// test suite's counts match its test cases.
func Validate(doc []byte) error {
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
