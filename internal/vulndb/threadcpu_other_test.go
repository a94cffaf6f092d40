//go:build !linux

package vulndb

import "time"

// threadCPU is not measured here: the benchmarks report it as 0.
func threadCPU() time.Duration { return 0 }
