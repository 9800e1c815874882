//! Giving up root once the capture is open, as `tcpdump -Z` does: the raw socket and the `-w`
//! file are already open and stay usable, and everything after (decoding hostile bytes above
//! all) runs without privileges.
//!
//! Started as root, `capture` runs on as `-Z USER`, else as the user who called `sudo`
//! (`$SUDO_USER`), else as `nobody`; `-Z root` keeps root. The `-w` file is handed to that user,
//! so a `sudo inspect capture -w x.pcap` leaves a file its caller owns.

use std::ffi::CString;
use std::fs::File;

use nix::unistd::{fchown, initgroups, setgid, setuid, Uid, User};

/// Whom to run as after opening the capture; `None` keeps the current user.
pub fn target(flag: Option<&str>) -> Result<Option<String>, String> {
    let root = Uid::effective().is_root();
    match flag {
        Some("root") => Ok(None),
        Some(u) if root => Ok(Some(u.to_string())),
        Some(u) => {
            let me = User::from_uid(Uid::effective())
                .ok()
                .flatten()
                .map(|u| u.name);
            if me.as_deref() == Some(u) {
                Ok(None)
            } else {
                Err(format!(
                    "-Z {u}: changing user needs root (running as uid {})",
                    Uid::effective()
                ))
            }
        }
        None if root => {
            let sudo = std::env::var("SUDO_USER")
                .ok()
                .filter(|u| !u.is_empty() && u != "root");
            let name = sudo.unwrap_or_else(|| "nobody".into());
            // A default user that does not exist here (a bare container) means staying root.
            Ok(User::from_name(&name).ok().flatten().map(|_| name))
        }
        None => Ok(None),
    }
}

/// Becomes `name` for good: supplementary groups, group, then user (the order that still has
/// the privilege for each step). `file` (the `-w` output) is given to that user first.
pub fn become_user(name: &str, file: Option<&File>) -> Result<(), String> {
    let user = User::from_name(name)
        .map_err(|e| format!("-Z {name}: cannot look up user: {e}"))?
        .ok_or_else(|| format!("-Z {name}: no such user"))?;
    if let Some(f) = file {
        fchown(f, Some(user.uid), Some(user.gid))
            .map_err(|e| format!("cannot give the -w file to {name}: {e}"))?;
    }
    let cname = CString::new(name).map_err(|_| format!("-Z {name}: not a valid user name"))?;
    initgroups(&cname, user.gid).map_err(|e| format!("-Z {name}: cannot set groups: {e}"))?;
    setgid(user.gid).map_err(|e| format!("-Z {name}: cannot set group {}: {e}", user.gid))?;
    setuid(user.uid).map_err(|e| format!("-Z {name}: cannot set user {}: {e}", user.uid))?;
    if !user.uid.is_root() && setuid(Uid::from_raw(0)).is_ok() {
        return Err(format!(
            "-Z {name}: root could be regained after dropping privileges"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn root_flag_keeps_current_user() {
        assert_eq!(target(Some("root")), Ok(None));
    }

    #[test]
    fn explicit_user_is_used_when_root() {
        if Uid::effective().is_root() {
            assert_eq!(target(Some("nobody")), Ok(Some("nobody".into())));
        } else {
            assert!(target(Some("nobody")).is_err());
        }
    }

    #[test]
    fn unknown_user_is_one_line() {
        let e = become_user("no-such-user-xyz", None)
            .err()
            .unwrap_or_default();
        assert_eq!(e, "-Z no-such-user-xyz: no such user");
    }
}
