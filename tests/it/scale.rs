//! `--parquet` and the Spark job of `scale/`: the Parquet files hold the logs' records with
//! typed columns that duckdb and pyarrow read (through `scale/read_logs.py`), and the bench
//! traffic split by time into 20 files and run through `scale/run.sh --workers 2` gives exactly
//! the connection records and the alerts (notice.log) of one run over the whole file.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::support::{inspect_ok, root, Need, Test, TempDir, BIN};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(duckdb_and_pyarrow_read_every_log_and_parquet_file, Need::Parquet, Need::Python("duckdb,pyarrow")),
        trial!(
            the_spark_job_over_20_files_gives_the_whole_runs_records,
            Need::Parquet,
            Need::Tool("java"),
            Need::Tool("editcap"),
            Need::Python("pyspark,duckdb,pyarrow"),
            Need::Corpus
        ),
    ]
}

const CAPTURES: &[&str] = &["captures/dns.pcap", "captures/dhcp.pcap", "captures/flood-v4.pcap", "captures/arp.pcap", "captures/web.pcap", "captures/app.pcap"];

fn read_logs(dir: &std::path::Path, columns: &[&str]) -> Value {
    let mut c = Command::new("python3");
    c.arg(root().join("scale/read_logs.py")).arg(dir);
    for col in columns {
        c.args(["--column", col]);
    }
    let out = c.output().unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "read_logs.py: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("read_logs.py printed no JSON: {e}"))
}

