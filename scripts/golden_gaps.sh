#!/usr/bin/env bash
# Writes the content-gap golden file that `cargo test` compares against (tests/it/zeek.rs), from
# real tools: captures/web.pcap with one data segment of each connection left out (as a tap
# that dropped them would), cut by editcap, and what tshark says of the cut:
#   tests/golden/gaps/web-cut.tsv   "lost" rows: the frames left out of web.pcap (their numbers,
#                                   four-tuple and payload length, tshark's tcp.len), and
#                                   "acked" rows: the frames of the cut file tshark marks
#                                   tcp.analysis.ack_lost_segment (an ACK of data never seen).
#   tests/golden/gaps/streams-gap.tsv  the same for captures/streams-gap.pcap (cut by editcap
#                                   from captures/streams.pcap when it was recorded).
# Needs tshark and editcap (Debian package tshark). Run from anywhere: scripts/golden_gaps.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for t in tshark editcap; do
  command -v $t >/dev/null || { echo "golden_gaps.sh: $t is not installed (apt-get install tshark)" >&2; exit 1; }
done
# Frame 8: the server's 186-byte response header on port 80; frame 18: the client's 65-byte
# request on port 8080 (captures/README.md).
LOST=(8 18)
out=tests/golden/gaps/web-cut.tsv
mkdir -p tests/golden/gaps
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
editcap captures/web.pcap "$tmp/cut.pcap" "${LOST[@]}"
filter="frame.number in {$(IFS=,; echo "${LOST[*]}")}"
fields=(-e frame.number -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.len -e tcp.ack_raw)
{
  printf 'kind\tframe\tsrc\tsport\tdst\tdport\tlen\tack\n'
  tshark -n -r captures/web.pcap -Y "$filter" -T fields "${fields[@]}" | sed 's/^/lost\t/'
  tshark -n -r "$tmp/cut.pcap" -Y tcp.analysis.ack_lost_segment -T fields "${fields[@]}" | sed 's/^/acked\t/'
} > "$out"
# captures/streams-gap.pcap is captures/streams.pcap without frame 20 (captures/README.md).
out2=tests/golden/gaps/streams-gap.tsv
{
  printf 'kind\tframe\tsrc\tsport\tdst\tdport\tlen\tack\n'
  tshark -n -r captures/streams.pcap -Y "frame.number == 20" -T fields "${fields[@]}" | sed 's/^/lost\t/'
  tshark -n -r captures/streams-gap.pcap -Y tcp.analysis.ack_lost_segment -T fields "${fields[@]}" | sed 's/^/acked\t/'
} > "$out2"
tshark --version | head -1 > tests/golden/gaps/VERSIONS
for f in "$out" "$out2"; do
  echo "wrote $f ($(grep -c '^lost' "$f") frames left out, $(grep -c '^acked' "$f") ACKs of lost data)"
done
