package profiles

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/yardstick-dev/yardstick/internal/userfile"
)

// A Profile is the machine figures a run is held against: the memory bandwidth that
// bounds decode, the peak FLOP/s that bounds prefill, what an hour or a kWh costs,
// and the user's expectations per model. Every figure says where it came from.
type Profile struct {
	// Name is the profile's name: the file's name: key (else its file stem), the
	// device row's name, or the detected device.
	Name string `json:"name"`
	// Description is free text from the profile file.
	Description string `json:"description,omitempty"`
	// Source is "detected", the profile file's path, "example:<stem>" for a built-in
	// example file, or "builtin:<device id>".
	Source string `json:"source"`
	// DeviceID is the device table row the figures came from, if any.
	DeviceID string `json:"device_id,omitempty"`
	// MemoryBandwidthBytesPerS is the memory bandwidth of the device that holds the
	// model (GPU memory, else host memory), bytes per second; > 0 once resolved.
	MemoryBandwidthBytesPerS float64 `json:"memory_bandwidth_bytes_per_s"`
	// BandwidthSource says where it came from: "profile file X", "device table: <id>
	// (<source>)", or "probe: triad …".
	BandwidthSource string `json:"bandwidth_source"`
	// HostMemoryBandwidthBytesPerS is the host memory's bandwidth when the device is
	// a GPU (for the part of a model offloaded to host memory); 0 when unknown or
	// when the device is the host.
	HostMemoryBandwidthBytesPerS float64 `json:"host_memory_bandwidth_bytes_per_s,omitempty"`
	HostBandwidthSource          string  `json:"host_bandwidth_source,omitempty"`
	// PeakFLOPS is the device's general peak, FLOP per second: the FP32 FMA peak on
	// CPUs, the dense FP16 tensor peak on GPUs (the device table's convention), or
	// what a profile file declares as peak_tflop_per_s; 0 when unknown.
	PeakFLOPS   float64 `json:"peak_flop_per_s"`
	FLOPSSource string  `json:"flops_source"`
	// PeakFP16FLOPS is the dense FP16/BF16 peak, FLOP per second (CPUs: the faster of
	// native FP16 FMAs, BF16 dot products and AMX-BF16, never below FP32; GPUs: tensor
	// cores, Device.PeakFP16FLOPS); 0 when unknown. The prefill ceiling of F16 and BF16
	// models uses it.
	PeakFP16FLOPS   float64 `json:"peak_fp16_flop_per_s,omitempty"`
	FP16FLOPSSource string  `json:"fp16_flops_source,omitempty"`
	// PeakINT8OPS is the dense int8 dot-product peak in operations per second (a
	// multiply-add counts 2: VNNI, sdot/smmla, AMX-INT8; GPUs: int8 tensor cores or
	// dp4a); 0 when unknown. The prefill ceiling of quantized models uses it.
	PeakINT8OPS   float64 `json:"peak_int8_op_per_s,omitempty"`
	INT8OPSSource string  `json:"int8_ops_source,omitempty"`
	// LLCBytes is the host CPU's last-level cache in bytes when the device is the
	// host (0 on GPU profiles and when unknown): a model whose bytes per token fit in
	// it is not bound by DRAM bandwidth.
	LLCBytes uint64 `json:"llc_bytes,omitempty"`
	// PricePerHour is what an hour of the machine costs, in Currency.
	PricePerHour *float64 `json:"price_per_hour,omitempty"`
	// Watts is the machine's power draw for cost estimates, in watts; from the
	// profile file, else the matched device's TDP (WattsSource says which).
	Watts       *float64 `json:"watts,omitempty"`
	WattsSource string   `json:"watts_source,omitempty"`
	// EnergyPricePerKWh is the price of one kilowatt-hour, in Currency.
	EnergyPricePerKWh *float64 `json:"energy_price_per_kwh,omitempty"`
	// Currency is an ISO 4217 code, e.g. "USD"; required with a price.
	Currency string `json:"currency,omitempty"`
	// Expectations are the user's thresholds per model (yardstick check).
	Expectations []Expectation `json:"expectations,omitempty"`
	// Warnings say what qualifies the figures (a GPU not in the table, an estimate).
	Warnings []string `json:"warnings,omitempty"`
}

