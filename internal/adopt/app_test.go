package adopt

import (
	"errors"
	"strings"
	"testing"
)

// TestInitNamesTheApp: the app is named by --app, else by the one
// app.kubernetes.io/part-of label every workload carries, else after its
// one workload; never after the namespace, and init asks when it cannot
// tell.
func TestInitNamesTheApp(t *testing.T) {
	worker := strings.NewReplacer("name: api,", "name: worker,", "app: api", "app: worker").Replace(api)
	labelled := func(doc, v string) string {
		return strings.Replace(doc, "namespace: shop}", "namespace: shop, labels: {app.kubernetes.io/part-of: "+v+"}}", 1)
	}
	capName := func(r *Result) string {
		c := string(r.Files["environments/capacity.yaml"])
		_, rest, _ := strings.Cut(c, "metadata:\n  name: ")
		name, _, _ := strings.Cut(rest, " ")
		return strings.TrimSpace(name)
	}
	for _, c := range []struct {
		name, in, app, want string
	}{
		{"given", api + "---\n" + worker, "storefront", "storefront"},
		{"one part-of label", labelled(api, "shop-app") + "---\n" + labelled(worker, "shop-app"), "", "shop-app"},
		{"one workload", api, "", "api"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := generate(t, Options{App: c.app, From: []string{writeInputs(t, map[string]string{"a.yaml": c.in})}})
			if got := capName(r); got != c.want {
				t.Errorf("app %q, want %q", got, c.want)
			}
			env := string(r.Files["environments/production.yaml"])
			if !strings.Contains(env, "path: apps/"+c.want+" ") {
				t.Errorf("environment's gitops.path is not apps/%s:\n%s", c.want, env)
			}
		})
	}
	for _, c := range []struct{ name, in string }{
		{"two workloads, no label", api + "---\n" + worker},
		{"two labels", labelled(api, "a") + "---\n" + labelled(worker, "b")},
		{"one labelled, one not", labelled(api, "a") + "---\n" + worker},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Generate(Options{From: []string{writeInputs(t, map[string]string{"a.yaml": c.in})}})
			if !errors.Is(err, ErrAppName) || !strings.Contains(err.Error(), "api, worker") {
				t.Errorf("err = %v, want ErrAppName naming the workloads", err)
			}
		})
	}
	if _, err := Generate(Options{App: "Shop_App", From: []string{writeInputs(t, map[string]string{"a.yaml": api})}}); err == nil || !strings.Contains(err.Error(), `app name "Shop_App" is not a DNS-1123 label`) {
		t.Errorf("a bad app name: %v", err)
	}
}
