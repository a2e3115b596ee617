#!/usr/bin/env bash
# The main job on the shipped configs: plan, render, build, alert rules, then
# promote production into a scratch local git repository and show what a
# reviewer would see.
set -euo pipefail
bin=$1 scratch=$2
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

step "phasegen plan: capacity and monthly cost of each phase"
"$bin" plan
step "phasegen plan --users 20: the seed's question"
"$bin" plan --users 20

step "phasegen render: overlays/ from the configs"
"$bin" render
"$bin" check

step "phasegen build production: what Argo CD will apply"
"$bin" build production

step "phasegen rules production: alert rules and their promtool unit test"
rm -rf "$scratch/rules"
"$bin" rules production --dir "$scratch/rules"
if command -v promtool >/dev/null 2>&1; then
  promtool check rules "$scratch/rules/rules.yaml"
  (cd "$scratch/rules" && promtool test rules rules_test.yaml)
else
  echo "promtool not found: install Debian's prometheus package to run the rules test" >&2
fi

step "phasegen promote production --to beta: into a scratch Argo CD repository"
# Work on copies so this repository's environments/ and overlays/ stay as they are.
rm -rf "$scratch/config" "$scratch/overlays" "$scratch/argocd-apps"
cp -r environments "$scratch/config"
cp -r overlays "$scratch/overlays"
git init -q -b main "$scratch/argocd-apps"
git -C "$scratch/argocd-apps" -c user.name=demo -c user.email=demo@example.com \
  commit -q --allow-empty -m "initial commit"
flags=(--git-dir "$scratch/argocd-apps" --config "$scratch/config" --overlays "$scratch/overlays")
# The repository starts empty: a first promotion lays production down at
# pre-launch, and a merge commit stands in for merging the PR. pre-launch
# soaks 24h before the next promotion, counted from when it landed on main:
# the merge is dated 30 hours ago, so the soak has passed.
"$bin" promote production --to pre-launch "${flags[@]}" >/dev/null
landed=$(date -u -d '30 hours ago' +%Y-%m-%dT%H:%M:%SZ)
GIT_AUTHOR_DATE=$landed GIT_COMMITTER_DATE=$landed git -C "$scratch/argocd-apps" \
  -c user.name=demo -c user.email=demo@example.com \
  merge -q --no-ff -m "Merge pull request #1: production → pre-launch" phasegen/production
"$bin" promote production --to beta "${flags[@]}"

step "the soak: beta soaks 7d, so promoting on at once is refused (--allow-early overrides)"
git -C "$scratch/argocd-apps" -c user.name=demo -c user.email=demo@example.com \
  merge -q --no-ff -m "Merge pull request #2: production → beta" phasegen/production
"$bin" promote production --to full-mvp "${flags[@]}" || true

step "what the promotion wrote: one commit on phasegen/production, and the local config"
git -C "$scratch/argocd-apps" log --stat -1 phasegen/production | cat
diff -u environments/production.yaml "$scratch/config/production.yaml" || true
