package results

import (
	"bytes"
	"strings"
	"testing"
)

// TestPrefillCeilingPerPrecision: a Q8_0 model is held against the machine's int8
// peak. The fixture's 360 M active parameters at 8 TOP/s give 8e12 / 7.2e8 = 11,111
// tokens/s; the measured median 10,240 tokens/s is then 92.2% of it, where the 1
// TFLOP/s general peak would put it at 737% and warn above_ceiling. The table names
// the precision; old run files (no precision) print as before.
func TestPrefillCeilingPerPrecision(t *testing.T) {
	res := fixture()
	res.Target.Model.Cost.WeightType, res.Target.Model.Cost.ComputePrecision = "Q8_0", "int8"
	m := fixtureMachine()
	m.PeakINT8OPS, m.INT8OPSSource = 8e12, "int8 declared in test"
	r := Build(res, fixtureHardware(), m)
	rl := r.Roofline
	if rl == nil || rl.ComputePrecision != "int8" || !near(rl.PrefillCeilingPerS, 8e12/720e6) || rl.FLOPSSource != "int8 declared in test" {
		t.Fatalf("roofline %+v", rl)
	}
	if !near(*rl.PrefillEfficiencyFrac, 10240/(8e12/720e6)) {
		t.Errorf("prefill efficiency %v", *rl.PrefillEfficiencyFrac)
	}
	for _, w := range r.Warnings {
		if w.Code == "above_ceiling" && strings.Contains(w.Message, "prefill") {
			t.Errorf("warning %q", w.Message)
		}
	}
	var b bytes.Buffer
	if err := RenderTable(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "prefill ceiling 11111 tok/s at 8 TOP/s int8 (int8 declared in test): measured 92.2% of it") {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestDecodeInLLC: when the bytes per token fit in the host's last-level cache the run
// gives no decode efficiency (so no above_ceiling for decode) and the table says why.
func TestDecodeInLLC(t *testing.T) {
	m := fixtureMachine()
	m.LLCBytes = 1 << 30 // more than the fixture's 506,481,920 bytes per token
	r := Build(fixture(), fixtureHardware(), m)
	if r.Roofline == nil || !r.Roofline.FitsInLLC || r.Roofline.DecodeEfficiencyFrac != nil {
		t.Fatalf("roofline %+v", r.Roofline)
	}
	for _, w := range r.Warnings {
		if w.Code == "above_ceiling" && strings.Contains(w.Message, "decode") {
			t.Errorf("warning %q", w.Message)
		}
	}
	var b bytes.Buffer
	if err := RenderTable(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "DRAM bandwidth does not bind decode") || strings.Contains(b.String(), "decode ceiling 39.5 tok/s at 20 GB/s (declared in test): measured") {
		t.Errorf("table:\n%s", b.String())
	}
}
