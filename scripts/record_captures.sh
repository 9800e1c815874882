#!/usr/bin/env bash
# Record the sample captures in captures/ for `inspect`.
#
# All traffic stays inside two (or three) network namespaces that this script
# creates and deletes again; nothing is sent on the host's own interfaces.
#
#   insp-cli  veth-cli 02:00:00:00:00:01 10.0.0.1/24
#   insp-srv  veth-srv 02:00:00:00:00:02 10.0.0.2/24
#   insp-br   (mixed.pcapng and streams.pcap only) bridge br0 with ports br-cli 02:00:00:00:01:01
#             and br-srv 02:00:00:00:01:02 between the two namespaces above
#
# Usage: sudo scripts/record_captures.sh [OUTDIR [NAME...]]   (default: captures/, all)
#        NAMEs (e.g. reuse.pcap ping.pcap) record and check only those captures.
# Needs: root, iproute2 (ip, ss), tcpdump, dumpcap, tshark, editcap, hping3,
#        arping (Thomas Habets' arping, Debian package "arping"), ping, curl,
#        nc (netcat-openbsd), python3, timeout, iptables, nft, ethtool, openssl, dig, dnsmasq,
#        dhclient.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="${1:-$HERE/../captures}"
shift $(( $# > 0 ? 1 : 0 ))
ONLY=("$@")
# want NAME: whether capture NAME is to be recorded and checked in this run.
want() {
    [ ${#ONLY[@]} -eq 0 ] && return 0
    local n; for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}
mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"

CLI=insp-cli
SRV=insp-srv
BR=insp-br
CLI_IF=veth-cli
SRV_IF=veth-srv
CLI_IP=10.0.0.1
SRV_IP=10.0.0.2
CLI_MAC=02:00:00:00:00:01
SRV_MAC=02:00:00:00:00:02
SRV_MAC_NEW=02:00:00:00:00:03
SNAPLEN=262144

die() { echo "record_captures: ERROR: $*" >&2; exit 1; }
log() { echo "record_captures: $*" >&2; }

# ---------------------------------------------------------------- preflight
[ "$(id -u)" -eq 0 ] || die "must run as root (sudo $0)"
missing=()
for t in ip ss tcpdump dumpcap tshark reordercap editcap hping3 arping ping curl nc python3 timeout iptables nft ethtool openssl dig dnsmasq dhclient; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (Debian: apt-get install iproute2 tcpdump tshark hping3 arping iputils-ping curl netcat-openbsd python3 coreutils iptables nftables ethtool openssl bind9-dnsutils dnsmasq isc-dhcp-client)"
arping --help 2>&1 | grep -q 'Habets' || die "arping must be Thomas Habets' arping (Debian package 'arping'), not iputils-arping"
nc -h 2>&1 | grep -q 'OpenBSD netcat' || die "nc must be netcat-openbsd"
PY="$(command -v python3)"

TMP="$(mktemp -d /tmp/record_captures.XXXXXX)"
chmod 755 "$TMP"
OUT="$TMP/out"          # captures are staged here and copied to $DEST only
mkdir "$OUT"            # when every one of them passed the checks below
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
    for ns in "$CLI" "$SRV" "$BR"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Small web root: keeps every capture small.
mkdir -p "$TMP/www"
cat >"$TMP/www/index.html" <<'EOF'
<!doctype html>
<html><head><title>inspect sample</title></head>
<body><p>Hello from the server namespace.</p></body></html>
EOF
printf 'small file served for the inspect sample captures\n' >"$TMP/www/hello.txt"
# app.pcap: an HTTP/1.1 server that answers GET with a chunked body and POST with 201.
cat >"$TMP/app_server.py" <<'EOF'
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b"first chunk\n", b"second, longer chunk of the body\n" * 3):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        reply = b"got %d bytes\n" % len(body)
        self.send_response(201, "Created")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
    def log_message(self, *a):
        pass
HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
EOF
# A body of many segments: 600 numbered lines of 60 bytes (36000 bytes).
"$PY" -c 'import sys
for i in range(600): sys.stdout.write("line %04d of a body that spans many TCP segments ..........\n" % i)' >"$TMP/www/body.txt"

# Helper servers (each bounded: they exit by themselves after a few seconds).
cat >"$TMP/closefirst.py" <<'EOF'
# One-shot TCP server: read one HTTP request, answer with an HTTP/1.0
# response without Content-Length, then close its side FIRST (FIN from the
# server), then wait for the client's FIN.
import socket, sys, signal
signal.alarm(30)
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(5)
buf = b""
while b"\r\n\r\n" not in buf:
    d = c.recv(4096)
    if not d: break
    buf += d
c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
          b"server closes this connection first\n")
c.shutdown(socket.SHUT_WR)
try:
    while c.recv(4096): pass
except socket.timeout:
    pass
c.close(); s.close()
EOF
cat >"$TMP/udpecho.py" <<'EOF'
# UDP echo server: echoes up to N datagrams, then exits.
import socket, sys, signal
signal.alarm(30)
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, port)); s.settimeout(20)
for _ in range(n):
    d, a = s.recvfrom(2048)
    s.sendto(d, a)
EOF

# Helper servers and clients for the captures of Zeek's connection rules (each bounded).
cat >"$TMP/closefirst_n.py" <<'EOF'
# TCP server: N times, accept one connection, read a line, answer it and close its side
# FIRST, then wait for the client's FIN (so the server, not the client, waits in TIME_WAIT).
import socket, sys, signal
signal.alarm(30)
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(1); s.settimeout(20)
for _ in range(n):
    c, _ = s.accept(); c.settimeout(5)
    c.recv(4096)
    c.sendall(b"bye\n")
    c.shutdown(socket.SHUT_WR)
    try:
        while c.recv(4096): pass
    except socket.timeout:
        pass
    c.close()
s.close()
EOF
cat >"$TMP/fixedport.py" <<'EOF'
# TCP client from a fixed source port: connect, send a line, read to EOF, close.
import socket, sys, signal
signal.alarm(20)
host, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.bind(("", sport)); c.settimeout(5)
c.connect((host, port))
c.sendall(b"hello\n")
while c.recv(4096): pass
c.close()
EOF
cat >"$TMP/keepalive_srv.py" <<'EOF'
# TCP server: one connection; answer the client's line, then wait for its FIN and close.
import socket, sys, signal
signal.alarm(30)
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(10)
c.recv(4096)
c.sendall(b"answer\n")
while c.recv(4096): pass
c.close(); s.close()
EOF
cat >"$TMP/keepalive_cli.py" <<'EOF'
# TCP client with keep-alive probes every second after one idle second: send a line, read the
# answer, stay idle for a few seconds (the kernel probes with no payload), then close.
import socket, sys, time, signal
signal.alarm(20)
host, port, idle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
c.connect((host, port))
c.sendall(b"question\n")
c.recv(4096)
time.sleep(idle)
c.close()
EOF
cat >"$TMP/pushsrv.py" <<'EOF'
# TCP server: one connection; send a line every 0.2 s, N times, then close.
import socket, sys, time, signal
signal.alarm(30)
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(1); s.settimeout(20)
c, _ = s.accept()
for i in range(n):
    c.sendall(b"tick %d\n" % i)
    time.sleep(0.2)
c.close(); s.close()
EOF
cat >"$TMP/pushcli.py" <<'EOF'
# TCP client: connect, read until the server closes, close.
import socket, sys, signal
signal.alarm(30)
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
while c.recv(4096): pass
c.close()
EOF
cat >"$TMP/sticky.py" <<'EOF'
# Messages with a 2-byte big-endian length header, as the socket course
# teaches, both ways. The client writes 11 small messages through a buffered
# writer flushed after messages 3, 6, 7 and 11 (so 3, 3, 1 and 4 messages
# leave in one segment each), then one message larger than a segment. The
# server reads them back by their headers and answers each with a short
# message of its own as soon as it has read it.
import socket, struct, sys, signal, time
signal.alarm(30)
role, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def read_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d: return None
        b += d
    return b
def frame(m):
    return struct.pack("!H", len(m)) + m
if role == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(1); s.settimeout(20)
    c, _ = s.accept(); c.settimeout(10)
    n = 0
    while True:
        h = read_exact(c, 2)
        if h is None: break
        body = read_exact(c, struct.unpack("!H", h)[0])
        if body is None: break
        n += 1
        c.sendall(frame(b"ok %d %d" % (n, len(body))))
    c.close(); s.close()
else:
    c = socket.create_connection((host, port), timeout=10)
    w = c.makefile("wb", buffering=65536)
    for i in range(11):
        w.write(frame(b"message %02d" % i))
        if i in (2, 5, 6, 10):
            w.flush()
            time.sleep(0.05)
    c.sendall(frame(bytes((i % 26) + 65 for i in range(5000))))
    time.sleep(0.3)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096): pass
    c.close()
EOF

cat >"$TMP/dnstcp.py" <<'EOF'
# DNS over TCP the way dig does not: three queries pipelined in one segment (RFC 7766 allows
# it), read back by their length prefixes, then one query sent in three segments (its length
# prefix alone, then its header, then the rest), then close.
import socket, struct, sys, signal, time
signal.alarm(20)
host, port = sys.argv[1], int(sys.argv[2])
def query(qid, name, qtype):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    m = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)
    return struct.pack("!H", len(m)) + m
def read_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d: raise SystemExit("server closed early")
        b += d
    return b
def answer(c):
    n = struct.unpack("!H", read_exact(c, 2))[0]
    read_exact(c, n)
c = socket.create_connection((host, port), timeout=10)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.sendall(query(0x1001, "www.example.test", 1) + query(0x1002, "host.example.test", 28) + query(0x1003, "many.example.test", 1))
for _ in range(3): answer(c)
q = query(0x1004, "big.example.test", 16)
for part in (q[:2], q[2:14], q[14:]):
    c.sendall(part)
    time.sleep(0.05)
answer(c)
c.close()
EOF

# ---------------------------------------------------------------- topology
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

ns_new() {
    local ns=$1
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    # No IPv6 (no router solicitations / MLD / ND noise in the captures).
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    # Answer every datagram to a closed port with ICMP, without rate limiting.
    nsx "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0
    nsx "$ns" ip link set lo up
}

