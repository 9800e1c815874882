//! `inspect read -f EXPR`: BPF filters on files. With the `libpcap` build the frames we keep
//! must be exactly those the real tcpdump keeps for the same expression (run here, not from a
//! golden file); without it, `-f` is refused in one line instead of being ignored.

use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;

use inspect::source::file::FileSource;

use crate::support::{inspect, json_lines, root, Need, Test, TempDir};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(filter_keeps_what_tcpdump_keeps, Need::Libpcap, Need::Tool("tcpdump")),
        trial!(bad_filter_is_a_usage_error, Need::Libpcap),
        trial!(filter_without_libpcap_is_refused, Need::PureRust),
    ]
}

const WEB: &str = "captures/web.pcap";

/// Every frame's bytes, read with our own reader (which fails on any broken record).
fn all_frames(path: &Path) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let mut src = FileSource::open(&path.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
    src.for_each(|f| {
        v.push(f.data.to_vec());
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    v
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

        let run = inspect(["read", "--format", "json", "-f", expr, WEB]);
        assert_eq!(run.code, Some(0), "{expr}: {}", run.stderr);
        let kept: Vec<Vec<u8>> = json_lines(&run.stdout)
            .iter()
            .filter(|v| v["event_type"] == "packet")
            .map(|v| {
                let n = v["frame.number"].as_u64().unwrap_or_else(|| panic!("a packet without frame.number: {v}"));
                original.get(n as usize - 1).cloned().unwrap_or_else(|| panic!("no frame {n} in {WEB}"))
            })
            .collect();
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

fn filter_without_libpcap_is_refused() {
    let run = inspect(["read", "-f", "tcp", WEB]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stderr.trim_end(), "inspect: -f 'tcp': filters need the libpcap build (cargo build --features libpcap)");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}
