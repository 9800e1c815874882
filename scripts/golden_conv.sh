#!/bin/sh
# Golden data for the TCP connection tracker: tshark's `-z conv,tcp` table, parsed to TSV.
#
# usage: scripts/golden_conv.sh [FILE...]     (run from the crate root)
#
# For each capture FILE writes tests/golden/conv/<basename>.tsv with one line per TCP
# conversation as tshark lists it:
#   addr_a  port_a  addr_b  port_b  frames_b_to_a  bytes_b_to_a  frames_a_to_b  bytes_a_to_b
# tshark's "<-" columns are B to A, "->" A to B. Bytes are kept as tshark prints them
# ("574 bytes", "12 kB"): above 9999 bytes tshark shows whole kB (or MB), which the test
# compares as such. The first line is a comment naming the tshark version and the input.
# captures/mixed.pcapng holds every frame twice (once per bridge port, interface ids 0 and 1):
# tshark keeps both copies in one conversation (the second as a retransmission or dup ACK), and
# so does `inspect` (one connection, every copy counted in its frames and frame bytes), so the
# golden counts are twice those of one interface; tests/tcp.rs checks that too.
set -eu
out=tests/golden/conv
mkdir -p "$out"
if [ "$#" -eq 0 ]; then
    set -- captures/web.pcap captures/refused.pcap captures/synflood.pcap captures/handshake-nano.pcap \
        captures/web.pcapng captures/mixed.pcapng captures/reuse.pcap captures/keepalive.pcap \
        captures/half-duplex.pcap captures/midstream.pcap captures/nflog.pcap \
        ../shared/corpus/tcpdump/mptcp-v0.pcap ../shared/corpus/tcpdump/mptcp-fclose.pcap \
        ../shared/corpus/tcpdump/mptcp-tcprst.pcap ../shared/corpus/tcpdump/mptcp-aa-echo.pcap \
        ../shared/corpus/tcpdump/tcp-handshake-nano.pcap ../shared/corpus/tcpdump/ipv4_tcp_http_xml.pcap \
        ../shared/corpus/tcpdump/tcp_rst_data.pcap
fi
ver=$(tshark --version 2>/dev/null | head -1)
for f in "$@"; do
    [ -f "$f" ] || { echo "skip $f: not found" >&2; continue; }
    name=$(basename "$f")
    {
        printf '# %s -q -z conv,tcp -r %s\n' "$ver" "$f"
        tshark -q -z conv,tcp -r "$f" 2>/dev/null | awk '
            $2 == "<->" {
                na = split($1, a, ":"); nb = split($3, b, ":")
                pa = a[na]; pb = b[nb]
                ha = substr($1, 1, length($1) - length(pa) - 1)
                hb = substr($3, 1, length($3) - length(pb) - 1)
                printf "%s\t%s\t%s\t%s\t%s\t%s %s\t%s\t%s %s\n", ha, pa, hb, pb, $4, $5, $6, $7, $8, $9
            }'
    } > "$out/$name.tsv"
    echo "wrote $out/$name.tsv ($(grep -vc '^#' "$out/$name.tsv") conversations)"
done