teardown() {
    for ns in "$CLI" "$SRV" "$BR"; do ip netns del "$ns" 2>/dev/null || true; done
}

# Fresh client and server namespaces joined by one veth pair.
setup_pair() {
    teardown
    ns_new "$CLI"; ns_new "$SRV"
    ip link add "$CLI_IF" netns "$CLI" address "$CLI_MAC" type veth \
        peer name "$SRV_IF" netns "$SRV" address "$SRV_MAC"
    nsx "$CLI" ip addr add "$CLI_IP/24" dev "$CLI_IF"
    nsx "$SRV" ip addr add "$SRV_IP/24" dev "$SRV_IF"
    nsx "$CLI" ip link set "$CLI_IF" up
    nsx "$SRV" ip link set "$SRV_IF" up
    flush_neigh
}

# Client and server namespaces joined through a bridge in a third namespace.
setup_bridged() {
    teardown
    ns_new "$CLI"; ns_new "$SRV"; ns_new "$BR"
    ip link add "$CLI_IF" netns "$CLI" address "$CLI_MAC" type veth \
        peer name br-cli netns "$BR" address 02:00:00:00:01:01
    ip link add "$SRV_IF" netns "$SRV" address "$SRV_MAC" type veth \
        peer name br-srv netns "$BR" address 02:00:00:00:01:02
    nsx "$BR" ip link add br0 address 02:00:00:00:01:00 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    nsx "$BR" ip link set br-cli master br0
    nsx "$BR" ip link set br-srv master br0
    nsx "$BR" ip link set br-cli up
    nsx "$BR" ip link set br-srv up
    nsx "$BR" ip link set br0 up
    nsx "$CLI" ip addr add "$CLI_IP/24" dev "$CLI_IF"
    nsx "$SRV" ip addr add "$SRV_IP/24" dev "$SRV_IF"
    nsx "$CLI" ip link set "$CLI_IF" up
    nsx "$SRV" ip link set "$SRV_IF" up
    flush_neigh
}

flush_neigh() {
    nsx "$CLI" ip neigh flush all
    nsx "$SRV" ip neigh flush all
}

# wait_listen NS tcp|udp PORT: wait (max 5 s) until something listens there.
wait_listen() {
    local ns=$1 proto=$2 port=$3 i flag=-ltnH
    [ "$proto" = udp ] && flag=-lunH
    for i in $(seq 1 50); do
        if nsx "$ns" ss $flag "sport = :$port" | grep -q .; then return 0; fi
        sleep 0.1
    done
    die "nothing listening on $proto port $port in $ns"
}