// An Expectation is what a user expects of one model (or of every model a glob
// matches) on this machine. A nil threshold is not checked; at least one is set. In
// YAML each threshold is written with its key (max_ttft_p95: 500ms) or as an item of
// thresholds: in the threshold syntax every command shares (internal/threshold:
// thresholds: ["ttft_p95<=500ms", "server_gen_per_s>=20"]); a figure set both ways is
// an error.
type Expectation struct {
	// Model is an exact model name ("qwen2.5:0.5b") or a path.Match glob
	// ("qwen2.5:*"). A name without a tag also matches the ":latest" tag, as Ollama
	// treats them as one.
	Model string `json:"model"`
	// MinServerGenPerS is the least acceptable median server_gen_per_s, tokens/s.
	MinServerGenPerS *float64 `json:"min_server_gen_per_s,omitempty"`
	// MaxTTFTP95 is the greatest acceptable p95 of ttft_ns (YAML: a Go duration
	// such as "500ms"; JSON: integer nanoseconds).
	MaxTTFTP95 *time.Duration `json:"max_ttft_p95_ns,omitempty"`
	// MinDecodeEfficiencyFrac is the least acceptable decode efficiency
	// (server_gen_per_s / decode ceiling), in (0, 1].
	MinDecodeEfficiencyFrac *float64 `json:"min_decode_efficiency_frac,omitempty"`
	// MinHeadroomFrac is the least acceptable share of the memory available to the
	// server left at the run's peak: memory.headroom_frac = headroom_bytes /
	// available_bytes, in [0, 1].
	MinHeadroomFrac *float64 `json:"min_headroom_frac,omitempty"`
	// MaxPredictedErrorFrac is the greatest acceptable |memory.predicted_error_frac|:
	// how far the memory model's total may miss the measured peak, as a fraction of
	// it, in (0, 10].
	MaxPredictedErrorFrac *float64 `json:"max_predicted_error_frac,omitempty"`
}

// ExpectationFor returns the expectation for model: an exact match of Model first,
// else the first glob in file order that matches. A name and a pattern without a
// tag match the same with ":latest". False when none applies.
func (p Profile) ExpectationFor(model string) (Expectation, bool) {
	cands := []string{model}
	if !strings.Contains(model, ":") {
		cands = append(cands, model+":latest")
	} else if m, ok := strings.CutSuffix(model, ":latest"); ok {
		cands = append(cands, m)
	}
	for _, e := range p.Expectations {
		if slices.Contains(cands, e.Model) {
			return e, true
		}
	}
	for _, e := range p.Expectations {
		for _, c := range cands {
			if ok, _ := path.Match(e.Model, c); ok {
				return e, true
			}
		}
	}
	return Expectation{}, false
}

// Limits of profile file values: outside them a figure is a typo (units mixed up).
const (
	maxBandwidthGBPerS = 1e6 // 1 PB/s
	maxTFLOPPerS       = 1e6 // 1 EFLOP/s
	maxWatts           = 1e6
	maxExpectations    = 1000
)

// LoadProfileFile reads a profile file (YAML). Keys (all optional but at least one
// figure or expectation):
//
//	name: rtx4090-box                    # default: the file stem
//	description: free text
//	device: rtx-4090                     # start from this device table row (yardstick hw lists ids)
//	memory_bandwidth_gb_per_s: 1008      # GB/s = 1e9 bytes/s, > 0
//	host_memory_bandwidth_gb_per_s: 89.6 # host memory, for offloaded layers
//	peak_tflop_per_s: 330                # TFLOP/s = 1e12 FLOP/s, > 0
//	peak_fp16_tflop_per_s: 330           # dense FP16/BF16, for F16 and BF16 models
//	peak_int8_top_per_s: 660             # dense int8, 1e12 op/s (a multiply-add is 2), for quantized models
//	price_per_hour: 0.80                 # in currency, >= 0
//	watts: 450                           # > 0
//	energy_price_per_kwh: 0.30           # in currency, >= 0
//	currency: USD                        # required with a price
//	expectations:
//	  - model: "qwen2.5:*"               # exact name or path.Match glob
//	    min_server_gen_per_s: 100
//	    max_ttft_p95: 250ms
//	    min_decode_efficiency_frac: 0.5  # (0, 1]
//
// The file must be a regular file of at most MaxProfileBytes.
// Figures the file leaves out are filled by ResolveProfile from the device row or
// from detection. Errors are "path:line: message"; unknown keys, duplicate keys,
// values of the wrong type or out of range are errors.
func LoadProfileFile(path string) (Profile, error) {
	b, err := userfile.Read(path, MaxProfileBytes)
	if err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	return ParseProfile(path, b)
}

// MaxProfileBytes bounds a profile file: the longest useful one, a machine with every
// key and a few hundred expectations, is a few tens of KiB.
const MaxProfileBytes = 1 << 20

