package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/yardstick-dev/yardstick/internal/atomicfile"
	"github.com/yardstick-dev/yardstick/internal/userfile"
)

// WriteFile writes run as indented JSON to path atomically: into a temporary file in
// the same directory, synced, then renamed over path, so a reader or a crash never sees
// half a file. Missing parent directories are created.
//
// The file is indented JSON but for the samples, which are written one compact object
// per line, one at a time: a run of 100,000 requests then needs memory for one sample's
// encoding at a time instead of the whole document twice over.
func WriteFile(path string, run *Run) error {
	head := *run
	head.Samples = nil
	b, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding run: %w", err)
	}
	// Samples is the last field of Run, so the document ends with it.
	const tail = "\"samples\": null\n}"
	if !bytes.HasSuffix(b, []byte(tail)) {
		return fmt.Errorf("encoding run: unexpected layout (samples is not the last field)")
	}
	return writeAtomicFunc(path, func(w *bufio.Writer) error {
		if _, err := w.Write(b[:len(b)-len(tail)]); err != nil {
			return err
		}
		if _, err := w.WriteString("\"samples\": ["); err != nil {
			return err
		}
		// One buffer for every sample: json.Marshal would allocate each encoding anew,
		// a hundred megabytes of garbage over a long run (docs/performance.md).
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for i := range run.Samples {
			buf.Reset()
			if err := enc.Encode(&run.Samples[i]); err != nil {
				return fmt.Errorf("encoding sample %d: %w", i, err)
			}
			sb := bytes.TrimSuffix(buf.Bytes(), []byte("\n")) // Encode's newline
			sep := ",\n    "
			if i == 0 {
				sep = "\n    "
			}
			if _, err := w.WriteString(sep); err != nil {
				return err
			}
			if _, err := w.Write(sb); err != nil {
				return err
			}
		}
		if len(run.Samples) > 0 {
			_, err = w.WriteString("\n  ]\n}\n")
		} else {
			_, err = w.WriteString("]\n}\n")
		}
		return err
	})
}

func writeAtomic(path string, data []byte) error {
	return writeAtomicFunc(path, func(w *bufio.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomicFunc writes what fill writes to path atomically (internal/atomicfile),
// creating path's directory first; errors name path.
func writeAtomicFunc(path string, fill func(*bufio.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := atomicfile.WriteFunc(path, 0o644, fill); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadFile reads a run file. A file of another kind, or of a newer schema version than
// this build knows, is refused with an error that says so.
func ReadFile(path string) (*Run, error) {
	b, err := readRegular(path)
	if err != nil {
		return nil, err
	}
	return DecodeRun(path, b)
}

// MaxRunFileBytes bounds what ReadFile reads: a 100,000-request run with 128 output
// tokens each is about 150 MB of JSON.
const MaxRunFileBytes = 1 << 30

// readRegular reads a regular file of at most MaxRunFileBytes (internal/userfile): a
// pipe, a device or an endless file is refused instead of blocking or exhausting memory.
func readRegular(path string) ([]byte, error) {
	return userfile.Read(path, MaxRunFileBytes)
}

// LineCol converts a byte offset into b to a 1-based line and column (in bytes), as
// editors and compilers print them; an offset outside b is clamped to its start or end.
func LineCol(b []byte, offset int64) (line, col int) {
	offset = max(0, min(offset, int64(len(b))))
	before := b[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
}

// jsonProblem says in words what is wrong with a file that is not the JSON object a
// run file is, without Go's type names, prefixed with where (path:line:col) when
// encoding/json gives an offset into b.
func jsonProblem(path string, b []byte, err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	at := func(off int64) string {
		l, c := LineCol(b, off)
		return fmt.Sprintf("%s:%d:%d", path, l, c)
	}
	switch {
	case errors.As(err, &te) && te.Field == "":
		return path + ": the JSON is " + te.Value + ", not an object"
	case errors.As(err, &te):
		return fmt.Sprintf("%s: field %s holds %s, not the expected type", at(te.Offset), te.Field, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &se) && se.Error() == "unexpected end of JSON input"):
		return at(int64(len(b))) + ": the JSON ends early (a truncated file?)"
	case errors.As(err, &se):
		return fmt.Sprintf("%s: invalid JSON: %v", at(se.Offset), err)
	}
	return path + ": " + err.Error()
}

// DecodeRun decodes a run file's bytes; path (the file's) prefixes every error. A file of
// another kind, or of a newer schema version than this build knows, is refused with an
// error that says so.
func DecodeRun(path string, b []byte) (*Run, error) {
	var head struct {
		SchemaVersion int    `json:"schema_version"`
		Kind          string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		where, what, _ := strings.Cut(jsonProblem(path, b, err), ": ")
		return nil, fmt.Errorf("%s: not a yardstick run file: %s", where, what)
	}
	if head.Kind != Kind {
		return nil, fmt.Errorf("%s: not a yardstick run file (kind %q)", path, head.Kind)
	}
	if head.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%s: schema version %d is newer than this yardstick understands (%d); upgrade yardstick", path, head.SchemaVersion, SchemaVersion)
	}
	// b is one valid JSON value (the head decoded): json.Unmarshal decodes it in place,
	// where a json.Decoder would first copy the whole file into its own buffer.
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, errors.New(jsonProblem(path, b, err))
	}
	if r.Samples == nil {
		return nil, errors.New(path + ": run file has no samples array")
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%s: %w (the file was edited or is corrupt: its figures do not follow from what was measured)", path, err)
	}
	return &r, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// DefaultPath is the run file name used when --out is not given:
// "yardstick-<model>-<UTC time>-<first 8 of run id>.json" in dir, where every character
// of the model name outside [A-Za-z0-9._-] becomes "-" so the name cannot leave dir;
// the run id keeps two runs in the same second apart.
func DefaultPath(dir, model string, t time.Time, runID string) string {
	m := strings.Trim(unsafeName.ReplaceAllString(model, "-"), "-.")
	if m == "" {
		m = "model"
	}
	id := unsafeName.ReplaceAllString(runID, "")
	if len(id) > 8 {
		id = id[:8]
	}
	if id != "" {
		id = "-" + id
	}
	return filepath.Join(dir, fmt.Sprintf("yardstick-%s-%s%s.json", m, t.UTC().Format("20060102T150405Z"), id))
}
