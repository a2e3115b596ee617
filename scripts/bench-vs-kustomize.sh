#!/usr/bin/env bash
# bench-vs-kustomize.sh: time `phasegen build` of N synthetic environments
# against stock kustomize run once per overlay (`kubectl kustomize
# overlays/<env>`, or `kustomize build`), the way Argo CD and most CI
# scripts build a fleet. The two are timed alternately for ROUNDS rounds;
# the medians are printed.
#
#   scripts/bench-vs-kustomize.sh [N]          (default 1000)
#   N=100 ROUNDS=3 SAMPLE=50 scripts/bench-vs-kustomize.sh
#
# phasegen builds all N overlays in one process, every round. Stock
# kustomize costs the same for every overlay (one process each), so each
# round times SAMPLE overlays spread evenly over the fleet (default 100, or
# N when smaller) and reports the cost per overlay: N times that is what
# building the whole fleet would take. Peak RSS is phasegen's maximum
# resident set (GNU time's %M). The fleet is generated in a temporary
# directory (internal/fleet) and removed afterwards (KEEP=1 keeps it).
set -euo pipefail

N=${1:-${N:-1000}}
ROUNDS=${ROUNDS:-5}
SAMPLE=${SAMPLE:-100}
GO=${GO:-go}
case $N in '' | *[!0-9]* | 0) echo "N must be a positive integer, not '$N'" >&2; exit 2 ;; esac
((SAMPLE > N)) && SAMPLE=$N

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/phasegen-bench.XXXXXX")
[[ ${KEEP:-} == 1 ]] || trap 'rm -rf "$work"' EXIT

if command -v kubectl >/dev/null; then
	stock=(kubectl kustomize)
elif command -v kustomize >/dev/null; then
	stock=(kustomize build)
else
	echo "neither kubectl nor kustomize is on PATH: nothing to compare with" >&2
	exit 1
fi
timer=()
if /usr/bin/time -f %M true 2>/dev/null; then
	timer=(/usr/bin/time -o "$work/rss" -f %M)
fi

(cd "$repo" && "$GO" build -o "$work/bin/phasegen" ./cmd/phasegen && "$GO" build -o "$work/bin/fleetgen" ./internal/fleet/fleetgen)
pg=$work/bin/phasegen
"$work/bin/fleetgen" -n "$N" -src "$repo/environments" "$work/fleet"
cd "$work/fleet"
"$pg" render >/dev/null 2>&1

# The sampled overlays: every (N/SAMPLE)-th environment.
mapfile -t envs < <(ls environments | grep -v '^capacity.yaml$' | grep '\.yaml$' | sed 's/\.yaml$//')
sample=()
for ((i = 0; i < SAMPLE; i++)); do sample+=("${envs[i * N / SAMPLE]}"); done

now() { date +%s%N; }
ms_per() { awk -v ns="$1" -v n="$2" 'BEGIN { printf "%.3f", ns / 1e6 / n }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

pg_ms=() stock_ms=() rss=() check_ms=()
echo "phasegen build of $N environments vs ${stock[*]} per overlay ($SAMPLE sampled a round), $ROUNDS rounds, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= ROUNDS; r++)); do
	t0=$(now)
	"${timer[@]}" "$pg" build >"$work/build.yaml"
	t1=$(now)
	pg_ms+=("$(ms_per $((t1 - t0)) "$N")")
	[[ ${#timer[@]} -gt 0 ]] && rss+=("$(tail -1 "$work/rss")")

	t0=$(now)
	for env in "${sample[@]}"; do "${stock[@]}" "overlays/$env" >/dev/null; done
	t1=$(now)
	stock_ms+=("$(ms_per $((t1 - t0)) "$SAMPLE")")

	t0=$(now)
	"$pg" check >/dev/null 2>&1
	t1=$(now)
	check_ms+=("$(ms_per $((t1 - t0)) 1)")
	echo "round $r: phasegen ${pg_ms[-1]} ms/env${rss:+, peak RSS ${rss[-1]} KB}; stock ${stock_ms[-1]} ms/overlay; phasegen check ${check_ms[-1]} ms"
done

# The outputs agree: phasegen's build of a sampled environment is stock
# kustomize's, byte for byte.
same=0
for env in "${sample[@]:0:5}"; do
	if cmp -s <("$pg" build "$env") <("${stock[@]}" "overlays/$env"); then same=$((same + 1)); else echo "DIFFERS: $env" >&2; fi
done

pgm=$(median "${pg_ms[@]}")
stm=$(median "${stock_ms[@]}")
echo
echo "environments:            $N"
echo "phasegen build:          $pgm ms/env (median of $ROUNDS; $(awk -v m="$pgm" -v n="$N" 'BEGIN { printf "%.2f", m * n / 1000 }') s for all)"
echo "stock kustomize:         $stm ms/overlay (median of $ROUNDS rounds of $SAMPLE overlays; $(awk -v m="$stm" -v n="$N" 'BEGIN { printf "%.1f", m * n / 1000 }') s for all, extrapolated)"
echo "ratio:                   $(awk -v a="$stm" -v b="$pgm" 'BEGIN { printf "%.1f", a / b }')x"
if ((${#rss[@]})); then
	echo "phasegen peak RSS:       $(awk -v k="$(median "${rss[@]}")" 'BEGIN { printf "%.1f", k / 1024 }') MB (median; max $(awk -v k="$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)" 'BEGIN { printf "%.1f", k / 1024 }') MB)"
else
	echo "phasegen peak RSS:       unknown (/usr/bin/time with -f %M is not available)"
fi
echo "phasegen check:          $(median "${check_ms[@]}") ms for all $N (median)"
echo "identical to stock:      $same/$((${#sample[@]} < 5 ? ${#sample[@]} : 5)) sampled environments"
[[ $same -eq $((${#sample[@]} < 5 ? ${#sample[@]} : 5)) ]]