// profileError is an error at a line of a profile file.
type profileError struct {
	file string
	line int
	msg  string
}

func (e *profileError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.file, e.msg)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// ParseProfile parses a profile file's contents (see LoadProfileFile); name is the
// profile's Source, prefixes every error ("name:line: message") and its stem is the
// default profile name.
func ParseProfile(name string, data []byte) (Profile, error) {
	fail := func(line int, format string, a ...any) error {
		return &profileError{name, line, fmt.Sprintf(format, a...)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Profile{}, fail(0, "empty profile file")
		}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			return Profile{}, fail(n, "%s", m[2])
		}
		return Profile{}, fail(0, "%s", strings.TrimPrefix(msg, "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return Profile{}, fail(extra.Line, "a second YAML document; a profile file holds one")
	} else if !errors.Is(err, io.EOF) {
		return Profile{}, fail(0, "after the first document: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return Profile{}, fail(0, "empty profile file")
		}
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return Profile{}, fail(root.Line, "want a mapping of keys (name:, memory_bandwidth_gb_per_s:, expectations:, ...), got %s", kindName(root))
	}
	stem := strings.TrimPrefix(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)), "example:")
	p := Profile{Name: stem, Source: name}
	var bw, hostBW, flops, fp16, int8 *float64
	var device string
	var deviceLine int
	var priceLine int
	err := eachKey(name, root, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "name":
			p.Name, err = str(name, key, v, true)
		case "description":
			p.Description, err = str(name, key, v, false)
		case "device":
			device, err = str(name, key, v, true)
			deviceLine = v.Line
		case "memory_bandwidth_gb_per_s":
			bw, err = number(name, key, v, 0, maxBandwidthGBPerS, false)
		case "host_memory_bandwidth_gb_per_s":
			hostBW, err = number(name, key, v, 0, maxBandwidthGBPerS, false)
		case "peak_tflop_per_s":
			flops, err = number(name, key, v, 0, maxTFLOPPerS, false)
		case "peak_fp16_tflop_per_s":
			fp16, err = number(name, key, v, 0, maxTFLOPPerS, false)
		case "peak_int8_top_per_s":
			int8, err = number(name, key, v, 0, maxTFLOPPerS, false)
		case "price_per_hour":
			p.PricePerHour, err = number(name, key, v, 0, math.MaxFloat64, true)
			priceLine = k.Line
		case "watts":
			p.Watts, err = number(name, key, v, 0, maxWatts, false)
		case "energy_price_per_kwh":
			p.EnergyPricePerKWh, err = number(name, key, v, 0, math.MaxFloat64, true)
			priceLine = k.Line
		case "currency":
			p.Currency, err = str(name, key, v, true)
			if err == nil && !currencyCode.MatchString(p.Currency) {
				err = fail(v.Line, "currency %q: want a three-letter ISO 4217 code such as USD or EUR", clip(p.Currency))
			}
		case "expectations":
			p.Expectations, err = expectations(name, v)
		default:
			err = fail(k.Line, "unknown key %q (known: name, description, device, memory_bandwidth_gb_per_s, host_memory_bandwidth_gb_per_s, peak_tflop_per_s, peak_fp16_tflop_per_s, peak_int8_top_per_s, price_per_hour, watts, energy_price_per_kwh, currency, expectations)", clip(key))
		}
		return err
	})
	if err != nil {
		return Profile{}, err
	}
	fileWatts := p.Watts
	if device != "" {
		d, ok := DeviceByID(device)
		if !ok {
			return Profile{}, fail(deviceLine, "device %q is not in the device table (yardstick hw --devices lists them)", clip(device))
		}
		p.applyDevice(d, false)
	}
	if fileWatts != nil {
		p.Watts, p.WattsSource = fileWatts, "profile file "+name
	}
	if bw != nil {
		p.MemoryBandwidthBytesPerS = *bw * gbps
		p.BandwidthSource = "profile file " + name
	}
	if hostBW != nil {
		p.HostMemoryBandwidthBytesPerS = *hostBW * gbps
		p.HostBandwidthSource = "profile file " + name
	}
	if flops != nil {
		p.PeakFLOPS = *flops * tflops
		p.FLOPSSource = "profile file " + name
	}
	if fp16 != nil {
		p.PeakFP16FLOPS, p.FP16FLOPSSource = *fp16*tflops, "profile file "+name
	}
	if int8 != nil {
		p.PeakINT8OPS, p.INT8OPSSource = *int8*tflops, "profile file "+name
	}
	if (p.PricePerHour != nil || p.EnergyPricePerKWh != nil) && p.Currency == "" {
		return Profile{}, fail(priceLine, "a price needs a currency: key (e.g. currency: USD)")
	}
	return p, nil
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// applyDevice fills the profile's figures from a device row; with override false it
// keeps figures already set.
func (p *Profile) applyDevice(d Device, override bool) {
	src := tableSource(d)
	p.DeviceID = d.ID
	if d.MemoryBandwidthBytesPerS > 0 && (override || p.MemoryBandwidthBytesPerS == 0) {
		p.MemoryBandwidthBytesPerS, p.BandwidthSource = d.MemoryBandwidthBytesPerS, src
	}
	general := d.PeakFP16FLOPS
	if d.PeakFP32FLOPS > 0 {
		general = d.PeakFP32FLOPS
	}
	if general > 0 && (override || p.PeakFLOPS == 0) {
		p.PeakFLOPS, p.FLOPSSource = general, src
	}
	if d.PeakFP16FLOPS > 0 && (override || p.PeakFP16FLOPS == 0) {
		p.PeakFP16FLOPS, p.FP16FLOPSSource = d.PeakFP16FLOPS, src
	}
	if d.PeakINT8OPS > 0 && (override || p.PeakINT8OPS == 0) {
		p.PeakINT8OPS, p.INT8OPSSource = d.PeakINT8OPS, src
	}
	if d.TDPWatts > 0 && (override || p.Watts == nil) {
		w := d.TDPWatts
		p.Watts, p.WattsSource = &w, fmt.Sprintf("device table: %s TDP", d.ID)
	}
}

