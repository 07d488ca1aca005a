package bench

import "testing"

// A run resumed twice measured in three stretches, each after a resume's warm-up: its
// window is the sum of the stretches, none of the warm-ups (why: warm-ups are never
// measuring time, and the offsets already leave out the time the run was stopped).
func TestCloseWindowResumedStretches(t *testing.T) {
	ms := func(v int64) int64 { return v * 1_000_000 }
	smp := func(i int, sent, e2e int64) Sample {
		return Sample{Index: i, Phase: PhaseMeasured, OK: true, SentAtNs: ms(sent), E2ENs: ptr(ms(e2e))}
	}
	warm := func(sent int64) Sample {
		return Sample{Phase: PhaseWarmup, OK: true, SentAtNs: ms(sent), E2ENs: ptr(ms(1000))}
	}
	r := &runner{rs: &JournalData{Samples: []Sample{{}, {}, {}}}, res: &Result{
		// The first warm-up is before measuring; two more come with the two resumes.
		Warmup:  []Sample{warm(0), warm(3000), warm(5000)},
		Samples: []Sample{smp(0, 1000, 1000), smp(1, 2000, 1000), smp(2, 4000, 1000), smp(3, 6000, 1000), smp(4, 7000, 1000)},
	}}
	lv := &Level{Index: 0, Window: Window{StartNs: ms(1000), EndNs: ms(8000)}}
	r.closeWindow(lv)
	// Stretches: 1000..3000 (2 s), 4000..5000 (1 s), 6000..8000 (2 s).
	if want := ms(5000); lv.Window.DurationNs != want {
		t.Errorf("window %d ns, want %d (three stretches of 2, 1 and 2 s)", lv.Window.DurationNs, want)
	}
	// Not resumed: first send to last done.
	r.rs = nil
	r.closeWindow(lv)
	if want := ms(7000); lv.Window.DurationNs != want {
		t.Errorf("window %d ns without a resume, want %d", lv.Window.DurationNs, want)
	}
}
