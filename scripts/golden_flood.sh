#!/usr/bin/env bash
# Real SYN floods for the flood detector's tests: records them with hping3 (IPv4) and THC's
# thcsyn6 (IPv6) between two network namespaces this script creates and deletes again, into
# captures/flood-*.pcap, then writes tshark's count of the SYNs to each flooded target into
# tests/golden/flood/<capture>.tsv, so that `cargo test` needs none of these tools.
#
#   insp-fa  (attacker, client)  veth-fa 02:00:00:00:0f:01  10.0.0.1/24  fd00:1::1/64
#   insp-fs  (server)            veth-fs 02:00:00:00:0f:02  10.0.0.2/24 10.0.0.3/24  fd00:1::2/64
#            and every address of 10.9.0.0/24 and fd00:9::/64 (local routes, for carpet floods)
#
# The server listens on ports 22, 80, 443 and 8080 of every address (a Python server that
# accepts and closes). Its default routes lead back to the attacker's namespace, which does not
# forward: the SYN-ACKs to spoofed sources are captured, then dropped. Captures are taken with
# tcpdump on veth-fs.
#
# usage: sudo scripts/golden_flood.sh            record, then count
#        scripts/golden_flood.sh --count        count the captures already in captures/
# Needs: root, iproute2, tcpdump, tshark, hping3, thc-ipv6 (atk6-thcsyn6), curl, python3,
# timeout (Debian: apt-get install iproute2 tcpdump tshark hping3 thc-ipv6 curl python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CAP="$ROOT/captures"
GOLD="$ROOT/tests/golden/flood"
A=insp-fa
S=insp-fs
A_IF=veth-fa
S_IF=veth-fs
S_MAC=02:00:00:00:0f:02

die() { echo "golden_flood: ERROR: $*" >&2; exit 1; }
log() { echo "golden_flood: $*" >&2; }

# One line per flooded target: capture, target as the tests name it, tshark filter of its SYNs.
# A target is ADDR:PORT (one port), ADDR:* (several ports of one address) or PREFIX:* (a carpet).
TARGETS=$(cat <<'EOF'
flood-v4.pcap	10.0.0.2:80	ip.dst == 10.0.0.2 && tcp.dstport == 80
flood-v4.pcap	10.0.0.3:443	ip.dst == 10.0.0.3 && tcp.dstport == 443
flood-multiport-v4.pcap	10.0.0.2:*	ip.dst == 10.0.0.2
flood-carpet-v4.pcap	10.9.0.0/24:*	ip.dst == 10.9.0.0/24
flood-v6.pcap	fd00:1::2:80	ipv6.dst == fd00:1::2 && tcp.dstport == 80
flood-multiport-v6.pcap	fd00:1::2:*	ipv6.dst == fd00:1::2
flood-carpet-v6.pcap	fd00:9::/64:*	ipv6.dst == fd00:9::/64
EOF
)

count() {
    command -v tshark >/dev/null || die "tshark is missing (apt-get install tshark)"
    mkdir -p "$GOLD"
    local ver f
    ver=$(tshark --version 2>/dev/null | head -1)
    for f in $(printf '%s\n' "$TARGETS" | cut -f1 | sort -u); do
        [ -f "$CAP/$f" ] || die "$CAP/$f is missing: record it first (sudo $0)"
        {
            printf '# %s: SYNs (SYN without ACK) to each flooded target of %s\n' "$ver" "$f"
            printf '# target\tsyns\ttshark filter\n'
            printf '%s\n' "$TARGETS" | awk -F'\t' -v f="$f" '$1 == f' | while IFS=$'\t' read -r _ target filter; do
                n=$(tshark -n -r "$CAP/$f" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 && ($filter)" 2>/dev/null | wc -l)
                [ "$n" -gt 0 ] || die "no SYN to $target in $f"
                printf '%s\t%s\t%s\n' "$target" "$n" "$filter"
            done
        } > "$GOLD/$f.tsv"
        log "wrote tests/golden/flood/$f.tsv"
    done
}

if [ "${1:-}" = "--count" ]; then
    count
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root to record (or: $0 --count)"
for t in ip tcpdump tshark hping3 atk6-thcsyn6 curl python3 timeout; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool: $t (Debian: apt-get install iproute2 tcpdump tshark hping3 thc-ipv6 curl python3)"
done

TMP="$(mktemp -d /tmp/golden_flood.XXXXXX)"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$S" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cat > "$TMP/listen.py" <<'EOF'
# Accepts and closes connections on ports 22, 80, 443 and 8080 of every address, for 60 s.
import selectors, signal, socket
signal.alarm(60)
sel = selectors.DefaultSelector()
for port in (22, 80, 443, 8080):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_IP, 19, 1)  # IP_FREEBIND
    s.bind(("::", port))
    s.listen(128)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.close()
EOF

