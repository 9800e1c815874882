#!/usr/bin/env bash
# Runs one fuzz target for a while, niced, growing a working corpus outside the repository:
#   fuzz/run.sh TARGET SECONDS [WORKDIR]     (default WORKDIR: ../fuzz-work beside the checkout)
# Seeds come from fuzz/seed.py (captures/ and ../shared/corpus) and fuzz/corpus/TARGET (the
# minimized corpus kept in git). Blow-ups count as crashes: -rss_limit_mb=512, -timeout=10.
# Crashes go to fuzz/artifacts/TARGET; the log ends with libFuzzer's counts (execs, cov, ft).
set -euo pipefail
cd "$(dirname "$0")/.."
T=$1; S=$2; W=${3:-../fuzz-work}
mkdir -p "$W/$T" "$W/seeds" fuzz/artifacts/"$T"
[ -d "$W/seeds/$T" ] || python3 fuzz/seed.py "$W/seeds"
extra=()
[ -d "fuzz/corpus/$T" ] && extra+=("fuzz/corpus/$T")
[ -f "fuzz/dict/$T.dict" ] && extra_flags=(-dict="fuzz/dict/$T.dict") || extra_flags=()
# ASan's quarantine (256 MB by default) of freed memory counts in the process's RSS, which
# made libFuzzer report out-of-memory on inputs that use 45 MB alone: keep it small.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32}
exec nice -n 19 cargo +nightly fuzz run -O "$T" "$W/$T" "$W/seeds/$T" "${extra[@]}" -- \
  -rss_limit_mb=512 -timeout=10 -max_total_time="$S" -print_final_stats=1 \
  -artifact_prefix=fuzz/artifacts/"$T"/ "${extra_flags[@]}"
