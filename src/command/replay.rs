//! `inspect replay FILE`: a capture played back on the dashboard at packet time, N times its
//! own pace or as fast as it reads, with pause and steps.
//!
//! The frames go through the one-thread [`Session`] (as live capture's do) on a thread of
//! their own; the dashboard ([`crate::output::tui`]) runs on this one. The player keeps a
//! packet clock: while playing it runs at `speed` times the wall clock from where play last
//! resumed, and each frame is handed over when the clock reaches its time; paused, it stands,
//! and `.` (one frame) and `]` (one second of packet time, the analyzers' timers moved to its
//! end) move it. The clock shown is this packet clock.

use std::io::{self, IsTerminal};
use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::ReplayConfig;
use crate::error::RunError;
use crate::output::tui::{self, Control, Feed, Rates, Screen, Snapshot};
use crate::output::ViewOptions;
use crate::pipeline::session::Session;
use crate::pipeline::Stages;
use crate::source::file::FileSource;
use crate::source::{Frame, Ts};

use super::at::Moment;

/// The longest the player waits before looking at the controls and the snapshot wish again.
const TICK: Duration = Duration::from_millis(20);

/// Plays `c.file` on the dashboard until `q`.
pub fn run(c: &ReplayConfig) -> Result<(), RunError> {
    if c.file == "-" {
        return Err(RunError::Usage("replay: give a file; standard input is where the keys come from".into()));
    }
    if !io::stdout().is_terminal() {
        return Err(RunError::Usage("replay draws the dashboard on a terminal, and standard output is not one (read --at shows a moment as text)".into()));
    }
    let src = FileSource::open(&c.file).map_err(|e| RunError::Input(e.to_string()))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| RunError::Input(format!("cannot install signal handlers: {e}")))?;
    }
    let screen = Screen::open().map_err(|e| RunError::Input(format!("cannot use the terminal: {e}")))?;
    if let Err(e) = super::at::sandbox(&c.sandbox, std::slice::from_ref(&c.file), false, &[]) {
        ratatui::restore();
        return Err(e);
    }
    let (feed, view) = tui::link();
    let view = view.with_ladder(ladder_of(c));
    let source = format!("replay {}", c.file);
    let first = Snapshot { source: source.clone(), pace: pace(c.speed, false), ..Snapshot::default() };
    let player = Player::new(c, feed, source);
    let worker = std::thread::Builder::new().name("replay".into()).spawn(move || player.play(src));
    let worker = match worker {
        Ok(w) => w,
        Err(e) => {
            ratatui::restore();
            return Err(RunError::Input(format!("cannot start the replay: {e}")));
        }
    };
    let shown = screen.run(view, first, &stop);
    let played = worker.join().unwrap_or_else(|_| Err("the replay stopped on an internal error".into()));
    shown?;
    played.map_err(RunError::Input)
}

/// Draws the ladder of a connection of `c.file` (read again: the sandbox lets it).
fn ladder_of(c: &ReplayConfig) -> tui::model::LadderFn {
    use crate::command::ladder::{build, LadderConfig, LadderFormat};
    let base = LadderConfig {
        file: c.file.clone(),
        pick: crate::command::follow::Pick::Uid(String::new()),
        explain: false,
        max_rows: 400,
        format: LadderFormat::Text,
        conn: crate::analyze::tcp::ConnConfig { timeline: true, ..c.analysis.conn.clone() },
        sandbox: c.sandbox.clone(),
    };
    tui::model::LadderFn(Box::new(move |uid: &str| {
        let lc = LadderConfig { pick: crate::command::follow::Pick::Uid(uid.to_string()), ..base.clone() };
        build(&lc).map(|l| crate::output::ladder::text(&l, lc.max_rows)).map_err(|e| e.to_string())
    }))
}

/// The pace as the header shows it.
fn pace(speed: Option<f64>, paused: bool) -> String {
    match (paused, speed) {
        (true, _) => "paused".into(),
        (false, None) => "max".into(),
        (false, Some(s)) => format!("×{s}"),
    }
}

/// The packet side of a replay.
struct Player {
    session: Session<io::Sink>,
    feed: Feed,
    source: String,
    rates: Rates,
    speed: Option<f64>,
    from: Option<Moment>,
    to: Option<Moment>,
    /// Resolved at the first frame.
    window: Option<(Option<Ts>, Option<Ts>)>,
    /// A frame after `--to` came: playing is over, not quit.
    past_to: bool,
    /// The packet clock.
    clock: Option<Ts>,
    paused: bool,
    /// While playing: the wall instant and packet time play resumed at.
    anchor: Option<(Instant, Ts)>,
    /// `.`: let one frame through.
    step: bool,
    /// `]`: let the frames through up to this time, then stand there.
    until: Option<Ts>,
}

