package config

import "fmt"

// String is the thresholds in one line: "80% / 85% / 5m / 90% / 2".
func (a Alerts) String() string {
	return fmt.Sprintf("%d%% / %d%% / %s / %d%% / %d", a.CPUPercent, a.MemoryPercent, a.For, a.PVCUsagePercent, a.SessionsPerPod)
}

// Alerts are the thresholds of the phase's PrometheusRule. Absent fields take
// the defaults in DefaultAlerts.
type Alerts struct {
	CPUPercent      int32  `json:"cpuPercent"`
	MemoryPercent   int32  `json:"memoryPercent"`
	For             string `json:"for"`
	PVCUsagePercent int32  `json:"pvcUsagePercent"`
	SessionsPerPod  int32  `json:"sessionsPerPod"`
	// Restarts is how many container restarts a pod may have within an
	// hour before WorkloadPodRestarting fires.
	Restarts int32 `json:"restarts"`
	// Severity sets the severity label of an alert, by alert name (one of
	// AlertNames); an alert not named keeps its default.
	Severity map[string]string `json:"severity"`
}

// DefaultAlerts returns the seed's recommended thresholds.
func DefaultAlerts() Alerts {
	return Alerts{CPUPercent: 80, MemoryPercent: 85, For: "5m", PVCUsagePercent: 90, SessionsPerPod: 2, Restarts: 3}
}

// AlertNames are the alerts a phase's PrometheusRule may hold, the keys
// alerts.severity takes.
func AlertNames() []string {
	return []string{"WorkloadCPUHigh", "WorkloadMemoryHigh", "WorkloadHPAAtMax", "WorkloadPVCAlmostFull", "WorkloadSessionsOverCapacity",
		"WorkloadReplicasUnavailable", "WorkloadPodRestarting", "WorkloadHPAMetricUnavailable"}
}
