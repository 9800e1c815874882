//! Each tab drawn into ratatui's `TestBackend` at 80×24 from a known report: the state of a
//! capture of `captures/` at a moment, made by the same session `read --at` runs, and the
//! screen compared line by line with what that capture holds (tcpdump's reading of it is in
//! captures/README.md).

use std::ops::ControlFlow;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::model::{Dashboard, Rates, Snapshot, SortBy, Tab};
use super::{key, render, Action, Control};
use crate::command::at::{frames, Moment};
use crate::output::ViewOptions;
use crate::pipeline::session::Session;
use crate::pipeline::{AnalysisConfig, Stages};

/// The analyzers' settings of `replay`'s defaults.
fn analysis() -> AnalysisConfig {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from(["inspect", "replay", "x.pcap"]).unwrap();
    match crate::config::Config::new(cli) {
        Ok(crate::config::Config::Replay(c)) => c.analysis,
        _ => panic!("replay's configuration"),
    }
}

/// The state of `file` at `at` (None: its end), as the packet side would send it.
fn snapshot(file: &str, at: Option<&str>) -> Snapshot {
    let mut s = Session::new(std::io::sink(), ViewOptions { quiet: true, ..ViewOptions::default() }, Stages::new(&analysis(), 1));
    let at = at.map(|t| Moment::parse(t).unwrap());
    let mut moment = None;
    let mut rates = Rates::default();
    let mut clock = None;
    let errors = frames(&[file.to_string()], None, |f| {
        let m = *moment.get_or_insert_with(|| at.map(|a| a.resolve(f.ts)));
        if m.is_some_and(|m| f.ts > m) {
            return ControlFlow::Break(());
        }
        s.frame(f).unwrap();
        rates.add(f.ts, f.len);
        clock = Some(f.ts);
        ControlFlow::Continue(())
    });
    assert!(errors.is_empty());
    if let Some(Some(m)) = moment {
        s.advance(m).unwrap();
        clock = Some(m);
    }
    Snapshot { report: s.snapshot(), clock, rates, kernel: None, source: format!("replay {file}"), pace: "max".into(), done: at.is_none() }
}

/// The screen, a line of text per row, trailing blanks cut.
fn screen(d: &Dashboard, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render::draw(f, d)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>().trim_end().to_string()).collect()
}

