//! Planning address space: splitting (`--split`), VLSM (`--hosts`),
//! ranges to CIDR blocks, and summarization (RFC 4632 aggregation).

use super::calc::{
    all_ones, count_str, from_u128, mask_bits, net_of, ser_display, to_u128, v4_host_range, width,
};
use super::{bad, SubnetError};
use ipnetwork::IpNetwork;
use serde::Serialize;
use std::net::IpAddr;

/// The most subnets `--split` will list: beyond that the list is no longer something to read.
pub const MAX_LISTED: u128 = 65536;

/// One CIDR block with its usable hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubnetRow {
    /// The block as `network/prefix`.
    #[serde(rename = "CIDR")]
    pub cidr: String,
    /// The network address.
    #[serde(rename = "NETWORK")]
    pub network: IpAddr,
    /// The prefix length.
    #[serde(rename = "PREFIX", serialize_with = "ser_display")]
    pub prefix: u8,
    /// The first usable host.
    #[serde(rename = "MINADDR")]
    pub min_addr: IpAddr,
    /// The last usable host.
    #[serde(rename = "MAXADDR")]
    pub max_addr: IpAddr,
    /// The broadcast address (IPv4 blocks up to /30 only).
    #[serde(rename = "BROADCAST", skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<IpAddr>,
    /// The last address of the block.
    #[serde(rename = "LASTADDR")]
    pub last_addr: IpAddr,
    /// The number of usable hosts.
    #[serde(rename = "ADDRESSES")]
    pub usable: String,
    /// The number of addresses in the block.
    #[serde(rename = "TOTAL")]
    pub total: String,
}

/// The row for the block starting at `v` with `prefix`.
fn row(v: u128, prefix: u8, v6: bool) -> SubnetRow {
    let bits = width(v6);
    let mask = mask_bits(prefix, bits);
    let net = v & mask;
    let last = net | (!mask & all_ones(bits));
    let host_bits = bits - u32::from(prefix);
    let (min, max, usable, broadcast) = if v6 {
        (net, last, count_str(host_bits), None)
    } else {
        let (lo, hi, n) = v4_host_range(net as u32, prefix);
        // A /31 has no broadcast (RFC 3021) and a /32 is one host: only show a real one.
        let b = (prefix <= 30).then(|| from_u128(last, false));
        (u128::from(lo), u128::from(hi), n.to_string(), b)
    };
    SubnetRow {
        cidr: format!("{}/{}", from_u128(net, v6), prefix),
        network: from_u128(net, v6),
        prefix,
        min_addr: from_u128(min, v6),
        max_addr: from_u128(max, v6),
        broadcast,
        last_addr: from_u128(last, v6),
        usable,
        total: count_str(host_bits),
    }
}

/// The minimal list of CIDR blocks (start, prefix) covering exactly `lo..=hi`.
pub(crate) fn blocks(lo: u128, hi: u128, bits: u32) -> Vec<(u128, u8)> {
    let mut out = Vec::new();
    let mut lo = lo;
    loop {
        // The block may be as large as the start's alignment allows...
        let align = if lo == 0 {
            bits
        } else {
            lo.trailing_zeros().min(bits)
        };
        // ...and as the rest of the range allows: floor(log2(hi - lo + 1)).
        let span = hi.saturating_sub(lo);
        let fit = if span == u128::MAX {
            128
        } else {
            127 - (span + 1).leading_zeros()
        };
        let h = align.min(fit).min(bits);
        out.push((lo, (bits - h) as u8));
        let size_minus_one = if h >= 128 {
            u128::MAX
        } else {
            (1u128 << h) - 1
        };
        let end = lo.saturating_add(size_minus_one);
        if end >= hi {
            break;
        }
        lo = end + 1;
    }
    out
}

