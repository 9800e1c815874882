#!/usr/bin/env bash
# Writes the application-layer golden files that `cargo test` compares against, from real tools:
#   tests/golden/app/NAME.tsv  tshark's dns.*, dhcp.*, dhcpv6.* and icmp.* fields, frame by frame
#                              (DNS over TCP reassembled, tshark's default: fields on the frame
#                              that completes a message)
#   tests/golden/app/NAME.txt  tcpdump -n's line for every frame (TZ=UTC, so times compare)
#   tests/golden/app/NAME.v.txt tcpdump -v -n's lines, for the DNS and DHCP files
#   tests/golden/app/NAME.vv.txt tcpdump -vv -n's lines, for the DHCP files
#   tests/golden/app/FILES     the captures, one a line, with the --decode-as value a file needs
# Needs tshark and tcpdump (Debian packages). Run from anywhere: scripts/golden_app.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden_app.sh: tshark is not installed (apt-get install tshark)" >&2; exit 1; }
command -v tcpdump >/dev/null || { echo "golden_app.sh: tcpdump is not installed (apt-get install tcpdump)" >&2; exit 1; }

FIELDS=(frame.number frame.encap_type
  dns.id dns.flags.response dns.flags.opcode dns.flags.rcode dns.count.queries dns.count.answers
  dns.count.auth_rr dns.count.add_rr dns.qry.name dns.qry.type dns.a dns.aaaa dns.cname dns.ns
  dns.ptr.domain_name dns.mx.mail_exchange dns.srv.target dns.txt dns.resp.ttl dns.rr.udp_payload_size
  dhcp.type dhcp.hw.type dhcp.id dhcp.secs dhcp.flags.bc dhcp.ip.client dhcp.ip.your dhcp.ip.server
  dhcp.ip.relay dhcp.hw.mac_addr dhcp.option.dhcp dhcp.option.subnet_mask
  dhcp.option.requested_ip_address dhcp.option.dhcp_server_id dhcp.option.ip_address_lease_time
  dhcp.option.router dhcp.option.domain_name_server dhcp.option.hostname dhcp.option.domain_name
  dhcpv6.msgtype dhcpv6.xid
  icmp.ident icmp.seq icmp.resp_to icmp.resptime)

CORPUS=../shared/corpus/tcpdump
# FILE [DECODE-AS]: the captures recorded for this project, then the corpus's DNS and DHCP files.
FILES=("captures/dns.pcap" "captures/dns-tcp.pcap" "captures/dns-tcp-5300.pcap tcp.port==5300,dns" "captures/dns-tcp-mdns.pcap" "captures/dhcp.pcap" "captures/ping.pcap" "captures/udp-unreach.pcap" "captures/icmp-errors.pcap"
  "$CORPUS/dns_udp.pcap" "$CORPUS/dns-uri.pcap" "$CORPUS/dns-zlip-1.pcap" "$CORPUS/dns-zlip-2.pcap"
  "$CORPUS/dns_udp_8053.pcap udp.port==8053,dns"
  "$CORPUS/dhcp-rfc4388.pcap" "$CORPUS/dhcp-rfc5859.pcap" "$CORPUS/dhcp-option-108.pcapng"
  "$CORPUS/dhcpv6-domain-list.pcap" "$CORPUS/dhcpv6-ia-na.pcap" "$CORPUS/dhcpv6-ia-ta.pcap"
  "$CORPUS/dhcpv6-mud.pcap" "$CORPUS/dhcpv6-ntp-server.pcap" "$CORPUS/dhcpv6-rfc6355-duid-uuid.pcap"
  "$CORPUS/dhcpv6-rfc8415-duid-type2.pcap" "$CORPUS/dhcpv6-vendor-specific-information.pcap")

args=()
for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
mkdir -p tests/golden/app
rm -f tests/golden/app/*.tsv tests/golden/app/*.txt
list=tests/golden/app/FILES
: > "$list"
for entry in "${FILES[@]}"; do
  read -r f as <<< "$entry"
  [ -f "$f" ] || { echo "golden_app.sh: missing $f" >&2; exit 1; }
  name=$(basename "$f")
  echo "$entry" >> "$list"
  decode=()
  [ -n "${as:-}" ] && decode=(-d "$as")
  tshark -n -r "$f" "${decode[@]}" -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, \
    "${args[@]}" > "tests/golden/app/$name.tsv" 2>/dev/null
  TZ=UTC tcpdump -n -r "$f" > "tests/golden/app/$name.txt" 2>/dev/null || true
  # tcpdump -v's DNS text (each answer's owner named) for the DNS files; -v's and -vv's
  # BOOTP fields and options for the DHCP (not DHCPv6) files.
  case "$name" in
    dns*) TZ=UTC tcpdump -v -n -r "$f" > "tests/golden/app/$name.v.txt" 2>/dev/null || true ;;
    dhcpv6*) ;;
    dhcp*)
      TZ=UTC tcpdump -v -n -r "$f" > "tests/golden/app/$name.v.txt" 2>/dev/null || true
      TZ=UTC tcpdump -vv -n -r "$f" > "tests/golden/app/$name.vv.txt" 2>/dev/null || true ;;
  esac
done
{ tshark --version | head -1; tcpdump --version 2>&1 | head -1; } > tests/golden/app/VERSIONS
echo "wrote $(wc -l < "$list") files' golden data into tests/golden/app"
