//! `inspect stats`: its protocol hierarchy, conversations, endpoints and frames per interval held
//! against tshark's `-z` tables on the same captures (`tests/golden/stats/`, written by
//! `scripts/golden_stats.sh`), for the protocols `inspect` decodes; and its formats.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{inspect, inspect_ok, json_lines, root, Need, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(hierarchy_equals_tsharks_on_the_captures),
        trial!(hierarchy_equals_tsharks_on_the_corpus, Need::Corpus),
        trial!(conversations_equal_tsharks_on_the_captures),
        trial!(conversations_equal_tsharks_on_the_corpus, Need::Corpus),
        trial!(endpoints_equal_tsharks_on_the_captures),
        trial!(endpoints_equal_tsharks_on_the_corpus, Need::Corpus),
        trial!(io_stat_equals_tsharks_on_the_captures),
        trial!(io_stat_equals_tsharks_on_the_corpus, Need::Corpus),
        trial!(tsv_and_text_show_the_same_counts),
        trial!(top_keeps_the_busiest_rows),
        trial!(a_bad_z_is_a_usage_error),
        trial!(a_cut_file_still_shows_what_was_read),
        trial!(read_z_writes_the_tables_after_the_report),
        trial!(read_z_in_json_is_one_stream),
        trial!(service_counts_equal_the_conn_records),
        trial!(service_counts_equal_tsharks_dns_and_dhcp_frames),
        trial!(service_counts_equal_tsharks_dns_and_dhcp_frames_on_the_corpus, Need::Corpus),
        trial!(stats_tables_stream_as_comfy_table_draws_them),
        trial!(every_thread_count_writes_the_same_tables),
    ]
}

/// The protocols whose counts must equal tshark's: those `inspect` decodes. An application
/// protocol counts only over UDP (over TCP tshark finds it in reassembled streams).
const DECODED: &[&str] = &[
    "eth", "vlan", "ieee8021ad", "sll", "null", "raw", "arp", "ip", "ipv6", "ipv6.hopopts", "ipv6.routing",
    "ipv6.fraghdr", "ipv6.dstopts", "tcp", "udp", "icmp", "icmpv6", "igmp", "gre", "erspan", "vxlan", "geneve",
    "teredo", "ayiya", "gtp", "mpls", "pppoes", "ppp", "vntag", "cfp", "wlan", "wlan_aggregate", "llc",
];
const APPS: &[&str] = &["dns", "mdns", "llmnr", "dhcp", "dhcpv6"];

fn comparable(path: &str) -> bool {
    let names: Vec<&str> = path.split(':').collect();
    names.iter().enumerate().all(|(i, n)| DECODED.contains(n) || (APPS.contains(n) && i > 0 && names[i - 1] == "udp"))
}

