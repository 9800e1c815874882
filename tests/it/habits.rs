//! The flags tcpdump and tshark users type by habit: each gives what tcpdump prints
//! (`tests/golden/habits/`, from `scripts/golden_habits.sh`) or what its help says, and none
//! draws clap's "to pass '-v' as a value" tip. Also `-q` (counts, no tables), `-L` (packet lines
//! only), `--format tsv`, and `conns --sort/--top`.

use crate::support::{inspect, inspect_ok, json_lines, root, Need, Test, TempDir, BIN};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(habit_flags_print_what_tcpdump_prints),
        trial!(time_formats_follow_local_time_when_asked),
        trial!(snap_length_cuts_frames_and_zero_keeps_them_whole),
        trial!(read_file_flag_and_count_and_line_buffering),
        trial!(tshark_output_formats),
        trial!(no_clap_tip_for_habit_flags),
        trial!(quiet_keeps_the_counts_without_tables),
        trial!(lines_only_prints_packet_lines_alone),
        trial!(tsv_prints_every_table_tab_separated),
        trial!(conns_sort_and_top),
        trial!(tables_fit_a_narrow_terminal, Need::Tool("script"), Need::Tool("stty")),
    ]
}

const FILES: [&str; 4] = ["web.pcap", "udp-unreach.pcap", "refused.pcap", "arp.pcap"];
const FLAGS: [&str; 16] = ["-nn", "-t", "-tt", "-ttt", "-tttt", "-ttttt", "-x", "-xx", "-X", "-XX", "-A", "-v", "-vv", "-e", "-S", "-#"];

fn habit_flags_print_what_tcpdump_prints() {
    let mut compared = 0;
    for f in FILES {
        for flag in FLAGS {
            let want = std::fs::read_to_string(root().join(format!("tests/golden/habits/{f}{flag}.txt"))).expect("golden");
            let got = inspect_ok(["read", "-L", flag, &format!("captures/{f}")]);
            assert_eq!(got, want, "inspect read -L {flag} captures/{f} against tcpdump -n {flag}");
            compared += want.lines().count();
        }
    }
    note!("{compared} lines equal tcpdump's");
}

fn time_formats_follow_local_time_when_asked() {
    let utc = inspect_ok(["read", "-L", "-c", "1", "-tttt", "captures/web.pcap"]);
    assert!(utc.starts_with("2026-11-22 11:20:24.223067 ARP"), "{utc}");
    let out = crate::support::command()
        .args(["read", "-L", "-c", "1", "-tttt", "--local-time", "captures/web.pcap"])
        .env("TZ", "Asia/Tokyo")
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout).get(..26), Some("2026-11-22 20:20:24.223067"));
    let plain = crate::support::command().args(["read", "-L", "-c", "1", "--local-time", "captures/web.pcap"]).env("TZ", "America/New_York").output().expect("run");
    assert!(String::from_utf8_lossy(&plain.stdout).starts_with("06:20:24.223067 ARP"), "{}", String::from_utf8_lossy(&plain.stdout));
}

fn snap_length_cuts_frames_and_zero_keeps_them_whole() {
    let caplens = |s: &str| -> Vec<u64> {
        json_lines(&inspect_ok(["read", "--format", "json", "-s", s, "captures/web.pcap"]))
            .iter()
            .filter(|v| v["event_type"] == "packet")
            .map(|v| v["frame.cap_len"].as_u64().unwrap_or(0))
            .collect()
    };
    assert!(caplens("60").iter().all(|c| *c <= 60));
    assert!(caplens("60").contains(&60));
    assert_eq!(caplens("0"), caplens("262144"));
    assert!(caplens("0").iter().any(|c| *c > 100));
    assert_eq!(inspect(["read", "-s", "300000", "captures/web.pcap"]).code, Some(2));
}

