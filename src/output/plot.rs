//! Pictures of a run (`--plot DIR`, `inspect report`): the I/O graph, the connections open and
//! half open, each SYN-flood alert's SYN rate with its span shaded, and the connection states
//! reached, drawn with `plotters` as SVG or PNG; and the same series as terminal sparklines.
//!
//! Every chart reads only the report model (the series the analyzers kept, the tables); time
//! runs along the x axis in the capture's own clock (UTC), and each chart names the first and
//! last frame's times under its axis so that a reader can line charts up with the packets.
//! PNG text is drawn with an embedded DejaVu Sans, so no font need be installed.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::analyze::timeline::Timeline;
use crate::report::series::Series;
use crate::source::Ts;

/// The image format of `--plot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PlotFormat {
    /// Scalable vector graphics (text stays text).
    #[default]
    Svg,
    /// A bitmap, 1000 by 500 pixels.
    Png,
}

impl PlotFormat {
    /// The file name's extension.
    pub fn ext(self) -> &'static str {
        match self {
            PlotFormat::Svg => "svg",
            PlotFormat::Png => "png",
        }
    }
}

/// Where `--plot` writes, and how.
#[derive(Debug, Clone)]
pub struct PlotOptions {
    /// The directory (made if missing).
    pub dir: PathBuf,
    /// SVG or PNG.
    pub format: PlotFormat,
}

/// Width and height of every picture, in pixels.
pub const SIZE: (u32, u32) = (1000, 500);
/// The font family the charts name (registered from the embedded font).
const FONT: &str = "sans-serif";

/// The colours of a chart's series, in order.
const COLORS: [RGBColor; 6] =
    [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(148, 103, 189), RGBColor(140, 86, 75), RGBColor(227, 119, 194)];
/// The fill of an alert's span.
pub const SHADE: RGBColor = RGBColor(214, 39, 40);
/// The bars of the connection states.
pub const BAR: RGBColor = RGBColor(31, 119, 180);

/// Frames and bytes per interval under one filter (the I/O graph's series).
#[derive(Debug, Clone)]
pub struct IoSeries {
    /// The filter's text (empty: every frame).
    pub label: String,
    /// The first interval's start, epoch seconds.
    pub start: f64,
    /// The interval, seconds.
    pub step: f64,
    /// Frames per interval.
    pub frames: Vec<u64>,
    /// Bytes per interval.
    pub bytes: Vec<u64>,
}

impl IoSeries {
    /// Frames and bytes per second as the statistics kept them.
    pub fn of_timelines(packets: &Timeline, bytes: &Timeline) -> IoSeries {
        IoSeries {
            label: String::new(),
            start: packets.origin as f64,
            step: packets.width as f64,
            frames: packets.values.clone(),
            bytes: bytes.values.clone(),
        }
    }
}

/// What the charts are drawn from.
#[derive(Debug, Clone, Default)]
pub struct PlotData {
    /// The capture's first and last frame.
    pub first: Option<Ts>,
    /// See `first`.
    pub last: Option<Ts>,
    /// The I/O graph's series, one per filter.
    pub io: Vec<IoSeries>,
    /// The series the analyzers kept.
    pub series: Series,
    /// Connections per final state (Zeek's conn_state), in the summary's order.
    pub states: Vec<(String, u64)>,
}

/// One picture: its file name (without extension), title and the SVG text or PNG bytes.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The file's name without extension (`io`, `connections`, `syn-flood-1`, `conn-states`).
    pub name: String,
    /// The chart's title.
    pub title: String,
    /// The image.
    pub bytes: Vec<u8>,
}

/// A chart before it is drawn.
enum Chart {
    /// Lines over time, in one or more panels stacked, with an optional shaded span.
    Lines { title: String, panels: Vec<Panel>, x: (f64, f64), shade: Option<(f64, f64)>, range: Option<(Ts, Ts)> },
    /// A bar per category.
    Bars { title: String, x_desc: String, y_desc: String, bars: Vec<(String, u64)> },
}

/// One panel of a line chart.
struct Panel {
    y_desc: String,
    lines: Vec<(String, Vec<(f64, f64)>)>,
}

/// Registers the embedded font once (plotters measures and draws text with it).
fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let regular = dejavu::sans::regular();
        // The font is part of the binary: it always parses.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, regular);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// `secs` (epoch seconds) as a UTC date and time with microseconds.
pub fn stamp(t: Ts) -> String {
    let (y, mo, d, h, mi, s) = t.civil();
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:06} UTC", t.nsec / 1000)
}

