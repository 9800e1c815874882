//! Pictures (`--plot`), sparklines and the HTML page (`inspect report`), checked for what they
//! show on the captures in `captures/`: a point per interval in each line, the capture's first
//! and last frame under the time axis, one bar per connection state as tall as the conn
//! records say, the alert's span shaded exactly where the detector raised an alert; and the
//! page loaded in a real headless browser.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{capture_files, inspect_ok, json_lines, of_type, s, Need, TempDir, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(io_lines_have_a_point_per_interval_of_stats),
        trial!(read_draws_a_series_per_io_stat_filter),
        trial!(read_plots_the_capture_s_span_and_its_conn_states),
        trial!(alert_spans_are_shaded_exactly_where_alerts_were_raised),
        trial!(every_thread_count_draws_the_same_pictures),
        trial!(png_pictures_are_drawn_with_text),
        trial!(sparklines_follow_the_series),
        trial!(the_report_page_is_self_contained),
        trial!(the_report_page_renders_in_a_headless_browser, Need::Tool("chromium")),
    ]
}

/// The captures at the top of `captures/`.
fn captures() -> Vec<String> {
    let all = capture_files("captures");
    let top: Vec<String> = all.into_iter().filter(|f| Path::new(f).parent().is_some_and(|p| p.ends_with("captures"))).collect();
    assert!(top.len() >= 20, "{top:?}");
    top
}

