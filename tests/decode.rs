//! Conformance of decoding against real tools, without the tools installed: tshark's field values
//! and tcpdump's lines, written into `tests/golden/` by `scripts/golden_decode.sh`, are compared
//! with what `inspect read --format json` and `inspect read` print, packet by packet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn inspect(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_inspect")).args(args).current_dir(root()).output().expect("run inspect");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn golden_files() -> Vec<String> {
    let list = std::fs::read_to_string(root().join("tests/golden/decode/FILES")).expect("golden list");
    let files: Vec<String> = list.lines().map(str::to_string).collect();
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "../shared/corpus must exist in CI");
        eprintln!("skipping corpus files: ../shared/corpus is absent");
        return files.into_iter().filter(|f| !f.starts_with("../shared")).collect();
    }
    files
}

fn golden_name(file: &str) -> String {
    file.trim_start_matches("../shared/corpus/").replace('/', "_")
}

/// tshark fields that hold a list of every occurrence (tags), compared whole.
const LISTS: [&str; 2] = ["vlan.id", "ieee8021ad.id"];

/// Fields whose value is a boolean in Wireshark.
const BOOLEAN: [&str; 2] = ["ip.flags.df", "ip.flags.mf"];

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

#[test]
fn fields_match_tshark() {
    let mut problems: Vec<String> = Vec::new();
    let mut compared = 0usize;
    let mut packets = 0usize;
    for file in golden_files() {
        let golden = load_tsv(&root().join("tests/golden/decode").join(format!("{}.tsv", golden_name(&file))));
        let (stdout, stderr, _) = inspect(&["read", "--format", "json", &file]);
        let ours: Vec<(String, serde_json::Map<String, Value>)> = stdout
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
            problems.push(format!("{file}: {} packets, tshark has {} ({stderr})", ours.len(), rows.len()));
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
            for field in golden.header.iter().filter(|h| *h != "frame.encap_type") {
                let theirs = t.get(field);
                let mine = if field == "frame.time_epoch" { raw_time(line).map(Value::String) } else { obj.get(field).cloned() };
                match (mine, theirs) {
                    (Some(m), Some(v)) => {
                        compared += 1;
                        let want = normalize(field, v);
                        if m != want {
                            problems.push(format!("{file} #{n} {field}: ours {m}, tshark {want}"));
                        }
                    }
                    (Some(m), None) => problems.push(format!("{file} #{n} {field}: ours {m}, tshark has none")),
                    (None, Some(v)) if !absence_explained(obj, &t, field) => {
                        problems.push(format!("{file} #{n} {field}: missing, tshark {v}"))
                    }
                    _ => {}
                }
            }
        }
    }
    eprintln!("compared {compared} field values over {packets} packets");
    assert!(packets > 2000, "too few packets compared: {packets}");
    assert!(problems.is_empty(), "{} differences from tshark:\n{}", problems.len(), problems.iter().take(60).cloned().collect::<Vec<_>>().join("\n"));
}

