#!/usr/bin/env bash
# Writes the filter golden files that `cargo test` compares against, from real tools:
#   tests/golden/filters/display.tsv  FILE, display filter, the frame numbers `tshark -Y` selects
#   tests/golden/filters/capture.tsv  FILE, expression, the frame numbers `tcpdump -r` selects
#   tests/golden/filters/fields.tsv   FILE, then `tshark -T fields -e ...` for the fields below
# tcpdump prints no frame numbers: each frame it keeps is found, in order, among all frames of
# the file by its time and bytes (`-S -tt -xx`: absolute sequence numbers, since relative ones
# depend on which frames were printed). Needs tshark, tcpdump, python3.
#   scripts/golden_filters.sh --add-display FILTER...   appends tshark's rows for new display
#   filters alone (every file), leaving the rest as it is (a whole run takes over an hour).
#   scripts/golden_filters.sh --add-streams   appends the STREAM_FILES' fields sections alone.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in tshark tcpdump python3; do
  command -v $t >/dev/null || { echo "golden_filters.sh: $t is not installed" >&2; exit 1; }
done
C=../shared/corpus/tcpdump
FILES=(captures/*.pcap captures/*.pcapng $C/dns_udp.pcap $C/icmpv6.pcap $C/802.1ad_QinQ.pcap
  $C/ipv4_tcp_http_xml.pcap $C/tcp_rst_data.pcap $C/mptcp-fclose.pcap $C/loopback.pcap $C/LINKTYPE_RAW_ipv4.pcap
  $C/ntp-time.pcap $C/syslog_udp.pcap $C/IGMP_V1.pcap $C/tcp-handshake-nano.pcap $C/LINKTYPE_IPV6.pcap)
DISPLAY=(
  'tcp' 'udp' 'arp' 'icmp' 'ip' 'ipv6' 'vlan' 'icmpv6' 'igmp'
  'tcp.port == 80' 'tcp.srcport == 80' 'tcp.dstport != 80' 'udp.port == 53' 'udp.dstport eq 514'
  'ip.addr == 10.0.0.1' 'ip.src == 10.0.0.0/8' 'ip.dst != 10.0.0.2' 'ip.addr ~= 10.0.0.1' 'ip.src == 192.168.0.0/16'
  'eth.addr == ff:ff:ff:ff:ff:ff' 'eth.src == 02:00:00:00:00:01' 'eth.dst ne 02:00:00:00:00:02'
  'tcp.flags.syn == 1 && tcp.flags.ack == 0' 'tcp.flags.reset == 1' 'tcp.flags.fin == 1 || tcp.flags.push == 1'
  'tcp.flags == 0x012' 'tcp.flags.urg == 0 and tcp.flags.ack == 1' 'tcp.flags.syn'
  'tcp.len > 0' 'tcp.len >= 100' 'ip.len < 60' 'frame.len <= 60' 'ip.ttl eq 64' 'ip.ttl ne 64' 'frame.len gt 100'
  'frame.len lt 100' 'ip.len ge 100' 'ip.len le 52' 'frame.cap_len < frame.len' 'frame.number <= 3'
  'tcp.port in {80, 443, 8000..8090}' 'udp.port in {53 123}' 'ip.proto in {1, 17}'
  'frame contains "HTTP"' 'tcp contains 47:45:54' 'udp contains "a"' 'tcp matches "(?i)get /"' 'frame matches "HTTP/1.[01] 200"'
  '!tcp' 'not arp and not icmp' '(tcp || udp) && !(ip.src == 10.0.0.1)' 'tcp or udp and ip.ttl == 64'
  'tcp.options.mss_val' 'tcp.options.mss_val == 1460' 'tcp.options.wscale.shift >= 7' 'tcp.options.sack_perm'
  'ip.flags.df == 1' 'ip.flags.mf' 'ip.frag_offset > 0' 'ip.dsfield != 0' 'ip.id == 0'
  'icmp.type == 3' 'icmp.type == 8 || icmp.type == 0' 'icmpv6.type == 135' 'arp.opcode == 2' 'arp.src.proto_ipv4 == 10.0.0.1'
  'ipv6.addr == fe80::/10' 'ipv6.src == ::1' 'ipv6.hlim == 255' 'vlan.id == 100' 'ieee8021ad.id'
  'udp.length > 100' 'eth.type == 0x0800' 'tcp.window_size_value < 1000' 'tcp.hdr_len > 20'
  'tcp.analysis.retransmission' 'tcp.analysis.retransmission && tcp.flags.syn == 1'
  'tcp.stream eq 1' 'tcp.stream in {0 2}' 'udp.stream == 0' 'udp.stream >= 1'
)
CAPTURE=(
  'tcp' 'udp' 'arp' 'icmp' 'ip' 'ip6' 'vlan' 'icmp6' 'igmp'
  'host 10.0.0.1' 'src host 10.0.0.1' 'dst host 10.0.0.2' 'host 10.0.0.1 or 10.0.0.2'
  'net 10.0.0.0/24' 'net 10.0.0.0 mask 255.255.255.0' 'src net 10' 'dst net 192.168'
  'port 80' 'tcp port 80' 'udp port 53' 'dst port 80' 'src port 80' 'portrange 8000-8090' 'tcp port 80 or 8080'
  'not port 80' 'tcp and not port 80' 'port domain' 'src or dst port 123'
  'ether host ff:ff:ff:ff:ff:ff' 'ether src 02:00:00:00:00:01' 'ether broadcast' 'ether multicast'
  'less 60' 'greater 100' 'len >= 100' 'len - 14 > 40'
  'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' 'tcp[13] & 4 != 0' 'tcp[tcpflags] & tcp-fin != 0 or tcp[tcpflags] & tcp-rst != 0'
  'ip[8] = 64' 'ip[2:2] > 100' 'ip[0] & 0xf != 5' 'udp[4:2] > 30' 'icmp[icmptype] = icmp-unreach' 'icmp[0] = 8'
  'tcp[((tcp[12] & 0xf0) >> 2)] = 0x47' 'ether[12:2] = 0x0806'
  '(tcp or udp) and host 10.0.0.2' 'ip6 and tcp' 'ip6 and udp port 53' 'ip proto 17' 'ether proto 0x0806' 'ip6 proto 58'
  'vlan and ip' 'vlan 100' 'arp or icmp' 'not (tcp or arp)' 'ip host 10.0.0.1 and not tcp'
)
FIELDS=(frame.number ip.addr ipv6.addr eth.addr tcp.port udp.port tcp.flags tcp.flags.syn tcp.flags.ack tcp.flags.fin
  tcp.flags.reset tcp.flags.push tcp.flags.urg ip.ttl ip.id ip.dsfield eth.type tcp.len vlan.id arp.opcode
  icmp.type frame.time_epoch)

# The tunnel and 802.11 captures, in fields.tsv with the stream numbers only (tunnels' outer UDP
# flows, A-MSDU subframes: several values in a frame).
STREAM_FILES=(captures/tunnels/*.pcap captures/wlan/*.pcap)
STREAM_FIELDS=(-e frame.number -e tcp.stream -e udp.stream)
streams() {
  for f in "${STREAM_FILES[@]}"; do
    { printf '%s\n' "#FILE $f"; tshark -n -r "$f" -T fields -E header=y "${STREAM_FIELDS[@]}" 2>/dev/null; } >> "$out/fields.tsv"
  done
}

out=tests/golden/filters
mkdir -p "$out"
if [ "${1:-}" = --add-streams ]; then
  streams
  echo "added ${#STREAM_FILES[@]} files' stream fields to $out/fields.tsv"
  exit 0
fi
if [ "${1:-}" = --add-display ]; then
  shift
  for f in "${FILES[@]}"; do
    for e in "$@"; do
      if nums=$(tshark -n -r "$f" -Y "$e" -T fields -e frame.number 2>/dev/null); then
        printf '%s\t%s\t%s\n' "$f" "$e" "$(echo "$nums" | paste -sd, -)" >> "$out/display.tsv"
      fi
    done
  done
  echo "added $# display filters on ${#FILES[@]} files to $out/display.tsv"
  exit 0
fi
: > "$out/display.tsv"; : > "$out/capture.tsv"; : > "$out/fields.tsv"
fargs=(); for f in "${FIELDS[@]}"; do fargs+=(-e "$f"); done
# The frames tcpdump keeps, by number: its blocks of `-tt -xx` output found in order among the
# blocks of every frame.
match() { python3 -c '
import sys
def blocks(path):
    out, cur = [], None
    for line in open(path):
        if not line.startswith("\t"):
            if cur is not None: out.append(cur)
            cur = line
        else:
            cur += line
    if cur is not None: out.append(cur)
    return out
allb, kept = blocks(sys.argv[1]), blocks(sys.argv[2])
nums, i = [], 0
for k in kept:
    while i < len(allb) and allb[i] != k: i += 1
    if i == len(allb): sys.exit("unmatched tcpdump block: " + k[:80])
    i += 1; nums.append(str(i))
print(",".join(nums))' "$1" "$2"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in "${FILES[@]}"; do
  [ -f "$f" ] || { echo "golden_filters.sh: missing $f" >&2; exit 1; }
  for e in "${DISPLAY[@]}"; do
    if nums=$(tshark -n -r "$f" -Y "$e" -T fields -e frame.number 2>/dev/null); then
      printf '%s\t%s\t%s\n' "$f" "$e" "$(echo "$nums" | paste -sd, -)" >> "$out/display.tsv"
    fi
  done
  tcpdump -S -tt -nn -xx -r "$f" > "$tmp/all" 2>/dev/null || true
  for e in "${CAPTURE[@]}"; do
    if tcpdump -S -tt -nn -xx -r "$f" "$e" > "$tmp/kept" 2>/dev/null; then
      nums=$(match "$tmp/all" "$tmp/kept") || { echo "golden_filters.sh: $f: $e" >&2; exit 1; }
      printf '%s\t%s\t%s\n' "$f" "$e" "$nums" >> "$out/capture.tsv"
    fi
  done
  { printf '%s\n' "#FILE $f"; tshark -n -r "$f" -T fields -E header=y "${fargs[@]}" 2>/dev/null; } >> "$out/fields.tsv"
done
streams
{ tshark --version | head -1; tcpdump --version 2>&1 | head -1; } > "$out/VERSIONS"
echo "wrote $(wc -l < "$out/display.tsv") display and $(wc -l < "$out/capture.tsv") capture cases into $out"
