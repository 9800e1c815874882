//! The application layer as a user sees it: HTTP and TLS fields on the frames tshark puts them
//! on, with tshark's values (`scripts/golden_web.sh` writes them into `tests/golden/web/`);
//! requests paired with responses as tshark pairs them; TLS handshakes' names; the connection's
//! service; and hostile payloads, which end in an error in the record, never a crash.

use serde_json::Value;

use crate::support::frames::{tcp, ACK, PSH, SYN};
use crate::support::pcap::{micros, Pcap};
use crate::support::{inspect, inspect_ok, json_lines, of_type, root, s, Need, TempDir, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(fields_match_tshark_on_captures),
        trial!(fields_match_tshark_on_the_corpus, Need::Corpus),
        trial!(responses_pair_with_requests_as_tshark_pairs_them),
        trial!(tls_handshakes_name_what_tshark_names),
        trial!(tls_records_say_established_resumed_and_curve_by_zeeks_rules),
        trial!(tls_record_versions_on_the_frames_tshark_gives_them),
        trial!(ssl_history_alert_and_certificate_fingerprints_follow_zeeks_rules),
        trial!(conn_service_comes_from_content),
        trial!(lines_and_tree_show_the_messages),
        trial!(text_tables_only_when_present),
        trial!(a_server_that_does_not_answer_http_makes_no_transaction),
        trial!(hostile_payloads_are_errors_in_the_record),
        trial!(display_filter_and_dash_e_take_http_and_tls_fields),
    ]
}

/// Frames whose fields differ from tshark's, and why. The test fails when one agrees after all.
const KNOWN: &[(&str, &str, &str)] = &[
    // The capture starts in the middle of a response: no request came first, so by Zeek's rule
    // (the originator's first bytes must start a request) the connection is not read as HTTP.
    ("../shared/corpus/tcpdump/ipv4_tcp_http_xml.pcap", "1", "mid-stream response"),
];

/// Responses tshark pairs with another request than the one they answer, by file and response
/// frame, with the request they answer. The test checks tshark still says otherwise.
const KNOWN_PAIRS: &[(&str, &str, &str)] = &[
    // Two pipelined requests in one segment (frame 55): tshark names the segment's last request
    // for both responses; this one's 50-byte body is /hello.txt's (`http.content_length`).
    ("captures/streams.pcap", "59", "/hello.txt"),
];

/// The fields compared.
const FIELDS: &[&str] = &[
    "http.request.method",
    "http.request.uri",
    "http.request.version",
    "http.host",
    "http.user_agent",
    "http.response.code",
    "http.response.phrase",
    "http.content_type",
    "http.content_length",
    "tls.handshake.type",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.version",
    "tls.handshake.extensions.supported_version",
    "tls.handshake.ciphersuite",
];

/// Fields tshark writes in hexadecimal and inspect's JSON as numbers.
const HEX: &[&str] = &["tls.handshake.version", "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite"];

