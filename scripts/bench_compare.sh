#!/usr/bin/env bash
# Runs inspect, tcpdump and tshark on the same generated capture and prints wall time, peak
# memory and the speed goals' ratios (docs/PERFORMANCE.md). inspect and the minimal pass take the
# median of REPS runs (default 5; single runs on a shared virtual machine vary by +-10 %), the
# slow peers one run each, except `tshark -q -z conv,tcp`: TSHARK_REPS runs (default 3), each
# between six runs of `inspect read -q`, so that each ratio compares runs on the same phase of
# the host (its speed drifts by tens of percent over tshark's 40 s).
#   [REPS=5] [PAIRS=15] [TSHARK_REPS=3] scripts/bench_compare.sh [PACKETS] [--no-tshark]
# The file is ../shared/bench/gen_bench_pcap.py's (default 2,000,000 packets, about 675 MB), kept
# in bench-data/ (git-ignored) and read from page cache (a warm-up read before each command).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
TSHARK=1; [ "${2:-}" = "--no-tshark" ] && TSHARK=0
mkdir -p bench-data
F=bench-data/bench-$N.pcap
[ -f "$F" ] || python3 ../shared/bench/gen_bench_pcap.py "$F" "$N"
cargo build --profile dist --quiet --bin inspect
cargo build --profile dist --quiet -p inspect-bench --bin minimal_pass
INSPECT=target/dist/inspect
MIN=target/dist/minimal_pass
declare -A T M
REPS=${REPS:-5}
median() { # numbers...: the middle one (the lower middle of an even count)
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
run() { # name, command...: one run
  runs 1 "$@"
}
med() { # name, command...: the median time of REPS runs, the largest peak memory
  runs "$REPS" "$@"
}
warm() { # reads the file into the page cache again: this VM's memory manager (DAMON) pages out
  # what was not touched for about 30 s, such as the file during tshark's 3.9 GB run.
  cat "$F" > /dev/null
}
runs() { # count, name, command...
  local n=$1 name=$2; shift 2
  local tf; tf=$(mktemp)
  warm
  local times=() mem=0 i
  for ((i = 0; i < n; i++)); do
    /usr/bin/time -o "$tf" -f "%e %M" "$@" > /dev/null 2>/dev/null || true
    local out; out=$(tail -1 "$tf")
    times+=("${out% *}"); [ "${out#* }" -gt "$mem" ] && mem=${out#* }
  done
  rm -f "$tf"
  T[$name]=$(median "${times[@]}")
  M[$name]=$mem
  printf '%-34s %8.2f s %9d KB  (%s run%s: %s)  %s\n' "$name" "${T[$name]}" "${M[$name]}" "$n" "$([ "$n" = 1 ] || echo s)" "${times[*]}" "$*"
}
one() { # command...: wall seconds of one run
  local s e
  s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N)
  awk -v d=$((e - s)) 'BEGIN { printf "%.3f", d / 1e9 }'
}
PAIRS=${PAIRS:-15}
paired() { # the minimal pass and inspect read -q in alternation, PAIRS times: the median ratio
  # of each pair. The machine's speed drifts by tens of percent within minutes (a shared VM);
  # neighbouring runs see the same machine, so their ratio is steadier than a ratio of medians.
  local i a b rs=()
  warm
  for ((i = 0; i < PAIRS; i++)); do
    a=$(one $MIN "$F"); b=$(one $INSPECT read -q "$F")
    rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')")
  done
  printf '%s\n' "${rs[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.2f (quartiles %.2f to %.2f)", a[int((NR+1)/2)], a[int(NR/4)+1], a[int(3*NR/4)+1]}'
}
TREPS=${TSHARK_REPS:-3}
tpaired() { # tshark -q -z conv,tcp TREPS times, each between three runs of inspect read -q just
  # before and three just after, on the same phase of the host: for each, tshark's time over the
  # median of those six. Sets T and M for tshark and prints each run; TPAIRED gets the median ratio
  # and the range.
  local i j tf out t m xs rs=() ts=() mem=0
  tf=$(mktemp)
  for ((i = 0; i < TREPS; i++)); do
    xs=()
    warm; for j in 1 2 3; do xs+=("$(one $INSPECT read -q "$F")"); done
    warm; /usr/bin/time -o "$tf" -f "%e %M" tshark -q -z conv,tcp -r "$F" > /dev/null 2>&1 || true
    out=$(tail -1 "$tf"); t=${out% *}; ts+=("$t"); [ "${out#* }" -gt "$mem" ] && mem=${out#* }
    warm; for j in 1 2 3; do xs+=("$(one $INSPECT read -q "$F")"); done
    m=$(printf '%s\n' "${xs[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", (a[3] + a[4]) / 2}')
    rs+=("$(awk -v a="$t" -v b="$m" 'BEGIN { printf "%.1f", a / b }')")
    printf '%-34s %8.2f s %9d KB  inspect read -q around it: %s (median %s s): %sx\n' "tshark -q -z conv,tcp, run $((i + 1))" "$t" "${out#* }" "${xs[*]}" "$m" "${rs[-1]}"
  done
  rm -f "$tf"
  T[tshark -q -z conv,tcp]=$(median "${ts[@]}")
  M[tshark -q -z conv,tcp]=$mem
  TPAIRED=$(printf '%s\n' "${rs[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.1f (runs from %.1f to %.1f)", a[int((NR+1)/2)], a[1], a[NR]}')
}
echo "file: $F ($(du -hL "$F" | cut -f1), $N packets); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
med minimal_pass            $MIN "$F"
run "minimal_pass --read"   $MIN "$F" --read
med "inspect read -q"       $INSPECT read -q "$F"
run "inspect read -q --threads 1" $INSPECT read -q --threads 1 "$F"
med "inspect read (lines)"  $INSPECT read "$F"
run "inspect read --format json" $INSPECT read --format json "$F"
run "tcpdump -r -w /dev/null" tcpdump -r "$F" -w /dev/null
run "tcpdump -n -r"         tcpdump -n -r "$F"
if [ $TSHARK = 1 ]; then
  tpaired
  run "tshark -n -r"          tshark -n -r "$F"
fi
PAIRED=$(paired)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "ratios (>1 means inspect is faster / smaller):"
echo "  tcpdump -w /dev/null time / inspect read -q time:  $(ratio "${T[tcpdump -r -w /dev/null]}" "${T[inspect read -q]}")"
echo "  tcpdump -n -r time / inspect lines time:           $(ratio "${T[tcpdump -n -r]}" "${T[inspect read (lines)]}")"
echo "  inspect read -q time / minimal pass time:          $(ratio "${T[inspect read -q]}" "${T[minimal_pass]}") (goal <= 1.5)"
echo "  same, paired runs (median of $PAIRS alternating pairs): $PAIRED (goal <= 1.5)"
echo "  same, one thread:                                  $(ratio "${T[inspect read -q --threads 1]}" "${T[minimal_pass]}")"
echo "  inspect read -q time / minimal pass (read, no map): $(ratio "${T[inspect read -q]}" "${T[minimal_pass --read]}")"
echo "  load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $TSHARK = 1 ]; then
  echo "  tshark conv,tcp time / inspect read -q time:       $(ratio "${T[tshark -q -z conv,tcp]}" "${T[inspect read -q]}") (goal >= 80)"
  echo "  same, each tshark run against inspect's six around it: $TPAIRED (goal >= 80)"
  echo "  tshark conv,tcp memory / inspect read -q memory:   $(ratio "${M[tshark -q -z conv,tcp]}" "${M[inspect read -q]}") (goal >= 10)"
  echo "  tshark -n -r time / inspect lines time:            $(ratio "${T[tshark -n -r]}" "${T[inspect read (lines)]}")"
fi