fn ts_of(secs: f64) -> Ts {
    let sec = secs.floor();
    let nsec = ((secs - sec) * 1e9).round().clamp(0.0, 999_999_999.0) as u32;
    Ts { sec: sec as i64, nsec }
}

/// An axis label of time `v` (epoch seconds): the clock, with fractions when the axis spans
/// little time.
fn clock(v: f64, span: f64) -> String {
    let (.., h, mi, s) = ts_of(v).civil();
    if span < 10.0 {
        let frac = v - v.floor();
        format!("{h:02}:{mi:02}:{:06.3}", s as f64 + frac)
    } else {
        format!("{h:02}:{mi:02}:{s:02}")
    }
}

/// Seconds without trailing zeros (`0.5`, `10`).
fn trim(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A count on an axis: whole numbers as they are up to 10,000, then in k, M, G.
fn count_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", trim(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3))
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A point per interval, in the interval's middle: a count or level over the interval, not at
/// its start (a flood's first second then sits where its SYNs were).
fn points(start: f64, step: f64, values: &[u64]) -> Vec<(f64, f64)> {
    values.iter().enumerate().map(|(i, &v)| (start + (i as f64 + 0.5) * step, v as f64)).collect()
}

fn timeline_points(t: &Timeline) -> Vec<(f64, f64)> {
    points(t.origin as f64, t.width as f64, &t.values)
}

/// The x range holding the capture's span and every point.
fn x_range(data: &PlotData, lines: &[&[(f64, f64)]]) -> (f64, f64) {
    let mut lo = data.first.map(Ts::as_secs_f64).unwrap_or(f64::MAX);
    let mut hi = data.last.map(Ts::as_secs_f64).unwrap_or(f64::MIN);
    for l in lines {
        for &(x, _) in l.iter() {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-3 {
        hi = lo + 1.0;
    }
    (lo, hi)
}

/// The charts of `data`, in the order the report shows them.
fn charts(data: &PlotData) -> Vec<(String, Chart)> {
    let range = data.first.zip(data.last);
    let mut out = Vec::new();
    if !data.io.is_empty() {
        let step = data.io.first().map_or(1.0, |s| s.step);
        let unit = if step == 1.0 { "s".to_string() } else { format!("{} s", trim(step)) };
        let name = |s: &IoSeries, what: &str| if s.label.is_empty() { what.to_string() } else { format!("{what}: {}", s.label) };
        let frames: Vec<(String, Vec<(f64, f64)>)> = data.io.iter().map(|s| (name(s, "frames"), points(s.start, s.step, &s.frames))).collect();
        let bytes: Vec<(String, Vec<(f64, f64)>)> = data.io.iter().map(|s| (name(s, "bytes"), points(s.start, s.step, &s.bytes))).collect();
        let all: Vec<&[(f64, f64)]> = frames.iter().chain(&bytes).map(|(_, p)| p.as_slice()).collect();
        let x = x_range(data, &all);
        out.push((
            "io".to_string(),
            Chart::Lines {
                title: format!("I/O graph: frames and bytes per {unit}"),
                panels: vec![Panel { y_desc: format!("frames / {unit}"), lines: frames }, Panel { y_desc: format!("bytes / {unit}"), lines: bytes }],
                x,
                shade: None,
                range,
            },
        ));
    }
    if let (Some(open), Some(half)) = (&data.series.open, &data.series.half_open) {
        let lines = vec![("connections tracked".to_string(), timeline_points(open)), ("half open (TCP)".to_string(), timeline_points(half))];
        let all: Vec<&[(f64, f64)]> = lines.iter().map(|(_, p)| p.as_slice()).collect();
        let x = x_range(data, &all);
        let per = if open.width == 1 { String::new() } else { format!(" (most in each {} s)", open.width) };
        out.push((
            "connections".to_string(),
            Chart::Lines {
                title: format!("Connections open and half open{per}"),
                panels: vec![Panel { y_desc: "connections".into(), lines }],
                x,
                shade: None,
                range,
            },
        ));
    }
    for r in &data.series.syn {
        let pts = timeline_points(&r.syns);
        let (s, e) = (r.start.as_secs_f64(), r.end.as_secs_f64());
        let lo = r.syns.origin as f64;
        let hi = (r.syns.time_of(r.syns.values.len()) as f64).max(e.ceil());
        let unit = if r.syns.width == 1 { "s".to_string() } else { format!("{} s", r.syns.width) };
        out.push((
            format!("syn-flood-{}", r.id),
            Chart::Lines {
                title: format!("SYN flood alert {} on {}: SYNs per {unit}, alert span shaded", r.id, r.target),
                panels: vec![Panel { y_desc: format!("SYNs / {unit}"), lines: vec![(format!("SYNs to {}", r.target), pts)] }],
                x: (lo, hi),
                shade: Some((s, e)),
                range: Some((r.start, r.end)),
            },
        ));
    }
    if !data.states.is_empty() {
        out.push((
            "conn-states".to_string(),
            Chart::Bars {
                title: "Connection states reached (Zeek conn_state)".into(),
                x_desc: "conn_state".into(),
                y_desc: "connections".into(),
                bars: data.states.clone(),
            },
        ));
    }
    out
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::Lines { title, panels, x, shade, range } => {
            let root = root.titled(title, (FONT, 22)).map_err(err)?;
            // The range's words under the lowest panel.
            let (main, foot) = root.split_vertically(root.dim_in_pixel().1.saturating_sub(24));
            let n = panels.len().max(1);
            let areas = main.split_evenly((n, 1));
            let span = x.1 - x.0;
            for (k, (panel, area)) in panels.iter().zip(areas.iter()).enumerate() {
                let top = panel.lines.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(0.0f64, f64::max);
                // Room above the highest point for the legend.
                let y_hi = if top <= 0.0 { 1.0 } else { top * 1.25 };
                let mut c = ChartBuilder::on(area)
                    .margin(8)
                    .margin_right(36)
                    .x_label_area_size(if k + 1 == n { 40 } else { 20 })
                    .y_label_area_size(80)
                    .build_cartesian_2d(x.0..x.1, 0.0..y_hi)
                    .map_err(err)?;
                let fmt = |v: &f64| clock(*v, span);
                let yfmt = |v: &f64| count_label(*v);
                c.configure_mesh()
                    .x_desc(if k + 1 == n { "time (UTC)" } else { "" })
                    .y_desc(panel.y_desc.as_str())
                    .x_label_formatter(&fmt)
                    .y_label_formatter(&yfmt)
                    .x_labels(8)
                    .label_style((FONT, 13))
                    .axis_desc_style((FONT, 14))
                    .draw()
                    .map_err(err)?;
                if let Some((s, e)) = shade {
                    let style = SHADE.mix(0.25).filled();
                    c.draw_series(std::iter::once(Rectangle::new([(s.max(x.0), 0.0), (e.min(x.1).max(s.max(x.0)), y_hi)], style))).map_err(err)?;
                }
                for (i, (label, pts)) in panel.lines.iter().enumerate() {
                    let color = COLORS[i % COLORS.len()];
                    c.draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                        .map_err(err)?
                        .label(label.as_str())
                        .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], color.filled()));
                    // A few points are marked: one interval alone is no line.
                    if pts.len() <= 120 {
                        c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(err)?;
                    }
                }
                c.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).label_font((FONT, 13)).position(SeriesLabelPosition::UpperRight).draw().map_err(err)?;
            }
            if let Some((a, b)) = range {
                let style = TextStyle::from((FONT, 13).into_font()).color(&BLACK);
                let w = foot.dim_in_pixel().0 as i32;
                foot.draw(&Text::new(format!("first: {}", stamp(*a)), (10, 4), style.clone())).map_err(err)?;
                let right = style.pos(plotters::style::text_anchor::Pos::new(plotters::style::text_anchor::HPos::Right, plotters::style::text_anchor::VPos::Top));
                foot.draw(&Text::new(format!("last: {}", stamp(*b)), (w - 10, 4), right)).map_err(err)?;
            }
        }
        Chart::Bars { title, x_desc, y_desc, bars } => {
            let top = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
            let y_hi = top + top / 10 + 1;
            let n = bars.len();
            let mut c = ChartBuilder::on(&root)
                .caption(title, (FONT, 22))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(80)
                // An integer range holds both its ends: n bars span 0..n-1.
                .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), 0u64..y_hi)
                .map_err(err)?;
            let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
            let fmt = |v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            };
            c.configure_mesh()
                .disable_x_mesh()
                .x_desc(x_desc.as_str())
                .y_desc(y_desc.as_str())
                .x_label_formatter(&fmt)
                .x_labels(n.max(1))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .draw()
                .map_err(err)?;
            c.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let mut r = Rectangle::new([(SegmentValue::Exact(i), 0), (SegmentValue::Exact(i + 1), *v)], BAR.filled());
                r.set_margin(0, 0, 12, 12);
                r
            }))
            .map_err(err)?;
            let style = TextStyle::from((FONT, 13).into_font())
                .color(&BLACK)
                .pos(plotters::style::text_anchor::Pos::new(plotters::style::text_anchor::HPos::Center, plotters::style::text_anchor::VPos::Bottom));
            c.draw_series(bars.iter().enumerate().map(|(i, (_, v))| Text::new(v.to_string(), (SegmentValue::CenterOf(i), *v), style.clone()))).map_err(err)?;
        }
    }
    root.present().map_err(err)
}

