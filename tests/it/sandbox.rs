//! The sandbox a reading run enters once its files are open: stderr's first line says what is
//! on; the kernel shows it on the process (`Seccomp: 2`, `NoNewPrivs: 1` in /proc/PID/status);
//! a file or socket opened afterwards is refused, or kills the process with `--sandbox kill`;
//! `--no-sandbox` turns it off. The capture's sandbox is tested with live capture
//! (`it::live`), in a namespace.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{command, inspect, split_sandbox, Test, TempDir};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(the_first_line_says_what_is_on),
        trial!(files_and_sockets_are_refused_once_reading),
        trial!(a_refused_call_can_kill_instead),
        trial!(the_kernel_shows_the_filter_on_the_process),
    ]
}

fn the_first_line_says_what_is_on() {
    let run = inspect(["read", "-q", "captures/web.pcap"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let line = run.sandbox.expect("a sandbox line");
    assert!(line.starts_with("sandbox: landlock (ABI ") || line.starts_with("sandbox: no landlock ("), "{line}");
    assert!(line.ends_with(", seccomp"), "{line}");
    let off = inspect(["read", "-q", "--no-sandbox", "captures/web.pcap"]);
    assert_eq!(off.sandbox.as_deref(), Some("sandbox: off (--no-sandbox)"));
    assert_eq!(off.stdout, run.stdout, "the sandbox changes no output");
}

fn files_and_sockets_are_refused_once_reading() {
    let dir = TempDir::new("sandbox-probe");
    let target = dir.join("new.txt");
    let t = target.to_str().unwrap();
    let run = inspect(["read", "-q", "--sandbox-probe", t, "captures/web.pcap"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let landlock = run.sandbox.as_deref().unwrap_or_default().starts_with("sandbox: landlock");
    let create = if landlock { "refused (Permission denied" } else { "refused (Operation not permitted" };
    assert!(run.stderr.contains(&format!("create {t}: {create}")), "{}", run.stderr);
    assert!(run.stderr.contains("socket: refused (Operation not permitted"), "{}", run.stderr);
    assert!(!target.exists());
    // The probe itself works: without the sandbox both are allowed.
    let run = inspect(["read", "-q", "--no-sandbox", "--sandbox-probe", t, "captures/web.pcap"]);
    assert!(run.stderr.contains(&format!("create {t}: allowed; socket: allowed")), "{}", run.stderr);
    assert!(target.exists());
}

fn a_refused_call_can_kill_instead() {
    let dir = TempDir::new("sandbox-kill");
    let t = dir.join("new.txt");
    let out = command().args(["read", "-q", "--sandbox", "kill", "--sandbox-probe"]).arg(&t).arg("captures/web.pcap").output().expect("run inspect");
    // Landlock refuses the file (an error, not a system call outside the list); the socket
    // call is outside it: SIGSYS.
    assert_eq!(out.status.signal(), Some(libc_sigsys()), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("sandbox: "), "{out:?}");
}

fn libc_sigsys() -> i32 {
    nix::sys::signal::Signal::SIGSYS as i32
}

/// A FIFO as the input holds the run after it entered the sandbox, waiting for bytes: long
/// enough to look at it from outside.
fn the_kernel_shows_the_filter_on_the_process() {
    let dir = TempDir::new("sandbox-fifo");
    let fifo = dir.join("in.pcap");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR).expect("mkfifo");
    let child = command().args(["read", "-q"]).arg(&fifo).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start inspect");
    let status = format!("/proc/{}/status", child.id());
    let start = Instant::now();
    let mut seen = String::new();
    while start.elapsed() < Duration::from_secs(10) {
        seen = std::fs::read_to_string(&status).unwrap_or_default();
        if seen.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Seccomp:", "2"]) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let field = |name: &str| seen.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().last().unwrap_or("").to_string());
    // The process is let go before anything is asserted, so that a failure leaves no child.
    let bytes = std::fs::read("captures/web.pcap").expect("captures/web.pcap");
    std::fs::OpenOptions::new().write(true).open(&fifo).and_then(|mut f| f.write_all(&bytes)).expect("write the FIFO");
    let out = child.wait_with_output().expect("wait for inspect");
    assert_eq!(field("Seccomp:").as_deref(), Some("2"), "{seen}");
    assert_eq!(field("NoNewPrivs:").as_deref(), Some("1"), "{seen}");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (line, rest) = split_sandbox(&String::from_utf8_lossy(&out.stderr));
    assert!(line.is_some() && rest.is_empty(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Summary: 24 packets"), "{out:?}");
}
