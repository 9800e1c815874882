#!/usr/bin/env bash
# Compares two builds of inspect on every capture under captures/ and ../shared/corpus, in nine
# views (lines, -q, JSON, the five-layer view, link and hex, conns, arp): the outputs and exit
# statuses must be byte for byte the same. Lists each difference; exits 1 if there is any.
#   scripts/compare_outputs.sh OLD_BINARY NEW_BINARY [EXTRA ARGS FOR NEW...]
set -uo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2; shift 2
EXTRA=("$@")
VIEWS=(
  "read"
  "read -q"
  "read -q --format json"
  "read --format json"
  "read -V"
  "read -V --format json"
  "read -e -x"
  "conns --format json"
  "arp"
)
mapfile -t FILES < <(find captures ../shared/corpus \( -name '*.pcap' -o -name '*.pcapng' \) 2>/dev/null | sort)
n=0 d=0
for f in "${FILES[@]}"; do
  for v in "${VIEWS[@]}"; do
    read -r -a a <<< "$v"
    o=$("$OLD" "${a[@]}" "$f" 2>&1; echo "exit $?")
    w=$("$NEW" "${a[@]}" "${EXTRA[@]}" "$f" 2>&1; echo "exit $?")
    n=$((n + 1))
    if [ "$o" != "$w" ]; then
      d=$((d + 1))
      echo "differs: $v $f"
    fi
  done
done
echo "compared $n, differ $d"
[ "$d" = 0 ]
