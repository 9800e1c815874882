//! The command line (clap derive). Nothing else in the program sees raw flags: `run` turns these
//! into validated options in one place.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// inspect: a packet-level network protocol inspector.
#[derive(Debug, Parser)]
#[command(name = "inspect", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read pcap/pcapng files and decode every frame, layer by layer.
    Read(ReadArgs),
    /// Capture live from a network interface (needs root or CAP_NET_RAW).
    Capture(CaptureArgs),
    /// List network interfaces: index, MAC, addresses, state.
    Interfaces(InterfacesArgs),
}

/// How packets are shown.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// Output format: text lines and tables, or JSON Lines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Show the five-layer view: every header field with its meaning and byte offset.
    #[arg(short = 'V', long = "verbose")]
    pub verbose: bool,
    /// Add a hex and ASCII dump of each frame.
    #[arg(short = 'x')]
    pub hex: bool,
    /// Print the link-layer header on each line.
    #[arg(short = 'e')]
    pub link: bool,
    /// Print absolute TCP sequence numbers instead of relative ones.
    #[arg(short = 'S', long = "absolute-tcp-sequence-numbers")]
    pub absolute: bool,
    /// Print no packets, only the summary.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Don't resolve addresses (the default already; accepted for tcpdump habits).
    #[arg(short = 'n', hide = true)]
    pub numeric: bool,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
}

/// `inspect read FILE...`
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// pcap or pcapng files to read; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Show only frames matching this BPF expression (tcpdump syntax; libpcap build).
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Settings of the analyzers (timeouts, thresholds, caps), shared by `read` and `capture`.
#[derive(Debug, Clone, Default, Args)]
pub struct AnalysisArgs {}

/// `inspect capture -i IFACE`
#[derive(Debug, Clone, Args)]
pub struct CaptureArgs {
    /// Interface to capture on (see `inspect interfaces`).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,
    /// Write every captured frame to this pcap file as it arrives.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<String>,
    /// Capture filter, a BPF expression in tcpdump syntax (libpcap build).
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Bytes kept of each frame.
    #[arg(short = 's', long, value_name = "N", default_value_t = 262_144)]
    pub snaplen: u32,
    /// Don't put the interface in promiscuous mode.
    #[arg(long = "no-promisc")]
    pub no_promisc: bool,
    /// After opening the capture (and -w file), run as this user. Default when started as
    /// root: $SUDO_USER, else `nobody`; `-Z root` keeps root.
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    pub user: Option<String>,
    /// Redraw the connection table every second.
    #[arg(long)]
    pub conns: bool,
    /// Redraw the ARP table every second.
    #[arg(long)]
    pub arp: bool,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// `inspect interfaces`
#[derive(Debug, Clone, Args)]
pub struct InterfacesArgs {
    /// Output format: a text table, or JSON Lines (one object per interface).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
