package argocd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// healthLog records, from a watch on Argo CD's Applications, every change
// of an Application's health, and when phasegen wait said each one had
// landed: what the default --healthy-for rests on. A spell is the time an
// Application spent out of Healthy after a wait had returned for it,
// before it was promoted again.
type healthLog struct {
	mu      sync.Mutex
	changes map[string][]healthChange // by Application
	landed  map[string]time.Time      // the last wait's return, until the next promotion
	expect  map[string]bool           // the test scales the workload on purpose
	load    bool                      // every pod is loaded: HPAs scale
	spells  []spell
	waits   int
}

type healthChange struct {
	at     time.Time
	health string
}

type spell struct {
	app, health string
	after       time.Duration // from wait's return to the spell
	lasted      time.Duration
	expected    bool // while the test loads the pods on purpose
}

// watchHealth starts the log; it stops with the test.
func (s *stack) watchHealth(t *testing.T) *healthLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := s.dyn.Resource(applications).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	h := &healthLog{changes: map[string][]healthChange{}, landed: map[string]time.Time{}, expect: map[string]bool{}}
	go func() {
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			health, _, _ := unstructured.NestedString(u.Object, "status", "health", "status")
			h.observe(keyOf(u), health, time.Now())
		}
	}()
	return h
}

func (h *healthLog) observe(app, health string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.changes[app]
	if len(cs) > 0 && cs[len(cs)-1].health == health {
		return
	}
	h.changes[app] = append(cs, healthChange{at, health})
}

// landedAt says wait returned for app: its spells count from now.
func (h *healthLog) landedAt(app string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.landed[app] = time.Now()
	h.expect[app] = h.load
	h.waits++
}

// underLoad says the test loads every pod from now on, so that HPAs
// scale: the spells of every Application that follow are expected.
func (h *healthLog) underLoad() {
	for _, app := range h.counting() {
		h.promoted(app)
		h.mu.Lock()
		h.landed[app], h.expect[app] = time.Now(), true
		h.mu.Unlock()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.load = true
}

// counting is the Applications whose count is open, in order.
func (h *healthLog) counting() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	apps := make([]string, 0, len(h.landed))
	for a := range h.landed {
		apps = append(apps, a)
	}
	sort.Strings(apps)
	return apps
}

// promoted closes app's count: what follows is the next promotion's.
func (h *healthLog) promoted(app string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	since, ok := h.landed[app]
	if !ok {
		return
	}
	expected := h.expect[app]
	delete(h.landed, app)
	delete(h.expect, app)
	var out *healthChange
	for _, c := range h.changes[app] {
		switch {
		case !c.at.After(since):
		case c.health != "Healthy" && out == nil:
			out = &c
		case c.health == "Healthy" && out != nil:
			h.spells = append(h.spells, spell{app, out.health, out.at.Sub(since), c.at.Sub(out.at), expected})
			out = nil
		}
	}
	if out != nil {
		h.spells = append(h.spells, spell{app, out.health, out.at.Sub(since), time.Since(out.at), expected})
	}
}

// report closes every count and says what was seen: how many waits, and
// each spell out of Healthy after one.
func (h *healthLog) report() (string, []spell) {
	for _, a := range h.counting() {
		h.promoted(a)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d waits returned; %d spells out of Healthy after one", h.waits, len(h.spells))
	var unexpected []spell
	for _, sp := range h.spells {
		fmt.Fprintf(&b, "\n  %s %s %s after, for %s (under load: %v)", sp.app, sp.health,
			sp.after.Round(100*time.Millisecond), sp.lasted.Round(100*time.Millisecond), sp.expected)
		if !sp.expected {
			unexpected = append(unexpected, sp)
		}
	}
	return b.String(), unexpected
}
