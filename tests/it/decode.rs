//! Conformance of decoding against real tools, without the tools installed: tshark's field values
//! and tcpdump's lines, written into `tests/golden/decode/` and `tests/golden/lines/` by
//! `scripts/golden_decode.sh`, are compared with what `inspect read --format json` and
//! `inspect read` print, packet by packet. Then the library's two ways from a frame to a packet
//! (the fast path and the general one) and to the analyzers' compact input (from the frame or
//! from its packet) are held equal on every frame of `captures/` and the corpus, and the `-V`
//! view names ICMP and ICMPv6 errors by type and by code (generated frames).

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde_json::Value;

use inspect::source::file::FileSource;
use inspect::source::Frame;

use crate::support::frames::{icmp_port_unreachable, icmpv6_port_unreachable};
use crate::support::pcap::{secs, Pcap};
use crate::support::{inspect, inspect_ok, root, Need, Test, TempDir, CORPUS};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(fields_match_tshark_on_captures),
        trial!(fields_match_tshark_on_the_corpus, Need::Corpus),
        trial!(lines_match_tcpdump_on_captures),
        trial!(igmp_lines_match_tcpdump_on_the_corpus, Need::Corpus),
        trial!(wlan_lines_match_tcpdump),
        trial!(fast_path_equals_general_path, Need::Corpus),
        trial!(stats_count_each_frame_under_its_top_protocol, Need::Corpus),
        trial!(input_keys_equal_the_packet_keys, Need::Corpus),
        trial!(input_of_a_frame_equals_input_of_its_packet, Need::Corpus),
        trial!(router_advertisements_match_tcpdump_v, Need::Corpus),
        trial!(icmpv6_lines_match_tcpdump_v, Need::Corpus),
        trial!(verbose_names_icmp_port_unreachable_by_type_and_code),
        trial!(verbose_names_icmpv6_port_unreachable_by_type_and_code),
    ]
}

/// The inputs of the golden files (`tests/golden/decode/FILES`), as given to the binary.
fn golden_files() -> Vec<String> {
    let list = std::fs::read_to_string(root().join("tests/golden/decode/FILES")).expect("read tests/golden/decode/FILES");
    list.lines().map(str::to_string).collect()
}

fn golden_name(file: &str) -> String {
    file.trim_start_matches(&format!("{CORPUS}/")).replace('/', "_")
}

/// tshark fields that hold a list of every occurrence (tags), compared whole.
const LISTS: [&str; 9] = [
    "vlan.id",
    "ieee8021ad.id",
    "ip.fragment",
    "ipv6.fragment",
    "igmp.maddr",
    "igmp.num_src",
    "igmp.record_type",
    "igmp.aux_data_len",
    "igmp.saddr",
];

/// Fields whose value is a boolean in Wireshark.
const BOOLEAN: [&str; 3] = ["ip.flags.df", "ip.flags.mf", "igmp.s"];

/// tshark's text for one field, normalized to a JSON value comparable with ours.
fn normalize(field: &str, raw: &str) -> Value {
    if LISTS.contains(&field) {
        return Value::Array(raw.split(',').map(|v| norm_scalar(field, v)).collect());
    }
    let first = raw.split(',').next().unwrap_or("");
    norm_scalar(field, first)
}

fn norm_scalar(field: &str, v: &str) -> Value {
    if BOOLEAN.contains(&field) {
        return Value::Bool(v == "1" || v.eq_ignore_ascii_case("true"));
    }
    if let Some(hex) = v.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            return Value::from(n);
        }
    }
    if field != "frame.time_epoch" {
        if let Ok(n) = v.parse::<u64>() {
            return Value::from(n);
        }
        // Signal and noise levels in dBm.
        if let Ok(n) = v.parse::<i64>() {
            return Value::from(n);
        }
    }
    Value::String(v.to_string())
}