// eachKey calls f for each key of a mapping node in order; duplicate and
// non-string keys are errors.
func eachKey(file string, m *yaml.Node, f func(key string, k, v *yaml.Node) error) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" && k.Tag != "" {
			return &profileError{file, k.Line, fmt.Sprintf("want a key name, got %s", kindName(k))}
		}
		if first, dup := seen[k.Value]; dup {
			return &profileError{file, k.Line, fmt.Sprintf("key %q given twice (first at line %d)", clip(k.Value), first)}
		}
		seen[k.Value] = k.Line
		if v.Kind == yaml.AliasNode || v.Anchor != "" {
			return &profileError{file, v.Line, fmt.Sprintf("%s: anchors and aliases are not supported", clip(k.Value))}
		}
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", clip(n.Value))
	}
	return "an empty document"
}

// str reads a string value; required means it may not be empty.
func str(file, key string, v *yaml.Node, required bool) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", &profileError{file, v.Line, fmt.Sprintf("%s: want a string, got %s", key, kindName(v))}
	}
	s := strings.TrimSpace(v.Value)
	if required && s == "" {
		return "", &profileError{file, v.Line, fmt.Sprintf("%s: must not be empty", key)}
	}
	return s, nil
}

// number reads a finite number in (lo, hi], or [lo, hi] when loInclusive.
func number(file, key string, v *yaml.Node, lo, hi float64, loInclusive bool) (*float64, error) {
	bad := func(format string, a ...any) (*float64, error) {
		return nil, &profileError{file, v.Line, key + ": " + fmt.Sprintf(format, a...)}
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" && v.Tag != "!!float" {
		return bad("want a number, got %s", kindName(v))
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return bad("want a finite number, got %q", clip(v.Value))
	}
	switch {
	case loInclusive && x < lo:
		return bad("%v must be at least %v", x, lo)
	case !loInclusive && x <= lo:
		return bad("%v must be greater than %v", x, lo)
	case x > hi:
		return bad("%v is implausibly large (at most %v)", x, hi)
	}
	return &x, nil
}

