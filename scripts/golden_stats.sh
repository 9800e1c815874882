#!/bin/sh
# Golden data for `inspect stats`: tshark's -z statistics, parsed to TSV.
#
# usage: scripts/golden_stats.sh [FILE...]     (run from the crate root; needs tshark)
#
# For each capture FILE writes, under tests/golden/stats/:
#   NAME.phs.tsv        -z io,phs: path (tshark's tree, names joined by ':'), frames, bytes
#   NAME.conv.tsv       -z conv,eth|ip|ipv6|tcp|udp: type, addr_a, port_a, addr_b, port_b,
#                       frames_ba, bytes_ba, frames_ab, bytes_ab, rel_start, duration
#                       (tshark's "<-" columns are B to A, "->" A to B; bytes as tshark prints
#                       them, "574 bytes" or rounded "12 kB"; rows in tshark's order)
#   NAME.endpoints.tsv  -z endpoints,eth|ip|ipv6|tcp|udp: type, addr, port, frames, bytes,
#                       tx_frames, tx_bytes, rx_frames, rx_bytes
#   NAME.io.tsv         -z io,stat,1,frame,tcp,arp,tcp.flags.syn==1: the interval's start, then
#                       frames and bytes per column
# The phs files also hold `read -z service` to tshark: where every packet of a service's
# connections is one of its messages (DNS and DHCP over UDP), its packets are tshark's frames of
# that protocol.
# Left out of the default list, where tshark differs for reasons outside these tables: a BIG TCP
# frame over Geneve (tshark 4.0 stops at UDP), IPv6 with a type 0 routing header (tshark
# counts the UDP endpoint at the route's last address), and captures/tunnels/aruba-gre.pcap
# (tshark 4.0 names Aruba's GRE protocol 0x9000 but dissects no 802.11 frame in it).
# Each file's first line is a comment naming the tshark version and the command. Names are not
# resolved (-n), so Ethernet addresses are shown as numbers.
set -eu
out=tests/golden/stats
mkdir -p "$out"
if [ "$#" -eq 0 ]; then
    set -- captures/*.pcap captures/*.pcapng $(ls captures/tunnels/*.pcap | grep -v /aruba-gre) \
        ../shared/corpus/tcpdump/802.1ad_QinQ.pcap \
        ../shared/corpus/tcpdump/mptcp-v0.pcap \
        ../shared/corpus/tcpdump/tcp-handshake-nano.pcap \
        ../shared/corpus/tcpdump/ipv4_tcp_http_xml.pcap \
        ../shared/corpus/tcpdump/tcp_rst_data.pcap \
        ../shared/corpus/tcpdump/dns_udp.pcap \
        ../shared/corpus/tcpdump/dhcp-rfc4388.pcap \
        ../shared/corpus/tcpdump/dhcpv6-ia-na.pcap \
        ../shared/corpus/tcpdump/LINKTYPE_IPV6.pcap \
        ../shared/corpus/tcpdump/LINKTYPE_RAW_ipv4.pcap \
        ../shared/corpus/tcpdump/gso-ipv6-geneve-ipv4.pcap
fi
ver=$(tshark --version 2>/dev/null | head -1)
io='io,stat,1,frame,tcp,arp,tcp.flags.syn==1'
for f in "$@"; do
    [ -f "$f" ] || { echo "skip $f: not found" >&2; continue; }
    name=$(basename "$f")
    {
        printf '# %s -n -q -z io,phs -r %s\n' "$ver" "$f"
        tshark -n -q -z io,phs -r "$f" 2>/dev/null | awk '
            /frames:[0-9]+ bytes:[0-9]+/ {
                match($0, /^ */); depth = RLENGTH / 2
                stack[depth] = $1; path = stack[0]
                for (i = 1; i <= depth; i++) path = path ":" stack[i]
                sub("frames:", "", $2); sub("bytes:", "", $3)
                printf "%s\t%s\t%s\n", path, $2, $3
            }'
    } > "$out/$name.phs.tsv"
    {
        printf '# %s -n -q -z conv,eth -z conv,ip -z conv,ipv6 -z conv,tcp -z conv,udp -r %s\n' "$ver" "$f"
        for t in eth ip ipv6 tcp udp; do
            tshark -n -q -z conv,$t -r "$f" 2>/dev/null | awk -v t=$t '
                $2 == "<->" {
                    if (t == "tcp" || t == "udp") {
                        na = split($1, a, ":"); nb = split($3, b, ":")
                        pa = a[na]; pb = b[nb]
                        ha = substr($1, 1, length($1) - length(pa) - 1)
                        hb = substr($3, 1, length($3) - length(pb) - 1)
                    } else { ha = $1; hb = $3; pa = ""; pb = "" }
                    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s %s\t%s\t%s %s\t%s\t%s\n", t, ha, pa, hb, pb, $4, $5, $6, $7, $8, $9, $13, $14
                }'
        done
    } > "$out/$name.conv.tsv"
    {
        printf '# %s -n -q -z endpoints,eth -z endpoints,ip -z endpoints,ipv6 -z endpoints,tcp -z endpoints,udp -r %s\n' "$ver" "$f"
        for t in eth ip ipv6 tcp udp; do
            tshark -n -q -z endpoints,$t -r "$f" 2>/dev/null | awk -v t=$t '
                NF >= 7 && $2 ~ /^[0-9]+$/ && $1 !~ /^\|/ {
                    if (t == "tcp" || t == "udp") printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t, $1, $2, $3, $4, $5, $6, $7, $8
                    else printf "%s\t%s\t\t%s\t%s\t%s\t%s\t%s\t%s\n", t, $1, $2, $3, $4, $5, $6, $7
                }'
        done
    } > "$out/$name.endpoints.tsv"
    {
        printf '# %s -n -q -z %s -r %s\n' "$ver" "$io" "$f"
        tshark -n -q -z "$io" -r "$f" 2>/dev/null | awk -F'|' '
            $2 ~ /<>/ {
                split($2, iv, " "); line = iv[1]
                for (i = 3; i < NF; i++) { v = $i; gsub(/ /, "", v); line = line "\t" v }
                print line
            }'
    } > "$out/$name.io.tsv"
    echo "wrote $out/$name.{phs,conv,endpoints,io}.tsv"
done
