//! The test harness: every test is registered with what it needs ([`Need`]); a test whose needs
//! are not met here is reported as ignored, with one line on stderr before the run saying why
//! (`skipping live::capture_matches_tcpdump_and_decodes_traffic: needs root …`), so the closing
//! `test result:` line counts it. With `INSPECT_REQUIRE_ALL=1` (as CI sets it) such a test runs
//! instead and fails with a message naming the need.
//!
//! Each need is probed at most once per run, and only when a test that is going to run asks.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};

use super::{root, BIN, CORPUS};

/// Something a test needs from the machine it runs on or from the build under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `../shared/corpus` beside the checkout: the public capture corpus.
    Corpus,
    /// Effective user id 0.
    Root,
    /// An executable of this name on PATH.
    Tool(&'static str),
    /// Root, and `ip netns add` / `ip netns del` work here (probed once with a namespace of a
    /// unique name).
    Netns,
    /// The binary was built with the `libpcap` feature (asked of the binary itself).
    Libpcap,
    /// The binary was built without the `libpcap` feature: the pure Rust default build.
    PureRust,
    /// The build with the `parquet` feature (`--parquet`).
    Parquet,
    /// `python3` imports these modules (comma-separated), as `duckdb,pyarrow`.
    Python(&'static str),
    /// An optimised build (`cargo test --release`): for a test whose result is the build's speed
    /// against another tool's, which an unoptimised build would only measure as its own profile.
    Optimized,
}

impl Need {
    /// Why the need is not met here, or None when it is.
    fn unmet(self) -> Option<String> {
        match self {
            Need::Corpus => (!root().join(CORPUS).is_dir())
                .then(|| format!("needs {CORPUS} beside the checkout (the public capture corpus)")),
            Need::Root => (!is_root()).then(|| "needs root".to_string()),
            Need::Tool(name) => (!on_path(name)).then(|| format!("needs `{name}` on PATH")),
            Need::Netns => netns().clone().err(),
            Need::Libpcap => match build() {
                Ok(true) => None,
                Ok(false) => Some("needs the libpcap build (cargo test --features libpcap)".into()),
                Err(e) => Some(format!("needs the libpcap build, and {e}")),
            },
            Need::Optimized => cfg!(debug_assertions)
                .then(|| "needs an optimised build (cargo test --release): it races tcpdump".to_string()),
            Need::Parquet => (!cfg!(feature = "parquet")).then(|| "needs the parquet build (cargo test --features parquet)".to_string()),
            Need::Python(modules) => {
                let ok = Command::new("python3").args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success());
                (!ok).then(|| format!("needs the Python modules {modules} (scale/setup.sh installs them)"))
            }
            Need::PureRust => match build() {
                Ok(false) => None,
                Ok(true) => Some("needs the default build without libpcap (cargo test)".into()),
                Err(e) => Some(format!("needs the default build without libpcap, and {e}")),
            },
        }
    }

    /// Whether this cargo run asked for the other build than the one this need wants: then the
    /// need is a choice of build, not something the machine lacks, and stays a skip even under
    /// `INSPECT_REQUIRE_ALL=1` (CI runs `cargo test` and `cargo test --features libpcap`, and
    /// each build's tests run in one of the two; the optimised build's in a `--release` run).
    fn other_build_asked(self) -> bool {
        match self {
            Need::Libpcap => !cfg!(feature = "libpcap"),
            Need::PureRust => cfg!(feature = "libpcap"),
            Need::Parquet => !cfg!(feature = "parquet"),
            Need::Optimized => cfg!(debug_assertions),
            _ => false,
        }
    }
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Whether an executable file named `name` is in a directory of PATH.
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Root, and a namespace can be added and deleted: probed once.
fn netns() -> &'static Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        if !is_root() {
            return Err("needs root (to create network namespaces)".into());
        }
        if !on_path("ip") {
            return Err("needs network namespaces, and `ip` (iproute2) is not on PATH".into());
        }
        let name = format!("insp-probe-{}-{}", std::process::id(), nanos_now());
        let add = Command::new("ip").args(["netns", "add", &name]).output();
        match add {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                return Err(format!(
                    "needs network namespaces (ip netns add failed: {})",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
            Err(e) => return Err(format!("needs network namespaces (cannot run ip: {e})")),
        }
        match Command::new("ip").args(["netns", "del", &name]).output() {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "needs network namespaces (ip netns del {name} failed: {})",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("needs network namespaces (cannot run ip: {e})")),
        }
    })
}

