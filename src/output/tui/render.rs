//! Draws the [`Dashboard`] with ratatui: a header (what is shown, packet time, pace), the tab
//! bar, the tab, and a status line (the filter being typed, or the keys). Everything fits in
//! 80×24; a larger terminal shows more rows and columns. Reads the model only.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Sparkline, Table, TableState, Tabs, Wrap};
use ratatui::Frame;

use super::model::{Dashboard, Tab};
use crate::output::table::count;
use crate::report::alert::{endpoint, AlertState};
use crate::report::conn::ConnRecord;

/// The keys, as `?` shows them.
pub const KEYS: &[(&str, &str)] = &[
    ("1-4, Tab", "switch tabs (Shift-Tab goes back)"),
    ("↑ ↓ PgUp PgDn", "move in a table"),
    ("s", "connections: next order (bytes, packets, start, last, state)"),
    ("/", "connections: display filter (Enter applies it, Esc drops)"),
    ("Enter", "connections: its ladder (replay) or record; Esc closes"),
    ("space", "replay: pause / play"),
    (".", "replay: one packet (pauses)"),
    ("]", "replay: one second of packet time (pauses)"),
    ("?", "this help"),
    ("q, Ctrl-C", "quit"),
];

const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);
const ALERT: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
const DIM: Style = Style::new().fg(Color::DarkGray);

/// Draws the whole screen.
pub fn draw(f: &mut Frame<'_>, d: &Dashboard) {
    let [head, tabs, body, status] = Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(f.area());
    f.render_widget(header(d), head);
    let titles = Tab::ALL.iter().map(|t| format!("{} {}", t.index() + 1, t.title()));
    f.render_widget(Tabs::new(titles).select(d.tab.index()).highlight_style(BOLD.add_modifier(Modifier::REVERSED)).divider("│"), tabs);
    match d.tab {
        Tab::Overview => overview(f, d, body),
        Tab::Connections => connections(f, d, body),
        Tab::Arp => arp(f, d, body),
        Tab::Alerts => alerts(f, d, body),
    }
    f.render_widget(status_line(d), status);
    if d.help {
        help(f, body);
    }
}

/// What is shown, the packet time, the pace, the totals.
fn header(d: &Dashboard) -> Paragraph<'static> {
    let s = &d.snap;
    let clock = s.clock.map(|t| format!("{t} UTC")).unwrap_or_else(|| "no packets yet".into());
    let pace = if s.done { Span::styled("end", BOLD) } else { Span::raw(s.pace.clone()) };
    let spans = vec![
        Span::styled(format!(" {} ", s.source), BOLD),
        Span::raw(format!("│ {clock} │ ")),
        pace,
        Span::raw(format!(" │ {} ", count(s.report.stats.packets, "pkt", "pkts"))),
    ];
    Paragraph::new(Line::from(spans))
}

/// The filter being typed, its error, or the key hint.
fn status_line(d: &Dashboard) -> Paragraph<'static> {
    if let Some(t) = &d.typing {
        return Paragraph::new(Line::from(vec![Span::styled("filter: ", BOLD), Span::raw(format!("{t}▏"))]));
    }
    if let Some(e) = &d.filter_error {
        return Paragraph::new(Span::styled(format!("filter: {e}"), ALERT));
    }
    Paragraph::new(Span::styled("? keys  1-4/Tab tabs  q quit", DIM))
}

