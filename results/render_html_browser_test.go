package results

import (
	"bytes"
	"context"
	"flag"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The HTML report in a real browser: headless Chromium driven over the Chrome
// DevTools Protocol (github.com/chromedp/chromedp). Without a Chromium on PATH the
// tests skip, unless YARDSTICK_BROWSER=require (scripts/test.sh sets it after
// installing Debian's chromium) makes that a failure.

var screenshotDir = flag.String("screenshots", "", "also write one screenshot per page kind to this directory (docs/ for the README)")

// chromium returns the path of a Chromium or Chrome binary, or skips the test.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("YARDSTICK_BROWSER") == "require" {
		t.Fatal("YARDSTICK_BROWSER=require but no chromium on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (set YARDSTICK_BROWSER=require to fail instead)")
	return ""
}

// browser starts a headless Chromium for the test and returns its context.
func browser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)),
		chromedp.WindowSize(1280, 1000), chromedp.Flag("disable-gpu", true), chromedp.Flag("force-device-scale-factor", "1"))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// pageEvents gathers what a page did: console errors, uncaught exceptions, log
// entries of level error (CSP violations, failed loads) and every request but the
// page's own.
type pageEvents struct {
	mu       sync.Mutex
	page     string
	errors   []string
	requests []string
}

func (pe *pageEvents) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		pe.mu.Lock()
		defer pe.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				pe.errors = append(pe.errors, "console."+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			pe.errors = append(pe.errors, "exception: "+msg)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.LevelError {
				pe.errors = append(pe.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if e.Request.URL != pe.page {
				pe.requests = append(pe.requests, e.Request.URL)
			}
		}
	})
}

// chartState is what the page's script left of one chart.
type chartState struct {
	ID     string `json:"id"`
	Points int    `json:"points"` // data-points: the Go side's count
	Drawn  int    `json:"drawn"`  // data-drawn: the count handed to uPlot, -1 when unset
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// Ink counts canvas pixels (every 3rd) near the first series' colour
	// (palette[0], #4e79a7): the drawn data, not the axes or the grid.
	Ink    int `json:"ink"`
	Series int `json:"series"` // legend entries, the x one included
}

const chartStateJS = `Array.from(document.querySelectorAll('.chart')).map(el => {
  const cv = el.querySelector('canvas');
  let ink = 0;
  if (cv && cv.width > 0 && cv.height > 0) {
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    for (let i = 0; i < d.length; i += 12) {
      if (d[i+3] > 128 && Math.abs(d[i]-78) < 40 && Math.abs(d[i+1]-121) < 40 && Math.abs(d[i+2]-167) < 40) ink++;
    }
  }
  return {id: el.id, points: +el.dataset.points, drawn: el.dataset.drawn === undefined ? -1 : +el.dataset.drawn,
    width: cv ? cv.width : 0, height: cv ? cv.height : 0, ink: ink,
    series: el.querySelectorAll('.u-legend .u-series').length};
})`

// openPage loads the file at path and returns its events and charts.
func openPage(t testing.TB, parent context.Context, path string) (context.Context, *pageEvents, []chartState) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	pe := &pageEvents{page: u}
	pe.listen(ctx)
	var charts []chartState
	if err := chromedp.Run(ctx, network.Enable(), cdplog.Enable(), runtime.Enable(),
		chromedp.Navigate(u), chromedp.WaitReady("footer", chromedp.ByQuery),
		chromedp.Evaluate(chartStateJS, &charts)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ctx, pe, charts
}

