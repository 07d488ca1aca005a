package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/hostmon"
	"github.com/yardstick-dev/yardstick/internal/units"
	"github.com/yardstick-dev/yardstick/internal/userfile"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
	"github.com/yardstick-dev/yardstick/synth"
)

// planFlags are plan's flags.
func planFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "a model on the server (its /api/show)"},
		&cli.StringFlag{Name: "host", Usage: "server URL for --model (default: $OLLAMA_HOST, then " + bench.DefaultOllamaHost + ")"},
		&cli.StringFlag{Name: "gguf", Usage: "a GGUF file (its header only is read)"},
		&cli.StringFlag{Name: "shape", Usage: "a known shape (yardstick synth --list), with --quant; no server"},
		&cli.StringFlag{Name: "quant", Value: "Q4_K_M", Usage: "file type of --shape: " + strings.Join(profiles.FileTypes, ", ")},
		&cli.StringFlag{Name: "device", Usage: "hold it against a device of the table (id or name, e.g. \"RTX 4090\"; yardstick hw --devices)"},
		&cli.StringFlag{Name: "profile", Usage: "hold it against a profile's device (name or YAML file)"},
		&cli.Float64Flag{Name: "memory-gib", Usage: "hold it against this much memory, GiB (e.g. an Apple chip's unified memory with --device)"},
		&cli.StringFlag{Name: "kv-cache-type", Usage: "one KV cache type: f16, q8_0, q4_0 (default: all three side by side)"},
		&cli.IntFlag{Name: "num-batch", Value: profiles.DefaultNumBatch, Usage: "num_batch, tokens"},
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "verify", Usage: "load --model on the local server at up to three planned contexts and print predicted against measured"},
		&cli.IntFlag{Name: "server-parallel", Usage: "slots the server allocates, for --verify (default: $OLLAMA_NUM_PARALLEL, else 1)"},
	}
}

// planModel is a model's tensors and metadata, from wherever plan found them.
type planModel struct {
	name, source string
	tensors      []profiles.Tensor
	info         map[string]any
	vocab        int
}

// plan prints what fits (help/plan.txt).
func (e *env) plan(c *cli.Context) error {
	format := c.String("format")
	if format != "table" && format != "json" {
		return usageErr("--format %q: table or json", format)
	}
	n := 0
	for _, f := range []string{"model", "gguf", "shape"} {
		if c.String(f) != "" {
			n++
		}
	}
	if n != 1 {
		return usageErr("plan: give one of --model, --gguf or --shape")
	}
	if c.Bool("verify") && c.String("model") == "" {
		return usageErr("plan: --verify loads a --model on the server")
	}
	types := profiles.PlanKVCacheTypes
	if t := strings.ToLower(c.String("kv-cache-type")); t != "" {
		if !slices.Contains(profiles.PlanKVCacheTypes, t) {
			return usageErr("--kv-cache-type %q: not a KV cache type (closest: %s)", t, strings.Join(closest(t, profiles.PlanKVCacheTypes), ", "))
		}
		types = []string{t}
	}
	if nb := c.Int("num-batch"); nb < 1 || nb > 1<<20 {
		return usageErr("--num-batch %d: must be in [1, 1048576]", nb)
	}
	avail, against, gpu, err := e.planTarget(c)
	if err != nil {
		return err
	}
	m, err := e.planModel(c)
	if err != nil {
		return err
	}
	rep, err := buildPlan(m, avail, against, gpu, types, c.Int("num-batch"))
	if err != nil {
		return err
	}
	if c.Bool("verify") {
		if err := e.verifyPlan(c, &rep); err != nil {
			return err
		}
	}
	if format == "json" {
		return writeJSON(e.stdout, rep)
	}
	return results.RenderPlan(e.stdout, rep)
}

