#!/usr/bin/env bash
# Compares two command lines of one build on the same capture: N pairs of runs, each pair in
# alternating order; prints both medians, the median (and quartiles) of the per-pair wall-time
# ratios B/A, and each command's largest peak RSS. Neighbouring runs share the machine's drift,
# so their ratio is steadier than a ratio of medians (see ab_builds.sh, which compares builds).
#   scripts/ab_commands.sh N BINARY "ARGS A" "ARGS B" [FILE]
# e.g. scripts/ab_commands.sh 15 target/release/inspect "read -q" "stats -z conv,tcp"
# The file goes last on each command line; ARGS are split on spaces.
set -euo pipefail
N=$1; BIN=$2; read -r -a A <<< "$3"; read -r -a B <<< "$4"; F=${5:-bench-data/bench-2000000.pcap}
cat "$F" > /dev/null
T=$(mktemp); trap 'rm -f "$T"' EXIT
# Prints "microseconds peak-KB" for one run.
one() {
  local s e; s=$(date +%s%N)
  /usr/bin/time -f %M -o "$T" "$BIN" "$@" "$F" > /dev/null 2>&1 || true
  e=$(date +%s%N); echo "$(( (e - s) / 1000 )) $(tail -n 1 "$T")"
}
median() { printf '%s\n' "$@" | sort -g | awk '{x[NR]=$1} END {print x[int((NR+1)/2)]}'; }
rs=(); wa=(); wb=(); ma=0; mb=0
for ((i = 1; i <= N; i++)); do
  if (( i % 2 )); then read -r a ka < <(one "${A[@]}"); read -r b kb < <(one "${B[@]}")
  else read -r b kb < <(one "${B[@]}"); read -r a ka < <(one "${A[@]}"); fi
  wa+=("$a"); wb+=("$b"); (( ka > ma )) && ma=$ka; (( kb > mb )) && mb=$kb
  rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')")
done
q=$(printf '%s\n' "${rs[@]}" | sort -g | awk '{x[NR]=$1} END {printf "%s to %s", x[int(NR/4)+1], x[int(3*NR/4)+1]}')
echo "A (${A[*]}) median $(median "${wa[@]}") us, peak $((ma / 1024)) MiB; B (${B[*]}) median $(median "${wb[@]}") us, peak $((mb / 1024)) MiB"
echo "B/A per pair: median $(median "${rs[@]}") (quartiles $q)"
