package overlay_test

import (
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/config"
	"github.com/coditect/phasegen/internal/overlay"
)

// TestPrometheusRuleDisabled: spec.prometheusRule.enabled false leaves the
// PrometheusRule out of that environment's overlay and build, while another
// environment at the same phase, rendered by the same Renderer, keeps it.
func TestPrometheusRuleDisabled(t *testing.T) {
	cfg, b := shipped(t)
	prod, _ := cfg.Environment("production")
	staging, _ := cfg.Environment("staging")
	off := false
	prod.Spec.PrometheusRule = &config.PrometheusRule{Enabled: &off}
	p, _ := cfg.Phase("beta")
	r := overlay.NewRenderer(cfg, b)
	for _, c := range []struct {
		env   *config.Environment
		rules bool
	}{{staging, true}, {prod, false}, {staging, true}} {
		name := c.env.Metadata.Name
		files, err := r.Render(c.env, p)
		if err != nil {
			t.Fatal(err)
		}
		_, has := files["overlays/"+name+"/"+overlay.PrometheusRuleFile]
		k := string(files["overlays/"+name+"/kustomization.yaml"])
		_, built := docs(t, build(t, files, name))["PrometheusRule/coditect-combined-alerts"]
		if has != c.rules || strings.Contains(k, overlay.PrometheusRuleFile) != c.rules || built != c.rules {
			t.Errorf("%s: prometheusrule.yaml written %v, listed %v, built %v; want %v\n%s", name, has, strings.Contains(k, overlay.PrometheusRuleFile), built, c.rules, k)
		}
		if _, ok := files["overlays/"+name+"/"+overlay.PDBFile]; !ok {
			t.Errorf("%s: the PDB went with the PrometheusRule", name)
		}
	}
}
