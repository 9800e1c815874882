//! Live capture, end to end, inside network namespaces this test creates: two namespaces joined
//! by a veth pair, real traffic between them (HTTP to `python3 -m http.server`, arping, a
//! spoofed SYN burst with hping3, ping), `inspect capture` and the real tcpdump on the same
//! interface at the same time: the `-w` file must equal tcpdump's capture frame for frame, and
//! reading it back must give what the live run printed. Needs root and the tools each test
//! names (CI installs them); the harness skips a test whose needs are not met here.
//!
//! Every wait is bounded; every process started here is ended by its pid; the namespaces are
//! deleted by a guard even when an assertion fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use inspect::source::file::FileSource;

use crate::support::{inspect, json_lines, sh, Need, Test, TempDir, BIN};

pub fn tests() -> Vec<Test> {
    use Need::{Netns as Ns, Tool};
    vec![
        trial!(
            capture_matches_tcpdump_and_decodes_traffic,
            Ns,
            Tool("tcpdump"),
            Tool("python3"),
            Tool("curl"),
            Tool("arping"),
            Tool("hping3"),
            Tool("ss"),
            Tool("timeout"),
            Tool("sysctl"),
        ),
        trial!(interrupted_capture_loses_nothing, Ns, Tool("ping"), Tool("sysctl")),
        trial!(count_and_duration_stop_by_themselves, Ns, Tool("ping"), Tool("sysctl")),
        trial!(errors_name_the_problem, Ns, Tool("setpriv"), Tool("sysctl")),
        trial!(capture_expressions_run_in_the_kernel_and_display_filters_after, Ns, Tool("ping"), Tool("sysctl")),
        trial!(any_captures_every_interface_as_linux_cooked_frames, Ns, Tool("ping"), Tool("sysctl")),
    ]
}

/// Two namespaces, `a` and `b`, with `veth-a` (10.203.K.1/24) and `veth-b` (10.203.K.2/24);
/// IPv6 off, so no spontaneous router or neighbour traffic lands in the captures.
pub struct Netns {
    pub a: String,
    pub b: String,
    pub ip_a: String,
    pub ip_b: String,
}

impl Netns {
    pub fn new(k: u8) -> Netns {
        let tag = std::process::id();
        let n = Netns {
            a: format!("insp-live-a{k}-{tag}"),
            b: format!("insp-live-b{k}-{tag}"),
            ip_a: format!("10.203.{k}.1"),
            ip_b: format!("10.203.{k}.2"),
        };
        let setup = || -> Result<(), String> {
            sh(&["ip", "netns", "add", &n.a])?;
            sh(&["ip", "netns", "add", &n.b])?;
            for ns in [&n.a, &n.b] {
                sh(&[
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.all.disable_ipv6=1",
                ])?;
                sh(&[
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.default.disable_ipv6=1",
                ])?;
            }
            sh(&[
                "ip", "link", "add", "veth-a", "netns", &n.a, "type", "veth", "peer", "name",
                "veth-b", "netns", &n.b,
            ])?;
            sh(&[
                "ip",
                "-n",
                &n.a,
                "addr",
                "add",
                &format!("{}/24", n.ip_a),
                "dev",
                "veth-a",
            ])?;
            sh(&[
                "ip",
                "-n",
                &n.b,
                "addr",
                "add",
                &format!("{}/24", n.ip_b),
                "dev",
                "veth-b",
            ])?;
            for (ns, dev) in [(&n.a, "veth-a"), (&n.b, "veth-b")] {
                sh(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
                sh(&["ip", "-n", ns, "link", "set", dev, "up"])?;
            }
            // Permanent neighbour entries: the kernels never ARP by themselves (no refresh
            // probe can land between the two captures' ends); arping's ARP still gets answers.
            let mac = |ns: &str, dev: &str| -> Result<String, String> {
                let line = sh(&["ip", "-n", ns, "-br", "link", "show", dev])?;
                line.split_whitespace()
                    .nth(2)
                    .map(str::to_string)
                    .ok_or(format!("no MAC in {line:?}"))
            };
            let (mac_a, mac_b) = (mac(&n.a, "veth-a")?, mac(&n.b, "veth-b")?);
            sh(&[
                "ip",
                "-n",
                &n.a,
                "neigh",
                "replace",
                &n.ip_b,
                "lladdr",
                &mac_b,
                "dev",
                "veth-a",
                "nud",
                "permanent",
            ])?;
            sh(&[
                "ip",
                "-n",
                &n.b,
                "neigh",
                "replace",
                &n.ip_a,
                "lladdr",
                &mac_a,
                "dev",
                "veth-b",
                "nud",
                "permanent",
            ])?;
            Ok(())
        };
        if let Err(e) = setup() {
            drop(n);
            panic!("netns setup: {e}");
        }
        n
    }

    pub fn exec(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.a]);
        let _ = sh(&["ip", "netns", "del", &self.b]);
    }
}

