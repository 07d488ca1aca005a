package bench

import (
	"fmt"
	"time"
)

// Recovered returns the run a journal records, as the engine would have returned it
// had it been stopped where the journal ends: the header's options, target and start,
// the journal's cold, warm-up and measured requests, each level's requests and window
// computed as the engine computes them (first measured send to last successful done;
// the run's duration the sum of its levels'), EndReason "interrupted", and a
// CodeRecovered warning saying what the journal does not hold (server memory, energy,
// host CPU, the end time). It is how a journal that cannot be resumed (a load model, a
// sweep, a duration, several servers) becomes a run file after the process that wrote
// it was killed. d must have passed DecodeJournal's checks.
func (d *JournalData) Recovered() *Result {
	h := d.Header
	res := &Result{
		RunID: h.RunID, Options: h.Options, StartedAt: h.StartedAt, EndReason: EndInterrupted,
		Target: h.Target, PromptWords: h.PromptWords, Cold: d.Cold, Warmup: d.Warmup, Samples: d.Samples,
		Stopping: Stopping{Rule: "fixed"},
	}
	if h.Options.Duration > 0 {
		res.Stopping.Rule = "duration"
	}
	if len(h.Options.Hosts) > 1 {
		for _, host := range h.Options.Hosts {
			t := h.Target
			t.Host = host
			res.Fleet = append(res.Fleet, FleetMember{Target: t, Memory: Memory{ModelSizeUnavailable: "recovered from a journal, which does not record memory"}})
		}
	}
	res.Memory.ModelSizeUnavailable = "recovered from a journal, which does not record memory"
	for i, spec := range h.Options.Levels() {
		res.Levels = append(res.Levels, Level{Index: i, LoadSpec: spec.Load, PromptTokens: spec.PromptTokens, PromptWords: h.PromptWords, Servers: max(1, len(h.Options.Hosts))})
	}
	last := -1 // the engine lists the levels it started: up to the last with a request
	for _, s := range d.Samples {
		res.Levels[s.Level].add(s)
		last = max(last, s.Level)
	}
	res.Levels = res.Levels[:last+1]
	for i := range res.Levels {
		lv := &res.Levels[i]
		lv.Window.EndNs = max(lv.Window.EndNs, lv.Window.StartNs)
		lv.Window.DurationNs = lv.Window.EndNs - lv.Window.StartNs
	}
	res.spanLevels()
	res.EndedAt = h.StartedAt.Add(time.Duration(res.Window.EndNs))
	res.warn(CodeRecovered, fmt.Sprintf("made from the journal of a run that stopped without writing its file (%d measured requests): server memory, energy and host CPU are not recorded, and ended_at is the last request's end", len(d.Samples)))
	res.endWarnings() // interrupted, failed requests: as the engine says them
	return res
}
