//! The dashboard as a user sees it: `inspect replay captures/web.pcap --max` in a tmux pane of
//! 80×24 (a tmux server of its own, on a socket named for this process), keys sent, the screen
//! read back. The connections and the states their ends stand in at the end of the capture
//! come from tshark's reading of it (tests/golden/at, written by scripts/golden_at.sh). After
//! `q` (or SIGTERM) the pane must have left the alternate screen and the terminal its raw
//! mode (`stty` run in the pane says `icanon`, not `-icanon`).
//!
//! Every wait is bounded; the tmux server is killed by a guard even when an assertion fails.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{root, Need, Test, BIN};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(replay_shows_the_connections_and_q_restores_the_terminal, Need::Tool("tmux")),
        trial!(sigterm_restores_the_terminal, Need::Tool("tmux"), Need::Tool("ps")),
        trial!(replay_to_a_moment_stands_there, Need::Tool("tmux")),
    ]
}

/// A tmux server of its own with one pane of 80×24 running a command.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(tag: &str, command: &str) -> Tmux {
        let t = Tmux { socket: format!("inspect-test-{tag}-{}", std::process::id()) };
        // After inspect: its exit code, and whether the terminal is back in canonical mode.
        let shell = format!("cd {} && {command}; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; sleep 60", root().display());
        t.tmux(&["new-session", "-d", "-x", "80", "-y", "24", "-s", "t", &shell]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux runs");
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> Vec<String> {
        self.tmux(&["capture-pane", "-p", "-t", "t"]).lines().map(str::to_string).collect()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// The screen once `ok` holds of it (within 10 s).
    fn wait(&self, what: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < until, "waited 10 s for {what}; the screen:\n{}", s.join("\n"));
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alternate(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", "t", "#{alternate_on}"]).trim() == "1"
    }

    /// Waits for inspect to end, then checks that the terminal is restored.
    fn check_restored(&self) {
        let s = self.wait("inspect to end", |s| s.iter().any(|l| l == "icanon" || l == "-icanon"));
        assert!(s.iter().any(|l| l == "EXIT=0"), "{}", s.join("\n"));
        assert!(s.iter().any(|l| l == "icanon"), "raw mode left on:\n{}", s.join("\n"));
        assert!(!self.alternate(), "still on the alternate screen");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

/// From tshark's reading: each TCP connection's originator, responder, and the states their
/// ends end in (the end that sent the first FIN in TIME_WAIT, the other CLOSED).
fn expected() -> Vec<(String, String, &'static str, &'static str)> {
    let text = std::fs::read_to_string(root().join("tests/golden/at/web.pcap.tsv")).expect("golden file");
    let rows: Vec<Vec<String>> =
        text.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').map(str::to_string).collect()).collect();
    let mut streams: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    streams.dedup();
    streams
        .iter()
        .map(|n| {
            let mine: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == *n).collect();
            let syn = mine.iter().find(|r| r[6] == "1" && r[7] == "0").expect("a SYN");
            let fin = mine.iter().find(|r| r[8] == "1").expect("a FIN");
            let orig_first = fin[2] == syn[2] && fin[3] == syn[3];
            let (o, r) = if orig_first { ("TIME_WAIT", "CLOSED") } else { ("CLOSED", "TIME_WAIT") };
            (format!("{}:{}", syn[2], syn[3]), format!("{}:{}", syn[4], syn[5]), o, r)
        })
        .collect()
}

fn replay_shows_the_connections_and_q_restores_the_terminal() {
    let t = Tmux::start("q", &format!("{BIN} replay captures/web.pcap --max"));
    let s = t.wait("the end of the replay", |s| s.first().is_some_and(|l| l.contains("│ end │ 24 pkts")));
    assert!(t.alternate(), "the dashboard draws on the alternate screen");
    assert_eq!(s[1], " 1 Overview │ 2 Connections │ 3 ARP │ 4 Alerts");
    t.keys(&["2"]);
    let s = t.wait("the connections tab", |s| s.get(3).is_some_and(|l| l.starts_with("originator")));
    let want = expected();
    assert_eq!(want.len(), 2);
    for (orig, resp, o, r) in &want {
        let row = s.iter().find(|l| l.starts_with(orig.as_str())).unwrap_or_else(|| panic!("no row for {orig}:\n{}", s.join("\n")));
        let words: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(&words[..4], &[orig.as_str(), resp.as_str(), o, r], "{row}");
    }
    // Help over the tab, closed by any key; then the ARP tab.
    t.keys(&["?"]);
    t.wait("the help", |s| s.iter().any(|l| l.contains("q, Ctrl-C  quit")));
    t.keys(&["x", "3"]);
    t.wait("the ARP tab", |s| s.iter().any(|l| l.starts_with("10.0.0.2        02:00:00:00:00:02 reachable")));
    t.keys(&["q"]);
    t.check_restored();
}

/// `--to` ends play at that moment and the dashboard stays, its clock there: between the two
/// connections of web.pcap, only the first is in the table (from tshark's reading, as above).
fn replay_to_a_moment_stands_there() {
    let t = Tmux::start("to", &format!("{BIN} replay captures/web.pcap --max --from +0.1 --to +0.3"));
    t.wait("the end at --to", |s| s.first().is_some_and(|l| l.contains("11:20:24.523067 UTC │ end │")));
    t.keys(&["2"]);
    let s = t.wait("the connections tab", |s| s.get(3).is_some_and(|l| l.starts_with("originator")));
    let want = expected();
    let (orig, resp, o, r) = &want[0];
    let rows: Vec<&String> = s.iter().skip(4).filter(|l| l.starts_with("10.")).collect();
    assert_eq!(rows.len(), 1, "{}", s.join("\n"));
    let words: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(&words[..4], &[orig.as_str(), resp.as_str(), o, r], "{}", rows[0]);
    t.keys(&["q"]);
    t.check_restored();
}

fn sigterm_restores_the_terminal() {
    let t = Tmux::start("term", &format!("{BIN} replay captures/web.pcap --speed 0.001"));
    t.wait("the replay", |s| s.first().is_some_and(|l| l.contains("×0.001")));
    // The pane runs a shell; inspect is its child.
    let shell = t.tmux(&["display-message", "-p", "-t", "t", "#{pane_pid}"]);
    let out = Command::new("ps").args(["-o", "pid=", "--ppid", shell.trim()]).output().expect("ps runs");
    let pid = String::from_utf8_lossy(&out.stdout).split_whitespace().next().map(str::to_string).expect("inspect's pid");
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs").success());
    t.check_restored();
}
