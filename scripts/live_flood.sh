#!/usr/bin/env bash
# How much of a SYN flood a live capture keeps: inspect and tcpdump in turn on the flooded end
# of a veth pair, in two network namespaces made here (and removed on exit). For each run:
# frames the interface carried (`ip -s link`, rx + tx), frames written to -w, the capture's
# own counts (received by filter, dropped by kernel), the share kept and the peak memory.
# Needs root, hping3, tcpdump. TD_B sets the -B (KiB) of tcpdump's second run (default 32768,
# inspect's default), to compare like with like. TUI=1 runs inspect with --tui in a tmux pane.
#   scripts/live_flood.sh INSPECT_BINARY [ROUNDS=3] [SECONDS=3] [extra inspect capture args]
set -euo pipefail
BIN=$(realpath "$1"); ROUNDS=${2:-3}; SECS=${3:-3}; shift $(( $# < 3 ? $# : 3 ))
EXTRA=("$@"); [ ${#EXTRA[@]} -gt 0 ] || { [ -n "${TUI:-}" ] || EXTRA=(-q); }
A=lflood-a-$$; B=lflood-b-$$; IPA=10.209.0.1; IPB=10.209.0.2
DIR=$(mktemp -d)
cleanup() { tmux -L "$A" kill-server 2>/dev/null || true; ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add veth-a netns "$A" type veth peer name veth-b netns "$B"
for ns in "$A" "$B"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$A" addr add $IPA/24 dev veth-a; ip -n "$B" addr add $IPB/24 dev veth-b
ip -n "$A" link set veth-a up; ip -n "$B" link set veth-b up
mac() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }
ip -n "$A" neigh replace $IPB lladdr "$(mac "$B" veth-b)" dev veth-a nud permanent
ip -n "$B" neigh replace $IPA lladdr "$(mac "$A" veth-a)" dev veth-b nud permanent

carried() { ip -n "$B" -s -j link show dev veth-b | python3 -c \
  'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["rx"]["packets"] + s["tx"]["packets"])'; }
frames() { tcpdump -r "$1" -n 2>/dev/null | wc -l; }
num() { grep -E "^[0-9]+ packets? $1\$" "$2" | awk '{print $1}' || true; }

one() {  # one run: TOOL LABEL ARGS...
  local tool=$1 label=$2; shift 2
  local f=$DIR/cap.pcap err=$DIR/err.txt pid before after hwm kept got rcv drop
  rm -f "$f"
  if [ "$tool" = inspect ] && [ -n "${TUI:-}" ]; then
    # The dashboard needs a terminal: a tmux pane of 80x24; the pane's command is inspect itself.
    tmux -L "$A" new-session -d -x 80 -y 24 "exec ip netns exec $B $BIN capture -Z root -i veth-b -w $f --tui $* 2> $err"
    until grep -qs "capturing on" "$err"; do sleep 0.05; done
    pid=$(tmux -L "$A" display-message -p '#{pane_pid}')
  elif [ "$tool" = inspect ]; then
    ip netns exec "$B" "$BIN" capture -Z root -i veth-b -w "$f" "$@" > /dev/null 2> "$err" & pid=$!
    until grep -qs "capturing on" "$err"; do sleep 0.05; done
  else
    ip netns exec "$B" tcpdump -Z root -i veth-b -n -w "$f" "$@" 2> "$err" & pid=$!
    until grep -qs "listening on" "$err"; do sleep 0.05; done
  fi
  before=$(carried)
  ip netns exec "$A" timeout "$SECS" hping3 --flood -q -S -p 8080 $IPB > /dev/null 2>&1 || true
  sleep 1.5  # past libpcap's 1 s block timeout, so tcpdump too has every frame in hand
  after=$(carried)
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill -INT $pid; wait $pid 2>/dev/null || while kill -0 $pid 2>/dev/null; do sleep 0.05; done
  got=$(frames "$f"); kept=$(( after - before ))
  rcv=$(num "received by filter" "$err"); drop=$(num "dropped by kernel" "$err")
  awk -v l="$label" -v c="$kept" -v g="$got" -v r="$rcv" -v d="$drop" -v s="$SECS" -v m="$hwm" 'BEGIN {
    printf "%-34s carried %8d (%6.0f/s)  kept %8d = %6.2f %%  received %8d  dropped %7d  (kept+dropped)/carried %.4f  peak RSS %5.1f MB\n",
      l, c, c / s, g, 100 * g / c, r, d, (g + d) / c, m / 1024 }'
}

for ((i = 1; i <= ROUNDS; i++)); do
  one inspect "inspect capture ${EXTRA[*]}" "${EXTRA[@]}"
  one tcpdump "tcpdump (default -B)"
  one tcpdump "tcpdump -B ${TD_B:-32768}" -B "${TD_B:-32768}"
done
