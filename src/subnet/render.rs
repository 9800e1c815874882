//! Rendering a report: a comfy-table view for people, JSON for scripts.

use super::calc::{Ipv4Report, Ipv6Report, TwoHostReport};
use super::plan::{RangeReport, SplitReport, SummaryReport, VlsmReport};
use super::{Report, SubnetError};
use comfy_table::{presets, Table};

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    if !header.is_empty() {
        t.set_header(header.to_vec());
    }
    t
}

/// Renders a report as JSON with ipcalc-ng's key style (a trailing newline included).
pub fn render_json(report: &Report) -> Result<String, SubnetError> {
    let mut s = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    s.push('\n');
    Ok(s)
}

/// Renders a report as the human-readable table view.
pub fn render_table(report: &Report) -> String {
    match report {
        Report::V4(r) => v4_table(r),
        Report::V6(r) => v6_table(r),
        Report::TwoHosts(r) => two_host_table(r),
        Report::Split(r) => split_table(r),
        Report::Vlsm(r) => vlsm_table(r),
        Report::Range(r) => range_table(r),
        Report::Summary(r) => summary_table(r),
    }
}

fn v4_table(r: &Ipv4Report) -> String {
    let mut t = table(&["", "IPv4", "binary (network|host)"]);
    let b = &r.binary;
    let broadcast = match r.prefix {
        31 => "none: point-to-point /31 (RFC 3021)".to_string(),
        _ => r.broadcast.to_string(),
    };
    t.add_row(vec![
        "Address".to_string(),
        r.address.to_string(),
        b.address.clone(),
    ]);
    t.add_row(vec![
        "Netmask".to_string(),
        format!("{} = /{} = 0x{}", r.netmask, r.prefix, r.netmask_hex),
        b.netmask.clone(),
    ]);
    t.add_row(vec![
        "Wildcard".to_string(),
        r.wildcard.to_string(),
        b.wildcard.clone(),
    ]);
    t.add_row(vec![
        "Network".to_string(),
        format!("{}/{}", r.network, r.prefix),
        b.network.clone(),
    ]);
    t.add_row(vec![
        "Broadcast".to_string(),
        broadcast,
        b.broadcast.clone(),
    ]);
    t.add_row(vec![
        "First host".to_string(),
        r.min_addr.to_string(),
        String::new(),
    ]);
    t.add_row(vec![
        "Last host".to_string(),
        r.max_addr.to_string(),
        String::new(),
    ]);
    t.add_row(vec![
        "Addresses".to_string(),
        format!("{} ({} usable {})", r.total, r.usable, if r.usable.to_string() == "1" { "host" } else { "hosts" }),
        String::new(),
    ]);
    t.add_row(vec![
        "Class".to_string(),
        r.class.to_string(),
        String::new(),
    ]);
    t.add_row(vec![
        "Address space".to_string(),
        format!("{} ({}, {})", r.addrspace, r.kind, r.rfc),
        String::new(),
    ]);
    let mut out = t.to_string();
    out.push('\n');
    if let Some(note) = &r.note {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

fn v6_table(r: &Ipv6Report) -> String {
    let mut t = table(&["", "IPv6"]);
    t.add_row(vec!["Address".to_string(), r.address.to_string()]);
    t.add_row(vec!["Expanded".to_string(), r.full_address.clone()]);
    t.add_row(vec!["Prefix".to_string(), format!("/{}", r.prefix)]);
    t.add_row(vec!["Netmask".to_string(), r.netmask.to_string()]);
    t.add_row(vec![
        "Network".to_string(),
        format!("{}/{}", r.network, r.prefix),
    ]);
    t.add_row(vec![
        "Network (expanded)".to_string(),
        r.full_network.clone(),
    ]);
    t.add_row(vec!["First address".to_string(), r.min_addr.to_string()]);
    t.add_row(vec!["Last address".to_string(), r.max_addr.to_string()]);
    t.add_row(vec!["Addresses".to_string(), r.addresses.clone()]);
    t.add_row(vec![
        "Address type".to_string(),
        format!("{} ({}, {})", r.addrspace, r.kind, r.rfc),
    ]);
    let mut out = t.to_string();
    out.push('\n');
    out
}

fn two_host_table(r: &TwoHostReport) -> String {
    let mut t = table(&["", "Host 1", "Host 2"]);
    let (a, b) = (&r.host1, &r.host2);
    let prefix_of = |p: u8, given: bool, other: &str| {
        if given {
            format!("/{p}")
        } else {
            format!("/{p} ({other})")
        }
    };
    t.add_row(vec![
        "Address".to_string(),
        a.address.to_string(),
        b.address.to_string(),
    ]);
    t.add_row(vec![
        "Prefix".to_string(),
        prefix_of(a.prefix, a.prefix_given, "classful default"),
        prefix_of(b.prefix, b.prefix_given, "host 1's"),
    ]);
    t.add_row(vec![
        "Netmask".to_string(),
        a.netmask.to_string(),
        b.netmask.to_string(),
    ]);
    if let (Some(ab), Some(bb)) = (&a.binary, &b.binary) {
        t.add_row(vec!["Binary".to_string(), ab.clone(), bb.clone()]);
    }
    t.add_row(vec![
        "Address AND own mask".to_string(),
        a.network.to_string(),
        b.network.to_string(),
    ]);
    let mut out = t.to_string();
    out.push('\n');
    out.push_str("Computation:\n");
    for line in &r.computation {
        out.push_str(&format!("  {line}\n"));
    }
    let answer = if r.same_network {
        "direct (switch)"
    } else {
        "router needed"
    };
    out.push_str(&format!("Verdict: {answer} — {}\n", r.verdict));
    if let Some(note) = &r.note {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

/// The rows of a split's table: number, subnet, first and last host, broadcast (IPv4), usable.
fn split_rows(r: &SplitReport) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let v4 = r.subnets.iter().any(|s| s.network.is_ipv4());
    let mut header = vec!["#", "Subnet", "First host", "Last host"];
    if v4 {
        header.push("Broadcast");
    }
    header.push("Usable");
    let rows = r
        .subnets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut cells = vec![(i + 1).to_string(), s.cidr.clone(), s.min_addr.to_string(), s.max_addr.to_string()];
            if v4 {
                cells.push(s.broadcast.map(|b| b.to_string()).unwrap_or_else(|| "-".to_string()));
            }
            cells.push(s.usable.clone());
            cells
        })
        .collect();
    (header, rows)
}

/// A split lists up to 65,536 subnets: its table is drawn here, line by line in the style of the
/// other tables (comfy-table's UTF8_FULL_CONDENSED, every cell left-aligned), since a table
/// object holding every cell took 160 MB for the longest list.
fn split_table(r: &SplitReport) -> String {
    let (header, rows) = split_rows(r);
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let rule = |out: &mut String, left: char, fill: char, mid: char, right: char| {
        out.push(left);
        for (i, w) in widths.iter().enumerate() {
            if i > 0 {
                out.push(mid);
            }
            out.extend(std::iter::repeat_n(fill, w + 2));
        }
        out.push(right);
        out.push('\n');
    };
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        out.push('│');
        for (i, (w, c)) in widths.iter().zip(cells).enumerate() {
            if i > 0 {
                out.push('┆');
            }
            out.push(' ');
            out.push_str(c);
            out.extend(std::iter::repeat_n(' ', w + 1 - c.chars().count()));
        }
        out.push_str("│\n");
    };
    let prefix = r.subnets.first().map(|s| s.prefix).unwrap_or_default();
    let mut out = format!("{} split into {} subnets of /{} ({} usable each)\n", r.network, r.nets, prefix, r.usable);
    rule(&mut out, '┌', '─', '┬', '┐');
    line(&mut out, &mut header.iter().copied());
    rule(&mut out, '╞', '═', '╪', '╡');
    for row in &rows {
        line(&mut out, &mut row.iter().map(String::as_str));
    }
    rule(&mut out, '└', '─', '┴', '┘');
    out
}