/// tshark's `0x0303,0x0304` as inspect's JSON writes it (`771,772`).
fn unhex(v: &str) -> String {
    v.split(',')
        .map(|x| x.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()).map_or_else(|| x.to_string(), |n| n.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

fn golden_files() -> Vec<String> {
    let list = std::fs::read_to_string(root().join("tests/golden/web/FILES")).expect("tests/golden/web/FILES");
    list.lines().map(str::to_string).collect()
}

fn golden_name(file: &str) -> String {
    file.trim_start_matches("../shared/corpus/").replace('/', "_")
}

/// A JSON value as tshark's `-T fields` writes it (arrays joined with commas).
fn as_field(v: &Value) -> String {
    match v {
        Value::Array(a) => a.iter().map(as_field).collect::<Vec<_>>().join(","),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn check_fields(file: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let golden = std::fs::read_to_string(root().join("tests/golden/web").join(format!("{}.tsv", golden_name(file)))).expect("golden tsv");
    let mut lines = golden.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let path = root().join(file);
    let out = inspect_ok(["read", "--format", "json", path.to_str().unwrap_or("")]);
    let packets: Vec<Value> = json_lines(&out).into_iter().filter(|v| v["event_type"] == "packet").collect();
    let by_frame = |n: u64| packets.iter().find(|p| p["frame.number"].as_u64() == Some(n));
    let mut seen = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let frame: u64 = cols.first().and_then(|c| c.parse().ok()).expect("frame number");
        seen.push(frame);
        let known = KNOWN.iter().any(|(f, n, _)| *f == file && *n == frame.to_string());
        let Some(p) = by_frame(frame) else {
            problems.push(format!("{file}: frame {frame} missing"));
            continue;
        };
        let mut differs = Vec::new();
        for (name, want) in header.iter().zip(&cols).skip(1) {
            if !FIELDS.contains(name) {
                continue;
            }
            let want = if HEX.contains(name) { unhex(want) } else { want.to_string() };
            let got = p.get(*name).map(as_field).unwrap_or_default();
            if got != want {
                differs.push(format!("{name}: inspect {got:?}, tshark {want:?}"));
            }
        }
        match (known, differs.is_empty()) {
            (false, false) => problems.push(format!("{file}: frame {frame}: {}", differs.join("; "))),
            (true, true) => problems.push(format!("{file}: frame {frame} is listed as known but agrees")),
            _ => {}
        }
    }
    // No frame carries the fields that tshark does not give them.
    for p in &packets {
        let n = p["frame.number"].as_u64().unwrap_or(0);
        if !seen.contains(&n) && FIELDS.iter().any(|f| p.get(*f).is_some()) {
            problems.push(format!("{file}: frame {n} has application fields tshark does not give it"));
        }
    }
    problems
}

fn fields_match(corpus: bool) {
    let mut problems = Vec::new();
    let mut files = 0;
    for file in golden_files().into_iter().filter(|f| f.starts_with("../") == corpus) {
        files += 1;
        problems.extend(check_fields(&file));
    }
    assert!(files > 0);
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// Every HTTP and TLS field on the captures recorded for this project equals tshark's.
fn fields_match_tshark_on_captures() {
    fields_match(false);
}

/// And on the HTTP captures of the corpus.
fn fields_match_tshark_on_the_corpus() {
    fields_match(true);
}

/// Each answered request's transaction pairs the request tshark pairs with the response, in the
/// order the responses came: keep-alive, pipelining, a chunked body and a POST included.
fn responses_pair_with_requests_as_tshark_pairs_them() {
    let mut checked = 0;
    for file in golden_files().into_iter().filter(|f| !f.starts_with("../")) {
        let pairs = std::fs::read_to_string(root().join("tests/golden/web").join(format!("{}.pairs", golden_name(&file)))).unwrap_or_default();
        let want: Vec<(u64, String)> = pairs
            .lines()
            .filter_map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                let code = c.get(2)?.parse().ok()?;
                // tshark's URI is the whole URL: the request target is its path.
                let url = c.get(3)?;
                let path = url.split_once("://").map_or(*url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
                if let Some((.., right)) = KNOWN_PAIRS.iter().find(|(f, n, _)| *f == file && Some(n) == c.first()) {
                    assert_ne!(path, *right, "{file}: tshark now pairs frame {} right: drop it from KNOWN_PAIRS", c[0]);
                    return Some((code, right.to_string()));
                }
                Some((code, path.to_string()))
            })
            .collect();
        let out = inspect_ok(["read", "-q", "--format", "json", root().join(&file).to_str().unwrap_or("")]);
        let objs = json_lines(&out);
        let got: Vec<(u64, String)> = of_type(&objs, "http")
            .iter()
            .filter(|h| h.get("status_code").is_some())
            .map(|h| (h["status_code"].as_u64().unwrap_or(0), s(&h["uri"]).to_string()))
            .collect();
        assert_eq!(got, want, "{file}");
        for h in of_type(&objs, "http") {
            assert!(h.get("error").is_none(), "{file}: {h}");
        }
        checked += want.len();
    }
    assert!(checked >= 12, "only {checked} responses");
    // Keep-alive depths and body lengths (the keep-alive body is 36000 bytes; the chunked one
    // the chunks' data; the POST's 15 bytes).
    let out = inspect_ok(["read", "-q", "--format", "json", root().join("captures/app.pcap").to_str().unwrap_or("")]);
    let objs = json_lines(&out);
    let http = of_type(&objs, "http");
    let rows: Vec<(u64, &str, u64, u64)> = http
        .iter()
        .map(|h| (h["trans_depth"].as_u64().unwrap_or(0), s(&h["method"]), h["request_body_len"].as_u64().unwrap_or(9), h["response_body_len"].as_u64().unwrap_or(9)))
        .collect();
    assert_eq!(rows, [(1, "GET", 0, 12 + 33 * 3), (2, "POST", 15, 13)]);
    let out = inspect_ok(["read", "-q", "--format", "json", root().join("captures/streams.pcap").to_str().unwrap_or("")]);
    let objs = json_lines(&out);
    let depths: Vec<u64> = of_type(&objs, "http").iter().map(|h| h["trans_depth"].as_u64().unwrap_or(0)).collect();
    assert_eq!(depths, [1, 2, 3, 1, 2, 1]);
    assert!(of_type(&objs, "http").iter().any(|h| h["response_body_len"] == 36000));
}

/// The ssl records name what tshark's ServerHellos show (version, cipher, ALPN) and the
/// ClientHello's server name.
fn tls_handshakes_name_what_tshark_names() {
    let golden = std::fs::read_to_string(root().join("tests/golden/web/captures_app.pcap.tls")).expect("tls golden");
    let out = inspect_ok(["read", "-q", "--format", "json", root().join("captures/app.pcap").to_str().unwrap_or("")]);
    let objs = json_lines(&out);
    let tls = of_type(&objs, "tls");
    assert_eq!(tls.len(), golden.lines().count());
    for (t, line) in tls.iter().zip(golden.lines()) {
        let c: Vec<&str> = line.split('\t').collect();
        let version = if c[1].is_empty() { c[2] } else { c[1] };
        let want_version = match version {
            "0x0304" => "TLSv13",
            "0x0303" => "TLSv12",
            other => panic!("version {other}"),
        };
        assert_eq!(s(&t["version"]), want_version, "{t}");
        assert_eq!(s(&t["cipher"]), c[4], "{t}");
        assert_eq!(t.get("next_protocol").map(s).unwrap_or(""), c[3], "{t}");
    }
    let names: Vec<&str> = tls.iter().map(|t| s(&t["server_name"])).collect();
    let want = std::fs::read_to_string(root().join("tests/golden/web/captures_app.pcap.tsv")).expect("tsv");
    let want: Vec<&str> = want.lines().filter_map(|l| l.split('\t').nth(11)).filter(|n| !n.is_empty() && *n != "tls.handshake.extensions_server_name").collect();
    assert_eq!(names, want);
}

/// Zeek's name of the groups these captures use (Zeek's `SSL::ec_curves`).
fn zeek_curve(n: u64) -> &'static str {
    match n {
        23 => "secp256r1",
        24 => "secp384r1",
        29 => "x25519",
        other => panic!("group {other}: add its Zeek name"),
    }
}

/// The tls records' `established`, `resumed` and `curve` follow Zeek's rules applied to what
/// tshark read of each connection (`NAME.ssl`): established once both sides changed cipher spec
/// (TLS 1.2) or sent application data (TLS 1.3); resumed when the server echoed a non-empty
/// session id before TLS 1.3; the curve of the ServerKeyExchange or the server's key share.
/// tls12.pcap holds one resumed session (`-sess_in`) among six established ones.
fn tls_records_say_established_resumed_and_curve_by_zeeks_rules() {
    let mut checked = 0;
    for file in golden_files().into_iter().filter(|f| !f.starts_with("../")) {
        let Ok(golden) = std::fs::read_to_string(root().join("tests/golden/web").join(format!("{}.ssl", golden_name(&file)))) else { continue };
        let out = inspect_ok(["read", "-q", "--format", "json", root().join(&file).to_str().unwrap_or("")]);
        let objs = json_lines(&out);
        let tls = of_type(&objs, "tls");
        assert_eq!(tls.len(), golden.lines().count(), "{file}");
        for line in golden.lines() {
            let c: Vec<&str> = line.split('\t').collect();
            let port: u64 = c[0].parse().expect("port");
            let t = tls.iter().find(|t| t["id.orig_p"].as_u64() == Some(port)).unwrap_or_else(|| panic!("{file}: no tls record for port {port}"));
            assert_eq!(s(&t["server_name"]), c[1], "{file} {port}");
            let tls13 = c[5] == "0x0304";
            let resumed = !c[2].is_empty() && c[2] != "0".repeat(64) && c[2] == c[3] && !tls13;
            assert_eq!(t["resumed"].as_bool(), Some(resumed), "{file} {port}: {t}");
            let established = if tls13 { c[8] == "1" && c[9] == "1" } else { c[6] == "1" && c[7] == "1" };
            assert_eq!(t["established"].as_bool(), Some(established), "{file} {port}: {t}");
            let curve = (!c[4].is_empty()).then(|| zeek_curve(unhex(c[4]).parse().expect("group")));
            assert_eq!(t.get("curve").map(s), curve, "{file} {port}: {t}");
            checked += 1;
        }
        if file == "captures/tls12.pcap" {
            let flags: Vec<(bool, bool)> = tls.iter().map(|t| (t["established"] == true, t["resumed"] == true)).collect();
            assert_eq!(flags, [(true, false), (true, true), (true, false), (true, false), (true, false), (true, false)]);
        }
    }
    assert!(checked >= 8, "only {checked} handshakes");
    // ssl.log carries them in Zeek's columns.
    let dir = TempDir::new("ssl-log");
    let path = root().join("captures/tls12.pcap");
    inspect_ok(["read", "-q", "--log-dir", dir.path().to_str().unwrap_or(""), "--log-format", "zeek", path.to_str().unwrap_or("")]);
    let log = std::fs::read_to_string(dir.path().join("ssl.log")).expect("ssl.log");
    let fields: Vec<&str> = log.lines().find_map(|l| l.strip_prefix("#fields\t")).expect("#fields").split('\t').collect();
    let col = |name: &str| fields.iter().position(|f| *f == name).expect(name);
    let rows: Vec<Vec<&str>> = log.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').collect()).collect();
    let got: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[col("curve")], r[col("resumed")], r[col("established")])).collect();
    assert_eq!(got, [("x25519", "F", "T"), ("-", "T", "T"), ("-", "F", "T"), ("x25519", "F", "T"), ("x25519", "F", "T"), ("x25519", "F", "T")]);
}

