//! The application layer against real tools: `dns.*`, `dhcp.*`, `dhcpv6.*` and `icmp.*` fields
//! equal tshark's, and DNS and DHCP lines equal `tcpdump -n`'s, on the captures recorded for
//! this project (dig against dnsmasq over UDP and TCP, dhclient against dnsmasq, ping) and the
//! DNS and DHCP files of the corpus; golden files written by `scripts/golden_app.sh`. Then the
//! transactions (dns, dhcp, icmp_echo records and their tables) on the recorded captures, and
//! hostile messages built here.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::frames::{tcp, udp, ACK, PSH, SYN};
use crate::support::pcap::Pcap;
use crate::support::{inspect, inspect_ok, json_lines, n, of_type, root, s, Need, Test, TempDir, CORPUS};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(fields_match_tshark_on_captures),
        trial!(fields_match_tshark_on_the_corpus, Need::Corpus),
        trial!(lines_match_tcpdump_on_captures),
        trial!(lines_match_tcpdump_on_the_corpus, Need::Corpus),
        trial!(verbose_dns_lines_match_tcpdump),
        trial!(verbose_dns_lines_match_tcpdump_on_the_corpus, Need::Corpus),
        trial!(verbose_dhcp_lines_match_tcpdump),
        trial!(verbose_dhcp_lines_match_tcpdump_on_the_corpus, Need::Corpus),
        trial!(dns_queries_pair_with_their_answers),
        trial!(dns_over_tcp_pairs_across_segments),
        trial!(dhcp_exchange_gives_the_lease),
        trial!(pings_pair_with_replies),
        trial!(conn_service_comes_from_content),
        trial!(report_tables_show_only_what_the_capture_has),
        trial!(decode_as_names_another_port),
        trial!(hostile_dns_messages_are_errors_not_panics),
        trial!(hostile_dns_over_tcp_is_bounded),
        trial!(display_filters_take_the_dns_dhcp_and_echo_fields),
        trial!(dash_e_fields_match_tshark_on_captures),
        trial!(dash_e_fields_match_tshark_on_the_corpus, Need::Corpus),
        trial!(display_filters_take_names_and_addresses),
    ]
}

/// Fields whose tshark value lists every occurrence, compared whole as arrays.
const LISTS: [&str; 14] = [
    "dns.qry.name",
    "dns.qry.type",
    "dns.a",
    "dns.aaaa",
    "dns.cname",
    "dns.ns",
    "dns.ptr.domain_name",
    "dns.mx.mail_exchange",
    "dns.srv.target",
    "dns.txt",
    "dns.resp.ttl",
    "dhcp.option.router",
    "dhcp.option.domain_name_server",
    "dhcp.option.hostname",
];

/// Fields that are booleans in Wireshark.
const BOOLEAN: [&str; 2] = ["dns.flags.response", "dhcp.flags.bc"];

fn scalar(field: &str, v: &str) -> Value {
    if BOOLEAN.contains(&field) {
        return Value::Bool(v == "1" || v.eq_ignore_ascii_case("true"));
    }
    if let Some(hex) = v.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            return Value::from(n);
        }
    }
    if let Ok(n) = v.parse::<u64>() {
        return Value::from(n);
    }
    Value::String(v.to_string())
}

fn normalize(field: &str, raw: &str) -> Value {
    if field == "dhcp.option.hostname" {
        return scalar(field, raw);
    }
    if LISTS.contains(&field) {
        // tshark joins occurrences with commas (and a TXT string may hold one: not in these files).
        return Value::Array(raw.split(',').map(|v| scalar(field, v)).collect());
    }
    scalar(field, raw.split(',').next().unwrap_or(""))
}

/// The golden list: each capture with the `--decode-as` value it needs.
fn golden_files() -> Vec<(String, Option<String>)> {
    let list = std::fs::read_to_string(root().join("tests/golden/app/FILES")).expect("read tests/golden/app/FILES");
    list.lines()
        .map(|l| {
            let mut it = l.split_whitespace();
            (it.next().unwrap_or("").to_string(), it.next().map(str::to_string))
        })
        .collect()
}