/// The packet lines of `inspect read` equal `tcpdump -n -r` on the captures recorded for this
/// project (plain TCP, UDP, ICMP and ARP, where tcpdump's text is fully specified by its headers).
#[test]
fn lines_match_tcpdump_on_captures() {
    let mut problems = Vec::new();
    for file in golden_files().into_iter().filter(|f| f.starts_with("captures/")) {
        let want = std::fs::read_to_string(root().join("tests/golden/lines").join(format!("{}.txt", golden_name(&file)))).expect("golden lines");
        let (stdout, _, code) = inspect(&["read", &file]);
        assert_eq!(code, 0, "{file}");
        // Events (ARP: "HH:MM:SS.ffffff arp: new station ...", SYN flood: "ALERT syn_flood ...")
        // are shown among the packets as they happen; tcpdump has no such lines.
        let event = |l: &&str| l.get(15..21) == Some(" arp: ") || l.starts_with("ALERT ");
        let got: Vec<&str> = stdout.lines().filter(|l| !event(l)).take(want.lines().count()).collect();
        for (i, (g, w)) in got.iter().zip(want.lines()).enumerate() {
            if *g != w {
                problems.push(format!("{file} line {}:\n  ours    {g}\n  tcpdump {w}", i + 1));
            }
        }
        if got.len() != want.lines().count() {
            problems.push(format!("{file}: {} lines, tcpdump {}", got.len(), want.lines().count()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every frame of every capture in `captures/` and the corpus decodes to the same packet through
/// `decode`'s fast path for Ethernet/IPv4/TCP-or-UDP as through the general path, down to the
/// last field (compared through `Debug`); and the fast path is taken for some of them.
#[test]
fn fast_path_equals_general_path() {
    use inspect::decode::{decode, decode_general};
    use inspect::source::file::FileSource;
    let files = corpus_files();
    let (mut frames, mut fast) = (0u64, 0u64);
    for f in &files {
        let Ok(mut src) = FileSource::open(&f.to_string_lossy()) else { continue };
        let _ = src.for_each(|frame| {
            let a = decode(&frame);
            let b = decode_general(&frame);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{} frame {}", f.display(), frame.number);
            frames += 1;
            if frame.linktype == 1 && (a.tcp().is_some() || a.udp().is_some()) {
                fast += 1;
            }
            std::ops::ControlFlow::Continue(())
        });
    }
    eprintln!("{} files, {frames} frames, {fast} Ethernet TCP or UDP", files.len());
    assert!(frames > 1000 && fast > 100, "{frames} frames, {fast} Ethernet TCP/UDP");
}

/// Every capture file in `captures/` and the corpus, in name order.
fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("captures"), root().join("../shared/corpus")];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
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
    assert!(!files.is_empty());
    files
}

/// The statistics count every frame of the corpus once under the name its packet gives as its
/// top protocol (`Packet::top_protocol`), whatever way they find it.
#[test]
fn stats_count_each_frame_under_its_top_protocol() {
    use inspect::analyze::stats::StatsAnalyzer;
    use inspect::analyze::Analyzer;
    use inspect::decode::decode;
    use inspect::source::file::FileSource;
    let mut names: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut frames = 0u64;
    for f in corpus_files() {
        let Ok(mut src) = FileSource::open(&f.to_string_lossy()) else { continue };
        let _ = src.for_each(|frame| {
            let p = decode(&frame);
            let mut stats = StatsAnalyzer::default();
            stats.packet(&p, &mut Vec::new());
            let mut report = inspect::report::Report::default();
            stats.finish(&mut report, &mut Vec::new());
            let top = p.top_protocol();
            let counted = report.stats.protocols.iter().find(|(n, _)| n == top).map(|(_, c)| *c);
            assert_eq!(counted, Some(1), "{} frame {}: {top}", f.display(), frame.number);
            *names.entry(top).or_default() += 1;
            frames += 1;
            std::ops::ControlFlow::Continue(())
        });
    }
    eprintln!("{frames} frames: {names:?}");
    // Every name a frame can have at the top occurs in the corpus, so each arm was checked.
    for n in ["arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "igmp", "other", "undecoded"] {
        assert!(names.contains_key(n), "no frame with {n} at the top: {names:?}");
    }
}

/// The tracker's input holds, for every frame of the corpus, the flow key and direction made from
/// the packet's addresses (`FlowKey::of_packet`), which it now makes straight from the header's
/// address bytes, and gives back the packet's endpoints as sent; frames without TCP or UDP over
/// IP have none.
#[test]
fn tracker_input_keys_equal_the_packet_keys() {
    use inspect::analyze::conn::ConnInput;
    use inspect::analyze::flow::{endpoints, Dir, FlowKey};
    use inspect::decode::decode;
    use inspect::source::file::FileSource;
    let (mut frames, mut keyed, mut v6) = (0u64, 0u64, 0u64);
    for f in corpus_files() {
        let Ok(mut src) = FileSource::open(&f.to_string_lossy()) else { continue };
        let _ = src.for_each(|frame| {
            let p = decode(&frame);
            let x = ConnInput::of_packet(&p);
            let want = FlowKey::of_packet(&p);
            let got = x.flow.map(|s| (s.key, if s.from_a { Dir::AtoB } else { Dir::BtoA }));
            assert_eq!(got, want, "{} frame {}", f.display(), frame.number);
            if let Some(s) = x.flow {
                let (_, src, dst) = endpoints(&p).expect("endpoints of a keyed packet");
                assert_eq!((s.src(), s.dst()), (src, dst), "{} frame {}", f.display(), frame.number);
                keyed += 1;
                v6 += s.key.v6 as u64;
            }
            frames += 1;
            std::ops::ControlFlow::Continue(())
        });
    }
    eprintln!("{frames} frames, {keyed} TCP or UDP ({v6} over IPv6)");
    assert!(keyed > 1000 && v6 > 100, "{keyed} keyed, {v6} IPv6");
}

/// For every frame of the corpus that `decode::fast` slices, the tracker's input, the statistics
/// and the ARP table's time made from the slices (what the two-thread `read -q` does) are those
/// made from the packet `decode` makes of it; the other frames it leaves to the general way.
#[test]
fn fast_frames_give_what_their_packets_give() {
    use inspect::analyze::arp::{ArpAnalyzer, ArpConfig};
    use inspect::analyze::conn::ConnInput;
    use inspect::analyze::stats::StatsAnalyzer;
    use inspect::analyze::Analyzer;
    use inspect::decode::{decode, fast};
    use inspect::source::file::FileSource;
    let (mut frames, mut fast_frames) = (0u64, 0u64);
    for f in corpus_files() {
        let Ok(mut src) = FileSource::open(&f.to_string_lossy()) else { continue };
        let (mut by_packet, mut by_slices) = (StatsAnalyzer::default(), StatsAnalyzer::default());
        let (mut arp_packet, mut arp_slices) = (ArpAnalyzer::new(ArpConfig::default()), ArpAnalyzer::new(ArpConfig::default()));
        let _ = src.for_each(|frame| {
            let p = decode(&frame);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            by_packet.packet(&p, &mut a);
            arp_packet.packet(&p, &mut a);
            match fast(&frame) {
                Some(s) => {
                    let want = format!("{:?}", ConnInput::of_packet(&p));
                    assert_eq!(format!("{:?}", ConnInput::of_fast(&s, frame.ts, frame.len)), want, "{} frame {}", f.display(), frame.number);
                    by_slices.fast_frame(&frame, &s);
                    assert!(arp_slices.ip_frame(frame.ts, &mut b), "the ARP table takes an IP frame by its time");
                    fast_frames += 1;
                }
                None => {
                    by_slices.packet(&p, &mut b);
                    arp_slices.packet(&p, &mut b);
                }
            }
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{} frame {}", f.display(), frame.number);
            frames += 1;
            std::ops::ControlFlow::Continue(())
        });
        let report = |s: &mut StatsAnalyzer, arp: &mut ArpAnalyzer| {
            let mut r = inspect::report::Report::default();
            let mut evs = Vec::new();
            s.finish(&mut r, &mut evs);
            arp.finish(&mut r, &mut evs);
            format!("{:?} {:?} {evs:?}", r.stats, r.arp)
        };
        assert_eq!(report(&mut by_slices, &mut arp_slices), report(&mut by_packet, &mut arp_packet), "{}", f.display());
    }
    eprintln!("{frames} frames, {fast_frames} sliced the fast way");
    assert!(fast_frames > 1000 && frames > fast_frames + 1000, "{fast_frames} of {frames}");
}