// buildPlan computes the plan of m against avail bytes. A model whose metadata
// lacks an attention field gets a plan of its weights only, naming the field.
func buildPlan(m planModel, avail uint64, against string, gpu bool, types []string, numBatch int) (results.PlanReport, error) {
	rep := results.PlanReport{Model: m.name, ModelSource: m.source, Against: against}
	arch, _ := m.info["general.architecture"].(string)
	num := func(k string) int {
		v, _ := m.info[arch+"."+k].(float64)
		if v < 0 || v > 1<<40 {
			return 0
		}
		return int(v)
	}
	cost, err := profiles.ComputeModelCost(m.tensors, m.info, "f16")
	in := profiles.MemoryInput{
		Cost: cost, BatchSize: numBatch, VocabSize: m.vocab, GPU: gpu,
		EmbeddingLength: num("embedding_length"), HeadCount: num("attention.head_count"),
		TrainedContext: num("context_length"),
	}
	if err != nil {
		if cost.WeightBytes == 0 {
			return rep, fmt.Errorf("plan: %s: %w", m.name, err)
		}
		var missing []string
		for _, k := range []string{"block_count", "attention.head_count_kv", "attention.head_count"} {
			if num(k) == 0 {
				missing = append(missing, arch+"."+k)
			}
		}
		rep.Missing = missing
		rep.Plan = profiles.Plan{AvailableBytes: avail, WeightsBytes: cost.WeightBytes,
			ActiveWeightBytesPerToken: cost.ActiveWeightBytesPerToken, ExpertBytes: cost.ExpertBytes,
			ExpertCount: cost.ExpertCount, ExpertUsedCount: cost.ExpertUsedCount,
			WeightsFit: cost.WeightBytes <= avail, TrainedContextTokens: in.TrainedContext}
		rep.Plan.Notes = append(rep.Plan.Notes, fmt.Sprintf("no KV cache size: %v", err))
		return rep, nil
	}
	rep.Plan, err = profiles.ComputePlan(profiles.PlanInput{Memory: in, AvailableBytes: avail, KVCacheTypes: types})
	if err != nil {
		return rep, fmt.Errorf("plan: %w", err)
	}
	return rep, nil
}

// planTarget is the memory the plan holds the model against: --device, --profile,
// else this machine (its first GPU's memory, else the RAM available now).
func (e *env) planTarget(c *cli.Context) (avail uint64, against string, gpu bool, err error) {
	dev, prof, gib := c.String("device"), c.String("profile"), c.Float64("memory-gib")
	if dev != "" && prof != "" {
		return 0, "", false, usageErr("plan: give --device or --profile, not both")
	}
	// NaN fails every comparison, so the range is written to let it fail; a given value
	// below a byte would be read as none.
	if c.IsSet("memory-gib") && !(gib >= 1.0/(1<<30) && gib <= 1<<20) {
		return 0, "", false, usageErr("--memory-gib %g: must be in (0, 1048576]", gib)
	}
	given := uint64(gib * (1 << 30))
	if prof != "" {
		p, err := profiles.Resolver{Getenv: e.getenv}.Load(prof)
		if err != nil {
			return 0, "", false, &exitError{exitUsage, err}
		}
		if p.DeviceID == "" {
			return 0, "", false, usageErr("--profile %s: names no device of the table, so no memory size (set device: in it)", prof)
		}
		dev = p.DeviceID
	}
	if dev != "" {
		d, ok := profiles.DeviceByID(dev)
		if !ok {
			d, ok = profiles.MatchDevice(dev)
		}
		if !ok {
			var names []string
			for _, d := range profiles.Devices() {
				names = append(names, d.ID)
			}
			return 0, "", false, usageErr("--device %q: not in the device table (closest: %s)", dev, strings.Join(closest(dev, names), ", "))
		}
		if given > 0 {
			return given, fmt.Sprintf("%s: %s (--memory-gib)", d.Name, memText(given)), d.Kind == "gpu", nil
		}
		if d.MemoryBytes == 0 {
			return 0, "", false, usageErr("--device %s: %s has no fixed memory size (its memory varies by machine): give --memory-gib", d.ID, d.Name)
		}
		return d.MemoryBytes, fmt.Sprintf("%s: %s (device table)", d.Name, memText(d.MemoryBytes)), d.Kind == "gpu", nil
	}
	if given > 0 {
		return given, fmt.Sprintf("%s (--memory-gib)", memText(given)), false, nil
	}
	hw := profiles.Detect(c.Context)
	for _, g := range hw.GPUs {
		if g.MemoryTotalBytes > 0 && g.Vendor != "Apple" {
			return g.MemoryTotalBytes, fmt.Sprintf("this machine's %s: %s", g.Name, memText(g.MemoryTotalBytes)), true, nil
		}
	}
	if hw.MemoryAvailableBytes == 0 {
		return 0, "", false, fmt.Errorf("plan: this machine's memory could not be read; give --device or --profile")
	}
	return hw.MemoryAvailableBytes, fmt.Sprintf("this machine's RAM available now: %s (of %s)", memText(hw.MemoryAvailableBytes), units.IEC(float64(hw.MemoryTotalBytes))), false, nil
}

