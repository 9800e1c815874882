//! Live capture through the kernel's ring, end to end, in network namespaces this test creates
//! (see `live::Netns`): a bounded flood is captured or counted frame for frame against the
//! interface's own counters and kept at least as well as tcpdump keeps it; loopback gives
//! tcpdump's frames exactly; `-i any` sees two interfaces; `--direction` keeps one way;
//! rotated files together equal tcpdump's one file; the live views behave on a terminal (a
//! pseudo-terminal made by `script`) and off one; an interface that goes down or away ends the
//! capture with one line, its frames reported and kept; the capture runs in the sandbox once
//! its socket and files are open (every test here runs sandboxed, as a user's run is).
//!
//! Every wait is bounded; every process started here is ended by its pid.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::live::{captured_count, closing, frames, same_frames_per_sender, settle, Lines, Netns, Proc};
use crate::support::harness::note;
use crate::support::{json_lines, sh, Need, Test, TempDir, BIN};

pub fn tests() -> Vec<Test> {
    use Need::{Netns as Ns, Tool};
    vec![
        trial!(flood_is_captured_or_counted, Ns, Tool("hping3"), Tool("timeout"), Tool("sysctl")),
        trial!(flood_is_kept_as_well_as_tcpdump, Ns, Tool("hping3"), Tool("tcpdump"), Tool("timeout"), Tool("sysctl"), Need::Optimized),
        trial!(loopback_gives_tcpdumps_frames_exactly, Ns, Tool("tcpdump"), Tool("python3"), Tool("curl"), Tool("ss"), Tool("timeout"), Tool("sysctl")),
        trial!(any_sees_two_interfaces_and_direction_keeps_one_way, Ns, Tool("ping"), Tool("sysctl")),
        trial!(rotated_files_together_equal_tcpdumps_capture, Ns, Tool("tcpdump"), Tool("ping"), Tool("sysctl")),
        trial!(live_views_on_a_terminal_and_off_one, Ns, Tool("script"), Tool("arping"), Tool("python3"), Tool("curl"), Tool("ss"), Tool("timeout"), Tool("sysctl")),
        trial!(an_interface_down_or_gone_is_one_line_and_keeps_what_was_captured, Ns, Tool("ping"), Tool("sysctl")),
        trial!(the_capture_runs_in_the_sandbox, Ns, Tool("ping"), Tool("sysctl")),
    ]
}

/// The default build, reading the kernel's ring itself (the other reads it through libpcap).
const RING: bool = !cfg!(feature = "libpcap");

