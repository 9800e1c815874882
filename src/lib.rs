//! `inspect`: a packet-level network protocol inspector.
//!
//! One way through the program, as the five-layer model reads a frame from the wire up
//! (see [`pipeline`] for how it is split among threads):
//!
//! ```text
//! source ─frames─▶ decode ─Input─▶ flow shards and keyed stages ─events─▶ merge ─▶ output
//! ```
//!
//! - [`main`](../inspect/index.html) parses the command line ([`cli`], where every default
//!   lives), validates it into one [`config::Config`], runs one [`command`] and maps its
//!   [`error::RunError`] to an exit status.
//! - [`source`] yields raw frames from pcap/pcapng files or a live interface, and never decodes.
//! - [`decode`] turns a frame into a borrowed [`decode::Packet`] and the one compact
//!   [`decode::Input`] every analyzer takes.
//! - [`analyze`] holds the analyzers, on packet time only (never the wall clock); [`pipeline`]
//!   places them, runs them and merges their events back into frame order.
//! - [`report`] is the model every renderer reads; [`output`] renders packets, events and the
//!   report as lines, the five-layer view, tables or JSON.
//! - [`subnet`] is the IP subnet calculator, which needs no packets; [`special`] is the
//!   special-purpose address table it shares with the SYN-flood detector.

#![forbid(unsafe_code)]

pub mod analyze;
pub mod cli;
pub mod command;
pub mod config;
pub mod decode;
pub mod error;
pub mod filter;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod sandbox;
pub mod special;
pub mod subnet;
