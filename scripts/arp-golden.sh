#!/bin/sh
# Writes tests/golden/arp/NAME.tsv from captures with tshark, for tests/arp.rs: one line per
# Ethernet/IPv4 ARP frame with frame number, opcode, sender IP, sender MAC, target IP,
# Wireshark's "is gratuitous" flag, the Ethernet source and Wireshark's OUI vendor name.
# Run from the crate root: sh scripts/arp-golden.sh
set -eu
out=tests/golden/arp
mkdir -p "$out"
for f in captures/arp.pcap \
         ../shared/corpus/tcpdump/dhcp-rfc4388.pcap \
         ../shared/corpus/tcpdump/isakmp4500.pcap \
         ../shared/corpus/tcpdump/mptcp-fclose.pcap \
         ../shared/corpus/tcpdump/802.1ad_QinQ.pcap \
         ../shared/corpus/tcpdump/bgp-lu-multiple-labels.pcap; do
    name=$(basename "$f" .pcap)
    tshark -r "$f" -Y 'arp && arp.hw.size == 6 && arp.proto.size == 4 && !vxlan' -T fields \
        -e frame.number -e arp.opcode -e arp.src.proto_ipv4 -e arp.src.hw_mac -e arp.dst.proto_ipv4 \
        -e arp.isgratuitous -e eth.src -e eth.src.oui_resolved 2>/dev/null > "$out/$name.tsv"
    echo "$out/$name.tsv: $(wc -l < "$out/$name.tsv") ARP frames"
done