// planModel finds the model's tensors and metadata: from the server, a GGUF file
// or a known shape.
func (e *env) planModel(c *cli.Context) (planModel, error) {
	switch {
	case c.String("shape") != "":
		return shapeModel(c.String("shape"), c.String("quant"))
	case c.String("gguf") != "":
		return ggufModel(c.String("gguf"))
	}
	host, err := e.planHost(c)
	if err != nil {
		return planModel{}, err
	}
	name := c.String("model")
	ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
	defer cancel()
	show, err := api.NewClient(host, http.DefaultClient).Show(ctx, &api.ShowRequest{Model: name})
	if err != nil {
		return planModel{}, fmt.Errorf("plan: asking %s about %q: %w", bench.Redact(host.String()), name, err)
	}
	m := planModel{name: name, source: "server " + bench.Redact(host.String()) + " (/api/show)", info: show.ModelInfo}
	for _, t := range show.Tensors {
		m.tensors = append(m.tensors, profiles.Tensor{Name: t.Name, Type: t.Type, Shape: t.Shape})
		if t.Name == "token_embd.weight" && len(t.Shape) == 2 && t.Shape[1] < 1<<24 {
			m.vocab = int(t.Shape[1])
		}
	}
	return m, nil
}

func (e *env) planHost(c *cli.Context) (*url.URL, error) {
	h := c.String("host")
	if h == "" {
		h = e.getenv("OLLAMA_HOST")
	}
	if h == "" {
		h = bench.DefaultOllamaHost
	}
	u, err := bench.ParseHost(h)
	if err != nil {
		return nil, usageErr("--host: %v", err)
	}
	return u, nil
}

// shapeModel is a known shape at a file type, sized as llama-quantize would write it.
func shapeModel(shapeName, quant string) (planModel, error) {
	s, err := synth.LookupShape(shapeName)
	if err != nil {
		return planModel{}, usageErr("--shape %q: not a known shape (closest: %s)", shapeName, strings.Join(closest(shapeName, synth.ShapeNames()), ", "))
	}
	ft, ok := profiles.LookupFileType(quant)
	if !ok {
		return planModel{}, usageErr("--quant %q: not a file type plan sizes (closest: %s)", quant, strings.Join(closest(quant, profiles.FileTypes), ", "))
	}
	var ts []profiles.Tensor
	for _, t := range s.Tensors(synth.F16) {
		ts = append(ts, profiles.Tensor{Name: t.Name, Type: t.Type.String(), Shape: t.Shape})
	}
	if ts, err = profiles.QuantizeTensors(ts, ft, s.ExpertCount); err != nil {
		return planModel{}, err
	}
	a := s.Arch + "."
	info := map[string]any{
		"general.architecture":        s.Arch,
		a + "block_count":             float64(s.BlockCount),
		a + "embedding_length":        float64(s.EmbeddingLength),
		a + "feed_forward_length":     float64(s.FeedForwardLength),
		a + "attention.head_count":    float64(s.HeadCount),
		a + "attention.head_count_kv": float64(s.HeadCountKV),
		a + "attention.key_length":    float64(s.HeadDim()),
		a + "attention.value_length":  float64(s.HeadDim()),
		a + "context_length":          float64(s.ContextLength),
	}
	if s.IsMoE() {
		info[a+"expert_count"] = float64(s.ExpertCount)
		info[a+"expert_used_count"] = float64(s.ExpertUsedCount)
	}
	return planModel{name: s.Name + " " + ft, source: "a known shape at llama-quantize's tensor types (no server)",
		tensors: ts, info: info, vocab: s.VocabSize}, nil
}