func expectations(file string, v *yaml.Node) ([]Expectation, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, &profileError{file, v.Line, fmt.Sprintf("expectations: want a list of mappings (- model: ...), got %s", kindName(v))}
	}
	if len(v.Content) > maxExpectations {
		return nil, &profileError{file, v.Line, fmt.Sprintf("expectations: %d entries, at most %d", len(v.Content), maxExpectations)}
	}
	out := []Expectation{}
	models := map[string]int{}
	for _, item := range v.Content {
		if item.Kind != yaml.MappingNode {
			return nil, &profileError{file, item.Line, fmt.Sprintf("expectations: want a mapping (model:, min_server_gen_per_s:, ...), got %s", kindName(item))}
		}
		var e Expectation
		var modelLine int
		set := map[string]int{} // threshold keys given, with their lines (thresholdList)
		err := eachKey(file, item, func(key string, k, val *yaml.Node) error {
			var err error
			if isThresholdKey(key) {
				if line, dup := set[key]; dup {
					return &profileError{file, k.Line, fmt.Sprintf("%s: already set by thresholds: at line %d", key, line)}
				}
				set[key] = k.Line
			}
			switch key {
			case "model":
				e.Model, err = str(file, key, val, true)
				modelLine = val.Line
				if err == nil {
					if _, perr := path.Match(e.Model, ""); perr != nil {
						err = &profileError{file, val.Line, fmt.Sprintf("model: %q is not a valid glob: %v", clip(e.Model), perr)}
					}
				}
			case "min_server_gen_per_s":
				e.MinServerGenPerS, err = number(file, key, val, 0, 1e9, false)
			case "max_ttft_p95":
				e.MaxTTFTP95, err = duration(file, key, val)
			case "min_decode_efficiency_frac":
				e.MinDecodeEfficiencyFrac, err = number(file, key, val, 0, 1, false)
			case "min_headroom_frac":
				e.MinHeadroomFrac, err = number(file, key, val, 0, 1, true)
			case "max_predicted_error_frac":
				e.MaxPredictedErrorFrac, err = number(file, key, val, 0, 10, false)
			case "thresholds":
				err = thresholdList(file, val, &e, set)
			default:
				err = &profileError{file, k.Line, fmt.Sprintf("unknown expectation key %q (known: model, thresholds, min_server_gen_per_s, max_ttft_p95, min_decode_efficiency_frac, min_headroom_frac, max_predicted_error_frac)", clip(key))}
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if e.Model == "" {
			return nil, &profileError{file, item.Line, "expectation without model: (an exact model name or a glob such as qwen2.5:*)"}
		}
		if first, dup := models[e.Model]; dup {
			return nil, &profileError{file, modelLine, fmt.Sprintf("model %q has a second expectation (first at line %d)", clip(e.Model), first)}
		}
		models[e.Model] = modelLine
		if e.MinServerGenPerS == nil && e.MaxTTFTP95 == nil && e.MinDecodeEfficiencyFrac == nil && e.MinHeadroomFrac == nil && e.MaxPredictedErrorFrac == nil {
			return nil, &profileError{file, item.Line, fmt.Sprintf("expectation for %q sets no threshold (min_server_gen_per_s, max_ttft_p95, min_decode_efficiency_frac, min_headroom_frac, max_predicted_error_frac)", clip(e.Model))}
		}
		out = append(out, e)
	}
	return out, nil
}

// duration reads a Go duration string ("500ms", "1.5s") in (0, 1h].
func duration(file, key string, v *yaml.Node) (*time.Duration, error) {
	bad := func(format string, a ...any) (*time.Duration, error) {
		return nil, &profileError{file, v.Line, key + ": " + fmt.Sprintf(format, a...)}
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return bad("want a duration such as 500ms, got %s", kindName(v))
	}
	d, err := time.ParseDuration(strings.TrimSpace(v.Value))
	if err != nil {
		return bad("want a duration with a unit such as 500ms or 1.5s, got %q", clip(v.Value))
	}
	if d <= 0 || d > time.Hour {
		return bad("%v is out of range (0, 1h]", d)
	}
	return &d, nil
}

//go:embed examples/*.yaml
var examples embed.FS

// ExampleProfiles returns the stems of the built-in example profile files, sorted;
// ResolveProfile finds them by stem.
func ExampleProfiles() []string {
	ents, _ := fs.ReadDir(examples, "examples")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())))
	}
	return out
}

// ExampleProfile returns the contents of a built-in example profile by stem.
func ExampleProfile(stem string) ([]byte, bool) {
	b, err := examples.ReadFile("examples/" + stem + ".yaml")
	return b, err == nil
}

// DefaultProbeDuration is how long ResolveProfile probes host memory bandwidth when
// neither a profile nor the device table gives it.
const DefaultProbeDuration = time.Second

// A Resolver turns a profile name or path and the detected hardware into a
// Profile. The zero value behaves as ResolveProfile.
type Resolver struct {
	// Dirs are searched in order for NAME.yaml and NAME.yml; nil means
	// ProfileSearchDirs(Getenv).
	Dirs []string
	// Getenv looks up environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Probe measures host memory bandwidth; nil means ProbeBandwidth.
	Probe func(ctx context.Context, d time.Duration) (ProbeResult, error)
	// ProbeDuration is passed to Probe; 0 means DefaultProbeDuration.
	ProbeDuration time.Duration
}

