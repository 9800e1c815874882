//! Zeek's ASCII log writer's two formats: tab-separated values under the `#separator`,
//! `#fields`, `#types` header that zeek-cut and Zeek's log readers parse, and JSON lines
//! (`LogAscii::use_json`), the same fields with unset ones left out.
//!
//! TSV escaping follows Zeek's: a tab, a backslash or a byte that is not printable becomes
//! `\xNN` (`\\` for the backslash), a comma inside a set element `\x2c`, and a value that would
//! read as the unset (`-`) or empty (`(empty)`) marker has its first byte escaped.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{Kind, LogFormat, RowSink, Ty, Val};

/// The file a kind is written to: `conn.log` in both formats, as Zeek names them.
pub fn file_name(k: Kind, _format: LogFormat) -> String {
    format!("{}.log", k.path())
}

/// One log file.
pub struct LogFile {
    w: BufWriter<File>,
    fields: &'static [(&'static str, Ty)],
    format: LogFormat,
    line: String,
}

/// Zeek's `#open`/`#close` stamp: the wall clock, as `2024-01-31-12-00-00`.
fn stamp() -> String {
    chrono::Utc::now().format("%Y-%m-%d-%H-%M-%S").to_string()
}

impl LogFile {
    /// Creates the file and writes the TSV header.
    pub fn create(path: &Path, log_path: &str, fields: &'static [(&'static str, Ty)], format: LogFormat) -> io::Result<LogFile> {
        let mut w = BufWriter::with_capacity(1 << 16, File::create(path)?);
        if format == LogFormat::Zeek {
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            let types: Vec<&str> = fields.iter().map(|(_, t)| t.zeek()).collect();
            write!(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n")?;
            writeln!(w, "#path\t{log_path}\n#open\t{}", stamp())?;
            writeln!(w, "#fields\t{}\n#types\t{}", names.join("\t"), types.join("\t"))?;
        }
        Ok(LogFile { w, fields, format, line: String::with_capacity(512) })
    }
}

impl RowSink for LogFile {
    fn row(&mut self, row: &[Val<'_>]) -> io::Result<()> {
        self.line.clear();
        match self.format {
            LogFormat::Zeek => tsv(&mut self.line, row),
            LogFormat::Json => json(&mut self.line, self.fields, row),
        }
        self.line.push('\n');
        self.w.write_all(self.line.as_bytes())
    }

    fn close(&mut self) -> io::Result<()> {
        if self.format == LogFormat::Zeek {
            writeln!(self.w, "#close\t{}", stamp())?;
        }
        self.w.flush()
    }
}

/// Zeek's fixed six decimals for times, intervals and doubles.
fn float(out: &mut String, f: f64) {
    let _ = write!(out, "{f:.6}");
}

/// One TSV line (without its newline).
pub fn tsv(out: &mut String, row: &[Val<'_>]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match v {
            Val::Unset => out.push('-'),
            Val::F(f) => float(out, *f),
            Val::N(n) => {
                let _ = write!(out, "{n}");
            }
            Val::B(b) => out.push(if *b { 'T' } else { 'F' }),
            Val::A(a) => {
                let _ = write!(out, "{a}");
            }
            Val::S(s) if s.is_empty() => out.push_str("(empty)"),
            Val::S(s) => text(out, s, false),
            Val::L(l) if l.is_empty() => out.push_str("(empty)"),
            Val::L(l) => {
                for (j, s) in l.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    text(out, s, true);
                }
            }
            Val::FL(l) if l.is_empty() => out.push_str("(empty)"),
            Val::FL(l) => {
                for (j, f) in l.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    float(out, *f);
                }
            }
        }
    }
}

/// A string with Zeek's escapes (`in_set`: a comma is escaped too).
fn text(out: &mut String, s: &str, in_set: bool) {
    if s == "-" || s == "(empty)" {
        let _ = write!(out, "\\x{:02x}", s.as_bytes().first().copied().unwrap_or(0));
        out.push_str(s.get(1..).unwrap_or(""));
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' if in_set => out.push_str("\\x2c"),
            c if c.is_control() => {
                let mut b = [0u8; 4];
                for byte in c.encode_utf8(&mut b).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            c => out.push(c),
        }
    }
}

/// One JSON object (without its newline): the fields that are set, in the schema's order.
pub fn json(out: &mut String, fields: &[(&str, Ty)], row: &[Val<'_>]) {
    out.push('{');
    let mut first = true;
    for ((name, _), v) in fields.iter().zip(row) {
        if matches!(v, Val::Unset) {
            continue;
        }
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        quoted(out, name);
        out.push(':');
        match v {
            Val::Unset => {}
            Val::F(f) => number(out, *f),
            Val::N(n) => {
                let _ = write!(out, "{n}");
            }
            Val::B(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::A(a) => {
                let _ = write!(out, "\"{a}\"");
            }
            Val::S(s) => quoted(out, s),
            Val::L(l) => {
                out.push('[');
                for (j, s) in l.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    quoted(out, s);
                }
                out.push(']');
            }
            Val::FL(l) => {
                out.push('[');
                for (j, f) in l.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    number(out, *f);
                }
                out.push(']');
            }
        }
    }
    out.push('}');
}

fn quoted(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// A float as JSON has it (a non-finite one, which JSON cannot hold, as null).
fn number(out: &mut String, f: f64) {
    match serde_json::Number::from_f64(f) {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn markers_and_separators_in_values_are_escaped() {
        let mut out = String::new();
        tsv(&mut out, &[Val::s("-"), Val::s("a\tb"), Val::L(vec![Cow::Borrowed("x,y"), Cow::Borrowed("z")]), Val::s(""), Val::Unset]);
        assert_eq!(out, "\\x2d\ta\\x09b\tx\\x2cy,z\t(empty)\t-");
    }

    #[test]
    fn times_have_six_decimals_and_bools_are_letters() {
        let mut out = String::new();
        tsv(&mut out, &[Val::F(1.5), Val::B(true), Val::N(80)]);
        assert_eq!(out, "1.500000\tT\t80");
    }

    #[test]
    fn json_leaves_out_unset_fields() {
        let mut out = String::new();
        json(&mut out, &[("ts", Ty::Time), ("uid", Ty::Str), ("n", Ty::Count)], &[Val::F(1.25), Val::Unset, Val::N(3)]);
        assert_eq!(out, r#"{"ts":1.25,"n":3}"#);
    }
}
