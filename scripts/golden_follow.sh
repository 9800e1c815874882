#!/bin/sh
# Golden data for `inspect follow`: what `tshark -q -z follow,PROTO,MODE,N` prints.
#
# usage: scripts/golden_follow.sh     (run from the crate root, with ../shared/corpus beside it)
#
# Writes tests/golden/follow/index.tsv, one line per TCP or UDP stream of each capture of
# captures/ and of the corpus (at most 40 streams of each protocol per file) and per mode:
#   file  proto  stream  mode  sha256-of-tshark's-output
# (paths relative to the crate root), and tshark's whole ascii output for a few small streams
# as tests/golden/follow/<file>.<proto>.<N>.txt, to read. The first line of index.tsv names
# the tshark version.
set -eu
out=tests/golden/follow
mkdir -p "$out"
index="$out/index.tsv"
ver=$(tshark --version 2>/dev/null | head -1)
printf '# %s -q -z follow,PROTO,MODE,N -r FILE | sha256sum\n' "$ver" > "$index"
for f in captures/*.pcap captures/*.pcapng ../shared/corpus/tcpdump/*.pcap ../shared/corpus/tcpdump/*.pcapng ../shared/corpus/pcapng-le/*/*.pcapng; do
    [ -f "$f" ] || continue
    for proto in tcp udp; do
        last=$(timeout 60 tshark -r "$f" -T fields -e "$proto.stream" 2>/dev/null | tr ',' '\n' | grep -v '^$' | sort -n | tail -1 || true)
        [ -n "$last" ] || continue
        [ "$last" -lt 40 ] || last=39
        n=0
        while [ "$n" -le "$last" ]; do
            for mode in ascii hex raw; do
                sum=$(timeout 60 tshark -r "$f" -q -z "follow,$proto,$mode,$n" 2>/dev/null | sha256sum | cut -d' ' -f1)
                printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$proto" "$n" "$mode" "$sum" >> "$index"
            done
            n=$((n + 1))
        done
    done
done
for spec in captures/web.pcap:tcp:0 captures/web.pcap:tcp:1 captures/streams.pcap:tcp:1 captures/udp-unreach.pcap:udp:3; do
    f=${spec%%:*}; rest=${spec#*:}; proto=${rest%%:*}; n=${rest#*:}
    tshark -r "$f" -q -z "follow,$proto,ascii,$n" 2>/dev/null > "$out/$(basename "$f").$proto.$n.txt"
done
echo "wrote $index ($(grep -vc '^#' "$index") outputs)"
