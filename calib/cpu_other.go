//go:build !unix

package calib

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

func loadAvg1() (float64, bool) { return 0, false }
