#!/usr/bin/env bash
# Compares two builds of inspect on the same capture: N pairs of runs, each pair in alternating
# order, and prints both medians and the median (and quartiles) of the per-pair ratios B/A. On a
# shared virtual machine whose speed drifts by tens of percent within minutes, the ratio of
# neighbouring runs is steadier than a ratio of medians; effects under 3 % still drown in it.
#   scripts/ab_builds.sh N BUILD_A BUILD_B [FILE] [inspect arguments, default: read -q]
set -euo pipefail
N=$1; A=$2; B=$3; F=${4:-bench-data/bench-2000000.pcap}; shift $(( $# < 4 ? $# : 4 ))
ARGS=("$@"); [ ${#ARGS[@]} -gt 0 ] || ARGS=(read -q)
cat "$F" > /dev/null
one() { local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { printf '%s\n' "$@" | sort -g | awk '{x[NR]=$1} END {print x[int((NR+1)/2)]}'; }
rs=(); wa=(); wb=()
for ((i = 1; i <= N; i++)); do
  if (( i % 2 )); then a=$(one "$A" "${ARGS[@]}" "$F"); b=$(one "$B" "${ARGS[@]}" "$F")
  else b=$(one "$B" "${ARGS[@]}" "$F"); a=$(one "$A" "${ARGS[@]}" "$F"); fi
  wa+=("$a"); wb+=("$b"); rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')")
done
q=$(printf '%s\n' "${rs[@]}" | sort -g | awk '{x[NR]=$1} END {printf "%s to %s", x[int(NR/4)+1], x[int(3*NR/4)+1]}')
echo "A median $(median "${wa[@]}") us, B median $(median "${wb[@]}") us; B/A per pair: median $(median "${rs[@]}") (quartiles $q)"
