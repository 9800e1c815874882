#!/usr/bin/env bash
# Writes the application-layer golden files that `cargo test` compares against, from tshark:
#   tests/golden/web/NAME.tsv    every frame tshark gives an HTTP message or a TLS hello, with
#                                the HTTP and TLS fields inspect's JSON carries on that frame
#   tests/golden/web/NAME.pairs  each HTTP response's frame, the frame of the request it
#                                answers (http.request_in), its code, and the request's URI
#   tests/golden/web/NAME.tls    each ServerHello's frame, chosen version, ALPN and cipher name
# tshark reassembles out-of-order segments (tcp.reassemble_out_of_order:TRUE), as inspect does.
# Needs tshark (Debian package). Run from anywhere: scripts/golden_web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden_web.sh: tshark is not installed (apt-get install tshark)" >&2; exit 1; }

FIELDS=(frame.number http.request.method http.request.uri http.request.version http.host http.user_agent
  http.response.code http.response.phrase http.content_type http.content_length
  tls.handshake.type tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str)
FILTER='http.request || http.response || tls.handshake.type == 1 || tls.handshake.type == 2'
CORPUS=../shared/corpus
FILES=(captures/app.pcap captures/streams.pcap captures/web.pcap captures/web.pcapng captures/handshake-nano.pcap
  captures/synflood.pcap captures/reuse.pcap)
for f in $CORPUS/tcpdump/ipv4_tcp_http_xml.pcap; do
  [ -f "$f" ] && FILES+=("$f")
done

args=()
for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
mkdir -p tests/golden/web
rm -f tests/golden/web/*.tsv tests/golden/web/*.pairs tests/golden/web/*.tls
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
done
rm -f "$TMPF" "$TMPF.names"
tshark --version | head -1 > tests/golden/web/VERSIONS
echo "wrote $(wc -l < "$list") files' golden data into tests/golden/web"
