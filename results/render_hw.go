package results

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/yardstick-dev/yardstick/internal/tablefit"
	"github.com/yardstick-dev/yardstick/internal/units"
	"github.com/yardstick-dev/yardstick/profiles"
)

// HWReport is what `yardstick hw --json` writes.
type HWReport struct {
	Hardware profiles.Hardware      `json:"hardware"`
	Matches  []profiles.DeviceMatch `json:"matches"`
	Probe    *profiles.ProbeResult  `json:"probe,omitempty"`
	Profile  profiles.Profile       `json:"profile"`
}

// gbs formats bytes per second as GB/s (1e9).
func gbs(b float64) string { return fmt.Sprintf("%.1f GB/s", b/1e9) }

// tflopsText formats FLOP/s as TFLOP/s, with enough digits for CPUs.
func tflopsText(f float64) string {
	switch {
	case f <= 0:
		return "unknown"
	case f < 10e12:
		return fmt.Sprintf("%.3g TFLOP/s", f/1e12)
	}
	return fmt.Sprintf("%.1f TFLOP/s", f/1e12)
}

func gibText(b uint64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// RenderHW writes the text of `yardstick hw`: the detected hardware, its device-table
// matches with their sources, the bandwidth probe when one ran, the profile a run would
// use and every detection or profile warning.
func RenderHW(w io.Writer, r HWReport) error {
	hw := r.Hardware
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Hardware")
	host := hw.Hostname + "  " + strings.TrimSpace(strings.Join([]string{hw.OS, hw.Platform, hw.PlatformVersion, hw.Arch}, " "))
	if hw.Virtualization != "" {
		host += "  (" + hw.Virtualization + ")"
	}
	fmt.Fprintf(tw, "  host\t%s\n", host)
	cpu := fmt.Sprintf("%s, %d physical / %d logical cores", orUnknown(hw.CPUModel), hw.CPUPhysicalCores, hw.CPULogicalCores)
	if hw.CPUMHz > 0 {
		cpu += fmt.Sprintf(", %.0f MHz", hw.CPUMHz)
	}
	fmt.Fprintf(tw, "  cpu\t%s\n", cpu)
	if hw.CPUMicroarch != "" {
		core := fmt.Sprintf("%s (%s family %d model %d)", hw.CPUMicroarch, orUnknown(hw.CPUVendor), hw.CPUFamily, hw.CPUModelNumber)
		if hw.CPULLCBytes > 0 {
			core += ", last-level cache " + units.IEC(float64(hw.CPULLCBytes))
		}
		fmt.Fprintf(tw, "  core\t%s\n", core)
	}
	fmt.Fprintf(tw, "  simd\t%s\n", orUnknown(strings.Join(hw.CPUSIMD, " ")))
	fmt.Fprintf(tw, "  memory\t%s total, %s available\n", gibText(hw.MemoryTotalBytes), gibText(hw.MemoryAvailableBytes))
	if len(hw.GPUs) == 0 {
		fmt.Fprintf(tw, "  gpus\tnone detected\n")
	}
	for _, g := range hw.GPUs {
		name := g.Name
		if !strings.HasPrefix(strings.ToLower(name), strings.ToLower(g.Vendor)) {
			name = g.Vendor + " " + name
		}
		s := fmt.Sprintf("%s, %s", name, gibText(g.MemoryTotalBytes))
		if g.Cores > 0 {
			s += fmt.Sprintf(", %d cores", g.Cores)
		}
		if g.Driver != "" {
			s += ", driver " + g.Driver
		}
		fmt.Fprintf(tw, "  gpu %d\t%s\n", g.Index, s)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nDevice table")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range r.Matches {
		if m.Device == nil {
			fmt.Fprintf(tw, "  %s\t%q\tno match (yardstick hw --devices lists the table)\n", m.Part, m.Name)
			continue
		}
		d := m.Device
		fmt.Fprintf(tw, "  %s\t%q\t%s\t%s\t%s\n", m.Part, m.Name, d.ID, gbs(d.MemoryBandwidthBytesPerS), tflopsText(d.PeakFP16FLOPS))
		fmt.Fprintf(tw, "  \t\tsource: %s\n", d.Source)
	}
	tw.Flush()

	if p := r.Probe; p != nil {
		fmt.Fprintf(w, "\nBandwidth probe (%s)\n", p.Describe())
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		table := "no device table figure for this CPU"
		for _, m := range r.Matches {
			if m.Part == "cpu" && m.Device != nil {
				table = fmt.Sprintf("table %s: %s (probe = %.0f%% of it)", m.Device.ID, gbs(m.Device.MemoryBandwidthBytesPerS), 100*p.TriadBytesPerS/m.Device.MemoryBandwidthBytesPerS)
			}
		}
		fmt.Fprintf(tw, "  copy\t%s\n", gbs(p.CopyBytesPerS))
		fmt.Fprintf(tw, "  triad\t%s\t%s\n", gbs(p.TriadBytesPerS), table)
		tw.Flush()
	}

	p := r.Profile
	fmt.Fprintf(w, "\nProfile %s (%s)\n", p.Name, p.Source)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  bandwidth\t%s\t%s\n", gbs(p.MemoryBandwidthBytesPerS), p.BandwidthSource)
	if p.HostMemoryBandwidthBytesPerS > 0 {
		fmt.Fprintf(tw, "  host bandwidth\t%s\t%s\n", gbs(p.HostMemoryBandwidthBytesPerS), p.HostBandwidthSource)
	}
	fmt.Fprintf(tw, "  peak\t%s\t%s\n", tflopsText(p.PeakFLOPS), p.FLOPSSource)
	if p.PeakFP16FLOPS > 0 {
		fmt.Fprintf(tw, "  peak fp16\t%s\t%s\n", tflopsText(p.PeakFP16FLOPS), p.FP16FLOPSSource)
	}
	if p.PeakINT8OPS > 0 {
		fmt.Fprintf(tw, "  peak int8\t%s\t%s\n", strings.Replace(tflopsText(p.PeakINT8OPS), "TFLOP/s", "TOP/s", 1), p.INT8OPSSource)
	}
	if p.Watts != nil {
		fmt.Fprintf(tw, "  power\t%.0f W\t%s\n", *p.Watts, p.WattsSource)
	}
	if p.PricePerHour != nil {
		fmt.Fprintf(tw, "  price\t%.4g %s/hour\t\n", *p.PricePerHour, p.Currency)
	}
	if p.EnergyPricePerKWh != nil {
		fmt.Fprintf(tw, "  energy price\t%.4g %s/kWh\t\n", *p.EnergyPricePerKWh, p.Currency)
	}
	if n := len(p.Expectations); n > 0 {
		fmt.Fprintf(tw, "  expectations\t%d model patterns\t\n", n)
	}
	tw.Flush()
	var warns []string
	warns = append(warns, hw.Warnings...)
	warns = append(warns, p.Warnings...)
	if len(warns) > 0 {
		fmt.Fprintln(w, "\nWarnings")
		for _, s := range warns {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// RenderDevices writes the built-in device table (profiles.Devices) as a text table:
// bandwidth in GB/s, peak FP16 in TFLOP/s, peak int8 in TOP/s ("-" when unknown),
// memory in GiB, TDP in W.
func RenderDevices(w io.Writer, ds []profiles.Device) error {
	// In a narrow terminal (tablefit.Columns) the name shortens in its middle (the id
	// before it is the device's key), then the columns split, led by the id.
	name := func(_, col int) tablefit.Trim { return map[bool]tablefit.Trim{true: tablefit.Middle}[col == 2] }
	tw := tablefit.NewWriter(w, tablefit.Columns(w), tablefit.Layout{Keys: 1, Trim: name}, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tNAME\tBANDWIDTH\tPEAK FP16\tPEAK INT8\tMEMORY\tTDP")
	for _, d := range ds {
		mem, tdp := "-", "-"
		if d.MemoryBytes > 0 {
			mem = fmt.Sprintf("%d GiB", d.MemoryBytes>>30)
		}
		if d.TDPWatts > 0 {
			tdp = fmt.Sprintf("%.0f W", d.TDPWatts)
		}
		int8 := "-"
		if d.PeakINT8OPS > 0 {
			int8 = strings.Replace(tflopsText(d.PeakINT8OPS), "TFLOP/s", "TOP/s", 1)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, d.Name, gbs(d.MemoryBandwidthBytesPerS), tflopsText(d.PeakFP16FLOPS), int8, mem, tdp)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nSources: yardstick hw --devices --json. Use a row as a profile with --profile builtin:<id>.")
	return nil
}
