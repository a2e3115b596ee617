package tune

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/coditect/phasegen/internal/alerts"
	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/observe"
)

// fires reports whether a peak of use is at or over percent of limit: the
// phase's alert on it would fire at that peak if it lasted alerts.for.
func fires(use, limit float64, percent int32) bool {
	return use/limit*100 >= float64(percent)
}

// warnings say when the recommended limits put the observed peaks at or
// over the phase's alert thresholds. The memory rule leaves the largest
// working set at 1/1.15 (87%) of the new limit, over a memoryPercent below
// that; the CPU limit is kept or raised to the new request, so the busiest
// pod's maximum may be near it. Each names the two ways out: the smallest
// threshold over the peak, or the smallest limit that puts the peak under
// the threshold.
func warnings(al config.Alerts, o *observe.Observation, memLimit, cpuLimit resource.Quantity, cpuHow string) []string {
	out := []string{}
	if limit := float64(memLimit.Value()); limit > 0 && fires(o.MemoryMaxPerPod, limit, al.MemoryPercent) {
		need := smallest(math.Floor(o.MemoryMaxPerPod*100/float64(al.MemoryPercent)/mi), func(v int64) bool {
			return !fires(o.MemoryMaxPerPod, float64(v*mi), al.MemoryPercent)
		})
		out = append(out, fmt.Sprintf("%s would fire at the peak these values are sized for: the largest working set, %s MiB, is %s%% of the new limits.memory %s, at or over alerts.memoryPercent (%d%%; the alert fires after %s above it). %s",
			alerts.AlertMemoryHigh, trim(o.MemoryMaxPerPod/mi, 1), trim(o.MemoryMaxPerPod/limit*100, 2), memLimit.String(), al.MemoryPercent, al.For,
			waysOut("spec.alerts.memoryPercent", o.MemoryMaxPerPod/limit*100, fmt.Sprintf("set limits.memory (and requests.memory with it) to at least %dMi", need))))
	}
	if limit := cpuLimit.AsApproximateFloat64(); limit > 0 && fires(o.CPUMaxPerPod, limit, al.CPUPercent) {
		milli := smallest(math.Floor(o.CPUMaxPerPod*1000*100/float64(al.CPUPercent)), func(v int64) bool {
			return !fires(o.CPUMaxPerPod, float64(v)/1000, al.CPUPercent)
		})
		out = append(out, fmt.Sprintf("%s would fire at the busiest pod's peak: its maximum CPU, %s cores, is %s%% of limits.cpu %s (%s), at or over alerts.cpuPercent (%d%%; the alert fires after %s above it). %s",
			alerts.AlertCPUHigh, trim(o.CPUMaxPerPod, 4), trim(o.CPUMaxPerPod/limit*100, 2), cpuLimit.String(), cpuHow, al.CPUPercent, al.For,
			waysOut("spec.alerts.cpuPercent", o.CPUMaxPerPod/limit*100, "set limits.cpu to at least "+resource.NewMilliQuantity(milli, resource.DecimalSI).String())))
	}
	return out
}

// smallest is the least integer from about guess (at least 1) for which ok
// holds; ok must hold for every larger one.
func smallest(guess float64, ok func(int64) bool) int64 {
	v := max(int64(guess)-1, 1)
	for v > 1 && ok(v-1) {
		v--
	}
	for !ok(v) {
		v++
	}
	return v
}

// waysOut is the two ways out of an alert at percent: the smallest
// threshold above it (none from 100%), or the limit.
func waysOut(field string, percent float64, limit string) string {
	n := int64(math.Floor(percent)) + 1
	if n > 100 {
		return fmt.Sprintf("No %s up to 100 avoids it: %s.", field, limit)
	}
	return fmt.Sprintf("Either raise %s to at least %d, or %s.", field, n, limit)
}

// memoryEnv matches the environment variables that tell a runtime its
// memory: a JVM's heap (MAX_HEAP_SIZE, -Xmx in JAVA_OPTS), Node's
// --max-old-space-size, Go's GOMEMLIMIT.
var memoryEnv = regexp.MustCompile(`(?i)heap|mem|xmx|max-old-space-size|ram`)

// envWarnings say which of the phase's variables should follow a memory
// limit that changes from was to now: tune edits resources, never them.
func envWarnings(env map[string]string, was, now resource.Quantity) []string {
	if was.Cmp(now) == 0 {
		return nil
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if memoryEnv.MatchString(k) || memoryEnv.MatchString(env[k]) {
			out = append(out, fmt.Sprintf("the memory limit goes from %s to %s, and the phase sets %s=%s on the container: set it to follow (tune --write changes resources, not environment variables)", qs(was), now.String(), k, env[k]))
		}
	}
	return out
}
