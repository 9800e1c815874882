#!/usr/bin/env bash
# Writes the decoding golden files that `cargo test` compares against, from real tools:
#   tests/golden/decode/NAME.tsv  tshark's value of every field inspect decodes, frame by frame
#   tests/golden/lines/NAME.txt   tcpdump -n's line for every frame (TZ=UTC, so times compare)
# Needs tshark and tcpdump (Debian packages). Run from anywhere: scripts/golden_decode.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden_decode.sh: tshark is not installed (apt-get install tshark)" >&2; exit 1; }
command -v tcpdump >/dev/null || { echo "golden_decode.sh: tcpdump is not installed (apt-get install tcpdump)" >&2; exit 1; }

FIELDS=(frame.number frame.encap_type frame.time_epoch frame.len frame.cap_len
  eth.src eth.dst eth.type eth.len vlan.id ieee8021ad.id
  arp.opcode arp.src.hw_mac arp.src.proto_ipv4 arp.dst.hw_mac arp.dst.proto_ipv4
  ip.version ip.hdr_len ip.dsfield ip.len ip.id ip.flags.df ip.flags.mf ip.frag_offset ip.ttl ip.proto
  ip.checksum ip.src ip.dst
  ipv6.src ipv6.dst ipv6.nxt ipv6.hlim
  tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.flags tcp.window_size_value tcp.hdr_len tcp.len
  tcp.options.mss_val tcp.options.wscale.shift
  udp.srcport udp.dstport udp.length
  icmp.type icmp.code icmpv6.type icmpv6.code
  igmp.version igmp.type igmp.max_resp igmp.checksum igmp.s igmp.qrv igmp.qqic igmp.num_grp_recs igmp.record_type
  igmp.aux_data_len igmp.maddr igmp.num_src igmp.saddr
  gre.flags_and_version gre.proto gre.key gre.sequence_number gre.key.call_id gre.ack_number ppp.protocol
  erspan.version erspan.spanid vxlan.flags vxlan.vni geneve.version geneve.proto_type geneve.vni
  gtp.flags gtp.message gtp.teid ayiya.opcode ayiya.nextheader mpls.label mpls.exp mpls.bottom mpls.ttl
  pppoe.code pppoe.session_id vntag.etype cfp.ftag cfp.ttl
  ip.fragment ip.fragment.count ip.reassembled.length ipv6.fragment ipv6.fragment.count ipv6.reassembled.length
  radiotap.length radiotap.mactime radiotap.flags radiotap.datarate radiotap.channel.freq radiotap.channel.flags
  radiotap.dbm_antsignal radiotap.dbm_antnoise radiotap.antenna prism.msgcode prism.msglen
  wlan.fc.type_subtype wlan.fc.ds wlan.fc.protected wlan.fc.order wlan.duration
  wlan.ra wlan.ta wlan.da wlan.sa wlan.bssid wlan.seq wlan.qos.tid wlan.qos.amsdupresent wlan.htc llc.type)