fn svg(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every series of a picture (a `<polyline>` two pixels wide: axes and ticks are one): its
/// colour and its points.
fn lines(doc: &roxmltree::Document<'_>) -> Vec<(String, Vec<(f64, f64)>)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
        .map(|n| {
            let pts = n
                .attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (n.attribute("stroke").unwrap_or("").to_string(), pts)
        })
        .collect()
}

fn texts<'a>(doc: &'a roxmltree::Document<'_>) -> Vec<&'a str> {
    doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect()
}

/// `first: 2026-12-05 13:45:02.123456 UTC` as epoch seconds.
fn stamp_secs(text: &str, prefix: &str) -> Option<f64> {
    let t = text.strip_prefix(prefix)?.strip_suffix(" UTC")?;
    let dt = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").ok()?;
    let utc = dt.and_utc();
    Some(utc.timestamp() as f64 + utc.timestamp_subsec_nanos() as f64 / 1e9)
}

/// The first and last frame under a picture's time axis, as epoch seconds.
fn range(doc: &roxmltree::Document<'_>) -> (f64, f64) {
    let t = texts(doc);
    let first = t.iter().find_map(|x| stamp_secs(x, "first: ")).unwrap_or_else(|| panic!("no first: in {t:?}"));
    let last = t.iter().find_map(|x| stamp_secs(x, "last: ")).unwrap_or_else(|| panic!("no last: in {t:?}"));
    (first, last)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `read --format json`'s objects of `input`.
fn read_json(input: &str) -> Vec<Value> {
    json_lines(&inspect_ok(["read", input, "--format", "json", "-q"]))
}

fn shaded(doc: &roxmltree::Document<'_>) -> usize {
    doc.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#D62728")).count()
}

fn io_lines_have_a_point_per_interval_of_stats() {
    let dir = TempDir::new("plot-io");
    for input in captures() {
        for z in ["io,stat,1", "io,stat,0.5,tcp,udp"] {
            let rows = json_lines(&inspect_ok(["stats", &input, "-z", z, "--format", "json"]));
            let io = of_type(&rows, "io");
            let filters: Vec<&str> = z.split(',').skip(3).collect();
            let columns = filters.len().max(1);
            assert_eq!(io.len() % columns, 0, "{input} {z}");
            let intervals = io.len() / columns;
            let out = dir.join(&format!("{}-{}", Path::new(&input).file_name().unwrap().to_string_lossy(), z.replace(',', "_")));
            inspect_ok(["stats", &input, "-z", z, "--plot", out.to_str().unwrap()]);
            let text = svg(&out.join("io.svg"));
            let doc = roxmltree::Document::parse(&text).unwrap();
            let l = lines(&doc);
            // Frames then bytes, one line per filter each.
            assert_eq!(l.len(), 2 * columns, "{input} {z}");
            for (stroke, pts) in &l {
                assert_eq!(pts.len(), intervals, "{input} {z} {stroke}");
            }
            // The same filter draws in the same colour in both panels.
            for k in 0..columns {
                assert_eq!(l[k].0, l[k + columns].0);
            }
            let summary = of_type(&rows, "stats_summary")[0];
            let (first, last) = range(&doc);
            let start = f(&summary["start"]);
            assert!((first - start).abs() < 2e-6, "{input}: {first} vs {start}");
            assert!((last - (start + f(&summary["duration"]))).abs() < 2e-6, "{input}: {last}");
        }
    }
}

/// `read -z io,stat,INTERVAL,FILTER... --plot`: one line per filter in each panel (frames, then
/// bytes), a point per interval, each point where `stats -z io,stat` puts its value: within a
/// panel every line's y is the same linear function of the counts (the panel's scale) to a
/// pixel and a half (the points are whole pixels, as are the two the scale is taken from), and
/// the picture is the one `stats --plot` draws.
fn read_draws_a_series_per_io_stat_filter() {
    let dir = TempDir::new("plot-read-io");
    let mut drawn = 0;
    for input in ["captures/flood-v4.pcap", "captures/mixed.pcapng", "captures/dns.pcap", "captures/web.pcap"] {
        let z = "io,stat,0.25,tcp,udp,tcp.flags.syn == 1";
        let name = Path::new(input).file_name().unwrap().to_string_lossy().to_string();
        let (ours, theirs) = (dir.join(&format!("read-{name}")), dir.join(&format!("stats-{name}")));
        inspect_ok(["read", input, "-q", "-z", z, "--plot", ours.to_str().unwrap()]);
        inspect_ok(["stats", input, "-z", z, "--plot", theirs.to_str().unwrap()]);
        let text = svg(&ours.join("io.svg"));
        assert_eq!(text, svg(&theirs.join("io.svg")), "{input}");
        let rows = json_lines(&inspect_ok(["stats", input, "-z", z, "--format", "json"]));
        let io = of_type(&rows, "io");
        let filters = ["tcp", "udp", "tcp.flags.syn == 1"];
        // Each column's counts per interval, frames then bytes.
        let column = |k: usize, field: &str| -> Vec<f64> {
            io.iter().filter(|r| s(&r["filter"]) == filters[k]).map(|r| f(&r[field])).collect()
        };
        let doc = roxmltree::Document::parse(&text).unwrap();
        let l = lines(&doc);
        assert_eq!(l.len(), 2 * filters.len(), "{input}");
        for (panel, field) in ["frames", "bytes"].into_iter().enumerate() {
            let mut points: Vec<(f64, f64)> = Vec::new();
            for k in 0..filters.len() {
                let want = column(k, field);
                let (_, pts) = &l[panel * filters.len() + k];
                assert_eq!(pts.len(), want.len(), "{input} {field} {}", filters[k]);
                points.extend(want.iter().zip(pts).map(|(v, p)| (*v, p.1)));
            }
            // y = a + b·value through the lowest and highest count, then every point on it.
            let lo = points.iter().copied().fold((f64::MAX, 0.0), |m, p| if p.0 < m.0 { p } else { m });
            let hi = points.iter().copied().fold((f64::MIN, 0.0), |m, p| if p.0 > m.0 { p } else { m });
            if hi.0 <= lo.0 {
                continue;
            }
            let b = (hi.1 - lo.1) / (hi.0 - lo.0);
            assert!(b < 0.0, "{input} {field}: larger counts are drawn higher");
            for (v, y) in &points {
                assert!((lo.1 + b * (v - lo.0) - y).abs() <= 1.5, "{input} {field}: {v} drawn at {y}");
            }
            drawn += 1;
        }
    }
    assert!(drawn >= 4, "{drawn}");
}

fn read_plots_the_capture_s_span_and_its_conn_states() {
    let dir = TempDir::new("plot-read");
    let mut charts = 0;
    for input in captures() {
        let objs = read_json(&input);
        let stats = of_type(&objs, "stats")[0];
        let (first_ts, last_ts) = (f(&stats["first_ts"]), f(&stats["last_ts"]));
        let mut states: BTreeMap<String, u64> = BTreeMap::new();
        for c in of_type(&objs, "conn") {
            *states.entry(s(&c["conn_state"]).to_string()).or_default() += 1;
        }
        let out = dir.join(Path::new(&input).file_name().unwrap().to_str().unwrap());
        inspect_ok(["read", &input, "-q", "--plot", out.to_str().unwrap()]);
        // One point per second of the capture, from its first frame's second to its last's.
        let seconds = (last_ts.floor() - first_ts.floor()) as usize + 1;
        for name in ["io", "connections"] {
            let text = svg(&out.join(format!("{name}.svg")));
            let doc = roxmltree::Document::parse(&text).unwrap();
            let l = lines(&doc);
            assert_eq!(l.len(), 2, "{input} {name}");
            assert!(l.iter().all(|(_, p)| p.len() == seconds), "{input} {name}: {} points, {seconds} seconds", l[0].1.len());
            let (a, b) = range(&doc);
            assert!((a - first_ts).abs() < 2e-6 && (b - last_ts).abs() < 2e-6, "{input} {name}: {a} {b} vs {first_ts} {last_ts}");
            assert!(texts(&doc).contains(&"time (UTC)"), "{input} {name}");
            charts += 1;
        }
        let bars = out.join("conn-states.svg");
        if states.is_empty() {
            assert!(!bars.exists(), "{input}");
            continue;
        }
        let text = svg(&bars);
        let doc = roxmltree::Document::parse(&text).unwrap();
        let t = texts(&doc);
        // A bar per state, its name under it and its count over it, as tall as the count says.
        let rects: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#1F77B4"))
            .map(|n| n.attribute("height").unwrap().parse().unwrap())
            .collect();
        assert_eq!(rects.len(), states.len(), "{input}: {states:?}");
        let top = *states.values().max().unwrap() as f64;
        let tallest = rects.iter().copied().fold(0.0, f64::max);
        for (state, n) in &states {
            assert!(t.contains(&state.as_str()), "{input}: no label {state} in {t:?}");
            assert!(t.contains(&n.to_string().as_str()), "{input}: no count {n} of {state}");
            let want = tallest * *n as f64 / top;
            assert!(rects.iter().any(|h| (h - want).abs() <= 2.0), "{input}: no bar {want} px tall for {state}={n} in {rects:?}");
        }
    }
    assert!(charts >= 40);
}

fn alert_spans_are_shaded_exactly_where_alerts_were_raised() {
    let dir = TempDir::new("plot-alerts");
    let mut with = 0;
    for input in captures() {
        let objs = read_json(&input);
        let alerts: Vec<&Value> = of_type(&objs, "alert").into_iter().filter(|a| a["state"] == "closed").collect();
        let out = dir.join(Path::new(&input).file_name().unwrap().to_str().unwrap());
        let text = inspect_ok(["read", &input, "-q", "--plot", out.to_str().unwrap()]);
        let mut pictures: Vec<String> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        pictures.sort();
        let mut want: Vec<String> = alerts.iter().map(|a| format!("syn-flood-{}.svg", a["id"])).collect();
        want.sort();
        let floods: Vec<String> = pictures.iter().filter(|p| p.starts_with("syn-flood-")).cloned().collect();
        assert_eq!(floods, want, "{input}");
        // The open connections' sparkline peaks between what was left at the end and the most
        // the tracker held at once.
        let summary = of_type(&objs, "conn_summary")[0];
        let line = text.lines().find(|l| l.starts_with("open connections (most per s): ")).unwrap_or_else(|| panic!("{input}: {text}"));
        let peak: u64 = line.rsplit(" peak ").next().unwrap().parse().unwrap();
        let left = summary["ends"]["end_of_input"].as_u64().unwrap_or(0);
        assert!(left <= peak && peak <= summary["peak"].as_u64().unwrap(), "{input}: {line} vs {summary}");
        for p in &pictures {
            let doc_text = svg(&out.join(p));
            let doc = roxmltree::Document::parse(&doc_text).unwrap();
            let expect = usize::from(p.starts_with("syn-flood-"));
            assert_eq!(shaded(&doc), expect, "{input} {p}");
        }
        for a in &alerts {
            with += 1;
            let doc_text = svg(&out.join(format!("syn-flood-{}.svg", a["id"])));
            let doc = roxmltree::Document::parse(&doc_text).unwrap();
            // The shaded span is the alert's: the chart names its start and end.
            let (start, end) = range(&doc);
            assert!((start - f(&a["start"])).abs() < 2e-6 && (end - f(&a["end"])).abs() < 2e-6, "{input}: {start} {end} vs {a}");
            let l = lines(&doc);
            assert_eq!(l.len(), 1, "{input}");
            // A point per second from the alert's start until it closed.
            let secs = f(&a["end"]).floor() - f(&a["start"]).floor();
            let pts = &l[0].1;
            assert!(pts.len() as f64 >= secs + 1.0, "{input}: {} points over {secs} s", pts.len());
            // The points sit in the middle of each second from the start's: their pixels give
            // the axis's scale, and the shade spans the alert's start to its end on it.
            if pts.len() >= 2 {
                let per_sec = (pts[pts.len() - 1].0 - pts[0].0) / (pts.len() - 1) as f64;
                let px = |t: f64| pts[0].0 + (t - (f(&a["start"]).floor() + 0.5)) * per_sec;
                let shade = doc.descendants().find(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#D62728")).unwrap();
                let x: f64 = shade.attribute("x").unwrap().parse().unwrap();
                let w: f64 = shade.attribute("width").unwrap().parse().unwrap();
                assert!((x - px(f(&a["start"]))).abs() <= 2.0 && (x + w - px(f(&a["end"]))).abs() <= 2.0, "{input}: shade {x}+{w} for {a}");
            }
            // And a sparkline of it in the text report.
            assert!(text.lines().any(|x| x.starts_with("SYNs per s to ") && x.contains(&format!("(alert {})", a["id"]))), "{input}: {text}");
        }
    }
    assert!(with >= 6, "the flood captures raise alerts");
}

/// The connection tracker's shards each sample their part of the table at the same frames: the
/// pictures of any `--threads` are those of one thread.
fn every_thread_count_draws_the_same_pictures() {
    let dir = TempDir::new("plot-threads");
    for input in ["captures/flood-v4.pcap", "captures/flood-carpet-v4.pcap", "captures/web.pcap", "captures/mixed.pcapng"] {
        let mut drawn = Vec::new();
        for threads in ["1", "4"] {
            let out = dir.join(&format!("{}-{threads}", Path::new(input).file_name().unwrap().to_string_lossy()));
            inspect_ok(["read", input, "-q", "--threads", threads, "--plot", out.to_str().unwrap()]);
            let mut files: Vec<(String, String)> =
                std::fs::read_dir(&out).unwrap().flatten().map(|e| (e.file_name().to_string_lossy().into_owned(), svg(&e.path()))).collect();
            files.sort();
            drawn.push(files);
        }
        assert!(drawn[0].len() >= 3, "{input}");
        assert!(drawn[0] == drawn[1], "{input}: --threads 4 draws otherwise");
    }
}

fn pixel_colours(png_bytes: &[u8]) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    for px in buf[..info.buffer_size()].chunks(step) {
        colours.insert(px[..3].to_vec());
    }
    (info.width, info.height, colours.len())
}

fn png_pictures_are_drawn_with_text() {
    let dir = TempDir::new("plot-png");
    let out = dir.join("png");
    inspect_ok(["read", "captures/flood-v4.pcap", "-q", "--plot", out.to_str().unwrap(), "--plot-format", "png"]);
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(names.contains(&"io.png".to_string()) && names.contains(&"conn-states.png".to_string()) && names.iter().any(|n| n.starts_with("syn-flood-")), "{names:?}");
    for n in &names {
        let (w, h, colours) = pixel_colours(&std::fs::read(out.join(n)).unwrap());
        assert_eq!((w, h), (1000, 500), "{n}");
        // Anti-aliased text and lines make many shades; a blank or text-less image has few.
        assert!(colours > 50, "{n}: {colours} colours");
    }
}

fn sparklines_follow_the_series() {
    let dir = TempDir::new("plot-spark");
    let out = dir.join("p");
    let text = inspect_ok(["read", "captures/web.pcap", "-q", "--plot", out.to_str().unwrap()]);
    let objs = read_json("captures/web.pcap");
    let stats = of_type(&objs, "stats")[0];
    let seconds = (f(&stats["last_ts"]).floor() - f(&stats["first_ts"]).floor()) as usize + 1;
    let line = text.lines().find(|l| l.starts_with("packets per s: ")).unwrap_or_else(|| panic!("{text}"));
    let spark = line.trim_start_matches("packets per s: ").split(" peak ").next().unwrap();
    assert_eq!(spark.chars().count(), seconds.min(60), "{line}");
    assert!(text.lines().any(|l| l.starts_with("open connections (most per s): ")), "{text}");
    // Without --plot the report is as it was.
    let plain = inspect_ok(["read", "captures/web.pcap", "-q"]);
    assert!(!plain.contains("packets per s"));
    assert!(text.starts_with(&plain), "the sparklines come after the report");
}

/// Writes the page of `input` and returns its text.
fn page(dir: &TempDir, input: &str) -> (std::path::PathBuf, String) {
    let path = dir.join(&format!("{}.html", Path::new(input).file_stem().unwrap().to_string_lossy()));
    let said = inspect_ok(["report", input, "-o", path.to_str().unwrap()]);
    assert!(said.contains(path.to_str().unwrap()), "{said}");
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn the_report_page_is_self_contained() {
    let dir = TempDir::new("report-page");
    for input in ["captures/flood-v4.pcap", "captures/web.pcap", "captures/flood-carpet-v6.pcap"] {
        let (_, text) = page(&dir, input);
        let doc = roxmltree::Document::parse_with_options(
            text.trim_start_matches("<!DOCTYPE html>\n"),
            roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() },
        );
        let objs = read_json(input);
        let alerts: Vec<&Value> = of_type(&objs, "alert").into_iter().filter(|a| a["state"] == "closed").collect();
        // Nothing fetched: no script, no link, no source but the pictures inline.
        for bad in ["<script", "<link", " src=", "href=", "url(", "@import"] {
            assert!(!text.contains(bad), "{input}: {bad}");
        }
        let without_ns = text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!without_ns.contains("http://") && !without_ns.contains("https://"), "{input}");
        assert_eq!(text.matches("<svg").count(), 3 + alerts.len(), "{input}: io, connections, states and one per alert");
        for id in ["summary", "pictures", "talkers", "conv-ip", "states", "alerts"] {
            assert!(text.contains(&format!("id=\"{id}\"")), "{input}: {id}");
        }
        let stats = of_type(&objs, "stats")[0];
        assert!(text.contains(&format!("<td class=\"n\">{}</td>", stats["packets"])), "{input}: frames");
        for a in &alerts {
            assert!(text.contains(&format!("<td class=\"n\">{}</td><td>{}:{}</td>", a["id"], s(&a["dst"]), a["dport"])) || a["pattern"] != "one_port", "{input}: alert {a}");
        }
        // Well-formed: it parses as XML apart from the doctype.
        if let Err(e) = doc {
            panic!("{input}: {e}");
        }
    }
}

fn the_report_page_renders_in_a_headless_browser() {
    let dir = TempDir::new("report-browser");
    let (path, _) = page(&dir, "captures/flood-v4.pcap");
    let shot = dir.join("shot.png");
    let url = format!("file://{}", path.canonicalize().unwrap().display());
    let profile = dir.join("profile");
    let run = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.display()),
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,2400",
            &url,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "chromium: {stderr}");
    // Chromium logs a page's console messages as `CONSOLE(...)` or `Uncaught` lines.
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console: {console:?}");
    let (w, h, colours) = pixel_colours(&std::fs::read(&shot).unwrap());
    assert_eq!((w, h), (1200, 2400));
    assert!(colours > 50, "a blank page: {colours} colours");
    // The DOM as the browser built it has every picture and table.
    let dom = std::process::Command::new("chromium")
        .args(["--headless", "--disable-gpu", "--no-sandbox", &format!("--user-data-dir={}", profile.display()), "--dump-dom", &url])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.matches("<svg").count() >= 4 && dom.matches("<table").count() >= 5, "{dom}");
}
