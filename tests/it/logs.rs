//! `--log-dir`: Zeek-style logs, one file per record kind. Each log's rows must be the records
//! the JSON output gives for the same run (whose values other tests check against tshark and
//! Zeek's rules), written as Zeek's TSV logs are (header, field count, unset and empty markers)
//! or as JSON lines; standard output must not change when the logs are written.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{inspect, inspect_ok, json_lines, of_type, root, Need, Test, TempDir};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(conn_log_rows_are_the_json_conn_records),
        trial!(every_log_has_zeeks_header_and_whole_rows),
        trial!(dns_dhcp_notice_and_arp_logs_hold_their_records),
        trial!(http_and_ssl_logs_hold_the_app_layers_records),
        trial!(json_logs_have_the_tsv_logs_values),
        trial!(standard_output_is_the_same_with_logs),
        trial!(a_log_dir_that_cannot_be_made_is_one_line),
        trial!(split_captures_merge_into_the_whole_runs_records, Need::Tool("editcap")),
        trial!(the_bench_traffic_split_by_time_merges_exactly, Need::Tool("editcap"), Need::Tool("python3"), Need::Corpus),
    ]
}

const CAPTURES: &[&str] = &["captures/dns.pcap", "captures/dhcp.pcap", "captures/flood-v4.pcap", "captures/arp.pcap", "captures/web.pcap", "captures/reuse.pcap", "captures/app.pcap"];

/// A TSV log: its header lines by key, and its rows as field name to text.
struct Log {
    header: BTreeMap<String, String>,
    fields: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
    closed: bool,
}

fn read_log(path: &std::path::Path) -> Log {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut header = BTreeMap::new();
    let mut fields = Vec::new();
    let mut rows = Vec::new();
    let mut closed = false;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix('#') {
            let (k, v) = h.split_once(['\t', ' ']).unwrap_or((h, ""));
            if k == "fields" {
                fields = v.split('\t').map(str::to_string).collect();
            }
            closed |= k == "close";
            header.insert(k.to_string(), v.to_string());
            continue;
        }
        let vals: Vec<&str> = line.split('\t').collect();
        assert_eq!(vals.len(), fields.len(), "{}: a row of {} fields under {} names: {line}", path.display(), vals.len(), fields.len());
        rows.push(fields.iter().cloned().zip(vals.iter().map(|v| v.to_string())).collect());
    }
    Log { header, fields, rows, closed }
}

fn run_logs(files: &[&str], format: &str) -> TempDir {
    let dir = TempDir::new("logs");
    let mut args: Vec<String> = vec!["read".into(), "-q".into()];
    args.extend(files.iter().map(|f| root().join(f).to_string_lossy().into_owned()));
    args.extend(["--log-dir".into(), dir.path().to_string_lossy().into_owned(), "--log-format".into(), format.into()]);
    inspect_ok(&args);
    dir
}

fn json_run(files: &[&str]) -> Vec<Value> {
    let mut args: Vec<String> = vec!["read".into(), "-q".into(), "--format".into(), "json".into()];
    args.extend(files.iter().map(|f| root().join(f).to_string_lossy().into_owned()));
    json_lines(&inspect_ok(&args))
}

/// A JSON value as the TSV log writes it (six decimals for floats).
fn tsv_text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => format!("{:.6}", n.as_f64().unwrap_or(f64::NAN)),
        other => other.to_string(),
    }
}