fn golden(file: &str, ext: &str) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    let path = root().join("tests/golden/app").join(format!("{name}.{ext}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_args<'a>(file: &'a str, decode_as: &'a Option<String>, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["read"];
    args.extend_from_slice(extra);
    if let Some(d) = decode_as {
        args.push("--decode-as");
        args.push(d);
    }
    args.push(file);
    args
}

/// Compares our JSON packet fields with tshark's on `files`; the values compared.
fn fields_match(files: &[(String, Option<String>)]) -> usize {
    let mut problems = Vec::new();
    let mut compared = 0;
    for (file, decode_as) in files {
        let text = golden(file, "tsv");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).filter(|r: &Vec<&str>| r.get(1).is_some_and(|v| !v.is_empty())).collect();
        let out = inspect_ok(read_args(file, decode_as, &["--format", "json"]));
        let ours: Vec<serde_json::Map<String, Value>> = json_lines(&out)
            .into_iter()
            .filter(|v| v["event_type"] == "packet")
            .map(|v| match v {
                Value::Object(m) => m,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(ours.len(), rows.len(), "{file}: packets");
        for (obj, row) in ours.iter().zip(rows) {
            let t: BTreeMap<&str, &str> = header.iter().copied().zip(row.iter().copied()).filter(|(_, v)| !v.is_empty()).collect();
            let frame = obj.get("frame.number").cloned().unwrap_or(Value::Null);
            for field in header.iter().filter(|h| !h.starts_with("frame.")) {
                // tshark's pairing field for ICMP is checked on its own below.
                if *field == "icmp.resptime" || *field == "icmp.resp_to" {
                    continue;
                }
                let mine = obj.get(*field);
                match (mine, t.get(field)) {
                    (Some(m), Some(v)) => {
                        compared += 1;
                        // A frame that completed several DNS messages (over TCP) has each
                        // header field's values together, as tshark lists them.
                        let want = if m.is_array() && !LISTS.contains(field) {
                            Value::Array(v.split(',').map(|x| scalar(field, x)).collect())
                        } else {
                            normalize(field, v)
                        };
                        if *m != want {
                            problems.push(format!("{file} #{frame} {field}: ours {m}, tshark {want}"));
                        }
                    }
                    (Some(m), None) => problems.push(format!("{file} #{frame} {field}: ours {m}, tshark has none")),
                    // tshark reads fields of the packet an ICMP error quotes too; inspect names
                    // the quoted packet only on the line.
                    (None, Some(_)) if obj.contains_key("icmp.type") && obj.get("icmp.type") != Some(&Value::from(0)) && obj.get("icmp.type") != Some(&Value::from(8)) => {}
                    (None, Some(v)) => problems.push(format!("{file} #{frame} {field}: missing, tshark {v}")),
                    (None, None) => {}
                }
            }
            if let Some(rt) = t.get("icmp.resptime") {
                compared += 1;
                let want: f64 = rt.parse().unwrap_or(-1.0);
                let got = obj.get("icmp.resptime").and_then(Value::as_f64).unwrap_or(-2.0);
                // tshark rounds to the microsecond, as the pcap's times are.
                if (want - got).abs() > 0.0015 {
                    problems.push(format!("{file} #{frame} icmp.resptime: ours {got}, tshark {want}"));
                }
                let to = t.get("icmp.resp_to").and_then(|v| v.parse::<u64>().ok());
                if obj.get("icmp.resp_to").and_then(Value::as_u64) != to {
                    problems.push(format!("{file} #{frame} icmp.resp_to: ours {:?}, tshark {to:?}", obj.get("icmp.resp_to")));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} differences from tshark:\n{}", problems.len(), problems.iter().take(60).cloned().collect::<Vec<_>>().join("\n"));
    compared
}

fn recorded() -> Vec<(String, Option<String>)> {
    golden_files().into_iter().filter(|(f, _)| f.starts_with("captures/")).collect()
}

fn corpus() -> Vec<(String, Option<String>)> {
    golden_files().into_iter().filter(|(f, _)| f.starts_with(CORPUS)).collect()
}

fn fields_match_tshark_on_captures() {
    let files = recorded();
    assert_eq!(files.len(), 8, "{files:?}");
    let n = fields_match(&files);
    note!("compared {n} application field values with tshark's");
    assert!(n > 300, "only {n} values compared");
}

fn fields_match_tshark_on_the_corpus() {
    let files = corpus();
    assert!(files.len() >= 16, "{files:?}");
    let n = fields_match(&files);
    note!("compared {n} application field values with tshark's");
    assert!(n > 200, "only {n} values compared");
}

/// Our lines for the packets of `files` equal tcpdump's, for every frame that carries DNS or
/// DHCP (`lines_match_tcpdump_on_captures` in the decode tests holds the others).
fn lines_match(files: &[(String, Option<String>)]) -> usize {
    let mut problems = Vec::new();
    let mut compared = 0;
    for (file, decode_as) in files {
        if decode_as.is_some() {
            // tcpdump has no Decode As.
            continue;
        }
        let want = golden(file, "txt");
        let out = inspect_ok(read_args(file, decode_as, &[]));
        let event = |l: &&str| l.get(15..21) == Some(" arp: ") || l.starts_with("ALERT ");
        let got: Vec<&str> = out.lines().filter(|l| !event(l)).take(want.lines().count()).collect();
        for (i, (g, w)) in got.iter().zip(want.lines()).enumerate() {
            let app = [".53:", ".53 ", ".5353:", ".67:", ".68:", ".546:", ".547:"].iter().any(|p| w.contains(p));
            if !app {
                continue;
            }
            compared += 1;
            if g != &w {
                problems.push(format!("{file} line {}:\n  ours    {g}\n  tcpdump {w}", i + 1));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    compared
}

/// `read -v` prints tcpdump -v's DNS text (each answer's owner named) on the DNS files.
fn verbose_dns_lines_match(files: &[(String, Option<String>)]) -> usize {
    let mut problems = Vec::new();
    let mut compared = 0;
    for (file, decode_as) in files.iter().filter(|(f, d)| d.is_none() && f.rsplit('/').next().is_some_and(|n| n.starts_with("dns"))) {
        let want = golden(file, "v.txt");
        let out = inspect_ok(read_args(file, decode_as, &["-v"]));
        let dns = |l: &&str| l.starts_with("    ") && [".53:", ".53 ", ".5353:"].iter().any(|p| l.contains(p));
        let theirs: Vec<&str> = want.lines().filter(dns).collect();
        let ours: Vec<&str> = out.lines().filter(dns).collect();
        assert_eq!(ours.len(), theirs.len(), "{file}: DNS lines");
        compared += differing_lines(&format!("{file} DNS"), &ours, &theirs, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    compared
}

/// Compares our lines with tcpdump's, one by one, noting each that differs under `what`;
/// returns how many were compared.
fn differing_lines(what: &str, ours: &[&str], theirs: &[&str], problems: &mut Vec<String>) -> usize {
    for (i, (g, w)) in ours.iter().zip(theirs).enumerate() {
        if g != w {
            problems.push(format!("{what} line {}:\n  ours    {g}\n  tcpdump {w}", i + 1));
        }
    }
    ours.len().min(theirs.len())
}

/// Each BOOTP/DHCP line and the indented lines under it (the header's fields and the options).
fn dhcp_blocks(text: &str) -> Vec<&str> {
    let mut inside = false;
    let mut kept = Vec::new();
    for l in text.lines() {
        if l.contains("BOOTP/DHCP") {
            inside = true;
        } else if !(inside && l.starts_with("\t  ")) {
            inside = false;
            continue;
        }
        kept.push(l);
    }
    kept
}

/// `read -v` and `-vv` print tcpdump's BOOTP fields and options on the DHCP (v4) files.
fn verbose_dhcp_lines_match(files: &[(String, Option<String>)]) -> usize {
    let mut problems = Vec::new();
    let mut compared = 0;
    let dhcp = |f: &str| f.rsplit('/').next().is_some_and(|n| n.starts_with("dhcp") && !n.starts_with("dhcpv6"));
    for (file, decode_as) in files.iter().filter(|(f, _)| dhcp(f)) {
        for (flag, ext) in [("-v", "v.txt"), ("-vv", "vv.txt")] {
            let want = golden(file, ext);
            let out = inspect_ok(read_args(file, decode_as, &[flag]));
            let (theirs, ours) = (dhcp_blocks(&want), dhcp_blocks(&out));
            assert_eq!(ours.len(), theirs.len(), "{file} {flag}: DHCP lines\n{}", ours.join("\n"));
            compared += differing_lines(&format!("{file} {flag} DHCP"), &ours, &theirs, &mut problems);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    compared
}

fn verbose_dhcp_lines_match_tcpdump() {
    let n = verbose_dhcp_lines_match(&recorded());
    assert!(n >= 100, "only {n} lines compared");
}

fn verbose_dhcp_lines_match_tcpdump_on_the_corpus() {
    let n = verbose_dhcp_lines_match(&corpus());
    assert!(n >= 800, "only {n} lines compared");
}

fn verbose_dns_lines_match_tcpdump() {
    let n = verbose_dns_lines_match(&recorded());
    assert!(n >= 40, "only {n} lines compared");
}

fn verbose_dns_lines_match_tcpdump_on_the_corpus() {
    let n = verbose_dns_lines_match(&corpus());
    assert!(n >= 4, "only {n} lines compared");
}

fn lines_match_tcpdump_on_captures() {
    let n = lines_match(&recorded());
    assert!(n >= 40, "only {n} lines compared");
}

fn lines_match_tcpdump_on_the_corpus() {
    let n = lines_match(&corpus());
    assert!(n >= 40, "only {n} lines compared");
}

/// The conn records of a run, by uid.
fn conns(objs: &[Value]) -> BTreeMap<String, Value> {
    of_type(objs, "conn").into_iter().map(|c| (s(&c["uid"]).to_string(), c.clone())).collect()
}

fn dns_queries_pair_with_their_answers() {
    let objs = json_lines(&inspect_ok(["read", "-q", "--format", "json", "captures/dns.pcap"]));
    let dns = of_type(&objs, "dns");
    // Ten queries, each answered: eight over UDP, two over TCP (captures/README.md).
    assert_eq!(dns.len(), 10, "{dns:?}");
    assert_eq!(dns.iter().filter(|d| d["proto"] == "tcp").count(), 2);
    dns_pairs_match_tshark(&objs, "captures/dns.pcap");
    assert_eq!(dns.iter().filter(|d| d["rcode_name"] == "NXDOMAIN").count(), 2);
}

/// DNS over TCP read from the reassembled streams: answers that span segments, queries that
/// share one, a query sent in three; each paired with its answer, the answer's frame the one
/// tshark puts its fields on, on port 53 and on a port named with --decode-as.
fn dns_over_tcp_pairs_across_segments() {
    for (file, decode_as, queries) in [("captures/dns-tcp.pcap", None, 6), ("captures/dns-tcp-5300.pcap", Some("tcp.port==5300,dns"), 1)] {
        let mut args = vec!["read", "-q", "--format", "json"];
        if let Some(d) = decode_as {
            args.extend(["--decode-as", d]);
        }
        args.push(file);
        let objs = json_lines(&inspect_ok(args));
        let dns = of_type(&objs, "dns");
        assert_eq!(dns.len(), queries, "{file}: {dns:?}");
        assert!(dns.iter().all(|d| d["proto"] == "tcp"), "{file}: {dns:?}");
        dns_pairs_match_tshark(&objs, file);
        // Each answer's frame is the one tshark shows the response on (tcp.reassembled_in).
        let tsv = golden(file, "tsv");
        let mut lines = tsv.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let frames: Vec<(u64, u64)> = lines
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|r| r[col("dns.flags.response")] == "1")
            .map(|r| (r[0].parse().unwrap(), u64::from_str_radix(r[col("dns.id")].trim_start_matches("0x"), 16).unwrap()))
            .collect();
        for d in &dns {
            let want = frames.iter().find(|(_, id)| *id == n(&d["trans_id"])).map(|(f, _)| *f);
            assert_eq!(d["reply_frame"].as_u64(), want, "{file}: {d}");
        }
        // The service comes from the content, on the decoded port too.
        assert!(conns(&objs).values().all(|c| c["service"] == "dns"), "{file}: {objs:?}");
    }
    // DNS over TCP on mDNS's port 5353: tshark reads it (its fields are compared with the other
    // files'), Zeek's DNS analyzer does not take the port: no dns.log, no service. On LLMNR's
    // 5355 neither reads it.
    let objs = json_lines(&inspect_ok(["read", "--format", "json", "captures/dns-tcp-mdns.pcap"]));
    assert!(of_type(&objs, "dns").is_empty() && conns(&objs).values().all(|c| c.get("service").is_none()), "{objs:?}");
    let with_dns: Vec<u64> = of_type(&objs, "packet").iter().filter(|p| p.get("dns.id").is_some()).map(|p| n(&p["frame.number"])).collect();
    assert_eq!(with_dns, [4, 6, 14, 16]);
    // Without the application layer no stream is read: a segment is read alone, so answers
    // that span segments and queries that share one are not paired.
    let objs = json_lines(&inspect_ok(["read", "-q", "--no-app", "--format", "json", "captures/dns-tcp.pcap"]));
    let answered = of_type(&objs, "dns").iter().filter(|d| d["answered"] == true).count();
    assert!(answered < 3, "{answered} answered without the streams");
}

/// The dns records of a run (`objs`) on `file` are each answered, paired as tshark pairs them
/// by id: query name, rcode and answers; each record's uid is its connection's.
fn dns_pairs_match_tshark(objs: &[Value], file: &str) {
    let dns = of_type(objs, "dns");
    assert!(dns.iter().all(|d| d["answered"] == true), "{dns:?}");
    let conns = conns(objs);
    // Every record's uid is its connection's, and the query's client is the originator.
    for d in &dns {
        let c = conns.get(s(&d["uid"])).unwrap_or_else(|| panic!("no conn for {d}"));
        assert_eq!(c["id.orig_h"], d["id.orig_h"]);
        assert_eq!(c["id.resp_p"], d["id.resp_p"]);
        assert!(d["rtt"].as_f64().is_some_and(|r| r > 0.0 && r < 1.0), "{d}");
    }
    // What tshark pairs, by id: the query names, types and answers.
    let tsv = golden(file, "tsv");
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut answers: BTreeMap<u64, (String, u64, Vec<String>, u64)> = BTreeMap::new();
    for l in lines {
        let r: Vec<&str> = l.split('\t').collect();
        // (A frame that completed several responses would list each field's values together.)
        if r.get(col("dns.flags.response")) != Some(&"1") {
            continue;
        }
        assert!(!r[col("dns.id")].contains(','), "{file}: one response a frame: {l}");
        let id = u64::from_str_radix(r[col("dns.id")].trim_start_matches("0x"), 16).unwrap();
        let mut data: Vec<String> = Vec::new();
        for f in ["dns.cname", "dns.a", "dns.aaaa", "dns.mx.mail_exchange", "dns.ptr.domain_name", "dns.srv.target"] {
            data.extend(r[col(f)].split(',').filter(|v| !v.is_empty()).map(str::to_string));
        }
        let count = r[col("dns.count.answers")].parse().unwrap();
        answers.insert(id, (r[col("dns.qry.name")].to_string(), r[col("dns.flags.rcode")].parse().unwrap(), data, count));
    }
    for d in &dns {
        let (name, rcode, data, count) = answers.get(&n(&d["trans_id"])).unwrap_or_else(|| panic!("tshark has no answer for {d}"));
        assert_eq!(s(&d["query"]), name);
        assert_eq!(n(&d["rcode"]), *rcode);
        // Zeek logs the answer section; tshark's fields hold every section's records.
        let ours: Vec<String> = d["answers"].as_array().map(|a| a.iter().map(|v| s(v).to_string()).collect()).unwrap_or_default();
        assert_eq!(ours.len() as u64, *count, "{d}");
        for a in ours.iter().filter(|v| !v.starts_with("TXT ")) {
            assert!(data.contains(a), "{a} not among tshark's {data:?}: {d}");
        }
    }
}

fn dhcp_exchange_gives_the_lease() {
    let objs = json_lines(&inspect_ok(["read", "-q", "--format", "json", "captures/dhcp.pcap"]));
    let dhcp = of_type(&objs, "dhcp");
    // The lease (DISCOVER OFFER REQUEST ACK under one id) and the release under another.
    assert_eq!(dhcp.len(), 2, "{dhcp:?}");
    let lease = dhcp[0];
    let types: Vec<&str> = lease["msg_types"].as_array().unwrap().iter().map(s).collect();
    assert_eq!(types, ["DISCOVER", "OFFER", "REQUEST", "ACK"]);
    assert_eq!(s(&lease["mac"]), "02:00:00:00:00:01");
    assert_eq!(s(&lease["host_name"]), "insp-client");
    assert_eq!(lease["lease_time"].as_f64(), Some(3600.0));
    // The address is the one tshark reads in the ACK's yiaddr.
    let tsv = golden("captures/dhcp.pcap", "tsv");
    let header: Vec<&str> = tsv.lines().next().unwrap().split('\t').collect();
    let (t, y) = (header.iter().position(|h| *h == "dhcp.option.dhcp").unwrap(), header.iter().position(|h| *h == "dhcp.ip.your").unwrap());
    let ack = tsv.lines().skip(1).map(|l| l.split('\t').collect::<Vec<_>>()).find(|r| r[t] == "5").expect("an ACK");
    assert_eq!(s(&lease["assigned_addr"]), ack[y]);
    let release: Vec<&str> = dhcp[1]["msg_types"].as_array().unwrap().iter().map(s).collect();
    assert_eq!(release, ["RELEASE"]);
    let text = inspect_ok(["read", "captures/dhcp.pcap"]);
    assert!(text.contains("DHCP: 2 exchanges, 1 leased") && text.contains(ack[y]) && text.contains("insp-client"), "{text}");
}

fn pings_pair_with_replies() {
    let objs = json_lines(&inspect_ok(["read", "--format", "json", "captures/ping.pcap"]));
    let echo = of_type(&objs, "icmp_echo");
    // Six requests (3 + 2 + 1), each answered, with the RTT tshark computes.
    assert_eq!(echo.len(), 6, "{echo:?}");
    let packets = of_type(&objs, "packet");
    for e in &echo {
        assert_eq!(e["answered"], true);
        let reply = packets.iter().find(|p| p["frame.number"] == e["reply_frame"]).unwrap();
        let ms = reply["icmp.resptime"].as_f64().unwrap();
        assert!((e["rtt"].as_f64().unwrap() * 1e3 - ms).abs() < 1e-6, "{e} {reply}");
    }
    let text = inspect_ok(["read", "captures/ping.pcap"]);
    assert!(text.contains("Ping round trips:") && text.contains("10.0.0.2"), "{text}");
}

fn conn_service_comes_from_content() {
    for (file, service, count) in [("captures/dns.pcap", "dns", 10), ("captures/dhcp.pcap", "dhcp", 2)] {
        let objs = json_lines(&inspect_ok(["read", "-q", "--format", "json", file]));
        let with: Vec<&Value> = of_type(&objs, "conn").into_iter().filter(|c| c["service"] == service).collect();
        assert_eq!(with.len(), count, "{file}: {with:?}");
    }
    // A datagram to port 53 that is not DNS gives no service.
    let dir = TempDir::new("app-service");
    let mut p = Pcap::micro();
    p.add(0, &udp([10, 0, 0, 1], 4000, [10, 0, 0, 2], 53, b"not a DNS message"));
    let f = p.write(&dir, "junk.pcap");
    let objs = json_lines(&inspect_ok(["read", "-q", "--format", "json", f.to_str().unwrap()]));
    assert!(of_type(&objs, "conn").iter().all(|c| c.get("service").is_none()), "{objs:?}");
}

fn report_tables_show_only_what_the_capture_has() {
    let quiet = inspect_ok(["read", "-q", "captures/dns.pcap"]);
    assert!(quiet.contains("DNS: 10 queries, 0 unanswered") && !quiet.contains("NXDOMAIN"), "{quiet}");
    let text = inspect_ok(["read", "captures/dns.pcap"]);
    assert!(text.contains("DNS: 10 queries, 0 unanswered"), "{text}");
    assert!(text.contains("NXDOMAIN") && text.contains("Slowest DNS answers:"), "{text}");
    assert!(!text.contains("DHCP:") && !text.contains("Ping"), "{text}");
    let web = inspect_ok(["read", "captures/web.pcap"]);
    assert!(!web.contains("DNS:") && !web.contains("DHCP:") && !web.contains("Ping"), "{web}");
}

fn decode_as_names_another_port() {
    let dir = TempDir::new("app-decode-as");
    // A query to port 5300, taken from the recorded capture's first query.
    let dns = std::fs::read(root().join("captures/dns.pcap")).unwrap();
    let _ = dns;
    let q: &[u8] = &[0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'w', b'w', b'w', 4, b't', b'e', b's', b't', 0, 0, 1, 0, 1];
    let mut p = Pcap::micro();
    p.add(0, &udp([10, 0, 0, 1], 4000, [10, 0, 0, 2], 5300, q));
    let f = p.write(&dir, "q.pcap");
    let f = f.to_str().unwrap();
    let plain = inspect_ok(["read", f]);
    assert!(plain.contains("UDP, length 26"), "{plain}");
    let named = inspect_ok(["read", "--decode-as", "udp.port==5300,dns", f]);
    assert!(named.contains(": 4660+ A? www.test. (26)"), "{named}");
    let bad = inspect(["read", "--decode-as", "tcp.port=5,dns", f]);
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(bad.stderr.lines().next().is_some_and(|l| l.contains("--decode-as") && l.contains("tcp.port=5,dns")), "{}", bad.stderr);
}

fn hostile_dns_messages_are_errors_not_panics() {
    let dir = TempDir::new("app-hostile");
    let head = |an: u16| -> Vec<u8> {
        let mut h = vec![0xab, 0xcd, 0x81, 0x80, 0, 1];
        h.extend_from_slice(&an.to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 0]);
        h
    };
    let mut msgs: Vec<Vec<u8>> = Vec::new();
    // A name that points at itself, and two names that point at each other.
    let mut m = head(0);
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    msgs.push(m);
    let mut m = head(1);
    m.extend_from_slice(&[1, b'a', 0xc0, 20, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
    msgs.push(m);
    // A header claiming 65,535 answers in a few bytes, and an answer whose length runs past the end.
    let mut m = head(65535);
    m.extend_from_slice(&[1, b'a', 0, 0, 1, 0, 1]);
    msgs.push(m);
    let mut m = head(1);
    m.extend_from_slice(&[1, b'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 1, 2]);
    msgs.push(m);
    // A long chain of pointers, each to the one before.
    let mut m = head(0);
    m.extend_from_slice(&[1, b'a', 0]);
    for i in 0..200u16 {
        let at = 12 + if i == 0 { 0 } else { 3 + (i - 1) * 2 };
        m.extend_from_slice(&[0xc0 | (at >> 8) as u8, at as u8]);
    }
    m.extend_from_slice(&[0, 1, 0, 1]);
    msgs.push(m);
    let mut p = Pcap::micro();
    for (i, m) in msgs.iter().enumerate() {
        p.add(i as u64 * 1000, &udp([10, 0, 0, 1], 4000, [10, 0, 0, 2], 53, m));
        p.add(i as u64 * 1000 + 1, &udp([10, 0, 0, 2], 53, [10, 0, 0, 1], 4000, m));
    }
    let f = p.write(&dir, "hostile.pcap");
    let f = f.to_str().unwrap();
    for args in [vec!["read", f], vec!["read", "-V", f], vec!["read", "--format", "json", f], vec!["read", "-q", f]] {
        let start = std::time::Instant::now();
        let run = inspect(args.clone());
        assert_eq!(run.code, Some(0), "{args:?}: {run:?}");
        assert!(start.elapsed().as_secs() < 10, "{args:?} took {:?}", start.elapsed());
    }
    let out = inspect_ok(["read", f]);
    assert!(out.lines().filter(|l| l.contains("[|domain]")).count() >= 8, "{out}");
    let json = json_lines(&inspect_ok(["read", "--format", "json", f]));
    assert!(of_type(&json, "packet").iter().filter(|p| p.get("dns.malformed").is_some()).count() >= 8);
}

/// `-Y` with the application fields picks the packets tshark's filter picks (counted in the
/// golden fields: rows with the value).
fn display_filters_take_the_dns_dhcp_and_echo_fields() {
    let count = |file: &str, field: &str, want: &dyn Fn(&str) -> bool| -> usize {
        let tsv = golden(file, "tsv");
        let header: Vec<&str> = tsv.lines().next().unwrap().split('\t').collect();
        let i = header.iter().position(|h| *h == field).unwrap();
        tsv.lines().skip(1).filter(|l| l.split('\t').nth(i).is_some_and(|v| !v.is_empty() && want(v))).count()
    };
    let shown = |file: &str, filter: &str| inspect_ok(["read", "-Y", filter, file]).lines().filter(|l| l.get(15..19) == Some(" IP ")).count();
    let f = "captures/dns.pcap";
    assert_eq!(shown(f, "dns.flags.rcode == 3"), count(f, "dns.flags.rcode", &|v| v == "3"));
    assert_eq!(shown(f, "dns.flags.response == 0"), count(f, "dns.flags.response", &|v| v == "0" || v == "False"));
    assert_eq!(shown(f, "dns"), count(f, "dns.id", &|_| true));
    let f = "captures/dhcp.pcap";
    assert_eq!(shown(f, "dhcp"), count(f, "dhcp.id", &|_| true));
    let f = "captures/ping.pcap";
    assert_eq!(shown(f, "icmp.seq == 1"), count(f, "icmp.seq", &|v| v.split(',').next() == Some("1")));
    // The round trip, paired frame by frame as tshark pairs it (milliseconds).
    let slow = |v: &str| v.parse::<f64>().is_ok_and(|ms| ms > 0.03);
    assert!(count(f, "icmp.resptime", &slow) > 0);
    assert_eq!(shown(f, "icmp.resptime > 0.03"), count(f, "icmp.resptime", &slow));
    assert_eq!(shown(f, "icmp.resp_to"), count(f, "icmp.resp_to", &|_| true));
    // DNS over TCP: the frames that completed a message, several in one.
    let f = "captures/dns-tcp.pcap";
    assert_eq!(shown(f, "dns"), count(f, "dns.id", &|_| true));
    assert_eq!(shown(f, "dns.id == 0x1002"), count(f, "dns.id", &|v| v.split(',').any(|x| x == "0x1002")));
    assert_eq!(shown(f, "dns.count.answers == 40"), 2);
}

/// The application fields `-T fields -e` and `-Y` know, each compared below with tshark's column.
const DASH_E: &[&str] = &[
    "frame.number", "dns.id", "dns.flags.response", "dns.flags.opcode", "dns.flags.rcode", "dns.count.queries",
    "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr", "dns.qry.name", "dns.qry.type", "dns.a", "dns.aaaa",
    "dns.cname", "dns.resp.ttl", "dhcp.type", "dhcp.id", "dhcp.ip.client", "dhcp.ip.your", "dhcp.hw.mac_addr",
    "dhcp.option.dhcp", "dhcp.option.requested_ip_address", "dhcp.option.dhcp_server_id", "dhcp.option.hostname",
    "icmp.resp_to", "icmp.resptime",
];

/// `-T fields -e F` prints, frame by frame, what tshark's `-T fields -e F` printed into the
/// golden files (tshark writes its booleans as True/False; `-T fields` as 1/0, as tshark 4.2+).
fn dash_e_fields_match(corpus: bool) {
    let mut problems = Vec::new();
    let mut compared = 0;
    for (file, decode_as) in golden_files().into_iter().filter(|(f, _)| f.starts_with("../") == corpus) {
        let tsv = golden(&file, "tsv");
        let header: Vec<&str> = tsv.lines().next().unwrap_or("").split('\t').collect();
        let mut args = vec!["-T", "fields"];
        for f in DASH_E {
            args.extend(["-e", f]);
        }
        let out = inspect_ok(read_args(&file, &decode_as, &args));
        let ours: Vec<&str> = out.lines().collect();
        let theirs: Vec<&str> = tsv.lines().skip(1).collect();
        assert_eq!(ours.len(), theirs.len(), "{file}: lines");
        for (mine, row) in ours.iter().zip(theirs) {
            let row: Vec<&str> = row.split('\t').collect();
            for (i, field) in DASH_E.iter().enumerate() {
                let col = header.iter().position(|h| h == field).unwrap_or_else(|| panic!("{field} not in the golden header"));
                let want = match row.get(col).copied().unwrap_or("") {
                    "True" => "1",
                    "False" => "0",
                    v => v,
                };
                let got = mine.split('\t').nth(i).unwrap_or("");
                compared += usize::from(!want.is_empty());
                if got != want {
                    problems.push(format!("{file} frame {}: {field}: tshark {want:?}, inspect {got:?}", row.first().unwrap_or(&"?")));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
    assert!(compared > 100, "only {compared} values compared");
}

fn dash_e_fields_match_tshark_on_captures() {
    dash_e_fields_match(false);
}

fn dash_e_fields_match_tshark_on_the_corpus() {
    dash_e_fields_match(true);
}

/// `-Y` on names and addresses picks the frames whose golden row has the value.
fn display_filters_take_names_and_addresses() {
    let tsv = golden("captures/dns.pcap", "tsv");
    let header: Vec<&str> = tsv.lines().next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = tsv.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    let frames = |filter: &str| -> Vec<String> {
        inspect_ok(["read", "-T", "fields", "-e", "frame.number", "-Y", filter, "captures/dns.pcap"]).lines().map(str::to_string).collect()
    };
    let with = |c: usize, pred: &dyn Fn(&str) -> bool| -> Vec<String> {
        rows.iter().filter(|r| r.get(c).is_some_and(|v| pred(v))).map(|r| r[0].to_string()).collect()
    };
    let name = rows.iter().find_map(|r| r.get(col("dns.qry.name")).filter(|v| !v.is_empty())).expect("a query name").split(',').next().unwrap();
    let by_name = frames(&format!("dns.qry.name == \"{name}\""));
    assert!(!by_name.is_empty());
    assert_eq!(by_name, with(col("dns.qry.name"), &|v| v.split(',').any(|n| n == name)));
    let a = rows.iter().find_map(|r| r.get(col("dns.a")).filter(|v| !v.is_empty())).expect("an A record").split(',').next().unwrap();
    assert_eq!(frames(&format!("dns.a == {a}")), with(col("dns.a"), &|v| v.split(',').any(|x| x == a)));
    assert_eq!(frames("dns.qry.name contains \"example\""), with(col("dns.qry.name"), &|v| v.contains("example")));
    assert_eq!(frames("dns.qry.type == 28"), with(col("dns.qry.type"), &|v| v.split(',').any(|t| t == "28")));
    let out = inspect_ok(["read", "-T", "fields", "-e", "frame.number", "-Y", "dhcp.option.dhcp == 5", "captures/dhcp.pcap"]);
    let tsv = golden("captures/dhcp.pcap", "tsv");
    let header: Vec<&str> = tsv.lines().next().unwrap().split('\t').collect();
    let c = header.iter().position(|h| *h == "dhcp.option.dhcp").unwrap();
    let acks: Vec<&str> = tsv.lines().skip(1).filter(|l| l.split('\t').nth(c) == Some("5")).map(|l| l.split('\t').next().unwrap()).collect();
    assert!(!acks.is_empty());
    assert_eq!(out.lines().collect::<Vec<_>>(), acks);
}

/// DNS over TCP from a hostile peer: a message whose header claims 65,535 records, one whose
/// name points at itself, several in one segment, then a length prefix of 65,535 that never
/// completes. Each whole message is an error in its frame's record; nothing panics or grows
/// past the one message a direction gathers.
fn hostile_dns_over_tcp_is_bounded() {
    let dir = TempDir::new("app-hostile-tcp");
    let (c, s) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut wire: Vec<u8> = Vec::new();
    // A response header claiming 65,535 answers, with nothing after it.
    let counts: &[u8] = &[0xab, 0xcd, 0x81, 0x80, 0, 0, 0xff, 0xff, 0, 0, 0, 0];
    // A response whose question name is a pointer to itself (offset 12).
    let looped: &[u8] = &[0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
    for m in [counts, looped] {
        wire.extend_from_slice(&(m.len() as u16).to_be_bytes());
        wire.extend_from_slice(m);
    }
    // A length that promises 65,535 bytes, and 300 that come.
    wire.extend_from_slice(&[0xff, 0xff]);
    wire.extend(std::iter::repeat_n(0x41u8, 300));
    let wire: &'static [u8] = Box::leak(wire.into_boxed_slice());
    // The first message is cut after 10 of its 14 bytes.
    let (split, rest) = wire.split_at(10);
    let mut p = Pcap::micro();
    p.add(0, &tcp(c, 40000, s, 53).flags(SYN).seq(100).frame());
    p.add(1, &tcp(s, 53, c, 40000).flags(SYN | ACK).seq(500).ack(101).frame());
    p.add(2, &tcp(c, 40000, s, 53).flags(ACK).seq(101).ack(501).frame());
    p.add(3, &tcp(s, 53, c, 40000).flags(PSH | ACK).seq(501).ack(101).data(split).frame());
    p.add(4, &tcp(s, 53, c, 40000).flags(PSH | ACK).seq(501 + split.len() as u32).ack(101).data(rest).frame());
    let f = p.write(&dir, "hostile-tcp.pcap");
    let f = f.to_str().unwrap();
    let out = inspect(["read", "--format", "json", f]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let objs = json_lines(&out.stdout);
    let packets: Vec<&Value> = objs.iter().filter(|o| o["event_type"] == "packet").collect();
    assert_eq!(packets.len(), 5);
    // Frame 5 completes both whole messages (the first began in frame 4): two ids, two errors.
    let f5 = packets[4];
    assert_eq!(f5["dns.id"], serde_json::json!([0xabcd, 0x1234]), "{f5}");
    let errors = f5["dns.malformed"].as_array().map_or(0, Vec::len);
    assert_eq!(errors, 2, "{f5}");
    assert!(packets[3].get("dns.id").is_none(), "{}", packets[3]);
    // Lines, -V and -q say the same without panicking.
    for args in [vec!["read", f], vec!["read", "-V", f], vec!["read", "-q", f]] {
        let o = inspect(args.clone());
        assert_eq!(o.code, Some(0), "{args:?}: {o:?}");
    }
}
