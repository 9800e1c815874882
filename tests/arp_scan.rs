//! `inspect arp-scan` on a real link: three hosts in network namespaces of their own, joined by
//! a bridge in a fourth. Every address lives inside those namespaces, and the namespaces are
//! deleted when the test ends, passed or failed. Needs root (CI runs as root); skips otherwise.

use std::process::{Command, Output};

use serde_json::Value;

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

fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn mac(i: usize) -> String {
    format!("02:c9:00:00:00:{i:02x}")
}

/// Why the test cannot run here, if it cannot.
fn cannot_run() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if uid.as_deref() != Some("0") {
        return Some("not root: network namespaces need root".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("no `ip` command (iproute2)".into());
    }
    None
}

/// Three hosts 10.201.0.1-3/24 with known MACs, each `eth0`, on one bridge.
fn lab(tag: &str) -> Lab {
    lab_with(tag, [1, 2, 3])
}

/// Three hosts with the given last address bytes in 10.201.0.0/24 (MACs end in 1, 2, 3).
fn lab_with(tag: &str, hosts: [u8; 3]) -> Lab {
    let id = format!("{}-{tag}", std::process::id());
    let lab = Lab { bridge: format!("insp-scan-br-{id}"), hosts: (1..=3).map(|i| format!("insp-scan-{i}-{id}")).collect() };
    sh(&["ip", "netns", "add", &lab.bridge]);
    sh(&["ip", "-n", &lab.bridge, "link", "add", "br0", "type", "bridge"]);
    sh(&["ip", "-n", &lab.bridge, "link", "set", "br0", "up"]);
    for (i, ns) in lab.hosts.iter().enumerate() {
        let n = i + 1;
        sh(&["ip", "netns", "add", ns]);
        let _ = Command::new("ip").args(["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]).output();
        let port = format!("p{n}");
        sh(&["ip", "-n", &lab.bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
        sh(&["ip", "-n", &lab.bridge, "link", "set", &port, "master", "br0", "up"]);
        sh(&["ip", "-n", ns, "link", "set", "eth0", "address", &mac(n)]);
        sh(&["ip", "-n", ns, "addr", "add", &format!("10.201.0.{}/24", hosts[i]), "dev", "eth0"]);
        sh(&["ip", "-n", ns, "link", "set", "eth0", "up"]);
        sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    lab
}

fn scan_in(ns: &str, args: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_inspect"), "arp-scan"])
        .args(args)
        .output()
        .expect("run inspect arp-scan")
}

#[test]
fn scan_finds_the_two_other_hosts() {
    if let Some(why) = cannot_run() {
        eprintln!("skipping arp-scan namespace test: {why}");
        return;
    }
    let lab = lab("cidr");
    let out = scan_in(&lab.hosts[0], &["-i", "eth0", "10.201.0.0/24", "--rate", "1000", "--wait", "1", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", String::from_utf8_lossy(&out.stderr));
    let objs: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
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
    assert!(entries.iter().all(|e| e["state"] == "reachable"));
    let summary = objs.iter().find(|o| o["event_type"] == "arp_scan").expect("arp_scan summary");
    // 254 host addresses of a /24, less the scanner's own.
    assert_eq!(summary["sent"], 253);
    assert_eq!(summary["answered"], 2);
    assert_eq!(summary["sender_ip"], "10.201.0.1");
    assert_eq!(summary["sender_mac"], mac(1).as_str());
    // Bounded rate: 253 requests at 1000/s take a quarter second, then the 1 s wait.
    let took = summary["duration"].as_f64().unwrap_or(0.0);
    assert!((1.25..10.0).contains(&took), "took {took} s");
    assert!(objs.iter().all(|o| o["event"] != "duplicate address"));
}

#[test]
fn two_hosts_on_one_address_are_a_duplicate() {
    if let Some(why) = cannot_run() {
        eprintln!("skipping arp-scan namespace test: {why}");
        return;
    }
    // Hosts 2 and 3 both hold 10.201.0.2: both answer the one who-has.
    let lab = lab_with("dup", [1, 2, 2]);
    let out = scan_in(&lab.hosts[0], &["-i", "eth0", "10.201.0.0/30", "--wait", "0.5", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", String::from_utf8_lossy(&out.stderr));
    let objs: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let dup: Vec<&Value> = objs.iter().filter(|o| o["event"] == "duplicate address").collect();
    assert_eq!(dup.len(), 1, "{stdout}");
    assert_eq!(dup[0]["ip"], "10.201.0.2");
    let pair = [dup[0]["mac"].as_str().unwrap_or(""), dup[0]["old_mac"].as_str().unwrap_or("")];
    assert!(pair.contains(&mac(2).as_str()) && pair.contains(&mac(3).as_str()), "{pair:?}");
}

#[test]
fn scan_defaults_to_the_interface_subnet_and_prints_a_table() {
    if let Some(why) = cannot_run() {
        eprintln!("skipping arp-scan namespace test: {why}");
        return;
    }
    let lab = lab("own");
    let out = scan_in(&lab.hosts[1], &["-i", "eth0", "--rate", "2000", "--wait", "0.5"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("arp-scan: asked 253 addresses of 10.201.0.0/24 on eth0 as 10.201.0.2"), "{stdout}");
    for (ip, m) in [("10.201.0.1", mac(1)), ("10.201.0.3", mac(3))] {
        let row = stdout.lines().find(|l| l.contains(&format!(" {ip} "))).unwrap_or_else(|| panic!("no row for {ip}:\n{stdout}"));
        assert!(row.contains(&m) && row.contains("reachable"), "{row}");
    }
    assert!(!stdout.lines().any(|l| l.starts_with("│ 10.201.0.2 ")), "the scanner is not in its own table:\n{stdout}");
}

#[test]
fn scan_without_privileges_says_so() {
    if let Some(why) = cannot_run() {
        eprintln!("skipping arp-scan namespace test: {why}");
        return;
    }
    let lab = lab("perm");
    let out = Command::new("ip")
        .args(["netns", "exec", &lab.hosts[0], "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        .args([env!("CARGO_BIN_EXE_inspect"), "arp-scan", "-i", "eth0", "--wait", "0"])
        .output()
        .expect("run setpriv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim(), "inspect: arp-scan: sending and capturing on eth0 needs root or CAP_NET_RAW");
}
