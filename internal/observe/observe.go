package observe

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
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
	Imbalance                  Imbalance
}

// MissingDataError says a figure's metric had no data in the window.
type MissingDataError struct {
	Workload                   string
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
	obs, missing, err := ObserveAll(ctx, q, []Scope{s}, window, at)
	if err != nil {
		return nil, err
	}
	if err := missing[s.Workload]; err != nil {
		return nil, err
	}
	return obs[s.Workload], nil
}

// fields are where each figure goes.
func (o *Observation) fields() map[string]*float64 {
	return map[string]*float64{
		"podsMin": &o.PodsMin, "podsMax": &o.PodsMax, "podsAvg": &o.PodsAvg,
		"sessionsPeak": &o.SessionsPeak, "sessionsP95": &o.SessionsP95, "usersPerPod": &o.UsersPerPod,
		"cpuP95": &o.CPUP95PerPod, "cpuMax": &o.CPUMaxPerPod, "memMax": &o.MemoryMaxPerPod, "memP95": &o.MemoryP95PerPod,
		"pvcMax": &o.PVCUsedPercentMax, "hpaAtMax": &o.HPAAtMaxMinutes,
		"dataMinutes": &o.DataMinutes, "samples": &o.Samples,
	}
}

// part is one workload's query of a figure.
type part struct {
	s Scope
	f figure
}

// ObserveAll observes every scope (the workloads of one environment) over
// window ending at at, with one query per figure whatever the number of
// workloads: each workload's part labelled with label_replace(…,
// "workload", …) and the parts joined with or. It returns each workload's
// observation, and, for a workload a figure has no data for, the
// MissingDataError saying which; an answer phasegen cannot use is an error.
func ObserveAll(ctx context.Context, q Querier, scopes []Scope, window time.Duration, at time.Time) (map[string]*Observation, map[string]error, error) {
	obs, missing := map[string]*Observation{}, map[string]error{}
	byName, order := map[string][]part{}, []string(nil)
	for _, s := range scopes {
		obs[s.Workload] = &Observation{Window: window, At: at, HPA: s.HPA, Volumes: !s.NoVolumes}
		for _, f := range append(s.figures(window, at), s.podFigures(window)...) {
			if _, ok := byName[f.name]; !ok {
				order = append(order, f.name)
			}
			byName[f.name] = append(byName[f.name], part{s, f})
		}
	}
	for _, name := range order {
		parts := byName[name]
		query := joined(parts)
		res, err := q.Query(ctx, query, at)
		if err != nil {
			return nil, nil, err
		}
		byWorkload, err := perWorkload(res, parts)
		if err != nil {
			return nil, nil, fmt.Errorf("prometheus %s: %s (query: %s)", q.URL(), err, query)
		}
		for _, p := range parts {
			w := p.s.Workload
			samples := byWorkload[w]
			if len(samples) == 0 {
				if missing[w] == nil && !strings.HasSuffix(name, "ByPod") {
					missing[w] = &MissingDataError{Workload: w, Metric: p.f.metric, Selector: p.f.selector, Exporter: p.f.exporter, Window: window, At: at, URL: q.URL()}
				}
				continue
			}
			if err := obs[w].set(name, samples); err != nil {
				return nil, nil, fmt.Errorf("prometheus %s: %s (query: %s)", q.URL(), err, query)
			}
		}
	}
	for _, o := range obs {
		if o.HPA {
			o.HPAAtMaxFraction = min(o.HPAAtMaxMinutes/window.Minutes(), 1)
		}
	}
	return obs, missing, nil
}

// joined is one query for the parts of a figure: the one workload's as it
// is, several workloads' each labelled with its name and joined with or.
func joined(parts []part) string {
	if len(parts) == 1 {
		return parts[0].f.query
	}
	qs := make([]string, len(parts))
	for i, p := range parts {
		qs[i] = fmt.Sprintf("label_replace(%s, \"workload\", %q, \"\", \"\")", p.f.query, p.s.Workload)
	}
	return strings.Join(qs, "\nor ")
}

// perWorkload sorts the answer's samples by workload: all of them for the
// one workload of a single part; else by the workload label each part
// put on its own.
func perWorkload(r promapi.Result, parts []part) (map[string][]promapi.Sample, error) {
	out := map[string][]promapi.Sample{}
	switch r.Type {
	case "scalar":
		if len(parts) != 1 {
			return nil, fmt.Errorf("the answer is a scalar where a vector by workload was expected")
		}
		out[parts[0].s.Workload] = []promapi.Sample{{Value: r.Scalar}}
		return out, nil
	case "vector":
	default:
		return nil, fmt.Errorf("the answer is a %q where an instant vector or scalar was expected", r.Type)
	}
	for _, smp := range r.Vector {
		w := parts[0].s.Workload
		if len(parts) > 1 {
			w = smp.Metric["workload"]
		}
		out[w] = append(out[w], smp)
	}
	for w := range out {
		if !slices.ContainsFunc(parts, func(p part) bool { return p.s.Workload == w }) {
			return nil, fmt.Errorf("the answer has a series of workload %q, which was not asked for", w)
		}
	}
	return out, nil
}

// set records figure name from its samples: one value, checked; or, for a
// figure by pod, the imbalance it shows.
func (o *Observation) set(name string, samples []promapi.Sample) error {
	if strings.HasSuffix(name, "ByPod") {
		return o.setByPod(name, samples)
	}
	if len(samples) != 1 {
		return fmt.Errorf("the answer has %d series where one was expected", len(samples))
	}
	v := samples[0].Value
	if err := checkValue(name, v); err != nil {
		return err
	}
	*o.fields()[name] = v
	return nil
}

// checkValue refuses a figure phasegen cannot compute with.
func checkValue(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("the answer is %v, not a number", v)
	}
	if v < 0 {
		return fmt.Errorf("the answer %g is negative", v)
	}
	if most, what := limit(name); v > most {
		return fmt.Errorf("the answer %g is beyond %s (at most %g); nothing is computed from it", v, what, most)
	}
	return nil
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
	case "podsMin", "podsMax", "podsAvg", "sessionsPeak", "sessionsP95", "usersPerPod", "sessionsPeakByPod":
		return MaxCount, "what a replica count (int32) holds"
	case "cpuP95", "cpuMax", "cpuP95ByPod":
		return MaxCoresPerPod, "any pod's CPU in cores"
	case "memMax", "memP95":
		return MaxBytesPerPod, "any pod's memory in bytes"
	case "pvcMax":
		return MaxPercent, "a percentage of a volume"
	}
	return MaxSampleCounts, "a count of minutes or samples"
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
