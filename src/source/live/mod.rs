//! Live capture: frames from a network interface (or all of them), as they arrive.
//!
//! The kernel buffers frames in a ring shared with us, and the thread that analyzes them reads
//! them there in place: no copy, no queue of our own, no thread between. When the analysis falls
//! behind, the ring fills and the kernel drops frames and counts them (`PACKET_STATISTICS`), so
//! every frame is either captured or counted as dropped; `-B` sets the ring's size. At the end
//! the ring is closed to new frames and read to its end before the counts are taken, so that
//! frames captured plus frames dropped are exactly the frames received.
//!
//! Two backends sit behind [`Backend`]: the ring itself (`TPACKET_V3` through the
//! `inspect-ring` crate: no system library needed; the default), and libpcap with the `libpcap`
//! feature (which reads the same ring). Either runs the capture expression in the kernel: the
//! default build attaches the program [`crate::filter`] compiles ([`Backend::attach_filter`]),
//! the libpcap build the one libpcap compiles from [`LiveOptions::filter`].

#[cfg(feature = "libpcap")]
pub mod libpcap;
pub mod backend;
#[cfg(not(feature = "libpcap"))]
mod ring;
pub mod rotate;

pub use backend::{
    find_interface, interface_linktype, interface_up, now, open_error, sysfs_entry, Backend, BpfInsn, Direction, KernelStats, LiveError,
    LiveOptions, RawFrame, ANY, DEFAULT_SNAPLEN, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, POLL,
};

/// Opens the capture the build supports (libpcap with the feature, the ring otherwise). It
/// receives nothing before [`Backend::start`]: a capture filter attached first
/// ([`Backend::attach_filter`]) sees every frame.
pub fn open(opts: &LiveOptions) -> Result<Box<dyn Backend>, LiveError> {
    if opts.interface != ANY {
        find_interface(&opts.interface)?;
    }
    #[cfg(feature = "libpcap")]
    {
        libpcap::open(opts)
    }
    #[cfg(not(feature = "libpcap"))]
    {
        ring::RingBackend::open(opts).map(|b| Box::new(b) as Box<dyn Backend>)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn missing_interface_names_the_others() {
        let err = find_interface("no-such-if0")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("no-such-if0: no such interface (available: "),
            "{err}"
        );
        assert!(err.contains("lo"), "{err}");
    }

    #[test]
    fn permission_error_says_how_to_grant() {
        let e = open_error("eth0", &std::io::Error::from_raw_os_error(1));
        assert_eq!(
            e.to_string(),
            "capture on eth0 needs root or CAP_NET_RAW: sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v inspect)\""
        );
    }

    #[test]
    fn a_down_interface_is_one_line() {
        assert_eq!(LiveError::Down { iface: "vb".into() }.to_string(), "vb: interface is down");
    }
}
