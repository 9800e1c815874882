//! What every integration test shares, and the one place for it: running the `inspect` binary
//! ([`inspect`], [`command`]), scratch directories ([`TempDir`]), classic pcap files written from
//! frames ([`pcap`]), frames built with etherparse ([`frames`]), and the harness that registers
//! each test with what it needs and skips or fails it when a need is not met ([`harness`]).

pub mod frames;
pub mod harness;
pub mod pcap;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

pub use harness::{Need, Test};

/// Registers a test function of an `it` module with what it needs:
/// `trial!(name)` or `trial!(name, Need::Corpus, Need::Tool("tcpdump"))`.
macro_rules! trial {
    ($f:ident $(, $need:expr)* $(,)?) => {
        $crate::support::Test::new(stringify!($f), $f, vec![$($need),*])
    };
}

/// Prints a by-the-way figure of a test when the run was given `--nocapture`.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::support::harness::note(format_args!($($arg)*))
    };
}

/// The `inspect` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_inspect");

/// The crate root: the directory every run starts in, so that `captures/web.pcap` and
/// `../shared/corpus` mean what they mean in the README.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The public capture corpus beside the checkout (`../shared/corpus`), as the binary is given it.
pub const CORPUS: &str = "../shared/corpus";

/// `inspect` as a command, started in the crate root.
pub fn command() -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(root());
    c
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit status code (None when a signal ended it).
    pub code: Option<i32>,
    /// Standard output, as text (lossy).
    pub stdout: String,
    /// Standard error, as text (lossy), without the line saying what sandbox the run entered.
    pub stderr: String,
    /// That line (`sandbox: ...`), if the run printed one first.
    pub sandbox: Option<String>,
    /// Standard output, byte for byte.
    pub out_bytes: Vec<u8>,
    /// Standard error, byte for byte.
    pub err_bytes: Vec<u8>,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        let (sandbox, stderr) = split_sandbox(&String::from_utf8_lossy(&out.stderr));
        Run { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr, sandbox, out_bytes: out.stdout, err_bytes: out.stderr }
    }
}

/// Standard error split into the sandbox line a reading or capturing run starts with (tests
/// of the sandbox look at it; the others at the rest) and the rest.
pub fn split_sandbox(stderr: &str) -> (Option<String>, String) {
    match stderr.strip_prefix("sandbox: ") {
        Some(rest) => {
            let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
            (Some(format!("sandbox: {line}")), after.to_string())
        }
        None => (None, stderr.to_string()),
    }
}

impl Run {
    /// Standard output, after checking that the run exited 0.
    pub fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "inspect failed: {}", self.stderr);
        self.stdout
    }
}

/// Runs `inspect ARGS` in the crate root and waits for it.
pub fn inspect<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<S> = args.into_iter().collect();
    let shown: Vec<String> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    let out = command().args(&args).output().unwrap_or_else(|e| panic!("cannot run inspect {shown:?}: {e}"));
    Run::from(out)
}

/// Runs `inspect ARGS`, which must exit 0; its standard output.
pub fn inspect_ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<S> = args.into_iter().collect();
    let shown: Vec<String> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    let run = inspect(&args);
    assert_eq!(run.code, Some(0), "inspect {shown:?} failed: {}", run.stderr);
    run.stdout
}

/// Runs an outside command (`args[0]` on PATH) that must succeed; its standard output.
pub fn sh(args: &[&str]) -> Result<String, String> {
    let (prog, rest) = args.split_first().ok_or("empty command")?;
    let out = Command::new(prog).args(rest).output().map_err(|e| format!("{args:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{args:?}: {}", String::from_utf8_lossy(&out.stderr).trim_end()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every line of JSON Lines output, parsed (a line that is not JSON fails the test).
pub fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// The objects of one `event_type`.
pub fn of_type<'a>(objs: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    objs.iter().filter(|o| o["event_type"] == event_type).collect()
}

/// A string field, or "" when absent.
pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A number field, or u64::MAX when absent (so that a missing field never equals a count).
pub fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(u64::MAX)
}

/// The capture files (pcap, pcapng, cap) under `dir` (relative to the crate root, searched
/// through its subdirectories), in name order, as paths relative to the crate root.
pub fn capture_files(dir: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from(dir)];
    while let Some(d) = dirs.pop() {
        let rd = std::fs::read_dir(root().join(&d)).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for e in rd {
            let e = e.unwrap_or_else(|e| panic!("{}: {e}", d.display()));
            let rel = d.join(e.file_name());
            if root().join(&rel).is_dir() {
                dirs.push(rel);
            } else if rel.extension().is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap") {
                files.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no capture files under {dir}");
    files
}

/// A scratch directory of its own for one test, removed (with everything in it) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory named after `tag`, this process and a counter.
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("inspect-it-{}-{k}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        TempDir(d)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside it.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `bytes` to `name` inside it; the path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.join(name);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The options a `--help` text lists: every `-x` and `--long` that starts an option line.
pub fn help_options(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in help.lines().map(str::trim_start).filter(|l| l.starts_with('-')) {
        for word in line.split_whitespace() {
            let word = word.trim_end_matches(',');
            if word.starts_with('-') && !word.starts_with("- ") && word.len() > 1 {
                out.push(word.to_string());
            } else {
                break;
            }
        }
    }
    out
}

/// The lines of `text` that contain `needle` (for a failure message about a long output).
pub fn lines_with(text: &str, needle: &str) -> String {
    let found: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
    if found.is_empty() {
        format!("no line with {needle:?} in {} lines of output", text.lines().count())
    } else {
        found.join("\n")
    }
}
