package bench

// PlannedRequests is the number of requests a run with these options sends to servers
// servers when nothing fails and nothing interrupts it: per server, the cold-load
// request (Ollama only, unless SkipColdLoad), the warm-ups (once per level in a
// prompt-length sweep, which re-calibrates before each level; once otherwise) and Runs
// measured requests per level. With --runs auto, Runs is the cap, so the count is an
// upper bound. It is −1 when a Duration bounds the run: the count is not known ahead.
func (o Options) PlannedRequests(servers int) int {
	if o.Duration > 0 {
		return -1
	}
	levels := len(o.Levels())
	warmups := o.Warmup
	if len(o.PromptTokensSweep) > 1 {
		warmups *= levels
	}
	runs := o.Runs
	switch {
	case o.Turns > 0 && len(o.Conversations) == 0: // whole synthetic conversations
		runs = (o.Runs + o.Turns - 1) / o.Turns * o.Turns
	case len(o.Trace) > 0:
		runs = min(o.Runs, len(o.Trace))
	}
	total := servers * (warmups + runs*levels)
	if !o.SkipColdLoad && o.Backend == "ollama" {
		total += servers
	}
	return total
}
