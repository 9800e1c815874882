//! `inspect interfaces`: what can be captured on, so `capture -i` has a name to take.
//!
//! Read through pnet (netlink/getifaddrs underneath), shown as one table or one JSON object per
//! interface.

use std::io::{self, Write};

use comfy_table::Cell;
use pnet::datalink::{self, NetworkInterface};

use crate::output::table::{num_cell, table};
use crate::output::{json, Format};

/// One interface, as shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InterfaceInfo {
    /// Interface name.
    pub name: String,
    /// Kernel interface index.
    pub index: u32,
    /// Hardware address, when it has one.
    pub mac: Option<String>,
    /// IPv4 and IPv6 addresses with their prefix lengths (`10.0.0.1/24`).
    pub addresses: Vec<String>,
    /// Administratively up.
    pub up: bool,
    /// Up with a carrier (IFF_RUNNING).
    pub running: bool,
    /// A loopback interface.
    pub loopback: bool,
}

impl From<&NetworkInterface> for InterfaceInfo {
    fn from(i: &NetworkInterface) -> Self {
        InterfaceInfo {
            name: i.name.clone(),
            index: i.index,
            mac: i.mac.map(|m| m.to_string()),
            addresses: i
                .ips
                .iter()
                .map(|n| format!("{}/{}", n.ip(), n.prefix()))
                .collect(),
            up: i.is_up(),
            running: i.is_running(),
            loopback: i.is_loopback(),
        }
    }
}

/// Every interface of this host (network namespace), by index.
pub fn list() -> Vec<InterfaceInfo> {
    let mut v: Vec<InterfaceInfo> = datalink::interfaces()
        .iter()
        .map(InterfaceInfo::from)
        .collect();
    v.sort_by_key(|i| i.index);
    v
}

/// Writes `list` as a table or JSON lines.
pub fn render(w: &mut dyn Write, list: &[InterfaceInfo], format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            for i in list {
                writeln!(w, "{}", json::event("interface", i))?;
            }
        }
        Format::Text | Format::Tsv => {
            let mut t = table(&["name", "index", "MAC", "addresses", "state", "loopback"]).expendable(&[5, 1, 2]);
            for i in list {
                let state = match (i.up, i.running) {
                    (true, true) => "up",
                    (true, false) => "up, no carrier",
                    (false, _) => "down",
                };
                t.add_row(vec![
                    Cell::new(&i.name),
                    num_cell(i.index),
                    Cell::new(i.mac.as_deref().unwrap_or("-")),
                    Cell::new(if i.addresses.is_empty() {
                        "-".to_string()
                    } else {
                        i.addresses.join("\n")
                    }),
                    Cell::new(state),
                    Cell::new(if i.loopback { "yes" } else { "no" }),
                ]);
            }
            writeln!(w, "{t}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    fn sample() -> InterfaceInfo {
        InterfaceInfo {
            name: "veth-a".into(),
            index: 7,
            mac: Some("02:00:00:00:00:01".into()),
            addresses: vec!["10.203.0.1/24".into(), "fe80::1/64".into()],
            up: true,
            running: false,
            loopback: false,
        }
    }

    #[test]
    fn loopback_is_listed_with_its_address() {
        let all = list();
        let lo = all.iter().find(|i| i.loopback);
        if let Some(lo) = lo {
            assert!(lo.addresses.iter().any(|a| a == "127.0.0.1/8"), "{lo:?}");
        }
    }

    #[test]
    fn json_object_per_interface() {
        let mut out = Vec::new();
        render(&mut out, &[sample()], Format::Json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["event_type"], "interface");
        assert_eq!(v["index"], 7);
        assert_eq!(v["addresses"][1], "fe80::1/64");
        assert_eq!(v["running"], false);
    }

    #[test]
    fn text_table_shows_state() {
        let mut out = Vec::new();
        render(&mut out, &[sample()], Format::Text).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("up, no carrier"), "{s}");
        assert!(s.contains("10.203.0.1/24"), "{s}");
    }
}
