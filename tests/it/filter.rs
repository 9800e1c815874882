//! Filters as tshark and tcpdump apply them: display filters (`-Y`) select the frames
//! `tshark -Y` selects and capture expressions (`-f`, or the words after the files) the frames
//! `tcpdump -r` selects, case by case from `tests/golden/filters/` (`scripts/golden_filters.sh`);
//! `-T fields` prints what tshark prints; `-w` writes what tcpdump and tshark read back as the
//! same frames; analyzer fields give every `--threads` value the same answer; and every error
//! points at its place. With the `libpcap` build, `-f` keeps exactly what the real tcpdump keeps.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;

use inspect::decode::decode;
use inspect::filter::{CaptureFilter, DisplayFilter, Note};
use inspect::source::file::FileSource;

use crate::support::{inspect, inspect_ok, json_lines, root, Need, Test, TempDir, CORPUS};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(display_filters_select_what_tshark_selects_on_captures),
        trial!(display_filters_select_what_tshark_selects_on_the_corpus, Need::Corpus),
        trial!(capture_expressions_select_what_tcpdump_selects_on_captures),
        trial!(capture_expressions_select_what_tcpdump_selects_on_the_corpus, Need::Corpus),
        trial!(the_binary_selects_as_the_library_does),
        trial!(fields_print_what_tshark_prints_on_captures),
        trial!(fields_print_what_tshark_prints_on_the_corpus, Need::Corpus),
        trial!(written_captures_read_back_in_tcpdump_and_tshark, Need::Tool("tcpdump"), Need::Tool("tshark")),
        trial!(write_to_standard_output_carries_only_the_capture),
        trial!(analyzer_fields_are_the_same_for_every_thread_count),
        trial!(analyzer_fields_say_what_the_analyzers_know),
        trial!(conns_shows_the_connections_of_the_packets_a_display_filter_shows),
        trial!(display_filters_leave_the_analysis_whole_and_expressions_do_not),
        trial!(filter_errors_point_at_the_place),
        trial!(filter_keeps_what_tcpdump_keeps, Need::Libpcap, Need::Tool("tcpdump")),
        trial!(bad_filter_is_a_usage_error, Need::Libpcap),
        trial!(what_only_libpcap_compiles_says_so, Need::PureRust),
    ]
}

const WEB: &str = "captures/web.pcap";

/// One frame as read: link type, bytes, wire length.
type Raw = (u32, Vec<u8>, u32, inspect::source::Ts, bool, u64);