fn conn_log_rows_are_the_json_conn_records() {
    let dir = run_logs(CAPTURES, "zeek");
    let log = read_log(&dir.join("conn.log"));
    let objs = json_run(CAPTURES);
    let conns = of_type(&objs, "conn");
    assert_eq!(log.rows.len(), conns.len());
    assert!(log.rows.len() > 100, "the flood capture alone has thousands");
    for (row, c) in log.rows.iter().zip(&conns) {
        for f in ["uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "conn_state", "missed_bytes", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "ts"] {
            assert_eq!(row[f], tsv_text(&c[f]), "{f} of {}", c["uid"]);
        }
        // Zeek leaves the duration and the byte counts unset when no time passed.
        let lasted = c["duration"].as_f64().unwrap_or(0.0) > 0.0;
        for f in ["duration", "orig_bytes", "resp_bytes"] {
            assert_eq!(row[f], if lasted { tsv_text(&c[f]) } else { "-".into() }, "{f} of {}", c["uid"]);
        }
        let history = c["history"].as_str().unwrap_or("");
        assert_eq!(row["history"], if history.is_empty() { "-" } else { history });
        assert_eq!(row["local_orig"], "-");
        let proto = match (row["proto"].as_str(), row["id.orig_h"].contains(':')) {
            ("tcp", _) => "6",
            ("udp", _) => "17",
            (_, false) => "1",
            (_, true) => "58",
        };
        assert_eq!(row["ip_proto"], proto);
    }
}

fn every_log_has_zeeks_header_and_whole_rows() {
    let dir = run_logs(CAPTURES, "zeek");
    for (path, first) in [
        ("conn", "ts\tuid\tid.orig_h"),
        ("dns", "ts\tuid\tid.orig_h"),
        ("http", "ts\tuid\tid.orig_h"),
        ("ssl", "ts\tuid\tid.orig_h"),
        ("dhcp", "ts\tuids\tclient_addr"),
        ("notice", "ts\tuid\tid.orig_h"),
        ("arp", "ts\tevent"),
        ("stats", "ts\tpeer"),
    ] {
        let file = dir.join(&format!("{path}.log"));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(text.starts_with("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"), "{path}: {text}");
        let log = read_log(&file);
        assert_eq!(log.header["path"], path);
        assert!(log.header["fields"].starts_with(first), "{path}: {}", log.header["fields"]);
        assert_eq!(log.header["types"].split('\t').count(), log.fields.len(), "{path}");
        assert!(log.closed, "{path} has no #close");
        let stamp = |k: &str| log.header[k].split('-').map(|p| p.len()).collect::<Vec<_>>();
        assert_eq!(stamp("open"), [4, 2, 2, 2, 2, 2], "{path}");
        assert_eq!(stamp("close"), [4, 2, 2, 2, 2, 2], "{path}");
        assert!(!log.rows.is_empty(), "{path} is empty");
    }
    let conn = read_log(&dir.join("conn.log"));
    let types: Vec<String> = conn.header["types"].split('\t').map(str::to_string).collect();
    assert_eq!(types.join(" "), "time string addr port addr port enum string interval count count string bool bool count string count count count count set[string] count");
}

fn dns_dhcp_notice_and_arp_logs_hold_their_records() {
    let dir = run_logs(CAPTURES, "zeek");
    let objs = json_run(CAPTURES);
    let dns = read_log(&dir.join("dns.log"));
    let queries = of_type(&objs, "dns");
    assert_eq!(dns.rows.len(), queries.len());
    for (row, q) in dns.rows.iter().zip(&queries) {
        for f in ["uid", "trans_id", "query", "qtype_name", "rcode_name"] {
            assert_eq!(row[f], tsv_text(&q[f]), "{f}");
        }
        let answers: Vec<String> = q["answers"].as_array().map(|a| a.iter().map(tsv_text).collect()).unwrap_or_default();
        assert_eq!(row["answers"], if answers.is_empty() { "-".to_string() } else { answers.join(",") });
        assert_eq!(row["AA"], if q["AA"] == true { "T" } else { "F" });
    }
    let dhcp = read_log(&dir.join("dhcp.log"));
    let exchanges = of_type(&objs, "dhcp");
    assert_eq!(dhcp.rows.len(), exchanges.len());
    for (row, d) in dhcp.rows.iter().zip(&exchanges) {
        let types: Vec<String> = d["msg_types"].as_array().map(|a| a.iter().map(tsv_text).collect()).unwrap_or_default();
        assert_eq!(row["msg_types"], types.join(","));
        assert_eq!(row["mac"], tsv_text(&d["mac"]));
    }
    // One row per alert, with its final SYN count, and one per surge notice.
    let notice = read_log(&dir.join("notice.log"));
    let closed: Vec<&Value> = of_type(&objs, "alert").into_iter().filter(|a| a["state"] == "closed").collect();
    assert_eq!(notice.rows.len(), closed.len() + of_type(&objs, "notice").len());
    for (row, a) in notice.rows.iter().zip(&closed) {
        assert_eq!(row["note"], "Inspect::SYN_Flood");
        assert_eq!(row["dst"], tsv_text(&a["dst"]));
        assert_eq!(row["n"], tsv_text(&a["syns"]));
        assert_eq!(row["actions"], "Notice::ACTION_LOG");
        assert_eq!(row["email_dest"], "(empty)");
    }
    let arp = read_log(&dir.join("arp.log"));
    let events = of_type(&objs, "arp_event");
    assert_eq!(arp.rows.len(), events.len());
    for (row, e) in arp.rows.iter().zip(&events) {
        assert_eq!(row["event"], tsv_text(&e["event"]));
        assert_eq!(row["ip"], tsv_text(&e["ip"]));
    }
    let stats = read_log(&dir.join("stats.log"));
    let summary = of_type(&objs, "stats");
    assert_eq!(stats.rows.len(), 1);
    assert_eq!(stats.rows[0]["pkts_proc"], tsv_text(&summary[0]["packets"]));
}

