package base

// FileObject is one object of the base or of a component: its kind, its
// name and the file that declares it.
type FileObject struct {
	APIVersion, Kind, Name, File string
}

// clusterScoped are the kinds Kubernetes and the common operators keep
// outside any namespace: an object of one is the cluster's, whatever
// namespace an overlay sets.
var clusterScoped = map[string]bool{
	"Namespace": true, "StorageClass": true, "PriorityClass": true, "RuntimeClass": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"PersistentVolume": true, "IngressClass": true, "CSIDriver": true, "VolumeSnapshotClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "APIService": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"ClusterIssuer": true, "ClusterSecretStore": true, "ClusterPolicy": true,
}

// ClusterScoped reports whether kind is one no namespace holds.
func ClusterScoped(kind string) bool { return clusterScoped[kind] }

// ClusterObjects are the base's cluster-scoped objects.
func (b *Base) ClusterObjects() []FileObject {
	var out []FileObject
	for _, o := range b.Objects {
		if ClusterScoped(o.Kind) {
			out = append(out, o)
		}
	}
	return out
}
