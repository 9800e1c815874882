//! The sandbox a run enters once its inputs and outputs are open: what an attacker who owns the
//! bytes of a packet could make the process do, taken away before the first packet is decoded.
//!
//! Two layers, each from the kernel: Landlock takes away every file-system right except reading
//! the named inputs, writing the open outputs and creating files beside them (rotation), and
//! every TCP bind or connect; a seccomp filter lets through only the system calls that reading,
//! capturing, printing and the pipeline's threads make. A call outside the list fails with
//! `EPERM` (the run reports it and ends) or, with `--sandbox kill`, kills the process. Both
//! layers set `no_new_privs`, so nothing exec'd later could gain what was dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use landlock::{
    Access, AccessFs, AccessNet, LandlockStatus, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, ABI,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch,
};

/// What a call outside the seccomp list does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Denied {
    /// The call fails with EPERM; the run says which input or output it was about and ends.
    #[default]
    Error,
    /// The kernel kills the process (SIGSYS).
    Kill,
}

/// What the sandbox of a run may still touch.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Files read, possibly opened later (every input of `read`).
    pub read: Vec<PathBuf>,
    /// Files written; already open, named so that their directory can take rotated files.
    pub write: Vec<PathBuf>,
    /// Directories new files may be made in (`-C`/`-G` rotation).
    pub create_in: Vec<PathBuf>,
}

impl Plan {
    /// A run that only reads this file (`-`: standard input, already open).
    pub fn reading(file: &str) -> Plan {
        Plan { read: if file == "-" { Vec::new() } else { vec![file.into()] }, ..Plan::default() }
    }
}

/// Where the time zone's rules are read from (`--local-time`), through `/etc/localtime` or `$TZ`.
pub const ZONE_FILES: &[&str] = &["/etc/localtime", "/usr/share/zoneinfo"];