/// The raw text of `frame.time_epoch` in a JSON line (a float would lose nanoseconds).
fn raw_time(line: &str) -> Option<String> {
    let start = line.find("\"frame.time_epoch\":")? + "\"frame.time_epoch\":".len();
    let rest = line.get(start..)?;
    let end = rest.find(',')?;
    Some(rest.get(..end)?.to_string())
}

struct Golden {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn load_tsv(path: &Path) -> Golden {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("").split('\t').map(str::to_string).collect();
    let rows = lines.map(|l| l.split('\t').map(str::to_string).collect()).collect();
    Golden { header, rows }
}

/// Why a field tshark shows may be absent from ours: tshark read it from a header quoted inside
/// an ICMP error or carried in a tunnel (a second IP header), which inspect does not decode, or
/// from above the layer where inspect reported that decoding stopped.
fn absence_explained(ours: &serde_json::Map<String, Value>, tshark: &BTreeMap<String, String>, field: &str) -> bool {
    let inner = ["ip.src", "ipv6.src"].iter().any(|f| tshark.get(*f).is_some_and(|v| v.contains(',')))
        || (tshark.contains_key("ip.src") && tshark.contains_key("ipv6.src"))
        || tshark.get("eth.src").is_some_and(|v| v.contains(','));
    let quoted = ours.contains_key("icmp.type") || ours.contains_key("icmpv6.type");
    let stopped = ours.contains_key("malformed");
    let transport = field.starts_with("tcp.") || field.starts_with("udp.") || field.starts_with("icmp");
    // An IPv4 fragment other than the first carries no transport header for anyone but a
    // reassembler; tshark reassembles, inspect shows fragments as they are.
    let fragment = ours.get("ip.frag_offset").and_then(Value::as_u64).is_some_and(|o| o > 0)
        || ours.get("ip.flags.mf") == Some(&Value::Bool(true));
    inner || quoted || stopped || (transport && fragment)
}

/// Why a field of ours may be absent from tshark's: tshark 4.0 names GRE protocol 0x9000
/// "ARUBA WLAN" but hands it to no dissector (its 802.11 dissector takes 0x8200 to 0x8370), so
/// the 802.11 frame inside and what it carries are no fields of its; Zeek reads them.
fn aruba_9000(tshark: &BTreeMap<String, String>, field: &str) -> bool {
    tshark.get("gre.proto").is_some_and(|p| p == "0x9000") && ["wlan.", "llc.", "arp."].iter().any(|l| field.starts_with(l))
}

/// Compares `inspect read --format json` with tshark's fields on `files`; the packets compared.
fn fields_match_tshark(files: &[String]) -> usize {
    let mut problems: Vec<String> = Vec::new();
    let mut compared = 0usize;
    let mut packets = 0usize;
    for file in files {
        let golden = load_tsv(&root().join("tests/golden/decode").join(format!("{}.tsv", golden_name(file))));
        let run = inspect(["read", "--format", "json", file]);
        let ours: Vec<(String, serde_json::Map<String, Value>)> = run
            .stdout
            .lines()
            .filter(|l| l.contains("\"event_type\":\"packet\""))
            .map(|l| match serde_json::from_str::<Value>(l) {
                Ok(Value::Object(m)) => (l.to_string(), m),
                other => panic!("{file}: not a JSON object: {other:?} in {l}"),
            })
            .collect();
        // tshark lists pcapng custom blocks as records without an encapsulation; they hold no
        // packet (inspect skips them but numbers them the same way).
        let encap = golden.header.iter().position(|h| h == "frame.encap_type");
        let rows: Vec<&Vec<String>> =
            golden.rows.iter().filter(|r| encap.and_then(|i| r.get(i)).is_some_and(|v| !v.is_empty())).collect();
        if ours.len() != rows.len() {
            problems.push(format!("{file}: {} packets, tshark has {} ({})", ours.len(), rows.len(), run.stderr.trim_end()));
            continue;
        }
        for ((line, obj), row) in ours.iter().zip(rows) {
            packets += 1;
            let t: BTreeMap<String, String> = golden
                .header
                .iter()
                .zip(row.iter())
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let n = obj.get("frame.number").cloned().unwrap_or(Value::Null);
            // An A-MSDU: tshark lists the fields of every subframe's packet, one after the
            // other; inspect shows the first subframe's (the analyzers read them all).
            let amsdu = obj.get("wlan.qos.amsdupresent") == Some(&Value::from(1));
            for field in golden.header.iter().filter(|h| *h != "frame.encap_type") {
                let theirs = t.get(field);
                let mine = if field == "frame.time_epoch" { raw_time(line).map(Value::String) } else { obj.get(field).cloned() };
                match (mine, theirs) {
                    (Some(m), Some(v)) => {
                        compared += 1;
                        let want = match &m {
                            // A field of several layers (outer and inner headers of a tunnel):
                            // its values outermost first, as tshark aggregates them.
                            Value::Array(ours) if !LISTS.contains(&field.as_str()) => {
                                Value::Array(v.split(',').take(ours.len()).map(|x| norm_scalar(field, x)).collect())
                            }
                            _ if amsdu && !LISTS.contains(&field.as_str()) => normalize(field, v.split(',').next().unwrap_or(v)),
                            _ => normalize(field, v),
                        };
                        if m != want {
                            problems.push(format!("{file} #{n} {field}: ours {m}, tshark {want}"));
                        }
                    }
                    (Some(_), None) if aruba_9000(&t, field) => {}
                    (Some(m), None) => problems.push(format!("{file} #{n} {field}: ours {m}, tshark has none")),
                    (None, Some(v)) if !absence_explained(obj, &t, field) => {
                        problems.push(format!("{file} #{n} {field}: missing, tshark {v}"))
                    }
                    _ => {}
                }
            }
        }
    }
    note!("compared {compared} field values over {packets} packets of {} files", files.len());
    assert!(
        problems.is_empty(),
        "{} differences from tshark:\n{}",
        problems.len(),
        problems.iter().take(60).cloned().collect::<Vec<_>>().join("\n")
    );
    packets
}

/// The recorded captures of `captures/`, against tshark.
fn fields_match_tshark_on_captures() {
    let files: Vec<String> = golden_files().into_iter().filter(|f| f.starts_with("captures/")).collect();
    // Every capture but the floods (their own golden files), every wrapped tunnel and every
    // capture carried over 802.11.
    assert_eq!(files.len(), 32 + 20 + 3, "every capture of captures/ has golden fields: {files:?}");
    let packets = fields_match_tshark(&files);
    assert_eq!(packets, PACKETS_OF_CAPTURES, "packets compared");
}

/// The corpus files listed in the golden list, against tshark.
fn fields_match_tshark_on_the_corpus() {
    let files: Vec<String> = golden_files().into_iter().filter(|f| f.starts_with(CORPUS)).collect();
    assert!(files.len() >= 70, "only {} corpus files in the golden list", files.len());
    let packets = fields_match_tshark(&files);
    assert!(packets > 1800, "too few packets compared: {packets}");
}

/// Packets in the captures with golden files (`capinfos -c` of each, summed).
const PACKETS_OF_CAPTURES: usize = 1466 + 102 + 59 + 16 + 19 + 163 + 54 + 30 + 20 + 87 + 10 + 24 + 18 + 18;

/// Wrapped tunnels whose encapsulation tcpdump does not decode (it prints the outer UDP
/// datagram, GRE protocol number or EtherType and stops), so its lines cannot be compared.
const TCPDUMP_STOPS_AT: [&str; 10] = [
    "captures/tunnels/aruba-amsdu.pcap",
    "captures/tunnels/aruba-gre.pcap",
    "captures/tunnels/ayiya.pcap",
    "captures/tunnels/erspan-ii.pcap",
    "captures/tunnels/erspan-iii.pcap",
    "captures/tunnels/fabricpath.pcap",
    "captures/tunnels/gre-udp.pcap",
    "captures/tunnels/gtpu.pcap",
    "captures/tunnels/teredo.pcap",
    "captures/tunnels/vntag.pcap",
];

/// The packet lines of `inspect read` equal `tcpdump -n -r` on the captures recorded for this
/// project (plain TCP, UDP, ICMP and ARP, where tcpdump's text is fully specified by its headers)
/// and on the tunnels wrapped around them that tcpdump decodes (IP in IP, GRE, PPTP, Geneve,
/// VXLAN, MPLS, PPPoE: the outer headers then the inner packet, as tcpdump prints them).
fn lines_match_tcpdump_on_captures() {
    let mut problems = Vec::new();
    let files: Vec<String> = golden_files()
        .into_iter()
        .filter(|f| f.starts_with("captures/") && !f.starts_with("captures/wlan/") && !TCPDUMP_STOPS_AT.contains(&f.as_str()))
        .collect();
    assert_eq!(files.len(), 32 + 20 - TCPDUMP_STOPS_AT.len(), "{files:?}");
    for file in files {
        let path = root().join("tests/golden/lines").join(format!("{}.txt", golden_name(&file)));
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let stdout = inspect_ok(["read", &file]);
        // Events (ARP: "HH:MM:SS.ffffff arp: new station ...", SYN flood: "ALERT syn_flood ...")
        // are shown among the packets as they happen; tcpdump has no such lines.
        let event = |l: &&str| l.get(15..21) == Some(" arp: ") || l.starts_with("ALERT ");
        let got: Vec<&str> = stdout.lines().filter(|l| !event(l)).take(want.lines().count()).collect();
        for (i, (g, w)) in got.iter().zip(want.lines()).enumerate() {
            // The application layer's messages end a line on ports where tcpdump shows none.
            // TLS handshake messages read in clear end it too, by their names.
            let tls = ["ClientHello", "ServerHello", "HelloRetryRequest", "Certificate", "ServerKeyExchange", "CertificateRequest"];
            let tls2 = ["ServerHelloDone", "CertificateVerify", "ClientKeyExchange", "NewSessionTicket", "Finished", "TLS handshake type"];
            let app = |rest: &str| {
                rest.starts_with(": HTTP: ") || tls.iter().chain(&tls2).any(|m| rest.strip_prefix(": ").is_some_and(|r| r.starts_with(m)))
            };
            if *g != w && !g.strip_prefix(w).is_some_and(app) {
                problems.push(format!("{file} line {}:\n  ours    {g}\n  tcpdump {w}", i + 1));
            }
        }
        if got.len() != want.lines().count() {
            problems.push(format!("{file}: {} lines, tcpdump {}", got.len(), want.lines().count()));
        }
    }
    // tcpdump -v's lines where the golden script wrote them: the datagram an ICMP error quotes,
    // ICMPv6's checksums and neighbour discovery's options, each fragment's IP header (IPv6's
    // fragment identification), a tunnel's outer and inner headers, IPv4 options (ping's
    // timestamps and recorded route).
    let mut verbose = 0;
    let tunnels = golden_files().into_iter().filter(|f| f.starts_with("captures/tunnels/") && !TCPDUMP_STOPS_AT.contains(&f.as_str()));
    let plain = [
        "captures/fragments.pcap",
        "captures/icmp-errors.pcap",
        "captures/icmp6-errors.pcap",
        "captures/igmp.pcap",
        "captures/ip-options.pcap",
        "captures/udp-unreach.pcap",
        "captures/vxlan.pcap",
    ];
    let files: Vec<String> = plain.map(String::from).into_iter().chain(tunnels).collect();
    assert_eq!(files.len(), 7 + 20 - TCPDUMP_STOPS_AT.len(), "{files:?}");
    for file in &files {
        let file = file.as_str();
        let name = file.rsplit('/').next().unwrap_or(file);
        let path = root().join("tests/golden/lines").join(format!("{name}.v.txt"));
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let got = inspect_ok(["read", "-v", "--lines-only", file]);
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            verbose += 1;
            if g != w {
                problems.push(format!("{file} -v line {}:\n  ours    {g}\n  tcpdump {w}", i + 1));
            }
        }
        if got.lines().count() != want.lines().count() {
            problems.push(format!("{file} -v: {} lines, tcpdump {}", got.lines().count(), want.lines().count()));
        }
    }
    assert!(verbose >= 1000, "only {verbose} -v lines compared");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// IGMP's lines equal tcpdump's on the corpus's IGMPv1 trace too: v1 queries (no response
/// time) and v1 reports, which a Linux host no longer sends unasked (`captures/igmp.pcap` holds
/// the v2 and v3 messages).
fn igmp_lines_match_tcpdump_on_the_corpus() {
    let file = format!("{CORPUS}/tcpdump/IGMP_V1.pcap");
    let want = std::fs::read_to_string(root().join("tests/golden/lines/tcpdump_IGMP_V1.pcap.txt")).unwrap_or_else(|e| panic!("{e}"));
    let got = inspect_ok(["read", "--lines-only", &file]);
    assert!(want.lines().count() >= 20 && want.contains("igmp query v1"), "{want}");
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{file} line {}", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count());
}

/// The whole of the corpus's ICMPv6 trace under `read -v` equals tcpdump -v: echo, neighbour
/// and router discovery with their options, MLDv1 and MLDv2 reports and an MLDv2 query (its
/// response delay, querier's robustness and interval), after a hop-by-hop header.
fn icmpv6_lines_match_tcpdump_v() {
    let file = format!("{CORPUS}/tcpdump/icmpv6.pcap");
    let want = std::fs::read_to_string(root().join("tests/golden/lines/tcpdump_icmpv6.pcap.v.txt")).unwrap_or_else(|e| panic!("{e}"));
    let got = inspect_ok(["read", "-v", "--lines-only", &file]);
    assert!(want.contains("multicast listener query v2 [max resp delay="), "{want}");
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{file} -v line {}", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count());
}

/// `read -v` prints router advertisements as tcpdump -v does (the corpus files that carry them):
/// hop limit, flags, router preference, lifetime and timers, then each option (source
/// link-address, prefix info, MTU, RDNSS, DNSSL, route info, advertisement interval, home agent
/// information, an unknown one as a hex dump). Each router advertisement's text, its lines
/// included, is compared; the other packets of these files are not this test's.
fn router_advertisements_match_tcpdump_v() {
    let mut compared = 0;
    let mut options = 0;
    for name in ["icmpv6.pcap", "icmpv6-ra-pref64.pcap", "icmpv6_opt24.pcap"] {
        let file = format!("{CORPUS}/tcpdump/{name}");
        let path = root().join("tests/golden/lines").join(format!("tcpdump_{name}.v.txt"));
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let got = inspect_ok(["read", "-v", "--lines-only", &file]);
        // Each packet's text: its line and the indented lines after it.
        let packets = |text: &str| -> Vec<String> {
            let mut v: Vec<String> = Vec::new();
            for l in text.lines() {
                match v.last_mut() {
                    Some(p) if l.starts_with('\t') => {
                        p.push('\n');
                        p.push_str(l);
                    }
                    _ => v.push(l.to_string()),
                }
            }
            v
        };
        let (want, got) = (packets(&want), packets(&got));
        assert_eq!(got.len(), want.len(), "{file}: packets");
        for (g, w) in got.iter().zip(&want) {
            if w.contains("ICMP6, router advertisement") {
                assert_eq!(g, w, "{file}");
                compared += 1;
                options += w.matches(" option (").count();
            }
        }
    }
    assert_eq!((compared, options), (7, 31));
}

/// The packet lines of `inspect read` (and `read -e`) equal `tcpdump -n` (and `-e -n`) on the
/// captures carried over 802.11 (`scripts/wrap_wlan.py`): radiotap's fields, the 802.11 data
/// header's kind and addresses by To DS and From DS, LLC/SNAP, then the packet. Compared on the
/// data frames that carry a packet, as tshark's golden fields name them (`llc.type`), except those
/// with an HT control field (`wlan.fc.order`), which tcpdump 4.99 reads as LLC (it does not skip
/// the field) where tshark and inspect skip it. Management and protected frames are printed by
/// name only here.
fn wlan_lines_match_tcpdump() {
    let mut problems = Vec::new();
    let mut compared = 0;
    let files: Vec<String> = golden_files().into_iter().filter(|f| f.starts_with("captures/wlan/")).collect();
    assert_eq!(files.len(), 3, "{files:?}");
    for file in files {
        let golden = load_tsv(&root().join("tests/golden/decode").join(format!("{}.tsv", golden_name(&file))));
        let col = |name: &str| golden.header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column"));
        let (llc, order) = (col("llc.type"), col("wlan.fc.order"));
        let wanted: Vec<bool> = golden
            .rows
            .iter()
            .map(|r| r.get(llc).is_some_and(|v| !v.is_empty()) && r.get(order).map(String::as_str) == Some("0"))
            .collect();
        assert!(wanted.iter().filter(|w| **w).count() >= 15, "{file}: too few data frames");
        for (suffix, args) in [("txt", vec!["read", "--lines-only"]), ("e.txt", vec!["read", "-e", "--lines-only"])] {
            let path = root().join("tests/golden/lines").join(format!("{}.{suffix}", golden_name(&file)));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // tcpdump follows a frame it cannot print with a hex dump, each line indented.
            let want: Vec<&str> = text.lines().filter(|l| !l.starts_with('\t')).collect();
            let mut a = args.clone();
            a.push(&file);
            let stdout = inspect_ok(a);
            let got: Vec<&str> = stdout.lines().filter(|l| l.get(15..21) != Some(" arp: ")).collect();
            assert_eq!(got.len(), want.len(), "{file} {suffix}: one line per frame");
            for (i, ((g, w), keep)) in got.iter().zip(&want).zip(&wanted).enumerate() {
                if *keep {
                    compared += 1;
                    if g != w {
                        problems.push(format!("{file} {suffix} frame {}:\n  ours    {g}\n  tcpdump {w}", i + 1));
                    }
                }
            }
        }
    }
    assert!(compared >= 150, "only {compared} lines compared");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every capture file in `captures/` and the corpus, in name order.
fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("captures"), root().join(CORPUS)];
    while let Some(d) = dirs.pop() {
        let rd = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 400, "the captures and the whole corpus: {} files", files.len());
    files
}