fn frames(path: &str) -> Vec<Raw> {
    let mut v = Vec::new();
    let mut src = FileSource::open(&root().join(path).to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
    src.for_each(|f| {
        v.push((f.linktype, f.data.to_vec(), f.len, f.ts, f.ts_known, f.number));
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    v
}

/// The golden cases of `name`: (file, expression, frame numbers).
fn golden(name: &str) -> Vec<(String, String, Vec<u64>)> {
    let path = root().join("tests/golden/filters").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| {
            let mut it = l.split('\t');
            let (f, e, n) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
            let nums = n.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap_or_else(|_| panic!("{l}"))).collect();
            (f.to_string(), e.to_string(), nums)
        })
        .collect()
}

/// Whether a case's file is wanted (captures/ or the corpus).
fn wanted(file: &str, corpus: bool) -> bool {
    file.starts_with(CORPUS) == corpus
}

fn display_cases(corpus: bool) {
    let cases: Vec<_> = golden("display.tsv").into_iter().filter(|(f, ..)| wanted(f, corpus)).collect();
    assert!(cases.len() > if corpus { 800 } else { 500 }, "{} cases", cases.len());
    let mut cache: BTreeMap<String, Vec<Raw>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut selected = 0usize;
    for (file, expr, want) in &cases {
        let filter = DisplayFilter::new(expr).unwrap_or_else(|e| panic!("{file}: {e}"));
        if filter.needs().any() {
            // What the analyzers know (tcp.analysis.retransmission) comes from a run.
            let out = inspect_ok(["read", file.as_str(), "-Y", expr.as_str(), "-T", "fields", "-e", "frame.number"]);
            let got: Vec<u64> = out.lines().filter_map(|l| l.trim().parse().ok()).collect();
            selected += got.len();
            if &got != want {
                problems.push(format!("{file}: -Y {expr:?} (run): ours {got:?}, tshark {want:?}"));
            }
            continue;
        }
        let fs = cache.entry(file.clone()).or_insert_with(|| frames(file));
        let got: Vec<u64> = fs
            .iter()
            .filter(|(lt, data, len, ts, known, number)| {
                let f = inspect::source::Frame { number: *number, ts: *ts, linktype: *lt, len: *len, data, interface: 0, ts_known: *known };
                filter.matches(&decode(&f), &Note::default())
            })
            .map(|r| r.5)
            .collect();
        selected += got.len();
        if &got != want {
            problems.push(format!("{file}: -Y {expr:?}: ours {got:?}, tshark {want:?}"));
        }
    }
    note!("{} display filters, {selected} frames selected", cases.len());
    assert!(problems.is_empty(), "{} differences from tshark:\n{}", problems.len(), problems.join("\n"));
}

fn display_filters_select_what_tshark_selects_on_captures() {
    display_cases(false);
}

fn display_filters_select_what_tshark_selects_on_the_corpus() {
    display_cases(true);
}

fn capture_cases(corpus: bool) {
    let cases: Vec<_> = golden("capture.tsv").into_iter().filter(|(f, ..)| wanted(f, corpus)).collect();
    assert!(cases.len() > if corpus { 500 } else { 350 }, "{} cases", cases.len());
    let mut cache: BTreeMap<String, Vec<Raw>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (file, expr, want) in &cases {
        let fs = cache.entry(file.clone()).or_insert_with(|| frames(file));
        let mut filter = CaptureFilter::new(expr).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got: Vec<u64> = fs
            .iter()
            .filter(|(lt, data, len, ..)| filter.matches(*lt, data, *len).unwrap_or_else(|e| panic!("{file}: {expr}: {e}")))
            .map(|r| r.5)
            .collect();
        if &got != want {
            problems.push(format!("{file}: {expr:?}: ours {got:?}, tcpdump {want:?}"));
        }
    }
    assert!(problems.is_empty(), "{} differences from tcpdump:\n{}", problems.len(), problems.join("\n"));
}

fn capture_expressions_select_what_tcpdump_selects_on_captures() {
    capture_cases(false);
}

fn capture_expressions_select_what_tcpdump_selects_on_the_corpus() {
    capture_cases(true);
}

/// Frame numbers `inspect read ARGS` shows (with `-T fields -e frame.number`).
fn shown(args: &[&str]) -> Vec<u64> {
    let mut all = vec!["read", "-T", "fields", "-e", "frame.number"];
    all.extend_from_slice(args);
    inspect_ok(&all).lines().map(|l| l.parse().unwrap_or_else(|_| panic!("{l}"))).collect()
}

/// Through the whole pipeline (-Y on the reading or the writing thread, -f, the words after the
/// file), on every thread count, the binary shows the golden frames.
fn the_binary_selects_as_the_library_does() {
    let d = golden("display.tsv");
    let c = golden("capture.tsv");
    let mut checked = 0;
    for (file, expr, want) in d.iter().filter(|(f, ..)| f == WEB || f == "captures/mixed.pcapng" || f == "captures/udp-unreach.pcap") {
        for t in ["1", "2", "4"] {
            assert_eq!(&shown(&["--threads", t, "-Y", expr, file]), want, "{file} -Y {expr} --threads {t}");
        }
        checked += 1;
    }
    for (file, expr, want) in c.iter().filter(|(f, ..)| f == WEB || f == "captures/arp.pcap") {
        assert_eq!(&shown(&["-f", expr, file]), want, "{file} -f {expr}");
        let mut words = vec![file.as_str()];
        words.extend(expr.split(' '));
        assert_eq!(&shown(&words), want, "{file} {expr}");
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
}

/// tshark's `-T fields` sections of the golden file, by input.
fn golden_fields() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("tests/golden/filters/fields.tsv")).expect("fields.tsv");
    let mut out = BTreeMap::new();
    let mut cur: Option<(String, String)> = None;
    for l in text.lines() {
        if let Some(f) = l.strip_prefix("#FILE ") {
            if let Some((k, v)) = cur.take() {
                out.insert(k, v);
            }
            cur = Some((f.to_string(), String::new()));
        } else if let Some((_, v)) = cur.as_mut() {
            v.push_str(l);
            v.push('\n');
        }
    }
    if let Some((k, v)) = cur {
        out.insert(k, v);
    }
    out
}

