#!/usr/bin/env bash
# The main job on the shipped configs: plan, render, build, alert rules, then
# promote production into a scratch local git repository and show what a
# reviewer would see; then, where prometheus is installed, observe
# production in a local Prometheus over generated history (status, tune).
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") scratch=$2
# shellcheck source=step.sh
. "$(dirname "$0")/step.sh"

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

step "examples/store: an app of several workloads (a Deployment API beside a MySQL StatefulSet, sidecars on both)"
store=$(cd examples/store && pwd)
(cd "$store" && "$bin" plan && "$bin" render && "$bin" check && "$bin" build production)

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
  merge -q --no-ff -m "Merge pull request #1: production → pre-launch" phasegen/coditect/production
"$bin" promote production --to beta "${flags[@]}"

step "the soak: beta soaks 7d, so promoting on at once is refused (--allow-early overrides)"
git -C "$scratch/argocd-apps" -c user.name=demo -c user.email=demo@example.com \
  merge -q --no-ff -m "Merge pull request #2: production → beta" phasegen/coditect/production
"$bin" promote production --to full-mvp "${flags[@]}" || true

step "what the promotion wrote: one commit on phasegen/coditect/production, and the local config"
git -C "$scratch/argocd-apps" log --stat -1 phasegen/coditect/production | cat
diff -u environments/production.yaml "$scratch/config/production.yaml" || true

step "phasegen status and tune production: observed in a local Prometheus over generated history"
# Three days of production history with known answers (internal/history),
# backfilled into a Prometheus of its own on a free loopback port, which
# the script stops when it leaves.
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  prom="$scratch/prometheus"
  rm -rf "$prom" && mkdir -p "$prom"
  end=$("${GO:-go}" run ./internal/history/genhistory "$prom/history.om")
  promtool tsdb create-blocks-from openmetrics -q --max-block-duration=96h "$prom/history.om" "$prom/data" >/dev/null
  rm -f "$prom/history.om"
  printf 'global:\n  scrape_interval: 1m\n' >"$prom/prometheus.yml"
  prometheus --storage.tsdb.path="$prom/data" --storage.tsdb.retention.time=10y \
    --web.listen-address=127.0.0.1:0 --config.file="$prom/prometheus.yml" >"$prom/log" 2>&1 &
  prom_pid=$!
  trap 'kill "$prom_pid" 2>/dev/null; wait "$prom_pid" 2>/dev/null || true' EXIT
  url=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/.*msg="Listening on" address=\([0-9.:]*\).*/\1/p' "$prom/log" | head -1)
    if [ -n "$addr" ] && curl -sf "http://$addr/-/ready" >/dev/null 2>&1; then url="http://$addr"; break; fi
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "prometheus did not start:" >&2; cat "$prom/log" >&2; exit 1
  fi
  export PROMETHEUS_URL=$url
  "$bin" status production --at "$end"
  step "phasegen status production --git-dir: with the soak, read from the scratch repository (beta since its merge)"
  "$bin" status production --at "$end" "${flags[@]}"
  "$bin" tune production --at "$end"
  step "examples/store: status and tune of two workloads (the API's pods found through their owners; the database has only 12 hours of data, so tune leaves it alone)"
  (cd "$store" && "$bin" status production --at "$end" && "$bin" tune production --at "$end")
  step "phasegen tune production --write: the recommendation in the phase file, then check shows the stale overlay"
  rm -rf "$scratch/tune-config" && cp -r environments "$scratch/tune-config"
  "$bin" tune production --at "$end" --write --config "$scratch/tune-config" -o json >/dev/null
  diff -u environments/phases/pre-launch.yaml "$scratch/tune-config/phases/pre-launch.yaml" || true
  "$bin" check --config "$scratch/tune-config" >/dev/null 2>&1 && echo "check: up to date" || echo "check: exit $? (the overlay is stale until 'phasegen render production')"
  kill "$prom_pid"; wait "$prom_pid" 2>/dev/null || true
  trap - EXIT
else
  echo "prometheus not found: install Debian's prometheus package to observe production in a local Prometheus; skipping status and tune" >&2
fi