/// The minimal list of CIDR blocks covering exactly the addresses `start..=end`.
pub fn range_to_cidrs(start: IpAddr, end: IpAddr) -> Result<Vec<IpNetwork>, SubnetError> {
    if start.is_ipv4() != end.is_ipv4() {
        return bad(format!("{start}-{end}: a range cannot mix IPv4 and IPv6"));
    }
    let (lo, hi) = (to_u128(start), to_u128(end));
    if lo > hi {
        return bad(format!("{start}-{end}: the range starts after it ends"));
    }
    let v6 = start.is_ipv6();
    Ok(blocks(lo, hi, width(v6))
        .into_iter()
        .map(|(v, p)| net_of(v, p, v6))
        .collect())
}

/// `--split`: the subnets of a network at a longer prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitReport {
    /// The network that was split, as `network/prefix`.
    #[serde(rename = "NETWORK")]
    pub network: String,
    /// The subnets as `network/prefix` (ipcalc-ng's SPLITNETWORK).
    #[serde(rename = "SPLITNETWORK")]
    pub cidrs: Vec<String>,
    /// How many subnets.
    #[serde(rename = "NETS", serialize_with = "ser_display")]
    pub nets: u128,
    /// Usable hosts in each subnet (ipcalc-ng's ADDRESSES).
    #[serde(rename = "ADDRESSES")]
    pub usable: String,
    /// Each subnet with its first and last host and broadcast.
    #[serde(rename = "SUBNETS")]
    pub subnets: Vec<SubnetRow>,
}

/// Splits `net` (its network, host bits dropped) into subnets of `prefix`.
pub fn split_report(net: IpNetwork, prefix: u8) -> Result<SplitReport, SubnetError> {
    let v6 = net.is_ipv6();
    let bits = width(v6);
    let base = net.prefix();
    let start = to_u128(net.ip()) & mask_bits(base, bits);
    let label = format!("{}/{}", from_u128(start, v6), base);
    if u32::from(prefix) > bits {
        return bad(format!(
            "--split {prefix}: an {} prefix is at most {bits}",
            if v6 { "IPv6" } else { "IPv4" }
        ));
    }
    if prefix < base {
        return bad(format!(
            "--split {prefix}: {label} is a /{base}; split it into a longer prefix (/{base} to /{bits})"
        ));
    }
    let extra = u32::from(prefix - base);
    if extra > 16 {
        return bad(format!(
            "--split {prefix}: {label} would make 2^{extra} subnets; at most {MAX_LISTED} are listed"
        ));
    }
    let nets = 1u128 << extra;
    let step_bits = bits - u32::from(prefix);
    let subnets: Vec<SubnetRow> = (0..nets)
        .map(|i| {
            let offset = if step_bits >= 128 { 0 } else { i << step_bits };
            row(start | offset, prefix, v6)
        })
        .collect();
    let usable = subnets
        .first()
        .map(|r| r.usable.clone())
        .unwrap_or_default();
    Ok(SplitReport {
        network: label,
        cidrs: subnets.iter().map(|r| r.cidr.clone()).collect(),
        nets,
        usable,
        subnets,
    })
}

/// One VLSM allocation: the hosts asked for and the block that holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VlsmRow {
    /// The number of hosts requested.
    #[serde(rename = "HOSTS", serialize_with = "ser_display")]
    pub hosts: u128,
    /// The smallest block that holds them.
    #[serde(flatten)]
    pub subnet: SubnetRow,
}

/// `--hosts`: VLSM allocation, largest request first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VlsmReport {
    /// The network carved, as `network/prefix`.
    #[serde(rename = "NETWORK")]
    pub network: String,
    /// The allocations, largest first.
    #[serde(rename = "VLSM")]
    pub rows: Vec<VlsmRow>,
    /// Addresses used by the allocations.
    #[serde(rename = "NEEDED")]
    pub needed: String,
    /// What is left, as minimal CIDR blocks.
    #[serde(rename = "UNUSED")]
    pub unused: Vec<String>,
}

/// ceil(log2(n)) for n >= 1.
fn ceil_log2(n: u128) -> u32 {
    if n <= 1 {
        0
    } else if n.is_power_of_two() {
        n.trailing_zeros()
    } else {
        128 - n.leading_zeros()
    }
}

