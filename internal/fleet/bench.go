package fleet

import "fmt"

// Sizes returns the fleet sizes the benchmarks run at: 1, 100 and 1,000
// environments.
func Sizes() []int { return []int{1, 100, 1000} }

// SubName is the sub-benchmark name of a fleet of n environments: envs=n.
func SubName(n int) string { return fmt.Sprintf("envs=%d", n) }

// PerEnv is the metric unit benchmarks report: milliseconds per environment.
const PerEnv = "ms/env"

// MsPerEnv converts the time of one benchmark operation over n
// environments (seconds per operation) to milliseconds per environment.
func MsPerEnv(secondsPerOp float64, n int) float64 { return secondsPerOp * 1000 / float64(n) }
