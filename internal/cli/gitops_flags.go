package cli

import (
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// targetOptions are the flags that name the GitOps repository a command
// reads or writes: GitHub (--repo, else the environment's gitops.repo) or a
// local repository (--git-dir). promote writes to it; wait and status read
// from it.
type targetOptions struct {
	repo    string
	gitDir  string
	maxWait time.Duration
}

// setFlags registers --repo, --git-dir and --max-wait; what says what the
// command does with the repository ("to commit to", "the soak is read from").
func (o *targetOptions) setFlags(fs *pflag.FlagSet, repoHelp, gitDirHelp string) {
	fs.StringVar(&o.repo, "repo", "", repoHelp)
	fs.StringVar(&o.gitDir, "git-dir", "", gitDirHelp)
	fs.DurationVar(&o.maxWait, "max-wait", 2*time.Minute, "longest wait for a GitHub rate limit to reset")
}

// check refuses both targets at once and a --repo that is not OWNER/NAME.
func (o *targetOptions) check() error {
	if o.repo != "" && o.gitDir != "" {
		return usagef("--repo and --git-dir are exclusive: pick one target")
	}
	if o.repo != "" && !ownerName(o.repo) {
		return usagef("--repo %q: want OWNER/NAME", o.repo)
	}
	return nil
}

// explicit reports whether the command line named a target.
func (o *targetOptions) explicit() bool { return o.repo != "" || o.gitDir != "" }

// ownerName reports whether repo is OWNER/NAME.
func ownerName(repo string) bool {
	owner, name, ok := strings.Cut(repo, "/")
	return ok && owner != "" && name != "" && !strings.Contains(name, "/")
}