/// Host bits of the smallest block with `hosts` usable addresses: IPv4 loses network and broadcast, except /31 and /32.
fn host_bits_for(hosts: u128, v6: bool) -> u32 {
    match (v6, hosts) {
        (true, n) => ceil_log2(n),
        (false, 0..=1) => 0,
        (false, 2) => 1,
        (false, n) => ceil_log2(n.saturating_add(2)),
    }
}

/// Carves the smallest subnets holding each host count out of `net`, largest first.
pub fn vlsm_report(net: IpNetwork, hosts: &[u128]) -> Result<VlsmReport, SubnetError> {
    let v6 = net.is_ipv6();
    let bits = width(v6);
    let base = net.prefix();
    let start = to_u128(net.ip()) & mask_bits(base, bits);
    let label = format!("{}/{}", from_u128(start, v6), base);
    let list = hosts
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(",");
    if hosts.is_empty() {
        return bad("--hosts: give at least one host count, e.g. --hosts 50,20,10");
    }
    let avail_bits = bits - u32::from(base);
    let mut order: Vec<u128> = hosts.to_vec();
    // Largest first keeps every block aligned right after the previous one.
    order.sort_by(|a, b| b.cmp(a));
    let mut plan = Vec::new();
    let mut needed: u128 = 0;
    for &h in &order {
        let hb = host_bits_for(h, v6);
        if hb > avail_bits {
            return bad(format!(
                "--hosts {list}: {h} hosts do not fit in {label} at all"
            ));
        }
        let size = if hb >= 128 { u128::MAX } else { 1u128 << hb };
        needed = match needed.checked_add(size) {
            Some(n) => n,
            None => return bad(format!("--hosts {list}: more addresses than {label} has")),
        };
        plan.push((h, hb));
    }
    let capacity_bits = avail_bits;
    let fits = capacity_bits >= 128 || needed <= (1u128 << capacity_bits);
    if !fits {
        return bad(format!(
            "--hosts {list}: needs {needed} addresses, but {label} has only {}",
            count_str(capacity_bits)
        ));
    }
    let end = start | (!mask_bits(base, bits) & all_ones(bits));
    let mut cursor = start;
    let mut rows = Vec::new();
    let mut exhausted = false;
    for (h, hb) in plan {
        let prefix = (bits - hb) as u8;
        rows.push(VlsmRow {
            hosts: h,
            subnet: row(cursor, prefix, v6),
        });
        let size_minus_one = if hb >= 128 {
            u128::MAX
        } else {
            (1u128 << hb) - 1
        };
        let last = cursor.saturating_add(size_minus_one);
        if last >= end {
            exhausted = true;
            cursor = end;
        } else {
            cursor = last + 1;
        }
    }
    let unused = if exhausted {
        Vec::new()
    } else {
        blocks(cursor, end, bits)
            .into_iter()
            .map(|(v, p)| format!("{}/{}", from_u128(v, v6), p))
            .collect()
    };
    Ok(VlsmReport {
        network: label,
        rows,
        needed: needed.to_string(),
        unused,
    })
}

/// A range turned into CIDR blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RangeReport {
    /// The range as given, `first-last`.
    #[serde(rename = "RANGE")]
    pub range: String,
    /// The blocks as `network/prefix` (ipcalc-ng's DEAGGREGATEDNETWORK).
    #[serde(rename = "DEAGGREGATEDNETWORK")]
    pub cidrs: Vec<String>,
    /// Each block in detail.
    #[serde(rename = "BLOCKS")]
    pub blocks: Vec<SubnetRow>,
    /// How many addresses the range holds.
    #[serde(rename = "TOTAL")]
    pub total: String,
}

/// Turns `start..=end` into the minimal list of CIDR blocks.
pub fn range_report(start: IpAddr, end: IpAddr) -> Result<RangeReport, SubnetError> {
    let nets = range_to_cidrs(start, end)?;
    let v6 = start.is_ipv6();
    let rows: Vec<SubnetRow> = nets
        .iter()
        .map(|n| row(to_u128(n.ip()), n.prefix(), v6))
        .collect();
    let span = to_u128(end) - to_u128(start);
    let total = span
        .checked_add(1)
        .map(|n| n.to_string())
        .unwrap_or_else(|| count_str(128));
    Ok(RangeReport {
        range: format!("{start}-{end}"),
        cidrs: rows.iter().map(|r| r.cidr.clone()).collect(),
        blocks: rows,
        total,
    })
}