# bg NS CMD...: start a background process inside a namespace, remember pid.
BGPID=
bg() {
    local ns=$1; shift
    ip netns exec "$ns" "$@" >>"$TMP/bg.log" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

stop_bg() {
    local p=$1
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
}

# ---------------------------------------------------------------- capturing
CAP_PID=
CAP_ERR=
CAP_FILE=
# cap_start NS FILE TOOL ARGS...: start a capture, wait until it is ready.
cap_start() {
    local ns=$1 file=$2; shift 2
    CAP_FILE="$OUT/$file"
    CAP_ERR="$TMP/$file.stderr"
    rm -f "$CAP_FILE"
    ip netns exec "$ns" "$@" >"$TMP/$file.stdout" 2>"$CAP_ERR" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    local i
    for i in $(seq 1 100); do
        if grep -q -E 'listening on|Capturing on' "$CAP_ERR" 2>/dev/null; then
            sleep 0.3   # let the capture settle before any traffic
            return 0
        fi
        kill -0 "$CAP_PID" 2>/dev/null || { cat "$CAP_ERR" >&2; die "capture for $file exited early"; }
        sleep 0.1
    done
    cat "$CAP_ERR" >&2
    die "capture for $file did not become ready"
}

tcpdump_start() {  # tcpdump_start NS IFACE FILE [extra tcpdump args]
    local ns=$1 ifc=$2 file=$3; shift 3
    cap_start "$ns" "$file" tcpdump -i "$ifc" -U --immediate-mode -s "$SNAPLEN" -n -Z root "$@" -w "$OUT/$file"
}

cap_stop() {
    sleep 0.5      # let the last packets (final ACKs) arrive
    kill -INT "$CAP_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$CAP_PID" 2>/dev/null && { kill -KILL "$CAP_PID"; die "capture did not stop on SIGINT"; }
    wait "$CAP_PID" 2>/dev/null || true
    [ -s "$CAP_FILE" ] || { cat "$CAP_ERR" >&2; die "capture $CAP_FILE is empty"; }
    chmod 644 "$CAP_FILE"
    log "wrote $(basename "$CAP_FILE"): $(count "$CAP_FILE") packets, $(stat -c %s "$CAP_FILE") bytes"
}

count() { tshark -r "$1" 2>/dev/null | wc -l; }

C() { nsx "$CLI" timeout 15 "$@"; }   # run a bounded client command
S() { nsx "$SRV" timeout 15 "$@"; }   # run a bounded server-side command

# ---------------------------------------------------------------- 1. web.pcap
record_web() {
    setup_pair
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    bg "$SRV" "$PY" "$TMP/closefirst.py" "$SRV_IP" 8080;                     local cf=$BGPID
    wait_listen "$SRV" tcp 80; wait_listen "$SRV" tcp 8080
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" web.pcap
    # Connection 1: HTTP/1.1 keep-alive, curl closes first (client FIN first).
    C curl -sS -o /dev/null "http://$SRV_IP/hello.txt"
    sleep 0.3
    # Connection 2: HTTP/1.0 via nc, server answers and closes first.
    printf 'GET /closefirst HTTP/1.0\r\nHost: %s:8080\r\nUser-Agent: nc\r\n\r\n' "$SRV_IP" \
        | C nc "$SRV_IP" 8080 >/dev/null
    cap_stop
    stop_bg "$http"; stop_bg "$cf"
}

# ---------------------------------------------------------------- streams.pcap
# Byte streams: keep-alive, pipelining, a body of many segments, messages
# packed into segments, and a download through random loss.
record_streams() {
    local try
    for try in 1 2 3 4 5; do
        record_streams_once
        # Loss is random: record again until it made a retransmission and an
        # out-of-order segment.
        if [ "$(tshark -r "$OUT/streams.pcap" -Y 'tcp.port == 81 && tcp.analysis.retransmission' 2>/dev/null | wc -l)" -ge 1 ] &&
           [ "$(tshark -r "$OUT/streams.pcap" -Y 'tcp.port == 81 && tcp.analysis.lost_segment && tcp.len > 0' 2>/dev/null | wc -l)" -ge 1 ]; then
            return 0
        fi
        log "streams.pcap: the loss made no retransmission or reordering; recording again ($try)"
    done
    die "streams.pcap: no retransmission and reordering after 5 tries"
}

record_streams_once() {
    # Through the bridge, which loses some of the server's segments on their way (below).
    setup_bridged
    # Segments as the wire carries them: no segmentation or receive offloads anywhere, so that
    # the bridge sees (and drops) single segments.
    nsx "$CLI" ethtool -K "$CLI_IF" tso off gso off gro off >/dev/null
    nsx "$SRV" ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null
    nsx "$BR" ethtool -K br-cli tso off gso off gro off >/dev/null
    nsx "$BR" ethtool -K br-srv tso off gso off gro off >/dev/null
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 81; local lossy=$BGPID
    bg "$SRV" "$PY" "$TMP/sticky.py" server "$SRV_IP" 9000;                 local sticky=$BGPID
    wait_listen "$SRV" tcp 80; wait_listen "$SRV" tcp 81; wait_listen "$SRV" tcp 9000
    # Port 81 only: the bridge loses 8% of the server's segments before the
    # capture sees them (a hole, later filled by the retransmission: the
    # segments after it come out of order), and the client loses 8% of what it
    # receives after the capture saw it (the retransmission is a second copy).
    nsx "$BR" nft add table bridge lossy
    nsx "$BR" nft add chain bridge lossy forw '{ type filter hook forward priority 0 ; }'
    nsx "$BR" nft add rule bridge lossy forw tcp sport 81 numgen random mod 100 '<' 8 drop
    nsx "$CLI" iptables -A INPUT -p tcp --sport 81 -m statistic --mode random --probability 0.08 -j DROP
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" streams.pcap
    # 1. Keep-alive: three requests on one connection, the second body 36000 bytes.
    C curl -sS -o /dev/null -o /dev/null -o /dev/null \
        "http://$SRV_IP/hello.txt" "http://$SRV_IP/body.txt" "http://$SRV_IP/index.html"
    sleep 0.2
    # 2. Pipelining: two requests in one segment, before any answer.
    printf 'GET /hello.txt HTTP/1.1\r\nHost: %s\r\n\r\nGET /index.html HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$SRV_IP" "$SRV_IP" \
        | C nc -N "$SRV_IP" 80 >/dev/null
    sleep 0.2
    # 3. Length-prefixed messages packed into segments.
    C "$PY" "$TMP/sticky.py" client "$SRV_IP" 9000
    sleep 0.2
    # 4. The body again, through the loss.
    C curl -sS -o /dev/null "http://$SRV_IP:81/body.txt"
    cap_stop
    stop_bg "$http"; stop_bg "$lossy"; stop_bg "$sticky"
    # streams-gap.pcap: the same without the keep-alive body's fifth data segment
    # from the server, as if the capture had missed a packet the client got.
    local gone
    gone=$(tshark -r "$OUT/streams.pcap" -Y 'tcp.srcport == 80 && tcp.len > 1000' -T fields -e frame.number 2>/dev/null | sed -n 5p)
    [ -n "$gone" ] || die "streams.pcap: no fifth body segment on port 80"
    editcap -F pcap "$OUT/streams.pcap" "$OUT/streams-gap.pcap" "$gone"
    chmod 644 "$OUT/streams-gap.pcap"
    log "wrote streams-gap.pcap: streams.pcap without frame $gone"
}

# ---------------------------------------------------------------- app.pcap
# The application layer: TLS handshakes with SNI and ALPN (openssl s_client against
# openssl s_server, TLS 1.3 and 1.2), and HTTP on a port no table names (8081): a chunked
# response and a POST with a body on one keep-alive connection.
record_app() {
    setup_pair
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=www.example.test" \
        -keyout "$TMP/tls.key" -out "$TMP/tls.crt" >/dev/null 2>&1 || die "openssl req failed"
    bg "$SRV" openssl s_server -quiet -accept "$SRV_IP:443" -cert "$TMP/tls.crt" -key "$TMP/tls.key" -alpn http/1.1 -naccept 2; local tls=$BGPID
    bg "$SRV" "$PY" "$TMP/app_server.py" "$SRV_IP" 8081; local app=$BGPID
    wait_listen "$SRV" tcp 443; wait_listen "$SRV" tcp 8081
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" app.pcap
    # 1. TLS 1.3: the ServerHello chooses the version in supported_versions; ALPN goes encrypted.
    C openssl s_client -connect "$SRV_IP:443" -servername www.example.test -alpn h2,http/1.1 </dev/null >/dev/null 2>&1 || true
    sleep 0.2
    # 2. TLS 1.2: the ServerHello's ALPN is in clear.
    C openssl s_client -connect "$SRV_IP:443" -servername api.example.test -alpn h2,http/1.1 -tls1_2 </dev/null >/dev/null 2>&1 || true
    sleep 0.2
    # 3. HTTP on port 8081, keep-alive: a chunked response, then a POST with a body.
    C curl -sS -o /dev/null "http://$SRV_IP:8081/chunked" --next -sS -o /dev/null -d 'hello=world&x=1' "http://$SRV_IP:8081/form"
    cap_stop
    stop_bg "$tls"; stop_bg "$app"
}

# ---------------------------------------------------------------- tls12.pcap
# Every handshake message TLS sends in clear: TLS 1.2 full handshakes (ECDHE: Certificate,
# ServerKeyExchange, ServerHelloDone, ClientKeyExchange, NewSessionTicket; RSA key exchange:
# no ServerKeyExchange), one resumed from the first's ticket (-sess_out/-sess_in), one with a
# client certificate (CertificateRequest, the client's Certificate and CertificateVerify) sent in
# 512-byte records so messages span records and segments, a TLS 1.3 HelloRetryRequest (the
# client's key share is P-256, the server takes only X25519), and application data both ways.
record_tls12() {
    setup_pair
    # A 4096-bit key: the certificate and key exchange span TCP segments.
    openssl req -x509 -newkey rsa:4096 -nodes -days 2 -subj "/CN=www.example.test" \
        -keyout "$TMP/tls12.key" -out "$TMP/tls12.crt" >/dev/null 2>&1 || die "openssl req failed"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=client.example.test" \
        -keyout "$TMP/cli.key" -out "$TMP/cli.crt" >/dev/null 2>&1 || die "openssl req failed"
    bg "$SRV" openssl s_server -quiet -www -accept "$SRV_IP:443" -cert "$TMP/tls12.crt" -key "$TMP/tls12.key" \
        -alpn http/1.1 -naccept 4; local www=$BGPID
    bg "$SRV" openssl s_server -quiet -www -accept "$SRV_IP:4433" -cert "$TMP/tls12.crt" -key "$TMP/tls12.key" \
        -Verify 1 -CAfile "$TMP/cli.crt" -max_send_frag 512 -naccept 1; local mutual=$BGPID
    bg "$SRV" openssl s_server -quiet -www -accept "$SRV_IP:8443" -cert "$TMP/tls12.crt" -key "$TMP/tls12.key" \
        -groups X25519 -naccept 1; local hrr=$BGPID
    # Segments of at most one MTU, so that the server's first flight spans several.
    nsx "$CLI" ethtool -K "$CLI_IF" tso off gso off gro off >/dev/null
    nsx "$SRV" ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null
    wait_listen "$SRV" tcp 443; wait_listen "$SRV" tcp 4433; wait_listen "$SRV" tcp 8443
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" tls12.pcap
    local get='GET / HTTP/1.0\r\n\r\n'
    # 1. TLS 1.2, ECDHE-RSA, ALPN; the session (with its ticket) saved.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername www.example.test -alpn h2,http/1.1 \
        -tls1_2 -sess_out "$TMP/sess.pem" >/dev/null 2>&1 || true
    sleep 0.2
    # 2. The same session resumed.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername www.example.test \
        -tls1_2 -sess_in "$TMP/sess.pem" >/dev/null 2>&1 || true
    sleep 0.2
    # 3. TLS 1.2 with RSA key exchange: no ServerKeyExchange.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername rsa.example.test \
        -tls1_2 -cipher AES128-GCM-SHA256 >/dev/null 2>&1 || true
    sleep 0.2
    # 4. TLS 1.3 with application data both ways.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername www.example.test >/dev/null 2>&1 || true
    sleep 0.2
    # 5. TLS 1.2 with a client certificate, 512-byte records.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:4433" -servername mutual.example.test -tls1_2 \
        -cert "$TMP/cli.crt" -key "$TMP/cli.key" -max_send_frag 512 >/dev/null 2>&1 || true
    sleep 0.2
    # 6. TLS 1.3 HelloRetryRequest.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:8443" -servername hrr.example.test \
        -groups P-256:X25519 >/dev/null 2>&1 || true
    cap_stop
    stop_bg "$www"; stop_bg "$mutual"; stop_bg "$hrr"
}

# ---------------------------------------------------------------- tls-alert.pcap
# TLS handshakes that fail with an alert sent in clear, and one that succeeds with a chain of
# two certificates: 1. no cipher suite in common (the server's handshake_failure alert right
# after the ClientHello); 2. a client that does not trust the server's certificate (its
# unknown_ca alert); 3. a server that asks for a client certificate and gets none (its alert
# after the client has encrypted); 4. TLS 1.2 established, the server sending its certificate
# and the CA's.
record_tls_alert() {
    setup_pair
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Example Test CA" \
        -keyout "$TMP/ca.key" -out "$TMP/ca.crt" >/dev/null 2>&1 || die "openssl req failed"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=chain.example.test" \
        -keyout "$TMP/leaf.key" -out "$TMP/leaf.csr" >/dev/null 2>&1 || die "openssl req failed"
    openssl x509 -req -in "$TMP/leaf.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
        -out "$TMP/leaf.crt" >/dev/null 2>&1 || die "openssl x509 -req failed"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other.example.test" \
        -keyout "$TMP/other.key" -out "$TMP/other.crt" >/dev/null 2>&1 || die "openssl req failed"
    bg "$SRV" openssl s_server -quiet -www -accept "$SRV_IP:443" -cert "$TMP/leaf.crt" -key "$TMP/leaf.key" \
        -cert_chain "$TMP/ca.crt" -tls1_2 -cipher AES256-GCM-SHA384 -naccept 3; local www=$BGPID
    bg "$SRV" openssl s_server -quiet -www -accept "$SRV_IP:4433" -cert "$TMP/leaf.crt" -key "$TMP/leaf.key" \
        -Verify 1 -CAfile "$TMP/ca.crt" -tls1_2 -naccept 1; local mutual=$BGPID
    wait_listen "$SRV" tcp 443; wait_listen "$SRV" tcp 4433
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" tls-alert.pcap
    local get='GET / HTTP/1.0\r\n\r\n'
    # 1. No cipher suite in common.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername nocipher.example.test \
        -tls1_2 -cipher AES128-GCM-SHA256 >/dev/null 2>&1 || true
    sleep 0.2
    # 2. The client trusts another CA only.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername untrusted.example.test \
        -tls1_2 -CAfile "$TMP/other.crt" -verify_return_error >/dev/null 2>&1 || true
    sleep 0.2
    # 3. The server wants a client certificate; none is sent.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:4433" -servername mutual.example.test \
        -tls1_2 >/dev/null 2>&1 || true
    sleep 0.2
    # 4. Established, with the server's chain of two certificates.
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername chain.example.test \
        -tls1_2 -CAfile "$TMP/ca.crt" >/dev/null 2>&1 || true
    cap_stop
    stop_bg "$www"; stop_bg "$mutual"
}

# ---------------------------------------------------------------- tls-names.pcap
# Which names a server's certificate covers (ssl.log's sni_matches_cert): TLS 1.2, so the
# certificate goes in clear; its subject's CN is cn.example.test and its subjectAltName lists
# *.wild.example.test, alt.example.test and an IP address. The clients name: 1. a host under
# the wildcard; 2. the SAN's other name, in capitals; 3. the CN only (not covered: a SAN is
# there); 4. two labels under the wildcard (not covered); 5. no name at all.
record_tls_names() {
    setup_pair
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cn.example.test" \
        -addext "subjectAltName=DNS:*.wild.example.test,DNS:alt.example.test,IP:$SRV_IP" \
        -keyout "$TMP/names.key" -out "$TMP/names.crt" >/dev/null 2>&1 || die "openssl req failed"
    bg "$SRV" openssl s_server -quiet -www -accept "$SRV_IP:443" -cert "$TMP/names.crt" -key "$TMP/names.key" \
        -tls1_2 -naccept 5; local srv=$BGPID
    wait_listen "$SRV" tcp 443
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" tls-names.pcap
    local get='GET / HTTP/1.0\r\n\r\n' name
    for name in a.wild.example.test ALT.EXAMPLE.TEST cn.example.test x.y.wild.example.test; do
        printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -servername "$name" -tls1_2 \
            >/dev/null 2>&1 || true
        sleep 0.2
    done
    printf "$get" | C openssl s_client -quiet -connect "$SRV_IP:443" -noservername -tls1_2 >/dev/null 2>&1 || true
    cap_stop
    stop_bg "$srv"
}

# ---------------------------------------------------------------- ip-options.pcap
# IPv4 options as ping sets them (RFC 791), each echo answered with the option the server's
# kernel filled in: timestamps only (-T tsonly), each after its host's address (-T tsandaddr),
# at prespecified addresses (-T tsprespec, the server's and the client's), and the route
# recorded (-R).
record_ip_options() {
    setup_pair
    tcpdump_start "$CLI" "$CLI_IF" ip-options.pcap
    C ping -q -c 1 -W 1 -T tsonly "$SRV_IP" >/dev/null
    C ping -q -c 1 -W 1 -T tsandaddr "$SRV_IP" >/dev/null
    C ping -q -c 1 -W 1 -T tsprespec "$SRV_IP" "$CLI_IP" "$SRV_IP" >/dev/null
    C ping -q -c 1 -W 1 -R "$SRV_IP" >/dev/null
    cap_stop
}

# ---------------------------------------------------------------- 2. refused.pcap
record_refused() {
    setup_pair
    tcpdump_start "$CLI" "$CLI_IF" refused.pcap
    C nc -z -w 2 "$SRV_IP" 81 && die "port 81 unexpectedly open" || true
    C curl -sS -o /dev/null "http://$SRV_IP:8081/" 2>/dev/null && die "port 8081 unexpectedly open" || true
    cap_stop
}

# ---------------------------------------------------------------- 3. udp-unreach.pcap
record_udp() {
    setup_pair
    bg "$SRV" "$PY" "$TMP/udpecho.py" "$SRV_IP" 7 2; local echo=$BGPID
    wait_listen "$SRV" udp 7
    tcpdump_start "$CLI" "$CLI_IF" udp-unreach.pcap
    local port
    for port in 9999 10000 33434; do
        printf 'probe to closed port %s\n' "$port" | C nc -u -w 1 "$SRV_IP" "$port" >/dev/null 2>&1 || true
    done
    printf 'hello echo\n' | C nc -u -w 1 "$SRV_IP" 7 >/dev/null 2>&1 || true
    cap_stop
    stop_bg "$echo"
}

# ---------------------------------------------------------------- 4. arp.pcap
record_arp() {
    setup_pair
    tcpdump_start "$CLI" "$CLI_IF" arp.pcap
    # Plain who-has / is-at: client asks for the server's address (twice).
    C arping -q -c 2 -W 0.2 -i "$CLI_IF" "$SRV_IP" || true
    # Gratuitous ARP from the server: request form, then reply form.
    S arping -q -U -c 1 -i "$SRV_IF" "$SRV_IP" || true
    S arping -q -U -P -c 1 -i "$SRV_IF" "$SRV_IP" || true
    C ping -q -c 1 -W 1 "$SRV_IP" >/dev/null
    # The server's MAC changes; it announces the new MAC (gratuitous ARP),
    # traffic then flows to the new MAC.
    nsx "$SRV" ip link set dev "$SRV_IF" address "$SRV_MAC_NEW"
    S arping -q -U -c 2 -W 0.2 -i "$SRV_IF" "$SRV_IP" || true
    C ping -q -c 2 -i 0.2 -W 1 "$SRV_IP" >/dev/null
    # Who-has for the new MAC, asked explicitly by the client.
    C arping -q -c 1 -i "$CLI_IF" "$SRV_IP" || true
    cap_stop
}

# ---------------------------------------------------------------- 5. synflood.pcap
record_synflood() {
    setup_pair
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    tcpdump_start "$SRV" "$SRV_IF" synflood.pcap
    C curl -sS -o /dev/null "http://$SRV_IP/"
    nsx "$CLI" timeout 30 hping3 -q -I "$CLI_IF" -S --rand-source -p 80 -c 300 -i u2000 "$SRV_IP" \
        >>"$TMP/hping3.log" 2>&1 &
    local hp=$!; PIDS+=("$hp")
    sleep 0.2
    C curl -sS -o /dev/null "http://$SRV_IP/hello.txt"
    wait "$hp" || true
    C curl -sS -o /dev/null "http://$SRV_IP/index.html"
    cap_stop
    stop_bg "$http"
}

# ---------------------------------------------------------------- 6. web.pcapng
record_web_pcapng() {
    setup_pair
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    cap_start "$CLI" web.pcapng dumpcap -i "$CLI_IF" -s "$SNAPLEN" -n -w "$OUT/web.pcapng"
    C curl -sS -o /dev/null "http://$SRV_IP/"
    C curl -sS -o /dev/null "http://$SRV_IP/hello.txt"
    cap_stop
    stop_bg "$http"
}

# ---------------------------------------------------------------- 6b. mixed.pcapng
record_mixed() {
    setup_bridged
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    # One dumpcap, two interfaces (both bridge ports): every frame appears
    # once per interface, with interface ids 0 (br-cli) and 1 (br-srv).
    cap_start "$BR" mixed.pcapng dumpcap -i br-cli -i br-srv -s "$SNAPLEN" -n -w "$OUT/mixed.pcapng"
    C curl -sS -o /dev/null "http://$SRV_IP/hello.txt"
    cap_stop
    stop_bg "$http"
    # dumpcap hands over each interface's packets in batches, so the raw file
    # is not in time order; sort it (keeps the two interface blocks).
    reordercap "$OUT/mixed.pcapng" "$TMP/mixed-sorted.pcapng" >/dev/null
    mv "$TMP/mixed-sorted.pcapng" "$OUT/mixed.pcapng"
    chmod 644 "$OUT/mixed.pcapng"
    log "sorted mixed.pcapng by time with reordercap: $(count "$OUT/mixed.pcapng") packets, $(stat -c %s "$OUT/mixed.pcapng") bytes"
}

# ---------------------------------------------------------------- 7. handshake-nano.pcap
record_nano() {
    setup_pair
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    tcpdump_start "$CLI" "$CLI_IF" handshake-nano.pcap --time-stamp-precision=nano
    C curl -sS -o /dev/null "http://$SRV_IP/hello.txt"
    cap_stop
    stop_bg "$http"
}

# ---------------------------------------------------------------- 8. reuse.pcap
# One four-tuple used by several connections in turn (Zeek's IsReuse).
record_reuse() {
    setup_pair
    tcpdump_start "$CLI" "$CLI_IF" reuse.pcap
    # Three SYNs to a closed port from one source port with one sequence number, each
    # answered by a RST: three connections for Zeek.
    C hping3 -q -I "$CLI_IF" -S -p 81 -s 40000 -k -M 1000 -c 3 -i u200000 "$SRV_IP" >>"$TMP/hping3.log" 2>&1 || true
    # Refused, then accepted, from one source port.
    C curl -sS -o /dev/null --local-port 40001 "http://$SRV_IP:8082/" 2>/dev/null && die "port 8082 unexpectedly open" || true
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 8082; local http=$BGPID
    wait_listen "$SRV" tcp 8082
    C curl -sS -o /dev/null --local-port 40001 "http://$SRV_IP:8082/hello.txt"
    # Two complete connections in a row from one source port (the server closes first, so
    # the client may use the port again at once).
    bg "$SRV" "$PY" "$TMP/closefirst_n.py" "$SRV_IP" 8083 2; local cf=$BGPID
    wait_listen "$SRV" tcp 8083
    C "$PY" "$TMP/fixedport.py" "$SRV_IP" 8083 40002
    sleep 0.2
    C "$PY" "$TMP/fixedport.py" "$SRV_IP" 8083 40002
    cap_stop
    stop_bg "$http"; stop_bg "$cf"
}

# ---------------------------------------------------------------- 9. keepalive.pcap
# Keep-alive probes (segments that repeat a sequence number without payload), and a RST on a
# four-tuple whose connection both ends closed.
record_keepalive() {
    setup_pair
    bg "$SRV" "$PY" "$TMP/keepalive_srv.py" "$SRV_IP" 9000; local ka=$BGPID
    bg "$SRV" "$PY" "$TMP/closefirst_n.py" "$SRV_IP" 9001 1; local cf=$BGPID
    wait_listen "$SRV" tcp 9000; wait_listen "$SRV" tcp 9001
    tcpdump_start "$CLI" "$CLI_IF" keepalive.pcap
    C "$PY" "$TMP/keepalive_cli.py" "$SRV_IP" 9000 3.5
    C "$PY" "$TMP/fixedport.py" "$SRV_IP" 9001 40004
    sleep 0.2
    C hping3 -q -I "$CLI_IF" -R -A -p 9001 -s 40004 -k -c 1 "$SRV_IP" >>"$TMP/hping3.log" 2>&1 || true
    cap_stop
    stop_bg "$ka"; stop_bg "$cf"
}

# ---------------------------------------------------------------- 10. half-duplex.pcap
# What a tap sees of one direction only: the client's packets of one connection, the server's
# of another.
record_half_duplex() {
    setup_pair
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    tcpdump_start "$CLI" "$CLI_IF" half-duplex.pcap \
        "(src host $CLI_IP and tcp port 40010) or (src host $SRV_IP and tcp port 40011)"
    C curl -sS -o /dev/null --local-port 40010 "http://$SRV_IP/hello.txt"
    C curl -sS -o /dev/null --local-port 40011 "http://$SRV_IP/index.html"
    cap_stop
    stop_bg "$http"
}

# ---------------------------------------------------------------- 11. midstream.pcap
# A connection picked up a second after it opened: the server sends a line every 0.2 s.
record_midstream() {
    setup_pair
    bg "$SRV" "$PY" "$TMP/pushsrv.py" "$SRV_IP" 443 12; local push=$BGPID
    wait_listen "$SRV" tcp 443
    bg "$CLI" "$PY" "$TMP/pushcli.py" "$SRV_IP" 443; local cli=$BGPID
    sleep 1
    tcpdump_start "$CLI" "$CLI_IF" midstream.pcap "tcp port 443"
    wait "$cli" || true
    cap_stop
    stop_bg "$push"
}

# ---------------------------------------------------------------- 12. ping.pcap
# ICMP as Zeek keeps it: echo requests and replies paired into one flow whatever their
# identifiers, an error message as a one-way flow, and a flow idle for a while.
record_ping() {
    setup_pair
    tcpdump_start "$CLI" "$CLI_IF" ping.pcap
    C ping -q -c 3 -i 0.2 -W 1 "$SRV_IP" >/dev/null
    C ping -q -c 2 -i 0.2 -W 1 "$SRV_IP" >/dev/null
    printf 'probe\n' | C nc -u -w 1 "$SRV_IP" 9999 >/dev/null 2>&1 || true
    sleep 2.5
    C ping -q -c 1 -W 1 "$SRV_IP" >/dev/null
    cap_stop
}

# ---------------------------------------------------------------- 13. vxlan.pcap
# A tunnel as Zeek logs it: the client and the server also talk over a VXLAN overlay
# (10.1.0.0/24, VNI 42) carried in UDP over the veth pair; one HTTP exchange and two pings go
# through it, and the capture is taken on the underlay, so every frame is outer and inner.
record_vxlan() {
    setup_pair
    local ns ip
    for ns in "$CLI" "$SRV"; do
        if [ "$ns" = "$CLI" ]; then ip=1; else ip=2; fi
        local local_ip=10.0.0.$ip remote_ip=10.0.0.$((3 - ip))
        nsx "$ns" ip link add vx0 address 02:00:00:00:02:0$ip type vxlan id 42 dstport 4789 \
            local "$local_ip" remote "$remote_ip" dev "$([ "$ns" = "$CLI" ] && echo "$CLI_IF" || echo "$SRV_IF")"
        nsx "$ns" ip addr add 10.1.0.$ip/24 dev vx0
        nsx "$ns" ip link set vx0 up
    done
    bg "$SRV" "$PY" -m http.server -b 10.1.0.2 -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    flush_neigh
    nsx "$CLI" ip neigh flush dev vx0
    tcpdump_start "$CLI" "$CLI_IF" vxlan.pcap
    C ping -q -c 2 -i 0.2 -W 1 10.1.0.2 >/dev/null
    C curl -sS -o /dev/null "http://10.1.0.2/hello.txt"
    cap_stop
    stop_bg "$http"
}

# ---------------------------------------------------------------- icmp-errors.pcap
# ICMP errors a router sends, each quoting the packet that caused it: the client reaches the
# server through a router namespace ($BR, forwarding, 10.0.0.254 and 10.0.2.254) whose link to
# the server has an MTU of 1300. A ping and a TCP SYN with TTL 1 die at the router (time
# exceeded in transit); a 1400-byte ping with DF set cannot pass (fragmentation needed, MTU
# 1300); a UDP datagram to a closed port of the server comes back port unreachable.
record_icmp_errors() {
    teardown
    ns_new "$CLI"; ns_new "$SRV"; ns_new "$BR"
    ip link add "$CLI_IF" netns "$CLI" address "$CLI_MAC" type veth peer name r-cli netns "$BR" address 02:00:00:00:01:01
    ip link add "$SRV_IF" netns "$SRV" address "$SRV_MAC" type veth peer name r-srv netns "$BR" address 02:00:00:00:01:02
    nsx "$BR" sysctl -qw net.ipv4.ip_forward=1
    nsx "$BR" ip addr add 10.0.0.254/24 dev r-cli
    nsx "$BR" ip addr add 10.0.2.254/24 dev r-srv
    nsx "$BR" ip link set r-srv mtu 1300
    nsx "$SRV" ip link set "$SRV_IF" mtu 1300
    nsx "$BR" ip link set r-cli up
    nsx "$BR" ip link set r-srv up
    nsx "$CLI" ip addr add "$CLI_IP/24" dev "$CLI_IF"
    nsx "$SRV" ip addr add 10.0.2.2/24 dev "$SRV_IF"
    nsx "$CLI" ip link set "$CLI_IF" up
    nsx "$SRV" ip link set "$SRV_IF" up
    nsx "$CLI" ip route add default via 10.0.0.254
    nsx "$SRV" ip route add default via 10.0.2.254
    # Path MTU learnt from an earlier error would stop the DF ping at the client itself.
    nsx "$CLI" ip route flush cache
    C ping -q -c 1 -W 1 10.0.2.2 >/dev/null
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" icmp-errors.pcap "ip"
    C ping -q -c 2 -i 0.2 -t 1 -W 1 10.0.2.2 >/dev/null || true
    C "$PY" -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1); s.settimeout(1)
try: s.connect((sys.argv[1], 80))
except OSError: pass' 10.0.2.2
    C ping -q -c 2 -i 0.2 -M do -s 1400 -W 1 10.0.2.2 >/dev/null || true
    printf 'probe\n' | C nc -u -w 1 10.0.2.2 9999 >/dev/null 2>&1 || true
    cap_stop
}

