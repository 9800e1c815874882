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
    ]
}

/// The protocols whose counts must equal tshark's: those `inspect` decodes. An application
/// protocol counts only over UDP (over TCP tshark finds it in reassembled streams).
const DECODED: &[&str] = &[
    "eth", "vlan", "ieee8021ad", "sll", "null", "raw", "arp", "ip", "ipv6", "ipv6.hopopts", "ipv6.routing",
    "ipv6.fraghdr", "ipv6.dstopts", "tcp", "udp", "icmp", "icmpv6", "igmp", "gre", "erspan", "vxlan", "geneve",
    "teredo", "ayiya", "gtp", "mpls", "pppoes", "ppp", "vntag", "cfp",
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
    let mut args = vec!["stats", input, "--format", "json"];
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