/// The charts of `data` in `format`.
pub fn pictures(data: &PlotData, format: PlotFormat) -> Result<Vec<Picture>, String> {
    fonts();
    let mut out = Vec::new();
    for (name, chart) in charts(data) {
        let title = match &chart {
            Chart::Lines { title, .. } | Chart::Bars { title, .. } => title.clone(),
        };
        let bytes = match format {
            PlotFormat::Svg => {
                let mut s = String::new();
                draw(SVGBackend::with_string(&mut s, SIZE).into_drawing_area(), &chart)?;
                s.into_bytes()
            }
            PlotFormat::Png => {
                let mut rgb = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
                draw(BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area(), &chart)?;
                png_bytes(&rgb, SIZE)?
            }
        };
        out.push(Picture { name, title, bytes });
    }
    Ok(out)
}

fn png_bytes(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().map_err(err)?;
    wr.write_image_data(rgb).map_err(err)?;
    wr.finish().map_err(err)?;
    Ok(out)
}

/// Writes the pictures into `opts.dir`; returns the paths written.
pub fn write(data: &PlotData, opts: &PlotOptions) -> Result<Vec<PathBuf>, String> {
    let pics = pictures(data, opts.format)?;
    let mut paths = Vec::new();
    for p in pics {
        let path = opts.dir.join(format!("{}.{}", p.name, opts.format.ext()));
        std::fs::write(&path, &p.bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// Makes `dir` (and its parents) before the sandbox closes the filesystem.
pub fn make_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot make the plot directory: {e}", dir.display()))
}

/// The series as sparklines, one line each: packets per second, connections open, and each
/// alert's SYNs per second (`frames` false leaves the packets out, for `stats`, which shows
/// its own I/O sparkline).
pub fn sparklines(out: &mut dyn Write, s: &Series, frames: bool) -> io::Result<()> {
    use crate::output::traffic::sparkline;
    let per = |t: &Timeline| if t.width == 1 { "s".to_string() } else { format!("{} s", t.width) };
    let line = |out: &mut dyn Write, name: &str, t: &Timeline| {
        let peak = t.values.iter().copied().max().unwrap_or(0);
        writeln!(out, "{name}: {} peak {peak}", sparkline(&t.values, 60))
    };
    if let Some(p) = s.packets.as_ref().filter(|_| frames) {
        line(out, &format!("packets per {}", per(p)), p)?;
    }
    if let Some(o) = &s.open {
        line(out, &format!("open connections (most per {})", per(o)), o)?;
    }
    for r in &s.syn {
        line(out, &format!("SYNs per {} to {} (alert {})", per(&r.syns), r.target, r.id), &r.syns)?;
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::analyze::timeline::Merge;

    #[test]
    fn a_line_has_a_point_per_interval_and_png_text_needs_no_system_font() {
        let first = Ts { sec: 1_700_000_000, nsec: 250_000_000 };
        let mut p = Timeline::new(first, Merge::Sum);
        let mut b = Timeline::new(first, Merge::Sum);
        for k in 0..5 {
            p.add(Ts { sec: first.sec + k, nsec: 0 }, k as u64 + 1);
            b.add(Ts { sec: first.sec + k, nsec: 0 }, 100 * (k as u64 + 1));
        }
        let data = PlotData { first: Some(first), last: Some(Ts { sec: first.sec + 4, nsec: 0 }), io: vec![IoSeries::of_timelines(&p, &b)], states: vec![("S0".into(), 3), ("SF".into(), 9)], ..PlotData::default() };
        let svg = pictures(&data, PlotFormat::Svg).unwrap();
        assert_eq!(svg.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["io", "conn-states"]);
        let text = String::from_utf8(svg[0].bytes.clone()).unwrap();
        // The series are the lines two pixels wide (axes and ticks are one).
        let lines: Vec<usize> = text.split("<polyline").skip(1).filter(|l| l.contains("stroke-width=\"2\"")).map(|l| l.split("points=\"").nth(1).unwrap().split('"').next().unwrap().split_whitespace().count()).collect();
        assert_eq!(lines, [5, 5]);
        assert!(text.contains("2023-11-14 22:13:20.250000 UTC"), "{text}");
        let png = pictures(&data, PlotFormat::Png).unwrap();
        assert_eq!(&png[0].bytes[1..4], b"PNG");
    }
}