# ---------------------------------------------------------------- icmp6-errors.pcap
# ICMPv6's errors and neighbour discovery, as a router between two IPv6 links makes them: a
# ping with hop limit 1 (time exceeded), a 1400-byte ping onto a 1300-byte link (packet too
# big, with the MTU), a ping to a prefix the router has no route for (no route), one to an
# address on the server's link that nobody holds (address unreachable, after neighbour
# discovery gives up), and a UDP datagram to a closed port (port unreachable).
record_icmp6_errors() {
    teardown
    ns_new "$CLI"; ns_new "$SRV"; ns_new "$BR"
    ip link add "$CLI_IF" netns "$CLI" address "$CLI_MAC" type veth peer name r-cli netns "$BR" address 02:00:00:00:01:01
    ip link add "$SRV_IF" netns "$SRV" address "$SRV_MAC" type veth peer name r-srv netns "$BR" address 02:00:00:00:01:02
    for ns in "$CLI" "$SRV" "$BR"; do
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
    done
    nsx "$CLI" sysctl -qw "net.ipv6.conf.$CLI_IF.disable_ipv6=0"
    nsx "$SRV" sysctl -qw "net.ipv6.conf.$SRV_IF.disable_ipv6=0"
    nsx "$BR" sysctl -qw net.ipv6.conf.r-cli.disable_ipv6=0 net.ipv6.conf.r-srv.disable_ipv6=0
    nsx "$BR" sysctl -qw net.ipv6.conf.all.forwarding=1
    nsx "$BR" ip link set r-srv mtu 1300
    nsx "$SRV" ip link set "$SRV_IF" mtu 1300
    nsx "$BR" ip link set r-cli up
    nsx "$BR" ip link set r-srv up
    nsx "$CLI" ip link set "$CLI_IF" up
    nsx "$SRV" ip link set "$SRV_IF" up
    nsx "$BR" ip addr add fd00:0:0:1::fe/64 dev r-cli nodad
    nsx "$BR" ip addr add fd00:0:0:2::fe/64 dev r-srv nodad
    nsx "$CLI" ip addr add fd00:0:0:1::1/64 dev "$CLI_IF" nodad
    nsx "$SRV" ip addr add fd00:0:0:2::2/64 dev "$SRV_IF" nodad
    nsx "$CLI" ip -6 route add default via fd00:0:0:1::fe
    nsx "$SRV" ip -6 route add default via fd00:0:0:2::fe
    C ping -6 -q -c 1 -w 5 fd00:0:0:2::2 >/dev/null
    tcpdump_start "$CLI" "$CLI_IF" icmp6-errors.pcap "ip6 and not (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 134)"
    C ping -6 -q -c 2 -i 0.2 -t 1 -W 1 fd00:0:0:2::2 >/dev/null || true
    C ping -6 -q -c 2 -i 0.2 -M do -s 1400 -W 1 fd00:0:0:2::2 >/dev/null || true
    C ping -6 -q -c 1 -W 1 fd00:0:0:9::9 >/dev/null || true
    C ping -6 -q -c 1 -W 5 fd00:0:0:2::99 >/dev/null || true
    printf 'probe\n' | C nc -6 -u -w 1 fd00:0:0:2::2 9999 >/dev/null 2>&1 || true
    nsx "$CLI" ip -6 neigh flush dev "$CLI_IF"
    C ping -6 -q -c 1 -W 1 fd00:0:0:1::fe >/dev/null || true
    cap_stop
}

