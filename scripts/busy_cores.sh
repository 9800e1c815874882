#!/usr/bin/env bash
# How many cores a build keeps busy: runs it N times on a capture and reads the machine's busy
# and idle time from /proc/stat around them (the whole machine: run it on an otherwise idle one).
#   scripts/busy_cores.sh [N] [BUILD] [FILE] [inspect arguments, default: read -q]
set -euo pipefail
N=${1:-10}; BIN=${2:-target/release/inspect}; F=${3:-bench-data/bench-2000000.pcap}; shift $(( $# < 3 ? $# : 3 ))
ARGS=("$@"); [ ${#ARGS[@]} -gt 0 ] || ARGS=(read -q)
cat "$F" > /dev/null
read -r _ u n s i w q sq _ < /proc/stat; t0=$(date +%s%N)
for ((k = 0; k < N; k++)); do "$BIN" "${ARGS[@]}" "$F" > /dev/null; done
t1=$(date +%s%N); read -r _ u2 n2 s2 i2 w2 q2 sq2 _ < /proc/stat
busy=$(( (u2 - u) + (n2 - n) + (s2 - s) + (q2 - q) + (sq2 - sq) )); idle=$(( (i2 - i) + (w2 - w) ))
echo "wall $(( (t1 - t0) / N / 1000000 )) ms a run; busy $busy, idle $idle ticks: $(awk -v b=$busy -v i=$idle -v c="$(nproc)" 'BEGIN {printf "%.2f", c * b / (b + i)}') of $(nproc) cores busy (user $((u2 - u)), system $((s2 - s)), iowait $((w2 - w)) ticks)"
