#!/bin/sh
# Golden data for `inspect follow`: what `tshark -q -z follow,PROTO,MODE,N` prints.
#
# usage: scripts/golden_follow.sh     (run from the crate root, with ../shared/corpus beside it)
#
# Writes tests/golden/follow/index.tsv, one line per TCP or UDP stream of each capture of
# captures/ (its tunnel and 802.11 folders too) and of the corpus (at most 40 streams of each
# protocol per file) and per mode:
#   file  proto  stream  mode  sha256-of-tshark's-output
# (paths relative to the crate root), and tshark's whole ascii output for a few small streams
# as tests/golden/follow/<file>.<proto>.<N>.txt, to read. The first line of index.tsv names
# the tshark version.
#
# Also tests/golden/follow/http.tsv: for each TCP stream of captures/ that tshark's HTTP
# dissector finds messages in, how many requests and responses it finds:
#   file  stream  requests  responses
# `scripts/golden_follow.sh http` writes only that file.
set -eu
out=tests/golden/follow
mkdir -p "$out"
index="$out/index.tsv"
ver=$(tshark --version 2>/dev/null | head -1)

http_counts() {
    http="$out/http.tsv"
    count='{ if ($2 != "") req[$1] += split($2, a, ","); if ($3 != "") resp[$1] += split($3, b, ","); seen[$1] = 1 }
        END { for (s in seen) printf "%s\t%s\t%d\t%d\n", f, s, req[s], resp[s] }'
    # tshark reassembles segments that came out of order only when asked to, as inspect always
    # does. But in a stream that lost a segment (tcp.analysis.ack_lost_segment) that queue
    # waits on the lost bytes for good and nothing after them is framed; there the counts come
    # from tshark without it, which picks the framing up at the next message start after the gap.
    printf '# %s -o tcp.reassemble_out_of_order:TRUE -r FILE -Y http -T fields -e tcp.stream -e http.request.method -e http.response.code\n' "$ver" > "$http"
    printf '# (streams with tcp.analysis.ack_lost_segment: without -o tcp.reassemble_out_of_order:TRUE)\n' >> "$http"
    for f in captures/*.pcap captures/*.pcapng; do
        lost=$(tshark -r "$f" -Y tcp.analysis.ack_lost_segment -T fields -e tcp.stream 2>/dev/null | sort -u | tr '\n' ' ')
        { tshark -o tcp.reassemble_out_of_order:TRUE -r "$f" -Y http -T fields -E occurrence=a -E aggregator=, -e tcp.stream -e http.request.method -e http.response.code 2>/dev/null |
            awk -F'\t' -v lost=" $lost" 'index(lost, " " $1 " ") == 0'
          [ -z "$lost" ] || tshark -r "$f" -Y http -T fields -E occurrence=a -E aggregator=, -e tcp.stream -e http.request.method -e http.response.code 2>/dev/null |
            awk -F'\t' -v lost=" $lost" 'index(lost, " " $1 " ") > 0'
        } | awk -F'\t' -v f="$f" "$count" | sort -t'	' -k2,2n >> "$http"
    done
}
if [ "${1:-}" = http ]; then
    http_counts
    echo "wrote $out/http.tsv"
    exit 0
fi
# Cuts tshark's concatenated follow reports apart and prints one index line for each, in stream
# and mode order.
split='
import hashlib, re, sys
data = sys.stdin.buffer.read()
starts = [m.start() for m in re.finditer(rb"\n={67}\nFollow: ", data)]
rows = []
for i, s in enumerate(starts):
    block = data[s:starts[i + 1] if i + 1 < len(starts) else len(data)]
    mode = re.search(rb"\nFollow: \w+,(\w+)\n", block).group(1).decode()
    n = int(re.search(rb"\nFilter: \w+\.stream eq (\d+)\n", block).group(1))
    rows.append((n, ["ascii", "hex", "raw"].index(mode), mode, hashlib.sha256(block).hexdigest()))
for n, _, mode, h in sorted(rows):
    print(f"{sys.argv[1]}\t{sys.argv[2]}\t{n}\t{mode}\t{h}")
'

printf '# %s -q -z follow,PROTO,MODE,N -r FILE | sha256sum\n' "$ver" > "$index"
for f in captures/*.pcap captures/*.pcapng captures/*/*.pcap ../shared/corpus/tcpdump/*.pcap ../shared/corpus/tcpdump/*.pcapng ../shared/corpus/pcapng-le/*/*.pcapng; do
    [ -f "$f" ] || continue
    for proto in tcp udp; do
        last=$(timeout 60 tshark -r "$f" -T fields -e "$proto.stream" 2>/dev/null | tr ',' '\n' | grep -v '^$' | sort -n | tail -1 || true)
        [ -n "$last" ] || continue
        [ "$last" -lt 40 ] || last=39
        # One tshark run per file and protocol: it prints each -z follow report whole, one
        # after another; each report's header names its mode and stream.
        args=$(awk -v last="$last" -v p="$proto" 'BEGIN { for (n = 0; n <= last; n++) printf "-z follow,%s,ascii,%d -z follow,%s,hex,%d -z follow,%s,raw,%d ", p, n, p, n, p, n }')
        # shellcheck disable=SC2086
        timeout 300 tshark -r "$f" -q $args 2>/dev/null | python3 -c "$split" "$f" "$proto" >> "$index"
    done
done
for spec in captures/web.pcap:tcp:0 captures/web.pcap:tcp:1 captures/streams.pcap:tcp:1 captures/udp-unreach.pcap:udp:3; do
    f=${spec%%:*}; rest=${spec#*:}; proto=${rest%%:*}; n=${rest#*:}
    tshark -r "$f" -q -z "follow,$proto,ascii,$n" 2>/dev/null > "$out/$(basename "$f").$proto.$n.txt"
done
http_counts
echo "wrote $index ($(grep -vc '^#' "$index") outputs)"
