#!/usr/bin/env bash
# scale/setup.sh: what scale/run.sh needs on this machine: a Java runtime (Debian's
# openjdk-17-jre-headless) and the pyspark, duckdb and pyarrow Python packages.
set -euo pipefail
if ! command -v java > /dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless > /dev/null
fi
# The versions the tests were run with.
python3 -m pip install -q pyspark==4.3.0 duckdb==2.0.1 pyarrow==26.0.1