CORPUS=../shared/corpus
# Real captures of the link types and protocols inspect decodes, plus malformed ones.
FILES=($(ls captures/*.pcap | grep -v /flood-) captures/*.pcapng captures/tunnels/*.pcap captures/wlan/*.pcap
  $CORPUS/tcpdump/tcp-handshake-nano.pcap $CORPUS/tcpdump/tcp_rst_data.pcap
  $CORPUS/tcpdump/mptcp-fclose.pcap $CORPUS/tcpdump/mptcp-aa-echo.pcap $CORPUS/tcpdump/mptcp-tcprst.pcap
  $CORPUS/tcpdump/mptcp-v0.pcap
  $CORPUS/tcpdump/LINKTYPE_IPV4.pcap $CORPUS/tcpdump/LINKTYPE_IPV6.pcap $CORPUS/tcpdump/LINKTYPE_RAW_ipv4.pcap
  $CORPUS/tcpdump/tcp_rst_diag_payload.pcap $CORPUS/tcpdump/quic_vn.pcap $CORPUS/tcpdump/loopback.pcap
  $CORPUS/tcpdump/802.1ad_QinQ.pcap $CORPUS/tcpdump/dns_udp.pcap $CORPUS/tcpdump/icmpv6.pcap
  $CORPUS/tcpdump/icmp-rfc8335.pcap $CORPUS/tcpdump/ipv4_tcp_http_xml.pcap $CORPUS/tcpdump/ntp-time.pcap
  $CORPUS/tcpdump/syslog_udp.pcap $CORPUS/tcpdump/IGMP_V1.pcap $CORPUS/tcpdump/ipv6-bad-version.pcap
  $CORPUS/tcpdump/ipv4_invalid_hdr_length.pcap $CORPUS/tcpdump/ipv4_invalid_length.pcap
  $CORPUS/tcpdump/udp-length-heapoverflow.pcap $CORPUS/tcpdump/tcp_header_heapoverflow.pcap
  $CORPUS/tcpdump/time_2106_max.pcap $CORPUS/tcpdump/OSPFv2_Capture_FINAL.pcapng
  $CORPUS/tcpdump/bgp-shutdown-communication.pcapng $CORPUS/tcpdump/vxlan.pcap
  $CORPUS/tcpdump/pim-packet-assortment.pcap $CORPUS/tcpdump/ptp_ethernet.pcap $CORPUS/tcpdump/resp_1_benchmark.pcap
  $CORPUS/tcpdump/babel_rfc6126bis.pcap $CORPUS/tcpdump/dhcp-rfc4388.pcap $CORPUS/tcpdump/HSRP_coup.pcap
  $CORPUS/tcpdump/isakmp4500.pcap $CORPUS/tcpdump/bfd-raw-auth-md5.pcap $CORPUS/tcpdump/sflow_multiple_counter_30_pdus.pcap
  $CORPUS/tcpdump/ntp-control.pcap $CORPUS/tcpdump/pptp.pcap $CORPUS/tcpdump/ldp-common-session.pcap
  $CORPUS/tcpdump/of10_p3295.pcap $CORPUS/tcpdump/of13_ericsson.pcapng $CORPUS/tcpdump/OSPFv3_NBMA_adjacencies.pcap
  $CORPUS/tcpdump/rpvstp-trunk-native-vid5.pcap $CORPUS/tcpdump/bgp-lu-multiple-labels.pcap
  $CORPUS/tcpdump/gso-ipv4-geneve-ipv4.pcap $CORPUS/tcpdump/gso-ipv6-geneve-ipv4.pcap $CORPUS/tcpdump/mpls-over-udp.pcap
  $CORPUS/tcpdump/erspan-type-i-2.pcap $CORPUS/tcpdump/erspan-type-i-4.pcap $CORPUS/tcpdump/pppoes.pcap
  $CORPUS/tcpdump/various_gre.pcap $CORPUS/tcpdump/NHRP_registration.pcap
  $CORPUS/tcpdump/ieee802.11_htc.pcap $CORPUS/tcpdump/ieee802.11_tim_ie_oobr.pcap $CORPUS/tcpdump/reason_code-1.pcap
  $CORPUS/tcpdump/status_code-0.pcap
  $CORPUS/pcapng-le/basic/*.pcapng $CORPUS/pcapng-le/advanced/*.pcapng $CORPUS/pcapng-le/difficult/*.pcapng)

args=()
for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
mkdir -p tests/golden/decode tests/golden/lines
rm -f tests/golden/decode/*.tsv tests/golden/lines/*.txt
list=tests/golden/decode/FILES
: > "$list"
for f in "${FILES[@]}"; do
  [ -f "$f" ] || { echo "golden_decode.sh: missing $f" >&2; exit 1; }
  name=$(echo "${f#../shared/corpus/}" | tr '/' '_')
  echo "$f" >> "$list"
  tshark -n -r "$f" -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, \
    "${args[@]}" > "tests/golden/decode/$name.tsv" 2>/dev/null
  TZ=UTC tcpdump -n -r "$f" > "tests/golden/lines/$name.txt" 2>/dev/null || true
done
# tcpdump -v's lines too, where they show what the plain lines do not: the datagram an ICMP
# error quotes, indented on a line of its own; a tunnel's outer and inner IP headers; IGMPv3's
# group records and the IP options (Router Alert) IGMP travels with; ping's timestamp and
# record-route options.
rm -f tests/golden/lines/*.v.txt
for f in captures/fragments.pcap captures/icmp-errors.pcap captures/icmp6-errors.pcap captures/igmp.pcap captures/ip-options.pcap captures/udp-unreach.pcap captures/vxlan.pcap captures/tunnels/*.pcap; do
  TZ=UTC tcpdump -v -n -r "$f" > "tests/golden/lines/$(basename "$f").v.txt" 2>/dev/null || true
done
# tcpdump -v's router advertisements (hop limit, flags, preference, timers and options) in the
# corpus files that carry them.
for f in $CORPUS/tcpdump/icmpv6.pcap $CORPUS/tcpdump/icmpv6-ra-pref64.pcap $CORPUS/tcpdump/icmpv6_opt24.pcap; do
  [ -f "$f" ] || continue
  TZ=UTC tcpdump -v -n -r "$f" > "tests/golden/lines/$(echo "${f#"$CORPUS"/}" | tr / _).v.txt" 2>/dev/null || true
done
# tcpdump -e's lines for the captures over 802.11: the 802.11 and LLC/SNAP headers.
rm -f tests/golden/lines/*.e.txt
for f in captures/wlan/*.pcap; do
  TZ=UTC tcpdump -e -n -r "$f" > "tests/golden/lines/$(echo "$f" | tr / _).e.txt" 2>/dev/null || true
done
{ tshark --version | head -1; tcpdump --version 2>&1 | head -1; } > tests/golden/decode/VERSIONS
echo "wrote $(wc -l < "$list") files' golden data into tests/golden/{decode,lines}"
