#!/usr/bin/env bash
# Writes what tcpdump prints with the flags its users type by habit, for `cargo test` to compare
# with `inspect read -L` given the same flags: tests/golden/habits/NAME.FLAGS.txt (TZ=UTC).
# Needs tcpdump. Run from anywhere: scripts/golden_habits.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tcpdump >/dev/null || { echo "golden_habits.sh: tcpdump is not installed" >&2; exit 1; }
out=tests/golden/habits
mkdir -p "$out"
rm -f "$out"/*.txt
for f in captures/web.pcap captures/udp-unreach.pcap captures/refused.pcap captures/arp.pcap; do
  name=$(basename "$f")
  for flags in -nn -t -tt -ttt -tttt -ttttt -x -xx -X -XX -A -v -vv -e -S -#; do
    TZ=UTC tcpdump -n $flags -r "$f" > "$out/$name$flags.txt" 2>/dev/null
  done
done
tcpdump --version 2>&1 | head -1 > "$out/VERSIONS"
echo "wrote $(ls "$out"/*.txt | wc -l) files into $out"
