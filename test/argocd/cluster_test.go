package argocd

import (
	"context"
	"path"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/controller-manager/pkg/informerfactory"
	kubeapiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
	"k8s.io/kubernetes/pkg/controller/deployment"
	"k8s.io/kubernetes/pkg/controller/disruption"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	"k8s.io/kubernetes/pkg/controller/replicaset"
	"k8s.io/kubernetes/pkg/controller/statefulset"
)

// cluster is a kube-apiserver over embedded etcd with the controllers a
// phase change needs (StatefulSet, ReplicaSet, Deployment, HPA, disruption)
// and the garbage collector (a pruned workload's pods, a deleted
// Application's foreground cascade) running in the test binary, a node whose pods a small kubelet stand-in makes Ready,
// and a metrics source for the HPA. Everything stops when the test ends.
type cluster struct {
	cfg        *rest.Config
	cs         kubernetes.Interface
	kubeconfig string // for Argo CD's processes, namespace argocd
	metrics    *podMetrics
}

// metricsDelay is how long a new pod has no metrics, as metrics-server
// has none until its first scrape.
const metricsDelay = 10 * time.Second

func startCluster(t *testing.T) *cluster {
	t.Helper()
	etcd := testserver.NewTestConfig(t)
	testserver.RunEtcd(t, etcd)
	storage := storagebackend.NewDefaultConfig(path.Join("phasegen-argocd", "registry"), nil)
	storage.Transport.ServerList = []string{etcd.ListenClientUrls[0].String()}
	srv := kubeapiservertesting.StartTestServerOrDie(t, nil, []string{
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount",
	}, storage)
	t.Cleanup(srv.TearDownFn)
	cfg := rest.CopyConfig(srv.ClientConfig)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{cfg: cfg, cs: cs, kubeconfig: filepath.Join(t.TempDir(), "kubeconfig"), metrics: &podMetrics{}}
	if err := writeKubeconfig(cfg, c.kubeconfig); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := c.runControllers(ctx); err != nil {
		t.Fatal(err)
	}
	c.node(t)
	go runKubelet(ctx, cs)
	return c
}

// writeKubeconfig writes cfg as a kubeconfig whose context's namespace is
// argocd (where Argo CD's components look for their configuration).
func writeKubeconfig(cfg *rest.Config, file string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, TLSServerName: cfg.ServerName}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken, ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test", Namespace: "argocd"}
	kc.CurrentContext = "test"
	return clientcmd.WriteToFile(*kc, file)
}

// runControllers starts Kubernetes' own StatefulSet, ReplicaSet,
// Deployment, HPA and disruption (PodDisruptionBudget status) controllers
// against the cluster.
func (c *cluster) runControllers(ctx context.Context) error {
	f := informers.NewSharedInformerFactory(c.cs, 0)
	ssc := statefulset.NewStatefulSetController(ctx, f.Core().V1().Pods(), f.Apps().V1().StatefulSets(),
		f.Core().V1().PersistentVolumeClaims(), f.Apps().V1().ControllerRevisions(), c.cs)
	rsc := replicaset.NewReplicaSetController(ctx, f.Apps().V1().ReplicaSets(), f.Core().V1().Pods(), c.cs, replicaset.BurstReplicas)
	dc, err := deployment.NewDeploymentController(ctx, f.Apps().V1().Deployments(), f.Apps().V1().ReplicaSets(), f.Core().V1().Pods(), c.cs)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.cs.Discovery()))
	scales, err := scale.NewForConfig(c.cfg, mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(c.cs.Discovery()))
	if err != nil {
		return err
	}
	pods := f.Core().V1().Pods()
	c.metrics.pods = pods.Lister()
	pdb := disruption.NewDisruptionController(ctx, pods, f.Policy().V1().PodDisruptionBudgets(), f.Core().V1().ReplicationControllers(),
		f.Apps().V1().ReplicaSets(), f.Apps().V1().Deployments(), f.Apps().V1().StatefulSets(), c.cs, mapper, scales, c.cs.Discovery())
	hpa := podautoscaler.NewHorizontalController(ctx, c.cs.CoreV1(), scales, c.cs.AutoscalingV2(), mapper,
		c.metrics, f.Autoscaling().V2().HorizontalPodAutoscalers(), pods,
		5*time.Second, 5*time.Minute, 0.1, time.Second, time.Second)
	gc, err := c.garbageCollector(ctx, f, mapper)
	if err != nil {
		return err
	}
	f.Start(ctx.Done())
	go ssc.Run(ctx, 2)
	go rsc.Run(ctx, 2)
	go dc.Run(ctx, 2)
	go hpa.Run(ctx, 2)
	go pdb.Run(ctx, 1)
	go gc.Run(ctx, 2, gcSync)
	go gc.Sync(ctx, c.cs.Discovery(), gcSync)
	return nil
}

// gcSync is how often the garbage collector rereads the API's resources
// (Argo CD's CRDs come after it starts).
const gcSync = 5 * time.Second

// garbageCollector is Kubernetes' garbage collector over the cluster's
// informers and a metadata informer for every other resource.
func (c *cluster) garbageCollector(ctx context.Context, f informers.SharedInformerFactory, mapper *restmapper.DeferredDiscoveryRESTMapper) (*garbagecollector.GarbageCollector, error) {
	md, err := metadata.NewForConfig(c.cfg)
	if err != nil {
		return nil, err
	}
	started := make(chan struct{})
	close(started)
	go func() {
		// The mapper learns resources added after it started.
		t := time.NewTicker(gcSync)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				mapper.Reset()
			}
		}
	}()
	return garbagecollector.NewGarbageCollector(ctx, c.cs, md, mapper, garbagecollector.DefaultIgnoredResources(),
		informerfactory.NewInformerFactory(f, metadatainformer.NewSharedInformerFactory(md, 0)), started)
}

// node registers the one node pods are bound to.
func (c *cluster) node(t *testing.T) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
	created, err := c.cs.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status = corev1.NodeStatus{
		Capacity:    corev1.ResourceList{corev1.ResourceCPU: mustQuantity("64"), corev1.ResourceMemory: mustQuantity("256Gi"), corev1.ResourcePods: mustQuantity("500")},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: mustQuantity("64"), corev1.ResourceMemory: mustQuantity("256Gi"), corev1.ResourcePods: mustQuantity("500")},
		Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}},
	}
	if _, err := c.cs.CoreV1().Nodes().UpdateStatus(context.Background(), created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// namespace creates ns unless it exists.
func (c *cluster) namespace(t *testing.T, ns string) {
	t.Helper()
	_, err := c.cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("namespace %s: %v", ns, err)
	}
}

// statefulSet reads a StatefulSet.
func (c *cluster) statefulSet(t *testing.T, ns, name string) *appsv1.StatefulSet {
	t.Helper()
	s, err := c.cs.AppsV1().StatefulSets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("StatefulSet %s/%s: %v", ns, name, err)
	}
	return s
}