// Each kind of page (a run, a sweep, a comparison, a directory of five runs) opens
// from a file:// URL with no console error and no request but its own, every chart
// is drawn with all its points (the count handed to uPlot is the count the Go side
// wrote, and the canvas holds the first series' colour), and a screenshot is taken.
func TestHTMLPagesInChromium(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	pages := htmlPages(t, dir)
	// The docs' screenshots show the part of each page that says most.
	docsSection := map[string]string{"run": "#timeline", "sweep": "#load", "comparison": "#latency", "history": "#history-0", "memory": "#memory"}
	for _, kind := range []string{"run", "sweep", "prompt-sweep", "comparison", "history"} {
		t.Run(kind, func(t *testing.T) {
			pctx, pe, charts := openPage(t, ctx, pages[kind])
			if *screenshotDir != "" && docsSection[kind] != "" {
				var part []byte
				if err := chromedp.Run(pctx, chromedp.Screenshot(docsSection[kind], &part, chromedp.ByQuery)); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(*screenshotDir, "report-"+kind+".png"), part, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if kind == "run" {
				// The memory section's stacked bar: the four parts of the prediction
				// drawn with a width each, and the measured peak marked on it.
				var bar struct {
					Widths []float64 `json:"widths"`
					Marks  int       `json:"marks"`
				}
				if err := chromedp.Run(pctx, chromedp.Evaluate(`({widths: Array.from(document.querySelectorAll('#memory .bar-seg')).map(e => e.getBoundingClientRect().width),
  marks: document.querySelectorAll('#memory .bar-mark').length})`, &bar)); err != nil {
					t.Fatal(err)
				}
				if len(bar.Widths) != 4 || bar.Widths[0] <= 0 || bar.Marks != 1 {
					t.Errorf("memory bar: segment widths %v, %d marks; want 4 segments, the weights drawn, 1 mark", bar.Widths, bar.Marks)
				}
				if *screenshotDir != "" {
					var part []byte
					if err := chromedp.Run(pctx, chromedp.Screenshot(docsSection["memory"], &part, chromedp.ByQuery)); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(*screenshotDir, "report-memory.png"), part, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			var full []byte
			if err := chromedp.Run(pctx, chromedp.FullScreenshot(&full, 100)); err != nil {
				t.Fatal(err)
			}
			shot := filepath.Join(dir, kind+".png")
			if err := os.WriteFile(shot, full, 0o644); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(full, []byte("\x89PNG")) {
				t.Errorf("screenshot is not a PNG")
			}
			t.Logf("%s: %d charts, screenshot %s (%d bytes)", kind, len(charts), shot, len(full))
			checkDrawn(t, pe, charts, 3)
		})
	}
}

// checkDrawn fails t for every console error and network request of the page, and
// for every chart not drawn whole: fewer than minCharts charts, a count handed to
// uPlot other than the Go side's, a small canvas, no pixel of the first series'
// colour, or a legend without a series.
func checkDrawn(t *testing.T, pe *pageEvents, charts []chartState, minCharts int) {
	t.Helper()
	pe.mu.Lock()
	defer pe.mu.Unlock()
	for _, e := range pe.errors {
		t.Errorf("console: %s", e)
	}
	for _, r := range pe.requests {
		t.Errorf("network request: %s", r)
	}
	if len(charts) < minCharts {
		t.Errorf("%d charts drawn, want at least %d", len(charts), minCharts)
	}
	for _, c := range charts {
		switch {
		case c.Drawn != c.Points || c.Points == 0:
			t.Errorf("%s: drew %d points of %d", c.ID, c.Drawn, c.Points)
		case c.Width < 300 || c.Height < 200:
			t.Errorf("%s: canvas %d×%d", c.ID, c.Width, c.Height)
		case c.Ink < 10:
			t.Errorf("%s: %d pixels of the first series' colour: nothing drawn", c.ID, c.Ink)
		case c.Series < 2:
			t.Errorf("%s: legend has %d entries", c.ID, c.Series)
		}
	}
}

// The pages of a conversation run, a shared-prefix run and a trace replay open with
// no console error, every chart drawn whole, their workload's section among them
// (its chart is drawn: the section's chart element carries data-drawn); with
// -screenshots, the conversation run's By turn section is written for the docs.
func TestHTMLWorkloadPagesInChromium(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	pages := workloadPages(t, dir)
	for kind, id := range map[string]string{"conversation": "#turns", "prefix": "#prefix", "trace": "#trace"} {
		t.Run(kind, func(t *testing.T) {
			pctx, pe, charts := openPage(t, ctx, pages[kind])
			var drawn bool
			if err := chromedp.Run(pctx, chromedp.Evaluate(`!!document.querySelector('`+id+` .chart[data-drawn]')`, &drawn)); err != nil {
				t.Fatal(err)
			}
			if !drawn {
				t.Errorf("%s: no drawn chart in %s", kind, id)
			}
			if *screenshotDir != "" && kind == "conversation" {
				var part []byte
				if err := chromedp.Run(pctx, chromedp.Screenshot(id, &part, chromedp.ByQuery)); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(*screenshotDir, "report-turns.png"), part, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			checkDrawn(t, pe, charts, 3)
		})
	}
}

// BenchmarkHTMLRender10k gives the time Chromium takes to load and draw the page of a
// 10,000-request run (a sweep of 4 levels of 2,500): navigation to every chart drawn.
func BenchmarkHTMLRender10k(b *testing.B) {
	ctx := browser(b)
	dir := b.TempDir()
	r := htmlRunOf(htmlSpec{seed: 5, levels: []int{1, 2, 4, 8}, perLevel: 2500, runID: "10k", slo: "ttft_p95=4s"})
	var page bytes.Buffer
	if err := RenderRunHTML(&page, "10k.json", r); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "10k.html")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	pctx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	var drawn bool
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := chromedp.Run(pctx, chromedp.Navigate(u), chromedp.WaitReady("footer", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelectorAll('.chart[data-drawn]').length === document.querySelectorAll('.chart').length`, &drawn)); err != nil {
			b.Fatal(err)
		}
		if !drawn {
			b.Fatal("not every chart was drawn")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
	b.ReportMetric(float64(page.Len()), "page-bytes")
}

// The checks above can fail: a page that logs an error, throws, and asks for an image
// is seen doing all three, and its chart without data-drawn reads as undrawn.
func TestBrowserChecksSeeFaults(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	page := `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><main>
<div class="chart" id="chart-1" data-points="3"></div>
<img src="missing.png" alt="">
<script>console.error("broken"); throw new Error("thrown");</script>
<footer>end</footer></main></body></html>`
	p := filepath.Join(dir, "faulty.html")
	if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	_, pe, charts := openPage(t, ctx, p)
	// Events arrive asynchronously: give the image's request a moment to be reported.
	deadline := time.Now().Add(5 * time.Second)
	for {
		pe.mu.Lock()
		n, e := len(pe.requests), len(pe.errors)
		pe.mu.Unlock()
		if n > 0 && e >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	joined := strings.Join(pe.errors, "\n")
	if !strings.Contains(joined, "broken") || !strings.Contains(joined, "thrown") {
		t.Errorf("errors seen: %q, want the console error and the exception", pe.errors)
	}
	if len(pe.requests) == 0 || !strings.HasSuffix(pe.requests[0], "missing.png") {
		t.Errorf("requests seen: %q, want missing.png", pe.requests)
	}
	if len(charts) != 1 || charts[0].Drawn != -1 {
		t.Errorf("charts %+v, want one undrawn", charts)
	}
}