fn read_file_flag_and_count_and_line_buffering() {
    let a = inspect_ok(["read", "-L", "-c", "5", "captures/web.pcap"]);
    let b = inspect_ok(["read", "-L", "-l", "-c", "5", "-r", "captures/web.pcap"]);
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 5);
    // After -r every word is the expression, as in tcpdump.
    let c = inspect_ok(["read", "-L", "-r", "captures/web.pcap", "arp"]);
    assert_eq!(c.lines().count(), 2);
    let d = inspect_ok(["read", "-L", "-nn", "-vvv", "captures/web.pcap", "tcp", "port", "8080"]);
    assert_eq!(d.lines().filter(|l| !l.starts_with(' ') && !l.starts_with('\t')).count(), 10);
}

fn tshark_output_formats() {
    let a = inspect_ok(["read", "-T", "json", "captures/web.pcap"]);
    let b = inspect_ok(["read", "--format", "json", "captures/web.pcap"]);
    assert_eq!(a, b);
    let f = inspect_ok(["read", "-T", "fields", "-e", "ip.src", "-e", "tcp.dstport", "-E", "separator=,", "-E", "header=y", "-Y", "tcp.flags.syn == 1", "captures/web.pcap"]);
    assert_eq!(f, "ip.src,tcp.dstport\n10.0.0.1,80\n10.0.0.2,41710\n10.0.0.1,8080\n10.0.0.2,43734\n");
    // Without -T fields, -e is tcpdump's link-header flag.
    let e = inspect_ok(["read", "-L", "-e", "-c", "1", "captures/web.pcap"]);
    assert!(e.contains("02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff"), "{e}");
    // The tcp.flags.* fields are in the JSON too.
    let all = json_lines(&inspect_ok(["read", "--format", "json", "-c", "4", "captures/web.pcap"]));
    let packets: Vec<_> = all.iter().filter(|v| v["event_type"] == "packet").collect();
    let flags = |v: &serde_json::Value| ["fin", "syn", "reset", "push", "ack", "urg"].map(|f| v[format!("tcp.flags.{f}")].as_u64());
    assert_eq!(flags(packets[2]), [Some(0), Some(1), Some(0), Some(0), Some(0), Some(0)]);
    assert_eq!(flags(packets[3]), [Some(0), Some(1), Some(0), Some(0), Some(1), Some(0)]);
    assert_eq!(flags(packets[0]), [None; 6]);
}

fn no_clap_tip_for_habit_flags() {
    for flag in FLAGS.iter().chain(&["-vvv", "-nnn", "-l", "-A", "-L", "-q", "-s0"]) {
        let run = inspect(["read", flag, "-c", "1", "captures/web.pcap"]);
        assert_eq!(run.code, Some(0), "{flag}: {}", run.stderr);
        assert!(!run.stderr.contains("tip:"), "{flag}: {}", run.stderr);
    }
}

fn quiet_keeps_the_counts_without_tables() {
    let q = inspect_ok(["read", "-q", "captures/web.pcap"]);
    assert!(q.contains("Summary: 24 packets"), "{q}");
    assert!(q.contains("Connections: 2 TCP"), "{q}");
    assert!(!q.contains('┌'), "-q draws no table:\n{q}");
    let full = inspect_ok(["read", "captures/web.pcap"]);
    assert!(full.contains('┌'));
}

fn lines_only_prints_packet_lines_alone() {
    let l = inspect_ok(["read", "-L", "captures/arp.pcap"]);
    assert_eq!(l.lines().count(), 20);
    assert_eq!(l.lines().filter(|x| x.contains(" ARP, ")).count(), 14, "{l}");
    assert!(l.lines().all(|x| x.contains(" ARP, ") || x.contains(" ICMP echo")), "{l}");
    let with = inspect_ok(["read", "captures/arp.pcap"]);
    assert!(with.contains("arp: new station"));
}

fn tsv_prints_every_table_tab_separated() {
    let t = inspect_ok(["read", "--format", "tsv", "captures/web.pcap"]);
    assert!(!t.contains('┌'), "{t}");
    assert!(t.contains("protocol\tpackets\tshare\narp\t2\t8.3%\n"), "{t}");
    assert!(t.contains("start\tproto\toriginator\tresponder\torig state\tresp state\tconn_state\thistory\tpkts o/r\tbytes o/r\tduration\n"), "{t}");
    let c = inspect_ok(["conns", "--format", "tsv", "captures/refused.pcap"]);
    let rows: Vec<&str> = c.lines().filter(|l| l.contains("\ttcp\t")).collect();
    assert_eq!(rows.len(), 2, "{c}");
    assert!(rows.iter().all(|r| r.split('\t').count() == 11));
}

