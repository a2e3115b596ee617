package argocdapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/coditect/phasegen/internal/secret"
)

// ManagedResource is one of an Application's managed resources as Argo
// CD's managed-resources endpoint lists it, with the live object's rollout
// state read from its liveState.
type ManagedResource struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// LiveState is the live object as JSON text ("null" when it does not
	// exist in the cluster).
	LiveState string `json:"liveState,omitempty"`
}

// Rollout is what a Deployment's or StatefulSet's live object says of its
// rollout.
type Rollout struct {
	// Exists: there is a live object.
	Exists             bool
	Generation         int64
	Replicas           *int32 // spec.replicas
	ObservedGeneration int64
	UpdatedReplicas    int32
	ReadyReplicas      int32
	AvailableReplicas  int32
	// CurrentRevision and UpdateRevision are a StatefulSet's.
	CurrentRevision, UpdateRevision string
}

// Rollout reads the live object's rollout state.
func (r ManagedResource) Rollout() (Rollout, error) {
	if r.LiveState == "" || r.LiveState == "null" {
		return Rollout{}, nil
	}
	var obj struct {
		Metadata struct {
			Generation int64 `json:"generation"`
		} `json:"metadata"`
		Spec struct {
			Replicas *int32 `json:"replicas"`
		} `json:"spec"`
		Status struct {
			ObservedGeneration int64  `json:"observedGeneration"`
			UpdatedReplicas    int32  `json:"updatedReplicas"`
			ReadyReplicas      int32  `json:"readyReplicas"`
			AvailableReplicas  int32  `json:"availableReplicas"`
			CurrentRevision    string `json:"currentRevision"`
			UpdateRevision     string `json:"updateRevision"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.LiveState), &obj); err != nil {
		return Rollout{}, fmt.Errorf("the live state of %s %s: %w", r.Kind, r.Name, err)
	}
	st := obj.Status
	return Rollout{Exists: true, Generation: obj.Metadata.Generation, Replicas: obj.Spec.Replicas,
		ObservedGeneration: st.ObservedGeneration, UpdatedReplicas: st.UpdatedReplicas, ReadyReplicas: st.ReadyReplicas,
		AvailableReplicas: st.AvailableReplicas, CurrentRevision: st.CurrentRevision, UpdateRevision: st.UpdateRevision}, nil
}

// ManagedResources lists an Application's managed resources of one API
// group ("apps": its Deployments and StatefulSets):
// GET /api/v1/applications/{name}/managed-resources?group=GROUP, one call
// whatever the number of resources (Argo CD filters on the group).
func (c *Client) ManagedResources(ctx context.Context, name, group string, q Query) ([]ManagedResource, error) {
	v := url.Values{}
	if group != "" {
		v.Set("group", group)
	}
	body, shown, err := c.get(ctx, "/api/v1/applications/"+url.PathEscape(name)+"/managed-resources", q, v)
	if err != nil {
		return nil, secret.Error(err, c.token)
	}
	var list struct {
		Items []ManagedResource `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("argo cd GET %s: not a list of managed resources: %w", shown, err)
	}
	for i := range list.Items {
		it := &list.Items[i]
		it.Kind, it.Name, it.Namespace = secret.Untrusted(it.Kind, c.token), secret.Untrusted(it.Name, c.token), secret.Untrusted(it.Namespace, c.token)
	}
	return list.Items, nil
}