/// `tls.record.version` on every frame that ends TLS records, one value per record (encrypted
/// records included), on the frames tshark gives them (`NAME.rec`), in JSON and through `-Y`
/// and `-T fields`.
fn tls_record_versions_on_the_frames_tshark_gives_them() {
    let mut frames = 0;
    for file in golden_files().into_iter().filter(|f| !f.starts_with("../")) {
        let golden = std::fs::read_to_string(root().join("tests/golden/web").join(format!("{}.rec", golden_name(&file)))).unwrap_or_default();
        let want: Vec<(u64, String)> = golden
            .lines()
            .map(|l| {
                let (n, v) = l.split_once('\t').expect("frame and versions");
                (n.parse().expect("frame"), unhex(v))
            })
            .collect();
        let out = inspect_ok(["read", "--format", "json", root().join(&file).to_str().unwrap_or("")]);
        let got: Vec<(u64, String)> = json_lines(&out)
            .iter()
            .filter(|v| v["event_type"] == "packet")
            .filter_map(|p| Some((p["frame.number"].as_u64()?, as_field(p.get("tls.record.version")?))))
            .collect();
        assert_eq!(got, want, "{file}");
        frames += want.len();
        // The filter picks the frames with a TLS 1.0 record (ClientHellos), -T fields prints
        // every record's version as tshark does.
        let out = inspect_ok(["read", "-Y", "tls.record.version == 0x0301", "-T", "fields", "-e", "frame.number", "-e", "tls.record.version", &file]);
        let want: Vec<&str> = golden.lines().filter(|l| l.contains("0x0301")).collect();
        assert_eq!(out.lines().collect::<Vec<_>>(), want, "{file}");
    }
    assert!(frames > 90, "only {frames} frames");
}