/// `inspect capture` in namespace `ns` with `args`, its stdout and stderr read on threads;
/// returns once it says it is capturing.
fn capture(net: &Netns, ns: &str, args: &[&str]) -> (Proc, Lines, Lines) {
    let mut cmd = net.exec(ns, &[BIN, "capture", "-Z", "root"]);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut p = Proc::spawn("inspect capture", cmd);
    let out = Lines::new(p.child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    let mut err = Lines::new(p.child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    err.wait_for("capturing on", Duration::from_secs(10));
    (p, out, err)
}

/// tcpdump in namespace `ns` writing `file`; returns once it listens. Without
/// `--immediate-mode` in `extra`, libpcap hands frames over in blocks, up to a second late.
fn tcpdump(net: &Netns, ns: &str, iface: &str, file: &Path, extra: &[&str]) -> (Proc, Lines) {
    let f = file.to_string_lossy();
    let mut args = vec!["timeout", "120", "tcpdump", "-i", iface, "-n", "-U", "-w", &f];
    args.extend_from_slice(extra);
    let mut cmd = net.exec(ns, &args);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut p = Proc::spawn("tcpdump", cmd);
    let mut err = Lines::new(p.child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    err.wait_for("listening on", Duration::from_secs(10));
    (p, err)
}

/// Frames an interface received and sent, by its own counters (`ip -s link`).
fn carried(ns: &str, dev: &str) -> u64 {
    let text = sh(&["ip", "-n", ns, "-s", "-j", "link", "show", "dev", dev]).unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let s = &v[0]["stats64"];
    s["rx"]["packets"].as_u64().unwrap_or(0) + s["tx"]["packets"].as_u64().unwrap_or(0)
}

fn stop(p: &mut Proc) -> Option<i32> {
    p.signal(Signal::SIGINT);
    p.wait(Duration::from_secs(20))
}

/// One capture of a two-second SYN flood on the flooded end: (frames the interface carried
/// while it ran, frames in its file, its stderr).
fn flood_once(net: &Netns, tool: &str, file: &Path) -> (u64, u64, Vec<String>) {
    let f = file.to_string_lossy().into_owned();
    // The output is read (`_out`) while the capture runs, so the report has a reader.
    let (mut p, err, _out) = match tool {
        "inspect" => {
            let (p, out, err) = capture(net, &net.b, &["-i", "veth-b", "-q", "-w", &f]);
            (p, err, Some(out))
        }
        _ => {
            let (p, err) = tcpdump(net, &net.b, "veth-b", file, &[]);
            (p, err, None)
        }
    };
    let before = carried(&net.b, "veth-b");
    let flood = net
        .exec(&net.a, &["timeout", "2", "hping3", "--flood", "-q", "-S", "-p", "8080", &net.ip_b])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(flood.is_ok(), "hping3 did not run");
    // Longer than libpcap's block timeout (1 s), so tcpdump too has every frame in hand.
    std::thread::sleep(Duration::from_millis(1500));
    let after = carried(&net.b, "veth-b");
    stop(&mut p);
    let mut err = err;
    let stderr = err.rest(Duration::from_secs(10));
    (after - before, frames(file).len() as u64, stderr)
}

/// One flood captured by inspect, its accounting checked: every frame the interface carried was
/// captured or counted as dropped by the kernel. Returns (frames carried, frames kept).
fn flood_counted(net: &Netns, file: &Path) -> (u64, u64) {
    let (sent, kept, stderr) = flood_once(net, "inspect", file);
    // hping3 shares the cores with the capture and the other tests: the rate varies, but two
    // seconds of it are always tens of thousands of frames.
    assert!(sent > 10_000, "the flood carried only {sent} frames");
    let captured = captured_count(&stderr);
    let dropped = closing(&stderr, "dropped by kernel");
    let received = closing(&stderr, "received by filter");
    assert_eq!(captured, kept, "{stderr:?}");
    // What the kernel had counted when the capture stopped is read to its end (the ring is
    // closed to new frames first; libpcap's is read up to the count).
    assert_eq!(captured + dropped, received, "{stderr:?}");
    let off = ((captured + dropped) as f64 - sent as f64).abs() / sent as f64;
    assert!(off <= 0.01, "captured {captured} + dropped {dropped} (received {received}) vs carried {sent}");
    (sent, kept)
}

fn flood_is_captured_or_counted() {
    let net = Netns::new(11);
    let dir = TempDir::new("ring-flood");
    let (sent, kept) = flood_counted(&net, &dir.join("inspect.pcap"));
    note(format_args!("flood: inspect kept {kept} of {sent} frames ({:.0} frames/s)", sent as f64 / 2.0));
}

/// The share of a flood kept against tcpdump's on the same flood, run in turn. Only in an
/// optimised build (`Need::Optimized`): an unoptimised one keeps about 220,000 frames a second
/// here, where hping3 sends 450,000 and the release build and tcpdump keep them all.
fn flood_is_kept_as_well_as_tcpdump() {
    let net = Netns::new(18);
    let dir = TempDir::new("ring-flood-share");
    let (ours, theirs) = (dir.join("inspect.pcap"), dir.join("tcpdump.pcap"));
    let (sent, kept) = flood_counted(&net, &ours);
    let our_share = kept as f64 / sent as f64;
    let (t_sent, t_kept, _) = flood_once(&net, "tcpdump", &theirs);
    let their_share = t_kept as f64 / t_sent as f64;
    note(format_args!(
        "flood: inspect kept {kept} of {sent} frames ({:.2} %, {:.0} frames/s), tcpdump {t_kept} of {t_sent} ({:.2} %, {:.0} frames/s)",
        our_share * 100.0,
        sent as f64 / 2.0,
        their_share * 100.0,
        t_sent as f64 / 2.0
    ));
    assert!(our_share >= their_share, "inspect kept {our_share:.4} of the frames, tcpdump {their_share:.4}");
}

/// Waits (bounded) until something listens on `port` in `ns`.
fn listening(ns: &str, port: u16) {
    let until = Instant::now() + Duration::from_secs(15);
    while !sh(&["ip", "netns", "exec", ns, "ss", "-Hltn", &format!("sport = :{port}")]).unwrap_or_default().contains(&port.to_string()) {
        assert!(Instant::now() < until, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn http_server(net: &Netns, ns: &str, bind: &str, port: u16, dir: &Path) -> Proc {
    let p = port.to_string();
    let mut server = net.exec(ns, &["timeout", "60", "python3", "-m", "http.server", &p, "--bind", bind]);
    server.current_dir(dir).stdout(Stdio::null()).stderr(Stdio::null());
    let proc = Proc::spawn("http.server", server);
    listening(ns, port);
    proc
}

fn curl(net: &Netns, ns: &str, url: &str) -> String {
    let o = net.exec(ns, &["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", url]).output();
    o.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
}

fn loopback_gives_tcpdumps_frames_exactly() {
    let net = Netns::new(12);
    let dir = TempDir::new("ring-lo");
    let (ours, theirs) = (dir.join("inspect.pcap"), dir.join("tcpdump.pcap"));
    let _server = http_server(&net, &net.a, "127.0.0.1", 8080, dir.path());
    let o = ours.to_string_lossy().into_owned();
    let (mut p, mut out, mut err) = capture(&net, &net.a, &["-i", "lo", "-w", &o, "--format", "json", "--conns"]);
    let (mut td, mut td_err) = tcpdump(&net, &net.a, "lo", &theirs, &["--immediate-mode"]);
    assert_eq!(curl(&net, &net.a, "http://127.0.0.1:8080/"), "200");
    settle(&[&ours, &theirs], Duration::from_millis(500), Duration::from_secs(10));
    assert_eq!(stop(&mut p), Some(0));
    stop(&mut td);
    let td_said = td_err.rest(Duration::from_secs(5));
    let (a, b) = (frames(&ours), frames(&theirs));
    assert!(!b.is_empty(), "tcpdump: {td_said:?}");
    assert!(a.len() >= 10, "{} frames", a.len());
    assert_eq!(a.len(), b.len(), "frames: inspect {} vs tcpdump {}", a.len(), b.len());
    assert_eq!(a.iter().map(Vec::len).sum::<usize>(), b.iter().map(Vec::len).sum::<usize>(), "bytes");
    same_frames_per_sender(&a, &b);
    let stderr = err.rest(Duration::from_secs(5));
    assert_eq!(captured_count(&stderr), a.len() as u64);
    if RING {
        // The kernel's filter leaves loopback's sent copies out (libpcap drops them after
        // counting them).
        assert_eq!(closing(&stderr, "received by filter"), a.len() as u64, "loopback's sent copies are not received");
    }
    // One connection, seen once: no retransmission made of the second copy of each frame.
    let objs = json_lines(&out.rest(Duration::from_secs(5)).join("\n"));
    let conns: Vec<_> = objs.iter().filter(|v| v["event_type"] == "conn").collect();
    assert_eq!(conns.len(), 1, "{conns:?}");
    let c = conns[0];
    assert_eq!((c["orig_retrans"].as_u64(), c["resp_retrans"].as_u64()), (Some(0), Some(0)), "{c}");
    assert_eq!(c["conn_state"], "SF", "{c}");
    assert_eq!(c["end"], "capture_stopped", "{c}");
    let history = c["history"].as_str().unwrap_or_default();
    assert!(history.starts_with("ShAD") && history.len() <= 8, "{c}");
}

fn any_sees_two_interfaces_and_direction_keeps_one_way() {
    let net = Netns::new(13);
    let index = |dev: &str| -> u64 {
        sh(&["ip", "netns", "exec", &net.a, "cat", &format!("/sys/class/net/{dev}/ifindex")])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("no index for {dev}"))
    };
    let (veth, lo) = (index("veth-a"), index("lo"));
    let ping = |to: &str| {
        let st = net.exec(&net.a, &["ping", "-q", "-c", "3", "-i", "0.05", "-w", "5", to]).stdout(Stdio::null()).status();
        assert!(st.is_ok_and(|s| s.success()), "ping {to}");
    };
    let (mut p, mut out, mut err) = capture(&net, &net.a, &["-i", "any", "--format", "json"]);
    ping(&net.ip_b);
    ping("127.0.0.1");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(stop(&mut p), Some(0));
    let objs = json_lines(&out.rest(Duration::from_secs(5)).join("\n"));
    let _ = err.rest(Duration::from_secs(5));
    let icmp: Vec<_> = objs.iter().filter(|v| v["event_type"] == "packet" && v["icmp.type"].is_u64()).collect();
    for p in &icmp {
        assert_eq!(p["frame.linktype"], 276, "{p}");
    }
    let on = |ifindex: u64, pkttype: u64, ty: u64| {
        icmp.iter().filter(|p| p["sll.ifindex"] == ifindex && p["sll.pkttype"] == pkttype && p["icmp.type"] == ty).count()
    };
    // Over the veth pair: requests out (pkttype 4), replies in (0).
    assert_eq!((on(veth, 4, 8), on(veth, 0, 0)), (3, 3), "{icmp:?}");
    // On loopback every frame once, as received (the sent copies left out, as libpcap does).
    assert_eq!((on(lo, 0, 8), on(lo, 0, 0), on(lo, 4, 8)), (3, 3, 0), "{icmp:?}");
    assert_eq!(icmp.len(), 12, "{icmp:?}");

    // -e lines name the interface and the way.
    let (mut p, mut out, _err) = capture(&net, &net.a, &["-i", "any", "-e", "-c", "2"]);
    ping(&net.ip_b);
    assert_eq!(p.wait(Duration::from_secs(10)), Some(0));
    let lines = out.rest(Duration::from_secs(5));
    let want = format!("Out ifindex {veth} ");
    assert!(lines.iter().any(|l| l.contains(&want) && l.contains("ICMP echo request")), "{lines:?}");

    // --direction (-Q) keeps the frames that went one way.
    for (flag, way, ty) in [("--direction", "out", 8), ("-Q", "in", 0)] {
        let (mut p, mut out, _err) = capture(&net, &net.a, &["-i", "veth-a", flag, way, "--format", "json"]);
        ping(&net.ip_b);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(stop(&mut p), Some(0));
        let objs = json_lines(&out.rest(Duration::from_secs(5)).join("\n"));
        let types: Vec<_> = objs.iter().filter(|v| v["event_type"] == "packet").map(|v| v["icmp.type"].as_u64()).collect();
        assert_eq!(types, vec![Some(ty); 3], "{way}: {objs:?}");
    }
}

fn rotated_files_together_equal_tcpdumps_capture() {
    let net = Netns::new(14);
    let dir = TempDir::new("ring-rotate");
    // The next files are made as the user privileges are dropped to: a directory that user
    // cannot write is refused before the capture starts, not at the first rotation.
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    let locked = dir.join("locked.pcap").to_string_lossy().into_owned();
    let o = net.exec(&net.a, &[BIN, "capture", "-Z", "nobody", "-i", "veth-a", "-w", &locked, "-C", "1"]).output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    let want = format!("inspect: -C/-G: {} is not writable by nobody, whom the capture runs as (-Z root keeps root)\n", dir.path().display());
    assert_eq!(String::from_utf8_lossy(&o.stderr), want);
    let theirs = dir.join("tcpdump.pcap");
    let by_size = dir.join("size.pcap").to_string_lossy().into_owned();
    let by_time = dir.join("time-%s.pcap").to_string_lossy().into_owned();
    let (mut c, mut c_out, _c_err) = capture(&net, &net.a, &["-i", "veth-a", "-q", "--format", "json", "-w", &by_size, "-C", "0.05"]);
    let (mut g, mut g_out, _g_err) = capture(&net, &net.a, &["-i", "veth-a", "-q", "--format", "json", "-w", &by_time, "-G", "1"]);
    let (mut td, _td_err) = tcpdump(&net, &net.a, "veth-a", &theirs, &["--immediate-mode"]);
    // About 2.5 s of pings of 1000 bytes: some 100 KB a second, so files of 50 KB each second.
    let st = net
        .exec(&net.a, &["ping", "-q", "-c", "1000", "-i", "0.005", "-s", "1000", "-w", "10", &net.ip_b])
        .stdout(Stdio::null())
        .status();
    assert!(st.is_ok_and(|s| s.success()), "ping");
    settle(&[&theirs], Duration::from_millis(500), Duration::from_secs(10));
    for p in [&mut c, &mut g] {
        assert_eq!(stop(p), Some(0));
    }
    stop(&mut td);
    let want = frames(&theirs);
    assert!(want.len() >= 2000, "{} frames", want.len());
    for (what, out) in [("-C", &mut c_out), ("-G", &mut g_out)] {
        let objs = json_lines(&out.rest(Duration::from_secs(5)).join("\n"));
        let stats = objs.iter().find(|v| v["event_type"] == "capture_stats").unwrap_or_else(|| panic!("no capture_stats"));
        let files: Vec<PathBuf> = stats["files"].as_array().map(|a| a.iter().filter_map(|f| f.as_str()).map(PathBuf::from).collect()).unwrap_or_default();
        assert!(files.len() >= 2, "{what}: {files:?}");
        let got: Vec<Vec<u8>> = files.iter().flat_map(|f| frames(f)).collect();
        note(format_args!("{what}: {} frames in {} files", got.len(), files.len()));
        assert_eq!(got.len(), want.len(), "{what}: {files:?}");
        assert!(got == want, "{what}: the files together differ from tcpdump's capture");
        assert_eq!(stats["captured"], got.len() as u64);
    }
}

fn live_views_on_a_terminal_and_off_one() {
    let net = Netns::new(15);
    let dir = TempDir::new("ring-views");
    let _server = http_server(&net, &net.b, &net.ip_b, 8080, dir.path());
    let traffic = || {
        let arping = net.exec(&net.a, &["arping", "-c", "2", "-w", "5", "-i", "veth-a", &net.ip_b]).output();
        assert!(arping.is_ok_and(|o| o.status.success()), "arping failed");
        let url = format!("http://{}:8080/", net.ip_b);
        assert_eq!(curl(&net, &net.a, &url), "200");
        assert_eq!(curl(&net, &net.a, &url), "200");
        // Refused: nothing listens there.
        assert_eq!(curl(&net, &net.a, &format!("http://{}:8081/", net.ip_b)), "000");
    };

    // Off a terminal: each event once as it happens, the tables at the end.
    let (mut p, mut out, _err) = capture(&net, &net.a, &["-i", "veth-a", "-q", "--conns", "--arp"]);
    traffic();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(stop(&mut p), Some(0));
    let lines = out.rest(Duration::from_secs(5));
    let text = lines.join("\n");
    assert!(!text.contains("── live:") && !text.contains('\x1b'), "{text}");
    let new_station = format!("arp: new station {} ", net.ip_b);
    assert_eq!(lines.iter().filter(|l| l.contains(&new_station)).count(), 1, "{text}");
    assert!(lines.iter().any(|l| l.starts_with("ARP events: ") && l.ends_with("; each shown above as it happened")), "{text}");
    assert!(text.contains("\nConnections: 3 TCP"), "{text}");
    assert!(text.contains("Left the table: capture_stopped 3"), "{text}");
    assert!(lines.iter().any(|l| l.contains("REJ")), "{text}");

    // On a terminal (a pseudo-terminal of `script`): the screen is redrawn in place, without
    // -q too, and its counts come from the rows it lists.
    let cmd = format!("{BIN} capture -Z root -i veth-a --conns --arp --duration 4");
    let mut s = net.exec(&net.a, &["timeout", "30", "script", "-qfec", &cmd, "/dev/null"]);
    s.stdout(Stdio::piped()).stderr(Stdio::null()).stdin(Stdio::null());
    let mut sp = Proc::spawn("script", s);
    let mut screen = Lines::new(sp.child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    screen.wait_for("── live:", Duration::from_secs(10));
    traffic();
    assert_eq!(sp.wait(Duration::from_secs(20)), Some(0));
    let lines = screen.rest(Duration::from_secs(5));
    let text = lines.join("\n");
    let redraws = text.matches("\x1b[H\x1b[2J").count();
    assert!(redraws >= 3, "{redraws} redraws: {text}");
    // No packet lines on the screen: only the tables (and the report at the end).
    assert!(!text.contains("Flags [S]"), "{text}");
    let last = text.rsplit("\x1b[H\x1b[2J").next().unwrap_or_default();
    assert!(last.contains("Connections listed below: 3 in the table, 0 open, 3 closed"), "{last}");
    assert_eq!(last.matches(&new_station).count(), 1, "{last}");
    assert!(last.contains("received by filter") && last.contains("dropped by kernel"), "{last}");
}

fn an_interface_down_or_gone_is_one_line_and_keeps_what_was_captured() {
    let net = Netns::new(16);
    let dir = TempDir::new("ring-down");
    // Down before the capture starts.
    sh(&["ip", "-n", &net.b, "link", "set", "veth-b", "down"]).unwrap_or_else(|e| panic!("{e}"));
    let o = net.exec(&net.b, &[BIN, "capture", "-i", "veth-b"]).output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "inspect: veth-b: interface is down\n");
    assert!(o.stdout.is_empty());
    sh(&["ip", "-n", &net.b, "link", "set", "veth-b", "up"]).unwrap_or_else(|e| panic!("{e}"));

    // Down, then gone, during a capture: the frames before are reported and kept.
    for (what, cmd, says) in [
        ("down", vec!["ip", "-n", &net.a, "link", "set", "veth-a", "down"], "inspect: veth-a: interface is down"),
        ("gone", vec!["ip", "-n", &net.a, "link", "del", "veth-a"], "inspect: veth-a: interface went away"),
    ] {
        let file = dir.join(&format!("{what}.pcap"));
        let f = file.to_string_lossy().into_owned();
        if what == "gone" {
            // The pair comes back for the second round.
            sh(&["ip", "-n", &net.a, "link", "set", "veth-a", "up"]).unwrap_or_else(|e| panic!("{e}"));
        }
        let (mut p, mut out, mut err) = capture(&net, &net.a, &["-i", "veth-a", "-q", "-w", &f]);
        let st = net.exec(&net.a, &["ping", "-q", "-c", "5", "-i", "0.05", "-w", "5", &net.ip_b]).stdout(Stdio::null()).status();
        assert!(st.is_ok_and(|s| s.success()), "ping");
        std::thread::sleep(Duration::from_millis(200));
        sh(&cmd.iter().map(|s| &**s).collect::<Vec<_>>()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.wait(Duration::from_secs(10)), Some(1), "{what}");
        let stdout = out.rest(Duration::from_secs(5)).join("\n");
        let stderr = err.rest(Duration::from_secs(5));
        assert_eq!(stderr.iter().filter(|l| l.starts_with("inspect:")).cloned().collect::<Vec<_>>(), [says], "{what}: {stderr:?}");
        let kept = frames(&file).len() as u64;
        assert!(kept >= 10, "{what}: {kept} frames");
        assert_eq!(captured_count(&stderr), kept, "{what}");
        assert!(stdout.contains(&format!("Summary: {kept} packets,")), "{what}: {stdout}");
    }
}

/// Once its socket, ring and `-w` file are open, the capture enters the sandbox: stderr's first
/// line says so, the kernel shows the seccomp filter and `no_new_privs` on the capturing
/// process, a file outside `-w`'s directory and a socket are refused from inside, and `-C` still
/// makes its files (in `-w`'s directory, the one place new files may be made).
fn the_capture_runs_in_the_sandbox() {
    let net = Netns::new(17);
    let dir = TempDir::new("ring-sandbox");
    let elsewhere = TempDir::new("ring-sandbox-probe");
    let pattern = dir.join("s.pcap").to_string_lossy().into_owned();
    let probe = elsewhere.join("probe.txt");
    let pr = probe.to_string_lossy().into_owned();
    let (mut p, mut out, mut err) = capture(&net, &net.a, &["-i", "veth-a", "-q", "--format", "json", "-w", &pattern, "-C", "0.01", "--sandbox-probe", &pr]);
    // `ip netns exec` execs the command: the pid is the capture's.
    let status = std::fs::read_to_string(format!("/proc/{}/status", p.child.id())).unwrap_or_default();
    let st = net.exec(&net.a, &["ping", "-q", "-c", "100", "-i", "0.01", "-s", "1000", "-w", "10", &net.ip_b]).stdout(Stdio::null()).status();
    assert!(st.is_ok_and(|s| s.success()), "ping");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(stop(&mut p), Some(0));
    let field = |name: &str| status.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "));
    assert_eq!(field("Name:").as_deref(), Some("inspect"), "{status}");
    assert_eq!(field("Seccomp:").as_deref(), Some("2"), "{status}");
    assert_eq!(field("NoNewPrivs:").as_deref(), Some("1"), "{status}");
    let stderr = err.rest(Duration::from_secs(10));
    let first = stderr.first().cloned().unwrap_or_default();
    assert!(first.starts_with("sandbox: landlock (ABI ") || first.starts_with("sandbox: no landlock ("), "{stderr:?}");
    assert!(first.ends_with(", seccomp"), "{stderr:?}");
    let refused = if first.starts_with("sandbox: landlock") { "refused (Permission denied" } else { "refused (Operation not permitted" };
    let said = stderr.iter().find(|l| l.starts_with("sandbox probe: ")).cloned().unwrap_or_default();
    assert!(said.contains(&format!("create {pr}: {refused}")), "{stderr:?}");
    assert!(said.contains("socket: refused (Operation not permitted"), "{stderr:?}");
    assert!(!probe.exists());
    let objs = json_lines(&out.rest(Duration::from_secs(5)).join("\n"));
    let stats = objs.iter().find(|v| v["event_type"] == "capture_stats").unwrap_or_else(|| panic!("no capture_stats"));
    let files: Vec<PathBuf> = stats["files"].as_array().map(|a| a.iter().filter_map(|f| f.as_str()).map(PathBuf::from).collect()).unwrap_or_default();
    assert!(files.len() >= 5, "{files:?}");
    let kept: usize = files.iter().map(|f| frames(f).len()).sum();
    assert!(kept >= 200, "{kept} frames");
    assert_eq!(stats["captured"], kept as u64);
    assert_eq!(captured_count(&stderr), kept as u64);

    // --no-sandbox: said first, and the probe's tries are let through.
    let off = net.exec(&net.a, &[BIN, "capture", "-Z", "root", "-i", "veth-a", "-q", "-c", "1", "--duration", "1", "--no-sandbox", "--sandbox-probe", &pr]).output().unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&off.stderr);
    assert!(text.starts_with("sandbox: off (--no-sandbox)\n"), "{text}");
    assert!(text.contains(&format!("create {pr}: allowed; socket: allowed")), "{text}");
}