/// The golden files of one kind (`phs`, `conv`, ...): (input, its rows), for inputs under the
/// corpus or not as asked.
fn goldens(kind: &str, corpus: bool) -> Vec<(String, Vec<Vec<String>>)> {
    let dir = root().join("tests/golden/stats");
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().map(|e| e.path()).collect();
    names.sort();
    for path in names {
        if !path.to_string_lossy().ends_with(&format!(".{kind}.tsv")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let head = lines.next().unwrap_or("");
        let input = head.rsplit(" -r ").next().unwrap_or("").to_string();
        if input.starts_with("../shared/") != corpus {
            continue;
        }
        out.push((input, lines.map(|l| l.split('\t').map(str::to_string).collect()).collect()));
    }
    assert!(!out.is_empty(), "no {kind} goldens");
    out
}

fn stats_json(input: &str, z: &[&str]) -> Vec<Value> {
    // Three threads: the conversations are counted on two shards and merged.
    let mut args = vec!["stats", input, "--format", "json", "--threads", "3"];
    for w in z {
        args.extend(["-z", w]);
    }
    json_lines(&inspect_ok(&args))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn check_hierarchy(corpus: bool) {
    let mut failures = Vec::new();
    for (input, rows) in goldens("phs", corpus) {
        let theirs: BTreeMap<String, (u64, u64)> =
            rows.iter().filter(|r| comparable(&r[0])).map(|r| (r[0].clone(), (r[1].parse().unwrap(), r[2].parse().unwrap()))).collect();
        // tshark's tree hides `ethertype` and IPv6's extension headers, which frame.protocols
        // (and so our paths) name; and shows a FabricPath frame's outer Ethernet header as cfp
        // alone, where frame.protocols has eth:cfp. Counts are summed per tree node.
        let mut ours: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for v in stats_json(&input, &["io,phs"]).iter().filter(|v| v["event_type"] == "phs") {
            let names: Vec<&str> = v["path"].as_str().unwrap().split(':').collect();
            if names.last().is_some_and(|n| *n == "ethertype" || n.starts_with("ipv6.")) {
                continue;
            }
            let path = names.into_iter().filter(|n| *n != "ethertype" && !n.starts_with("ipv6.")).collect::<Vec<_>>().join(":");
            let path = path.strip_prefix("eth:cfp").map(|rest| format!("cfp{rest}")).unwrap_or(path);
            let n = ours.entry(path).or_default();
            n.0 += u(&v["frames"]);
            n.1 += u(&v["bytes"]);
        }
        if let Some(&(f, b)) = ours.get("cfp") {
            let eth = ours.entry("eth".into()).or_default();
            (eth.0, eth.1) = (eth.0 - f, eth.1 - b);
            if eth.0 == 0 {
                ours.remove("eth");
            }
        }
        if ours != theirs {
            failures.push(format!("{input}:\n  ours   {ours:?}\n  tshark {theirs:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn hierarchy_equals_tsharks_on_the_captures() {
    check_hierarchy(false);
}

fn hierarchy_equals_tsharks_on_the_corpus() {
    check_hierarchy(true);
}

/// A tshark byte cell ("574 bytes", "12 kB") agrees with an exact count.
fn bytes_agree(cell: &str, exact: u64) -> bool {
    let mut it = cell.split_whitespace();
    let (Some(num), Some(unit)) = (it.next().and_then(|x| x.parse::<u64>().ok()), it.next()) else { return false };
    let scale = match unit {
        "bytes" => return num == exact,
        "kB" => 1000,
        "MB" => 1_000_000,
        _ => return false,
    };
    exact / scale == num || (exact + scale / 2) / scale == num
}

fn port(v: &Value) -> String {
    v.as_u64().map(|p| p.to_string()).unwrap_or_default()
}

fn check_conversations(corpus: bool) {
    let mut failures = Vec::new();
    let mut compared = 0;
    for (input, rows) in goldens("conv", corpus) {
        let ours = stats_json(&input, &["conv,eth", "conv,ip", "conv,ipv6", "conv,tcp", "conv,udp"]);
        let ours: Vec<&Value> = ours.iter().filter(|v| v["event_type"] == "conv").collect();
        if ours.len() != rows.len() {
            failures.push(format!("{input}: {} conversations, tshark {}", ours.len(), rows.len()));
            continue;
        }
        for (v, r) in ours.iter().zip(&rows) {
            let same = v["type"] == r[0].as_str()
                && v["addr_a"] == r[1].as_str()
                && port(&v["port_a"]) == r[2]
                && v["addr_b"] == r[3].as_str()
                && port(&v["port_b"]) == r[4]
                && u(&v["frames_ba"]).to_string() == r[5]
                && bytes_agree(&r[6], u(&v["bytes_ba"]))
                && u(&v["frames_ab"]).to_string() == r[7]
                && bytes_agree(&r[8], u(&v["bytes_ab"]))
                && (v["rel_start"].as_f64().unwrap() - r[9].parse::<f64>().unwrap()).abs() < 1e-6
                && (v["duration"].as_f64().unwrap() - r[10].parse::<f64>().unwrap()).abs() <= 0.00005 + 1e-9;
            if !same {
                failures.push(format!("{input}: ours {v}\n  tshark {r:?}"));
            }
            compared += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared > 0);
}

fn conversations_equal_tsharks_on_the_captures() {
    check_conversations(false);
}

fn conversations_equal_tsharks_on_the_corpus() {
    check_conversations(true);
}

fn check_endpoints(corpus: bool) {
    let mut failures = Vec::new();
    for (input, rows) in goldens("endpoints", corpus) {
        let ours = stats_json(&input, &["endpoints,eth", "endpoints,ip", "endpoints,ipv6", "endpoints,tcp", "endpoints,udp"]);
        let ours: Vec<Vec<String>> = ours
            .iter()
            .filter(|v| v["event_type"] == "endpoint")
            .map(|v| {
                let tx = (u(&v["tx_frames"]), u(&v["tx_bytes"]));
                let rx = (u(&v["rx_frames"]), u(&v["rx_bytes"]));
                [
                    v["type"].as_str().unwrap().to_string(),
                    v["addr"].as_str().unwrap().to_string(),
                    port(&v["port"]),
                    (tx.0 + rx.0).to_string(),
                    (tx.1 + rx.1).to_string(),
                    tx.0.to_string(),
                    tx.1.to_string(),
                    rx.0.to_string(),
                    rx.1.to_string(),
                ]
                .to_vec()
            })
            .collect();
        if ours != rows {
            failures.push(format!("{input}:\n  ours   {ours:?}\n  tshark {rows:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn endpoints_equal_tsharks_on_the_captures() {
    check_endpoints(false);
}

fn endpoints_equal_tsharks_on_the_corpus() {
    check_endpoints(true);
}

fn check_io(corpus: bool) {
    let mut failures = Vec::new();
    for (input, rows) in goldens("io", corpus) {
        let ours = stats_json(&input, &["io,stat,1,frame,tcp,arp,tcp.flags.syn==1"]);
        let ours: Vec<&Value> = ours.iter().filter(|v| v["event_type"] == "io").collect();
        // Four columns per interval, in the order of the filters.
        let mut table: Vec<Vec<String>> = Vec::new();
        for chunk in ours.chunks(4) {
            let mut row = vec![format!("{:.3}", chunk[0]["interval_start"].as_f64().unwrap())];
            for v in chunk {
                row.push(u(&v["frames"]).to_string());
                row.push(u(&v["bytes"]).to_string());
            }
            table.push(row);
        }
        // tshark writes long intervals' starts without decimals.
        let theirs: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r[0] = format!("{:.3}", r[0].parse::<f64>().unwrap());
                r
            })
            .collect();
        if table != theirs {
            failures.push(format!("{input}:\n  ours   {table:?}\n  tshark {theirs:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn io_stat_equals_tsharks_on_the_captures() {
    check_io(false);
}

fn io_stat_equals_tsharks_on_the_corpus() {
    check_io(true);
}

fn tsv_and_text_show_the_same_counts() {
    let tsv = inspect_ok(["stats", "captures/dns.pcap", "-z", "io,phs", "-z", "endpoints,udp", "--format", "tsv"]);
    // The hierarchy's rows name whole paths, as frame.protocols spells them.
    assert!(tsv.lines().any(|l| l == "eth:ethertype:ip:udp:dns\t16\t1772"), "{tsv}");
    let text = inspect_ok(["stats", "captures/dns.pcap", "-z", "io,phs"]);
    // The text tree hides ethertype and indents each level by two spaces, as tshark's.
    assert!(text.lines().any(|l| l.contains("│       dns ") && l.contains(" 16 ") && l.contains(" 1772 ")), "{text}");
    assert!(!text.contains("ethertype"), "{text}");
}

fn top_keeps_the_busiest_rows() {
    let all = stats_json("captures/flood-v4.pcap", &["conv,tcp"]);
    let top = json_lines(&inspect_ok(["stats", "captures/flood-v4.pcap", "-z", "conv,tcp", "--top", "3", "--format", "json"]));
    let convs = |v: &[Value]| v.iter().filter(|v| v["event_type"] == "conv").cloned().collect::<Vec<_>>();
    let (all, top) = (convs(&all), convs(&top));
    assert!(all.len() > 3);
    assert_eq!(top, all[..3].to_vec());
    let frames = |v: &Value| u(&v["frames_ab"]) + u(&v["frames_ba"]);
    assert!(all.windows(2).all(|w| frames(&w[0]) >= frames(&w[1])));
}

fn a_bad_z_is_a_usage_error() {
    for z in ["conv,foo", "io,stat,abc", "io,stat,1,tcp.port ==", "nonsense"] {
        let run = inspect(["stats", "captures/web.pcap", "-z", z]);
        assert_eq!(run.code, Some(2), "{z}: {}", run.stderr);
        assert_eq!(run.stderr.lines().filter(|l| l.starts_with("inspect:")).count(), 1, "{z}: {}", run.stderr);
    }
}

fn a_cut_file_still_shows_what_was_read() {
    let dir = crate::support::TempDir::new("stats-cut");
    let bytes = std::fs::read(root().join("captures/web.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let run = inspect(["stats", cut.to_str().unwrap(), "-z", "io,phs", "--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("cut.pcap"), "{}", run.stderr);
    let v = json_lines(&run.stdout);
    assert_eq!(v.iter().find(|v| v["path"] == "eth").map(|v| u(&v["frames"])), Some(23));
}

/// The text after `read`'s report: its tables are those `stats` draws, without its first line
/// (the frame counts, which the report has).
fn read_z_writes_the_tables_after_the_report() {
    for input in ["captures/web.pcap", "captures/flood-v4.pcap", "captures/tunnels/gre-in-gre.pcap"] {
        let z = ["-z", "io,phs", "-z", "conv,tcp", "-z", "endpoints,udp", "-z", "io,stat,1,tcp"];
        for format in ["text", "tsv"] {
            let mut args = vec!["stats", input, "--format", format];
            args.extend(z);
            let stats = inspect_ok(&args);
            let tables = stats.split_once('\n').map(|(_, rest)| rest).unwrap();
            let mut args = vec!["read", "-q", input, "--format", format];
            args.extend(z);
            let read = inspect_ok(&args);
            // The summary first, then the tables.
            assert!(read.starts_with("Summary:") || read.contains("\nSummary:"), "{read}");
            assert!(read.ends_with(tables), "{input} {format}:\n{read}\n---\n{tables}");
            let plain = inspect_ok(["read", "-q", input, "--format", format]);
            assert_eq!(read.strip_suffix(tables), Some(plain.as_str()), "{input} {format}");
        }
        // Packets first, as tshark prints its -z tables after its packet list.
        let lines = inspect_ok(["read", input, "-z", "conv,tcp"]);
        let plain = inspect_ok(["read", input]);
        assert!(lines.starts_with(&plain) && lines.len() > plain.len(), "{lines}");
    }
}

fn read_z_in_json_is_one_stream() {
    let input = "captures/web.pcap";
    let stats = stats_json(input, &["io,phs", "conv,ip", "endpoints,tcp", "io,stat,1"]);
    let read = json_lines(&inspect_ok(["read", input, "--format", "json", "-z", "io,phs", "-z", "conv,ip", "-z", "endpoints,tcp", "-z", "io,stat,1"]));
    let plain = json_lines(&inspect_ok(["read", input, "--format", "json"]));
    // read's own objects, then stats' rows (its stats_summary is read's summary already).
    let rows: Vec<&Value> = stats.iter().filter(|v| v["event_type"] != "stats_summary").collect();
    assert!(rows.len() > 10);
    assert_eq!(read.len(), plain.len() + rows.len());
    assert_eq!(read[..plain.len()], plain[..]);
    assert_eq!(read[plain.len()..].iter().collect::<Vec<_>>(), rows);
}

/// Per service, the connections, packets and IP bytes of the conn records `read` writes (with
/// the options `more`).
fn by_service(input: &str, more: &[&str]) -> BTreeMap<String, (u64, u64, u64)> {
    let mut want: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for v in json_lines(&inspect_ok([&["read", input, "--format", "json"], more].concat())).iter().filter(|v| v["event_type"] == "conn") {
        let service = v["service"].as_str().unwrap_or("-").to_string();
        let e = want.entry(service).or_default();
        e.0 += 1;
        e.1 += u(&v["orig_pkts"]) + u(&v["resp_pkts"]);
        e.2 += u(&v["orig_ip_bytes"]) + u(&v["resp_ip_bytes"]);
    }
    want
}

fn service_json(input: &str) -> Vec<Value> {
    service_json_with(input, &[])
}

fn service_json_with(input: &str, more: &[&str]) -> Vec<Value> {
    json_lines(&inspect_ok([&["read", "-q", input, "--format", "json", "-z", "service"], more].concat())).into_iter().filter(|v| v["event_type"] == "service").collect()
}

fn service_map(rows: &[Value]) -> BTreeMap<String, (u64, u64, u64)> {
    rows.iter().map(|v| (v["service"].as_str().unwrap().to_string(), (u(&v["conns"]), u(&v["packets"]), u(&v["bytes"])))).collect()
}

fn service_counts_equal_the_conn_records() {
    let mut services = std::collections::BTreeSet::new();
    let inputs = [
        "captures/web.pcap",
        "captures/dns.pcap",
        "captures/dns-tcp.pcap",
        "captures/dhcp.pcap",
        "captures/app.pcap",
        "captures/tls12.pcap",
        "captures/flood-v4.pcap",
        "captures/mixed.pcapng",
    ];
    for input in inputs {
        let want = by_service(input, &[]);
        let rows = service_json(input);
        let got = service_map(&rows);
        assert_eq!(got, want, "{input}");
        // The tracker counts them without making records (quiet text makes none) as with them,
        // on any number of threads.
        let text = inspect_ok(["read", "-q", input, "-z", "service", "--format", "tsv"]);
        let tsv: BTreeMap<String, (u64, u64, u64)> = text
            .lines()
            .skip_while(|l| *l != "service\tconnections\tpackets\tbytes")
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c[0].to_string(), (c[1].parse().unwrap(), c[2].parse().unwrap(), c[3].parse().unwrap()))
            })
            .collect();
        assert_eq!(tsv, want, "{input}: {text}");
        assert_eq!(service_map(&service_json_with(input, &["--threads", "3"])), want, "{input}");
        assert!(rows.windows(2).all(|w| u(&w[0]["conns"]) >= u(&w[1]["conns"])), "{input}: {rows:?}");
        services.extend(got.into_keys());
        // The text table has the same rows.
        let text = inspect_ok(["read", "-q", input, "-z", "service"]);
        let table = text.split_once("\nConnections per service\n").map(|(_, t)| t).unwrap_or_else(|| panic!("{text}"));
        for v in &rows {
            let cells = format!("│ {:<w$} ", v["service"].as_str().unwrap(), w = 1);
            assert!(table.lines().any(|l| l.starts_with(cells.trim_end()) && l.contains(&format!(" {} ", u(&v["packets"])))), "{input}: {v}\n{table}");
        }
    }
    for s in ["dns", "dhcp", "http", "ssl", "-"] {
        assert!(services.contains(s), "no {s} connections in the captures: {services:?}");
    }
    // With the table's filters, only the connections that pass them, as the records shown.
    for (input, more) in [("captures/dns.pcap", &["--port", "53"][..]), ("captures/app.pcap", &["--state", "SF"]), ("captures/app.pcap", &["--port", "443"])] {
        let want = by_service(input, more);
        assert!(!want.is_empty(), "{input} {more:?}");
        assert_eq!(service_map(&service_json_with(input, more)), want, "{input} {more:?}");
    }
    // `stats -z service` counts the same connections, beside its own tables.
    for input in ["captures/web.pcap", "captures/app.pcap", "captures/tls12.pcap", "captures/dns-tcp.pcap", "captures/dhcp.pcap", "captures/mixed.pcapng"] {
        let read = inspect_ok(["read", "-q", input, "-z", "service"]);
        let stats = inspect_ok(["stats", input, "-z", "service", "-z", "io,phs"]);
        let table = |t: &str| t.split_once("\nConnections per service\n").map(|(_, t)| t.to_string()).unwrap_or_else(|| panic!("{t}"));
        assert_eq!(table(&stats), table(&read), "{input}");
        assert!(stats.contains("\nProtocol hierarchy\n"), "{stats}");
        let json = json_lines(&inspect_ok(["stats", input, "-z", "service", "--format", "json"]));
        let rows: Vec<Value> = json.into_iter().filter(|v| v["event_type"] == "service").collect();
        assert_eq!(rows, service_json(input), "{input}");
    }
}

/// Where every packet of a service's connections is one of its messages (DNS and DHCP over
/// UDP), the packets per service equal tshark's frames of that protocol in -z io,phs.
fn service_counts_equal_tsharks_dns_and_dhcp_frames() {
    service_counts_equal_tsharks(false);
}

fn service_counts_equal_tsharks_dns_and_dhcp_frames_on_the_corpus() {
    service_counts_equal_tsharks(true);
}

/// Per-service packets against tshark's DNS and DHCP frames of the `io,phs` goldens, on the
/// captures or on the corpus files.
fn service_counts_equal_tsharks(corpus: bool) {
    let mut compared = 0;
    for (input, rows) in goldens("phs", corpus) {
        let frames = |name: &str| rows.iter().filter(|r| r[0].ends_with(&format!(":udp:{name}"))).map(|r| r[1].parse::<u64>().unwrap()).sum::<u64>();
        let tcp_dns = rows.iter().any(|r| r[0].ends_with(":tcp:dns"));
        let ours = service_json(&input);
        let ours = |name: &str| ours.iter().filter(|v| v["service"] == name).map(|v| u(&v["packets"])).sum::<u64>();
        for name in ["dns", "dhcp"] {
            if frames(name) == 0 || (name == "dns" && tcp_dns) {
                continue;
            }
            assert_eq!(ours(name), frames(name), "{input}: {name}");
            compared += 1;
        }
    }
    assert!(compared >= 1, "{compared}");
}

/// Every kind of table, in text and TSV, as comfy-table drew it before the tables were drawn
/// a line at a time (the rows of `--format json` through comfy-table, here).
fn stats_tables_stream_as_comfy_table_draws_them() {
    let input = "captures/flood-v6.pcap";
    let text = inspect_ok(["stats", input, "-z", "conv,tcp", "-z", "endpoints,ipv6", "-z", "conv,eth"]);
    let json = stats_json(input, &["conv,tcp", "endpoints,ipv6", "conv,eth"]);
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED).set_header(vec![
        "address A", "port A", "address B", "port B", "frames A→B", "bytes A→B", "frames B→A", "bytes B→A", "frames", "bytes", "rel start", "duration", "bits/s A→B", "bits/s B→A",
    ]);
    let right = |s: String| comfy_table::Cell::new(s).set_alignment(comfy_table::CellAlignment::Right);
    for v in json.iter().filter(|v| v["type"] == "tcp") {
        let d = v["duration"].as_f64().unwrap();
        let rate = |b: u64| if d > 0.0 { format!("{:.0}", b as f64 * 8.0 / d) } else { "-".into() };
        t.add_row(vec![
            comfy_table::Cell::new(v["addr_a"].as_str().unwrap()),
            right(port(&v["port_a"])),
            comfy_table::Cell::new(v["addr_b"].as_str().unwrap()),
            right(port(&v["port_b"])),
            right(u(&v["frames_ab"]).to_string()),
            right(u(&v["bytes_ab"]).to_string()),
            right(u(&v["frames_ba"]).to_string()),
            right(u(&v["bytes_ba"]).to_string()),
            right((u(&v["frames_ab"]) + u(&v["frames_ba"])).to_string()),
            right((u(&v["bytes_ab"]) + u(&v["bytes_ba"])).to_string()),
            right(format!("{:.6}", v["rel_start"].as_f64().unwrap())),
            right(format!("{d:.4}")),
            right(rate(u(&v["bytes_ab"]))),
            right(rate(u(&v["bytes_ba"]))),
        ]);
    }
    assert!(t.row_count() > 10);
    assert!(text.contains(&format!("\nTCP conversations\n{t}\n\nEthernet conversations\n")), "{text}");
}

/// Conversations counted on shards and tables made on several threads print what one thread
/// prints, in every format: on a capture of more conversations than a table needs to be made
/// in parts, with ports reused (a new TCP conversation on the same pair), IPv6, UDP, ties in
/// frames (first seen first) and conversations whose A side answers first.
fn every_thread_count_writes_the_same_tables() {
    use crate::support::frames::{tcp, tcp_ip, udp, SYN, ACK};
    use crate::support::pcap::{micros, Pcap};
    let mut p = Pcap::micro();
    let mut t = 1_700_000_000_000_000u64;
    let mut add = |frame: &[u8]| {
        t += 37;
        p.add(micros(t), frame);
    };
    for i in 0u32..24_000 {
        let (a, b) = ([10, 1, (i >> 8) as u8, i as u8], [10, 2, 0, (i % 7) as u8]);
        let sport = 1024 + (i % 50_000) as u16;
        add(&tcp(a, sport, b, 80).flags(SYN).seq(i).frame());
        if i % 3 != 0 {
            add(&tcp(b, 80, a, sport).flags(SYN | ACK).seq(7).ack(i + 1).frame());
        }
        if i % 5 == 0 {
            // The pair again, a new connection: tshark starts a new conversation.
            add(&tcp(a, sport, b, 80).flags(SYN).seq(i + 1000).frame());
        }
        if i % 11 == 0 {
            add(&udp(b, 53, a, 5000 + (i % 9) as u16, b"answer"));
        }
        if i % 13 == 0 {
            let v6 = |x: u16| std::net::IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, x, (i % 17) as u16));
            add(&tcp_ip(v6(1), sport, v6(2), 443).flags(SYN).seq(i).frame());
        }
    }
    let dir = crate::support::TempDir::new("stats-threads");
    let input = p.write(&dir, "many.pcap");
    let input = input.to_str().unwrap();
    let tables = ["conv,tcp", "conv,ip", "conv,ipv6", "conv,udp", "conv,eth", "endpoints,tcp", "endpoints,ip", "conv,tcp,tcp.dstport == 80"];
    for format in ["text", "json", "tsv"] {
        let run = |threads: &str| {
            let mut args = vec!["stats", input, "--format", format, "--threads", threads];
            for z in tables {
                args.extend(["-z", z]);
            }
            inspect_ok(&args)
        };
        let one = run("1");
        assert!(one.lines().count() > 2 * 24_000, "{format}: {} lines", one.lines().count());
        for threads in ["2", "5"] {
            let many = run(threads);
            // The first line that differs, rather than two outputs of megabytes.
            let differs = one.lines().zip(many.lines()).position(|(a, b)| a != b);
            assert!(one == many, "{format}, --threads {threads}: line {differs:?} differs ({} and {} lines)", one.lines().count(), many.lines().count());
        }
    }
}