/// Calls `f` with every frame of every file that opens (a file the reader refuses, or the
/// rest of one it stops reading, is the robustness tests' business); the frames seen.
fn each_frame(files: &[PathBuf], mut f: impl FnMut(&Path, &Frame<'_>)) -> u64 {
    let mut frames = 0u64;
    for path in files {
        let Ok(mut src) = FileSource::open(&path.to_string_lossy()) else { continue };
        let _ = src.for_each(|frame| {
            f(path, &frame);
            frames += 1;
            ControlFlow::Continue(())
        });
    }
    frames
}

/// Every frame of every capture in `captures/` and the corpus decodes to the same packet through
/// `decode`'s fast path for Ethernet/IPv4/TCP-or-UDP as through the general path, down to the
/// last field (compared through `Debug`); and the fast path is taken for some of them.
fn fast_path_equals_general_path() {
    use inspect::decode::{decode, decode_general};
    let files = corpus_files();
    let mut fast = 0u64;
    let frames = each_frame(&files, |path, frame| {
        let a = decode(frame);
        let b = decode_general(frame);
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "{} frame {}", path.display(), frame.number);
        if frame.linktype == 1 && (a.tcp().is_some() || a.udp().is_some()) {
            fast += 1;
        }
    });
    note!("{} files, {frames} frames, {fast} Ethernet TCP or UDP", files.len());
    assert!(frames > 1000 && fast > 100, "{frames} frames, {fast} Ethernet TCP/UDP");
}