/// Rates over the last minute, protocols, talkers, kernel drops, open alerts.
fn overview(f: &mut Frame<'_>, d: &Dashboard, area: Rect) {
    let open: Vec<_> = d.snap.report.alerts.iter().filter(|a| a.state == AlertState::Open).collect();
    let alert_rows = (open.len() as u16).clamp(1, 4);
    let [pps, bps, mid, kernel, alerts] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(alert_rows + 1),
    ])
    .areas(area);
    let (p, b) = d.snap.rates.series();
    let last = |v: &[u64]| v.last().copied().unwrap_or(0);
    let peak = |v: &[u64]| v.iter().copied().max().unwrap_or(0);
    let spark = |title: String, v: &[u64]| Sparkline::default().block(Block::new().borders(Borders::TOP).title(title)).data(v.iter().copied());
    f.render_widget(spark(format!(" packets/s, last 60 s: now {}, peak {} ", last(&p), peak(&p)), &p), pps);
    f.render_widget(spark(format!(" bytes/s, last 60 s: now {}, peak {} ", last(&b), peak(&b)), &b), bps);

    let [protos, by_bytes, by_pkts] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(mid);
    let stats = &d.snap.report.stats;
    let mut mix: Vec<&(String, u64)> = stats.protocols.iter().collect();
    mix.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let rows = mix.iter().map(|(n, c)| {
        let share = if stats.packets > 0 { *c as f64 * 100.0 / stats.packets as f64 } else { 0.0 };
        Row::new(vec![Cell::from(n.clone()), Cell::from(format!("{c}")), Cell::from(format!("{share:.0}%"))])
    });
    let t = Table::new(rows, [Constraint::Fill(1), Constraint::Length(7), Constraint::Length(4)])
        .block(Block::new().borders(Borders::TOP).title(" protocols "));
    f.render_widget(t, protos);
    let talkers = |by_packets: bool, title: &'static str| {
        let rows = d.talkers(by_packets, usize::from(mid.height)).into_iter().map(|(h, b, p)| {
            Row::new(vec![Cell::from(h.to_string()), Cell::from(if by_packets { p.to_string() } else { b.to_string() })])
        });
        Table::new(rows, [Constraint::Fill(1), Constraint::Length(8)]).block(Block::new().borders(Borders::LEFT | Borders::TOP).title(title))
    };
    f.render_widget(talkers(false, " top talkers, bytes "), by_bytes);
    f.render_widget(talkers(true, " top talkers, pkts "), by_pkts);

    let k = match d.snap.kernel {
        Some(k) => format!("kernel: {} received, {} dropped", k.received, k.dropped),
        None => "kernel: (not live)".to_string(),
    };
    let mut line = vec![Span::raw(k)];
    if let Some(c) = &d.snap.report.conns {
        let left: u64 = c.by_end.iter().map(|(_, n)| n).sum();
        line.push(Span::raw(format!("  │ conns: {} in the table, {left} left", c.rows.len())));
    }
    f.render_widget(Paragraph::new(Line::from(line)), kernel);
    let mut lines = vec![Line::styled(format!("open alerts: {}", open.len()), if open.is_empty() { Style::new() } else { ALERT })];
    for a in open.iter().take(alert_rows as usize) {
        lines.push(Line::styled(alert_summary(a), ALERT));
    }
    f.render_widget(Paragraph::new(lines), alerts);
}

/// One alert in a line.
fn alert_summary(a: &crate::report::Alert) -> String {
    format!(
        "syn_flood #{} on {}: {} SYNs, peak {}/s, {} half-open, {} sources{}",
        a.id,
        crate::output::alert::target(a),
        a.syns,
        a.peak_syn_rate,
        a.half_open,
        a.sources,
        if a.spoofed { ", spoofed" } else { "" }
    )
}

/// `addr:port`, or the address alone for a flow without ports.
fn end(r: &ConnRecord, orig: bool) -> String {
    let (h, p) = if orig { (r.orig_h, r.orig_p) } else { (r.resp_h, r.resp_p) };
    if r.proto == "tcp" || r.proto == "udp" { endpoint(h, p) } else { h.to_string() }
}