/// The tls records' `ssl_history`, `last_alert`, `cert_chain_fps` and `client_cert_chain_fps`
/// equal what Zeek's rules make of tshark's dissection (`NAME.zeekssl`, fingerprints by
/// `openssl x509`): tls-alert.pcap holds a hello the server refuses with an alert alone (Zeek
/// 5.0 on logs it: its analyzer is enabled by the client's hello), an unknown_ca alert from the
/// client, a handshake_failure from the server after the client encrypted, and a chain of two
/// certificates; tls12.pcap a client certificate and a HelloRetryRequest; tls-names.pcap names
/// a certificate covers or not (`sni_matches_cert`, held to `openssl x509 -checkhost`: its SAN's
/// wildcard, a name in capitals, the CN a SAN overrides). In ssl.log too, and
/// the refused connection's service is `ssl` (confirmed by the client's hello).
fn ssl_history_alert_and_certificate_fingerprints_follow_zeeks_rules() {
    let mut checked = 0;
    for file in golden_files().into_iter().filter(|f| !f.starts_with("../")) {
        let Ok(golden) = std::fs::read_to_string(root().join("tests/golden/web").join(format!("{}.zeekssl", golden_name(&file)))) else { continue };
        let out = inspect_ok(["read", "-q", "--format", "json", root().join(&file).to_str().unwrap_or("")]);
        let objs = json_lines(&out);
        let tls = of_type(&objs, "tls");
        assert_eq!(tls.len(), golden.lines().count(), "{file}");
        for line in golden.lines() {
            let c: Vec<&str> = line.split('\t').collect();
            let port: u64 = c[0].parse().expect("port");
            let t = tls.iter().find(|t| t["id.orig_p"].as_u64() == Some(port)).unwrap_or_else(|| panic!("{file}: no tls record for port {port}"));
            assert_eq!(s(&t["ssl_history"]), c[1], "{file} {port}");
            assert_eq!(t.get("last_alert").map_or("-", s), c[2], "{file} {port}");
            for (key, want) in [("cert_chain_fps", c[3]), ("client_cert_chain_fps", c.get(4).copied().unwrap_or(""))] {
                let got = t.get(key).map_or("-".to_string(), as_field);
                assert_eq!(got, want, "{file} {port} {key}");
            }
            let matches = match t.get("sni_matches_cert").and_then(|v| v.as_bool()) {
                Some(true) => "T",
                Some(false) => "F",
                None => "-",
            };
            assert_eq!(matches, c.get(5).copied().unwrap_or("?"), "{file} {port} sni_matches_cert");
            checked += 1;
        }
    }
    assert!(checked >= 16, "only {checked} handshakes");
    let dir = TempDir::new("ssl-log-alert");
    let path = root().join("captures/tls-alert.pcap");
    inspect_ok(["read", "-q", "--log-dir", dir.path().to_str().unwrap_or(""), "--log-format", "zeek", path.to_str().unwrap_or("")]);
    let log = std::fs::read_to_string(dir.path().join("ssl.log")).expect("ssl.log");
    let fields: Vec<&str> = log.lines().find_map(|l| l.strip_prefix("#fields\t")).expect("#fields").split('\t').collect();
    let col = |name: &str| fields.iter().position(|f| *f == name).expect(name);
    let rows: Vec<Vec<&str>> = log.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').collect()).collect();
    let got: Vec<(&str, &str, usize, &str)> = rows
        .iter()
        .map(|r| (r[col("last_alert")], r[col("ssl_history")], r[col("cert_chain_fps")].split(',').count(), r[col("client_cert_chain_fps")]))
        .collect();
    assert_eq!(
        got,
        [
            ("-", "CsxnGIti", 2, "(empty)"),
            ("handshake_failure", "Cl", 1, "-"),
            ("unknown_ca", "CsxnL", 2, "(empty)"),
            ("handshake_failure", "CsxkrnXGIl", 2, "(empty)")
        ]
    );
    let conn = std::fs::read_to_string(dir.path().join("conn.log")).expect("conn.log");
    let refused = conn.lines().find(|l| l.contains("\t45446\t")).expect("the refused connection");
    assert!(refused.split('\t').any(|f| f == "ssl"), "{refused}");
}

