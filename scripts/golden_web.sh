#!/usr/bin/env bash
# Writes the application-layer golden files that `cargo test` compares against, from tshark:
#   tests/golden/web/NAME.tsv    every frame tshark gives an HTTP message or a TLS handshake
#                                record, with the HTTP and TLS fields inspect's JSON carries on
#                                that frame (every handshake message type sent in the clear, the
#                                hellos' versions, cipher suite, server name and ALPN)
#   tests/golden/web/NAME.pairs  each HTTP response's frame, the frame of the request it
#                                answers (http.request_in), its code, and the request's URI
#   tests/golden/web/NAME.tls    each ServerHello's frame, chosen version, ALPN and cipher name
#   tests/golden/web/NAME.ssl    each TLS connection (by client port): server name, the client's
#                                and server's session ids, the server's group (ServerKeyExchange
#                                curve or key share), the version chosen, and whether each side
#                                sent ChangeCipherSpec and application data, as tshark reads them
#   tests/golden/web/NAME.rec    every frame with TLS records and their versions (tls.record.version,
#                                encrypted records included), as tshark reads them
#   tests/golden/web/NAME.zeekssl each TLS connection (by client port): Zeek's ssl_history,
#                                last_alert and certificate fingerprints (openssl x509 -fingerprint
#                                -sha256 of the certificates tshark shows), by Zeek's rules
#                                (scripts/zeek_ssl_golden.py)
# tshark reassembles out-of-order segments (tcp.reassemble_out_of_order:TRUE), as inspect does.
# Needs tshark, python3 and openssl (Debian packages). Run from anywhere: scripts/golden_web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden_web.sh: tshark is not installed (apt-get install tshark)" >&2; exit 1; }

FIELDS=(frame.number http.request.method http.request.uri http.request.version http.host http.user_agent
  http.response.code http.response.phrase http.content_type http.content_length
  tls.handshake.type tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str
  tls.handshake.version tls.handshake.extensions.supported_version tls.handshake.ciphersuite)
FILTER='http.request || http.response || tls.handshake'
CORPUS=../shared/corpus
FILES=(captures/app.pcap captures/streams.pcap captures/web.pcap captures/web.pcapng captures/handshake-nano.pcap
  captures/synflood.pcap captures/reuse.pcap captures/tls12.pcap captures/tls-alert.pcap
  captures/tls-names.pcap)
for f in $CORPUS/tcpdump/ipv4_tcp_http_xml.pcap; do
  [ -f "$f" ] && FILES+=("$f")
done

args=()
for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
mkdir -p tests/golden/web
rm -f tests/golden/web/*.tsv tests/golden/web/*.pairs tests/golden/web/*.tls tests/golden/web/*.ssl \
  tests/golden/web/*.rec tests/golden/web/*.zeekssl
TMPF=$(mktemp)
list=tests/golden/web/FILES
: > "$list"
for f in "${FILES[@]}"; do
  [ -f "$f" ] || { echo "golden_web.sh: missing $f" >&2; exit 1; }
  name=$(echo "${f#../shared/corpus/}" | tr '/' '_')
  echo "$f" >> "$list"
  tshark -n -r "$f" -o tcp.reassemble_out_of_order:TRUE -Y "$FILTER" -T fields -E header=y -E separator=/t \
    -E occurrence=a -E aggregator=, "${args[@]}" > "tests/golden/web/$name.tsv" 2>/dev/null
  tshark -n -r "$f" -o tcp.reassemble_out_of_order:TRUE -Y 'http.response' -T fields -E separator=/t \
    -e frame.number -e http.request_in -e http.response.code -e http.response_for.uri > "tests/golden/web/$name.pairs" 2>/dev/null
  # Each ServerHello: its frame, chosen version (supported_versions, else the hello's), the
  # cipher suite by name as tshark's tree writes it, and the protocol chosen (ALPN).
  tshark -n -r "$f" -Y 'tls.handshake.type == 2' -T fields -E separator=/t -E occurrence=f \
    -e frame.number -e tls.handshake.extensions.supported_version -e tls.handshake.version -e tls.handshake.extensions_alpn_str \
    2>/dev/null > "$TMPF"
  tshark -n -r "$f" -Y 'tls.handshake.type == 2' -O tls -V 2>/dev/null \
    | grep -o 'Cipher Suite: [A-Za-z0-9_]* (0x[0-9a-f]*)' | sed 's/Cipher Suite: //; s/ (.*//' > "$TMPF.names" || true
  if [ -s "$TMPF" ]; then paste "$TMPF" "$TMPF.names" > "tests/golden/web/$name.tls"; fi
  tshark -n -r "$f" -Y 'tls' -T fields -E separator=/t -E occurrence=a -E aggregator=, \
    -e tcp.stream -e tcp.srcport -e tls.record.content_type -e tls.handshake.type -e tls.handshake.session_id \
    -e tls.handshake.server_named_curve -e tls.handshake.extensions_key_share_group \
    -e tls.handshake.extensions_key_share_selected_group -e tls.handshake.extensions.supported_version \
    -e tls.handshake.extensions_server_name -e tls.record.opaque_type 2>/dev/null | awk -F'\t' '
    function has(list, v,   n, i, a) { n = split(list, a, ","); for (i = 1; i <= n; i++) if (a[i] == v) return 1; return 0 }
    {
      s = $1
      if (!(s in cport) && has($4, 1)) { cport[s] = $2; order[++n] = s }
      if (!(s in cport)) next
      cli = ($2 == cport[s])
      if (has($3, 20)) { if (cli) ccs_c[s] = 1; else ccs_s[s] = 1 }
      # TLS 1.3 names an encrypted record'"'"'s outer type tls.record.opaque_type.
      if (has($3, 23) || has($11, 23)) { if (cli) app_c[s] = 1; else app_s[s] = 1 }
      if (cli && has($4, 1)) { csid[s] = $5; sni[s] = $10 }
      if (!cli && has($4, 2)) { ssid[s] = $5; if ($7 != "") curve[s] = $7; if ($8 != "") curve[s] = $8; ver[s] = $9 }
      if (!cli && $6 != "") curve[s] = $6
    }
    END {
      for (i = 1; i <= n; i++) {
        s = order[i]
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", cport[s], sni[s], csid[s], ssid[s], curve[s], ver[s], ccs_c[s], ccs_s[s], app_c[s], app_s[s]
      }
    }' > "$TMPF.ssl"
  if [ -s "$TMPF.ssl" ]; then mv "$TMPF.ssl" "tests/golden/web/$name.ssl"; fi
  tshark -n -r "$f" -o tcp.reassemble_out_of_order:TRUE -Y 'tls.record.version' -T fields -E separator=/t \
    -E occurrence=a -E aggregator=, -e frame.number -e tls.record.version 2>/dev/null > "$TMPF.rec"
  if [ -s "$TMPF.rec" ]; then mv "$TMPF.rec" "tests/golden/web/$name.rec"; fi
  tshark -n -r "$f" -o tcp.reassemble_out_of_order:TRUE -T pdml 2>/dev/null | python3 scripts/zeek_ssl_golden.py > "$TMPF.zeek"
  if [ -s "$TMPF.zeek" ]; then mv "$TMPF.zeek" "tests/golden/web/$name.zeekssl"; fi
done
rm -f "$TMPF" "$TMPF.names" "$TMPF.ssl" "$TMPF.rec" "$TMPF.zeek"
tshark --version | head -1 > tests/golden/web/VERSIONS
echo "wrote $(wc -l < "$list") files' golden data into tests/golden/web"