/// The flow table, sorted and filtered, or the details of one connection.
fn connections(f: &mut Frame<'_>, d: &Dashboard, area: Rect) {
    let rows = d.conns();
    let total = d.snap.report.conns.as_ref().map_or(0, |c| c.rows.len());
    let filter = d.filter.as_ref().map(|f| format!(" · filter: {}", f.text())).unwrap_or_default();
    let title = format!(" {} of {total} · sort: {}{filter} ", rows.len(), d.sort.name());
    let wide = area.width >= 100;
    let mut header = vec!["originator", "responder", "orig state", "resp state"];
    if wide {
        header.extend(["proto", "conn", "history"]);
    }
    header.extend(["pkts", "bytes"]);
    let body = rows.iter().map(|r| {
        let st = |s: Option<crate::report::conn::TcpState>| s.map_or("-", |s| s.name());
        let mut cells = vec![end(r, true), end(r, false), st(r.orig_state).to_string(), st(r.resp_state).to_string()];
        if wide {
            cells.extend([r.proto.to_string(), r.conn_state.name().to_string(), r.history.clone()]);
        }
        cells.extend([(r.orig_pkts + r.resp_pkts).to_string(), (r.orig_bytes + r.resp_bytes).to_string()]);
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Fill(1), Constraint::Fill(1), Constraint::Length(11), Constraint::Length(11)];
    if wide {
        widths.extend([Constraint::Length(5), Constraint::Length(6), Constraint::Length(10)]);
    }
    widths.extend([Constraint::Length(6), Constraint::Length(8)]);
    let t = Table::new(body, widths)
        .header(Row::new(header).style(BOLD))
        .block(Block::new().borders(Borders::TOP).title(title))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected((!rows.is_empty()).then_some(d.selected.min(rows.len().saturating_sub(1))));
    f.render_stateful_widget(t, area, &mut state);
    if d.detail {
        match (rows.get(d.selected), &d.ladder) {
            (Some(r), Some((uid, l))) if *uid == r.uid => ladder(f, uid, l, d.scroll, area),
            (Some(r), _) => detail(f, r, area),
            _ => {}
        }
    }
}

/// One connection's ladder, over the table, scrolled by `scroll`.
fn ladder(f: &mut Frame<'_>, uid: &str, l: &Result<String, String>, scroll: (u16, u16), area: Rect) {
    let text = match l {
        Ok(t) => t.clone(),
        Err(e) => format!("no ladder: {e}"),
    };
    let title = format!(" ladder {uid} (arrows scroll, Esc closes) ");
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(text).scroll(scroll).block(Block::bordered().title(title)), area);
}

/// One connection's record, over the table.
fn detail(f: &mut Frame<'_>, r: &ConnRecord, area: Rect) {
    let area = inner(area, 2, 1);
    let mut lines = vec![
        Line::styled(format!("{} {} > {}", r.proto, end(r, true), end(r, false)), BOLD),
        Line::raw(format!("uid {}  started {}", r.uid, r.start)),
        Line::raw(format!("conn_state {} ({})", r.conn_state, r.conn_state.meaning())),
        Line::raw(format!("history {}", if r.history.is_empty() { "-" } else { &r.history })),
    ];
    if let (Some(o), Some(s)) = (r.orig_state, r.resp_state) {
        lines.push(Line::raw(format!("originator {o}, responder {s}")));
    }
    lines.push(Line::raw(format!("packets {}/{}  payload bytes {}/{}  duration {:.6} s", r.orig_pkts, r.resp_pkts, r.orig_bytes, r.resp_bytes, r.duration)));
    if r.orig_retrans + r.resp_retrans > 0 {
        lines.push(Line::raw(format!("retransmissions {}/{}", r.orig_retrans, r.resp_retrans)));
    }
    if let (Some(a), Some(b)) = (r.rtt_syn_synack, r.rtt_synack_ack) {
        lines.push(Line::raw(format!("handshake {:.6} s + {:.6} s", a, b)));
    }
    lines.push(Line::styled("Esc closes", DIM));
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(" connection ")), area);
}

/// The ARP table, and the latest events under it.
fn arp(f: &mut Frame<'_>, d: &Dashboard, area: Rect) {
    let Some(a) = &d.snap.report.arp else {
        f.render_widget(Paragraph::new("the ARP analyzer is not running"), area);
        return;
    };
    let events = (a.events.len() as u16).min(area.height / 3).max(1);
    let [table, ev] = Layout::vertical([Constraint::Fill(1), Constraint::Length(events + 1)]).areas(area);
    let as_of = a.as_of.map(|t| format!(", states as of {}", crate::source::Ts::from_parts(t.floor() as i64, ((t - t.floor()) * 1e6).round() as u64, 1_000_000)));
    let title = format!(" {} from {}{} ", count(a.entries.len() as u64, "entry", "entries"), count(a.packets, "ARP packet", "ARP packets"), as_of.unwrap_or_default());
    let rows = a.entries.iter().map(|e| {
        let style = match e.state {
            crate::report::arp::ArpState::Failed => ALERT,
            _ => Style::new(),
        };
        Row::new(vec![
            e.ip.to_string(),
            e.mac.map_or("-".into(), |m| m.to_string()),
            e.state.name().to_string(),
            format!("{:.1} s", a.as_of.unwrap_or(e.last_seen) - e.last_seen),
            e.packets.to_string(),
            e.changes.to_string(),
        ])
        .style(style)
    });
    let t = Table::new(rows, [Constraint::Length(15), Constraint::Length(17), Constraint::Length(10), Constraint::Length(9), Constraint::Length(7), Constraint::Length(7)])
        .header(Row::new(["IP", "MAC", "state", "idle", "packets", "changes"]).style(BOLD))
        .block(Block::new().borders(Borders::TOP).title(title));
    f.render_widget(t, table);
    let lines: Vec<Line> = a.events.iter().skip(a.events.len().saturating_sub(events as usize)).map(|e| Line::raw(crate::output::arp::event_line(e))).collect();
    f.render_widget(Paragraph::new(lines).block(Block::new().borders(Borders::TOP).title(format!(" events: {} ", a.events_total))), ev);
}