/// Conn records say `http` and `ssl` where the content showed them, whatever the port.
fn conn_service_comes_from_content() {
    let out = inspect_ok(["read", "-q", "--format", "json", root().join("captures/app.pcap").to_str().unwrap_or("")]);
    let objs = json_lines(&out);
    let services: Vec<(u64, &str)> = of_type(&objs, "conn")
        .iter()
        .filter(|c| c["proto"] == "tcp")
        .map(|c| (c["id.resp_p"].as_u64().unwrap_or(0), c.get("service").map(s).unwrap_or("-")))
        .collect();
    assert_eq!(services, [(443, "ssl"), (443, "ssl"), (8081, "http")]);
    // Without the application layer, none.
    let out = inspect_ok(["read", "-q", "--no-app", "--format", "json", root().join("captures/app.pcap").to_str().unwrap_or("")]);
    assert!(json_lines(&out).iter().all(|o| o.get("service").is_none() && o["event_type"] != "http" && o["event_type"] != "tls"));
}

/// Lines carry the first lines and hellos on the frames that completed them; `-V` has an
/// Application branch for each.
fn lines_and_tree_show_the_messages() {
    let file = root().join("captures/app.pcap");
    let out = inspect_ok(["read", file.to_str().unwrap_or("")]);
    let with = |needle: &str| out.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(with(": ClientHello SNI=www.example.test ALPN=h2,http/1.1"), 1, "{out}");
    assert_eq!(with(": ServerHello TLSv1.3 TLS_AES_256_GCM_SHA384"), 1);
    assert_eq!(with(": ServerHello TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 ALPN=http/1.1"), 1);
    assert_eq!(with(": HTTP: GET /chunked HTTP/1.1"), 1);
    assert_eq!(with(": HTTP: HTTP/1.1 201 Created"), 1);
    let tree = inspect_ok(["read", "-V", file.to_str().unwrap_or("")]);
    assert_eq!(tree.matches("Application: TLS ClientHello").count(), 2);
    assert!(tree.contains("Status                 201 Created (success)"), "{tree}");
    assert!(tree.contains("Body                   111 bytes (chunked: the chunks' data)"));
}

