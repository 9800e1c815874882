//! The report's application tables: DNS (queries by name and type, response codes, slowest
//! answers, unanswered queries), DHCP leases and ping round trips, each shown only when the
//! capture had any.

use std::io::{self, Write};

use crate::output::table::{count, num_cell, table};
use crate::report::app::AppReport;

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |m| format!("{m:.3}"))
}

/// Writes the tables of `a`: with `tables` false (`-q`), only each protocol's counts.
pub fn text(w: &mut dyn Write, a: &AppReport, tables: bool) -> io::Result<()> {
    if a.dns_queries > 0 || a.dns_orphans > 0 {
        writeln!(
            w,
            "\nDNS: {}, {} unanswered{}",
            count(a.dns_queries, "query", "queries"),
            a.dns_unanswered_count,
            if a.dns_orphans > 0 { format!(", {} without their query", count(a.dns_orphans, "answer", "answers")) } else { String::new() }
        )?;
        if !tables {
            // The counts only.
        } else if !a.dns_by_query.is_empty() {
            let mut t = table(&["query", "type", "count"]);
            for c in &a.dns_by_query {
                let (name, typ) = c.what.rsplit_once(' ').unwrap_or((&c.what, ""));
                t.add_row(vec![comfy_table::Cell::new(name), comfy_table::Cell::new(typ), num_cell(c.count)]);
            }
            writeln!(w, "{t}")?;
        }
        if tables && !a.dns_rcodes.is_empty() {
            let mut t = table(&["rcode", "answers"]);
            for c in &a.dns_rcodes {
                t.add_row(vec![comfy_table::Cell::new(&c.what), num_cell(c.count)]);
            }
            writeln!(w, "{t}")?;
        }
        if tables && !a.dns_slowest.is_empty() {
            writeln!(w, "Slowest DNS answers:")?;
            let mut t = table(&["query", "type", "server", "rcode", "rtt ms", "uid"]);
            for r in &a.dns_slowest {
                t.add_row(vec![
                    comfy_table::Cell::new(r.query.as_deref().unwrap_or("-")),
                    comfy_table::Cell::new(r.qtype_name.as_deref().unwrap_or("-")),
                    comfy_table::Cell::new(crate::output::follow::endpoint((r.resp_h, r.resp_p))),
                    comfy_table::Cell::new(r.rcode_name.as_deref().unwrap_or("-")),
                    num_cell(ms(r.rtt.map(|s| s * 1e3))),
                    comfy_table::Cell::new(&r.uid),
                ]);
            }
            writeln!(w, "{t}")?;
        }
        if tables && !a.dns_unanswered.is_empty() {
            writeln!(w, "Unanswered DNS queries{}:", if a.dns_unanswered_count > a.dns_unanswered.len() as u64 { " (the first)" } else { "" })?;
            let mut t = table(&["frame", "query", "type", "server", "uid"]);
            for r in &a.dns_unanswered {
                t.add_row(vec![
                    num_cell(r.frame),
                    comfy_table::Cell::new(r.query.as_deref().unwrap_or("-")),
                    comfy_table::Cell::new(r.qtype_name.as_deref().unwrap_or("-")),
                    comfy_table::Cell::new(crate::output::follow::endpoint((r.resp_h, r.resp_p))),
                    comfy_table::Cell::new(&r.uid),
                ]);
            }
            writeln!(w, "{t}")?;
        }
    }
    if a.dhcp_exchanges > 0 {
        writeln!(w, "\nDHCP: {}, {} leased", count(a.dhcp_exchanges, "exchange", "exchanges"), a.dhcp_leases.len())?;
        if tables && !a.dhcp_leases.is_empty() {
            let mut t = table(&["mac", "host name", "assigned", "lease s", "server", "messages"]);
            for r in &a.dhcp_leases {
                t.add_row(vec![
                    comfy_table::Cell::new(r.mac.as_deref().unwrap_or("-")),
                    comfy_table::Cell::new(r.host_name.as_deref().unwrap_or("-")),
                    comfy_table::Cell::new(r.assigned_addr.map_or_else(|| "-".into(), |a| a.to_string())),
                    num_cell(r.lease_time.map_or_else(|| "-".into(), |l| format!("{l}"))),
                    comfy_table::Cell::new(r.server_addr.map_or_else(|| "-".into(), |a| a.to_string())),
                    comfy_table::Cell::new(r.msg_types.join(" ")),
                ]);
            }
            writeln!(w, "{t}")?;
        }
    }
    if !a.ping.is_empty() {
        let (sent, received) = a.ping.iter().fold((0, 0), |(s, r), p| (s + p.sent, r + p.received));
        writeln!(w, "\nPing: {}, {sent} requests, {received} replies", count(a.ping.len() as u64, "target", "targets"))?;
        if !tables {
            return Ok(());
        }
        writeln!(w, "Ping round trips:")?;
        let mut t = table(&["target", "sent", "received", "min ms", "avg ms", "max ms"]);
        for p in &a.ping {
            t.add_row(vec![
                comfy_table::Cell::new(p.target),
                num_cell(p.sent),
                num_cell(p.received),
                num_cell(ms(p.min_ms)),
                num_cell(ms(p.avg_ms)),
                num_cell(ms(p.max_ms)),
            ]);
        }
        writeln!(w, "{t}")?;
    }
    Ok(())
}
