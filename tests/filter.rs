//! `inspect read -f EXPR`: BPF filters on files. With the `libpcap` feature the frames we keep
//! must be exactly those tcpdump keeps for the same expression; without it, `-f` is refused in
//! one line instead of being ignored.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_inspect");
const WEB: &str = "captures/web.pcap";

#[cfg(feature = "libpcap")]
#[test]
fn filter_keeps_what_tcpdump_keeps() {
    use std::ops::ControlFlow;

    use inspect::source::file::FileSource;

    let all_frames = |path: &str| {
        let mut v = Vec::new();
        let mut src = FileSource::open(path).unwrap_or_else(|e| panic!("{e}"));
        src.for_each(|f| {
            v.push(f.data.to_vec());
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        v
    };
    if Command::new("tcpdump").arg("--version").output().is_err() {
        eprintln!("skipping filter_keeps_what_tcpdump_keeps: tcpdump is not installed");
        return;
    }
    let original = all_frames(WEB);
    let dir = std::env::temp_dir().join(format!("inspect-filter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    for expr in [
        "tcp",
        "arp",
        "tcp[tcpflags] & tcp-syn != 0",
        "src host 10.0.0.1 and tcp",
        "udp",
    ] {
        let theirs = dir.join("tcpdump.pcap");
        let st = Command::new("tcpdump")
            .args(["-r", WEB, "-w"])
            .arg(&theirs)
            .arg(expr)
            .output();
        assert!(st.is_ok_and(|o| o.status.success()), "tcpdump {expr}");
        let expected = all_frames(&theirs.to_string_lossy());

        let out = Command::new(BIN)
            .args(["read", "--format", "json", "-f", expr, WEB])
            .output();
        let out = out.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "{expr}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let kept: Vec<Vec<u8>> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["event_type"] == "packet")
            .filter_map(|v| v["frame.number"].as_u64())
            .filter_map(|n| original.get(n as usize - 1).cloned())
            .collect();
        assert_eq!(kept, expected, "-f {expr:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "libpcap")]
#[test]
fn bad_filter_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["read", "-f", "tcp port banana", WEB])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("inspect: -f 'tcp port banana': "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[cfg(not(feature = "libpcap"))]
#[test]
fn filter_without_libpcap_is_refused() {
    let out = Command::new(BIN)
        .args(["read", "-f", "tcp", WEB])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "inspect: -f 'tcp': filters need the libpcap build (cargo build --features libpcap)"
    );
    assert!(out.stdout.is_empty());
}
