//! The dashboard of `capture --tui` and `replay`: a full-screen view (ratatui on crossterm) of
//! the same report every other output reads, redrawn at most ten times a second.
//!
//! The packet side (a live capture, a replay) never waits for the screen: the viewer runs on
//! its own thread and, when it wants a redraw, raises a flag; the packet side sees the flag
//! between frames, makes a [`Snapshot`] ([`crate::pipeline::Stages::snapshot`]) and offers it
//! on a channel of one place, dropping it if the last is still unread. Keys that steer a
//! replay go the other way as [`Control`]s. The terminal is restored however the viewer ends:
//! `q`, Ctrl-C (a key in raw mode), SIGINT/SIGTERM/SIGHUP (a flag checked each tick), or a
//! panic (ratatui's hook).

pub mod model;
pub mod render;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub use model::{Dashboard, Rates, Snapshot, Tab};

/// The shortest time between two redraws.
pub const FRAME: Duration = Duration::from_millis(100);

/// What the viewer asks of the packet side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Pause, or play again.
    Pause,
    /// One packet more, then pause.
    Step,
    /// One second of packet time more, then pause.
    Second,
    /// Stop.
    Quit,
}

/// The packet side's end of the link.
#[derive(Debug)]
pub struct Feed {
    want: Arc<AtomicBool>,
    snaps: SyncSender<Snapshot>,
    controls: Receiver<Control>,
}

impl Feed {
    /// Whether the viewer waits for a snapshot (cheap: one atomic load); clears the wish.
    #[inline]
    pub fn wanted(&self) -> bool {
        self.want.load(Ordering::Relaxed) && self.want.swap(false, Ordering::Relaxed)
    }

    /// Offers a snapshot; dropped if the viewer has not taken the last one (never waits).
    pub fn offer(&self, s: Snapshot) {
        let _ = self.snaps.try_send(s);
    }

    /// Hands over the last snapshot, waiting for room (the end of a run only).
    pub fn last(&self, s: Snapshot) {
        let _ = self.snaps.send(s);
    }

    /// The next control, if any.
    pub fn control(&self) -> Option<Control> {
        match self.controls.try_recv() {
            Ok(c) => Some(c),
            Err(TryRecvError::Disconnected) => Some(Control::Quit),
            Err(TryRecvError::Empty) => None,
        }
    }

    /// Waits up to `d` for a control.
    pub fn control_within(&self, d: Duration) -> Option<Control> {
        match self.controls.recv_timeout(d) {
            Ok(c) => Some(c),
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(Control::Quit),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
        }
    }
}

/// The viewer's end of the link.
#[derive(Debug)]
pub struct View {
    want: Arc<AtomicBool>,
    snaps: Receiver<Snapshot>,
    controls: Sender<Control>,
    ladder: Option<model::LadderFn>,
}

impl View {
    /// Lets `Enter` draw a connection's ladder with `f`.
    pub fn with_ladder(mut self, f: model::LadderFn) -> View {
        self.ladder = Some(f);
        self
    }
}

/// A link between a packet side and a viewer.
pub fn link() -> (Feed, View) {
    let want = Arc::new(AtomicBool::new(true));
    let (stx, srx) = mpsc::sync_channel(1);
    let (ctx, crx) = mpsc::channel();
    (Feed { want: want.clone(), snaps: stx, controls: crx }, View { want, snaps: srx, controls: ctx, ladder: None })
}

/// What a key does besides changing the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing more.
    None,
    /// Tell the packet side.
    Send(Control),
    /// Leave.
    Quit,
}