# ---------------------------------------------------------------- igmp.pcap
# IGMP as a LAN shows it: the client joins and leaves groups as IGMPv3, v2 and v1 hosts in turn
# (the kernel's force_igmp_version), one group source-specific, and a bridge in the third
# namespace is the querier (general and group-specific queries, v3 then v2).
record_igmp() {
    teardown
    ns_new "$CLI"; ns_new "$BR"
    ip link add "$CLI_IF" netns "$CLI" address "$CLI_MAC" type veth peer name br-cli netns "$BR" address 02:00:00:00:01:01
    nsx "$BR" ip link add br0 address 02:00:00:00:01:fe type bridge mcast_snooping 1 mcast_querier 1 \
        mcast_query_use_ifaddr 1 mcast_igmp_version 3 mcast_startup_query_interval 100 \
        mcast_query_response_interval 200 mcast_last_member_interval 50
    nsx "$BR" ip link set br-cli master br0
    nsx "$BR" ip addr add 10.0.0.254/24 dev br0
    nsx "$CLI" ip addr add "$CLI_IP/24" dev "$CLI_IF"
    nsx "$CLI" ip link set "$CLI_IF" up
    nsx "$BR" ip link set br-cli up
    tcpdump_start "$CLI" "$CLI_IF" igmp.pcap igmp
    nsx "$BR" ip link set br0 up
    cat >"$TMP/igmp_member.py" <<'PYEOF'
# Join groups (a source-specific one when a source is given), hold them, leave them.
import socket, struct, sys, time, signal
signal.alarm(20)
# Linux's values (Python names them only on some systems).
ADD_SOURCE, DROP_SOURCE = getattr(socket, "IP_ADD_SOURCE_MEMBERSHIP", 39), getattr(socket, "IP_DROP_SOURCE_MEMBERSHIP", 40)
me, hold = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
joined = []
for g in sys.argv[3:]:
    if "@" in g:
        grp, src = g.split("@")
        # struct ip_mreq_source: group, interface, source
        m = socket.inet_aton(grp) + socket.inet_aton(me) + socket.inet_aton(src)
        s.setsockopt(socket.IPPROTO_IP, ADD_SOURCE, m)
        joined.append((DROP_SOURCE, m))
    else:
        m = struct.pack("4s4s", socket.inet_aton(g), socket.inet_aton(me))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, m)
        joined.append((socket.IP_DROP_MEMBERSHIP, m))
    time.sleep(0.3)