/// A child process ended by pid when dropped: SIGTERM, a bounded wait, then SIGKILL.
pub struct Proc {
    pub child: Child,
    name: &'static str,
}

impl Proc {
    pub fn spawn(name: &'static str, mut cmd: Command) -> Proc {
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"));
        Proc { child, name }
    }

    pub fn signal(&self, s: Signal) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), s);
    }

    /// Waits up to `limit` for exit; the exit status code, or a panic naming the process.
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let until = Instant::now() + limit;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            assert!(
                Instant::now() < until,
                "{} did not exit within {limit:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal(Signal::SIGTERM);
            let until = Instant::now() + Duration::from_secs(3);
            while Instant::now() < until {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Collects a pipe's lines on a thread; `wait_for` blocks (bounded) until a line contains a text.
pub struct Lines {
    rx: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    pub fn new(r: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(r).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: Vec::new(),
        }
    }

    pub fn wait_for(&mut self, text: &str, limit: Duration) -> String {
        let until = Instant::now() + limit;
        if let Some(l) = self.seen.iter().find(|l| l.contains(text)) {
            return l.clone();
        }
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(text) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no line with {text:?} within {limit:?}; got {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Every line until the writer closes (bounded).
    pub fn rest(&mut self, limit: Duration) -> Vec<String> {
        let until = Instant::now() + limit;
        loop {
            match self
                .rx
                .recv_timeout(until.saturating_duration_since(Instant::now()))
            {
                Ok(l) => self.seen.push(l),
                Err(mpsc::RecvTimeoutError::Disconnected) => return std::mem::take(&mut self.seen),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("output did not end within {limit:?}")
                }
            }
        }
    }
}

/// Frame bytes of a capture file, read with our own reader (which fails on any broken record).
/// `a` and `b` hold the same frames, and each sender's in the same order. Two packet sockets
/// may see frames of two senders at the same instant (FINs crossing) in either order, so the
/// interleaving is not compared. A sender is the source MAC, and for IPv4 over Ethernet the
/// source address and port too (loopback's frames all have a zero MAC).
pub fn same_frames_per_sender(a: &[Vec<u8>], b: &[Vec<u8>]) {
    fn by_sender(frames: &[Vec<u8>]) -> BTreeMap<Vec<u8>, Vec<&Vec<u8>>> {
        let mut senders: BTreeMap<Vec<u8>, Vec<&Vec<u8>>> = BTreeMap::new();
        for f in frames {
            let mut key = f.get(6..12).unwrap_or_default().to_vec();
            if f.get(12..14) == Some(&[8, 0]) {
                key.extend_from_slice(f.get(26..30).unwrap_or_default());
                key.extend_from_slice(f.get(34..36).unwrap_or_default());
            }
            senders.entry(key).or_default().push(f);
        }
        senders
    }
    let (sa, sb) = (by_sender(a), by_sender(b));
    assert_eq!(sa.keys().collect::<Vec<_>>(), sb.keys().collect::<Vec<_>>(), "the senders differ");
    for (sender, xs) in &sa {
        let ys = &sb[sender];
        assert_eq!(xs.len(), ys.len(), "frames from {sender:02x?}");
        for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
            assert_eq!(x, y, "frame {} from {sender:02x?} differs", i + 1);
        }
    }
}

pub fn frames(path: &Path) -> Vec<Vec<u8>> {
    let mut src = FileSource::open(&path.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
    let mut v = Vec::new();
    src.for_each(|f| {
        v.push(f.data.to_vec());
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    v
}

/// Waits until a file stops growing for `quiet` (bounded by `limit`).
pub fn settle(paths: &[&Path], quiet: Duration, limit: Duration) {
    let until = Instant::now() + limit;
    let size = || {
        paths
            .iter()
            .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            .collect::<Vec<_>>()
    };
    let mut last = size();
    let mut since = Instant::now();
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
        let now = size();
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

/// The count of inspect's closing lines, tcpdump's `N packets captured` (`1 packet captured`):
/// the noun agrees with the count.
pub fn captured_count(stderr: &[String]) -> u64 {
    closing(stderr, "captured")
}

/// The count of the closing line `N packets WHAT` (captured, received by filter, dropped by
/// kernel).
pub fn closing(stderr: &[String], what: &str) -> u64 {
    let line = stderr
        .iter()
        .find(|l| l.ends_with(&format!(" {what}")) && l.contains(" packet"))
        .unwrap_or_else(|| panic!("no closing line for {what} in {stderr:?}"));
    let n: u64 = line
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"));
    let noun = if n == 1 { "packet" } else { "packets" };
    assert_eq!(line, &format!("{n} {noun} {what}"));
    n
}

fn json(lines: &[String]) -> Vec<serde_json::Value> {
    json_lines(&lines.join("\n"))
}

fn start_capture(net: &Netns, args: &[&str]) -> (Proc, Lines, Lines) {
    let mut cmd = net.exec(
        &net.a,
        &[BIN, "capture", "-i", "veth-a", "--duration", "60"],
    );
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut p = Proc::spawn("inspect capture", cmd);
    let out = Lines::new(p.child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    let mut err = Lines::new(p.child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    err.wait_for("capturing on veth-a", Duration::from_secs(10));
    (p, out, err)
}

fn capture_matches_tcpdump_and_decodes_traffic() {
    let net = Netns::new(1);
    let dir = TempDir::new("live-match");
    let ours = dir.join("inspect.pcap");
    let theirs = dir.join("tcpdump.pcap");

    let mut server = net.exec(
        &net.b,
        &[
            "timeout",
            "60",
            "python3",
            "-m",
            "http.server",
            "8080",
            "--bind",
            &net.ip_b,
        ],
    );
    server
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _server = Proc::spawn("http.server", server);
    let until = Instant::now() + Duration::from_secs(15);
    while !sh(&[
        "ip",
        "netns",
        "exec",
        &net.b,
        "ss",
        "-Hltn",
        "sport = :8080",
    ])
    .unwrap_or_default()
    .contains("8080")
    {
        assert!(Instant::now() < until, "http.server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }

    let (mut inspect, mut out, mut err) =
        start_capture(&net, &["-w", &ours.to_string_lossy(), "--format", "json"]);
    let mut td = net.exec(
        &net.a,
        &[
            "timeout",
            "60",
            "tcpdump",
            "-i",
            "veth-a",
            "-U",
            "-n",
            "-w",
            &theirs.to_string_lossy(),
        ],
    );
    td.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut tcpdump = Proc::spawn("tcpdump", td);
    let mut td_err = Lines::new(
        tcpdump
            .child
            .stderr
            .take()
            .unwrap_or_else(|| panic!("no stderr")),
    );
    td_err.wait_for("listening on veth-a", Duration::from_secs(10));

    let url = format!("http://{}:8080/", net.ip_b);
    let body = net
        .exec(
            &net.a,
            &[
                "curl",
                "-s",
                "-m",
                "5",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                &url,
            ],
        )
        .output();
    assert_eq!(
        body.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default(),
        "200"
    );
    let arping = net
        .exec(
            &net.a,
            &["arping", "-c", "2", "-w", "5", "-i", "veth-a", &net.ip_b],
        )
        .output();
    assert!(arping.is_ok_and(|o| o.status.success()), "arping failed");
    let hping = net
        .exec(
            &net.a,
            &[
                "timeout",
                "20",
                "hping3",
                "-q",
                "-S",
                "--rand-source",
                "-p",
                "8080",
                "-c",
                "200",
                "-i",
                "u1000",
                &net.ip_b,
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(hping.is_ok(), "hping3 did not run");

    settle(
        &[&ours, &theirs],
        Duration::from_millis(500),
        Duration::from_secs(10),
    );
    inspect.signal(Signal::SIGINT);
    tcpdump.signal(Signal::SIGINT);
    assert_eq!(
        inspect.wait(Duration::from_secs(10)),
        Some(0),
        "inspect exit status"
    );
    tcpdump.wait(Duration::from_secs(10));
    let stdout = out.rest(Duration::from_secs(5));
    let stderr = err.rest(Duration::from_secs(5));

    // The -w file equals tcpdump's capture, frame for frame.
    let a = frames(&ours);
    let b = frames(&theirs);
    assert_eq!(
        a.len(),
        b.len(),
        "frame counts: inspect {} vs tcpdump {}",
        a.len(),
        b.len()
    );
    same_frames_per_sender(&a, &b);
    assert_eq!(captured_count(&stderr), a.len() as u64, "{stderr:?}");

    // The decoded packets show the traffic we made.
    let objs = json(&stdout);
    let packets: Vec<&serde_json::Value> = objs
        .iter()
        .filter(|v| v["event_type"] == "packet")
        .collect();
    assert_eq!(packets.len(), a.len());
    let (ip_a, ip_b) = (net.ip_a.as_str(), net.ip_b.as_str());
    let to_server = |p: &&&serde_json::Value| p["ip.dst"] == ip_b && p["tcp.dstport"] == 8080;
    let syn = |p: &&&serde_json::Value| p["tcp.flags"].as_u64().is_some_and(|f| f & 0x12 == 0x02);
    // curl's handshake from our address, and the server's SYN-ACK back to it.
    assert!(
        packets
            .iter()
            .filter(to_server)
            .filter(syn)
            .any(|p| p["ip.src"] == ip_a),
        "no SYN from curl"
    );
    assert!(packets.iter().any(|p| p["ip.src"] == ip_b
        && p["tcp.srcport"] == 8080
        && p["ip.dst"] == ip_a
        && p["tcp.flags"].as_u64().is_some_and(|f| f & 0x12 == 0x12)));
    // The request carries payload to the server; the response carries more back.
    assert!(packets
        .iter()
        .filter(to_server)
        .any(|p| p["tcp.len"].as_u64().is_some_and(|n| n > 0)));
    // hping3's 200 spoofed SYNs: from addresses other than ours.
    let spoofed = packets
        .iter()
        .filter(to_server)
        .filter(syn)
        .filter(|p| p["ip.src"] != ip_a)
        .count();
    assert_eq!(spoofed, 200, "spoofed SYNs");
    // arping's requests for the server's address, and the replies.
    let arp_req = packets
        .iter()
        .filter(|p| p["arp.opcode"] == 1 && p["arp.dst.proto_ipv4"] == ip_b)
        .count();
    let arp_rep = packets
        .iter()
        .filter(|p| p["arp.opcode"] == 2 && p["arp.src.proto_ipv4"] == ip_b)
        .count();
    assert!(arp_req >= 2, "ARP requests: {arp_req}");
    assert!(arp_rep >= 2, "ARP replies: {arp_rep}");
    // The closing objects: the usual stats, then the capture's own.
    let stats = objs
        .iter()
        .find(|v| v["event_type"] == "stats")
        .unwrap_or_else(|| panic!("no stats"));
    assert_eq!(stats["packets"], a.len() as u64);
    let cs = objs
        .iter()
        .find(|v| v["event_type"] == "capture_stats")
        .unwrap_or_else(|| panic!("no capture_stats"));
    assert_eq!(cs["captured"], a.len() as u64);
    assert_eq!(cs["received"], a.len() as u64);
    assert_eq!(cs["dropped_by_kernel"], 0);

    check_analyzers(&net, &objs, &packets);
    live_equals_replay(&objs, &ours);
}

/// Live and offline give the same results for the same packets: reading the `-w` file back
/// yields exactly the packets, connections, alerts and ARP objects the live run printed.
fn live_equals_replay(live: &[serde_json::Value], written: &Path) {
    let replay = json_lines(&inspect(["read".as_ref(), "--format".as_ref(), "json".as_ref(), written.as_os_str()]).ok());
    let kinds = ["packet", "conn", "alert", "arp", "arp_event", "stats"];
    let pick = |v: &[serde_json::Value], k: &str| -> Vec<serde_json::Value> {
        v.iter().filter(|o| o["event_type"] == k).cloned().collect()
    };
    for k in kinds {
        let (a, b) = (pick(live, k), pick(&replay, k));
        assert!(!a.is_empty() || k == "arp_event", "live run printed no {k} objects");
        assert_eq!(a.len(), b.len(), "{k}: live {} objects, replay {}", a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            // What the capture's stop ended is what the file's end ends on replay.
            let mut x = x.clone();
            for field in ["end", "closed_by"] {
                if x[field] == "capture_stopped" {
                    x[field] = "end_of_input".into();
                }
            }
            assert_eq!(&x, y, "{k} differs between the live run and the replay of its -w file");
        }
    }
}

/// What the analyzers made of the traffic of `capture_matches_tcpdump_and_decodes_traffic`: the
/// JSON objects the run wrote (`objs`) against the decoded packets (`packets`, frame for frame
/// what tcpdump captured) and the interfaces' own addresses.
fn check_analyzers(net: &Netns, objs: &[serde_json::Value], packets: &[&serde_json::Value]) {
    let (ip_a, ip_b) = (net.ip_a.as_str(), net.ip_b.as_str());
    let of = |kind: &str| -> Vec<&serde_json::Value> {
        objs.iter().filter(|v| v["event_type"] == kind).collect()
    };

    // curl's connection: one conn record (Zeek names), opened by us, both FINs seen, so SF.
    let conns = of("conn");
    let curl: Vec<_> = conns
        .iter()
        .filter(|v| v["id.orig_h"] == ip_a && v["id.resp_h"] == ip_b && v["id.resp_p"] == 8080)
        .collect();
    assert_eq!(curl.len(), 1, "curl's connection: {curl:?}");
    let c = curl[0];
    assert_eq!(c["proto"], "tcp");
    assert_eq!(c["conn_state"], "SF", "{c}");
    // Handshake (S h A), request data (D), response data (d); then both FINs (F f), in the
    // order the two sides happened to close.
    let history = c["history"].as_str().unwrap_or_default();
    assert!(history.starts_with("ShA"), "{c}");
    for letter in ['D', 'd', 'F', 'f'] {
        assert!(history.contains(letter), "history {history} lacks {letter}");
    }
    assert_eq!(c["end"], "capture_stopped");
    // Its packets and payload bytes are those of the decoded packets on its four-tuple.
    let orig_p = c["id.orig_p"].as_u64().unwrap_or(0);
    let from_orig = |p: &&&serde_json::Value| {
        p["ip.src"] == ip_a && p["tcp.srcport"] == orig_p && p["ip.dst"] == ip_b && p["tcp.dstport"] == 8080
    };
    let from_resp = |p: &&&serde_json::Value| {
        p["ip.src"] == ip_b && p["tcp.srcport"] == 8080 && p["ip.dst"] == ip_a && p["tcp.dstport"] == orig_p
    };
    let payload = |p: &&serde_json::Value| p["tcp.len"].as_u64().unwrap_or(0);
    // The end states follow from how the two FINs met on the wire. If the second FIN already
    // acknowledges the first, the first closer waits in TIME_WAIT (the capture ends long before
    // 2×MSL) and the other, whose last ACK was acknowledged, is CLOSED. If the FINs crossed
    // (the second does not acknowledge the first: a simultaneous close), both end in TIME_WAIT.
    let is_fin = |p: &&&serde_json::Value| p["tcp.flags"].as_u64().is_some_and(|f| f & 0x01 != 0);
    let first_orig = packets.iter().filter(from_orig).find(is_fin).expect("client FIN");
    let first_resp = packets.iter().filter(from_resp).find(is_fin).expect("server FIN");
    let pos = |p: &&serde_json::Value| packets.iter().position(|q| std::ptr::eq(*q, *p)).unwrap_or(usize::MAX);
    let (first, second, orig_first) = if pos(first_orig) < pos(first_resp) {
        (first_orig, first_resp, true)
    } else {
        (first_resp, first_orig, false)
    };
    let fin_end = (first["tcp.seq_raw"].as_u64().unwrap_or(0) + payload(first) + 1) % (1 << 32);
    let crossed = second["tcp.ack_raw"].as_u64() != Some(fin_end);
    let want = match (crossed, orig_first) {
        (true, _) => ("TIME_WAIT", "TIME_WAIT"),
        (false, true) => ("TIME_WAIT", "CLOSED"),
        (false, false) => ("CLOSED", "TIME_WAIT"),
    };
    let states = (c["orig_state"].as_str().unwrap_or_default(), c["resp_state"].as_str().unwrap_or_default());
    assert_eq!(states, want, "endpoint states (FINs crossed: {crossed}) {c}");

    assert_eq!(c["orig_pkts"], packets.iter().filter(from_orig).count() as u64);
    assert_eq!(c["resp_pkts"], packets.iter().filter(from_resp).count() as u64);
    if c["orig_retrans"] == 0 && c["resp_retrans"] == 0 {
        assert_eq!(c["orig_bytes"], packets.iter().filter(from_orig).map(payload).sum::<u64>());
        assert_eq!(c["resp_bytes"], packets.iter().filter(from_resp).map(payload).sum::<u64>());
    }
    // hping3's 200 SYNs, one per source port from random addresses, none answered (the
    // server has no route back): 200 connections attempted and never replied to (S0).
    let spoofed = conns
        .iter()
        .filter(|v| v["id.orig_h"] != ip_a && v["id.resp_p"] == 8080)
        .filter(|v| v["conn_state"] == "S0" && v["history"] == "S")
        .filter(|v| v["orig_state"] == "SYN_SENT" && v["resp_state"] == "CLOSED")
        .count();
    assert_eq!(spoofed, 200, "spoofed S0 connections");
    let summary = of("conn_summary");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0]["tcp"], conns.len() as u64);

    // The ARP table: each address with the MAC its interface really has.
    let mac = |ns: &str, dev: &str| {
        sh(&["ip", "netns", "exec", ns, "cat", &format!("/sys/class/net/{dev}/address")])
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let (mac_a, mac_b) = (mac(&net.a, "veth-a"), mac(&net.b, "veth-b"));
    assert_eq!(mac_a.len(), 17, "{mac_a:?}");
    let arp = of("arp");
    let entry = |ip: &str| {
        arp.iter()
            .find(|v| v["ip"] == ip)
            .unwrap_or_else(|| panic!("no ARP entry for {ip}: {arp:?}"))
    };
    let b = entry(ip_b);
    assert_eq!(b["mac"], mac_b.as_str());
    // arping's replies came from the server seconds ago: confirmed, so reachable.
    assert_eq!(b["state"], "reachable", "{b}");
    assert_eq!(b["learned"], "reply", "{b}");
    let a = entry(ip_a);
    assert_eq!(a["mac"], mac_a.as_str());
    // Heard in our requests (stale), unless the server's kernel probed it meanwhile.
    assert!(a["state"] == "stale" || a["state"] == "reachable", "{a}");
    // Both first seen in this capture: "new station" events, as arpwatch names them.
    let events = of("arp_event");
    for (ip, m) in [(ip_a, &mac_a), (ip_b, &mac_b)] {
        assert!(
            events.iter().any(|e| e["event"] == "new station" && e["ip"] == ip && e["mac"] == m.as_str()),
            "no new-station event for {ip}: {events:?}"
        );
    }

    // The spoofed burst: one SYN-flood alert on the server's port, shown when it opened and
    // again when the end of the capture closed it.
    let alerts = of("alert");
    for a in &alerts {
        assert_eq!(a["alert"], "syn_flood");
        assert_eq!(a["dst"], ip_b);
        assert_eq!(a["dport"], 8080);
        assert_eq!(a["spoofed"], true, "{a}");
    }
    let states: Vec<_> = alerts.iter().map(|a| a["state"].as_str().unwrap_or_default()).collect();
    assert_eq!(states, ["open", "closed"], "{alerts:?}");
    let closed = alerts[1];
    assert_eq!(closed["closed_by"], "capture_stopped");
    // Every spoofed SYN falls inside the alert, and none was answered.
    assert_eq!(closed["syns"], 200, "{closed}");
    assert_eq!(closed["synacks"], 0);
    assert_eq!(closed["completed"], 0);
    let signs = closed["spoof_signs"].as_array().cloned().unwrap_or_default();
    assert!(signs.iter().any(|s| s == "one_syn_sources"), "{closed}");
}

fn interrupted_capture_loses_nothing() {
    let net = Netns::new(2);
    let dir = TempDir::new("live-interrupt");
    let file = dir.join("cut.pcap");
    let (mut inspect, mut out, mut err) =
        start_capture(&net, &["-w", &file.to_string_lossy(), "-q"]);
    // A steady stream that is still running when the capture is interrupted.
    let mut ping = net.exec(
        &net.a,
        &[
            "ping", "-q", "-c", "20000", "-i", "0.0005", "-w", "30", &net.ip_b,
        ],
    );
    ping.stdout(Stdio::null()).stderr(Stdio::null());
    let _ping = Proc::spawn("ping", ping);
    let until = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) < 100 * 98 {
        assert!(Instant::now() < until, "capture file did not grow");
        std::thread::sleep(Duration::from_millis(20));
    }
    inspect.signal(Signal::SIGINT);
    assert_eq!(inspect.wait(Duration::from_secs(10)), Some(0));
    let _ = out.rest(Duration::from_secs(5));
    let stderr = err.rest(Duration::from_secs(5));
    // The file reads to its end without error, holds exactly what the tool counted, and nothing
    // was dropped on the way.
    let got = frames(&file);
    assert!(got.len() >= 100, "{} frames", got.len());
    assert_eq!(captured_count(&stderr), got.len() as u64, "{stderr:?}");
    assert_eq!(closing(&stderr, "dropped by kernel"), 0, "{stderr:?}");
    assert_eq!(closing(&stderr, "received by filter"), got.len() as u64, "{stderr:?}");
}

fn count_and_duration_stop_by_themselves() {
    let net = Netns::new(3);
    let mut ping = net.exec(
        &net.a,
        &[
            "ping", "-q", "-c", "400", "-i", "0.01", "-w", "30", &net.ip_b,
        ],
    );
    ping.stdout(Stdio::null()).stderr(Stdio::null());
    let _ping = Proc::spawn("ping", ping);
    let (mut counted, mut out, mut err) = start_capture(&net, &["-c", "5"]);
    assert_eq!(counted.wait(Duration::from_secs(10)), Some(0));
    let lines = out.rest(Duration::from_secs(5));
    let packet_lines = lines.iter().take_while(|l| !l.is_empty()).count();
    assert_eq!(packet_lines, 5, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("Summary: 5 packets,")),
        "{lines:?}"
    );
    assert_eq!(captured_count(&err.rest(Duration::from_secs(5))), 5);

    // One packet: the summary and the closing line say it in the singular.
    let (mut one, mut out, mut err) = start_capture(&net, &["-c", "1"]);
    assert_eq!(one.wait(Duration::from_secs(10)), Some(0));
    let lines = out.rest(Duration::from_secs(5));
    assert!(lines.iter().any(|l| l.starts_with("Summary: 1 packet,")), "{lines:?}");
    assert_eq!(captured_count(&err.rest(Duration::from_secs(5))), 1);

    let started = Instant::now();
    let mut timed = net.exec(
        &net.a,
        &[BIN, "capture", "-i", "veth-a", "-q", "--duration", "0.5"],
    );
    timed.stdout(Stdio::null()).stderr(Stdio::null());
    let mut timed = Proc::spawn("inspect --duration", timed);
    assert_eq!(timed.wait(Duration::from_secs(10)), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(500));
}

/// A capture expression (given as words) is attached to the socket: the kernel drops the echo
/// replies, so the capture thread reads about as many frames as it keeps. A display filter
/// shows (and -w - writes) only what it matches, while the analyzers see every frame.
fn capture_expressions_run_in_the_kernel_and_display_filters_after() {
    let net = Netns::new(5);
    let mut ping = net.exec(&net.a, &["ping", "-q", "-c", "600", "-i", "0.01", "-w", "30", &net.ip_b]);
    ping.stdout(Stdio::null()).stderr(Stdio::null());
    let _ping = Proc::spawn("ping", ping);
    let (mut p, mut out, mut err) = start_capture(&net, &["--format", "json", "-c", "20", "icmp[icmptype]", "=", "icmp-echo"]);
    assert_eq!(p.wait(Duration::from_secs(20)), Some(0));
    let objs = json(&out.rest(Duration::from_secs(5)));
    let _ = err.rest(Duration::from_secs(5));
    let packets: Vec<_> = objs.iter().filter(|v| v["event_type"] == "packet").collect();
    assert_eq!(packets.len(), 20);
    assert!(packets.iter().all(|v| v["icmp.type"] == 8), "only echo requests: {packets:?}");
    let stats = objs.iter().find(|v| v["event_type"] == "capture_stats").unwrap_or_else(|| panic!("no capture_stats: {objs:?}"));
    let received = stats["received"].as_u64().unwrap_or(0);
    assert!(received < 30, "the kernel dropped the replies: {received} frames read for 20 kept");

    let (mut p, mut out, _err) = start_capture(&net, &["-L", "-c", "20", "-Y", "icmp.type == 0"]);
    assert_eq!(p.wait(Duration::from_secs(20)), Some(0));
    let lines = out.rest(Duration::from_secs(5));
    assert!(!lines.is_empty() && lines.len() <= 20, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("ICMP echo reply")), "{lines:?}");
}

fn errors_name_the_problem() {
    let net = Netns::new(4);
    let missing = net
        .exec(&net.a, &[BIN, "capture", "-i", "eth9"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(missing.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&missing.stderr);
    // The namespace has exactly these two interfaces.
    assert_eq!(
        msg.trim_end(),
        "inspect: eth9: no such interface (available: lo, veth-a)"
    );
    // arp-scan looks its interface up the same way.
    let scan = net.exec(&net.a, &[BIN, "arp-scan", "-i", "eth9"]).output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scan.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&scan.stderr), msg);

    let denied = net
        .exec(
            &net.a,
            &[
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                BIN,
                "capture",
                "-i",
                "veth-a",
            ],
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(denied.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&denied.stderr).trim_end(),
        "inspect: capture on veth-a needs root or CAP_NET_RAW: sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v inspect)\""
    );
}

/// `-i any`: the namespace's traffic on every interface, as Linux cooked (SLL2) frames that
/// name the interface and direction; capture expressions work on them; `-w` keeps the link type.
fn any_captures_every_interface_as_linux_cooked_frames() {
    let net = Netns::new(6);
    let dir = TempDir::new("live-any");
    let file = dir.join("any.pcap");
    let mut ping = net.exec(&net.a, &["ping", "-q", "-c", "600", "-i", "0.01", "-w", "30", &net.ip_b]);
    ping.stdout(Stdio::null()).stderr(Stdio::null());
    let _ping = Proc::spawn("ping", ping);
    // Loopback traffic too, so that two interfaces take part.
    let mut lo = net.exec(&net.a, &["ping", "-q", "-c", "600", "-i", "0.01", "-w", "30", "127.0.0.1"]);
    lo.stdout(Stdio::null()).stderr(Stdio::null());
    let _lo = Proc::spawn("ping", lo);
    let mut cmd = net.exec(&net.a, &[BIN, "capture", "-i", "any", "--duration", "60", "--format", "json", "-c", "40"]);
    cmd.args(["-w", &file.to_string_lossy(), "icmp[icmptype]", "=", "icmp-echo"]).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut p = Proc::spawn("inspect capture", cmd);
    let mut out = Lines::new(p.child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    let mut err = Lines::new(p.child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    err.wait_for("capturing on any (link type LINUX_SLL2)", Duration::from_secs(10));
    assert_eq!(p.wait(Duration::from_secs(20)), Some(0));
    let objs = json(&out.rest(Duration::from_secs(5)));
    let packets: Vec<_> = objs.iter().filter(|v| v["event_type"] == "packet").collect();
    assert_eq!(packets.len(), 40, "{objs:?}");
    assert!(packets.iter().all(|v| v["frame.linktype"] == 276 && v["icmp.type"] == 8), "{packets:?}");
    let dsts: std::collections::BTreeSet<String> =
        packets.iter().filter_map(|v| v["ip.dst"].as_str().map(String::from)).collect();
    assert!(dsts.contains(&net.ip_b) && dsts.contains("127.0.0.1"), "both interfaces: {dsts:?}");
    if !cfg!(feature = "libpcap") {
        // The kernel ran the expression, moved to the cooked socket's view: the echo replies
        // (as many frames as the requests) were not even counted.
        let stats = objs.iter().find(|v| v["event_type"] == "capture_stats").unwrap_or_else(|| panic!("no capture_stats: {objs:?}"));
        let received = stats["received"].as_u64().unwrap_or(u64::MAX);
        assert!(received < 60, "the kernel filtered on any: {received} frames received for 40 kept");
    }

    // The file: SLL2 frames whose header names the interface (veth-a's index or loopback's 1)
    // and direction, as libpcap's any device writes them.
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bytes.get(20..24), Some(&276u32.to_le_bytes()[..]), "the pcap header's link type");
    let all = frames(&file);
    assert_eq!(all.len(), 40);
    for d in &all {
        let field = |r: std::ops::Range<usize>| d.get(r).unwrap_or_else(|| panic!("short frame {d:?}")).to_vec();
        assert_eq!(field(0..2), [0x08, 0x00], "protocol IPv4: {d:?}");
        assert!(u32::from_be_bytes(field(4..8).try_into().unwrap_or([0; 4])) >= 1, "interface index: {d:?}");
        // Pings from a: outgoing (4) on veth-a; on loopback outgoing and to this host (0).
        assert!(matches!(field(10..11)[..], [4] | [0]), "direction: {d:?}");
    }
}
