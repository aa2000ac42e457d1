package contract

import (
	"encoding/xml"
	"fmt"
	"io"
)

// junitSuites is the JUnit XML that CI systems (GitLab, Jenkins, GitHub actions
// reporters) read: one suite for the run, one test case per step.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: a test case per step, named by its
// number, operation, expected status and purpose, failed with the problem found.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{Name: "shopfloor contract " + r.BaseURL, Tests: len(r.Steps),
		Time: fmt.Sprintf("%.3f", r.Elapsed.Seconds())}
	for i, s := range r.Steps {
		c := junitCase{
			Name:      fmt.Sprintf("%02d %s → %d: %s", i+1, s.Operation, s.Want, s.What),
			Classname: "shopfloor.contract." + s.Operation,
			Time:      fmt.Sprintf("%.3f", s.Elapsed.Seconds()),
		}
		if !s.Passed() {
			suite.Failures++
			c.Failure = &junitFailure{Message: s.Problem, Type: "contract",
				Text: fmt.Sprintf("%s %s → %d (want %d)\n%s", s.Method, s.Path, s.Got, s.Want, s.Problem)}
		}
		suite.Cases = append(suite.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{suite}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
