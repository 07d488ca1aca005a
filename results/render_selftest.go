package results

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yardstick-dev/yardstick/calib"
)

// RenderSelftest writes a self-test result for people: the client's ingest rate, wall
// and CPU time and allocations per chunk, then the timing error of TTFT and ITL against
// the calibrated server's send times per stream count, in microseconds.
func RenderSelftest(w io.Writer, r calib.SelftestResult) error {
	load := "unknown"
	if r.LoadAvg1m != nil {
		load = fmt.Sprintf("%.2f", *r.LoadAvg1m)
	}
	fmt.Fprintf(w, "yardstick selftest: %s %s/%s, %d CPUs (GOMAXPROCS %d), load average %s, took %v\n",
		r.GoVersion, r.GOOS, r.GOARCH, r.NumCPU, r.GOMAXPROCS, load, time.Duration(r.DurationNs).Round(time.Millisecond))
	if r.Truncated {
		fmt.Fprintln(w, "(time budget reached: fewer requests than planned)")
	}
	in := r.Ingest
	fmt.Fprintf(w, "\nclient overhead: one stream from a zero-delay server, %d requests, %d tokens\n", in.Requests, in.Tokens)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  ingest\t%.0f tokens/s\n", in.TokensPerS)
	fmt.Fprintf(tw, "  wall time per chunk\t%s\n", fmtMicros(in.WallPerTokenNs))
	if in.CPUPerTokenNs != nil {
		fmt.Fprintf(tw, "  CPU time per chunk\t%s (whole process, server included)\n", fmtMicros(*in.CPUPerTokenNs))
	}
	fmt.Fprintf(tw, "  allocated per token\t%d B in %.1f allocations\n", in.AllocPerTokenBytes, in.AllocsPerToken)
	tw.Flush()
	if len(r.Accuracy) > 0 {
		a0 := r.Accuracy[0]
		fmt.Fprintf(w, "\ntiming error against the server's send times (schedule: TTFT %v, gap %v; |client − server|)\n",
			time.Duration(a0.TTFTNs), time.Duration(a0.GapNs))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "streams\trequests\tfailed\tTTFT p50\tTTFT p99\tITL p50\tITL p99\tdelivery p50\tdelivery p99\tserver late p99\t")
		for _, a := range r.Accuracy {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", a.Streams, a.Requests, a.Failed,
				fmtMicros(a.TTFTErrP50Ns), fmtMicros(a.TTFTErrP99Ns), fmtMicros(a.ITLErrP50Ns), fmtMicros(a.ITLErrP99Ns),
				fmtMicros(a.DeliveryP50Ns), fmtMicros(a.DeliveryP99Ns), fmtMicros(a.ServerLateP99Ns))
		}
		tw.Flush()
	}
	return nil
}

// fmtMicros formats nanoseconds as microseconds with one decimal.
func fmtMicros(ns int64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(ns)/1e3), ".0") + " µs"
}