fn vlsm_table(r: &VlsmReport) -> String {
    let mut t = table(&[
        "Hosts asked",
        "Subnet",
        "First host",
        "Last host",
        "Broadcast",
        "Usable",
    ]);
    for row in &r.rows {
        let s = &row.subnet;
        t.add_row(vec![
            row.hosts.to_string(),
            s.cidr.clone(),
            s.min_addr.to_string(),
            s.max_addr.to_string(),
            s.broadcast
                .map(|b| b.to_string())
                .unwrap_or_else(|| "-".to_string()),
            s.usable.clone(),
        ]);
    }
    let unused = if r.unused.is_empty() {
        "none".to_string()
    } else {
        r.unused.join(", ")
    };
    format!(
        "VLSM in {} (largest first)\n{t}\nAddresses used: {}\nUnused: {unused}\n",
        r.network, r.needed
    )
}

fn range_table(r: &RangeReport) -> String {
    let mut t = table(&["Block", "First address", "Last address", "Addresses"]);
    for s in &r.blocks {
        t.add_row(vec![
            s.cidr.clone(),
            s.network.to_string(),
            s.last_addr.to_string(),
            s.total.clone(),
        ]);
    }
    format!(
        "{} = {} addresses in {} CIDR blocks\n{t}\n",
        r.range,
        r.total,
        r.blocks.len()
    )
}

fn summary_table(r: &SummaryReport) -> String {
    let mut t = table(&["Given", "Summary (exact)"]);
    let rows = r.inputs.len().max(r.summary.len());
    for i in 0..rows {
        t.add_row(vec![
            r.inputs.get(i).cloned().unwrap_or_default(),
            r.summary.get(i).cloned().unwrap_or_default(),
        ]);
    }
    let mut out = format!("{t}\n");
    let extra = if r.supernet_extra == "0" {
        "exactly the given networks".to_string()
    } else {
        format!("also {} addresses none of them had", r.supernet_extra)
    };
    out.push_str(&format!(
        "Single covering supernet: {} ({extra})\n",
        r.supernet
    ));
    if let Some(note) = &r.note {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

#[cfg(test)]
mod split_test {
    use super::*;

    /// The split table drawn by hand is the table comfy-table draws in the house style.
    #[test]
    fn the_split_table_is_the_house_table() {
        for (net, prefix) in [("10.0.0.0/26", 28u8), ("192.168.0.0/16", 20), ("2001:db8::/48", 52), ("10.1.2.3/32", 32)] {
            let r = super::super::plan::split_report(net.parse().unwrap(), prefix).unwrap();
            let (header, rows) = split_rows(&r);
            let mut t = table(&header);
            for row in rows {
                t.add_row(row);
            }
            let p = r.subnets.first().map(|s| s.prefix).unwrap_or_default();
            let want = format!("{} split into {} subnets of /{} ({} usable each)\n{t}\n", r.network, r.nets, p, r.usable);
            assert_eq!(split_table(&r), want, "{net} --split {prefix}");
        }
    }
}