fn fields_cases(corpus: bool) {
    let all = golden_fields();
    let mut problems = Vec::new();
    let mut lines = 0;
    for (file, want) in all.iter().filter(|(f, _)| wanted(f, corpus)) {
        let header = want.lines().next().unwrap_or("");
        let mut args = vec!["read", "-T", "fields", "-E", "header=y"];
        for f in header.split('\t') {
            args.extend(["-e", f]);
        }
        args.push(file);
        let got = inspect_ok(&args);
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            lines += 1;
            if g != w {
                problems.push(format!("{file} line {i}:\n  ours   {g}\n  tshark {w}"));
            }
        }
        if got.lines().count() != want.lines().count() {
            problems.push(format!("{file}: {} lines, tshark {}", got.lines().count(), want.lines().count()));
        }
    }
    note!("{lines} lines compared");
    assert!(problems.is_empty(), "{} differences from tshark:\n{}", problems.len(), problems.iter().take(40).cloned().collect::<Vec<_>>().join("\n"));
}

fn fields_print_what_tshark_prints_on_captures() {
    fields_cases(false);
}

fn fields_print_what_tshark_prints_on_the_corpus() {
    fields_cases(true);
}

/// `read -Y ... -w OUT` as pcap and pcapng: tcpdump and tshark read the frames inspect showed,
/// with their times and bytes.
fn written_captures_read_back_in_tcpdump_and_tshark() {
    let dir = TempDir::new("write");
    for (input, out, filter) in [(WEB, "web-tcp.pcap", "tcp.len > 0"), ("captures/web.pcapng", "web.pcapng", "tcp"), ("captures/mixed.pcapng", "mixed.pcap.pcapng", "!arp")] {
        let path = dir.join(out);
        let p = path.to_string_lossy().to_string();
        let shown_times = inspect_ok(["read", "-Y", filter, "-T", "fields", "-e", "frame.time_epoch", "-w", &p, input]);
        let tshark = Command::new("tshark").args(["-n", "-r", &p, "-T", "fields", "-e", "frame.time_epoch"]).output().expect("tshark");
        assert!(tshark.status.success(), "tshark {p}: {}", String::from_utf8_lossy(&tshark.stderr));
        assert_eq!(String::from_utf8_lossy(&tshark.stdout), shown_times, "tshark reads {out} back");
        let theirs = Command::new("tcpdump").args(["-n", "-r", &p]).env("TZ", "UTC").output().expect("tcpdump");
        assert!(theirs.status.success(), "tcpdump {p}: {}", String::from_utf8_lossy(&theirs.stderr));
        let lines = String::from_utf8_lossy(&theirs.stdout).lines().count();
        assert_eq!(lines, shown_times.lines().count(), "tcpdump reads {out} back");
        assert!(lines > 0);
        // The bytes too: the frames of the written file are the originals.
        let orig = frames(input);
        for (lt, data, len, ts, ..) in frames(&p) {
            assert!(orig.iter().any(|o| o.0 == lt && o.1 == data && o.2 == len && o.3 == ts), "{out}: a frame not in {input}");
        }
    }
}

