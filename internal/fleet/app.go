package fleet

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/coditect/phasegen/internal/config"
)

// WriteApp lays out a fleet of n environments of the example app under
// example (its environments/ and templates/base/, such as examples/store):
// dir/environments holds the example's capacity model and phases and n
// Environments without spec.workload (each runs the whole base), environment
// i at phase i mod phases in namespace ns-<i>; dir/templates/base is the
// example's base.
func WriteApp(dir, example string, n int) error { return writeApp(dir, example, n, "ns") }

// AppName returns the name of the i-th app (0-based) of WriteApps: app-001, …
func AppName(i int) string { return fmt.Sprintf("app-%03d", i+1) }

// AppsDir is the folder of a config repository's apps (WriteApps).
const AppsDir = "apps"

// WriteApps lays out a config repository of apps apps under dir, each
// dir/apps/<AppName(i)> a fleet of envs environments as WriteApp writes
// one, of examples[i mod len(examples)] renamed AppName(i) (its
// CapacityModel's metadata.name), its namespaces <app>-<n>.
func WriteApps(dir string, examples []string, apps, envs int) error {
	for i := 0; i < apps; i++ {
		name := AppName(i)
		appDir := filepath.Join(dir, AppsDir, name)
		if err := writeApp(appDir, examples[i%len(examples)], envs, name); err != nil {
			return err
		}
		capFile := filepath.Join(appDir, ConfigDir, "capacity.yaml")
		shipped, err := config.Load(filepath.Join(appDir, ConfigDir))
		if err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		data, err := os.ReadFile(capFile)
		if err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		old := "\n  name: " + shipped.Capacity.Metadata.Name + "\n"
		if !strings.Contains(string(data), old) {
			return fmt.Errorf("fleet: %s: no line %q to rename", capFile, strings.TrimSpace(old))
		}
		renamed := strings.Replace(string(data), old, "\n  name: "+name+"\n", 1)
		if err := os.WriteFile(capFile, []byte(renamed), 0o644); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
	}
	return nil
}

// writeApp is WriteApp with namespaces <nsPrefix>-<n>.
func writeApp(dir, example string, n int, nsPrefix string) error {
	if n < 1 {
		return fmt.Errorf("fleet: need at least one environment, not %d", n)
	}
	src := filepath.Join(example, "environments")
	shipped, err := config.Load(src)
	if err != nil {
		return fmt.Errorf("fleet: loading %s: %w", src, err)
	}
	phasesDir := filepath.Join(dir, ConfigDir, "phases")
	if err := os.MkdirAll(phasesDir, 0o755); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	if err := copyFile(filepath.Join(src, "capacity.yaml"), filepath.Join(dir, ConfigDir, "capacity.yaml")); err != nil {
		return err
	}
	for _, p := range shipped.Phases {
		if err := copyFile(p.Source.File, filepath.Join(phasesDir, filepath.Base(p.Source.File))); err != nil {
			return err
		}
	}
	for i := 0; i < n; i++ {
		name := Name(i)
		doc := strings.Replace(environment(name, fmt.Sprintf("%s-%05d", nsPrefix, i+1), shipped.Phases[i%len(shipped.Phases)].Metadata.Name),
			"  workload: coditect-combined\n", "", 1)
		if err := os.WriteFile(filepath.Join(dir, ConfigDir, name+".yaml"), []byte(doc), 0o644); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
	}
	return copyBase(os.DirFS(filepath.Join(example, TemplatesDir)), filepath.Join(dir, TemplatesDir))
}

// copyBase copies base/*.yaml of src to dir/base.
func copyBase(src fs.FS, dir string) error {
	err := fs.WalkDir(src, "base", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("fleet: writing the templates base: %w", err)
	}
	return nil
}