/// Applies one key to the dashboard.
pub fn key(d: &mut Dashboard, k: KeyEvent) -> Action {
    if k.kind == KeyEventKind::Release {
        return Action::None;
    }
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        return Action::Quit;
    }
    if d.help {
        d.help = false;
        return Action::None;
    }
    if let Some(t) = d.typing.as_mut() {
        match k.code {
            KeyCode::Char(c) => t.push(c),
            KeyCode::Backspace => {
                t.pop();
            }
            KeyCode::Enter => {
                let text = t.clone();
                d.typing = None;
                d.set_filter(&text);
            }
            KeyCode::Esc => d.typing = None,
            _ => {}
        }
        return Action::None;
    }
    let rows = match d.tab {
        Tab::Connections => d.conns().len(),
        Tab::Alerts => d.alerts().len(),
        _ => 0,
    };
    match k.code {
        KeyCode::Char('q') => return Action::Quit,
        KeyCode::Char('?') => d.help = true,
        KeyCode::Char(c @ '1'..='4') => switch(d, Tab::ALL[(c as u8 - b'1') as usize]),
        KeyCode::Tab => switch(d, Tab::ALL[(d.tab.index() + 1) % Tab::ALL.len()]),
        KeyCode::BackTab => switch(d, Tab::ALL[(d.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]),
        KeyCode::Down | KeyCode::Char('j') if d.detail => d.scroll.0 = d.scroll.0.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') if d.detail => d.scroll.0 = d.scroll.0.saturating_sub(1),
        KeyCode::Right | KeyCode::Char('l') if d.detail => d.scroll.1 = d.scroll.1.saturating_add(8),
        KeyCode::Left | KeyCode::Char('h') if d.detail => d.scroll.1 = d.scroll.1.saturating_sub(8),
        KeyCode::PageDown if d.detail => d.scroll.0 = d.scroll.0.saturating_add(10),
        KeyCode::PageUp if d.detail => d.scroll.0 = d.scroll.0.saturating_sub(10),
        KeyCode::Down | KeyCode::Char('j') => d.select(1, rows),
        KeyCode::Up | KeyCode::Char('k') => d.select(-1, rows),
        KeyCode::PageDown => d.select(10, rows),
        KeyCode::PageUp => d.select(-10, rows),
        KeyCode::Home => d.selected = 0,
        KeyCode::End => d.select(isize::MAX, rows),
        KeyCode::Char('s') if d.tab == Tab::Connections => d.sort = d.sort.next(),
        KeyCode::Char('/') if d.tab == Tab::Connections => {
            d.typing = Some(d.filter.as_ref().map(|f| f.text().to_string()).unwrap_or_default());
        }
        KeyCode::Enter if d.tab == Tab::Connections => d.open_selected(),
        KeyCode::Esc => d.detail = false,
        KeyCode::Char(' ') => return Action::Send(Control::Pause),
        KeyCode::Char('.') => return Action::Send(Control::Step),
        KeyCode::Char(']') => return Action::Send(Control::Second),
        _ => {}
    }
    Action::None
}

fn switch(d: &mut Dashboard, t: Tab) {
    if d.tab != t {
        d.tab = t;
        d.selected = 0;
        d.detail = false;
    }
}

/// The terminal, taken over: raw mode, the alternate screen, a panic hook that gives it back,
/// and the key reader ready. Made before the sandbox, which then only has to let the reads,
/// waits and size queries through.
pub struct Screen {
    term: ratatui::DefaultTerminal,
}

impl Screen {
    /// Takes the terminal over.
    pub fn open() -> io::Result<Screen> {
        let term = ratatui::try_init()?;
        // The key reader is made at its first use: make it now.
        if let Err(e) = event::poll(Duration::ZERO) {
            ratatui::restore();
            return Err(e);
        }
        Ok(Screen { term })
    }

    /// Runs the viewer (see [`run`]).
    pub fn run(self, view: View, first: Snapshot, stop: &AtomicBool) -> io::Result<()> {
        run(self.term, view, first, stop)
    }
}

/// Runs the viewer on this terminal until a quit key, a signal raising `stop`, or the packet
/// side going away without saying it ended (it failed); the terminal is restored in every case.
/// Tells the packet side to stop on the way out.
fn run(mut term: ratatui::DefaultTerminal, mut view: View, first: Snapshot, stop: &AtomicBool) -> io::Result<()> {
    let res = (|| -> io::Result<()> {
        // Whatever was written since the screen was taken (the sandbox's line) goes.
        term.clear()?;
        let mut d = Dashboard::new(first);
        d.ladder_fn = view.ladder.take();
        let mut dirty = true;
        let mut last_draw: Option<Instant> = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            loop {
                match view.snaps.try_recv() {
                    Ok(s) => {
                        d.update(s);
                        dirty = true;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) if d.snap.done => break,
                    Err(TryRecvError::Disconnected) => return Ok(()),
                }
            }
            let due = last_draw.map_or(Duration::ZERO, |t| FRAME.saturating_sub(t.elapsed()));
            if dirty && due.is_zero() {
                term.draw(|f| render::draw(f, &d))?;
                last_draw = Some(Instant::now());
                dirty = false;
                if !d.snap.done {
                    view.want.store(true, Ordering::Relaxed);
                }
            }
            let wait = if dirty { due } else { FRAME };
            if event::poll(wait)? {
                match event::read()? {
                    Event::Key(k) => match key(&mut d, k) {
                        Action::Quit => return Ok(()),
                        Action::Send(c) => {
                            let _ = view.controls.send(c);
                            view.want.store(true, Ordering::Relaxed);
                        }
                        Action::None => {}
                    },
                    Event::Resize(..) => term.autoresize()?,
                    _ => {}
                }
                dirty = true;
            }
        }
    })();
    let _ = view.controls.send(Control::Quit);
    ratatui::try_restore()?;
    res
}

#[cfg(test)]
mod test;