time.sleep(hold)
for opt, m in joined:
    s.setsockopt(socket.IPPROTO_IP, opt, m)
    time.sleep(0.3)
time.sleep(1.5)
PYEOF
    C "$PY" "$TMP/igmp_member.py" "$CLI_IP" 2.5 239.1.2.3 232.1.1.1@10.0.0.9
    nsx "$BR" ip link set br0 type bridge mcast_igmp_version 2
    nsx "$CLI" sysctl -qw "net.ipv4.conf.$CLI_IF.force_igmp_version=2"
    C "$PY" "$TMP/igmp_member.py" "$CLI_IP" 2.5 239.1.2.4
    nsx "$CLI" sysctl -qw "net.ipv4.conf.$CLI_IF.force_igmp_version=1"
    C "$PY" "$TMP/igmp_member.py" "$CLI_IP" 0.5 239.1.2.5
    cap_stop
}

# pair_ipv6: IPv6 on the pair's two ends (client fd00::1, server fd00::2, no DAD wait).
pair_ipv6() {
    for ns in "$CLI" "$SRV"; do
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
            "net.ipv6.conf.$([ "$ns" = "$CLI" ] && echo "$CLI_IF" || echo "$SRV_IF").disable_ipv6=0"
    done
    nsx "$CLI" ip addr add fd00::1/64 dev "$CLI_IF" nodad
    nsx "$SRV" ip addr add fd00::2/64 dev "$SRV_IF" nodad
}

# ---------------------------------------------------------------- 14. fragments.pcap
# IP fragments, as a path MTU makes them: a 3000-byte ping each way over IPv4 and over IPv6
# (three fragments each), and a UDP datagram whose 1473-byte payload is one byte too many for
# a 1500-byte link, echoed back (two fragments each way).
record_fragments() {
    setup_pair
    pair_ipv6
    bg "$SRV" "$PY" "$TMP/udpecho.py" "$SRV_IP" 7 1; local echo=$BGPID
    wait_listen "$SRV" udp 7
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" fragments.pcap \
        "ip or (ip6 and src net fd00::/64 and dst net fd00::/64 and not (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 136))"
    C ping -q -c 1 -s 3000 -W 1 "$SRV_IP" >/dev/null
    C ping -6 -q -c 1 -s 3000 -W 1 fd00::2 >/dev/null
    C "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(3); s.sendto(b"x"*1473,(sys.argv[1],7)); s.recv(2000)' "$SRV_IP"
    cap_stop
    stop_bg "$echo"
}

# ---------------------------------------------------------------- 15. web6.pcap
# One HTTP exchange over IPv6 (fd00::1 to fd00::2), for the tunnels that carry IPv6 (6in4,
# Teredo): scripts/wrap_tunnels.py wraps its packets.
record_web6() {
    setup_pair
    pair_ipv6
    bg "$SRV" "$PY" -m http.server -b fd00::2 -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    tcpdump_start "$CLI" "$CLI_IF" web6.pcap "ip6 and tcp"
    C curl -sS -o /dev/null "http://[fd00::2]/hello.txt"
    cap_stop
    stop_bg "$http"
}

# ---------------------------------------------------------------- nflog.pcap
# Link type NFLOG (239), as `tcpdump -i nflog:N` writes what iptables' NFLOG target sends: the
# client logs every IPv4 packet it sends and receives to group 5 (two pings and one HTTP fetch)
# and, through ip6tables, one IPv6 echo request and its reply. ARP is not seen by iptables.
record_nflog() {
    setup_pair
    pair_ipv6
    nsx "$CLI" iptables -A OUTPUT -j NFLOG --nflog-group 5
    nsx "$CLI" iptables -A INPUT -j NFLOG --nflog-group 5
    nsx "$CLI" ip6tables -A OUTPUT -p ipv6-icmp --icmpv6-type echo-request -j NFLOG --nflog-group 5
    nsx "$CLI" ip6tables -A INPUT -p ipv6-icmp --icmpv6-type echo-reply -j NFLOG --nflog-group 5
    bg "$SRV" "$PY" -m http.server -b "$SRV_IP" -d "$TMP/www" -p HTTP/1.1 80; local http=$BGPID
    wait_listen "$SRV" tcp 80
    flush_neigh
    tcpdump_start "$CLI" nflog:5 nflog.pcap
    C ping -q -c 2 -i 0.2 -W 1 "$SRV_IP" >/dev/null
    C curl -sS -o /dev/null "http://$SRV_IP/hello.txt"
    C ping -6 -q -c 1 -W 1 fd00::2 >/dev/null
    # The kernel hands logged packets to the NFLOG socket in batches, a second apart at most.
    sleep 2
    cap_stop
    stop_bg "$http"
}

# ---------------------------------------------------------------- 16. dns.pcap
# dig against dnsmasq, over UDP and then TCP: the record types the application layer names,
# a CNAME chain, a name that does not exist (NXDOMAIN) and a reverse lookup.
record_dns() {
    setup_pair
    bg "$SRV" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$SRV_IP" --except-interface=lo --port=53 --pid-file="$TMP/dnsmasq-dns.pid" \
        --local=/example.test/ --address=/www.example.test/10.0.0.80 \
        --host-record=host.example.test,10.0.0.81,fd00::81 --cname=alias.example.test,host.example.test \
        --mx-host=example.test,mail.example.test,10 --txt-record=example.test,"v=spf1 -all" \
        --srv-host=_http._tcp.example.test,host.example.test,80,0,5 \
        --ptr-record=81.0.0.10.in-addr.arpa,host.example.test
    local dns=$BGPID
    wait_listen "$SRV" udp 53; wait_listen "$SRV" tcp 53
    tcpdump_start "$CLI" "$CLI_IF" dns.pcap
    local q
    for q in "www.example.test A" "host.example.test AAAA" "alias.example.test A" "example.test MX" \
        "example.test TXT" "_http._tcp.example.test SRV" "missing.example.test A" "-x 10.0.0.81"; do
        # shellcheck disable=SC2086
        C dig +tries=1 +time=2 @"$SRV_IP" $q >/dev/null
    done
    C dig +tcp +tries=1 +time=2 @"$SRV_IP" www.example.test A >/dev/null
    C dig +tcp +tries=1 +time=2 @"$SRV_IP" missing.example.test A >/dev/null
    cap_stop
    stop_bg "$dns"
}

# ---------------------------------------------------------------- 16b. dns-tcp.pcap, dns-tcp-5300.pcap
# DNS over TCP across segments: the veth's MTU is lowered to 576 so that dnsmasq's big answers
# (40 A records, 30 TXT records) span several segments; dig +tcp asks for them, then a Python
# client pipelines three queries in one segment and sends one query in three segments. The
# second file has dig +tcp against a dnsmasq on port 5300 (read with --decode-as
# tcp.port==5300,dns, as Wireshark's Decode As).
record_dns_tcp() {
    setup_pair
    nsx "$CLI" ip link set "$CLI_IF" mtu 576
    nsx "$SRV" ip link set "$SRV_IF" mtu 576
    # Segments as they go on the wire, not the kernel's offloaded super-segments.
    nsx "$CLI" ethtool -K "$CLI_IF" tso off gso off gro off >/dev/null
    nsx "$SRV" ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null
    local many=() big=() i
    for i in $(seq 1 40); do many+=(--host-record=many.example.test,10.0.1.$i); done
    for i in $(seq 1 30); do big+=(--txt-record=big.example.test,"record $i of a TXT set too big for one TCP segment"); done
    local port pids=()
    for port in 53 5300; do
        bg "$SRV" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
            --listen-address="$SRV_IP" --except-interface=lo --port=$port --pid-file="$TMP/dnsmasq-tcp$port.pid" \
            --local=/example.test/ --address=/www.example.test/10.0.0.80 \
            --host-record=host.example.test,10.0.0.81,fd00::81 "${many[@]}" "${big[@]}"
        pids+=("$BGPID")
        wait_listen "$SRV" tcp $port
    done
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" dns-tcp.pcap "tcp or arp"
    C dig +tcp +tries=1 +time=2 @"$SRV_IP" many.example.test A >/dev/null
    C dig +tcp +tries=1 +time=2 @"$SRV_IP" big.example.test TXT >/dev/null
    C "$PY" "$TMP/dnstcp.py" "$SRV_IP" 53
    cap_stop
    tcpdump_start "$CLI" "$CLI_IF" dns-tcp-5300.pcap "tcp"
    C dig +tcp +tries=1 +time=2 -p 5300 @"$SRV_IP" big.example.test TXT >/dev/null
    cap_stop
    for i in "${pids[@]}"; do stop_bg "$i"; done
}

# ---------------------------------------------------------------- dns-tcp-mdns.pcap
# DNS over TCP on mDNS's port 5353 (Wireshark reads it as DNS) and on LLMNR's 5355 (Wireshark
# does not): dig +tcp against dnsmasq answering on each port.
record_dns_tcp_mdns() {
    setup_pair
    local port pids=()
    for port in 5353 5355; do
        bg "$SRV" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
            --listen-address="$SRV_IP" --except-interface=lo --port=$port --pid-file="$TMP/dnsmasq-mdns$port.pid" \
            --local=/local/ --host-record=printer.local,10.0.0.90,fd00::90
        pids+=("$BGPID")
        wait_listen "$SRV" tcp $port
    done
    flush_neigh
    tcpdump_start "$CLI" "$CLI_IF" dns-tcp-mdns.pcap "tcp"
    C dig +tcp +tries=1 +time=2 -p 5353 @"$SRV_IP" printer.local A >/dev/null
    C dig +tcp +tries=1 +time=2 -p 5353 @"$SRV_IP" printer.local AAAA >/dev/null
    C dig +tcp +tries=1 +time=2 -p 5355 @"$SRV_IP" printer.local A >/dev/null
    cap_stop
    for port in "${pids[@]}"; do stop_bg "$port"; done
}

