//! Real SYN floods recorded live, in two network namespaces this test creates: hping3 (IPv4)
//! and THC's thcsyn6 (IPv6) flood a server that answers, tcpdump records them on the server's
//! end, and `inspect read` must give one alert per flooded target, spoofed, with tcpdump's own
//! count of the SYNs to that target (within 1 %). Needs root and the tools it names (CI
//! installs them); every wait is bounded, every process is ended by its pid, and the namespaces
//! are deleted by a guard even when an assertion fails.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::support::{inspect, json_lines, sh, Need, Test, TempDir};

pub fn tests() -> Vec<Test> {
    use Need::{Netns, Tool};
    vec![trial!(
        live_floods_give_one_alert_per_target_with_tcpdumps_counts,
        Netns,
        Tool("hping3"),
        Tool("atk6-thcsyn6"),
        Tool("tcpdump"),
        Tool("python3"),
        Tool("timeout"),
        Tool("sysctl"),
    )]
}

/// The attacker's and the server's namespaces, deleted when dropped.
struct Pair {
    a: String,
    s: String,
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.a]);
        let _ = sh(&["ip", "netns", "del", &self.s]);
    }
}

/// The server's MAC: thcsyn6 is told where to send instead of asking by neighbour discovery.
const S_MAC: &str = "02:00:00:00:0e:02";

impl Pair {
    fn new() -> Pair {
        let tag = std::process::id();
        let p = Pair { a: format!("insp-fla-{tag}"), s: format!("insp-fls-{tag}") };
        let run = |args: &[&str]| sh(args).unwrap_or_else(|e| panic!("netns setup: {e}"));
        run(&["ip", "netns", "add", &p.a]);
        run(&["ip", "netns", "add", &p.s]);
        run(&["ip", "link", "add", "veth-fa", "netns", &p.a, "type", "veth", "peer", "name", "veth-fs", "netns", &p.s]);
        run(&["ip", "-n", &p.s, "link", "set", "veth-fs", "address", S_MAC]);
        for ns in [&p.a, &p.s] {
            run(&["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_ra=0"]);
            run(&["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_ra=0"]);
            run(&["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=0"]);
            run(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        run(&["ip", "-n", &p.a, "addr", "add", "10.204.0.1/24", "dev", "veth-fa"]);
        run(&["ip", "-n", &p.a, "-6", "addr", "add", "fd00:204::1/64", "dev", "veth-fa", "nodad"]);
        run(&["ip", "-n", &p.s, "addr", "add", "10.204.0.2/24", "dev", "veth-fs"]);
        run(&["ip", "-n", &p.s, "addr", "add", "10.204.0.3/24", "dev", "veth-fs"]);
        run(&["ip", "-n", &p.s, "-6", "addr", "add", "fd00:204::2/64", "dev", "veth-fs", "nodad"]);
        run(&["ip", "-n", &p.a, "link", "set", "veth-fa", "up"]);
        run(&["ip", "-n", &p.s, "link", "set", "veth-fs", "up"]);
        // The SYN-ACKs to spoofed sources leave towards the attacker, which does not forward.
        run(&["ip", "-n", &p.s, "route", "add", "default", "via", "10.204.0.1"]);
        run(&["ip", "-n", &p.s, "-6", "route", "add", "default", "via", "fd00:204::1"]);
        p
    }

    fn exec(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args).stdin(Stdio::null());
        c
    }
}

/// A child ended by pid when dropped (SIGKILL if still running).
struct Proc(Child);

impl Proc {
    fn spawn(cmd: &mut Command, what: &str) -> Proc {
        Proc(cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}")))
    }

    /// Waits up to `limit` for the exit.
    fn wait(&mut self, limit: Duration, what: &str) {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{what} still running after {limit:?}");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = kill(Pid::from_raw(self.0.id() as i32), Signal::SIGKILL);
            let _ = self.0.wait();
        }
    }
}

/// Accepts and closes connections on ports 22 and 80 of every address, for 30 s at most.
const LISTENER: &str = "
import selectors, signal, socket
signal.alarm(30)
sel = selectors.DefaultSelector()
for port in (22, 80):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    s.listen(128)
    sel.register(s, selectors.EVENT_READ)
print('ready', flush=True)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.close()
";

