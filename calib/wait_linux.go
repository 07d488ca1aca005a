//go:build linux

package calib

import (
	"syscall"
	"time"
)

// threadSleep blocks the calling OS thread for d with nanosleep(2), whose wakeup on
// Linux is late by the thread's timer slack (50 µs by default) plus scheduling, about
// 70–100 µs here, instead of the 1 ms that the Go runtime's timers round a short sleep
// up to when the process is otherwise idle (it waits in epoll with millisecond
// granularity). The Go scheduler hands the P to another thread while this one sleeps.
func threadSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		var rem syscall.Timespec
		err := syscall.Nanosleep(&ts, &rem)
		if err != syscall.EINTR {
			return
		}
		ts = rem
	}
}