/// The SYN floods: a list, and the selected one's rate, sources and spoof signs.
fn alerts(f: &mut Frame<'_>, d: &Dashboard, area: Rect) {
    let list = d.alerts();
    if list.is_empty() {
        let notices = d.snap.report.notices.len();
        let text = format!("No SYN-flood alerts so far ({} ended).", count(notices as u64, "connection surge", "connection surges"));
        f.render_widget(Paragraph::new(text).block(Block::new().borders(Borders::TOP).title(" alerts ")), area);
        return;
    }
    let n = (list.len() as u16).min(area.height / 3).max(1);
    let [top, spark, rest] = Layout::vertical([Constraint::Length(n + 2), Constraint::Length(4), Constraint::Fill(1)]).areas(area);
    let rows = list.iter().map(|a| {
        let open = a.state == AlertState::Open;
        Row::new(vec![
            format!("#{}", a.id),
            if open { "OPEN".into() } else { "closed".into() },
            crate::output::alert::target(a),
            a.syns.to_string(),
            format!("{}/s", a.peak_syn_rate),
            a.sources.to_string(),
        ])
        .style(if open { ALERT } else { Style::new() })
    });
    let t = Table::new(rows, [Constraint::Length(4), Constraint::Length(6), Constraint::Fill(1), Constraint::Length(8), Constraint::Length(8), Constraint::Length(8)])
        .header(Row::new(["id", "state", "target", "SYNs", "peak", "sources"]).style(BOLD))
        .block(Block::new().borders(Borders::TOP).title(format!(" {} ", count(list.len() as u64, "SYN flood", "SYN floods"))))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let sel = d.selected.min(list.len() - 1);
    let mut state = TableState::default().with_selected(Some(sel));
    f.render_stateful_widget(t, top, &mut state);
    let Some(a) = list.get(sel) else { return };
    let rate = d.alert_rate(a.id);
    f.render_widget(
        Sparkline::default()
            .block(Block::new().borders(Borders::TOP).title(format!(" #{} SYNs/s between redraws (peak {}/s) ", a.id, a.peak_syn_rate)))
            .data(rate.iter().copied())
            .style(ALERT),
        spark,
    );
    let mut lines = vec![
        Line::raw(format!("{} half-open, {} completed, {} reset; completion {:.0}%", a.half_open, a.completed, a.reset, a.completion_share * 100.0)),
        Line::raw(format!("{} sources (estimated), {:.0}% sent one SYN only, {} bogons", a.sources, a.one_syn_share * 100.0, a.bogon_sources)),
        Line::styled(
            format!("spoofed: {}{}", if a.spoofed { "yes" } else { "no" }, if a.spoof_signs.is_empty() { String::new() } else { format!(" ({})", a.spoof_signs.join(", ")) }),
            if a.spoofed { ALERT } else { Style::new() },
        ),
    ];
    let tops: Vec<String> = a.top_sources.iter().map(|t| format!("{} {}", t.addr, t.syns)).collect();
    lines.push(Line::raw(format!("top sources: {}", if tops.is_empty() { "none stands out".into() } else { tops.join(", ") })));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
}

/// `area` less `dx` columns and `dy` rows on each side.
fn inner(area: Rect, dx: u16, dy: u16) -> Rect {
    Rect { x: area.x + dx.min(area.width / 2), y: area.y + dy.min(area.height / 2), width: area.width.saturating_sub(2 * dx), height: area.height.saturating_sub(2 * dy) }
}

/// The keys, over the tab.
fn help(f: &mut Frame<'_>, area: Rect) {
    let area = inner(area, 2, 0);
    let lines: Vec<Line> = KEYS.iter().map(|(k, what)| Line::from(vec![Span::styled(format!("{k:>14}  "), BOLD), Span::raw(*what)])).collect();
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).block(Block::bordered().title(" keys (any key closes) ")), area);
}
