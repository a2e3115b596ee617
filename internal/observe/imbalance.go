package observe

import (
	"sort"

	"github.com/coditect/phasegen/internal/promapi"
)

// Imbalance compares the busiest pod with the median pod: its p95 CPU and,
// with a session metric, its peak sessions, as ratios (0 when the median
// is 0 or there are fewer than two pods).
type Imbalance struct {
	CPUP95Ratio       float64 `json:"cpuP95Ratio"`
	SessionsPeakRatio float64 `json:"sessionsPeakRatio"`
	Pod               string  `json:"pod"` // the pod with the busiest p95 CPU
}

// ImbalanceLimit is the ratio past which the imbalance is a reason.
const ImbalanceLimit = 1.5

// setByPod records a figure by pod: the busiest pod's value against the
// median pod's.
func (o *Observation) setByPod(name string, samples []promapi.Sample) error {
	vs := make([]float64, 0, len(samples))
	busiest, top := "", -1.0
	for _, s := range samples {
		if err := checkValue(name, s.Value); err != nil {
			return err
		}
		vs = append(vs, s.Value)
		if s.Value > top || (s.Value == top && s.Metric["pod"] < busiest) {
			busiest, top = s.Metric["pod"], s.Value
		}
	}
	ratio := 0.0
	if m := median(vs); len(vs) > 1 && m > 0 {
		ratio = top / m
	}
	switch name {
	case "cpuP95ByPod":
		o.Imbalance.CPUP95Ratio, o.Imbalance.Pod = ratio, busiest
	case "sessionsPeakByPod":
		o.Imbalance.SessionsPeakRatio = ratio
	}
	return nil
}

// median is the middle value of vs (the mean of the two middle ones).
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