// ggufModel reads a GGUF file's header.
func ggufModel(path string) (planModel, error) {
	// Regular files only, opened non-blocking: a FIFO or device is refused, not waited
	// on. The size bound is no bound: GGUF files are tens of GB and only the header is read.
	f, err := userfile.Open(path, 1<<60)
	if err != nil {
		return planModel{}, usageErr("--gguf: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return planModel{}, usageErr("--gguf: %v", err)
	}
	h, err := profiles.ReadGGUFHeader(f, st.Size())
	if err != nil {
		return planModel{}, usageErr("--gguf %s: %v", path, err)
	}
	vocab := h.ArrayLengths["tokenizer.ggml.tokens"]
	if vocab > 1<<24 {
		vocab = 0
	}
	name, _ := h.Info["general.name"].(string)
	if name == "" {
		name = path
	}
	return planModel{name: name, source: "GGUF file " + path, tensors: h.Tensors, info: h.Info, vocab: int(vocab)}, nil
}

// verifyPlan loads the model on the local server at up to three contexts of the
// plan (2,048, 8,192 and 32,768 tokens, where they fit and take at most half the
// memory available now) and records predicted against measured: /api/ps size and
// the server's resident set. It unloads the model when done.
func (e *env) verifyPlan(c *cli.Context, rep *results.PlanReport) error {
	host, err := e.planHost(c)
	if err != nil {
		return err
	}
	parallel := c.Int("server-parallel")
	if parallel == 0 {
		if v, err := strconv.Atoi(e.getenv("OLLAMA_NUM_PARALLEL")); err == nil && v > 0 {
			parallel = v
		} else {
			parallel = 1
		}
	}
	if parallel < 1 || parallel > 1024 {
		return usageErr("--server-parallel %d: must be in [1, 1024]", parallel)
	}
	pid, ok, err := hostmon.FindServerPID(c.Context, host)
	if err != nil || !ok {
		return fmt.Errorf("plan --verify: the server at %s is not a process of this machine, so its memory cannot be read", bench.Redact(host.String()))
	}
	limit := 0
	for _, r := range rep.Plan.Rows {
		if r.Parallel == parallel && r.KVCacheType == "f16" {
			limit = r.MaxNumCtx
		}
	}
	if limit == 0 {
		limit = rep.Plan.TrainedContextTokens
	}
	name := c.String("model")
	cl := api.NewClient(host, http.DefaultClient)
	unload := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = cl.Generate(ctx, &api.GenerateRequest{Model: name, KeepAlive: &api.Duration{Duration: 0}}, func(api.GenerateResponse) error { return nil })
	}
	m, err := e.planModel(c)
	if err != nil {
		return err
	}
	defer unload()
	avail := profiles.Detect(c.Context).MemoryAvailableBytes
	for _, nctx := range []int{2048, 8192, 32768} {
		if nctx > limit {
			break
		}
		// A load is tried only when it leaves half the memory available now to the
		// rest of the machine.
		if pred, err := predictFor(m, nctx, parallel, 0); err != nil || avail > 0 && pred.TotalBytes > avail/2 {
			rep.Plan.Notes = append(rep.Plan.Notes, fmt.Sprintf("verify: num_ctx %d × %d slots not loaded: predicted %s, more than half the %s available now",
				nctx, parallel, units.SI(float64(pred.TotalBytes)), units.SI(float64(avail))))
			break
		}
		unload()
		time.Sleep(time.Second)
		base, err := hostmon.TreeRSS(c.Context, pid)
		if err != nil {
			return fmt.Errorf("plan --verify: reading the server's memory: %w", err)
		}
		sampler := hostmon.NewRSSSampler(pid, 100*time.Millisecond)
		sctx, stop := context.WithCancel(c.Context)
		sampler.Start(sctx)
		ctx, cancel := context.WithTimeout(c.Context, 5*time.Minute)
		err = cl.Generate(ctx, &api.GenerateRequest{Model: name, Prompt: "Say hello.", Options: map[string]any{"num_ctx": nctx, "num_predict": 4, "temperature": 0.7}},
			func(api.GenerateResponse) error { return nil })
		cancel()
		var size uint64
		if err == nil {
			if ps, perr := cl.ListRunning(c.Context); perr == nil {
				for _, r := range ps.Models {
					if r.Name == name || r.Model == name || strings.TrimSuffix(r.Name, ":latest") == name {
						size = uint64(r.Size)
					}
				}
			}
		}
		stop()
		peak, _, _ := sampler.Stop()
		if err != nil {
			return fmt.Errorf("plan --verify: loading %s at num_ctx %d: %w", name, nctx, err)
		}
		// The server's own resident set before the load is the measured runtime base.
		pred, err := predictFor(m, nctx, parallel, base)
		if err != nil {
			return err
		}
		rep.Verify = append(rep.Verify, results.PlanCheck{NumCtx: nctx, Parallel: parallel, Predicted: pred,
			PSSizeBytes: size, RSSPeakBytes: peak, RSSBaseBytes: base})
	}
	return nil
}

// predictFor predicts m at one context on this machine's host memory.
func predictFor(m planModel, nctx, parallel int, runtimeBase uint64) (profiles.MemoryPrediction, error) {
	arch, _ := m.info["general.architecture"].(string)
	embd, _ := m.info[arch+".embedding_length"].(float64)
	cost, err := profiles.ComputeModelCost(m.tensors, m.info, "f16")
	if err != nil {
		return profiles.MemoryPrediction{}, fmt.Errorf("plan --verify: %w", err)
	}
	return profiles.PredictMemory(profiles.MemoryInput{Cost: cost, NumCtx: nctx, Parallel: parallel,
		VocabSize: m.vocab, EmbeddingLength: int(embd), RuntimeBaseBytes: runtimeBase})
}

// closest returns up to three of names nearest to s: those containing it or
// contained in it first, then by edit distance.
func closest(s string, names []string) []string {
	s = strings.ToLower(s)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		l := strings.ToLower(n)
		d := editDistance(s, l)
		if strings.Contains(l, s) || strings.Contains(s, l) {
			d -= 100
		}
		cs = append(cs, cand{n, d})
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (bytes), capped at 64
// characters each.
func editDistance(a, b string) int {
	a, b = a[:min(len(a), 64)], b[:min(len(b), 64)]
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// memText is a memory size as its maker counts it (GiB) and as plan's sizes are
// printed (GB): "24.0 GiB = 25.8 GB".
func memText(b uint64) string { return units.IEC(float64(b)) + " = " + units.SI(float64(b)) }
