//go:build !linux

package calib

import "time"

// threadSleep is time.Sleep where nanosleep(2) is not used; waitUntil spins for
// whatever it overshoots.
func threadSleep(d time.Duration) { time.Sleep(d) }