// ResolveProfile returns the profile a run is held against:
//
//   - "" or "detected": from hw. The GPU with the highest bandwidth among those in
//     the device table; else the CPU's row (by model name); else host bandwidth from
//     a ~1 s ProbeBandwidth (triad) and FLOP/s from EstimateCPUFLOPS.
//   - "builtin:<id>": the device table row with that id.
//   - a path (it holds a path separator or ends in .yaml or .yml): that file.
//   - a bare name: NAME.yaml or NAME.yml in ./profiles/, then in
//     $XDG_CONFIG_HOME/yardstick/profiles/ (default ~/.config/yardstick/profiles/),
//     then the built-in example of that stem (ExampleProfiles).
//
// Figures a file leaves out come from its device: row, else from detection as
// for "". Errors name everything tried.
func ResolveProfile(ctx context.Context, nameOrPath string, hw Hardware) (Profile, error) {
	return Resolver{}.Resolve(ctx, nameOrPath, hw)
}

// ProfileSearchDirs returns the directories searched for a profile by bare name:
// "profiles" (relative to the working directory) and $XDG_CONFIG_HOME/yardstick/profiles,
// where XDG_CONFIG_HOME defaults to $HOME/.config.
func ProfileSearchDirs(getenv func(string) string) []string {
	if getenv == nil {
		getenv = os.Getenv
	}
	dirs := []string{"profiles"}
	cfg := getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		if home := getenv("HOME"); home != "" {
			cfg = filepath.Join(home, ".config")
		}
	}
	if cfg != "" {
		dirs = append(dirs, filepath.Join(cfg, "yardstick", "profiles"))
	}
	return dirs
}

// Resolve is ResolveProfile with r's settings.
func (r Resolver) Resolve(ctx context.Context, nameOrPath string, hw Hardware) (Profile, error) {
	nameOrPath = strings.TrimSpace(nameOrPath)
	if nameOrPath == "" || nameOrPath == "detected" {
		return r.detect(ctx, hw, true)
	}
	p, err := r.Load(nameOrPath)
	if err != nil {
		return Profile{}, err
	}
	return r.complete(ctx, p, hw)
}

