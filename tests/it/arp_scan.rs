//! `inspect arp-scan` on a real link: three hosts in network namespaces of their own, joined by
//! a bridge in a fourth. Every address lives inside those namespaces, and the namespaces are
//! deleted when the test ends, passed or failed. What a scan must find follows from how the lab
//! is built (addresses, MACs); the table's columns are those of `inspect arp` (checked against
//! tshark in `it::arp`). The unknown-interface checks need no namespace and no privilege.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{inspect, json_lines, sh, Need, Run, Test, BIN};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(scan_finds_the_two_other_hosts, Need::Netns),
        trial!(two_hosts_on_one_address_are_a_duplicate, Need::Netns),
        trial!(scan_defaults_to_the_interface_subnet_and_prints_a_table, Need::Netns),
        trial!(scan_without_privileges_says_so, Need::Netns, Need::Tool("setpriv")),
        trial!(unknown_interface_is_refused_as_capture_refuses_it),
        trial!(unknown_interface_is_refused_before_any_socket_without_privileges, Need::Root, Need::Tool("setpriv")),
    ]
}

/// The namespaces of one test; deleted on drop, so a failing assertion still cleans up.
struct Lab {
    bridge: String,
    hosts: Vec<String>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in self.hosts.iter().chain(std::iter::once(&self.bridge)) {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

fn must(args: &[&str]) {
    if let Err(e) = sh(args) {
        panic!("lab setup: {e}");
    }
}

fn mac(i: usize) -> String {
    format!("02:c9:00:00:00:{i:02x}")
}

/// Three hosts 10.201.0.1-3/24 with known MACs, each `eth0`, on one bridge.
fn lab(tag: &str) -> Lab {
    lab_with(tag, [1, 2, 3])
}

/// Three hosts with the given last address bytes in 10.201.0.0/24 (MACs end in 1, 2, 3).
fn lab_with(tag: &str, hosts: [u8; 3]) -> Lab {
    let id = format!("{}-{tag}", std::process::id());
    let lab = Lab { bridge: format!("insp-scan-br-{id}"), hosts: (1..=3).map(|i| format!("insp-scan-{i}-{id}")).collect() };
    must(&["ip", "netns", "add", &lab.bridge]);
    must(&["ip", "-n", &lab.bridge, "link", "add", "br0", "type", "bridge"]);
    must(&["ip", "-n", &lab.bridge, "link", "set", "br0", "up"]);
    for (i, ns) in lab.hosts.iter().enumerate() {
        let n = i + 1;
        must(&["ip", "netns", "add", ns]);
        // IPv6 off, so no neighbour discovery joins the scan; where sysctl is missing the scan
        // ignores IPv6 anyway.
        let _ = Command::new("ip").args(["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]).output();
        let port = format!("p{n}");
        must(&["ip", "-n", &lab.bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
        must(&["ip", "-n", &lab.bridge, "link", "set", &port, "master", "br0", "up"]);
        must(&["ip", "-n", ns, "link", "set", "eth0", "address", &mac(n)]);
        must(&["ip", "-n", ns, "addr", "add", &format!("10.201.0.{}/24", hosts[i]), "dev", "eth0"]);
        must(&["ip", "-n", ns, "link", "set", "eth0", "up"]);
        must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    lab
}

fn scan_in(ns: &str, args: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns, BIN, "arp-scan"])
        .args(args)
        .output()
        .expect("run inspect arp-scan in its namespace")
}

/// Standard output of a scan that must have succeeded.
fn scanned(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "arp-scan failed: {}{stdout}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn scan_finds_the_two_other_hosts() {
    let lab = lab("cidr");
    let stdout = scanned(&scan_in(&lab.hosts[0], &["-i", "eth0", "10.201.0.0/24", "--rate", "1000", "--wait", "1", "--format", "json"]));
    let objs = json_lines(&stdout);
    let entries: Vec<&Value> = objs.iter().filter(|o| o["event_type"] == "arp").collect();
    let found: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| (e["ip"].as_str().unwrap_or("").into(), e["mac"].as_str().unwrap_or("").into(), e["learned"].as_str().unwrap_or("").into()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("10.201.0.2".to_string(), mac(2), "reply".to_string()),
            ("10.201.0.3".to_string(), mac(3), "reply".to_string()),
        ]
    );
    assert!(entries.iter().all(|e| e["state"] == "reachable"), "{entries:?}");
    let summary = objs.iter().find(|o| o["event_type"] == "arp_scan").expect("an arp_scan summary");
    // 254 host addresses of a /24, less the scanner's own.
    assert_eq!(summary["sent"], 253);
    assert_eq!(summary["answered"], 2);
    assert_eq!(summary["sender_ip"], "10.201.0.1");
    assert_eq!(summary["sender_mac"], mac(1).as_str());
    // Bounded rate: 253 requests at 1000/s take a quarter second, then the 1 s wait.
    let took = summary["duration"].as_f64().unwrap_or(0.0);
    assert!((1.25..10.0).contains(&took), "took {took} s");
    assert!(objs.iter().all(|o| o["event"] != "duplicate address"), "{stdout}");
}

fn two_hosts_on_one_address_are_a_duplicate() {
    // Hosts 2 and 3 both hold 10.201.0.2: both answer the one who-has.
    let lab = lab_with("dup", [1, 2, 2]);
    let stdout = scanned(&scan_in(&lab.hosts[0], &["-i", "eth0", "10.201.0.0/30", "--wait", "0.5", "--format", "json"]));
    let objs = json_lines(&stdout);
    let dup: Vec<&Value> = objs.iter().filter(|o| o["event"] == "duplicate address").collect();
    assert_eq!(dup.len(), 1, "{stdout}");
    assert_eq!(dup[0]["ip"], "10.201.0.2");
    let pair = [dup[0]["mac"].as_str().unwrap_or(""), dup[0]["old_mac"].as_str().unwrap_or("")];
    assert!(pair.contains(&mac(2).as_str()) && pair.contains(&mac(3).as_str()), "{pair:?}");
    // A /30 has two host addresses, one of them the scanner's: one question, said in the singular.
    let summary = objs.iter().find(|o| o["event_type"] == "arp_scan").expect("an arp_scan summary");
    assert_eq!(summary["sent"], 1, "{summary}");
    let text = scanned(&scan_in(&lab.hosts[0], &["-i", "eth0", "10.201.0.0/30", "--wait", "0.5"]));
    assert!(text.starts_with("arp-scan: asked 1 address of 10.201.0.0/30 on eth0 as 10.201.0.1"), "{text}");
}

fn scan_defaults_to_the_interface_subnet_and_prints_a_table() {
    let lab = lab("own");
    let stdout = scanned(&scan_in(&lab.hosts[1], &["-i", "eth0", "--rate", "2000", "--wait", "0.5"]));
    assert!(stdout.starts_with("arp-scan: asked 253 addresses of 10.201.0.0/24 on eth0 as 10.201.0.2"), "{stdout}");
    for (ip, m) in [("10.201.0.1", mac(1)), ("10.201.0.3", mac(3))] {
        let row = stdout.lines().find(|l| l.contains(&format!(" {ip} "))).unwrap_or_else(|| panic!("no row for {ip}:\n{stdout}"));
        assert!(row.contains(&m) && row.contains("reachable"), "{row}");
    }
    assert!(!stdout.lines().any(|l| l.starts_with("│ 10.201.0.2 ")), "the scanner is not in its own table:\n{stdout}");
}

fn scan_without_privileges_says_so() {
    let lab = lab("perm");
    let out = Command::new("ip")
        .args(["netns", "exec", &lab.hosts[0], "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        .args([BIN, "arp-scan", "-i", "eth0", "--wait", "0"])
        .output()
        .expect("run setpriv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim(), "inspect: arp-scan: sending and capturing on eth0 needs root or CAP_NET_RAW");
}

/// `arp-scan -i nosuch0` and `capture -i nosuch0` refuse alike: the same one line naming the
/// interface and those there are, and exit status 1.
fn check_unknown_interface(arp_scan: &Run, capture: &Run) {
    for (what, run) in [("arp-scan", arp_scan), ("capture", capture)] {
        assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{what}: one line: {:?}", run.stderr);
        let line = run.stderr.trim_end();
        assert!(line.starts_with("inspect: nosuch0: no such interface (available: ") && line.ends_with(')'), "{what}: {line}");
        // Every machine has a loopback interface to offer.
        assert!(line.contains("lo"), "{what}: {line}");
        assert!(run.stdout.is_empty(), "{what} printed {:?}", run.stdout);
    }
    assert_eq!(arp_scan.stderr, capture.stderr, "arp-scan and capture say the same");
}

fn unknown_interface_is_refused_as_capture_refuses_it() {
    check_unknown_interface(&inspect(["arp-scan", "-i", "nosuch0"]), &inspect(["capture", "-i", "nosuch0"]));
}

/// The interface is looked up before any socket is opened: an unprivileged user (nobody,
/// without capabilities) gets the same answer, not a permission error.
fn unknown_interface_is_refused_before_any_socket_without_privileges() {
    let as_nobody = |args: &[&str]| -> Run {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", BIN])
            .args(args)
            .current_dir("/")
            .output()
            .expect("run setpriv")
            .into()
    };
    check_unknown_interface(&as_nobody(&["arp-scan", "-i", "nosuch0"]), &as_nobody(&["capture", "-i", "nosuch0"]));
}
