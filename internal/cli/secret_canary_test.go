package cli_test

import (
	"encoding/base64"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coditect/phasegen/internal/cli"
	"github.com/coditect/phasegen/internal/githubfake"
)

// A Secret's value, recognisable in every form it could travel in.
const (
	secretCanary    = "phasegen-SECRET-canary-0xDEADBEEF"
	secretCanaryNew = "phasegen-SECRET-rotated-0xFEEDFACE"
)

// secretLeak returns the form of a Secret canary that data holds, or "".
func secretLeak(data []byte) string {
	for _, v := range []string{secretCanary, secretCanaryNew} {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.StdEncoding.EncodeToString([]byte(v))[4:24]} {
			if strings.Contains(string(data), form) {
				return form
			}
		}
	}
	return ""
}

func secretYAML(value string) string {
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-credentials\ntype: Opaque\ndata:\n  password: " +
		base64.StdEncoding.EncodeToString([]byte(value)) + "\nstringData:\n  api-key: " + value + "\n"
}

// TestSecretValuesNeverShown: init leaves a Secret's value out of the
// base; a Secret kept in the base on purpose reaches the GitOps
// repository (that is how Argo CD deploys it), but its value shows in no
// output: build, diff, review (table, markdown, the job summary, the
// sticky comment) and the promotion's pull request body and stdout.
func TestSecretValuesNeverShown(t *testing.T) {
	sts, err := os.ReadFile(filepath.Join("..", "testdata", "example", "templates", "base", "statefulset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// A Secret kept in the base deliberately, its value rotated in the
	// working tree.
	dir, r := reviewRepo(t)
	put(t, filepath.Join(dir, "templates", "base", "secret.yaml"), []byte(secretYAML(secretCanary)))
	kust := filepath.Join(dir, "templates", "base", "kustomization.yaml")
	editFile(t, kust, "- service.yaml", "- service.yaml\n- secret.yaml")
	commitAll(t, r, "a Secret in the base")
	put(t, filepath.Join(dir, "templates", "base", "secret.yaml"), []byte(secretYAML(secretCanaryNew)))

	fake, env := reviewFake(t)
	summary := filepath.Join(t.TempDir(), "summary.md")
	for _, args := range [][]string{
		{"build", "production"},
		{"diff", "production", "--to", "beta"},
		{"review"},
		{"review", "-o", "markdown", "--summary-file", summary, "--comment=1"},
	} {
		code, stdout, stderr := runCLI(t, env, args...)
		if code != cli.ExitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
		if f := secretLeak([]byte(stdout + stderr)); f != "" {
			t.Errorf("%v shows the Secret's value (%q):\n%s", args, f, stdout)
		}
	}
	code, stdout, stderr := runCLI(t, env, "review", "-o", "markdown")
	if code != cli.ExitOK || !strings.Contains(stdout, "secret value hidden") {
		t.Errorf("review says nothing of the changed Secret:\n%s", stdout)
	}
	for _, c := range fake.Comments(1) {
		if f := secretLeak([]byte(c.Body)); f != "" {
			t.Errorf("the review comment shows the Secret's value (%q)", f)
		}
	}
	if b, err := os.ReadFile(summary); err != nil || secretLeak(b) != "" {
		t.Errorf("the job summary shows the Secret's value (%v)", err)
	}

	// The promotion into GitHub: its pull request body.
	gitops, err := githubfake.New(githubfake.Options{Owner: "coditect", Repo: "argocd-apps", Token: canaryToken})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(gitops)
	t.Cleanup(ts.Close)
	srv := ts.URL
	if _, err := gitops.Seed(map[string][]byte{"README.md": []byte("apps\n")}); err != nil {
		t.Fatal(err)
	}
	env["GITHUB_API_URL"] = srv + "/api/v3/"
	code, stdout, stderr = runCLI(t, env, "promote", "beta-a", "--to", "beta", "--allow-skip", "--repo", "coditect/argocd-apps")
	if code != cli.ExitOK {
		t.Fatalf("promote: exit %d\n%s%s", code, stdout, stderr)
	}
	if f := secretLeak([]byte(stdout + stderr)); f != "" {
		t.Errorf("promote shows the Secret's value (%q)", f)
	}
	prs := gitops.PullRequests()
	if len(prs) != 1 || !strings.Contains(prs[0].Body, "secret value hidden") {
		t.Fatalf("pull requests %+v", prs)
	}
	if f := secretLeak([]byte(prs[0].Title + prs[0].Body)); f != "" {
		t.Errorf("the pull request shows the Secret's value (%q)", f)
	}

	// init: the Secret is said and left out.
	in := t.TempDir()
	put(t, filepath.Join(in, "secret.yaml"), []byte(secretYAML(secretCanary)))
	put(t, filepath.Join(in, "statefulset.yaml"), sts)
	out := t.TempDir()
	t.Chdir(out)
	code, stdout, stderr = runCLI(t, nil, "init", "--from", in, "--namespace", "coditect-app")
	if code != cli.ExitOK || !strings.Contains(stdout+stderr, "app-credentials") {
		t.Fatalf("init: exit %d, not naming the Secret it left out:\n%s%s", code, stdout, stderr)
	}
	checkTree(t, out, "init")

}

// checkTree fails when a file under root holds a Secret canary.
func checkTree(t *testing.T, root, what string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if f := secretLeak(b); f != "" {
			t.Errorf("%s wrote the Secret's value (%q) into %s", what, f, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
