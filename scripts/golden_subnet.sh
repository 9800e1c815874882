#!/usr/bin/env bash
# Regenerates the golden outputs for `inspect subnet` by running the real
# ipcalc-ng and sipcalc, so tests/subnet.rs compares against those tools
# rather than against our own idea of the answer.
#
# Usage: scripts/golden_subnet.sh [OUTDIR]   (default: tests/golden/subnet)
# Needs: ipcalc-ng, sipcalc, jq   (Debian: apt-get install -y ipcalc-ng sipcalc jq)
#
# Files written (JSON Lines, one record per input):
#   ipcalc_ng.jsonl          {"input": ..., "json": <ipcalc-ng -j --all-info output>}
#   ipcalc_ng_classful.jsonl {"input": bare address, "json": <ipcalc-ng -j --class-prefix output>}
#   ipcalc_ng_split.jsonl    {"input": ..., "split": N, "json": <ipcalc-ng -j -S N output>}
#   ipcalc_ng_range.jsonl    {"input": "A-B", "json": <ipcalc-ng -j -d A-B output>}
#   sipcalc.jsonl            {"input": ..., "fields": {"SECTION/Field name": "value", ...}}
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../tests/golden/subnet"}
for tool in ipcalc-ng sipcalc jq; do
    command -v "$tool" >/dev/null || { echo "golden_subnet.sh: $tool is not installed" >&2; exit 1; }
done
mkdir -p "$out"
export LC_ALL=C

# IPv4 addresses covering every address space and the edges of the range;
# each is run at every prefix length 0..32.
v4_addrs=(
    0.0.0.0 255.255.255.255 192.168.3.125 10.1.2.3 172.20.30.40 8.8.8.8
    100.100.1.1 169.254.10.20 127.0.0.1 224.0.0.251 240.1.2.3 198.51.100.77
    203.0.113.9 192.0.2.200 198.18.5.5 1.2.3.4 128.0.0.1 191.255.255.254
)
# Netmask forms (A/M.M.M.M).
v4_masked=(
    192.168.3.125/255.255.255.128 10.1.2.3/255.0.0.0 172.20.30.40/255.255.240.0
    8.8.8.8/255.255.255.252 1.2.3.4/255.255.255.254 1.2.3.4/255.255.255.255
    1.2.3.4/0.0.0.0 192.168.3.125/255.255.255.192
)
v6_inputs=(
    2001:db8::1/64 2001:db8:85a3::8a2e:370:7334/64 2001:db8::/32 2001:db8::1/128
    2001:db8::1/127 2001:db8:abcd:12::1/48 fe80::1/10 fe80::1ff:fe23:4567:890a/64
    fd12:3456:789a:1::1/64 fc00::1/7 ff02::1/16 ff05::1:3/128 ::1/128 ::/128
    ::ffff:192.0.2.1/128 ::ffff:0:0/96 2606:4700:4700::1111/128 2a03:2880:20:4f06:face:b00c:0:14/64
    2002:c000:204::1/48 2001::1/32 2001:2::1/48 64:ff9b::c000:201/96 2620:4f:8000::1/48
    2001:4860:4860::8888/64 2001:db8:1:2:3:4:5:6/112 2001:db8::/0 2001:0db8:0000:0000:0000:0000:0000:0001/96
    100::1/64 3ffe::1/16 fec0::1/10 2001:db8::1/1 2001:db8::1/120
)
classful=(
    10.1.2.3 1.2.3.4 127.0.0.1 0.0.0.0 126.255.255.255 128.0.0.1 172.16.5.4
    191.255.1.1 192.168.3.125 223.255.255.254 192.0.2.1 100.64.1.1
)
split_cases=(
    "192.168.3.125/25 27" "192.168.3.0/24 26" "10.0.0.0/8 12" "10.0.0.0/30 32"
    "10.0.0.0/29 31" "172.16.0.0/12 16" "192.168.0.0/16 20" "0.0.0.0/0 4"
    "2001:db8::/62 64" "2001:db8::/48 52" "fe80::/10 12"
)
ranges=(
    10.0.0.5-10.0.0.20 192.168.1.0-192.168.1.255 192.168.1.1-192.168.2.254
    0.0.0.0-127.255.255.255 0.0.0.1-255.255.255.254 10.0.0.0-10.0.0.0 1.2.3.4-5.6.7.8 172.16.0.1-172.31.255.254
    2001:db8::1-2001:db8::ff 2001:db8::-2001:db8::ffff:ffff
)

# One sipcalc run as a flat JSON object: "SECTION/Field" -> value. A value
# that ends in " -" continues on the next (indented) line, as ranges do.
sipcalc_fields() {
    sipcalc "$1" | awk -F'\t+- ' '
        /^\[/ { gsub(/[\[\]]/, ""); section = $0; next }
        cont != "" { v = $0; sub(/^[ \t]+/, "", v); print cont "\t" pending " " v; cont = ""; next }
        NF >= 2 {
            key = $1; val = $2
            if (val ~ / -$/) { cont = section "/" key; pending = val; next }
            print section "/" key "\t" val
        }' | jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {}'
}

v4_inputs=()
for a in "${v4_addrs[@]}"; do
    for p in $(seq 0 32); do v4_inputs+=("$a/$p"); done
done

: >"$out/ipcalc_ng.jsonl"
: >"$out/sipcalc.jsonl"
for input in "${v4_inputs[@]}" "${v4_masked[@]}" "${v6_inputs[@]}"; do
    ipcalc-ng -j --all-info "$input" | jq -c --arg input "$input" '{input: $input, json: .}' >>"$out/ipcalc_ng.jsonl"
done
for input in "${v4_inputs[@]}" "${v6_inputs[@]}"; do
    sipcalc_fields "$input" | jq -c --arg input "$input" '{input: $input, fields: .}' >>"$out/sipcalc.jsonl"
done

: >"$out/ipcalc_ng_classful.jsonl"
for input in "${classful[@]}"; do
    ipcalc-ng -j --class-prefix "$input" | jq -c --arg input "$input" '{input: $input, json: .}' >>"$out/ipcalc_ng_classful.jsonl"
done

: >"$out/ipcalc_ng_split.jsonl"
for case in "${split_cases[@]}"; do
    read -r input split <<<"$case"
    ipcalc-ng -j -S "$split" "$input" | jq -c --arg input "$input" --arg split "$split" '{input: $input, split: $split, json: .}' >>"$out/ipcalc_ng_split.jsonl"
done

: >"$out/ipcalc_ng_range.jsonl"
for input in "${ranges[@]}"; do
    timeout 20 ipcalc-ng -j -d "$input" | jq -c --arg input "$input" '{input: $input, json: .}' >>"$out/ipcalc_ng_range.jsonl"
done

wc -l "$out"/*.jsonl
