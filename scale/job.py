"""The inspect analysis as an Apache Spark job.

Stage 1 (one task per capture file): `inspect read --partial FILE --next NEXT... --parquet DIR`
on an executor, FILE's records as Parquet, the connections open at FILE's end finished from
the next files (--span of them), and the segments the SYN-flood detector needs (flood_feed).
Stage 2 (Spark SQL): the connection records of all files, less those a record of the file
before, continued into it, already covers (same flow, begun within it); a join that Spark
shuffles by flow key. Stage 3 (one task): `inspect merge-alerts` runs the one SYN-flood
detector over every file's flood_feed in order, so the alerts and notices are those of one run
over the whole capture. The other kinds are the union of the files' records.

usage: spark-submit job.py --inspect PATH [--span N] OUTDIR INPUT...
"""
import argparse
import os
import subprocess
import sys
import time

from pyspark import SparkFiles
from pyspark.sql import SparkSession, functions as F

KINDS = ["dns", "http", "ssl", "dhcp", "arp", "stats"]


def run_file(item):
    """Stage 1 task: one capture file through inspect; yields (index, records dir, seconds)."""
    index, path, nexts, work, inspect = item
    exe = inspect if os.path.isabs(inspect) and os.access(inspect, os.X_OK) else SparkFiles.get(os.path.basename(inspect))
    out = os.path.join(work, "part-%05d" % index)
    cmd = [exe, "read", "-q", "--threads", "1", path, "--partial", "--parquet", out]
    for n in nexts:
        cmd += ["--next", n]
    t = time.time()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.strip()))
    yield (index, out, time.time() - t)


def merge_alerts(item):
    """Stage 3 task: the alerts of every file's flood_feed, in the files' order; yields
    (inspect's summary line, seconds)."""
    parts, out, inspect = item
    exe = inspect if os.path.isabs(inspect) and os.access(inspect, os.X_OK) else SparkFiles.get(os.path.basename(inspect))
    cmd = [exe, "merge-alerts", "--parquet", out] + parts
    t = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd[:4]), p.stderr.strip()))
    yield (p.stdout.strip().splitlines()[-1], time.time() - t)


MERGE = """
WITH c AS (
  SELECT *,
         CAST(regexp_extract(input_file_name(), 'part-([0-9]+)', 1) AS INT) AS part,
         least(concat(`id.orig_h`, '|', `id.orig_p`), concat(`id.resp_h`, '|', `id.resp_p`)) AS e1,
         greatest(concat(`id.orig_h`, '|', `id.orig_p`), concat(`id.resp_h`, '|', `id.resp_p`)) AS e2
  FROM conn_parts
)
SELECT r.* FROM c r LEFT ANTI JOIN c p
  ON p.continued AND p.part BETWEEN r.part - {span} AND r.part - 1
 AND p.proto = r.proto AND p.e1 = r.e1 AND p.e2 = r.e2
 AND r.ts BETWEEN p.ts AND p.last_ts
"""



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inspect", required=True, help="the inspect binary (shipped to the executors)")
    ap.add_argument("--span", type=int, default=2, help="files after its own each task reads to finish its connections")
    ap.add_argument("outdir")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    spark = SparkSession.builder.appName("inspect").getOrCreate()
    sc = spark.sparkContext
    sc.addFile(a.inspect)
    files = sorted(os.path.abspath(f) for f in a.inputs)
    work = os.path.abspath(os.path.join(a.outdir, "work"))
    os.makedirs(work, exist_ok=True)
    items = [(i, f, files[i + 1:i + 1 + a.span], work, os.path.abspath(a.inspect)) for i, f in enumerate(files)]
    t0 = time.time()
    done = sc.parallelize(items, len(items)).flatMap(run_file).collect()
    t1 = time.time()
    conn = spark.read.parquet(*[os.path.join(d, "conn.parquet") for _, d, _ in sorted(done)])
    conn.createOrReplaceTempView("conn_parts")
    partial = conn.filter("continued").count()
    merged = spark.sql(MERGE.format(span=a.span)).drop("part", "e1", "e2")
    merged.repartition(max(1, sc.defaultParallelism), "proto", "uid").write.mode("overwrite").parquet(os.path.join(a.outdir, "conn.parquet"))
    for k in KINDS:
        df = spark.read.parquet(*[os.path.join(d, k + ".parquet") for _, d, _ in sorted(done)])
        df.coalesce(1).write.mode("overwrite").parquet(os.path.join(a.outdir, k + ".parquet"))
    t2 = time.time()
    alerts = os.path.join(work, "alerts")
    parts = [d for _, d, _ in sorted(done)]
    [(said, secs)] = sc.parallelize([(parts, alerts, os.path.abspath(a.inspect))], 1).flatMap(merge_alerts).collect()
    spark.read.parquet(os.path.join(alerts, "notice.parquet")).coalesce(1).write.mode("overwrite").parquet(os.path.join(a.outdir, "notice.parquet"))
    t3 = time.time()
    count = spark.read.parquet(os.path.join(a.outdir, "conn.parquet")).count()
    size = sum(os.path.getsize(os.path.join(d, "conn.parquet")) for d in parts)
    feed = sum(os.path.getsize(os.path.join(d, "flood_feed.parquet")) for d in parts)
    print("files %d, connections %d, continued records %d, stage 1 %.1f s (tasks %.1f s), merge %.1f s, alerts %.1f s (task %.1f s), "
          "conn parquet of the files %d bytes, flood_feed %d bytes"
          % (len(files), count, partial, t1 - t0, sum(s for _, _, s in done), t2 - t1, t3 - t2, secs, size, feed))
    print("alerts: " + said)
    spark.stop()


if __name__ == "__main__":
    sys.exit(main())