# ---------------------------------------------------------------- 17. dhcp.pcap
# ISC dhclient against dnsmasq: discover, offer, request, ack, then a release; the client sends
# its host name, the server a router, a DNS server and a lease time.
record_dhcp() {
    setup_pair
    nsx "$CLI" ip addr flush dev "$CLI_IF"
    bg "$SRV" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --bind-interfaces --interface="$SRV_IF" \
        --except-interface=lo --no-ping --pid-file="$TMP/dnsmasq-dhcp.pid" --dhcp-leasefile="$TMP/dhcp.leases" \
        --dhcp-range=10.0.0.100,10.0.0.150,255.255.255.0,1h \
        --dhcp-option=option:router,"$SRV_IP" --dhcp-option=option:dns-server,"$SRV_IP"
    local dhcp=$BGPID
    wait_listen "$SRV" udp 67
    # The client takes the address it was given (so that it can release it), and nothing else.
    printf '#!/bin/sh\ncase "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr add "$new_ip_address/24" dev "$interface";; esac\nexit 0\n' \
        > "$TMP/dhclient-script"
    chmod 755 "$TMP/dhclient-script"
    printf 'send host-name "insp-client";\nrequest subnet-mask, broadcast-address, routers, domain-name-servers;\n' \
        > "$TMP/dhclient.conf"
    tcpdump_start "$CLI" "$CLI_IF" dhcp.pcap
    C dhclient -1 -v -cf "$TMP/dhclient.conf" -lf "$TMP/dhclient.leases" -pf "$TMP/dhclient.pid" \
        -sf "$TMP/dhclient-script" "$CLI_IF" >>"$TMP/bg.log" 2>&1
    C dhclient -r -v -cf "$TMP/dhclient.conf" -lf "$TMP/dhclient.leases" -pf "$TMP/dhclient.pid" \
        -sf "$TMP/dhclient-script" "$CLI_IF" >>"$TMP/bg.log" 2>&1
    cap_stop
    stop_bg "$dhcp"
}

