package overlay_test

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
	"github.com/coditect/phasegen/internal/fleet"
	"github.com/coditect/phasegen/internal/overlay"
)

func sameFiles(t *testing.T, what string, got, want fileset.Set) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d files, want %d (%v vs %v)", what, len(got), len(want), got.Paths(), want.Paths())
	}
	for p, w := range want {
		if g, ok := got[p]; !ok || !bytes.Equal(g, w) {
			t.Errorf("%s: %s differs from Render's", what, p)
		}
	}
}

// A Renderer, used concurrently for every environment at every phase,
// gives exactly Render's files; Overlay is the same without the Argo CD
// Application; RenderAll is the union of Render's.
func TestRendererMatchesRender(t *testing.T) {
	dir := t.TempDir()
	if err := fleet.Write(dir, filepath.Join("..", "testdata", "example", "environments"), 10); err != nil {
		t.Fatal(err)
	}
	cfg, b := load(t, filepath.Join(dir, fleet.ConfigDir))
	r := overlay.NewRenderer(cfg, b)
	union := fileset.Set{}
	var wg sync.WaitGroup
	for _, env := range cfg.Environments {
		for _, ph := range cfg.Phases {
			want := render(t, cfg, b, env.Metadata.Name, ph.Metadata.Name)
			if ph.Metadata.Name == env.Spec.Phase {
				for p, data := range want {
					union[p] = data
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := r.Render(env, ph)
				if err != nil {
					t.Error(err)
					return
				}
				sameFiles(t, "Renderer.Render "+env.Metadata.Name+"@"+ph.Metadata.Name, got, want)
				got, err = r.Overlay(env, ph)
				if err != nil {
					t.Error(err)
					return
				}
				delete(want, overlay.ApplicationPath(env.Metadata.Name))
				sameFiles(t, "Renderer.Overlay "+env.Metadata.Name+"@"+ph.Metadata.Name, got, want)
			}()
		}
	}
	wg.Wait()
	all, err := overlay.RenderAll(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "RenderAll", all, union)
}