/// The HTTP and TLS tables show only when the capture has any; `-q` keeps only their counts.
fn text_tables_only_when_present() {
    let out = inspect_ok(["read", root().join("captures/app.pcap").to_str().unwrap_or("")]);
    assert!(out.contains("HTTP: 2 requests") && out.contains("TLS: 2 handshakes"), "{out}");
    assert!(out.contains("www.example.test") && out.contains("201"));
    let q = inspect_ok(["read", "-q", root().join("captures/app.pcap").to_str().unwrap_or("")]);
    assert!(q.contains("HTTP: 2 requests") && q.contains("TLS: 2 handshakes") && !q.contains("www.example.test"), "{q}");
    let out = inspect_ok(["read", "-q", root().join("captures/ping.pcap").to_str().unwrap_or("")]);
    assert!(!out.contains("HTTP:") && !out.contains("TLS:"));
}

/// A connection: handshake, then the client's `req` in segments of `step`, then the server's
/// `resp`.
fn exchange(req: &'static [u8], step: usize, resp: &'static [u8]) -> Pcap {
    let (c, s) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut p = Pcap::micro();
    let mut t = 0;
    let mut at = |p: &mut Pcap, f: Vec<u8>| {
        t += 1;
        p.add(micros(t), &f);
    };
    at(&mut p, tcp(c, 40000, s, 9999).flags(SYN).seq(100).frame());
    at(&mut p, tcp(s, 9999, c, 40000).flags(SYN | ACK).seq(500).ack(101).frame());
    let mut seq = 101u32;
    for part in req.chunks(step) {
        at(&mut p, tcp(c, 40000, s, 9999).flags(PSH | ACK).seq(seq).ack(501).data(part).frame());
        seq += part.len() as u32;
    }
    at(&mut p, tcp(s, 9999, c, 40000).flags(PSH | ACK).seq(501).ack(seq).data(resp).frame());
    p
}

