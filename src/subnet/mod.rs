//! `inspect subnet`: an IP subnet calculator.
//!
//! Why it exists: working out what a prefix means — its mask, network,
//! broadcast, usable hosts, address space — or whether two hosts share a
//! link, is a question every other part of `inspect` raises. `ipcalc`,
//! `ipcalc-ng` and `sipcalc` each answer part of it; this module answers all
//! of it in one view, needs no capture and no privilege, and its JSON keeps
//! the keys and value formats of `ipcalc-ng -j` so scripts written for that
//! tool keep working.
//!
//! The flow is pure and testable: the inputs are parsed ([`parse`]) into a
//! [`Request`], computed ([`compute`]) into a [`Report`] (plain structs that
//! derive `Serialize`, whose serialization *is* the JSON output), and then
//! rendered ([`render_table`] or [`render_json`]).
//!
//! # How the positional inputs are read
//! - `A.B.C.D/NN`, `A.B.C.D/M.M.M.M`, IPv6 `addr/prefix`: one network.
//! - `A.B.C.D M.M.M.M` (two arguments, the second a netmask — a dotted quad
//!   starting with 255, or any contiguous mask with its top bit set): one
//!   network. Anything else as the second argument is a second host.
//! - A bare IPv4 address takes its classful default mask (A /8, B /16,
//!   C /24; class D and E have none and are taken as a single /32), and the
//!   output says so. A bare IPv6 address is a single /128.
//! - `A-B`: a range, turned into the minimal list of CIDR blocks.
//! - Two networks/hosts, `A/p B` or `A/p B/q`: the two-host check. `B`
//!   without a prefix uses `A`'s mask (the question is "is B on A's link?").
//!   With two prefixes each host uses its own mask, and both directions are
//!   checked, because a mask mismatch makes one side think the other is
//!   local while the other sends to its router.
//! - `--summarize` with any number of networks, or three or more networks
//!   without it: summarization into the smallest exact set of CIDR blocks,
//!   plus the single smallest supernet covering them all. (Two networks
//!   without `--summarize` are the two-host check, per the rule above.)
//!
//! # Where the output deliberately differs from ipcalc-ng
//! - `ADDRESS` is always present (ipcalc-ng drops it when the address is
//!   the network address).
//! - `ADDRESSES` for an IPv4 /0 is 4294967294 (ipcalc-ng prints 4294967295,
//!   an off-by-one); for an IPv6 /0 it is 2^128 written out (ipcalc-ng
//!   prints an empty string).
//! - A bare class D or E address is a /32 (ipcalc-ng `--class-prefix` uses
//!   /24, but multicast groups and reserved addresses have no classful mask).
//! - `--split` counts are written in full (ipcalc-ng cuts counts of more
//!   than 31 digits short).
//! - An IPv6 network gets a registered type only when the whole network lies
//!   in that block (`::/0` is "Reserved", not "Unspecified", as in
//!   ipcalc-ng); ipcalc-ng alone still calls e.g. `fc00::/6` unique local.
//! - Like ipcalc-ng, IPv4 `ADDRSPACE` and `ADDRCLASS` describe the *network*
//!   address, and a /31's `BROADCAST` is the limited broadcast
//!   255.255.255.255: RFC 3021 gives a /31 no directed broadcast. The table
//!   says "none" for it instead.

mod calc;
mod parse;
mod plan;
mod render;

pub use crate::special::{classify_v4, classify_v6, AddrSpace};
pub use calc::{ipv4_report, ipv6_report, two_host_report, BinaryView, HostSide, Ipv4Report, Ipv6Report, TwoHostReport};
pub use parse::{classful_prefix, parse_ipv4, parse_token, Token};
pub use plan::{
    range_report, range_to_cidrs, split_report, summarize_report, vlsm_report, RangeReport,
    SplitReport, SubnetRow, SummaryReport, VlsmReport, VlsmRow,
};
pub use render::{render_json, render_table};

use ipnetwork::IpNetwork;
use serde::Serialize;
use std::net::IpAddr;

/// What `inspect subnet` is asked: the positional inputs and the options.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Address or network, a range, a second host, or several networks to summarize.
    pub inputs: Vec<String>,
    /// The new prefix to split the network at.
    pub split: Option<String>,
    /// VLSM host counts, as given (e.g. 50,20,10).
    pub hosts: Option<String>,
    /// Summarize the given networks.
    pub summarize: bool,
}