fn nanos_now() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// Whether the binary is the libpcap build: it applies `-f` filters, where the default build
/// refuses them with a message naming the libpcap build. Asked once.
fn build() -> &'static Result<bool, String> {
    static PROBE: OnceLock<Result<bool, String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        let web = Path::new("captures/web.pcap");
        let out = Command::new(BIN)
            // Host names are looked up by libpcap's compiler only.
            .args(["read", "-q", "-f", "host localhost"])
            .arg(web)
            .current_dir(root())
            .output()
            .map_err(|e| format!("cannot run {BIN}: {e}"))?;
        let err = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => Ok(true),
            Some(2) if err.contains("the libpcap build handles it") => Ok(false),
            code => Err(format!("`inspect read -f 'host localhost'` neither filtered nor refused (exit {code:?}): {}", err.trim())),
        }
    })
}

/// Whether the run was asked to show what tests print (`--nocapture`).
static SHOW_NOTES: OnceLock<bool> = OnceLock::new();

/// Prints a test's by-the-way figures (how many packets it compared, …) when the run was given
/// `--nocapture`; the harness does not capture output, so they are kept quiet otherwise.
pub fn note(text: std::fmt::Arguments<'_>) {
    if SHOW_NOTES.get().copied().unwrap_or(false) {
        eprintln!("{text}");
    }
}

/// Whether `INSPECT_REQUIRE_ALL=1`: every unmet need fails its test.
fn require_all() -> bool {
    std::env::var("INSPECT_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// One test: its name, what it needs, and its body (which panics to fail).
pub struct Test {
    name: &'static str,
    run: fn(),
    needs: Vec<Need>,
}

impl Test {
    /// A test named `name` running `run`, which needs `needs`.
    pub fn new(name: &'static str, run: fn(), needs: Vec<Need>) -> Test {
        Test { name, run, needs }
    }
}

/// Why the needs are not met, each said once, in the order declared.
fn unmet(needs: &[Need]) -> Vec<(Need, String)> {
    let mut out: Vec<(Need, String)> = Vec::new();
    for &need in needs {
        if let Some(why) = need.unmet() {
            if !out.iter().any(|(_, w)| *w == why) {
                out.push((need, why));
            }
        }
    }
    out
}

fn join(unmet: &[(Need, String)]) -> String {
    unmet.iter().map(|(_, w)| w.as_str()).collect::<Vec<_>>().join(", ")
}

/// The trials of every module (`module::test` names), needs checked: a test that is going to
/// run but whose needs are unmet is marked ignored and announced on stderr, or, under
/// `INSPECT_REQUIRE_ALL=1`, left to fail naming the need.
pub fn trials(args: &Arguments, modules: Vec<(&'static str, Vec<Test>)>) -> Vec<Trial> {
    let strict = require_all();
    let _ = SHOW_NOTES.set(args.nocapture);
    // Filtered by name only: `--ignored` selects the tests marked here, so it must not decide
    // which tests get their needs checked.
    let by_name = Arguments { ignored: false, ..args.clone() };
    let mut trials = Vec::new();
    for (module, tests) in modules {
        for t in tests {
            let name = format!("{module}::{}", t.name);
            let needs = t.needs.clone();
            let body = t.run;
            let full = name.clone();
            let trial = Trial::test(name.clone(), move || {
                let missing = unmet(&needs);
                if !missing.is_empty() {
                    let how = if strict { " (INSPECT_REQUIRE_ALL=1: an unmet need fails the test)" } else { "" };
                    return Err(Failed::from(format!("{full} {}{how}", join(&missing))));
                }
                body();
                Ok(())
            });
            if args.list || by_name.is_filtered_out(&trial) {
                trials.push(trial);
                continue;
            }
            let missing = unmet(&t.needs);
            // Under INSPECT_REQUIRE_ALL=1 only a test of the build this run did not ask for is
            // still skipped.
            let skip = !missing.is_empty() && (!strict || missing.iter().any(|(need, _)| need.other_build_asked()));
            if skip {
                eprintln!("skipping {name}: {}", join(&missing));
                trials.push(trial.with_ignored_flag(true));
            } else {
                trials.push(trial);
            }
        }
    }
    trials
}
