//! `inspect`: a packet-level network protocol inspector.
//!
//! One way through the program, as the five-layer model reads a frame from the wire up:
//!
//! ```text
//! source ──frames──▶ decode ──Packet──▶ analyzers ──Report──▶ output
//! (file, live)       (etherparse)       (stats, tcp, flood,    (lines, layers, tables,
//!                                        arp)                   json)
//! ```
//!
//! - [`source`] yields raw frames (timestamp, link type, bytes) from pcap/pcapng files or a live
//!   interface, and never decodes.
//! - [`decode`] turns a frame into a borrowed [`decode::Packet`]: every layer that decoded, and
//!   where and why decoding stopped.
//! - [`analyze`] runs the analyzers on packet time (never the wall clock) and builds the
//!   [`report::Report`].
//! - [`output`] renders packets, events and the report as text, tables or JSON.
//! - [`capture`] is the live counterpart of `read`: a capture thread feeding the same session.
//! - [`run`] wires a command line to that pipeline; [`cli`] defines the command line.
//! - [`parallel`] runs `read` on two threads (three with `-q`) with the one-thread output.
//! - [`subnet`] is the IP/subnet calculator, which needs no packets at all.

#![forbid(unsafe_code)]

pub mod analyze;
pub mod arpscan;
pub mod capture;
pub mod cli;
pub mod decode;
pub mod interfaces;
pub mod output;
pub mod parallel;
pub mod privdrop;
pub mod report;
pub mod run;
pub mod source;
pub mod subnet;
#[doc(hidden)]
pub mod testkit;
