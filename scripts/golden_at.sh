#!/bin/sh
# Golden data for `read --at`: every TCP segment of a capture as tshark decodes it, so that the
# test can tell, from a real tool's reading, when each connection began and ended and which end
# closed first (the end that ends in TIME_WAIT) without trusting inspect's own tracker.
#
# usage: scripts/golden_at.sh [FILE...]     (run from the crate root)
#
# Writes tests/golden/at/<basename>.tsv, one line per TCP segment:
#   tcp.stream  frame.time_epoch  ip.src  tcp.srcport  ip.dst  tcp.dstport  syn  ack  fin  rst
# The first line is a comment naming the tshark version and the input.
set -eu
out=tests/golden/at
mkdir -p "$out"
[ "$#" -eq 0 ] && set -- captures/web.pcap
ver=$(tshark --version 2>/dev/null | head -1)
for f in "$@"; do
    name=$(basename "$f")
    {
        printf '# %s -r %s -Y tcp -T fields\n' "$ver" "$f"
        tshark -r "$f" -Y tcp -T fields -e tcp.stream -e frame.time_epoch -e ip.src -e tcp.srcport \
            -e ip.dst -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset 2>/dev/null |
            sed 's/\tTrue/\t1/g; s/\tFalse/\t0/g'
    } >"$out/$name.tsv"
    echo "wrote $out/$name.tsv"
done