/// Several networks summarized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryReport {
    /// The networks given (host bits dropped), as `network/prefix`.
    #[serde(rename = "NETWORKS")]
    pub inputs: Vec<String>,
    /// The smallest set of CIDR blocks covering exactly the same addresses.
    #[serde(rename = "SUMMARY")]
    pub summary: Vec<String>,
    /// The single smallest block covering them all.
    #[serde(rename = "SUPERNET")]
    pub supernet: String,
    /// Addresses the supernet covers that none of the networks did.
    #[serde(rename = "SUPERNETEXTRA")]
    pub supernet_extra: String,
    /// Remarks, e.g. host bits that were dropped.
    #[serde(rename = "NOTE", skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Summarizes networks: exact aggregation (RFC 4632) and the single covering supernet.
pub fn summarize_report(nets: &[IpNetwork]) -> Result<SummaryReport, SubnetError> {
    let Some(first) = nets.first() else {
        return bad("--summarize: give the networks to summarize, e.g. 10.0.0.0/24 10.0.1.0/24");
    };
    let v6 = first.is_ipv6();
    if nets.iter().any(|n| n.is_ipv6() != v6) {
        return bad(
            "--summarize: IPv4 and IPv6 networks cannot be summarized together; give one family",
        );
    }
    let bits = width(v6);
    let full = all_ones(bits);
    let mut dropped = Vec::new();
    let mut spans: Vec<(u128, u128)> = nets
        .iter()
        .map(|n| {
            let mask = mask_bits(n.prefix(), bits);
            let v = to_u128(n.ip());
            if v & mask != v {
                dropped.push(format!("{n}"));
            }
            (v & mask, (v & mask) | (!mask & full))
        })
        .collect();
    let inputs = spans
        .iter()
        .zip(nets)
        .map(|((lo, _), n)| format!("{}/{}", from_u128(*lo, v6), n.prefix()))
        .collect();
    spans.sort();
    // Merge overlapping and adjacent spans.
    let mut merged: Vec<(u128, u128)> = Vec::new();
    for (lo, hi) in spans {
        match merged.last_mut() {
            Some((_, last_hi)) if *last_hi == full || lo <= last_hi.saturating_add(1) => {
                if hi > *last_hi {
                    *last_hi = hi;
                }
            }
            _ => merged.push((lo, hi)),
        }
    }
    let mut summary = Vec::new();
    let mut covered: u128 = 0;
    for &(lo, hi) in &merged {
        covered = covered.saturating_add((hi - lo).saturating_add(1));
        for (v, p) in blocks(lo, hi, bits) {
            summary.push(format!("{}/{}", from_u128(v, v6), p));
        }
    }
    let lo = merged.first().map(|m| m.0).unwrap_or(0);
    let hi = merged.last().map(|m| m.1).unwrap_or(0);
    // The common leading bits of the lowest and highest address make the supernet.
    let differing = 128 - (lo ^ hi).leading_zeros();
    let sp = (bits - differing.min(bits)) as u8;
    let snet = lo & mask_bits(sp, bits);
    let host_bits = bits - u32::from(sp);
    let size_minus_one = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    // size - covered, written so that a 2^128 size cannot overflow; only the
    // whole IPv6 space saturates `covered`, and it leaves nothing extra.
    let whole = merged.as_slice() == [(0, full)];
    let extra = if whole {
        0
    } else {
        size_minus_one - covered.saturating_sub(1)
    };
    Ok(SummaryReport {
        inputs,
        summary,
        supernet: format!("{}/{}", from_u128(snet, v6), sp),
        supernet_extra: extra.to_string(),
        note: (!dropped.is_empty()).then(|| {
            format!(
                "host bits ignored in {}: each is taken as its network",
                dropped.join(", ")
            )
        }),
    })
}