/// The statistics count every frame of the corpus once under the name its packet gives as its
/// top protocol (`Packet::top`), fed the compact input made from the frame.
fn stats_count_each_frame_under_its_top_protocol() {
    use inspect::analyze::stats::StatsAnalyzer;
    use inspect::analyze::{Analyzer, Events};
    use inspect::decode::{decode, input};
    let mut names: BTreeMap<&'static str, u64> = BTreeMap::new();
    let frames = each_frame(&corpus_files(), |path, frame| {
        let top = decode(frame).top().name();
        let mut stats = StatsAnalyzer::default();
        let mut events = Events::default();
        stats.packet(&input(frame), &mut events);
        assert!(events.is_empty(), "{} frame {}: the statistics raise no event", path.display(), frame.number);
        let mut report = inspect::report::Report::default();
        let mut end = Vec::new();
        stats.finish(&mut report, &mut end);
        let counted = report.stats.protocols.iter().find(|(n, _)| n == top).map(|(_, c)| *c);
        assert_eq!(counted, Some(1), "{} frame {}: {top} in {:?}", path.display(), frame.number, report.stats.protocols);
        assert_eq!(report.stats.packets, 1, "{} frame {}", path.display(), frame.number);
        *names.entry(top).or_default() += 1;
    });
    note!("{frames} frames: {names:?}");
    // Every name a frame can have at the top occurs in the corpus, so each arm was checked.
    for n in ["arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "igmp", "other", "undecoded"] {
        assert!(names.contains_key(n), "no frame with {n} at the top: {names:?}");
    }
}

