#!/bin/sh
# Golden data for `inspect follow -Y` and `inspect ladder -Y`: the stream of the first packet of
# a TCP (or UDP) stream that a display filter passes, as tshark numbers it.
#
# usage: scripts/golden_picks.sh     (run from the crate root)
#
# Writes tests/golden/follow/picks.tsv, one line per capture, protocol and filter:
#   file  proto  filter  stream    ("none" when no packet of that protocol passes)
# The first line names the tshark version.
set -eu
out=tests/golden/follow/picks.tsv
ver=$(tshark --version 2>/dev/null | head -1)
printf '# %s -r FILE -Y "PROTO && (FILTER)" -T fields -e PROTO.stream | head -1\n' "$ver" > "$out"
while IFS='	' read -r f proto filter; do
    n=$(tshark -r "$f" -Y "$proto && ($filter)" -T fields -e "$proto.stream" 2>/dev/null | head -1)
    printf '%s\t%s\t%s\t%s\n' "$f" "$proto" "$filter" "${n:-none}" >> "$out"
done <<'LIST'
captures/web.pcap	tcp	tcp.dstport == 8080
captures/web.pcap	tcp	tcp.port == 80 && tcp.flags.fin == 1
captures/web.pcap	tcp	frame.number >= 13
captures/web.pcap	tcp	tcp.len > 60
captures/web.pcap	tcp	ip.addr == 192.0.2.1
captures/web.pcap	tcp	http.response.code == 200 && tcp.srcport == 8080
captures/streams.pcap	tcp	http.request.method == "GET" && tcp.dstport == 81
captures/reuse.pcap	tcp	frame.number == 11
captures/reuse.pcap	tcp	tcp.flags.reset == 1
captures/streams.pcap	tcp	tcp.len > 100
captures/streams.pcap	tcp	tcp.srcport == 43302 && tcp.flags.push == 1
captures/streams-gap.pcap	tcp	tcp.len > 0
captures/dns.pcap	udp	udp.srcport == 47736
captures/dns.pcap	udp	frame.number > 8 && udp.dstport == 53
captures/dns.pcap	udp	udp.length > 4000
captures/udp-unreach.pcap	udp	udp.dstport == 7
LIST
echo "wrote $out ($(grep -vc '^#' "$out") picks)"