// Load finds and reads a named profile as Resolve does ("builtin:<id>", a path, or
// a bare name searched in r.Dirs and the built-in examples) but fills nothing from
// detection: figures the file leaves out stay 0. "" and "detected" are errors, as
// there is nothing to load. For commands that need only a profile's expectations.
func (r Resolver) Load(nameOrPath string) (Profile, error) {
	nameOrPath = strings.TrimSpace(nameOrPath)
	switch {
	case nameOrPath == "" || nameOrPath == "detected":
		return Profile{}, errors.New("the detected profile is not a file: name a profile file, a path or builtin:<device id>")
	case strings.HasPrefix(nameOrPath, "builtin:"):
		id := strings.TrimPrefix(nameOrPath, "builtin:")
		d, ok := DeviceByID(id)
		if !ok {
			return Profile{}, fmt.Errorf("profile %q: no device %q in the device table (yardstick hw --devices lists them)", nameOrPath, id)
		}
		p := Profile{Name: d.Name, Source: nameOrPath}
		p.applyDevice(d, true)
		return p, nil
	case strings.ContainsAny(nameOrPath, `/\`) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml"):
		return LoadProfileFile(nameOrPath)
	}
	dirs := r.Dirs
	if dirs == nil {
		dirs = ProfileSearchDirs(r.Getenv)
	}
	var tried []string
	for _, dir := range dirs {
		for _, ext := range []string{".yaml", ".yml"} {
			f := filepath.Join(dir, nameOrPath+ext)
			if _, err := os.Stat(f); err != nil {
				tried = append(tried, f)
				continue
			}
			return LoadProfileFile(f)
		}
	}
	if b, ok := ExampleProfile(nameOrPath); ok {
		return ParseProfile("example:"+nameOrPath, b)
	}
	tried = append(tried, "built-in examples ("+strings.Join(ExampleProfiles(), ", ")+")")
	return Profile{}, fmt.Errorf("profile %q not found; tried %s; or give a path, builtin:<device id>, or nothing for the detected profile", nameOrPath, strings.Join(tried, ", "))
}

// complete fills the figures a profile leaves out from detection.
func (r Resolver) complete(ctx context.Context, p Profile, hw Hardware) (Profile, error) {
	if p.MemoryBandwidthBytesPerS > 0 && p.PeakFLOPS > 0 {
		if d, ok := DeviceByID(p.DeviceID); ok && d.Kind == "gpu" && p.HostMemoryBandwidthBytesPerS == 0 {
			p.setHostBandwidth(hw.CPUModel)
		}
		return p, nil
	}
	det, err := r.detect(ctx, hw, p.MemoryBandwidthBytesPerS == 0)
	if err != nil {
		return Profile{}, err
	}
	// The host's last-level cache applies when the profile's device is the host: a
	// CPU or memory-system row, or no device and the bandwidth detected (a file that
	// declares a bandwidth without a device may describe a GPU; detection that found
	// a GPU in the table records no cache).
	row, hasRow := DeviceByID(p.DeviceID)
	if p.LLCBytes == 0 && (hasRow && row.Kind == "cpu" || p.DeviceID == "" && p.MemoryBandwidthBytesPerS == 0 && det.LLCBytes > 0) {
		p.LLCBytes = hw.CPULLCBytes
	}
	if p.MemoryBandwidthBytesPerS == 0 {
		p.MemoryBandwidthBytesPerS, p.BandwidthSource = det.MemoryBandwidthBytesPerS, "detected: "+det.BandwidthSource
		if p.HostMemoryBandwidthBytesPerS == 0 {
			p.HostMemoryBandwidthBytesPerS, p.HostBandwidthSource = det.HostMemoryBandwidthBytesPerS, det.HostBandwidthSource
		}
	}
	if p.PeakFLOPS == 0 && det.PeakFLOPS > 0 {
		p.PeakFLOPS, p.FLOPSSource = det.PeakFLOPS, "detected: "+det.FLOPSSource
		// The per-precision peaks come from the same detected device, never mixed
		// with a figure the file declares for another one.
		if p.PeakFP16FLOPS == 0 && det.PeakFP16FLOPS > 0 {
			p.PeakFP16FLOPS, p.FP16FLOPSSource = det.PeakFP16FLOPS, "detected: "+det.FP16FLOPSSource
		}
		if p.PeakINT8OPS == 0 && det.PeakINT8OPS > 0 {
			p.PeakINT8OPS, p.INT8OPSSource = det.PeakINT8OPS, "detected: "+det.INT8OPSSource
		}
	}
	if p.Watts == nil && det.Watts != nil {
		p.Watts, p.WattsSource = det.Watts, det.WattsSource
	}
	if p.DeviceID == "" {
		p.DeviceID = det.DeviceID
	}
	p.Warnings = append(p.Warnings, det.Warnings...)
	return p, nil
}

// A DeviceMatch is one detected part and the device table row it matched.
type DeviceMatch struct {
	// Part is "cpu" or "gpu N" (N the vendor tool's index).
	Part string `json:"part"`
	// Name is the name matched: the CPU model, or the GPU's name (with its core
	// count for Apple GPUs, "Apple M3 Max 30-core GPU").
	Name string `json:"name"`
	// Device is the matched row; nil when the table has none.
	Device *Device `json:"device"`
}

// MatchHardware matches the detected CPU and every GPU against the device table.
func MatchHardware(hw Hardware) []DeviceMatch {
	var out []DeviceMatch
	add := func(part, name string, kinds []string) {
		m := DeviceMatch{Part: part, Name: name}
		if d, ok := matchDevice(name, kinds); ok {
			m.Device = &d
		}
		out = append(out, m)
	}
	add("cpu", hw.CPUModel, []string{"cpu", "soc"})
	for _, g := range hw.GPUs {
		add(fmt.Sprintf("gpu %d", g.Index), gpuMatchName(g), []string{"gpu", "soc"})
	}
	return out
}

// gpuMatchName is the name a GPU is matched by: its name, plus "N-core GPU" for
// Apple GPUs whose core count is known (binned chips differ in bandwidth).
func gpuMatchName(g GPU) string {
	if g.Cores > 0 && g.Vendor == "Apple" {
		return fmt.Sprintf("%s %d-core GPU", g.Name, g.Cores)
	}
	return g.Name
}

// setHostBandwidth sets the host memory bandwidth of a GPU profile from the device
// table's CPU row for cpuModel; it leaves it unset when no CPU row matches.
func (p *Profile) setHostBandwidth(cpuModel string) {
	if c, ok := matchDevice(cpuModel, []string{"cpu"}); ok {
		p.HostMemoryBandwidthBytesPerS, p.HostBandwidthSource = c.MemoryBandwidthBytesPerS, tableSource(c)
	}
}

// detect builds the profile of this machine from hw (see ResolveProfile); without
// needBandwidth it never probes (the caller has a bandwidth and wants the other
// figures).
func (r Resolver) detect(ctx context.Context, hw Hardware, needBandwidth bool) (Profile, error) {
	p := Profile{Source: "detected"}
	matches := MatchHardware(hw)
	var cpuRow *Device
	var gpu *DeviceMatch
	nGPU := 0
	for i := range matches {
		m := &matches[i]
		if m.Part == "cpu" {
			cpuRow = m.Device
			continue
		}
		nGPU++
		if m.Device == nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s %q is not in the device table: its figures are unknown; declare them in a profile file (memory_bandwidth_gb_per_s, peak_tflop_per_s)", m.Part, m.Name))
			continue
		}
		if gpu == nil || m.Device.MemoryBandwidthBytesPerS > gpu.Device.MemoryBandwidthBytesPerS {
			gpu = m
		}
	}
	if gpu != nil {
		p.Name = gpu.Device.Name
		p.applyDevice(*gpu.Device, true)
		if nGPU > 1 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%d GPUs: the figures are those of %s (%s) alone; a model split over several GPUs reads each part at its own GPU's bandwidth", nGPU, gpu.Part, gpu.Name))
		}
		if gpu.Device.Kind == "gpu" {
			p.setHostBandwidth(hw.CPUModel)
		}
		return p, nil
	}
	if nGPU > 0 {
		p.Warnings = append(p.Warnings, "no detected GPU is in the device table: the figures below are the host's, which is right only for layers the server runs on the CPU")
	}
	p.Name = hw.CPUModel
	if p.Name == "" {
		p.Name = "this machine"
	}
	if cpuRow != nil {
		p.Name = cpuRow.Name
		p.applyDevice(*cpuRow, true)
	}
	if p.MemoryBandwidthBytesPerS == 0 && needBandwidth {
		probe := r.Probe
		if probe == nil {
			probe = ProbeBandwidth
		}
		d := r.ProbeDuration
		if d <= 0 {
			d = DefaultProbeDuration
		}
		res, err := probe(ctx, d)
		if err != nil {
			return Profile{}, fmt.Errorf("detected profile: CPU %q is not in the device table and the bandwidth probe failed: %w", hw.CPUModel, err)
		}
		p.MemoryBandwidthBytesPerS = res.TriadBytesPerS
		p.BandwidthSource = "probe: " + res.Describe()
	}
	if p.PeakFLOPS == 0 || p.PeakINT8OPS == 0 {
		if c, why, ok := EstimateCPUPeaks(hw); ok {
			if p.PeakFLOPS == 0 {
				p.PeakFLOPS, p.FLOPSSource = c.FP32FLOPS, "estimate: "+c.FP32How
			}
			if p.PeakFP16FLOPS == 0 {
				p.PeakFP16FLOPS, p.FP16FLOPSSource = c.FP16FLOPS, "estimate: "+c.FP16How
			}
			if p.PeakINT8OPS == 0 {
				p.PeakINT8OPS, p.INT8OPSSource = c.INT8OPS, "estimate: "+c.INT8How
			}
		} else if p.PeakFLOPS == 0 {
			p.Warnings = append(p.Warnings, "peak FLOP/s unknown: "+why)
		}
	}
	p.LLCBytes = hw.CPULLCBytes
	return p, nil
}

// Describe says how a probe result was measured, e.g. "STREAM triad, 2 threads,
// 3 × 128 MiB, best of 40 repetitions in 1.02s".
func (r ProbeResult) Describe() string {
	return fmt.Sprintf("STREAM triad, %d threads, 3 × %d MiB, best of %d repetitions in %.2fs",
		r.Threads, r.BufferBytes/3>>20, r.Repetitions, r.Duration.Seconds())
}

// CPUFLOPPerCycle returns the peak FP32 FLOP per cycle of one core of the detected
// CPU and the reasoning: CorePeaksOf(hw.CPU()).FP32FLOPPerCycle, from the
// microarchitecture (CPUID family and model, not the name string) and its features.
func CPUFLOPPerCycle(hw Hardware) (int, string) {
	c := CorePeaksOf(hw.CPU())
	return c.FP32FLOPPerCycle, c.Microarch + ": " + c.FP32Why
}

// EstimateCPUFLOPS estimates the CPU's peak FP32 FLOP/s (EstimateCPUPeaks' FP32
// figure) with its formula; false with the reason when cores or clock are unknown.
func EstimateCPUFLOPS(hw Hardware) (float64, string, bool) {
	p, why, ok := EstimateCPUPeaks(hw)
	if !ok {
		return 0, why, false
	}
	return p.FP32FLOPS, p.FP32How, true
}
