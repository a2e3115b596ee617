package observe

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Alert is one firing alert: one series of Prometheus's ALERTS metric.
type Alert struct {
	Name     string            `json:"alert"`
	Severity string            `json:"severity,omitempty"`
	Labels   map[string]string `json:"labels"` // the series' labels but __name__, alertname, alertstate and severity
}

// String is the alert on one line: its name, then severity and labels
// in order ("WorkloadCPUHigh (warning, pod=coditect-combined-1)").
func (a Alert) String() string {
	var parts []string
	if a.Severity != "" {
		parts = append(parts, a.Severity)
	}
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		if k != "namespace" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+a.Labels[k])
	}
	if len(parts) == 0 {
		return a.Name
	}
	return a.Name + " (" + strings.Join(parts, ", ") + ")"
}

// AlertsQuery is the one instant query of the firing alerts of namespace
// among names: Prometheus's ALERTS series in state firing (pending ones are
// not yet alerts), with the namespace label every phasegen rule carries.
func AlertsQuery(namespace string, names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	return fmt.Sprintf("ALERTS{alertstate=%q, namespace=%q, alertname=~%q}", "firing", namespace, strings.Join(quoted, "|"))
}

// FiringAlerts asks q, with one instant query at at, which of names are
// firing in namespace; sorted by name, then labels.
func FiringAlerts(ctx context.Context, q Querier, namespace string, names []string, at time.Time) ([]Alert, error) {
	expr := AlertsQuery(namespace, names)
	res, err := q.Query(ctx, expr, at)
	if err != nil {
		return nil, err
	}
	if res.Type != "vector" {
		return nil, fmt.Errorf("prometheus %s: the answer is a %q where an instant vector was expected (query: %s)", q.URL(), res.Type, expr)
	}
	out := make([]Alert, 0, len(res.Vector))
	for _, s := range res.Vector {
		name := s.Metric["alertname"]
		// The selector decides; a series outside it means the URL is not
		// a Prometheus that honours label matchers.
		if !slices.Contains(names, name) || s.Metric["alertstate"] != "firing" || s.Metric["namespace"] != namespace {
			return nil, fmt.Errorf("prometheus %s: the answer holds a series the query does not select (alertname %q, alertstate %q, namespace %q) (query: %s)",
				q.URL(), name, s.Metric["alertstate"], s.Metric["namespace"], expr)
		}
		a := Alert{Name: name, Severity: s.Metric["severity"], Labels: map[string]string{}}
		for k, v := range s.Metric {
			switch k {
			case "__name__", "alertname", "alertstate", "severity":
			default:
				a.Labels[k] = v
			}
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].String() < out[j].String()
	})
	return out, nil
}

// AlertReport is what `wait` reports of the phase's alerts.
type AlertReport struct {
	Prometheus string    `json:"prometheus"` // the server's URL, without credentials
	Namespace  string    `json:"namespace"`
	Phase      string    `json:"phase"`
	At         time.Time `json:"at"`
	Query      string    `json:"query"`
	Firing     []Alert   `json:"firing"`
}

// ReportAlerts runs FiringAlerts for phase's alert names in namespace.
func ReportAlerts(ctx context.Context, q Querier, namespace, phase string, names []string, at time.Time) (*AlertReport, error) {
	firing, err := FiringAlerts(ctx, q, namespace, names, at)
	if err != nil {
		return nil, err
	}
	return &AlertReport{Prometheus: q.URL(), Namespace: namespace, Phase: phase, At: at.UTC(), Query: AlertsQuery(namespace, names), Firing: firing}, nil
}

// Summary is the report on one line: "no alert of phase beta firing in
// namespace coditect-app" or "2 alerts of phase beta firing in namespace
// coditect-app: A (…); B (…)" (an alert per series: one per pod).
func (r *AlertReport) Summary() string {
	if len(r.Firing) == 0 {
		return fmt.Sprintf("no alert of phase %s firing in namespace %s", r.Phase, r.Namespace)
	}
	list := make([]string, len(r.Firing))
	for i, a := range r.Firing {
		list[i] = a.String()
	}
	what := "alerts"
	if len(r.Firing) == 1 {
		what = "alert"
	}
	return fmt.Sprintf("%d %s of phase %s firing in namespace %s: %s", len(r.Firing), what, r.Phase, r.Namespace, strings.Join(list, "; "))
}
