#!/usr/bin/env bash
# scale/run.sh [--master URL | --workers N] [--span N] OUTDIR INPUT...
# Runs inspect over the capture files INPUT... as a Spark job (scale/job.py): one task per file,
# then the merge of the connections cut by the files' edges in Spark SQL; OUTDIR gets
# conn.parquet, dns.parquet, dhcp.parquet, notice.parquet (the alerts of all files, made by
# `inspect merge-alerts` from the files' flood_feed), arp.parquet, stats.parquet. Each
# task reads the --span files after its own (2) to finish the connections open at its end: make
# it cover the longest connection (a file of 0.5 s and connections under 1 s: 2).
# Without --master it starts a standalone cluster on this machine (a master and N workers, each
# a process of its own with one core) and stops it at the end. The inspect binary is $INSPECT,
# else `inspect` on PATH, else this checkout's target/release/inspect (built with --features
# parquet); it is shipped to the executors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
master= workers=2 span=2
while [ $# -gt 0 ]; do
  case $1 in
    --master) master=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --span) span=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: scale/run.sh [--master URL | --workers N] [--span N] OUTDIR INPUT..." >&2; exit 2; }
out=$1; shift
inspect=${INSPECT:-$(command -v inspect || echo "$here/../target/release/inspect")}
[ -x "$inspect" ] || { echo "scale/run.sh: no inspect binary at $inspect (set INSPECT)" >&2; exit 1; }
spark_home=$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))') || {
  echo "scale/run.sh: pyspark is not installed (scale/setup.sh installs it)" >&2; exit 1; }
export SPARK_HOME=$spark_home PYSPARK_PYTHON=${PYSPARK_PYTHON:-$(command -v python3)}
mkdir -p "$out"
logs=$(mktemp -d)
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$logs"
}
if [ -z "$master" ]; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  master=spark://127.0.0.1:$port
  trap stop EXIT
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0 > "$logs/master.log" 2>&1 &
  pids+=($!)
  for i in $(seq "$workers"); do
    "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 1g --webui-port 0 "$master" > "$logs/worker-$i.log" 2>&1 &
    pids+=($!)
  done
  # The workers register within seconds; the job waits for executors anyway.
  for _ in $(seq 60); do
    [ "$(grep -l 'Successfully registered with master' "$logs"/worker-*.log 2>/dev/null | wc -l)" -ge "$workers" ] && break
    sleep 1
  done
fi
"$SPARK_HOME/bin/spark-submit" --master "$master" --executor-memory 1g --conf spark.ui.enabled=false \
  --conf spark.log.level=WARN --conf spark.sql.shuffle.partitions=$((2 * workers)) \
  "$here/job.py" --inspect "$inspect" --span "$span" "$out" "$@"
