"""Reads every record file of a directory the way other tools do, and prints what each held.

Zeek TSV logs (*.log with a #fields header) as zeek-cut reads them (the #fields line names the
columns); JSON-lines logs with json; Parquet files (*.parquet, a file or Spark's directory of
parts) with duckdb and with pyarrow. Prints one JSON object: for each file, its row count and
the values of the columns asked for (`--column NAME`, first rows), per reader.

usage: python3 scale/read_logs.py DIR [--column NAME]...
"""
import argparse
import json
import os
import sys

import duckdb
import pyarrow.parquet as pq


def zeek_tsv(path):
    fields, rows = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields\t"):
                fields = line.split("\t")[1:]
            elif not line.startswith("#"):
                rows.append(dict(zip(fields, line.split("\t"))))
    return fields, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--column", action="append", default=[])
    a = ap.parse_args()
    out = {}
    for name in sorted(os.listdir(a.dir)):
        path = os.path.join(a.dir, name)
        if name.endswith(".log"):
            with open(path, encoding="utf-8") as f:
                first = f.readline()
            if first.startswith("#separator"):
                fields, rows = zeek_tsv(path)
                out[name] = {"reader": "zeek-tsv", "rows": len(rows), "fields": fields,
                             "values": {c: [r.get(c) for r in rows] for c in a.column if fields and c in fields}}
            else:
                with open(path, encoding="utf-8") as f:
                    rows = [json.loads(l) for l in f if l.strip()]
                out[name] = {"reader": "json", "rows": len(rows),
                             "values": {c: [r.get(c) for r in rows] for c in a.column}}
        elif name.endswith(".parquet"):
            glob = os.path.join(path, "*.parquet") if os.path.isdir(path) else path
            con = duckdb.connect()
            n = con.execute("SELECT count(*) FROM read_parquet(?)", [glob]).fetchone()[0]
            types = {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [glob]).fetchall()}
            table = pq.read_table(path)
            cols = {}
            for c in a.column:
                if c in table.column_names:
                    vals = table.column(c).to_pylist()
                    cols[c] = [v.timestamp() if hasattr(v, "timestamp") else v for v in vals]
            out[name] = {"reader": "duckdb+pyarrow", "rows": n, "pyarrow_rows": table.num_rows,
                         "duckdb_types": types, "values": cols}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