# ---------------------------------------------------------------- checks
# expect FILE MIN MAX DISPLAY-FILTER: number of matching packets in [MIN, MAX].
FAILED=0
expect() {
    local f=$1 min=$2 max=$3 filter=$4 n
    want "$f" || return 0
    n=$(tshark -r "$OUT/$f" -Y "$filter" 2>/dev/null | wc -l)
    if [ "$n" -lt "$min" ] || [ "$n" -gt "$max" ]; then
        echo "record_captures: CHECK FAILED: $f: '$filter' matched $n packets, expected $min..$max" >&2
        FAILED=1
    fi
}
# expect_fields FILE MIN MAX FILTER FIELD: number of distinct FIELD values.
expect_distinct() {
    local f=$1 min=$2 max=$3 filter=$4 field=$5 n
    want "$f" || return 0
    n=$(tshark -r "$OUT/$f" -Y "$filter" -T fields -e "$field" 2>/dev/null | sort -u | grep -c . || true)
    if [ "$n" -lt "$min" ] || [ "$n" -gt "$max" ]; then
        echo "record_captures: CHECK FAILED: $f: distinct $field for '$filter' = $n, expected $min..$max" >&2
        FAILED=1
    fi
}
first_fin_from() {  # first_fin_from FILE PORT: source address of the first FIN on that port
    tshark -r "$OUT/$1" -Y "tcp.port == $2 && tcp.flags.fin == 1" -T fields -e ip.src 2>/dev/null | head -1
}
check_all() {
    local f
    for f in web.pcap refused.pcap udp-unreach.pcap arp.pcap synflood.pcap handshake-nano.pcap web.pcapng mixed.pcapng \
        reuse.pcap keepalive.pcap half-duplex.pcap midstream.pcap ping.pcap vxlan.pcap fragments.pcap web6.pcap \
        streams.pcap streams-gap.pcap app.pcap tls12.pcap tls-alert.pcap dns.pcap dns-tcp.pcap dns-tcp-5300.pcap dns-tcp-mdns.pcap dhcp.pcap icmp-errors.pcap; do
        want "$f" || continue
        [ -s "$OUT/$f" ] || { echo "record_captures: CHECK FAILED: $f missing" >&2; FAILED=1; continue; }
        [ "$(stat -c %s "$OUT/$f")" -lt 204800 ] || { echo "record_captures: CHECK FAILED: $f larger than 200 KB" >&2; FAILED=1; }
    done
    # web.pcap: ARP resolution, two handshakes, two GETs, both close orders.
    expect web.pcap 1 1 'arp.opcode == 1'
    expect web.pcap 1 1 'arp.opcode == 2'
    expect web.pcap 2 2 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect web.pcap 2 2 'http.request.method == "GET"'
    expect web.pcap 2 2 'http.response.code == 200'
    if want web.pcap; then
    [ "$(first_fin_from web.pcap 80)" = "$CLI_IP" ]   || { echo "record_captures: CHECK FAILED: web.pcap: client should close port 80 first" >&2; FAILED=1; }
    [ "$(first_fin_from web.pcap 8080)" = "$SRV_IP" ] || { echo "record_captures: CHECK FAILED: web.pcap: server should close port 8080 first" >&2; FAILED=1; }
    fi
    # refused.pcap: two SYNs, each answered by RST-ACK.
    expect refused.pcap 2 2 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect refused.pcap 2 2 'tcp.flags.reset == 1 && tcp.flags.ack == 1'
    # udp-unreach.pcap: three port unreachables, one echo exchange.
    expect udp-unreach.pcap 3 3 'icmp.type == 3 && icmp.code == 3'
    expect udp-unreach.pcap 1 1 'udp.dstport == 7'
    expect udp-unreach.pcap 1 1 'udp.srcport == 7'
    # arp.pcap: requests, replies, gratuitous ARP, the MAC change.
    expect arp.pcap 3 99 'arp.opcode == 1 && !arp.isgratuitous'
    expect arp.pcap 3 99 'arp.opcode == 2 && !arp.isgratuitous'
    expect arp.pcap 4 4 'arp.isgratuitous'
    expect arp.pcap 1 99 "arp.src.proto_ipv4 == $SRV_IP && arp.src.hw_mac == $SRV_MAC"
    expect arp.pcap 1 99 "arp.src.proto_ipv4 == $SRV_IP && arp.src.hw_mac == $SRV_MAC_NEW"
    expect arp.pcap 1 99 'arp.duplicate-address-detected'
    expect arp.pcap 2 99 "icmp.type == 0 && eth.src == $SRV_MAC_NEW"
    # synflood.pcap: 300 spoofed SYNs (hping3 uses window 512) from many sources,
    # plus three complete HTTP exchanges.
    expect synflood.pcap 300 300 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.window_size_value == 512'
    expect_distinct synflood.pcap 250 300 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.window_size_value == 512' ip.src
    expect synflood.pcap 3 3 'http.response.code == 200'
    # handshake-nano.pcap: nanosecond pcap with one HTTP exchange.
    ! want handshake-nano.pcap || capinfos -t "$OUT/handshake-nano.pcap" | grep -q 'nanosecond pcap' || { echo "record_captures: CHECK FAILED: handshake-nano.pcap is not nanosecond pcap" >&2; FAILED=1; }
    expect handshake-nano.pcap 1 1 'http.response.code == 200'
    # pcapng files.
    ! want web.pcapng || capinfos -t "$OUT/web.pcapng" | grep -q 'pcapng' || { echo "record_captures: CHECK FAILED: web.pcapng is not pcapng" >&2; FAILED=1; }
    expect web.pcapng 2 2 'http.response.code == 200'
    ! want mixed.pcapng || capinfos -t "$OUT/mixed.pcapng" | grep -q 'pcapng' || { echo "record_captures: CHECK FAILED: mixed.pcapng is not pcapng" >&2; FAILED=1; }
    # Every frame is seen on both bridge ports (tshark calls the second copy a
    # retransmission, so HTTP is dissected once).
    expect mixed.pcapng 1 1 'http.response.code == 200'
    expect mixed.pcapng 12 20 'frame.interface_name == "br-cli" && (arp || tcp)'
    expect mixed.pcapng 12 20 'frame.interface_name == "br-srv" && (arp || tcp)'
    expect mixed.pcapng 2 2 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect mixed.pcapng 0 0 '!(arp || tcp)'
    # reuse.pcap: three SYNs with one sequence number from port 40000, each refused; a refused
    # and then an answered connection from port 40001; two answered ones from port 40002.
    expect reuse.pcap 3 3 'tcp.srcport == 40000 && tcp.flags.syn == 1 && tcp.seq_raw == 1000'
    expect reuse.pcap 3 3 'tcp.dstport == 40000 && tcp.flags.reset == 1'
    expect reuse.pcap 2 2 'tcp.srcport == 40001 && tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect reuse.pcap 1 1 'tcp.dstport == 40001 && tcp.flags.reset == 1'
    expect reuse.pcap 1 1 'http.response.code == 200'
    expect reuse.pcap 2 2 'tcp.srcport == 40002 && tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect reuse.pcap 2 2 'tcp.dstport == 40002 && tcp.flags.syn == 1 && tcp.flags.ack == 1'
    # keepalive.pcap: keep-alive probes and their answers, no payload retransmitted; then a
    # closed connection and a RST after it.
    expect keepalive.pcap 2 4 'tcp.analysis.keep_alive'
    expect keepalive.pcap 0 0 'tcp.analysis.retransmission'
    expect keepalive.pcap 2 2 'tcp.port == 40004 && tcp.flags.fin == 1'
    expect keepalive.pcap 1 1 'tcp.srcport == 40004 && tcp.flags.reset == 1'
    # half-duplex.pcap: the client's packets of one connection, the server's of another.
    expect half-duplex.pcap 1 1 'tcp.srcport == 40010 && tcp.flags.syn == 1'
    expect half-duplex.pcap 0 0 'tcp.dstport == 40010'
    expect half-duplex.pcap 1 1 'tcp.dstport == 40011 && tcp.flags.syn == 1 && tcp.flags.ack == 1'
    expect half-duplex.pcap 0 0 'tcp.srcport == 40011'
    # midstream.pcap: no handshake, the server's lines and the close.
    expect midstream.pcap 0 0 'tcp.flags.syn == 1'
    expect midstream.pcap 3 12 'tcp.srcport == 443 && tcp.len > 0'
    expect midstream.pcap 2 2 'tcp.flags.fin == 1'
    # ping.pcap: six echo requests from two ping runs (two identifiers) and their replies, one
    # port unreachable.
    expect ping.pcap 6 6 'icmp.type == 8'
    expect ping.pcap 6 6 'icmp.type == 0'
    # ip-options.pcap: four echoes and their replies, each with an IPv4 option.
    expect ip-options.pcap 4 4 'icmp.type == 8 && ip.opt.type'
    expect ip-options.pcap 4 4 'icmp.type == 0 && ip.opt.type'
    expect ip-options.pcap 3 3 'icmp.type == 0 && ip.options.timestamp'
    expect_distinct ping.pcap 3 3 'icmp.type == 8' icmp.ident
    expect ping.pcap 1 1 'icmp.type == 3 && icmp.code == 3'
    # app.pcap: two TLS handshakes with SNI, two HTTP requests on port 8081 (one chunked reply).
    expect app.pcap 2 2 'tls.handshake.type == 1 && tls.handshake.extensions_server_name'
    expect app.pcap 2 2 'tls.handshake.type == 2'
    expect app.pcap 2 2 'tcp.port == 8081 && http.request'
    expect app.pcap 2 2 'tcp.port == 8081 && http.response.code >= 200'
    expect app.pcap 1 1 'http.transfer_encoding == "chunked"'
    # tls12.pcap: six handshakes; the clear messages of TLS 1.2 and a HelloRetryRequest.
    expect tls12.pcap 7 7 'tls.handshake.type == 1'
    expect tls12.pcap 1 1 'tls.handshake.type == 13'
    expect tls12.pcap 1 1 'tls.handshake.type == 15'
    expect tls12.pcap 3 3 'tls.handshake.type == 16'
    expect tls12.pcap 2 2 'tls.handshake.type == 12'
    expect tls12.pcap 1 1 'tls.handshake.extensions_key_share_group == 23 && tls.handshake.type == 1'
    expect tls12.pcap 1 1 'tcp.port == 8443 && tls.handshake.type == 2 && tls.handshake.extensions_key_share_selected_group'
    # tls-alert.pcap: three handshakes ended by an alert in clear, one established with a chain
    # of two certificates.
    expect tls-alert.pcap 4 4 'tls.handshake.type == 1'
    expect tls-alert.pcap 3 3 'tls.alert_message.desc'
    expect tls-alert.pcap 1 1 'tls.alert_message.desc == 40 && tcp.srcport == 443'
    expect tls-alert.pcap 1 1 'tls.alert_message.desc == 48 && tcp.dstport == 443'
    expect tls-alert.pcap 2 2 'tls.handshake.certificate_length && tcp.srcport == 443'
    # tls-names.pcap: five handshakes, four with a server name, each with the certificate.
    expect tls-names.pcap 5 5 'tls.handshake.type == 1'
    expect tls-names.pcap 4 4 'tls.handshake.extensions_server_name'
    expect tls-names.pcap 5 5 'x509ce.dNSName == "alt.example.test"'
    # vxlan.pcap: every IP frame is VXLAN (VNI 42) carrying the overlay's pings and HTTP.
    expect vxlan.pcap 0 0 'ip && !vxlan'
    expect vxlan.pcap 4 4 'vxlan.vni == 42 && icmp'
    expect vxlan.pcap 1 1 'vxlan && tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect vxlan.pcap 1 1 'vxlan && http.response.code == 200'
    # fragments.pcap: 3000-byte pings in three fragments each way (IPv4 and IPv6), the
    # 1473-byte UDP payload in two each way, each reassembled by tshark.
    expect fragments.pcap 10 10 'ip.flags.mf == 1 || ip.frag_offset > 0'
    expect fragments.pcap 6 6 'ipv6.fraghdr'
    expect fragments.pcap 4 4 'ip.fragment'
    expect fragments.pcap 2 2 'icmpv6 && ipv6.fragment'
    expect fragments.pcap 2 2 'udp.length == 1481'
    expect fragments.pcap 16 16 'ip || ipv6'
    # web6.pcap: one HTTP exchange over IPv6, nothing else.
    expect web6.pcap 1 1 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect web6.pcap 1 1 'http.response.code == 200'
    expect web6.pcap 0 0 '!tcp'
    # streams.pcap: two connections to port 80, one to 81, one to 9000; keep-alive, a
    # pipelined pair in one segment, loss on port 81 (which may retransmit a SYN).
    expect streams.pcap 3 6 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && (tcp.dstport == 80 || tcp.dstport == 81)'
    expect streams.pcap 1 1 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 9000'
    expect streams.pcap 4 4 'http.request.method == "GET" && tcp.dstport == 80'
    expect streams.pcap 1 1 'tcp.dstport == 80 && frame contains "GET /hello.txt" && frame contains "GET /index.html"'
    expect streams.pcap 1 99 'tcp.port == 81 && tcp.analysis.retransmission'
    expect streams-gap.pcap 1 99 'tcp.analysis.lost_segment'
    # dns.pcap: ten queries each answered, two of them over TCP, two NXDOMAIN.
    expect dns.pcap 10 10 'dns.flags.response == 0'
    expect dns.pcap 10 10 'dns.flags.response == 1'
    expect dns.pcap 2 2 'tcp && dns.flags.response == 1'
    expect dns.pcap 2 2 'dns.flags.rcode == 3'
    # dns-tcp.pcap: six queries over TCP, each answered; answers span segments (tshark
    # reassembles them), three queries share a segment, one query spans three.
    expect dns-tcp.pcap 4 4 'dns.flags.response == 0'
    expect dns-tcp.pcap 3 6 'dns.flags.response == 1'
    expect dns-tcp.pcap 2 99 'tcp.reassembled.length > 0 && dns.flags.response == 1'
    expect dns-tcp.pcap 1 1 'dns.id == 0x1001 && dns.id == 0x1003'
    expect dns-tcp.pcap 1 1 'dns.id == 0x1004 && dns.flags.response == 0 && tcp.reassembled.length > 0'
    expect dns-tcp-5300.pcap 0 0 'dns'
    expect dns-tcp-5300.pcap 3 99 'tcp.srcport == 5300 && tcp.len > 0'
    # igmp.pcap: v3 reports with and without sources, v2 reports and a leave, a v1 report,
    # v3 and v2 queries, general and group-specific.
    expect igmp.pcap 2 99 'igmp.type == 0x22'
    expect igmp.pcap 1 99 'igmp.type == 0x22 && igmp.num_src > 0'
    expect igmp.pcap 1 99 'igmp.type == 0x16'
    expect igmp.pcap 1 99 'igmp.type == 0x17'
    expect igmp.pcap 1 99 'igmp.type == 0x12'
    expect igmp.pcap 1 99 'igmp.type == 0x11 && igmp.version == 3'
    expect igmp.pcap 1 99 'igmp.type == 0x11 && igmp.version == 2'
    expect igmp.pcap 1 99 'igmp.type == 0x11 && igmp.maddr != 0.0.0.0'
    # dns-tcp-mdns.pcap: two answered queries over TCP to 5353 (DNS to tshark), one to 5355 (not).
    expect dns-tcp-mdns.pcap 2 2 'tcp.port == 5353 && dns.flags.response == 1'
    expect dns-tcp-mdns.pcap 0 0 'tcp.port == 5355 && dns'
    expect dns-tcp-mdns.pcap 1 99 'tcp.srcport == 5355 && tcp.len > 0'
    # dhcp.pcap: the four messages of a lease, then a release.
    expect dhcp.pcap 1 1 'dhcp.option.dhcp == 1'
    expect dhcp.pcap 1 1 'dhcp.option.dhcp == 2'
    expect dhcp.pcap 1 1 'dhcp.option.dhcp == 3'
    expect dhcp.pcap 1 1 'dhcp.option.dhcp == 5'
    expect dhcp.pcap 1 1 'dhcp.option.dhcp == 7'
    # nflog.pcap: link type NFLOG, both directions of two pings, one HTTP exchange and one
    # IPv6 ping, nothing else (no ARP: iptables does not see it).
    expect nflog.pcap 2 2 'nflog && icmp.type == 8'
    expect nflog.pcap 2 2 'nflog && icmp.type == 0'
    expect nflog.pcap 1 1 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect nflog.pcap 1 1 'http.response.code == 200'
    expect nflog.pcap 1 1 'icmpv6.type == 128'
    expect nflog.pcap 1 1 'icmpv6.type == 129'
    expect nflog.pcap 0 0 '!nflog'
    [ "$FAILED" -eq 0 ] || die "some captures do not hold what they should; $DEST left unchanged"
}

start=$SECONDS
want web.pcap && record_web
want refused.pcap && record_refused
want udp-unreach.pcap && record_udp
want arp.pcap && record_arp
want synflood.pcap && record_synflood
want web.pcapng && record_web_pcapng
want mixed.pcapng && record_mixed
want handshake-nano.pcap && record_nano
want reuse.pcap && record_reuse
want keepalive.pcap && record_keepalive
want half-duplex.pcap && record_half_duplex
want midstream.pcap && record_midstream
want ping.pcap && record_ping
want ip-options.pcap && record_ip_options
want vxlan.pcap && record_vxlan
want fragments.pcap && record_fragments
want web6.pcap && record_web6
want icmp-errors.pcap && record_icmp_errors
want icmp6-errors.pcap && record_icmp6_errors
want igmp.pcap && record_igmp
want dns.pcap && record_dns
if want dns-tcp.pcap || want dns-tcp-5300.pcap; then record_dns_tcp; fi
want dns-tcp-mdns.pcap && record_dns_tcp_mdns
want dhcp.pcap && record_dhcp
if want streams.pcap || want streams-gap.pcap; then record_streams; fi
want app.pcap && record_app
want tls12.pcap && record_tls12
want tls-alert.pcap && record_tls_alert
want tls-names.pcap && record_tls_names
want nflog.pcap && record_nflog
teardown
check_all
cp -p "$OUT"/*.pcap* "$DEST"/
log "all checks passed; done in $((SECONDS - start)) s; files in $DEST"