fn press(d: &mut Dashboard, c: KeyCode) -> Action {
    key(d, KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(d: &mut Dashboard, text: &str) {
    for c in text.chars() {
        press(d, KeyCode::Char(c));
    }
}

#[test]
fn overview_shows_rates_protocols_talkers_and_no_alerts() {
    let d = Dashboard::new(snapshot("captures/web.pcap", None));
    let s = screen(&d, 80, 24);
    assert_eq!(s[0], " replay captures/web.pcap │ 2026-11-22 11:20:24.546312 UTC │ end │ 24 pkts");
    assert_eq!(s[1], " 1 Overview │ 2 Connections │ 3 ARP │ 4 Alerts");
    // Every one of the 24 frames (2050 bytes on the wire) fell in the same second.
    assert!(s[2].starts_with(" packets/s, last 60 s: now 24, peak 24 ─"), "{}", s[2]);
    assert!(s[6].starts_with(" bytes/s, last 60 s: now 2050, peak 2050 ─"), "{}", s[6]);
    assert_eq!(s[11], "ipv4           22      92% │10.0.0.1         1658    │10.0.0.1          22");
    assert_eq!(s[12], "tcp            22      92% │10.0.0.2         1658    │10.0.0.2          22");
    assert_eq!(s[13], "arp            2       8%  │                         │");
    assert_eq!(s[20], "kernel: (not live)  │ conns: 2 in the table, 0 left");
    assert_eq!(s[21], "open alerts: 0");
    assert_eq!(s[23], "? keys  1-4/Tab tabs  q quit");
}

#[test]
fn connections_list_each_end_state_sorted_and_filtered() {
    let mut d = Dashboard::new(snapshot("captures/web.pcap", None));
    press(&mut d, KeyCode::Char('2'));
    assert_eq!(d.tab, Tab::Connections);
    let s = screen(&d, 80, 24);
    assert!(s[2].starts_with(" 2 of 2 · sort: bytes ─"), "{}", s[2]);
    assert_eq!(s[3], "originator           responder           orig state  resp state  pkts   bytes");
    // The client closed the first connection, the server the second (captures/README.md).
    assert_eq!(s[4], "10.0.0.1:41710       10.0.0.2:80         TIME_WAIT   CLOSED      12     317");
    assert_eq!(s[5], "10.0.0.1:43734       10.0.0.2:8080       CLOSED      TIME_WAIT   10     165");
    // By state: both SF; then by the originator's state, CLOSED before TIME_WAIT.
    for _ in 0..4 {
        press(&mut d, KeyCode::Char('s'));
    }
    assert_eq!(d.sort, SortBy::State);
    let s = screen(&d, 80, 24);
    assert!(s[4].starts_with("10.0.0.1:43734"), "{}", s[4]);
    // A display filter typed in place.
    press(&mut d, KeyCode::Char('/'));
    typed(&mut d, "tcp.srcport == 80 && tcp.state == \"TIME_WAIT\"");
    assert!(screen(&d, 80, 24)[23].starts_with("filter: tcp.srcport == 80 && tcp.state"));
    press(&mut d, KeyCode::Enter);
    let s = screen(&d, 80, 24);
    assert!(s[2].starts_with(" 0 of 2 · sort: state · filter: tcp.srcport == 80 && tcp.state == \"TIME_WAIT\""), "{}", s[2]);
    press(&mut d, KeyCode::Char('/'));
    for _ in 0..64 {
        press(&mut d, KeyCode::Backspace);
    }
    typed(&mut d, "tcp.state == \"TIME_WAIT\" && tcp.srcport == 8080");
    press(&mut d, KeyCode::Enter);
    let s = screen(&d, 80, 24);
    assert_eq!(s[4], "10.0.0.1:43734       10.0.0.2:8080       CLOSED      TIME_WAIT   10     165");
    assert_eq!(s[5], "");
    // A filter that does not compile leaves the last one and says why.
    press(&mut d, KeyCode::Char('/'));
    typed(&mut d, " &&");
    press(&mut d, KeyCode::Enter);
    assert!(d.filter_error.is_some());
    assert!(screen(&d, 80, 24)[23].starts_with("filter: "));
    assert_eq!(d.conns().len(), 1);
    // Enter opens the selected connection in full.
    press(&mut d, KeyCode::Enter);
    let s = screen(&d, 80, 24).join("\n");
    assert!(s.contains("│conn_state SF (normal establishment and termination)"), "{s}");
    assert!(s.contains("│originator CLOSED, responder TIME_WAIT"), "{s}");
    press(&mut d, KeyCode::Esc);
    assert!(!d.detail);
}

#[test]
fn connections_between_two_show_the_first_closed_only() {
    let mut d = Dashboard::new(snapshot("captures/web.pcap", Some("2026-11-22 11:20:24.4")));
    press(&mut d, KeyCode::Tab);
    let s = screen(&d, 80, 24);
    assert_eq!(s[0], " replay captures/web.pcap │ 2026-11-22 11:20:24.400000 UTC │ max │ 14 pkts");
    assert_eq!(s[4], "10.0.0.1:41710       10.0.0.2:80         TIME_WAIT   CLOSED      12     317");
    assert_eq!(s[5], "");
}

#[test]
fn a_wide_screen_shows_more_columns() {
    let mut d = Dashboard::new(snapshot("captures/web.pcap", None));
    press(&mut d, KeyCode::Char('2'));
    let s = screen(&d, 120, 30);
    assert!(s[3].contains("proto") && s[3].contains("history"), "{}", s[3]);
    assert!(s[4].contains("tcp") && s[4].contains("SF") && s[4].contains("ShADadFf"), "{}", s[4]);
}

#[test]
fn arp_shows_the_table_and_the_events() {
    let mut d = Dashboard::new(snapshot("captures/arp.pcap", None));
    press(&mut d, KeyCode::Char('3'));
    let s = screen(&d, 80, 24);
    assert!(s[2].starts_with(" 2 entries from "), "{}", s[2]);
    assert_eq!(&s[3], "IP              MAC               state      idle      packets changes");
    // The last MAC 10.0.0.2 was seen at: the one it moved to (captures/README.md).
    assert!(s[5].starts_with("10.0.0.2        02:00:00:00:00:03"), "{}", s[5]);
    // The events, the latest under the table, cut at the screen's edge.
    assert!(s[15].starts_with(" events: 7 ─"), "{}", s[15]);
    assert_eq!(s[20], "11:20:33.567482 arp: changed ethernet address 10.0.0.2 02:00:00:00:00:03 (was 02");
}

#[test]
fn alerts_show_the_open_flood_its_sources_and_spoof_signs() {
    // Halfway through the flood of captures/synflood.pcap.
    let mut d = Dashboard::new(snapshot("captures/synflood.pcap", Some("+0.4")));
    let over = screen(&d, 80, 24).join("\n");
    assert!(over.contains("open alerts: 1"), "{over}");
    assert!(over.contains("syn_flood #1 on 10.0.0.2:80"), "{over}");
    let later = snapshot("captures/synflood.pcap", Some("+0.5"));
    d.update(later);
    press(&mut d, KeyCode::Char('4'));
    let s = screen(&d, 80, 24);
    assert!(s[2].starts_with(" 1 SYN flood ─"), "{}", s[2]);
    assert!(s[4].starts_with("#1   OPEN   10.0.0.2:80"), "{}", s[4]);
    let all = s.join("\n");
    assert!(all.contains("spoofed: yes (one_syn_sources, bogon_sources)"), "{all}");
    // Two snapshots 0.1 s apart: one rate between them.
    assert_eq!(d.alert_rate(1).len(), 1);
    assert!(d.alert_rate(1)[0] > 100, "{:?}", d.alert_rate(1));
}

#[test]
fn everything_fits_in_80_by_24_with_help_over_it() {
    let mut d = Dashboard::new(snapshot("captures/synflood.pcap", Some("+0.5")));
    for t in ['1', '2', '3', '4'] {
        press(&mut d, KeyCode::Char(t));
        press(&mut d, KeyCode::Char('?'));
        let s = screen(&d, 80, 24);
        assert!(s.iter().any(|l| l.contains("q, Ctrl-C  quit")), "{}", s.join("\n"));
        assert!(s.iter().any(|l| l.contains("display filter (Enter applies it, Esc drops)")), "{}", s.join("\n"));
        // Any key closes the help and does nothing else.
        assert_eq!(press(&mut d, KeyCode::Char('q')), Action::None);
        assert!(!d.help);
    }
}

#[test]
fn keys_quit_and_steer_the_replay() {
    let mut d = Dashboard::new(Snapshot::default());
    assert_eq!(press(&mut d, KeyCode::Char(' ')), Action::Send(Control::Pause));
    assert_eq!(press(&mut d, KeyCode::Char('.')), Action::Send(Control::Step));
    assert_eq!(press(&mut d, KeyCode::Char(']')), Action::Send(Control::Second));
    assert_eq!(key(&mut d, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Action::Quit);
    assert_eq!(press(&mut d, KeyCode::Char('q')), Action::Quit);
    press(&mut d, KeyCode::BackTab);
    assert_eq!(d.tab, Tab::Alerts);
}

#[test]
fn enter_draws_the_ladder_of_the_selected_connection() {
    use crate::command::ladder::{build, LadderConfig, LadderFormat};
    let mut d = Dashboard::new(snapshot("captures/web.pcap", None));
    let conn = crate::analyze::tcp::ConnConfig { timeline: true, ..analysis().conn };
    d.ladder_fn = Some(super::model::LadderFn(Box::new(move |uid: &str| {
        let c = LadderConfig {
            file: "captures/web.pcap".into(),
            pick: crate::command::follow::Pick::Uid(uid.into()),
            explain: false,
            max_rows: 100,
            format: LadderFormat::Text,
            conn: conn.clone(),
            sandbox: crate::cli::defaults(),
        };
        build(&c).map(|l| crate::output::ladder::text(&l, 100)).map_err(|e| e.to_string())
    })));
    press(&mut d, KeyCode::Char('2'));
    press(&mut d, KeyCode::Down);
    press(&mut d, KeyCode::Enter);
    let s = screen(&d, 120, 24);
    assert!(s[2].starts_with("┌ ladder CHp8jeM4sSdJ (arrows scroll, Esc closes) ─"), "{}", s[2]);
    assert!(s[3].starts_with("│CHp8jeM4sSdJ 10.0.0.1:43734 (client) ⇄ 10.0.0.2:8080 (server)"), "{}", s[3]);
    // The server closed first: its end passes through FIN_WAIT_1 and ends in TIME_WAIT.
    let all = s.join("\n");
    assert!(all.contains("CLOSE_WAIT→LAST_ACK"), "{all}");
    assert!(all.contains("TIME_WAIT"), "{all}");
    press(&mut d, KeyCode::Esc);
    assert!(!screen(&d, 120, 24).join("\n").contains("ladder C"));
}