fn conns_sort_and_top() {
    let dir = TempDir::new("sort");
    let _ = dir;
    let col = |out: &str, i: usize| -> Vec<String> {
        out.lines().filter(|l| l.contains("\ttcp\t") || l.contains("\tudp\t")).map(|l| l.split('\t').nth(i).unwrap_or("").to_string()).collect()
    };
    let file = "captures/synflood.pcap";
    let all = inspect_ok(["conns", "--format", "tsv", file]);
    let by_bytes = inspect_ok(["conns", "--format", "tsv", "--sort", "bytes", file]);
    let bytes = |s: &str| s.split('/').map(|x| x.parse::<u64>().unwrap_or(0)).sum::<u64>();
    let b: Vec<u64> = col(&by_bytes, 9).iter().map(|s| bytes(s)).collect();
    assert!(b.windows(2).all(|w| w[0] >= w[1]), "{b:?}");
    assert_eq!(b.len(), col(&all, 9).len());
    let top = inspect_ok(["conns", "--format", "tsv", "--sort", "pkts", "--top", "2", file]);
    let p: Vec<u64> = col(&top, 8).iter().map(|s| bytes(s)).collect();
    assert_eq!(p.len(), 2);
    let mut every: Vec<u64> = col(&all, 8).iter().map(|s| bytes(s)).collect();
    every.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(p, every[..2].to_vec());
    let d = inspect_ok(["conns", "--format", "tsv", "--sort", "duration", file]);
    let ds: Vec<f64> = col(&d, 10).iter().map(|s| s.parse().unwrap_or(0.0)).collect();
    assert!(ds.windows(2).all(|w| w[0] >= w[1]), "{ds:?}");
}

/// `args` run on a pseudo-terminal `cols` wide (util-linux `script`), as a user at a terminal
/// sees them.
fn on_terminal(cols: u16, args: &[&str]) -> String {
    let cmd = format!("stty cols {cols} rows 50; {BIN} {}", args.join(" "));
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    assert!(out.status.success(), "{cmd}: {out:?}");
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

/// On a terminal every table keeps within its width, dropping its least important columns
/// first (the streamed conns table too); off one the same tables are drawn whole.
fn tables_fit_a_narrow_terminal() {
    let widest = |s: &str| s.lines().filter(|l| l.starts_with(['┌', '│', '╞', '└'])).map(|l| l.chars().count()).max().unwrap_or(0);
    for args in [
        &["conns", "captures/web.pcap"][..],
        &["conns", "--sort", "bytes", "captures/web.pcap"],
        &["arp", "captures/arp.pcap"],
        &["read", "captures/flood-v4.pcap"],
    ] {
        let whole = inspect_ok(args);
        assert!(widest(&whole) > 100, "{args:?} drawn whole off a terminal:\n{whole}");
        let wide = on_terminal(250, args);
        assert_eq!(widest(&wide), widest(&whole), "{args:?} on a wide terminal:\n{wide}");
        let narrow = on_terminal(100, args);
        assert!(widest(&narrow) <= 100, "{args:?} on 100 columns:\n{narrow}");
        assert!(widest(&narrow) > 0, "{args:?} draws no table on a terminal:\n{narrow}");
    }
    // The connection table keeps the endpoints and Zeek's state, and drops the duration first.
    let narrow = on_terminal(100, &["conns", "captures/web.pcap"]);
    assert!(narrow.contains("10.0.0.2:8080") && narrow.contains("conn_state") && !narrow.contains("duration"), "{narrow}");
    let sorted = on_terminal(100, &["conns", "--sort", "start", "captures/web.pcap"]);
    assert!(sorted.contains("10.0.0.2:8080") && sorted.contains("conn_state") && !sorted.contains("duration"), "{sorted}");
}