/// What libpcap reads to compile a capture expression with names in it (`port domain`,
/// `host localhost`), through the C library's name services.
pub const NAME_FILES: &[&str] =
    &["/etc/services", "/etc/protocols", "/etc/hosts", "/etc/networks", "/etc/ethers", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/resolv.conf", "/etc/gai.conf"];

static ON: AtomicBool = AtomicBool::new(false);

/// Whether this process is sandboxed (an `EPERM` then most likely comes from the sandbox).
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Enters the sandbox: Landlock as far as the kernel has it, then seccomp. Returns the line the
/// run prints first on stderr, saying what protection is on and, for what is not, why. An error
/// only when a layer the kernel has could not be entered.
pub fn enter(plan: &Plan, denied: Denied) -> Result<String, String> {
    let fs = landlock(plan)?;
    let sc = seccomp(denied)?;
    ON.store(true, Ordering::Relaxed);
    Ok(format!("sandbox: {fs}, {sc}"))
}

/// The newest Landlock ABI this build knows; older kernels get what they have (best effort).
const ABI_KNOWN: ABI = ABI::V6;

fn landlock(plan: &Plan) -> Result<String, String> {
    let err = |e: &dyn std::fmt::Display| format!("sandbox: landlock: {e}");
    let read = AccessFs::from_read(ABI_KNOWN);
    let write = AccessFs::WriteFile | AccessFs::Truncate;
    let mut created = Ruleset::default()
        .handle_access(AccessFs::from_all(ABI_KNOWN))
        .map_err(|e| err(&e))?
        .handle_access(AccessNet::from_all(ABI_KNOWN))
        .map_err(|e| err(&e))?
        .create()
        .map_err(|e| err(&e))?;
    let rules: [(&[PathBuf], landlock::BitFlags<AccessFs>); 3] =
        [(&plan.read, read), (&plan.write, write), (&plan.create_in, write | read | AccessFs::MakeReg)];
    for (k, (paths, access)) in rules.into_iter().enumerate() {
        for p in paths {
            // A file read must exist (one that does not is given no right, and its open fails
            // as it would have anyway); an output not made yet is ruled by its directory.
            let path = if k == 0 { p.as_path() } else { existing(p) };
            let Ok(fd) = PathFd::new(path) else { continue };
            created = created.add_rule(PathBeneath::new(fd, access)).map_err(|e| err(&e))?;
        }
    }
    let status = created.restrict_self().map_err(|e| err(&e))?;
    Ok(match (status.ruleset, status.landlock) {
        (RulesetStatus::NotEnforced, LandlockStatus::NotEnabled) => "no landlock (not enabled in this kernel)".to_string(),
        (RulesetStatus::NotEnforced, _) => "no landlock (kernel too old)".to_string(),
        (_, LandlockStatus::Available { effective_abi, .. }) => format!("landlock (ABI {})", effective_abi as u32),
        (_, _) => "landlock".to_string(),
    })
}

/// A path for a rule: the path itself when it exists, else its directory (an output file about
/// to be made).
fn existing(p: &Path) -> &Path {
    if p.exists() {
        return p;
    }
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn seccomp(denied: Denied) -> Result<String, String> {
    let Ok(arch) = TargetArch::try_from(std::env::consts::ARCH) else {
        return Ok(format!("no seccomp (no system call list for {})", std::env::consts::ARCH));
    };
    let rules = rules().map_err(|e| format!("sandbox: seccomp: {e}"))?;
    let mismatch = match denied {
        Denied::Error => SeccompAction::Errno(libc::EPERM as u32),
        Denied::Kill => SeccompAction::KillProcess,
    };
    let filter = SeccompFilter::new(rules, mismatch, SeccompAction::Allow, arch).map_err(|e| format!("sandbox: seccomp: {e}"))?;
    let prog: BpfProgram = filter.try_into().map_err(|e: seccompiler::BackendError| format!("sandbox: seccomp: {e}"))?;
    seccompiler::apply_filter_all_threads(&prog).map_err(|e| format!("sandbox: seccomp: {e}"))?;
    Ok(match denied {
        Denied::Error => "seccomp".to_string(),
        Denied::Kill => "seccomp (kill)".to_string(),
    })
}

/// The seccomp rules: every call of [`ALLOWED`] whatever its arguments, and `setsockopt` only to
/// attach a socket filter, which is how the capture closes its ring to new frames at the end
/// (no other socket option: no new interface, membership or ring).
fn rules() -> Result<BTreeMap<i64, Vec<SeccompRule>>, seccompiler::BackendError> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = ALLOWED.iter().map(|&nr| (nr, Vec::new())).collect();
    let arg = |i, v: i32| SeccompCondition::new(i, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, v as u64);
    let attach = SeccompRule::new(vec![arg(1, libc::SOL_SOCKET)?, arg(2, libc::SO_ATTACH_FILTER)?])?;
    rules.insert(libc::SYS_setsockopt, vec![attach]);
    // The dashboard's resize signal wakes its key reader through a socket pair made before the
    // sandbox (signal-hook): sends on a connected socket only, to no address.
    let connected = SeccompRule::new(vec![SeccompCondition::new(4, SeccompCmpArgLen::Qword, SeccompCmpOp::Eq, 0)?])?;
    rules.insert(libc::SYS_sendto, vec![connected]);
    Ok(rules)
}

/// The system calls a sandboxed run makes: reading and writing open files (and opening the
/// inputs Landlock lets through), memory, threads and their locks, signals, time, and the
/// capture socket's reads, polls and statistics. No socket, connect, bind, exec, ptrace,
/// mount or privilege change.
const ALLOWED: &[i64] = &[
    libc::SYS_read,
    libc::SYS_write,
    libc::SYS_readv,
    libc::SYS_writev,
    libc::SYS_pread64,
    libc::SYS_pwrite64,
    libc::SYS_lseek,
    libc::SYS_close,
    libc::SYS_openat,
    libc::SYS_fstat,
    libc::SYS_newfstatat,
    libc::SYS_statx,
    libc::SYS_fcntl,
    libc::SYS_ioctl,
    libc::SYS_ftruncate,
    libc::SYS_fsync,
    libc::SYS_fdatasync,
    libc::SYS_mmap,
    libc::SYS_munmap,
    libc::SYS_mremap,
    libc::SYS_mprotect,
    libc::SYS_brk,
    libc::SYS_madvise,
    libc::SYS_futex,
    libc::SYS_sched_yield,
    libc::SYS_sched_getaffinity,
    libc::SYS_clone,
    libc::SYS_clone3,
    libc::SYS_set_robust_list,
    libc::SYS_rseq,
    libc::SYS_prctl,
    libc::SYS_rt_sigprocmask,
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigreturn,
    libc::SYS_sigaltstack,
    libc::SYS_tgkill,
    libc::SYS_gettid,
    libc::SYS_getpid,
    libc::SYS_exit,
    libc::SYS_exit_group,
    libc::SYS_getrandom,
    libc::SYS_clock_gettime,
    libc::SYS_clock_nanosleep,
    libc::SYS_nanosleep,
    libc::SYS_ppoll,
    // The dashboard's key reader (crossterm on mio) waits in epoll; its set is made before the
    // sandbox.
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
    libc::SYS_epoll_ctl,
    libc::SYS_recvfrom,
    libc::SYS_recvmsg,
    libc::SYS_getsockopt,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_open,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_stat,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_lstat,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_poll,
];

/// The line a `read` or `capture` run starts stderr with when it was told not to sandbox.
pub const OFF: &str = "sandbox: off (--no-sandbox)";

/// Sets a run up as `args` say once its inputs and outputs are open: the sandbox entered (or
/// not), its line printed first on stderr, and the test hook's tries made.
pub fn setup(args: &crate::cli::SandboxArgs, plan: &Plan) -> Result<(), String> {
    if args.no_sandbox {
        eprintln!("{OFF}");
    } else {
        eprintln!("{}", enter(plan, args.denied)?);
    }
    if let Some(path) = &args.probe {
        let tell = |r: std::io::Result<()>| match r {
            Ok(()) => "allowed".to_string(),
            Err(e) => format!("refused ({e})"),
        };
        let file = tell(std::fs::File::create(path).map(drop));
        let socket = tell(std::net::UdpSocket::bind("127.0.0.1:0").map(drop));
        eprintln!("sandbox probe: create {path}: {file}; socket: {socket}");
    }
    Ok(())
}

/// A hint for an error the sandbox probably caused.
pub fn hint(e: &std::io::Error) -> &'static str {
    // Landlock's refusals are EACCES, as the file's own permissions are: only seccomp's EPERM
    // points at the sandbox.
    if on() && e.raw_os_error() == Some(libc::EPERM) {
        " (refused by the sandbox; --no-sandbox turns it off)"
    } else {
        ""
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn the_call_list_compiles_for_this_machine() {
        let arch = TargetArch::try_from(std::env::consts::ARCH).unwrap();
        let rules = rules().unwrap();
        // The calls with conditions (setsockopt, sendto) are not in the plain list.
        assert_eq!(rules.len(), ALLOWED.len() + 2, "a call listed twice");
        let f = SeccompFilter::new(rules, SeccompAction::Errno(1), SeccompAction::Allow, arch).unwrap();
        let prog: BpfProgram = f.try_into().unwrap();
        assert!(prog.len() > ALLOWED.len());
    }

    #[test]
    fn a_missing_output_is_ruled_by_its_directory() {
        assert_eq!(existing(Path::new("/no/such/dir/out.pcap")), Path::new("/no/such/dir"));
        assert_eq!(existing(Path::new("out-that-is-not-there.pcap")), Path::new("."));
        assert_eq!(existing(Path::new("/")), Path::new("/"));
    }
}