setup() {
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$S" 2>/dev/null || true
    ip netns add "$A"
    ip netns add "$S"
    ip link add "$A_IF" netns "$A" address 02:00:00:00:0f:01 type veth peer name "$S_IF" netns "$S" address "$S_MAC"
    for ns in "$A" "$S"; do
        nsx "$ns" ip link set lo up
        # No router solicitations or address autoconfiguration: only the floods and the curls.
        nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
        nsx "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    done
    nsx "$A" ip addr add 10.0.0.1/24 dev "$A_IF"
    nsx "$A" ip -6 addr add fd00:1::1/64 dev "$A_IF" nodad
    nsx "$S" ip addr add 10.0.0.2/24 dev "$S_IF"
    nsx "$S" ip addr add 10.0.0.3/24 dev "$S_IF"
    nsx "$S" ip -6 addr add fd00:1::2/64 dev "$S_IF" nodad
    nsx "$A" ip link set "$A_IF" up
    nsx "$S" ip link set "$S_IF" up
    nsx "$S" ip route add default via 10.0.0.1
    nsx "$S" ip -6 route add default via fd00:1::1
    nsx "$S" ip route add local 10.9.0.0/24 dev lo
    nsx "$S" ip -6 route add local fd00:9::/64 dev lo
    nsx "$A" ip route add 10.9.0.0/24 via 10.0.0.2
    nsx "$A" ip -6 route add fd00:9::/64 via fd00:1::2
    ip netns exec "$S" python3 "$TMP/listen.py" &
    LISTENER=$!
    PIDS+=("$LISTENER")
    sleep 1
    # Neighbours resolved before the capture starts.
    nsx "$A" curl -s -o /dev/null --max-time 3 http://10.0.0.2/ || true
    nsx "$A" curl -s -o /dev/null --max-time 3 'http://[fd00:1::2]/' || true
}

# Records capture $1 while running the commands of function $2 in the attacker's namespace.
record() {
    local name=$1 scenario=$2 pid
    setup
    ip netns exec "$S" tcpdump -i "$S_IF" -U --immediate-mode -s 262144 -n -w "$TMP/$name" 2>"$TMP/tcpdump.log" &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 50); do grep -q "listening on" "$TMP/tcpdump.log" && break; sleep 0.1; done
    "$scenario"
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    kill "$LISTENER" 2>/dev/null || true
    wait "$LISTENER" 2>/dev/null || true
    cp "$TMP/$name" "$CAP/$name"
    log "recorded captures/$name ($(tshark -r "$CAP/$name" 2>/dev/null | wc -l) packets)"
}

curls() {
    nsx "$A" curl -s -o /dev/null --max-time 3 "$1" || true
}

# Two targets at once, 1,500 and 1,000 spoofed SYNs at 1,000 a second, and normal connections
# before, during and after.
v4() {
    curls http://10.0.0.2/
    nsx "$A" hping3 -q -I "$A_IF" -S --rand-source -p 80 -c 1500 -i u1000 10.0.0.2 >/dev/null 2>&1 &
    local a=$!
    nsx "$A" hping3 -q -I "$A_IF" -S --rand-source -p 443 -c 1000 -i u1000 10.0.0.3 >/dev/null 2>&1 &
    local b=$!
    sleep 0.5
    curls http://10.0.0.2/
    wait "$a" "$b" || true
    curls http://10.0.0.2/
}

# Four ports of one address at once, 600 spoofed SYNs each at 500 a second.
multiport_v4() {
    local p pids=()
    for p in 22 80 443 8080; do
        nsx "$A" hping3 -q -I "$A_IF" -S --rand-source -p "$p" -c 600 -i u2000 10.0.0.2 >/dev/null 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}" || true
}

# Random addresses of 10.9.0.0/24, port 80: 1,500 spoofed SYNs at 1,000 a second.
carpet_v4() {
    nsx "$A" hping3 -q -I "$A_IF" -S --rand-source --rand-dest -p 80 -c 1500 -i u1000 10.9.0.x >/dev/null 2>&1 || true
}

# thcsyn6 sends until stopped: about 1.5 s at one SYN a millisecond, fully random sources.
v6() {
    curls 'http://[fd00:1::2]/'
    nsx "$A" timeout -s INT 1.5 atk6-thcsyn6 -R -i 1000 -m "$S_MAC" "$A_IF" fd00:1::2 80 >/dev/null 2>&1 || true
    curls 'http://[fd00:1::2]/'
}

multiport_v6() {
    local p pids=()
    for p in 22 80 443; do
        nsx "$A" timeout -s INT 1.5 atk6-thcsyn6 -R -i 2000 -m "$S_MAC" "$A_IF" fd00:1::2 "$p" >/dev/null 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}" || true
}

# Random addresses of fd00:9::/64 (-D), port 80.
carpet_v6() {
    nsx "$A" timeout -s INT 1.5 atk6-thcsyn6 -R -D -i 1000 -m "$S_MAC" "$A_IF" fd00:9::1 80 >/dev/null 2>&1 || true
}

record flood-v4.pcap v4
record flood-multiport-v4.pcap multiport_v4
record flood-carpet-v4.pcap carpet_v4
record flood-v6.pcap v6
record flood-multiport-v6.pcap multiport_v6
record flood-carpet-v6.pcap carpet_v6
count
