package synth

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/yardstick-dev/yardstick/internal/units"
)

// RenderShapes writes the table of `yardstick synth --list`: every shape with its
// architecture, dimensions (layers, embedding, query/KV heads, head size), vocabulary,
// total parameters, the parameters one token uses (active: total less the experts it
// is not routed to), its experts (count/used, "-" for a dense model), the size of its
// tensor data at Q8_0, Q4_0 and F16 (binary prefixes), and the source of its
// dimensions.
func RenderShapes(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "shape\tarch\tlayers\tembd\theads/kv\thead\tvocab\tparams\tactive\texperts\tQ8_0 data\tQ4_0 data\tF16 data\tsource")
	for _, s := range Shapes() {
		experts := "-"
		if s.IsMoE() {
			experts = fmt.Sprintf("%d/%d", s.ExpertCount, s.ExpertUsedCount)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d/%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Arch, s.BlockCount, s.EmbeddingLength,
			s.HeadCount, s.HeadCountKV, s.HeadDim(), s.VocabSize, s.Params(), s.ActiveParams(), experts,
			units.IEC(float64(s.DataBytes(Q8_0))), units.IEC(float64(s.DataBytes(Q4_0))), units.IEC(float64(s.DataBytes(F16))), s.Source)
	}
	return tw.Flush()
}

// QuantNames lists the weight types a twin can be written in, comma-separated.
func QuantNames() string {
	var names []string
	for _, q := range Quants() {
		names = append(names, string(q))
	}
	return strings.Join(names, ", ")
}
