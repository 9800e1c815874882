//! SYN-flood alerts as text: one line as an alert opens, one as it closes, and a table in the
//! end summary. (JSON alerts are the report structs themselves, through `json::event`.)

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

use comfy_table::Cell;

use crate::output::json;
use crate::output::table::{num_cell, table};
use crate::report::alert::{Alert, AlertState, ClosedBy, FloodStats};

/// `addr:port`, with brackets around IPv6 addresses.
pub fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

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

/// One line for an alert event: what is known as it opens, or the whole story as it closes.
pub fn line(a: &Alert) -> String {
    let target = endpoint(a.dst, a.dport);
    let mut s = String::with_capacity(256);
    match a.state {
        AlertState::Open => {
            let _ = write!(
                s,
                "ALERT syn_flood {target} started at {} UTC (raised {:.3} s later): {} SYN/s from ~{} sources, half-open {}, {}",
                a.start,
                a.detected.secs_since(a.start).max(0.0),
                a.peak_syn_rate,
                a.sources,
                a.half_open,
                spoofing(a),
            );
        }
        AlertState::Closed => {
            let why = match a.closed_by {
                ClosedBy::EndOfInput => " (input ended)",
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
            // Space-Saving counts are upper bounds: only sources with at least two SYNs for sure
            // stand out; under random spoofing none does.
            let heavy: Vec<_> = a.top_sources.iter().filter(|t| t.syns - t.error >= 2).take(5).collect();
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

/// The alerts table of the text summary, and what the detector had to forget.
pub fn summary_text(w: &mut dyn Write, alerts: &[Alert], stats: Option<&FloodStats>, tables: bool) -> io::Result<()> {
    if !alerts.is_empty() {
        writeln!(w, "SYN flood alerts: {}", alerts.len())?;
    }
    if !alerts.is_empty() && tables {
        let mut t = table(&[
            "target", "start (UTC)", "secs", "SYNs", "peak SYN/s", "half-open", "completed", "sources", "one SYN",
            "bogons", "spoofed", "top source",
        ]);
        for a in alerts {
            let top = a
                .top_sources
                .first()
                .filter(|t| t.syns - t.error >= 2)
                .map(|t| format!("{} ({})", t.addr, t.syns))
                .unwrap_or_else(|| "none stands out".into());
            t.add_row(vec![
                Cell::new(endpoint(a.dst, a.dport)),
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
    if let Some(s) = stats {
        if s.targets_evicted > 0 || s.pending_evicted > 0 || s.alerts_dropped > 0 {
            writeln!(
                w,
                "SYN flood detector at its limits: {} targets evicted, {} pending handshakes pushed out, {} alerts not kept",
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