fn duckdb_and_pyarrow_read_every_log_and_parquet_file() {
    let dir = TempDir::new("parquet");
    let mut args: Vec<String> = vec!["read".into(), "-q".into()];
    args.extend(CAPTURES.iter().map(|f| root().join(f).to_string_lossy().into_owned()));
    args.extend(["--log-dir".into(), dir.path().to_string_lossy().into_owned(), "--parquet".into(), dir.path().to_string_lossy().into_owned()]);
    inspect_ok(&args);
    let seen = read_logs(dir.path(), &["uid", "conn_state", "orig_pkts", "id.resp_p", "query", "msg_types", "ts", "method", "status_code", "server_name", "cipher"]);
    for kind in ["conn", "dns", "http", "ssl", "dhcp", "notice", "arp", "stats"] {
        let log = &seen[format!("{kind}.log")];
        let parquet = &seen[format!("{kind}.parquet")];
        assert_eq!(log["reader"], "zeek-tsv", "{kind}");
        assert!(log["rows"].as_u64().unwrap_or(0) > 0, "{kind}.log is empty");
        assert_eq!(parquet["rows"], log["rows"], "{kind}: duckdb's rows");
        assert_eq!(parquet["pyarrow_rows"], log["rows"], "{kind}: pyarrow's rows");
        let types = &parquet["duckdb_types"];
        assert_eq!(types["ts"], "TIMESTAMP WITH TIME ZONE", "{kind}");
        // Every value of the TSV log is the Parquet file's, as text.
        for (col, vals) in log["values"].as_object().into_iter().flatten() {
            let pq = parquet["values"][col].as_array().cloned().unwrap_or_default();
            let tsv = vals.as_array().cloned().unwrap_or_default();
            assert_eq!(pq.len(), tsv.len(), "{kind}.{col}");
            for (a, b) in tsv.iter().zip(&pq) {
                let text = match b {
                    Value::Null => "-".to_string(),
                    Value::Array(l) => l.iter().map(|v| v.as_str().unwrap_or("").to_string()).collect::<Vec<_>>().join(","),
                    Value::Number(n) if col == "ts" => format!("{:.6}", n.as_f64().unwrap_or(0.0)),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(a.as_str().unwrap_or(""), text, "{kind}.{col}");
            }
        }
    }
    let conn = &seen["conn.parquet"]["duckdb_types"];
    for (col, ty) in [("id.orig_h", "VARCHAR"), ("id.orig_p", "INTEGER"), ("orig_pkts", "BIGINT"), ("duration", "DOUBLE"), ("tunnel_parents", "VARCHAR[]"), ("local_orig", "BOOLEAN")] {
        assert_eq!(conn[col], ty, "conn.parquet {col}");
    }
    let http = &seen["http.parquet"]["duckdb_types"];
    for (col, ty) in [("trans_depth", "BIGINT"), ("status_code", "BIGINT"), ("tags", "VARCHAR[]"), ("resp_mime_types", "VARCHAR[]")] {
        assert_eq!(http[col], ty, "http.parquet {col}");
    }
    let ssl = &seen["ssl.parquet"]["duckdb_types"];
    for (col, ty) in [("server_name", "VARCHAR"), ("resumed", "BOOLEAN"), ("cert_chain_fps", "VARCHAR[]")] {
        assert_eq!(ssl[col], ty, "ssl.parquet {col}");
    }
}

/// Each connection's fields that must agree, by uid, from duckdb over a Parquet file or
/// directory.
fn conns_of_parquet(path: &std::path::Path) -> BTreeMap<String, Value> {
    let glob = if path.is_dir() { path.join("*.parquet") } else { path.to_path_buf() };
    let sql = "SELECT uid, conn_state, history, orig_pkts, resp_pkts, orig_bytes, resp_bytes, orig_ip_bytes, resp_ip_bytes, duration FROM read_parquet(?) ORDER BY uid";
    let script = format!(
        "import duckdb, json, sys\nrows = duckdb.connect().execute({sql:?}, [sys.argv[1]]).fetchall()\njson.dump([list(r) for r in rows], sys.stdout)"
    );
    let out = Command::new("python3").args(["-c", &script]).arg(&glob).output().unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    rows.into_iter().map(|r| (r[0].as_str().unwrap_or("").to_string(), Value::Array(r[1..].to_vec()))).collect()
}

/// Every notice.log row (alerts and surge notices) of a Parquet file or directory, in order.
fn notices_of_parquet(path: &std::path::Path) -> Vec<Value> {
    let glob = if path.is_dir() { path.join("*.parquet") } else { path.to_path_buf() };
    let sql = "SELECT note, epoch_us(ts), msg, sub, src, dst, p, n FROM read_parquet(?) ORDER BY ts, note, dst, p, msg";
    let script = format!(
        "import duckdb, json, sys\nrows = duckdb.connect().execute({sql:?}, [sys.argv[1]]).fetchall()\njson.dump([list(r) for r in rows], sys.stdout)"
    );
    let out = Command::new("python3").args(["-c", &script]).arg(&glob).output().unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"))
}

fn the_spark_job_over_20_files_gives_the_whole_runs_records() {
    let dir = TempDir::new("spark");
    let pcap = dir.join("bench.pcap");
    let packets = std::env::var("INSPECT_SCALE_PACKETS").unwrap_or_else(|_| "400000".into());
    let out = Command::new("python3").arg(root().join("../shared/bench/gen_bench_pcap.py")).arg(&pcap).arg(&packets).output().unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The bench traffic comes at 200,000 frames a second: 20 files of equal time (0.1 s at the
    // default size, which --span 3 covers: its connections last up to about 0.21 s).
    let span = packets.parse::<f64>().unwrap_or(200_000.0) / 200_000.0 / 20.0;
    let parts = dir.join("parts");
    std::fs::create_dir_all(&parts).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("editcap").args(["-i", &format!("{span:.4}")]).arg(&pcap).arg(parts.join("p.pcap")).output().unwrap_or_else(|e| panic!("editcap: {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<_> = std::fs::read_dir(&parts).unwrap_or_else(|e| panic!("{e}")).filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    assert!((20..=21).contains(&files.len()), "{} files", files.len());

    let job = dir.join("job");
    let run = Command::new("bash").arg(root().join("scale/run.sh")).args(["--workers", "2", "--span", "3"]).arg(&job).args(&files).env("INSPECT", BIN).output().unwrap_or_else(|e| panic!("run.sh: {e}"));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "scale/run.sh failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    note!("{}", stdout.trim());

    let whole = dir.join("whole");
    inspect_ok(["read".as_ref(), "-q".as_ref(), pcap.as_os_str(), "--parquet".as_ref(), whole.as_os_str()]);
    let want = conns_of_parquet(&whole.join("conn.parquet"));
    let got = conns_of_parquet(&job.join("conn.parquet"));
    assert_eq!(got.len(), want.len(), "connections");
    for (uid, w) in &want {
        assert_eq!(got.get(uid), Some(w), "{uid}: [conn_state, history, pkts, resp_pkts, bytes, resp_bytes, ip bytes, duration]");
    }

    // The alerts: one detector over the files' flood_feed gives the whole run's, a flood cut by
    // the files' edges included.
    let want = notices_of_parquet(&whole.join("notice.parquet"));
    let got = notices_of_parquet(&job.join("notice.parquet"));
    let floods = want.iter().filter(|r| r[0] == "Inspect::SYN_Flood").count();
    assert!(floods > 0, "the bench traffic's flood raised no alert: {want:?}");
    note!("notice.log: {} rows, {floods} SYN-flood alerts", want.len());
    assert_eq!(got, want, "notice.log rows [note, ts, msg, sub, src, dst, p, n]");
}