/// The compact input holds, for every frame of the corpus, the flow key and direction made from
/// the packet's addresses and ports (`FlowKey::new`), which it makes straight from the header's
/// address bytes, and gives back the packet's endpoints as sent; for ICMP the ports are Zeek's
/// (the type, and the counterpart type or the code) and a one-way message's key keeps its
/// sender first; frames without TCP, UDP or ICMP over IP have none.
fn input_keys_equal_the_packet_keys() {
    use etherparse::TransportSlice;
    use inspect::decode::key::{icmp_counterpart, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};
    use inspect::decode::{decode, input, Dir, FlowKey};
    let (mut keyed, mut v6, mut icmp) = (0u64, 0u64, 0u64);
    let frames = each_frame(&corpus_files(), |path, frame| {
        let p = decode(frame);
        let x = input(frame);
        let at = || format!("{} frame {}", path.display(), frame.number);
        let icmp_type = match &p.transport {
            Some(TransportSlice::Icmpv4(i)) => Some((IPPROTO_ICMP, i.type_u8(), i.code_u8())),
            Some(TransportSlice::Icmpv6(i)) => Some((IPPROTO_ICMPV6, i.type_u8(), i.code_u8())),
            _ => None,
        };
        let want = match (p.ip_addrs(), p.ports(), p.tcp().is_some(), p.udp().is_some(), icmp_type) {
            (Some((src, dst)), Some((_, sport, dport)), true, _, _) => Some((IPPROTO_TCP, src, sport, dst, dport, false)),
            (Some((src, dst)), Some((_, sport, dport)), _, true, _) => Some((IPPROTO_UDP, src, sport, dst, dport, false)),
            (Some((src, dst)), _, _, _, Some((proto, typ, code))) => {
                let (dport, one_way) = icmp_counterpart(proto == IPPROTO_ICMPV6, typ, code);
                Some((proto, src, typ as u16, dst, dport, one_way))
            }
            _ => None,
        };
        match (x.flow(), want) {
            (None, None) => {}
            (Some(s), Some((proto, src, sport, dst, dport, one_way))) => {
                let (key, dir) = FlowKey::new(proto, src, sport, dst, dport);
                if one_way {
                    assert_eq!((s.key.a(), s.key.b(), s.key.proto, s.from_a), ((src, sport), (dst, dport), proto, true), "{}", at());
                } else {
                    assert_eq!(s.key, key, "{}", at());
                    assert_eq!(s.from_a, dir == Dir::AtoB, "{}", at());
                }
                assert_eq!(s.tcp, proto == IPPROTO_TCP, "{}", at());
                assert_eq!((s.src(), s.dst()), ((src, sport), (dst, dport)), "{}", at());
                keyed += 1;
                v6 += u64::from(s.key.v6);
                icmp += u64::from(s.key.icmp());
            }
            (got, want) => panic!("{}: input flow {got:?}, packet {want:?}", at()),
        }
    });
    note!("{frames} frames, {keyed} TCP, UDP or ICMP ({v6} over IPv6, {icmp} ICMP)");
    assert!(keyed > 1000 && v6 > 100 && icmp > 20, "{keyed} keyed, {v6} IPv6, {icmp} ICMP");
}

