package argocdapi

import "time"

// Application is the part of an argoproj.io/v1alpha1 Application that
// phasegen reads; field names as in the Application CRD.
type Application struct {
	Metadata Metadata `json:"metadata"`
	Spec     struct {
		Project string `json:"project"`
	} `json:"spec"`
	Status Status `json:"status"`
}

// Metadata names the Application.
type Metadata struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// Status is status of an Application.
type Status struct {
	Sync           SyncStatus      `json:"sync"`
	Health         HealthStatus    `json:"health"`
	OperationState *OperationState `json:"operationState,omitempty"`
	ReconciledAt   *time.Time      `json:"reconciledAt,omitempty"`
	Conditions     []Condition     `json:"conditions,omitempty"`
	// Resources are the objects the Application manages, each with its
	// sync status and health (health is absent for kinds Argo CD does not
	// assess).
	Resources []ResourceStatus `json:"resources,omitempty"`
}

// ResourceStatus is one of status.resources.
type ResourceStatus struct {
	Group     string        `json:"group,omitempty"`
	Version   string        `json:"version,omitempty"`
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace,omitempty"`
	Name      string        `json:"name"`
	Status    string        `json:"status,omitempty"`
	Health    *HealthStatus `json:"health,omitempty"`
}

// SyncStatus is status.sync: Synced, OutOfSync or Unknown, against revision
// (revisions for an Application with several sources).
type SyncStatus struct {
	Status    string   `json:"status"`
	Revision  string   `json:"revision,omitempty"`
	Revisions []string `json:"revisions,omitempty"`
}

// HealthStatus is status.health: Healthy, Progressing, Degraded, Suspended,
// Missing or Unknown.
type HealthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// OperationState is status.operationState: the last (or running) sync.
type OperationState struct {
	Phase   string `json:"phase"` // Running, Succeeded, Failed, Error, Terminating
	Message string `json:"message,omitempty"`
	// RetryCount counts the retries of a refused sync: while one is
	// pending, Phase is Running and Message ends "Retrying attempt #N at
	// T." (Argo CD's controller); when it gives up, Failed "(retried N
	// times)".
	RetryCount int64       `json:"retryCount,omitempty"`
	StartedAt  *time.Time  `json:"startedAt,omitempty"`
	FinishedAt *time.Time  `json:"finishedAt,omitempty"`
	SyncResult *SyncResult `json:"syncResult,omitempty"`
	Operation  *struct {
		Sync *struct {
			Revision  string   `json:"revision,omitempty"`
			Revisions []string `json:"revisions,omitempty"`
		} `json:"sync,omitempty"`
	} `json:"operation,omitempty"`
}

// SyncResult is status.operationState.syncResult.
type SyncResult struct {
	Revision  string   `json:"revision,omitempty"`
	Revisions []string `json:"revisions,omitempty"`
}

// Condition is one of status.conditions.
type Condition struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// All returns the revisions status.sync compares against.
func (s SyncStatus) All() []string {
	if s.Revision != "" {
		return append([]string{s.Revision}, s.Revisions...)
	}
	return s.Revisions
}

// OperationRevisions returns the revisions the operation synced or is
// syncing, as far as the state says.
func (o *OperationState) OperationRevisions() []string {
	if o == nil {
		return nil
	}
	var out []string
	if r := o.SyncResult; r != nil {
		if r.Revision != "" {
			out = append(out, r.Revision)
		}
		out = append(out, r.Revisions...)
	}
	if op := o.Operation; op != nil && op.Sync != nil {
		if op.Sync.Revision != "" {
			out = append(out, op.Sync.Revision)
		}
		out = append(out, op.Sync.Revisions...)
	}
	return out
}