/// SYNs (flags `[S]`) to `target` (tcpdump's `ADDR.PORT`) in tcpdump's own reading of `file`.
fn tcpdump_syns(file: &std::path::Path, target: &str) -> f64 {
    let out = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("tcpdump -r: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let needle = format!("> {target}: Flags [S],");
    text.lines().filter(|l| l.contains(&needle)).count() as f64
}

fn live_floods_give_one_alert_per_target_with_tcpdumps_counts() {
    let dir = TempDir::new("flood-live");
    let pair = Pair::new();
    let mut listener = pair.exec(&pair.s, &["python3", "-c", LISTENER]);
    let mut listener = Proc::spawn(listener.stdout(Stdio::piped()), "the listener");
    {
        use std::io::BufRead;
        let out = listener.0.stdout.take().expect("listener's stdout");
        let mut line = String::new();
        let _ = std::io::BufReader::new(out).read_line(&mut line);
        assert_eq!(line.trim(), "ready", "the listener did not start");
    }
    let file = dir.join("live.pcap");
    let file_s = file.to_string_lossy().to_string();
    let mut tcpdump = pair.exec(&pair.s, &["tcpdump", "-i", "veth-fs", "-U", "-n", "-s", "262144", "-w", &file_s]);
    let log = dir.join("tcpdump.log");
    let log_f = std::fs::File::create(&log).expect("tcpdump log");
    let tcpdump = Proc::spawn(tcpdump.stderr(log_f), "tcpdump");
    let until = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("listening on") {
        assert!(Instant::now() < until, "tcpdump did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Three floods at once: 1,200 and 800 spoofed SYNs at 1,000 a second to two IPv4 servers,
    // and thcsyn6 to the IPv6 one for 2.5 s (on a busy machine it sends fewer than 1,000 a
    // second).
    let hping = |port: &str, count: &str, dst: &str| {
        let args = ["timeout", "20", "hping3", "-q", "-I", "veth-fa", "-S", "--rand-source", "-p", port, "-c", count, "-i", "u1000", dst];
        let mut c = pair.exec(&pair.a, &args);
        Proc::spawn(c.stdout(Stdio::null()).stderr(Stdio::null()), "hping3")
    };
    let mut floods = vec![hping("80", "1200", "10.204.0.2"), hping("22", "800", "10.204.0.3")];
    let thc = ["timeout", "-s", "INT", "2.5", "atk6-thcsyn6", "-R", "-i", "1000", "-m", S_MAC, "veth-fa", "fd00:204::2", "80"];
    let mut c = pair.exec(&pair.a, &thc);
    floods.push(Proc::spawn(c.stdout(Stdio::null()).stderr(Stdio::null()), "atk6-thcsyn6"));
    for f in &mut floods {
        f.wait(Duration::from_secs(25), "a flood");
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = kill(Pid::from_raw(tcpdump.0.id() as i32), Signal::SIGINT);
    let mut tcpdump = tcpdump;
    tcpdump.wait(Duration::from_secs(10), "tcpdump");
    drop(listener);

    let out = inspect(["read".as_ref(), "-q".as_ref(), "--format".as_ref(), "json".as_ref(), file.as_os_str()]).ok();
    let objs = json_lines(&out);
    let alerts: Vec<_> = objs.iter().filter(|o| o["event_type"] == "alert" && o["state"] == "closed").collect();
    let targets = [("10.204.0.2", 80, "10.204.0.2.80"), ("10.204.0.3", 22, "10.204.0.3.22"), ("fd00:204::2", 80, "fd00:204::2.80")];
    assert_eq!(alerts.len(), targets.len(), "{alerts:?}");
    for (dst, port, name) in targets {
        let want = tcpdump_syns(&file, name);
        assert!(want >= 500.0, "tcpdump counts {want} SYNs to {name}");
        let a = alerts
            .iter()
            .find(|a| a["dst"] == dst && a["dport"] == port)
            .unwrap_or_else(|| panic!("no alert on {name}: {alerts:?}"));
        let got = a["syns"].as_f64().unwrap_or(0.0);
        assert!((got - want).abs() <= want * 0.01, "{name}: {got} SYNs, tcpdump counts {want}");
        assert_eq!((a["pattern"].as_str(), a["spoofed"].as_bool()), (Some("one_port"), Some(true)), "{a}");
    }
}