impl Player {
    fn new(c: &ReplayConfig, feed: Feed, source: String) -> Player {
        let view = ViewOptions { quiet: true, ..ViewOptions::default() };
        Player {
            session: Session::new(io::sink(), view, Stages::new(&c.analysis, 1)),
            feed,
            source,
            rates: Rates::default(),
            speed: c.speed,
            from: c.from,
            to: c.to,
            window: None,
            past_to: false,
            clock: None,
            paused: false,
            anchor: None,
            step: false,
            until: None,
        }
    }

    fn snapshot(&mut self, done: bool) -> Snapshot {
        if let Some(c) = self.clock {
            self.rates.roll(c.sec);
        }
        Snapshot {
            report: self.session.snapshot(),
            clock: self.clock,
            rates: self.rates,
            kernel: None,
            source: self.source.clone(),
            pace: pace(self.speed, self.paused),
            done,
        }
    }

    /// Plays every frame of `src`, then holds the last state until the viewer quits.
    fn play(mut self, mut src: FileSource) -> Result<(), String> {
        let mut quit = false;
        let mut failed = None;
        let res = src.for_each(|frame| {
            match self.frame(&frame) {
                Ok(true) => ControlFlow::Continue(()),
                Ok(false) => {
                    quit = true;
                    ControlFlow::Break(())
                }
                Err(e) => {
                    failed = Some(e.to_string());
                    ControlFlow::Break(())
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        if quit && !self.past_to {
            return Ok(());
        }
        // At the end: the packet clock stands at --to, or at the last frame.
        if let Some((_, Some(to))) = self.window {
            if self.clock.is_some_and(|c| c < to) {
                self.clock = Some(to);
                self.session.advance(to).map_err(|e| e.to_string())?;
            }
        }
        self.paused = false;
        let last = self.snapshot(true);
        self.feed.last(last);
        while self.feed.control_within(Duration::from_secs(1)) != Some(Control::Quit) {}
        res.map_err(|e| e.to_string())
    }

    /// One frame, when its time has come; false when the viewer quit or `--to` is passed.
    fn frame(&mut self, frame: &Frame<'_>) -> io::Result<bool> {
        let (from, to) = *self.window.get_or_insert_with(|| (self.from.map(|m| m.resolve(frame.ts)), self.to.map(|m| m.resolve(frame.ts))));
        if to.is_some_and(|t| frame.ts > t) {
            // Past --to: play ends there, and the state stands until the viewer quits.
            self.past_to = true;
            return Ok(false);
        }
        let skipping = from.is_some_and(|f| frame.ts < f);
        if !skipping && !self.wait_for(frame.ts)? {
            return Ok(false);
        }
        self.session.frame(frame)?;
        self.rates.add(frame.ts, frame.len);
        if self.clock.is_none_or(|c| frame.ts > c) {
            self.clock = Some(frame.ts);
        }
        if self.feed.wanted() {
            let s = self.snapshot(false);
            self.feed.offer(s);
        }
        Ok(true)
    }

    /// Waits until the frame at `ts` is due (following the controls meanwhile); false on quit.
    fn wait_for(&mut self, ts: Ts) -> io::Result<bool> {
        loop {
            if let Some(c) = self.feed.control() {
                if !self.control(c) {
                    return Ok(false);
                }
                continue;
            }
            if self.feed.wanted() {
                let s = self.snapshot(false);
                self.feed.offer(s);
            }
            if self.step {
                self.step = false;
                return Ok(true);
            }
            if let Some(u) = self.until {
                if ts <= u {
                    return Ok(true);
                }
                // The second is over before this frame: the clock stands at its end.
                self.until = None;
                self.clock = Some(u);
                self.session.advance(u)?;
                continue;
            }
            if self.paused {
                if let Some(c) = self.feed.control_within(TICK) {
                    if !self.control(c) {
                        return Ok(false);
                    }
                }
                continue;
            }
            let Some(speed) = self.speed else { return Ok(true) };
            let now = Instant::now();
            let (wall, at) = *self.anchor.get_or_insert((now, self.clock.unwrap_or(ts)));
            let ahead = ts.secs_since(at) / speed;
            let due = wall + Duration::from_secs_f64(ahead.max(0.0));
            if now >= due {
                return Ok(true);
            }
            let clock = at.plus_secs(now.duration_since(wall).as_secs_f64() * speed);
            if self.clock.is_none_or(|c| clock > c) {
                self.clock = Some(clock);
            }
            if let Some(c) = self.feed.control_within((due - now).min(TICK)) {
                if !self.control(c) {
                    return Ok(false);
                }
            }
        }
    }

    /// Follows one control; false on quit.
    fn control(&mut self, c: Control) -> bool {
        match c {
            Control::Quit => return false,
            Control::Pause => {
                self.paused = !self.paused;
                self.until = None;
                // Play resumes from where the clock stands.
                self.anchor = None;
            }
            Control::Step => {
                self.paused = true;
                self.anchor = None;
                self.step = true;
            }
            Control::Second => {
                self.paused = true;
                self.anchor = None;
                self.until = self.clock.map(|c| c.plus_secs(1.0));
            }
        }
        true
    }
}