/// http.log and ssl.log: Zeek's header (the `#fields` and `#types` lines of Zeek's own http.log
/// and, with the base scripts, ssl.log), and a row per transaction and handshake the JSON output
/// gives, with its values.
fn http_and_ssl_logs_hold_the_app_layers_records() {
    let dir = run_logs(CAPTURES, "zeek");
    let objs = json_run(CAPTURES);
    let http = read_log(&dir.join("http.log"));
    assert_eq!(
        http.header["fields"],
        "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types"
    );
    assert_eq!(
        http.header["types"],
        "time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]"
    );
    let txs = of_type(&objs, "http");
    assert!(txs.len() >= 2, "app.pcap has a GET and a POST: {}", txs.len());
    assert_eq!(http.rows.len(), txs.len());
    for (row, h) in http.rows.iter().zip(&txs) {
        for f in ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth", "method", "host", "uri", "version", "user_agent", "request_body_len", "response_body_len", "status_code", "status_msg"] {
            assert_eq!(row[f], tsv_text(&h[f]), "http.log {f}");
        }
        assert_eq!((row["tags"].as_str(), row["referrer"].as_str(), row["resp_mime_types"].as_str()), ("(empty)", "-", "-"));
    }
    let post = http.rows.iter().find(|r| r["method"] == "POST").unwrap_or_else(|| panic!("no POST in http.log"));
    assert_eq!((post["request_body_len"].as_str(), post["status_code"].as_str(), post["trans_depth"].as_str()), ("15", "201", "2"));

    let ssl = read_log(&dir.join("ssl.log"));
    assert_eq!(
        ssl.header["fields"],
        "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tssl_history\tcert_chain_fps\tclient_cert_chain_fps\tsni_matches_cert"
    );
    assert_eq!(
        ssl.header["types"],
        "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tbool\tstring\tvector[string]\tvector[string]\tbool"
    );
    let hellos = of_type(&objs, "tls");
    assert!(hellos.len() >= 2, "app.pcap has two handshakes: {}", hellos.len());
    assert_eq!(ssl.rows.len(), hellos.len());
    for (row, t) in ssl.rows.iter().zip(&hellos) {
        for f in ["ts", "uid", "id.orig_h", "id.resp_p", "version", "cipher", "server_name", "next_protocol"] {
            assert_eq!(row[f], tsv_text(&t[f]), "ssl.log {f}");
        }
    }
    let names: Vec<&str> = ssl.rows.iter().map(|r| r["server_name"].as_str()).collect();
    assert!(names.contains(&"www.example.test") && names.contains(&"api.example.test"), "{names:?}");
    let v12 = ssl.rows.iter().find(|r| r["server_name"] == "api.example.test").unwrap_or_else(|| panic!("no api.example.test"));
    assert_eq!((v12["version"].as_str(), v12["cipher"].as_str(), v12["next_protocol"].as_str()), ("TLSv12", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "http/1.1"));
}

