package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/yardstick-dev/yardstick/internal/atomicfile"
	"github.com/yardstick-dev/yardstick/internal/userfile"
)

// JournalKind identifies a journal's header line.
const JournalKind = "yardstick.journal"

// JournalVersion is the version of the journal's line format.
const JournalVersion = 1

// JournalSyncEvery is how many samples are appended between fsyncs: a crash of the
// machine loses at most this many, a crash of the process none.
const JournalSyncEvery = 10

// JournalHeader is a journal's first line: what a resumed run needs to continue as the
// same run. Options.Host is redacted like everywhere else.
type JournalHeader struct {
	Kind      string    `json:"kind"`
	Version   int       `json:"journal_version"`
	RunID     string    `json:"run_id"`
	StartedAt time.Time `json:"started_at"`
	Options   Options   `json:"options"`
	Target    Target    `json:"target"`
	// PromptWords is the calibrated prompt body length of the measured requests, set
	// (and Calibrated true) when the warm-up ends.
	PromptWords int  `json:"prompt_words"`
	Calibrated  bool `json:"calibrated"`
}

// check is the header's semantic check: a run id and a model, options that Validate
// accepts (a hand-edited journal must not resume a run no flag could start), and a
// calibrated prompt length within MaxPromptWords.
func (h *JournalHeader) check() error {
	switch {
	case h.RunID == "" || h.Options.Model == "":
		return errors.New("the header names no run id or model")
	case h.PromptWords < 0 || h.PromptWords > MaxPromptWords:
		return fmt.Errorf("header: prompt_words %d: must be in 0..%d", h.PromptWords, MaxPromptWords)
	}
	if err := h.Options.Validate(); err != nil {
		return fmt.Errorf("header: options no run could have: %v", err)
	}
	return nil
}

// check is a line's semantic check (Sample.Check): exactly one request per line.
func (l *journalLine) check(levels, targets int) error {
	switch {
	case (l.Cold == nil) == (l.Sample == nil):
		return errors.New("a line holds one request: a cold one or a sample")
	case l.Cold != nil && l.Cold.UnloadNs < 0:
		return fmt.Errorf("cold: unload_ns %d: a duration cannot be negative", l.Cold.UnloadNs)
	case l.Cold != nil:
		if err := l.Cold.Sample.Check(levels, targets); err != nil {
			return fmt.Errorf("cold: %w", err)
		}
		return nil
	}
	return l.Sample.Check(levels, targets)
}

// journalLine is every line after the header: one completed request.
type journalLine struct {
	Cold   *ColdLoad `json:"cold,omitempty"`
	Sample *Sample   `json:"sample,omitempty"`
}

// Journal appends every completed request of a run, one JSON line each, to a file
// next to the run file, so an interrupted or crashed run loses nothing that was
// measured. Lines are written to the file as they come (no user-space buffer) and
// fsynced every JournalSyncEvery samples and on Sync and Close.
type Journal struct {
	path     string
	f        *os.File
	unsynced int
}

// CreateJournal creates the journal at path. An existing journal is an unfinished
// run's and is never overwritten: the error says to resume or remove it.
func CreateJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("journal %s of an unfinished run exists: finish it with --resume %s, or remove it", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return &Journal{path: path, f: f}, nil
}

// AppendJournal opens an existing journal to continue it (yardstick run --resume). It
// takes an exclusive lock, so two resumes of one journal cannot run at once, and cuts
// a last line torn by a crash back to the end of the last complete line, so what is
// appended starts on a line of its own.
func AppendJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("journal %s: not a regular file", path)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	if keep := int64(bytes.LastIndexByte(b, '\n') + 1); keep < int64(len(b)) {
		if err := f.Truncate(keep); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: cutting a torn last line: %w", err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &Journal{path: path, f: f}, nil
}

// Path is the journal's file name.
func (j *Journal) Path() string { return j.path }

func (j *Journal) writeLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

func (j *Journal) begin(h JournalHeader) error {
	h.Kind, h.Version = JournalKind, JournalVersion
	if err := j.writeLine(h); err != nil {
		return err
	}
	return j.Sync()
}

func (j *Journal) add(l journalLine) error {
	if err := j.writeLine(l); err != nil {
		return err
	}
	if j.unsynced++; j.unsynced >= JournalSyncEvery {
		return j.Sync()
	}
	return nil
}

