package argocd

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	autoscaling "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	metricsclient "k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"
)

// nodeName is the one node of the cluster.
const nodeName = "node-1"

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }

// runKubelet stands in for the scheduler and the kubelet, which do not run
// here: every pod is bound to the node, then reported Running and Ready
// with its containers started; a pod being deleted is removed at once (no
// kubelet is there to confirm it stopped). It polls until ctx ends.
func runKubelet(ctx context.Context, cs kubernetes.Interface) {
	for ctx.Err() == nil {
		pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err == nil {
			for i := range pods.Items {
				tend(ctx, cs, &pods.Items[i])
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tend moves one pod on, as the scheduler and the kubelet would.
func tend(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod) {
	pods := cs.CoreV1().Pods(p.Namespace)
	switch {
	case p.DeletionTimestamp != nil:
		zero := int64(0)
		_ = pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	case p.Spec.NodeName == "":
		_ = pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
			Target: corev1.ObjectReference{Kind: "Node", Name: nodeName}}, metav1.CreateOptions{})
	case !ready(p):
		now := metav1.Now()
		p.Status.Phase = corev1.PodRunning
		p.Status.StartTime = &now
		p.Status.Conditions = nil
		for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: now})
		}
		p.Status.ContainerStatuses = nil
		started := true
		for _, c := range p.Spec.Containers {
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true, Started: &started,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
		}
		_, _ = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
	}
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podMetrics is the HPA controller's metrics source: each Ready pod uses
// 100m of CPU (or what cpu says) and 100Mi of memory per container from metricsDelay after it
// started (metrics-server has nothing before its first scrape); with no
// pod measured it answers as the resource metrics client does.
type podMetrics struct {
	pods corelisters.PodLister
	// cpu is each container's CPU use in millicores (0: 100m).
	cpu atomic.Int64
}

var errNotServed = errors.New("only resource metrics are served here")

func (m *podMetrics) GetResourceMetric(_ context.Context, res corev1.ResourceName, ns string, sel labels.Selector, container string) (metricsclient.PodMetricsInfo, time.Time, error) {
	pods, err := m.pods.Pods(ns).List(sel)
	if err != nil {
		return nil, time.Time{}, err
	}
	per := int64(100) // millicores
	if c := m.cpu.Load(); c > 0 {
		per = c
	}
	if res == corev1.ResourceMemory {
		per = 100 << 20 * 1000 // 100Mi, in milli-units
	}
	now := time.Now()
	out := metricsclient.PodMetricsInfo{}
	for _, p := range pods {
		if !ready(p) || p.Status.StartTime == nil || now.Sub(p.Status.StartTime.Time) < metricsDelay {
			continue
		}
		n := int64(len(p.Spec.Containers))
		if container != "" {
			n = 1
		}
		out[p.Name] = metricsclient.PodMetric{Timestamp: now, Window: 30 * time.Second, Value: per * n}
	}
	if len(out) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from resource metrics API")
	}
	return out, now, nil
}

func (m *podMetrics) GetRawMetric(string, string, labels.Selector, labels.Selector) (metricsclient.PodMetricsInfo, time.Time, error) {
	return nil, time.Time{}, errNotServed
}

func (m *podMetrics) GetObjectMetric(string, string, *autoscaling.CrossVersionObjectReference, labels.Selector) (int64, time.Time, error) {
	return 0, time.Time{}, errNotServed
}

func (m *podMetrics) GetExternalMetric(string, string, labels.Selector) ([]int64, time.Time, error) {
	return nil, time.Time{}, errNotServed
}