fn json_logs_have_the_tsv_logs_values() {
    let tsv = run_logs(CAPTURES, "zeek");
    let json = run_logs(CAPTURES, "json");
    for path in ["conn", "dns", "http", "ssl", "dhcp", "notice", "arp", "stats"] {
        let log = read_log(&tsv.join(&format!("{path}.log")));
        let text = std::fs::read_to_string(json.join(&format!("{path}.log"))).unwrap_or_default();
        let objs = json_lines(&text);
        assert_eq!(objs.len(), log.rows.len(), "{path}");
        for (row, o) in log.rows.iter().zip(&objs) {
            for f in &log.fields {
                let v = &o[f.as_str()];
                let want = &row[f];
                let got = match v {
                    Value::Null => "-".to_string(),
                    Value::Array(a) if a.is_empty() => "(empty)".to_string(),
                    Value::Array(a) => a.iter().map(tsv_text).collect::<Vec<_>>().join(","),
                    Value::Bool(b) => if *b { "T" } else { "F" }.to_string(),
                    Value::String(s) if s.is_empty() => "(empty)".into(),
                    // Whole seconds are still floats in the TSV log.
                    Value::Number(n) if want.contains('.') => format!("{:.6}", n.as_f64().unwrap_or(f64::NAN)),
                    other => tsv_text(other),
                };
                assert_eq!(&got, want, "{path}: {f}");
            }
        }
    }
}

fn standard_output_is_the_same_with_logs() {
    for f in ["captures/web.pcap", "captures/dns.pcap"] {
        let path = root().join(f);
        let plain = inspect_ok([std::ffi::OsStr::new("read"), path.as_os_str()]);
        let dir = TempDir::new("same");
        let with = inspect_ok([std::ffi::OsStr::new("read"), path.as_os_str(), "--log-dir".as_ref(), dir.path().as_os_str()]);
        assert_eq!(plain, with, "{f}");
    }
}

