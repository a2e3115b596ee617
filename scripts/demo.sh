#!/usr/bin/env bash
# The main job on the shipped configs: plan, render, build, rules, then
# promote production into a scratch local git repository.
set -euo pipefail
bin=$1 scratch=$2
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

step "phasegen plan"
"$bin" plan
step "phasegen plan --users 20"
"$bin" plan --users 20
