package observe

import (
	"fmt"
	"io"
	"strings"
)

// EnvStatus is `phasegen status -o json` of an environment of several
// workloads: each workload's Status (the one-workload figures) and the
// environment's verdict.
type EnvStatus struct {
	Environment string           `json:"environment"`
	Phase       string           `json:"phase"`
	Window      string           `json:"window"`
	At          string           `json:"at"`
	Workloads   []WorkloadStatus `json:"workloads"`
	Verdict     Verdict          `json:"verdict"`
	Soak        *Soak            `json:"soak,omitempty"`
}

// WorkloadStatus is one workload's Status.
type WorkloadStatus struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	UserSized bool   `json:"-"`
	Status
}

// Combine is the environment's verdict from its workloads': promote when
// a user-sized workload's signals say so, oversized when one is, hold
// otherwise; every reason names its workload, and an imbalance of any
// workload stays among them.
func Combine(env, phase, window, at string, ws []WorkloadStatus) EnvStatus {
	out := EnvStatus{Environment: env, Phase: phase, Window: window, At: at, Workloads: ws}
	pick := func(status string, user bool) []WorkloadStatus {
		var out []WorkloadStatus
		for _, w := range ws {
			if w.Verdict.Status == status && (!user || w.UserSized) {
				out = append(out, w)
			}
		}
		return out
	}
	deciding := pick(VerdictPromote, true)
	out.Verdict.Status = VerdictPromote
	if len(deciding) == 0 {
		deciding, out.Verdict.Status = pick(VerdictOversized, false), VerdictOversized
	}
	if len(deciding) == 0 {
		deciding, out.Verdict.Status = ws, VerdictHold
	}
	out.Verdict.Command, out.Verdict.Next = deciding[0].Verdict.Command, deciding[0].Verdict.Next
	for _, w := range ws {
		for _, r := range w.Verdict.Reasons {
			if named(deciding, w.Name) || strings.HasPrefix(r, "The load is not balanced") {
				out.Verdict.Reasons = append(out.Verdict.Reasons, w.Name+": "+r)
			}
		}
	}
	return out
}

func named(ws []WorkloadStatus, name string) bool {
	for _, w := range ws {
		if w.Name == name {
			return true
		}
	}
	return false
}

// WithSoak adds the soak as Status.WithSoak does.
func (s *EnvStatus) WithSoak(soak *Soak, early string) {
	st := Status{Verdict: s.Verdict}
	st.WithSoak(soak, early)
	s.Soak, s.Verdict = st.Soak, st.Verdict
}

// WriteEnvStatusJSON prints the status as the documented JSON.
func WriteEnvStatusJSON(w io.Writer, s EnvStatus) error { return writeJSON(w, s) }

// WriteEnvStatusTable prints each workload's figures, then the verdict.
func WriteEnvStatusTable(w io.Writer, s EnvStatus) error {
	fmt.Fprintf(w, "%s at phase %s, the %s before %s:\n", s.Environment, s.Phase, s.Window, s.At)
	for _, ws := range s.Workloads {
		fmt.Fprintf(w, "%s (%s):\n", ws.Name, ws.Kind)
		if err := writeRows(w, ws.rows()); err != nil {
			return err
		}
	}
	writeVerdict(w, s.Verdict)
	return nil
}

// WriteEnvStatusMarkdown prints a table per workload, then the verdict.
func WriteEnvStatusMarkdown(w io.Writer, s EnvStatus) error {
	fmt.Fprintf(w, "### %s at phase `%s`: %s\n\nThe %s before %s.\n", s.Environment, s.Phase, s.Verdict.Status, s.Window, s.At)
	for _, ws := range s.Workloads {
		fmt.Fprintf(w, "\n#### %s (%s)\n\n| Figure | Observed |\n|---|---|\n", ws.Name, ws.Kind)
		for _, r := range ws.rows() {
			fmt.Fprintf(w, "| %s | %s |\n", r[0], r[1])
		}
	}
	writeMarkdownVerdict(w, s.Verdict)
	return nil
}
