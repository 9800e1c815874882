#!/bin/sh
# Golden data for `tcp.checksum.status` and `udp.checksum.status`: tshark's verdicts with
# checksum validation on (-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE).
#
# usage: scripts/golden_checksums.sh     (run from the crate root, with ../shared/corpus beside it)
#
# Writes tests/golden/checksums/NAME.tsv for each capture listed below, one line per frame:
#   frame  tcp.checksum.status  udp.checksum.status  offloaded
# (the statuses as numbers: 0 Bad, 1 Good, 2 Unverified, 3 Not present, 4 Illegal; the last
# value when tshark has several). `offloaded` is 1 when tshark's verdict is Bad and the checksum
# field holds only the pseudo-header's sum: a checksum left to the sender's network card, which
# inspect counts unverified. It is computed here from tshark's address, length and checksum
# fields, apart from inspect's code.
set -eu
out=tests/golden/checksums
mkdir -p "$out"
rm -f "$out"/*.tsv
C=../shared/corpus/tcpdump
FILES="captures/web.pcap captures/web6.pcap captures/dns.pcap captures/dhcp.pcap captures/udp-unreach.pcap
  captures/refused.pcap captures/keepalive.pcap
  $C/bgp-as-path-oobr.pcap $C/smb_data_print-oobr.pcapng $C/ipv4_tcp_http_xml_tso.pcap $C/ikev2four.pcap
  $C/kday3.pcap $C/kday4.pcap $C/dns-zlip-1.pcap $C/tcp_rst_diag_payload.pcap $C/RADIUS-RFC4675.pcap
  $C/babel_rfc6126bis.pcap $C/bigtcp-ipv4.pcap $C/dns_udp.pcap $C/ntp-time.pcap $C/ip6-snmp-oid-unsigned.pcap
  $C/ipv4_tcp_http_xml.pcap $C/tcp-handshake-nano.pcap $C/syslog_udp.pcap"
mark='
import sys
def fold(s):
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return s
def words(addr):
    if ":" in addr:
        import ipaddress
        b = ipaddress.IPv6Address(addr).packed
    else:
        b = bytes(int(x) for x in addr.split("."))
    return sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    last = lambda v: v.split(",")[-1] if v else ""
    frame, tst, ust, src, dst, src6, dst6, iplen, hlen, plen, ulen, tck, uck = [last(x) for x in f]
    off = 0
    st, ck, proto = (tst, tck, 6) if tst else (ust, uck, 17)
    if st == "0" and ck:
        s, d = (src6, dst6) if src6 else (src, dst)
        if proto == 17:
            n = int(ulen)
        elif src6:
            n = int(plen)
        else:
            n = int(iplen) - int(hlen)
        off = int(fold(words(s) + words(d) + proto + (n >> 16) + (n & 0xffff)) == int(ck, 16))
    print(f"{frame}\t{tst}\t{ust}\t{off}")
'
for f in $FILES; do
    [ -f "$f" ] || { echo "golden_checksums.sh: missing $f" >&2; exit 1; }
    name=$(echo "${f#../shared/corpus/}" | tr '/' '_')
    tshark -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -n -r "$f" -T fields -E occurrence=a -E aggregator=, \
        -e frame.number -e tcp.checksum.status -e udp.checksum.status -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
        -e ip.len -e ip.hdr_len -e ipv6.plen -e udp.length -e tcp.checksum -e udp.checksum 2>/dev/null |
        python3 -c "$mark" > "$out/$name.tsv"
done
tshark --version 2>/dev/null | head -1 > "$out/VERSION"
echo "wrote $(ls "$out"/*.tsv | wc -l) files into $out"
