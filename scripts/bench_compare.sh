#!/usr/bin/env bash
# Runs inspect, tcpdump and tshark on the same generated capture and prints wall time, peak
# memory and the ratios that issues 2, 4 and 8 ask for. inspect and the minimal pass take the
# median of REPS runs (default 5; single runs on a shared virtual machine vary by +-10 %), the
# slow peers one run each.
#   [REPS=5] scripts/bench_compare.sh [PACKETS] [--no-tshark]
# The file is ../shared/bench/gen_bench_pcap.py's (default 2,000,000 packets, about 675 MB), kept
# in bench-data/ (git-ignored) and read from page cache (a warm-up read before each command).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
TSHARK=1; [ "${2:-}" = "--no-tshark" ] && TSHARK=0
mkdir -p bench-data
F=bench-data/bench-$N.pcap
[ -f "$F" ] || python3 ../shared/bench/gen_bench_pcap.py "$F" "$N"
cargo build --release --quiet --bin inspect --example minimal_pass
INSPECT=target/release/inspect
MIN=target/release/examples/minimal_pass
declare -A T M
REPS=${REPS:-5}
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
  T[$name]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
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
  # inspect read -q just before and just after tshark: the same machine as tshark's run.
  warm
  before=$(one $INSPECT read -q "$F")
  run "tshark -q -z conv,tcp" tshark -q -z conv,tcp -r "$F"
  warm
  after=$(one $INSPECT read -q "$F")
  echo "inspect read -q around it: $before s before, $after s after"
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
  echo "  same, against inspect's runs just before and after: $(ratio "${T[tshark -q -z conv,tcp]}" "$(awk -v a="$before" -v b="$after" 'BEGIN { print (a + b) / 2 }')")"
  echo "  tshark conv,tcp memory / inspect read -q memory:   $(ratio "${M[tshark -q -z conv,tcp]}" "${M[inspect read -q]}") (goal >= 10)"
  echo "  tshark -n -r time / inspect lines time:            $(ratio "${T[tshark -n -r]}" "${T[inspect read (lines)]}")"
fi
