//! SYN-flood alerts as text: one line as an alert opens, one as it closes, and a table in the
//! end summary; connection-surge notices in a table after it. (JSON alerts and notices are the
//! report structs themselves, through `json::event`.)

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::Cell;

use crate::output::json;
use crate::output::table::{num_cell, table};
use crate::report::alert::{Alert, AlertState, ClosedBy, FloodStats, Notice, Pattern};

pub use crate::report::alert::endpoint;

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// The verdict on spoofing with the signs that support it.
fn spoofing(a: &Alert) -> String {
    let verdict = if a.spoofed { "spoofed sources" } else { "sources not shown to be spoofed" };
    if a.spoof_signs.is_empty() {
        verdict.to_string()
    } else {
        format!("{verdict} ({})", a.spoof_signs.join(", "))
    }
}

/// The ports of a flood over several: `port 80`, or `~4 ports 80-83`.
fn ports(a: &Alert) -> String {
    match a.dport {
        Some(p) => format!("port {p}"),
        None => format!("~{} ports {}-{}", a.ports, a.port_range[0], a.port_range[1]),
    }
}

/// What was flooded, in full: `10.0.0.2:80`, `10.0.0.2 (multi-port: ~4 ports 80-83)`,
/// `10.9.0.0/24 (carpet: ~254 hosts, port 80)`.
pub fn target(a: &Alert) -> String {
    match (a.pattern, a.dport) {
        (Pattern::OnePort, Some(p)) => endpoint(a.dst, p),
        (Pattern::Carpet, _) => format!("{}/{} (carpet: ~{} hosts, {})", a.dst, a.prefix, a.hosts, ports(a)),
        _ => format!("{} (multi-port: {})", a.dst, ports(a)),
    }
}

/// What was flooded, short, for the summary table.
fn target_short(a: &Alert) -> String {
    match (a.pattern, a.dport) {
        (Pattern::OnePort, Some(p)) => endpoint(a.dst, p),
        (Pattern::Carpet, _) => format!("{}/{} carpet, ~{} hosts", a.dst, a.prefix, a.hosts),
        _ => format!("{} multi-port, ~{} ports", a.dst, a.ports),
    }
}

/// One line for an alert event: what is known as it opens, or the whole story as it closes.
pub fn line(a: &Alert) -> String {
    let target = target(a);
    let mut s = String::with_capacity(256);
    match a.state {
        AlertState::Open => {
            let _ = write!(
                s,
                "ALERT syn_flood {target} started at {} UTC (raised {:.3} s later): {} SYN/s from ~{} sources, half-open {}, {:.0}% of the last second's SYNs completed, {}",
                a.start,
                a.detected.secs_since(a.start).max(0.0),
                a.peak_syn_rate,
                a.sources,
                a.half_open,
                // The share is below the threshold: rounding must not lift it to it.
                (a.window_completion * 100.0).floor(),
                spoofing(a),
            );
        }
        AlertState::Closed => {
            let why = match a.closed_by {
                ClosedBy::EndOfInput => " (input ended)",
                ClosedBy::CaptureStopped => " (capture stopped)",
                _ => "",
            };
            let _ = write!(
                s,
                "ALERT syn_flood {target} ended at {} UTC{why}, {:.3} s after it started: {} SYNs, peak {} SYN/s, \
                 ~{} sources ({} one SYN only, {} bogon), half-open {}, completed {} ({}), SYN-ACKs {} ({} unanswered), {}",
                a.end,
                a.duration,
                a.syns,
                a.peak_syn_rate,
                a.sources,
                percent(a.one_syn_share),
                a.bogon_sources,
                a.half_open,
                a.completed,
                percent(a.completion_share),
                a.synacks,
                a.synacks_unanswered,
                spoofing(a),
            );
            // The report lists only sources certain to be heavy; under random spoofing none is.
            let heavy: Vec<_> = a.top_sources.iter().take(5).collect();
            if heavy.is_empty() {
                s.push_str("; no source stands out");
            } else {
                s.push_str("; top sources:");
                for t in heavy {
                    let _ = write!(s, " {} {}", t.addr, t.syns);
                    if t.error > 0 {
                        let _ = write!(s, " (±{})", t.error);
                    }
                }
            }
        }
    }
    s
}

/// The alerts table of the text summary (a count alone without `tables`), the notices after
/// it, and what the detector had to forget.
pub fn summary_text(
    w: &mut dyn Write,
    alerts: &[Alert],
    notices: &[Notice],
    stats: Option<&FloodStats>,
    tables: bool,
) -> io::Result<()> {
    if !alerts.is_empty() {
        writeln!(w, "SYN flood alerts: {}", alerts.len())?;
    }
    if !alerts.is_empty() && tables {
        // On a narrow terminal the target, its SYNs and half-open count and the verdict stay.
        let mut t = table(&[
            "target", "start (UTC)", "secs", "SYNs", "peak SYN/s", "half-open", "completed", "sources", "one SYN",
            "bogons", "spoofed", "top source",
        ])
        .expendable(&[9, 8, 11, 4, 6, 7, 2]);
        for a in alerts {
            let top = a
                .top_sources
                .first()
                .map(|t| format!("{} ({})", t.addr, t.syns))
                .unwrap_or_else(|| "none stands out".into());
            t.add_row(vec![
                Cell::new(target_short(a)),
                Cell::new(a.start),
                num_cell(format!("{:.3}", a.duration)),
                num_cell(a.syns),
                num_cell(a.peak_syn_rate),
                num_cell(a.half_open),
                num_cell(a.completed),
                num_cell(format!("~{}", a.sources)),
                num_cell(percent(a.one_syn_share)),
                num_cell(a.bogon_sources),
                Cell::new(if a.spoofed { "yes" } else { "no" }),
                Cell::new(top),
            ]);
        }
        writeln!(w, "{t}")?;
    }
    if !notices.is_empty() {
        writeln!(w, "Notices: {} connection_surge (busy, handshakes completing: no attack)", notices.len())?;
    }
    if !notices.is_empty() && tables {
        let mut t = table(&[
            "target", "start (UTC)", "secs", "SYNs", "peak SYN/s", "peak waiting", "completed", "sources",
        ])
        .expendable(&[5, 4, 7, 2]);
        for n in notices {
            t.add_row(vec![
                Cell::new(endpoint(n.dst, n.p)),
                Cell::new(n.start),
                num_cell(format!("{:.3}", n.duration)),
                num_cell(n.n),
                num_cell(n.peak_syn_rate),
                num_cell(n.peak_outstanding),
                num_cell(format!("{} ({})", n.completed, percent(n.completion_share))),
                num_cell(format!("~{}", n.sources)),
            ]);
        }
        writeln!(w, "{t}")?;
    }
    if let Some(s) = stats {
        if s.targets_evicted > 0 || s.pending_evicted > 0 || s.alerts_dropped > 0 {
            writeln!(
                w,
                "SYN flood detector at its limits: {} targets evicted, {} pending handshakes pushed out, {} alerts and notices not kept",
                s.targets_evicted, s.pending_evicted, s.alerts_dropped
            )?;
        }
    }
    Ok(())
}

/// The detector's counters as one `"event_type": "flood"` JSON line (alerts were streamed).
pub fn summary_json(w: &mut dyn Write, stats: Option<&FloodStats>) -> io::Result<()> {
    match stats {
        Some(s) => writeln!(w, "{}", json::event("flood", s)),
        None => Ok(()),
    }
}