// calibrated rewrites the header with the calibrated prompt length: the journal is
// copied with its new first line into a temporary file, synced and renamed over itself.
func (j *Journal) calibrated(words int) error {
	if err := j.Sync(); err != nil {
		return err
	}
	b, err := os.ReadFile(j.path)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	var h JournalHeader
	if err := json.Unmarshal(first, &h); err != nil {
		return fmt.Errorf("journal %s: header: %w", j.path, err)
	}
	h.PromptWords, h.Calibrated = words, true
	nb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(j.path, append(append(nb, '\n'), rest...), 0o600); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.f.Close()
	j.f, err = os.OpenFile(j.path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		err = lockFile(j.f) // the renamed file is a new inode: lock it too
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Sync flushes what was appended to stable storage.
func (j *Journal) Sync() error {
	j.unsynced = 0
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Close syncs and closes the journal.
func (j *Journal) Close() error {
	err := j.Sync()
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal %s: %w", j.path, cerr)
	}
	return err
}

// Remove closes and deletes the journal: the run file now holds everything.
func (j *Journal) Remove() error {
	j.f.Close()
	return os.Remove(j.path)
}

// JournalData is what a journal recorded: its header and every completed request.
type JournalData struct {
	Header  JournalHeader
	Cold    *ColdLoad
	Warmup  []Sample
	Samples []Sample
	// TornTail is true when the last line was cut off (the process died while writing
	// it); that request is sent again.
	TornTail bool
}

// LastOffsetNs is the latest instant the journal saw on the run's clock: the last
// done, or the last send of a failed request.
func (d *JournalData) LastOffsetNs() int64 {
	var last int64
	see := func(s *Sample) {
		end := s.SentAtNs
		if s.E2ENs != nil {
			end += *s.E2ENs
		}
		last = max(last, end)
	}
	if d.Cold != nil {
		see(&d.Cold.Sample)
	}
	for i := range d.Warmup {
		see(&d.Warmup[i])
	}
	for i := range d.Samples {
		see(&d.Samples[i])
	}
	return last
}

// MaxJournalBytes bounds a journal ReadJournal reads: as large as the largest run file
// (results.MaxRunFileBytes), which is what a journal becomes.
const MaxJournalBytes = 1 << 30

// MaxJournalLineBytes bounds one journal line (one sample with its inter-token gaps).
const MaxJournalLineBytes = 64 << 20

// ReadJournal reads the journal at path. Errors name the file and line
// ("run.json.journal:3: …"); a path that is not a regular file of at most
// MaxJournalBytes is refused (internal/userfile). A last line without its newline is a write the process
// did not finish: it is dropped and TornTail says so.
func ReadJournal(path string) (*JournalData, error) {
	f, err := userfile.Open(path, MaxJournalBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeJournal(path, f)
}

// DecodeJournal reads a journal from r; name prefixes every error.
func DecodeJournal(name string, r io.Reader) (*JournalData, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	d := &JournalData{Warmup: []Sample{}, Samples: []Sample{}}
	levels, targets := 0, 0 // from the header
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF && len(line) == 0 {
			if n == 1 {
				return nil, fmt.Errorf("%s: empty journal", name)
			}
			return d, nil
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if err == io.EOF && n > 1 { // no newline: a torn write
			d.TornTail = true
			return d, nil
		}
		if n == 1 {
			if e := json.Unmarshal(line, &d.Header); e != nil || d.Header.Kind != JournalKind {
				return nil, fmt.Errorf("%s:1: not a yardstick journal", name)
			}
			if d.Header.Version > JournalVersion {
				return nil, fmt.Errorf("%s:1: journal version %d is newer than this yardstick understands (%d)", name, d.Header.Version, JournalVersion)
			}
			if err := d.Header.check(); err != nil {
				return nil, fmt.Errorf("%s:1: %w", name, err)
			}
			d.Header.Options.RunID = d.Header.RunID
			levels, targets = len(d.Header.Options.Levels()), max(1, len(d.Header.Options.Hosts))
			continue
		}
		var l journalLine
		if e := json.Unmarshal(line, &l); e != nil {
			return nil, fmt.Errorf("%s:%d: not a journal line: %v", name, n, e)
		}
		if err := l.check(levels, targets); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		switch {
		case l.Cold != nil && d.Cold == nil && len(d.Warmup)+len(d.Samples) == 0:
			d.Cold = l.Cold
		case l.Sample != nil && l.Sample.Phase == PhaseWarmup: // a resumed run may warm up again
			d.Warmup = append(d.Warmup, *l.Sample)
		// A run that cannot be resumed (a load model, a sweep, several servers) journals
		// its requests in the order they finish: a record, in any order.
		case l.Sample != nil && l.Sample.Phase == PhaseMeasured && (l.Sample.Index == len(d.Samples) || !d.Header.Options.Resumable()):
			d.Samples = append(d.Samples, *l.Sample)
		default:
			return nil, fmt.Errorf("%s:%d: a request out of order (a cold request after others, or measured index not %d)", name, n, len(d.Samples))
		}
	}
}

// readLine reads one line without its newline; io.EOF with a non-empty line means the
// last line had no newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxJournalLineBytes {
			return nil, errors.New("line longer than any journal line")
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
		}
		return line, err
	}
}