fn a_log_dir_that_cannot_be_made_is_one_line() {
    let dir = TempDir::new("blocked");
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
    let run = inspect(["read".as_ref(), root().join("captures/web.pcap").as_os_str(), "--log-dir".as_ref(), file.join("logs").as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let (_, err) = crate::support::split_sandbox(&run.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot create directory"), "{err}");
    assert!(run.stdout.is_empty());
}

/// The conn records of a run's JSON conn.log.
fn conn_records(dir: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("conn.log")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    json_lines(&text)
}

/// A connection's protocol, and its addresses and ports in either order.
type FlowKey = (String, [(String, u64); 2]);

/// A connection's addresses and ports in either order, and its protocol.
fn flow_key(v: &Value) -> FlowKey {
    let mut ends = [(v["id.orig_h"].to_string(), v["id.orig_p"].as_u64().unwrap_or(0)), (v["id.resp_h"].to_string(), v["id.resp_p"].as_u64().unwrap_or(0))];
    ends.sort();
    (v["proto"].to_string(), ends)
}

/// The merge docs/SCALE.md describes (and scale/job.py runs in Spark SQL): every file's records,
/// less those of a file that a record of one of the `span` files before, continued into it,
/// already covers (same flow, begun within the continued record's time).
fn merge(files: &[Vec<Value>], span: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for (k, recs) in files.iter().enumerate() {
        let before: Vec<&Value> = files[k.saturating_sub(span)..k].iter().flatten().filter(|c| c["continued"] == true).collect();
        let mut by_key: BTreeMap<FlowKey, Vec<&Value>> = BTreeMap::new();
        for c in before {
            by_key.entry(flow_key(c)).or_default().push(c);
        }
        for r in recs {
            let ts = r["ts"].as_f64().unwrap_or(0.0);
            let covered = by_key.get(&flow_key(r)).is_some_and(|cs| {
                cs.iter().any(|c| c["ts"].as_f64().unwrap_or(0.0) <= ts && ts <= c["last_ts"].as_f64().unwrap_or(0.0))
            });
            if !covered {
                out.push(r.clone());
            }
        }
    }
    out
}

/// Splits `capture` with `editcap ARGS`, runs each part with --partial and the `span` parts
/// after it as --next, merges, and compares with the run over the whole capture.
fn split_merge_equals_whole(capture: &std::path::Path, split: &[&str], span: usize) -> usize {
    let dir = TempDir::new("split");
    let parts_dir = dir.join("parts");
    std::fs::create_dir_all(&parts_dir).unwrap_or_else(|e| panic!("{e}"));
    let mut args: Vec<String> = split.iter().map(|s| s.to_string()).collect();
    args.push(capture.to_string_lossy().into_owned());
    args.push(parts_dir.join("part.pcap").to_string_lossy().into_owned());
    let out = std::process::Command::new("editcap").args(&args).output().unwrap_or_else(|e| panic!("editcap: {e}"));
    assert!(out.status.success(), "editcap: {}", String::from_utf8_lossy(&out.stderr));
    let mut parts: Vec<std::path::PathBuf> = std::fs::read_dir(&parts_dir).unwrap_or_else(|e| panic!("{e}")).filter_map(|e| e.ok().map(|e| e.path())).collect();
    parts.sort();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    let mut runs = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let logs = dir.join(&format!("logs-{k}"));
        let mut a: Vec<std::ffi::OsString> = vec!["read".into(), "-q".into(), part.into(), "--partial".into()];
        for next in parts.iter().skip(k + 1).take(span) {
            a.extend(["--next".into(), next.into()]);
        }
        a.extend(["--log-dir".into(), logs.clone().into(), "--log-format".into(), "json".into()]);
        inspect_ok(&a);
        runs.push(conn_records(&logs));
    }
    let whole_dir = dir.join("whole");
    inspect_ok(["read".as_ref(), "-q".as_ref(), capture.as_os_str(), "--log-dir".as_ref(), whole_dir.as_os_str(), "--log-format".as_ref(), "json".as_ref()]);
    let whole = conn_records(&whole_dir);
    let merged = merge(&runs, span);
    let index = |recs: &[Value]| -> BTreeMap<String, Value> { recs.iter().map(|r| (r["uid"].as_str().unwrap_or("").to_string(), r.clone())).collect() };
    let (w, m) = (index(&whole), index(&merged));
    assert_eq!(w.len(), whole.len(), "uids are unique");
    let missing: Vec<&String> = w.keys().filter(|u| !m.contains_key(*u)).take(5).collect();
    let extra: Vec<&String> = m.keys().filter(|u| !w.contains_key(*u)).take(5).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?} extra {extra:?} ({} whole, {} merged)", w.len(), m.len());
    assert_eq!(merged.len(), whole.len());
    for (uid, a) in &w {
        let b = &m[uid];
        for f in ["ts", "conn_state", "history", "duration", "orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "missed_bytes", "service"] {
            assert_eq!(a[f], b[f], "{f} of {uid}: whole {a}\nmerged {b}");
        }
    }
    // The split really cut connections.
    runs.iter().flatten().filter(|r| r["continued"] == true).count()
}

fn split_captures_merge_into_the_whole_runs_records() {
    for (f, split) in [("captures/web.pcap", ["-c", "7"]), ("captures/reuse.pcap", ["-c", "5"]), ("captures/keepalive.pcap", ["-c", "4"])] {
        // Every later part as --next: these connections last the whole capture.
        let cut = split_merge_equals_whole(&root().join(f), &split, usize::MAX);
        assert!(cut > 0, "{f}: no connection crossed a file's edge");
    }
}

fn the_bench_traffic_split_by_time_merges_exactly() {
    let dir = TempDir::new("bench");
    let pcap = dir.join("bench.pcap");
    let gen = root().join("../shared/bench/gen_bench_pcap.py");
    let out = std::process::Command::new("python3").arg(&gen).arg(&pcap).arg("100000").output().unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Files of 0.1 s; the bench's connections last under 0.2 s, so two --next files finish them.
    let cut = split_merge_equals_whole(&pcap, &["-i", "0.1"], 2);
    assert!(cut > 100, "only {cut} connections crossed an edge");
}
