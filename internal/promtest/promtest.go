// Package promtest runs the real Prometheus server (Debian's prometheus
// package: /usr/bin/prometheus and promtool) over a generated history for
// tests: the history is written as OpenMetrics, backfilled with `promtool
// tsdb create-blocks-from openmetrics` into a temporary directory, and served
// on a free loopback port until Stop. One server is meant to be shared by a
// test binary (see Shared).
package promtest

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coditect/phasegen/internal/history"
)

// Server is a running Prometheus.
type Server struct {
	URL     string
	Dir     string
	cmd     *exec.Cmd
	done    chan error
	Elapsed struct{ Backfill, Start time.Duration }
}

// Binaries returns the paths of prometheus and promtool, or an error naming
// what is missing.
func Binaries() (prom, tool string, err error) {
	prom, perr := exec.LookPath("prometheus")
	tool, terr := exec.LookPath("promtool")
	if perr != nil || terr != nil {
		return "", "", errors.New("prometheus or promtool not found (Debian: apt-get install -y --no-install-recommends prometheus)")
	}
	return prom, tool, nil
}

// Start backfills h into a new directory under dir and starts Prometheus on it.
func Start(h *history.History, dir string) (*Server, error) {
	prom, tool, err := Binaries()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir}
	input := filepath.Join(dir, "history.om")
	t0 := time.Now()
	f, err := os.Create(input)
	if err != nil {
		return nil, err
	}
	werr := h.WriteOpenMetrics(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("writing %s: %w", input, werr)
	}
	data := filepath.Join(dir, "data")
	// Blocks as long as the history: promtool parses its input once per
	// block, and the default 2h blocks make that dozens of passes.
	span := h.End.Sub(earliest(h)) + 2*time.Hour
	maxBlock := fmt.Sprintf("--max-block-duration=%dh", int(span.Hours())+1)
	if out, err := exec.Command(tool, "tsdb", "create-blocks-from", "openmetrics", "-q", maxBlock, input, data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	os.Remove(input)
	s.Elapsed.Backfill = time.Since(t0)
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o644); err != nil {
		return nil, err
	}
	t1 := time.Now()
	if err := s.start(prom, data, cfg); err != nil {
		return nil, err
	}
	s.Elapsed.Start = time.Since(t1)
	return s, nil
}

func earliest(h *history.History) time.Time {
	t := h.End
	for _, s := range h.Series {
		if len(s.Samples) > 0 {
			if st := time.UnixMilli(s.Samples[0].T); st.Before(t) {
				t = st
			}
		}
	}
	return t
}

// listening is the line Prometheus logs with the address it bound.
var listening = regexp.MustCompile(`msg="Listening on" address=([0-9.]+:[0-9]+)`)

// start runs Prometheus on port 0, so the kernel picks a free port, and
// reads the port from its log.
func (s *Server) start(prom, data, cfg string) error {
	logFile := filepath.Join(s.Dir, "prometheus.log")
	log, err := os.Create(logFile)
	if err != nil {
		return err
	}
	cmd := exec.Command(prom, "--storage.tsdb.path="+data, "--storage.tsdb.retention.time=10y",
		"--web.listen-address=127.0.0.1:0", "--config.file="+cfg)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting prometheus: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); log.Close() }()
	url := ""
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("prometheus exited before it was ready (%v):\n%s", err, tail(logFile))
		default:
		}
		if url == "" {
			if b, err := os.ReadFile(logFile); err == nil {
				if m := listening.FindSubmatch(b); m != nil {
					url = "http://" + string(m[1])
				}
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		resp, err := client.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.URL, s.cmd, s.done = url, cmd, done
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-done
	return fmt.Errorf("prometheus was not ready within 30s:\n%s", tail(logFile))
}

func tail(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 20 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// Stop ends the server (SIGTERM, then SIGKILL after 5s).
func (s *Server) Stop() {
	if s == nil || s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Shared is one server per test binary, started by the first test that
// asks for it. TestMain calls Stop after the tests.
type Shared struct {
	Build func() *history.History
	once  sync.Once
	srv   *Server
	hist  *history.History
	err   error
	dir   string
}

// Start starts the server on first use and returns it and its history.
func (sh *Shared) Start() (*Server, *history.History, error) {
	sh.once.Do(func() {
		if _, _, err := Binaries(); err != nil {
			sh.err = err
			return
		}
		sh.dir, sh.err = os.MkdirTemp("", "phasegen-prometheus-")
		if sh.err != nil {
			return
		}
		sh.hist = sh.Build()
		sh.srv, sh.err = Start(sh.hist, sh.dir)
		if sh.err == nil {
			fmt.Fprintf(os.Stderr, "promtest: prometheus on %s (backfill %s, start %s)\n", sh.srv.URL,
				sh.srv.Elapsed.Backfill.Round(time.Millisecond), sh.srv.Elapsed.Start.Round(time.Millisecond))
		}
	})
	return sh.srv, sh.hist, sh.err
}

// Missing reports whether the binaries are absent and the test may skip
// (it may not under CI=true).
func Missing() (string, bool) {
	if _, _, err := Binaries(); err != nil && os.Getenv("CI") != "true" {
		return err.Error() + "; skipping the test against the real Prometheus", true
	}
	return "", false
}

// Get returns the running server and its history. Where prometheus is not
// installed the test is skipped, except under CI=true, where it fails.
func (sh *Shared) Get(t testing.TB) (*Server, *history.History) {
	t.Helper()
	sh.Start()
	if sh.err != nil {
		if msg, skip := Missing(); skip {
			t.Skip(msg)
		}
		if os.Getenv("CI") == "true" {
			t.Fatal(sh.err.Error() + "; CI=true, so this is a failure, not a skip")
		}
		t.Fatal(sh.err)
	}
	return sh.srv, sh.hist
}

// Stop stops the server if one was started and removes its directory.
func (sh *Shared) Stop() {
	sh.srv.Stop()
	if sh.dir != "" {
		os.RemoveAll(sh.dir)
	}
}
