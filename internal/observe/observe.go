package observe

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/coditect/phasegen/internal/promapi"
)

// Querier runs instant queries; *promapi.Client is one.
type Querier interface {
	Query(ctx context.Context, expr string, at time.Time) (promapi.Result, error)
	URL() string
}

// Observation is what the workload did over a window.
type Observation struct {
	Window time.Duration
	At     time.Time

	PodsMin, PodsMax, PodsAvg  float64 // ready pods
	SessionsPeak, SessionsP95  float64
	UsersPerPod                float64 // sessions per ready pod at the busiest sample
	CPUP95PerPod, CPUMaxPerPod float64 // cores, the busiest pod's
	MemoryMaxPerPod            float64 // bytes
	MemoryP95PerPod            float64 // bytes, the busiest pod's 95th percentile
	PVCUsedPercentMax          float64 // with Volumes
	Volumes                    bool    // the workload has volume claims
	HPA                        bool
	HPAAtMaxMinutes            float64 // with HPA: minutes of the window at its maximum
	HPAAtMaxFraction           float64 // and their share of the window
	DataMinutes                float64 // minutes of the window with workload data
	Samples                    float64 // raw CPU samples of the workload's containers
}

// MissingDataError says a figure's metric had no data in the window.
type MissingDataError struct {
	Metric, Selector, Exporter string
	Window                     time.Duration
	At                         time.Time
	URL                        string
}

func (e *MissingDataError) Error() string {
	return fmt.Sprintf("prometheus %s: no data for %s%s in the %s before %s: it comes from %s; is it scraped, and are the namespace and workload right?",
		e.URL, e.Metric, e.Selector, FormatWindow(e.Window), e.At.UTC().Format(time.RFC3339), e.Exporter)
}

// Observe runs the scope's queries over window ending at at.
func Observe(ctx context.Context, q Querier, s Scope, window time.Duration, at time.Time) (*Observation, error) {
	o := &Observation{Window: window, At: at, HPA: s.HPA, Volumes: !s.NoVolumes}
	dst := map[string]*float64{
		"podsMin": &o.PodsMin, "podsMax": &o.PodsMax, "podsAvg": &o.PodsAvg,
		"sessionsPeak": &o.SessionsPeak, "sessionsP95": &o.SessionsP95, "usersPerPod": &o.UsersPerPod,
		"cpuP95": &o.CPUP95PerPod, "cpuMax": &o.CPUMaxPerPod, "memMax": &o.MemoryMaxPerPod, "memP95": &o.MemoryP95PerPod,
		"pvcMax": &o.PVCUsedPercentMax, "hpaAtMax": &o.HPAAtMaxMinutes,
		"dataMinutes": &o.DataMinutes, "samples": &o.Samples,
	}
	for _, f := range s.figures(window, at) {
		res, err := q.Query(ctx, f.query, at)
		if err != nil {
			return nil, err
		}
		v, ok, err := single(res)
		if err != nil {
			return nil, fmt.Errorf("prometheus %s: %s (query: %s)", q.URL(), err, f.query)
		}
		if !ok {
			return nil, &MissingDataError{Metric: f.metric, Selector: f.selector, Exporter: f.exporter, Window: window, At: at, URL: q.URL()}
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("prometheus %s: the answer is %v, not a number (query: %s)", q.URL(), v, f.query)
		}
		if v < 0 {
			return nil, fmt.Errorf("prometheus %s: the answer %g is negative (query: %s)", q.URL(), v, f.query)
		}
		if most, what := limit(f.name); v > most {
			return nil, fmt.Errorf("prometheus %s: the answer %g is beyond %s (at most %g); nothing is computed from it (query: %s)", q.URL(), v, what, most, f.query)
		}
		*dst[f.name] = v
	}
	if s.HPA {
		o.HPAAtMaxFraction = min(o.HPAAtMaxMinutes/window.Minutes(), 1)
	}
	return o, nil
}

// Bounds of the figures a Prometheus answer may give.
const (
	MaxCount        = math.MaxInt32 // pods, sessions: a replica count is an int32
	MaxCoresPerPod  = 1e6           // a million cores
	MaxBytesPerPod  = 1 << 50       // a pebibyte
	MaxPercent      = 1e6
	MaxSampleCounts = 1e12
)

// limit is the largest value figure name may take, and what that bound is:
// what a replica count holds for counts of pods and sessions; per-pod CPU
// and memory far inside what a Kubernetes quantity holds, so that no
// arithmetic on them (millicores, MiB, percentages of a limit) overflows.
func limit(name string) (float64, string) {
	switch name {
	case "podsMin", "podsMax", "podsAvg", "sessionsPeak", "sessionsP95", "usersPerPod":
		return MaxCount, "what a replica count (int32) holds"
	case "cpuP95", "cpuMax":
		return MaxCoresPerPod, "any pod's CPU in cores"
	case "memMax", "memP95":
		return MaxBytesPerPod, "any pod's memory in bytes"
	case "pvcMax":
		return MaxPercent, "a percentage of a volume"
	}
	return MaxSampleCounts, "a count of minutes or samples"
}

// single reads a one-element vector or a scalar.
func single(r promapi.Result) (float64, bool, error) {
	switch r.Type {
	case "scalar":
		return r.Scalar, true, nil
	case "vector":
		switch len(r.Vector) {
		case 0:
			return 0, false, nil
		case 1:
			return r.Vector[0].Value, true, nil
		}
		return 0, false, fmt.Errorf("the answer has %d series where one was expected", len(r.Vector))
	}
	return 0, false, fmt.Errorf("the answer is a %q where an instant vector was expected", r.Type)
}

// FormatWindow writes d as the largest whole units (7d, 36h, 1d12h).
func FormatWindow(d time.Duration) string {
	out := ""
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}} {
		if n := d / u.d; n > 0 {
			out += fmt.Sprintf("%d%s", n, u.s)
			d -= n * u.d
		}
	}
	if out == "" {
		return "0m"
	}
	return out
}
