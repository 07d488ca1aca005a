//go:build !linux

package calib

import "time"

// threadSleep is time.Sleep where nanosleep(2) is not used: it may wake up to about
// 1 ms late, and a chunk it makes late is recorded as such in Record.LateNs.
func threadSleep(d time.Duration) { time.Sleep(d) }