impl Query {
    /// A query with these positional inputs and no options.
    pub fn from_inputs<S: AsRef<str>>(inputs: &[S]) -> Self {
        Query { inputs: inputs.iter().map(|s| s.as_ref().to_string()).collect(), ..Query::default() }
    }
}

/// Error: Display is the one-line message (naming the bad input and what is wrong). The binary prints `inspect: {err}` and exits 2 for Input errors.
#[derive(Debug, thiserror::Error)]
pub enum SubnetError {
    /// Bad input: the message names the offending text and what is wrong with it.
    #[error("{0}")]
    Input(String),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Shorthand for an input error built from a message.
pub(crate) fn bad<T>(msg: impl Into<String>) -> Result<T, SubnetError> {
    Err(SubnetError::Input(msg.into()))
}

/// What the user asked for, after parsing the inputs and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Describe one network; `note` explains an implied prefix.
    Info {
        /// The address with its prefix (host bits kept).
        net: IpNetwork,
        /// Why the prefix was implied, if it was.
        note: Option<String>,
    },
    /// Split one network into subnets of a longer prefix.
    Split {
        /// The network to split.
        net: IpNetwork,
        /// The new, longer prefix.
        prefix: u8,
    },
    /// VLSM: carve subnets for these host counts out of one network.
    Vlsm {
        /// The network to carve.
        net: IpNetwork,
        /// Host counts in the order given.
        hosts: Vec<u128>,
    },
    /// Decide whether two hosts share a network.
    TwoHosts {
        /// First host with its prefix.
        a: IpNetwork,
        /// Second host with its prefix (the first's when none was given).
        b: IpNetwork,
        /// Whether the second host came with its own prefix.
        b_prefix_given: bool,
        /// Why the first host's prefix was implied, if it was.
        note: Option<String>,
    },
    /// Turn an address range into CIDR blocks.
    Range {
        /// First address of the range.
        start: IpAddr,
        /// Last address of the range.
        end: IpAddr,
    },
    /// Summarize several networks.
    Summarize {
        /// The networks as given.
        nets: Vec<IpNetwork>,
    },
}

/// The result of one request: what is rendered as a table or serialized as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// One IPv4 network.
    V4(Box<Ipv4Report>),
    /// One IPv6 network.
    V6(Box<Ipv6Report>),
    /// The two-host check.
    TwoHosts(Box<TwoHostReport>),
    /// `--split`.
    Split(Box<SplitReport>),
    /// `--hosts` (VLSM).
    Vlsm(Box<VlsmReport>),
    /// A range as CIDR blocks.
    Range(Box<RangeReport>),
    /// Summarization.
    Summary(Box<SummaryReport>),
}

/// Parses the positional inputs and options into a request.
pub fn parse(args: &Query) -> Result<Request, SubnetError> {
    parse::parse_request(args)
}

/// Computes the report for a request.
pub fn compute(req: &Request) -> Result<Report, SubnetError> {
    Ok(match req {
        Request::Info { net, note } => match net {
            IpNetwork::V4(n) => Report::V4(Box::new(ipv4_report(*n, note.clone()))),
            IpNetwork::V6(n) => Report::V6(Box::new(ipv6_report(*n))),
        },
        Request::Split { net, prefix } => Report::Split(Box::new(split_report(*net, *prefix)?)),
        Request::Vlsm { net, hosts } => Report::Vlsm(Box::new(vlsm_report(*net, hosts)?)),
        Request::TwoHosts {
            a,
            b,
            b_prefix_given,
            note,
        } => Report::TwoHosts(Box::new(two_host_report(
            *a,
            *b,
            *b_prefix_given,
            note.clone(),
        )?)),
        Request::Range { start, end } => Report::Range(Box::new(range_report(*start, *end)?)),
        Request::Summarize { nets } => Report::Summary(Box::new(summarize_report(nets)?)),
    })
}

/// Parses and computes in one step: the report for these arguments.
pub fn analyze(args: &Query) -> Result<Report, SubnetError> {
    compute(&parse(args)?)
}

/// Runs the calculator, writing the table view, or JSON when `json` is true, to `out`.
pub fn run(args: &Query, json: bool, out: &mut dyn std::io::Write) -> Result<(), SubnetError> {
    let report = analyze(args)?;
    let text = if json {
        render_json(&report)?
    } else {
        render_table(&report)
    };
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}
