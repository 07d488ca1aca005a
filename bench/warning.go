package bench

// Warning is a caveat about a run, carried into the run file: a code for machines and a
// sentence for people.
type Warning struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Code names a kind of warning: what scripts, merge, compare and the exit status match
// on. It encodes as its string; the run file's list of codes is this one (README, "The
// run file"). Every code a package of yardstick writes is declared here.
type Code string

// The run itself: how it ended and what it was.
const (
	// CodeInterrupted: the run was stopped (Ctrl-C, SIGTERM) before every request was sent.
	CodeInterrupted Code = "interrupted"
	// CodeAborted: the run stopped on --max-errors or on consecutive failures.
	CodeAborted Code = "aborted"
	// CodeServerAborted: one server of several failed in a row and was measured no more.
	CodeServerAborted Code = "server_aborted"
	// CodeResumed: the run continues a journal; its window leaves out the pause.
	CodeResumed Code = "resumed"
	// CodeJournalFailed: the journal could not be written; what it misses is said.
	CodeJournalFailed Code = "journal_failed"
	// CodeRecovered: the run file was made from the journal of a run that was killed
	// (JournalData.Recovered); what the journal does not hold is said.
	CodeRecovered Code = "recovered"
	// CodeSyntheticWeights: the model is a shape twin with random weights.
	CodeSyntheticWeights Code = "synthetic_weights"
	// CodeProfile: the hardware profile was resolved with a caveat (harness).
	CodeProfile Code = "profile"
	// CodeMerged and CodeMixedHardware: the run is a merge of runs (of unlike machines).
	CodeMerged        Code = "merged"
	CodeMixedHardware Code = "mixed_hardware"
)

// What the server did with the requests.
const (
	CodeFailedRequests        Code = "failed_requests"
	CodeStoppedEarly          Code = "stopped_early"
	CodeMultiTokenChunks      Code = "multi_token_chunks"
	CodeContextOverflow       Code = "context_overflow"
	CodeOutputOverMax         Code = "output_over_max"
	CodePromptLengthOffTarget Code = "prompt_length_off_target"
	CodePromptCacheSuspect    Code = "prompt_cache_suspect"
	// CodePrefixJudgementNoisy: a shared-prefix run's misses prefilled at rates that
	// differ more than a hit differs from a miss, so judging hits by time is unsure.
	CodePrefixJudgementNoisy Code = "prefix_judgement_noisy"
	CodeModelReloaded        Code = "model_reloaded"
	CodeNumCtxBeyondModel    Code = "num_ctx_beyond_model"
	CodeOptionsNotSent       Code = "options_not_sent"
	CodeNoModelManagement    Code = "no_model_management"
	CodeFleetModelsDiffer    Code = "fleet_models_differ"
	CodeSameServer           Code = "same_server"
	CodePartialOffload       Code = "partial_offload"
	// CodeTokensEstimated: the server streamed no token counts (no usage chunk), so
	// output tokens were counted from the text chunks and prompt tokens are unknown.
	CodeTokensEstimated Code = "tokens_estimated"
	// CodeNoAnswer: requests that thought and ended (the output cap) before any answer
	// text, so they have no TTFA or answer figures.
	CodeNoAnswer Code = "no_answer"
	// CodeThinkIgnored: the model streamed thinking although thinking was asked off.
	CodeThinkIgnored Code = "think_ignored"
	// CodeSwapped: the machine swapped during the run, so its figures measured the disk.
	CodeSwapped Code = "swapped"
	// CodeOtherModelsLoaded: the server held other models, whose runners its resident
	// set includes.
	CodeOtherModelsLoaded Code = "other_models_loaded"
	// CodeConversationCacheMissed: later turns of conversations whose history the
	// server computed again instead of reading it from its prompt cache.
	CodeConversationCacheMissed Code = "conversation_cache_missed"
)

// What the load and the stopping rule reached.
const (
	CodePrecisionNotReached   Code = "precision_not_reached"
	CodeRunsCapReached        Code = "runs_cap_reached"
	CodeConcurrencyNotReached Code = "concurrency_not_reached"
	CodeDroppedRequests       Code = "dropped_requests"
	CodeHostBusy              Code = "host_busy"
)

// What the figures computed from the samples say about themselves (see Derived).
const (
	CodeTooFewSamples    Code = "too_few_samples"
	CodeSLOMissed        Code = "slo_missed"
	CodeFitFailed        Code = "fit_failed"
	CodeFitNegativeFixed Code = "fit_negative_fixed"
	CodeAboveCeiling     Code = "above_ceiling"
)

// Derived reports whether a warning of code c follows from a run's samples and levels
// alone (its summaries, SLO verdicts and fits), so that a run built again from other
// samples, as a merge is, computes it afresh instead of carrying the sources' copies.
// The roofline's warnings are per machine and are not carried into a merge either, but
// a merge has no roofline: they are not derived in this sense.
func (c Code) Derived() bool {
	switch c {
	case CodeTooFewSamples, CodeSLOMissed, CodeFitFailed, CodeFitNegativeFixed:
		return true
	}
	return false
}
