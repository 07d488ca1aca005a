package results

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/yardstick-dev/yardstick/internal/atomicfile"
	"github.com/yardstick-dev/yardstick/internal/tablefit"
	"github.com/yardstick-dev/yardstick/internal/termsafe"
)

// ReadInputs reads the run files at paths, in order, for a command that writes its
// report to out ("" for stdout). Errors: out names one of the inputs (writing there
// would destroy a measurement) or cannot be written (atomicfile.CheckTarget: a FIFO,
// a symbolic link, a device or a directory is refused, never replaced), a file that
// does not exist ("PATH: no such file"), or one that is not a readable run file (the
// error names it).
func ReadInputs(out string, paths []string) ([]*Run, error) {
	if err := checkOutNotInput(out, paths); err != nil {
		return nil, err
	}
	if out != "" {
		if err := atomicfile.CheckTarget(out); err != nil {
			return nil, fmt.Errorf("--out: %w", err)
		}
	}
	var runs []*Run
	for _, p := range paths {
		r, err := ReadFile(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s: no such file", p)
			}
			if !strings.HasPrefix(err.Error(), p) {
				err = fmt.Errorf("%s: %w", p, err)
			}
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// checkOutNotInput refuses an out that names one of the inputs, by path or as the
// same file.
func checkOutNotInput(out string, inputs []string) error {
	if out == "" {
		return nil
	}
	oi, err := os.Stat(out)
	for _, in := range inputs {
		ii, ierr := os.Stat(in)
		sameFile := err == nil && ierr == nil && os.SameFile(oi, ii)
		if sameFile || filepath.Clean(out) == filepath.Clean(in) {
			return fmt.Errorf("--out %s is one of the input run files; writing there would destroy it", out)
		}
	}
	return nil
}

// WriteReport renders a report: to the file out, atomically (internal/atomicfile,
// mode 0644), or to stdout when out is "", its tables fitted to stdout's width when
// stdout carries one (tablefit.WithColumns). Nothing is written when render fails.
func WriteReport(stdout io.Writer, out string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	// A table for stdout fits the terminal stdout is (tablefit.Columns); a file's
	// is whole.
	var dst io.Writer = &buf
	if out == "" {
		dst = tablefit.WithColumns(&buf, tablefit.Columns(stdout))
	}
	if err := render(dst); err != nil {
		return err
	}
	// Files are made safe as stdout is (internal/termsafe): a report is read in a
	// terminal, an editor or a CI page, where bidi controls reorder what is seen.
	safe := termsafe.Append(nil, buf.Bytes())
	if out == "" {
		_, err := stdout.Write(safe)
		return err
	}
	if err := atomicfile.Write(out, safe, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}

// AppendStepSummary appends the markdown rendering of c to the file at path, GitHub
// Actions' job summary ($GITHUB_STEP_SUMMARY); an empty path does nothing. The error
// says the summary was not written.
func AppendStepSummary(path string, c *Comparison) error {
	return AppendStepSummaryWith(path, func(w io.Writer) error { return RenderComparisonMarkdown(w, c) })
}

// AppendStepSummaryWith appends what markdown renders to the file at path, as
// AppendStepSummary does (check's summary goes through it).
func AppendStepSummaryWith(path string, markdown func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	var md bytes.Buffer
	if err := markdown(&md); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("$GITHUB_STEP_SUMMARY not written: %v", err)
	}
	_, werr := f.Write(append(termsafe.Append(nil, md.Bytes()), '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("$GITHUB_STEP_SUMMARY %s not written: %v", path, werr)
	}
	return nil
}