/// `input(&frame)` (the common frame straight from etherparse's slices, every other through its
/// packet) equals `Input::of_packet(&decode(&frame))` on every frame of `captures/` and the
/// corpus, and the common frame is common there.
fn input_of_a_frame_equals_input_of_its_packet() {
    use inspect::decode::{decode, input, Input, Net};
    let (mut common, mut other) = (0u64, 0u64);
    let frames = each_frame(&corpus_files(), |path, frame| {
        let x = input(frame);
        let p = Input::of_packet(&decode(frame));
        assert_eq!(x, p, "{} frame {}", path.display(), frame.number);
        // The frames the fast way takes: Ethernet, IPv4, TCP or UDP.
        if frame.linktype == 1 && matches!(x.net, Net::Flow(f) if !f.key.v6) {
            common += 1;
        } else {
            other += 1;
        }
    });
    note!("{frames} frames, {common} Ethernet/IPv4/TCP-or-UDP, {other} others");
    assert!(common >= 1000, "only {common} Ethernet/IPv4/TCP-or-UDP frames");
    assert!(other > 0, "no frame of another kind");
}

/// The two lines `read -V` gives an ICMP header of `frame`, whitespace squeezed.
fn verbose_type_and_code(name: &str, frame: &[u8]) -> (String, String) {
    let dir = TempDir::new(name);
    let p = Pcap::micro().add(secs(1_700_000_000.0), frame).write(&dir, &format!("{name}.pcap"));
    let out = inspect(["read".as_ref(), "-V".as_ref(), p.as_os_str()]).ok();
    let squeezed: Vec<String> = out.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let find = |label: &str| {
        squeezed
            .iter()
            .find(|l| l.starts_with(label))
            .cloned()
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{out}"))
    };
    (find("Type "), find("Code "))
}

/// A port unreachable is type 3 (destination unreachable), code 3 (port unreachable): the type
/// is named by itself, not by its code 0's name.
fn verbose_names_icmp_port_unreachable_by_type_and_code() {
    let frame = icmp_port_unreachable([192, 0, 2, 1], 40000, [192, 0, 2, 2], 9999, b"probe");
    let (t, c) = verbose_type_and_code("icmp-unreach", &frame);
    assert_eq!(t, "Type 3 (destination unreachable)");
    assert_eq!(c, "Code 3 (port unreachable)");
}

/// ICMPv6 destination unreachable is type 1; port unreachable its code 4.
fn verbose_names_icmpv6_port_unreachable_by_type_and_code() {
    let a: [u8; 16] = "2001:db8::1".parse::<std::net::Ipv6Addr>().expect("an address").octets();
    let b: [u8; 16] = "2001:db8::2".parse::<std::net::Ipv6Addr>().expect("an address").octets();
    let frame = icmpv6_port_unreachable(a, 40000, b, 9999, b"probe");
    let (t, c) = verbose_type_and_code("icmpv6-unreach", &frame);
    assert_eq!(t, "Type 1 (destination unreachable)");
    assert_eq!(c, "Code 4 (port unreachable)");
}
