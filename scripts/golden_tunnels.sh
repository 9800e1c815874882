#!/usr/bin/env bash
# Writes the tunnel and fragment conversation golden files that `cargo test` compares against
# (tests/it/zeek.rs), from tshark, which decodes every tunnel of captures/tunnels/ (and
# captures/vxlan.pcap) down to the innermost packet and reassembles IP fragments
# (captures/fragments.pcap):
#   tests/golden/tunnels/NAME.tsv   one row per TCP or UDP conversation tshark lists
#                                   (-z conv,tcp and -z conv,udp): protocol, the two
#                                   endpoints as tshark orders them, and the frames in all.
# Inner conversations are those of the innermost transport layer; a tunnel over UDP is itself
# a UDP conversation. Needs tshark (Debian package). Run from anywhere: scripts/golden_tunnels.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden_tunnels.sh: tshark is not installed (apt-get install tshark)" >&2; exit 1; }
out=tests/golden/tunnels
mkdir -p "$out"
rm -f "$out"/*.tsv
n=0
for f in captures/tunnels/*.pcap captures/vxlan.pcap captures/fragments.pcap; do
  name=$(basename "$f" .pcap)
  {
    printf 'proto\ta\tb\tframes\n'
    for proto in tcp udp; do
      # Rows read "A:port <-> B:port  frames bytes  frames bytes  frames bytes  start  duration";
      # IPv6 addresses hold colons, so the port is what follows the last one.
      tshark -n -r "$f" -q -z "conv,$proto" 2>/dev/null | awk -v p="$proto" '$2 == "<->" {
        printf "%s\t%s\t%s\t%s\n", p, $1, $3, $10 }'
    done
  } > "$out/$name.tsv"
  n=$((n + 1))
done
tshark --version | head -1 > "$out/VERSIONS"
echo "wrote $n files into $out"
# The same for the captures carried over 802.11 (scripts/wrap_wlan.py), into tests/golden/wlan/.
out=tests/golden/wlan
mkdir -p "$out"
rm -f "$out"/*.tsv
for f in captures/wlan/*.pcap; do
  {
    printf 'proto\ta\tb\tframes\n'
    for proto in tcp udp; do
      tshark -n -r "$f" -q -z "conv,$proto" 2>/dev/null | awk -v p="$proto" '$2 == "<->" {
        printf "%s\t%s\t%s\t%s\n", p, $1, $3, $10 }'
    done
  } > "$out/$(basename "$f" .pcap).tsv"
done
tshark --version | head -1 > "$out/VERSIONS"
echo "wrote $(ls "$out"/*.tsv | wc -l) files into $out"
