package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/scale"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	metricsclient "k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"
	"sigs.k8s.io/yaml"
)

// hpaControllerAgreesWithPlan drives Kubernetes' own HPA controller
// (pkg/controller/podautoscaler, the code kube-controller-manager runs) in
// this process, on fake time (testing/synctest: the controller reads
// time.Now, which the bubble fakes), against the HPA and pods phasegen
// builds for each autoscaling phase of the shipped example: the target
// runs steadily at minReplicas, then demand jumps beyond maxReplicas (1.2
// times its worth of CPU: at exactly maxReplicas' worth the controller's
// 10% tolerance stops it short, at 28 of 30, which the simulation,
// fed pods rather than utilization, does not model). The seconds from the first sync after the jump until the scale
// reaches maxReplicas must be what `phasegen plan` reports as secondsToMax
// (internal/autoscaler's simulation). The HPA is the one the API server
// stores (created in the test server, so that its defaults are filled in
// as the controller reads them). New pods are ready at once and report the
// demand's share of CPU at their first sync (the simulation's assumption).
func hpaControllerAgreesWithPlan(t *testing.T, c *cluster, bin string) {
	out, errs, code := run(t, bin, repoRoot, "plan", "-o", "json")
	if code != 0 {
		t.Fatalf("phasegen plan: exit %d\n%s", code, errs)
	}
	var plan struct {
		Phases []struct {
			Name     string `json:"name"`
			Replicas struct{ Min, Max int32 }
			Scaling  *struct {
				SecondsToMax int `json:"secondsToMax"`
			} `json:"scaling"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range plan.Phases {
		if p.Scaling == nil {
			continue
		}
		n++
		hpa, pod := hpaAndPod(t, build(t, bin, repoRoot, "production", p.Name))
		hpa = stored(t, c, hpa, "hpa-"+p.Name)
		var got time.Duration
		synctest.Test(t, func(t *testing.T) { got = reachMax(t, hpa, pod) })
		if want := time.Duration(p.Scaling.SecondsToMax) * time.Second; got != want {
			t.Errorf("%s (%d → %d): the HPA controller reaches maxReplicas %v after the jump, phasegen plan says %v",
				p.Name, *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, got, want)
		} else {
			t.Logf("%s (%d → %d): the HPA controller and phasegen plan both take %v", p.Name, *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, got)
		}
	}
	if n == 0 {
		t.Fatal("no autoscaling phase in the example")
	}
}

// stored creates hpa in namespace ns of the test server and returns it as
// the server stores it, defaults filled in.
func stored(t *testing.T, c *cluster, hpa *autoscalingv2.HorizontalPodAutoscaler, ns string) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	c.namespace(t, ns)
	hpa = hpa.DeepCopy()
	hpa.Namespace = ns
	got, err := c.cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the HPA: %v", err)
	}
	return got
}

// hpaAndPod returns the HorizontalPodAutoscaler and the StatefulSet's pod
// template of a build.
func hpaAndPod(t *testing.T, objs []*unstructured.Unstructured) (*autoscalingv2.HorizontalPodAutoscaler, corev1.PodTemplateSpec) {
	t.Helper()
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	var sts *appsv1.StatefulSet
	for _, o := range objs {
		data, err := o.MarshalJSON()
		must(t, err)
		switch o.GetKind() {
		case "HorizontalPodAutoscaler":
			hpa = &autoscalingv2.HorizontalPodAutoscaler{}
			must(t, yaml.Unmarshal(data, hpa))
		case "StatefulSet":
			sts = &appsv1.StatefulSet{}
			must(t, yaml.Unmarshal(data, sts))
		}
	}
	if hpa == nil || sts == nil {
		t.Fatal("the build has no HPA or no StatefulSet")
	}
	return hpa, sts.Spec.Template
}

// target is the scale target: its replicas, and pods made or removed as
// they change, as the StatefulSet controller would (ready at once).
type target struct {
	mu       sync.Mutex
	cs       *fake.Clientset
	ns, name string
	selector string
	template corev1.PodTemplateSpec
	replicas int32
	reached  time.Time // when replicas first reached goal
	goal     int32
}

func (s *target) Scales(string) scale.ScaleInterface { return s }

func (s *target) Get(ctx context.Context, _ schema.GroupResource, name string, _ metav1.GetOptions) (*autoscalingv1.Scale, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns},
		Spec: autoscalingv1.ScaleSpec{Replicas: s.replicas}, Status: autoscalingv1.ScaleStatus{Replicas: s.replicas, Selector: s.selector}}, nil
}

func (s *target) Update(ctx context.Context, _ schema.GroupResource, sc *autoscalingv1.Scale, _ metav1.UpdateOptions) (*autoscalingv1.Scale, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.resize(ctx, sc.Spec.Replicas); err != nil {
		return nil, err
	}
	return sc, nil
}

func (s *target) Patch(context.Context, schema.GroupVersionResource, string, types.PatchType, []byte, metav1.PatchOptions) (*autoscalingv1.Scale, error) {
	return nil, fmt.Errorf("patch not supported")
}

// resize makes pods <name>-<i> for i < n, ready and started an hour ago,
// and removes the others.
func (s *target) resize(ctx context.Context, n int32) error {
	long := metav1.NewTime(time.Now().Add(-time.Hour))
	for i := s.replicas; i < n; i++ {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", s.name, i), Namespace: s.ns, Labels: s.template.Labels},
			Spec: s.template.Spec,
			Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &long,
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: long}}}}
		if _, err := s.cs.CoreV1().Pods(s.ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for i := n; i < s.replicas; i++ {
		if err := s.cs.CoreV1().Pods(s.ns).Delete(ctx, fmt.Sprintf("%s-%d", s.name, i), metav1.DeleteOptions{}); err != nil {
			return err
		}
	}
	s.replicas = n
	if s.goal > 0 && n >= s.goal && s.reached.IsZero() {
		s.reached = time.Now()
	}
	return nil
}

// demand is a metrics client whose pods together use demand pods' worth
// of CPU at the HPA's target utilization (memory at a tenth of its
// target), shared evenly; it records when the controller asks.
type demand struct {
	mu      sync.Mutex
	cs      *fake.Clientset
	ns      string
	pods    int32
	cpuPct  int32
	memPct  int32
	asked   []time.Time
	request corev1.ResourceList
}

func (d *demand) GetResourceMetric(ctx context.Context, res corev1.ResourceName, ns string, sel labels.Selector, _ string) (metricsclient.PodMetricsInfo, time.Time, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if res == corev1.ResourceCPU {
		d.asked = append(d.asked, now)
	}
	list, err := d.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, time.Time{}, err
	}
	per := int64(0)
	if cur := int64(len(list.Items)); cur > 0 {
		req := d.request[res]
		switch res {
		case corev1.ResourceCPU: // milli-cores: demand × target × request, over the pods
			per = int64(d.pods) * int64(d.cpuPct) * req.MilliValue() / 100 / cur
		default: // a tenth of the target, so that CPU decides
			per = int64(d.memPct) * req.MilliValue() / 1000 / 100
		}
	}
	out := metricsclient.PodMetricsInfo{}
	for _, p := range list.Items {
		out[p.Name] = metricsclient.PodMetric{Timestamp: now, Window: 30 * time.Second, Value: per}
	}
	return out, now, nil
}

func (d *demand) GetRawMetric(string, string, labels.Selector, labels.Selector) (metricsclient.PodMetricsInfo, time.Time, error) {
	return nil, time.Time{}, fmt.Errorf("no custom metrics")
}

func (d *demand) GetObjectMetric(string, string, *autoscalingv2.CrossVersionObjectReference, labels.Selector) (int64, time.Time, error) {
	return 0, time.Time{}, fmt.Errorf("no object metrics")
}

func (d *demand) GetExternalMetric(string, string, labels.Selector) ([]int64, time.Time, error) {
	return nil, time.Time{}, fmt.Errorf("no external metrics")
}

// reachMax runs the controller in a synctest bubble: the target steadily at
// minReplicas for five minutes (longer than any stabilization window), then
// demand beyond maxReplicas; it returns the time from the controller's first
// sync after the jump until the scale reaches maxReplicas.
func reachMax(t *testing.T, hpa *autoscalingv2.HorizontalPodAutoscaler, pod corev1.PodTemplateSpec) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := fake.NewClientset(hpa.DeepCopy())
	low, high := *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas
	tg := &target{cs: cs, ns: hpa.Namespace, name: hpa.Spec.ScaleTargetRef.Name, template: pod,
		selector: labels.SelectorFromSet(pod.Labels).String()}
	must(t, tg.resize(ctx, low))
	d := &demand{cs: cs, ns: hpa.Namespace, pods: low, request: podRequests(pod)}
	for _, m := range hpa.Spec.Metrics {
		if m.Resource != nil && m.Resource.Target.AverageUtilization != nil {
			switch m.Resource.Name {
			case corev1.ResourceCPU:
				d.cpuPct = *m.Resource.Target.AverageUtilization
			case corev1.ResourceMemory:
				d.memPct = *m.Resource.Target.AverageUtilization
			}
		}
	}
	if d.cpuPct == 0 {
		t.Fatal("the HPA has no CPU utilization target")
	}
	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{appsv1.SchemeGroupVersion})
	mapper.Add(appsv1.SchemeGroupVersion.WithKind(hpa.Spec.ScaleTargetRef.Kind), meta.RESTScopeNamespace)
	factory := informers.NewSharedInformerFactory(cs, 0)
	// kube-controller-manager's defaults: sync 15 s, scale-down window 5 m,
	// tolerance 0.1, CPU initialization 5 m, readiness delay 30 s.
	ctrl := podautoscaler.NewHorizontalController(ctx, cs.CoreV1(), tg, cs.AutoscalingV2(), mapper, d,
		factory.Autoscaling().V2().HorizontalPodAutoscalers(), factory.Core().V1().Pods(),
		15*time.Second, 5*time.Minute, 0.1, 5*time.Minute, 30*time.Second)
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		ctrl.Run(ctx, 1)
		close(done)
	}()

	time.Sleep(5 * time.Minute)
	d.mu.Lock()
	d.pods = high + high/5
	jump := time.Now()
	d.mu.Unlock()
	tg.mu.Lock()
	tg.goal = high
	tg.mu.Unlock()
	for deadline := jump.Add(time.Hour); time.Now().Before(deadline); {
		time.Sleep(time.Second)
		tg.mu.Lock()
		reached := tg.reached
		tg.mu.Unlock()
		if !reached.IsZero() {
			break
		}
	}
	cancel()
	<-done
	factory.Shutdown()

	tg.mu.Lock()
	reached := tg.reached
	tg.mu.Unlock()
	if reached.IsZero() {
		t.Fatalf("the controller did not reach %d replicas within an hour (at %d)", high, tg.replicas)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, at := range d.asked {
		if !at.Before(jump) {
			return reached.Sub(at)
		}
	}
	t.Fatal("no sync after the jump")
	return 0
}

// podRequests sums the pod's containers' requests, as the controller does
// for a Resource metric.
func podRequests(pod corev1.PodTemplateSpec) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		for name, q := range c.Resources.Requests {
			sum := out[name]
			sum.Add(q)
			out[name] = sum
		}
	}
	return out
}