fn write_to_standard_output_carries_only_the_capture() {
    let run = inspect(["read", "-Y", "tcp.flags.syn == 1", "-w", "-", WEB]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let dir = TempDir::new("stdout");
    let p = dir.write("out.pcap", &run.out_bytes);
    let back: Vec<u64> = frames(&p.to_string_lossy()).iter().map(|f| f.3.sec as u64 * 1_000_000 + u64::from(f.3.nsec) / 1000).collect();
    let want = shown(&["-Y", "tcp.flags.syn == 1", WEB]);
    assert_eq!(back.len(), want.len(), "only the capture on standard output");
    assert_eq!(&run.out_bytes[..4], &0xa1b2_3c4du32.to_le_bytes());
}

/// Filters on what the analyzers know print the same for 1, 2 and 4 threads.
fn analyzer_fields_are_the_same_for_every_thread_count() {
    for (file, expr) in [
        ("captures/synflood.pcap", "alert"),
        ("captures/synflood.pcap", "alert && tcp.flags.ack == 1"),
        ("captures/synflood.pcap", "conn.state == \"S0\" && !alert"),
        (WEB, "tcp.state == \"ESTABLISHED\""),
        ("captures/refused.pcap", "conn.state == REJ"),
        ("captures/handshake-nano.pcap", "conn.history contains \"h\""),
    ] {
        let one = inspect_ok(["read", "--threads", "1", "-Y", expr, file]);
        for t in ["2", "3", "4"] {
            assert_eq!(inspect_ok(["read", "--threads", t, "-Y", expr, file]), one, "{file} -Y {expr} --threads {t}");
        }
    }
}

/// `conn.uid` is the uid of the connection record; `tcp.state` is the sender's state after the
/// packet (a SYN leaves its sender in SYN_SENT, the SYN-ACK leaves its sender in SYN_RCVD);
/// `conn.state` is Zeek's so far; `alert` holds only while an alert is open on the target.
fn analyzer_fields_say_what_the_analyzers_know() {
    let f = |args: &[&str]| inspect_ok(args);
    let syn = f(&["read", "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields", "-e", "tcp.state", "-e", "conn.state", WEB]);
    assert_eq!(syn, "SYN_SENT\tS0\nSYN_SENT\tS0\n");
    let synack = f(&["read", "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 1", "-T", "fields", "-e", "tcp.state", "-e", "conn.history", WEB]);
    assert_eq!(synack, "SYN_RCVD\tSh\nSYN_RCVD\tSh\n");
    let uids: Vec<String> = f(&["read", "-T", "fields", "-e", "conn.uid", "-Y", "tcp", WEB]).lines().map(str::to_string).collect();
    let records: Vec<String> = json_lines(&f(&["conns", "--format", "json", WEB]))
        .iter()
        .filter(|v| v["event_type"] == "conn")
        .map(|v| v["uid"].as_str().unwrap_or("").to_string())
        .collect();
    for u in &uids {
        assert!(records.contains(u), "{u} is a connection's uid: {records:?}");
    }
    assert_eq!(records.len(), 2);
    let (a, total) = (shown(&["-Y", "alert", "captures/synflood.pcap"]).len(), shown(&["-Y", "tcp", "captures/synflood.pcap"]).len());
    assert!(a > 0 && a < total, "alert holds for {a} of {total} TCP frames");
}

/// -Y only filters what is shown: the summary counts every frame. A capture expression filters
/// the input: the analyzers never see the rest.
fn display_filters_leave_the_analysis_whole_and_expressions_do_not() {
    let summary = |args: &[&str]| {
        let out = inspect_ok(args);
        out.lines().find(|l| l.starts_with("Summary:")).unwrap_or_default().to_string()
    };
    assert!(summary(&["read", "-q", "-Y", "arp", WEB]).starts_with("Summary: 24 packets"));
    assert!(summary(&["read", "-q", "-f", "arp", WEB]).starts_with("Summary: 2 packets"));
    assert!(summary(&["read", "-q", WEB, "arp"]).starts_with("Summary: 2 packets"));
    let q = inspect_ok(["read", "-q", "-Y", "arp", WEB]);
    assert!(q.contains("Display filter \"arp\": 2 of 24 packets shown"), "{q}");
    let j = json_lines(&inspect_ok(["read", "-q", "--format", "json", "-Y", "arp", WEB]));
    let stats = j.iter().find(|v| v["event_type"] == "stats").expect("stats");
    assert_eq!((stats["displayed"].as_u64(), stats["packets"].as_u64()), (Some(2), Some(24)));
}

fn filter_errors_point_at_the_place() {
    for (args, first, caret) in [
        (vec!["-Y", "tcp.prot == 80"], "inspect: -Y \"tcp.prot == 80\": tcp.prot is neither a field nor a protocol name", "    ^~~~~~~~"),
        (vec!["-Y", "tcp.port == 80 &&"], "inspect: -Y \"tcp.port == 80 &&\": the filter ends too early", "                     ^"),
        (vec!["-Y", "tcp.port == 99999"], "inspect: -Y \"tcp.port == 99999\": \"99999\" is too big for tcp.port, at most 65535", "                ^~~~~"),
        (vec!["-Y", "ip.src == 10.0.0.1/33"], "inspect: -Y \"ip.src == 10.0.0.1/33\": \"/33\": an IPv4 prefix is 0 to 32 bits", "              ^~~~~~~~~~~"),
        (vec!["-Y", "ip.addr == \"10.0.0.1\""], "inspect: -Y \"ip.addr == \"10.0.0.1\"\": ip.addr is a IPv4 address: it cannot be compared with the string \"10.0.0.1\"", "               ^~~~~~~~~~"),
        (vec!["-Y", "tcp matches \"(\""], "inspect: -Y \"tcp matches \"(\"\": bad regular expression: unclosed group", "                ^~~"),
        (vec!["-f", "tcp port banana"], "inspect: -f 'tcp port banana': \"banana\" is not a port number or a known service name", "             ^~~~~~"),
        (vec!["-f", "host example.com"], "inspect: -f 'host example.com': \"example.com\" is not an address; host names are not looked up in this build, and the libpcap build handles it (cargo build --features libpcap)", "         ^~~~~~~~~~~"),
        (vec!["-f", "tcp and"], "inspect: -f 'tcp and': the expression ends too early", "           ^"),
    ] {
        if cfg!(feature = "libpcap") && args[0] == "-f" {
            continue;
        }
        let mut all = vec!["read"];
        all.extend(&args);
        all.push(WEB);
        let run = inspect(&all);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.first().copied(), Some(first), "{args:?}");
        assert_eq!(lines.get(2).copied(), Some(caret), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    for (args, msg) in [
        (vec!["-T", "fields", "-e", "ip.sorc", WEB], "inspect: -e ip.sorc: ip.sorc is not a field inspect knows"),
        (vec!["-T", "fields", "-e", "ip.src", "-E", "colour=red", WEB], "inspect: -E colour=red: not an option tshark's -E takes (separator, aggregator, header, occurrence, quote)"),
        (vec!["-T", "fields", WEB], "inspect: -T fields needs at least one -e FIELD"),
        (vec!["-f", "tcp", WEB, "udp"], "inspect: two capture expressions: -f 'tcp' and 'udp' after the files; give one"),
    ] {
        let mut all = vec!["read"];
        all.extend(&args);
        let run = inspect(&all);
        assert_eq!((run.code, run.stderr.trim_end()), (Some(2), msg), "{args:?}");
    }
}

/// Every frame's bytes, read with our own reader (which fails on any broken record).
fn all_frames(path: &Path) -> Vec<Vec<u8>> {
    frames(&path.to_string_lossy()).into_iter().map(|f| f.1).collect()
}

fn filter_keeps_what_tcpdump_keeps() {
    let original = all_frames(&root().join(WEB));
    let dir = TempDir::new("filter");
    let mut nonempty = 0;
    for expr in ["tcp", "arp", "tcp[tcpflags] & tcp-syn != 0", "src host 10.0.0.1 and tcp", "udp"] {
        let theirs = dir.join("tcpdump.pcap");
        let st = Command::new("tcpdump").args(["-r", WEB, "-w"]).arg(&theirs).arg(expr).current_dir(root()).output();
        match st {
            Ok(o) => assert!(o.status.success(), "tcpdump {expr}: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("tcpdump {expr}: {e}"),
        }
        let expected = all_frames(&theirs);
        let kept: Vec<Vec<u8>> = shown(&["-f", expr, WEB]).iter().map(|n| original[*n as usize - 1].clone()).collect();
        assert_eq!(kept, expected, "-f {expr:?}");
        nonempty += usize::from(!expected.is_empty());
    }
    // web.pcap holds no UDP: every other expression keeps something.
    assert_eq!(nonempty, 4, "expressions that kept frames");
}

fn bad_filter_is_a_usage_error() {
    let run = inspect(["read", "-f", "tcp port banana", WEB]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.starts_with("inspect: -f 'tcp port banana': "), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

/// The pure-Rust build's compiler refuses what only libpcap's handles, naming the libpcap build.
fn what_only_libpcap_compiles_says_so() {
    for expr in ["host localhost", "gateway router1", "broadcast", "mpls 100"] {
        let run = inspect(["read", "-f", expr, WEB]);
        assert_eq!(run.code, Some(2), "{expr}: {}", run.stderr);
        assert!(run.stderr.lines().next().unwrap_or("").contains("libpcap build"), "{expr}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

/// `conns -Y`: the connections listed are exactly those of the packets `read -Y` shows (their
/// `conn.uid`), in the streamed table, the sorted one and JSON; the totals still count all.
fn conns_shows_the_connections_of_the_packets_a_display_filter_shows() {
    use std::collections::BTreeSet;
    let cases = [
        ("captures/web.pcap", "tcp.port == 8080"),
        ("captures/web.pcap", "arp"),
        ("captures/ping.pcap", "icmp.type == 8"),
        ("captures/ping.pcap", "udp"),
        ("captures/reuse.pcap", "tcp.analysis.retransmission"),
        ("captures/reuse.pcap", "tcp.flags.syn == 1 && tcp.flags.ack == 1"),
        ("captures/ping.pcap", "conn.state == \"S0\""),
        ("captures/synflood.pcap", "tcp.state == \"ESTABLISHED\" || tcp.flags.reset == 1"),
        ("captures/mixed.pcapng", "!tcp"),
    ];
    for (file, f) in cases {
        let from_packets: BTreeSet<String> = inspect_ok(["read", file, "-Y", f, "-T", "fields", "-e", "conn.uid"])
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        let json = inspect_ok(["conns", file, "-Y", f, "--format", "json"]);
        let objs = json_lines(&json);
        let listed: BTreeSet<String> =
            objs.iter().filter(|o| o["event_type"] == "conn").filter_map(|o| o["uid"].as_str().map(String::from)).collect();
        assert_eq!(listed, from_packets, "{file} -Y {f}");
        let all = json_lines(&inspect_ok(["conns", file, "--format", "json"])).iter().filter(|o| o["event_type"] == "conn").count();
        assert!(listed.len() < all || f == "!tcp", "{file} -Y {f}: the filter should leave some out");
        // The text tables, streamed and sorted, list as many rows, and say how many of all.
        for extra in [&[][..], &["--sort", "bytes"][..]] {
            let mut args = vec!["conns", file, "-Y", f, "--format", "tsv"];
            args.extend_from_slice(extra);
            let text = inspect_ok(&args);
            let rows = text.lines().filter(|l| l.split('\t').nth(1).is_some_and(|p| ["tcp", "udp", "icmp"].contains(&p))).count();
            assert_eq!(rows, listed.len(), "{args:?}:\n{text}");
            let summary = format!("Display filter {f:?}: {} of {all} connection", listed.len());
            assert!(text.contains(&summary), "{args:?}: no {summary:?} in\n{text}");
        }
    }
}