/// Client bytes that start like HTTP, answered by bytes that are not: not HTTP (Zeek's rule),
/// so no transaction, no service.
fn a_server_that_does_not_answer_http_makes_no_transaction() {
    let dir = TempDir::new("app-not-http");
    let f = exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1000, b"SSH-2.0-OpenSSH_9.2\r\n").write(&dir, "a.pcap");
    for quiet in [true, false] {
        let mut args = vec!["read", "--format", "json", f.to_str().unwrap_or("")];
        if quiet {
            args.push("-q");
        }
        let objs = json_lines(&inspect_ok(args));
        assert!(of_type(&objs, "http").is_empty());
        assert!(of_type(&objs, "conn").iter().all(|c| c.get("service").is_none()));
    }
}

/// A request line of 1 MB, lengths past the end of the stream, a chunk size past 64 bits and a
/// TLS hello that claims 16 MB: each is an error in the record (or the record of an incomplete
/// transaction), the run ends normally, in bounded memory.
fn hostile_payloads_are_errors_in_the_record() {
    let dir = TempDir::new("app-hostile");
    let mut line = b"GET /".to_vec();
    line.extend(std::iter::repeat_n(b'a', 1 << 20));
    line.extend(b" HTTP/1.1\r\n\r\n");
    let line: &'static [u8] = Box::leak(line.into_boxed_slice());
    let cases: [(&str, &'static [u8], &'static [u8], &str); 4] = [
        ("long.pcap", line, b"HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n", "run past 65536 bytes"),
        ("length.pcap", b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nshort", "the response did not end"),
        ("chunk.pcap", b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789abcdef01\r\n", "16 hex digits"),
        ("tls.pcap", b"\x16\x03\x01\x00\x04\x01\xff\xff\xff", b"\x16\x03\x03\x00\x01\x02", "claims"),
    ];
    for (name, req, resp, why) in cases {
        let f = exchange(req, 1400, resp).write(&dir, name);
        let run = inspect(["read", "--format", "json", f.to_str().unwrap_or("")]);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        let objs = json_lines(&run.stdout);
        let recs: Vec<&Value> = objs.iter().filter(|o| o["event_type"] == "http" || o["event_type"] == "tls").collect();
        assert_eq!(recs.len(), 1, "{name}: {recs:?}");
        assert!(recs[0].get("error").map(s).is_some_and(|e| e.contains(why)), "{name}: {}", recs[0]);
    }
}

/// `-Y` on the HTTP and TLS fields picks the frames tshark's filter picked into the golden files,
/// and `-T fields -e` prints their values as tshark did, every handshake message of a frame
/// included. tshark's `tls.handshake` also takes frames whose only handshake record is encrypted
/// (a Finished): they carry none of the fields, and `tls.handshake.type` does not pick them.
fn display_filter_and_dash_e_take_http_and_tls_fields() {
    let mut compared = 0;
    for file in golden_files().into_iter().filter(|f| !f.starts_with("../")) {
        let golden = std::fs::read_to_string(root().join("tests/golden/web").join(format!("{}.tsv", golden_name(&file)))).expect("golden tsv");
        let header: Vec<&str> = golden.lines().next().unwrap_or("").split('\t').collect();
        let mut args = vec!["read", "-Y", "http.request || http.response || tls.handshake.type", "-T", "fields"];
        for h in &header {
            args.extend(["-e", h]);
        }
        args.push(&file);
        let out = inspect_ok(args);
        let ours: Vec<&str> = out.lines().collect();
        let theirs: Vec<&str> = golden.lines().skip(1).filter(|l| l.split('\t').skip(1).any(|v| !v.is_empty())).collect();
        assert_eq!(ours.len(), theirs.len(), "{file}: frames\n{out}");
        for (mine, row) in ours.iter().zip(theirs) {
            for ((field, got), want) in header.iter().zip(mine.split('\t')).zip(row.split('\t')) {
                assert_eq!(got, want, "{file} frame {}: {field}", row.split('\t').next().unwrap_or("?"));
                compared += usize::from(!want.is_empty());
            }
        }
    }
    assert!(compared > 50, "only {compared} values compared");
    // With -q the messages are still read for the filter: the count says so.
    let quiet = inspect_ok(["read", "-q", "-Y", "http.response.code == 200", "captures/app.pcap"]);
    assert!(quiet.contains("Display filter \"http.response.code == 200\": 1 of 56 packets shown"), "{quiet}");
}
