//! The house style of text, shared by every renderer: tables, and counts with their nouns.
//!
//! How tables are drawn is decided once per run ([`init`]): on a terminal they fit its width
//! (comfy-table's dynamic arrangement, after dropping the columns a table names as least
//! important), off a terminal they are drawn at full width, and with `--format tsv` every table
//! is tab-separated values under a header line.

use std::fmt;
use std::io::{self, Write};
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table};

/// How tables are drawn in this run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// Tab-separated values instead of drawn tables.
    pub tsv: bool,
    /// Fit the terminal (standard output is one).
    pub fit: bool,
}

static STYLE: OnceLock<Style> = OnceLock::new();

/// Sets the style of every table of the run (the first call wins; without one, full width).
pub fn init(style: Style) {
    let _ = STYLE.set(style);
}

fn style() -> Style {
    STYLE.get().copied().unwrap_or_default()
}

/// The width tables must fit in this run: the terminal's, when standard output is one and
/// tables are drawn (None: full width).
pub fn fit_width() -> Option<usize> {
    let st = style();
    if st.tsv || !st.fit {
        return None;
    }
    Table::new().width().map(usize::from)
}

/// Of columns `widths` wide (content only), which to hide so that the table fits `width`:
/// the `expendable` ones in order, until it does (or none are left).
pub fn hidden_columns(widths: &[usize], expendable: &[usize], width: usize) -> Vec<bool> {
    let mut hidden = vec![false; widths.len()];
    // Each column takes its content, a space either side and one border; the table one more.
    let drawn = |hidden: &[bool]| widths.iter().zip(hidden).filter(|(_, h)| !**h).map(|(w, _)| w + 3).sum::<usize>() + 1;
    for &c in expendable {
        if drawn(&hidden) <= width {
            break;
        }
        if let Some(h) = hidden.get_mut(c) {
            *h = true;
        }
    }
    hidden
}

/// A table in the house style: a comfy-table that prints as the run's [`Style`] says.
#[derive(Debug, Clone)]
pub struct Tbl {
    t: Table,
    /// Columns to drop first when the terminal is too narrow, least important first.
    expendable: Vec<usize>,
}

impl Tbl {
    /// Names the columns (by index) to drop first on a narrow terminal, least important first.
    pub fn expendable(mut self, columns: &[usize]) -> Tbl {
        self.expendable = columns.to_vec();
        self
    }

}

impl Deref for Tbl {
    type Target = Table;
    fn deref(&self) -> &Table {
        &self.t
    }
}

impl DerefMut for Tbl {
    fn deref_mut(&mut self) -> &mut Table {
        &mut self.t
    }
}

/// A cell's text on one line, for TSV.
fn tsv_cell(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

impl fmt::Display for Tbl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = style();
        if st.tsv {
            let mut lines = Vec::new();
            if let Some(h) = self.t.header() {
                lines.push(h.cell_iter().map(|c| tsv_cell(&c.content())).collect::<Vec<_>>().join("\t"));
            }
            for r in self.t.row_iter() {
                lines.push(r.cell_iter().map(|c| tsv_cell(&c.content())).collect::<Vec<_>>().join("\t"));
            }
            return write!(f, "{}", lines.join("\n"));
        }
        if !st.fit {
            return write!(f, "{}", self.t);
        }
        let Some(width) = self.t.width() else { return write!(f, "{}", self.t) };
        write!(f, "{}", self.fitted(width as usize).t)
    }
}

impl Tbl {
    /// The table as drawn in `width` columns: the expendable columns dropped, least important
    /// first, until it fits, and what still does not fit wrapped by comfy-table.
    fn fitted(&self, width: usize) -> Tbl {
        let mut fitted = self.clone();
        fitted.t.set_width(width.min(u16::MAX as usize) as u16);
        fitted.t.set_content_arrangement(ContentArrangement::Dynamic);
        let widths: Vec<usize> = self.t.column_max_content_widths().iter().map(|&w| w as usize).collect();
        for (c, hide) in hidden_columns(&widths, &self.expendable, width).into_iter().enumerate() {
            if let Some(col) = fitted.t.column_mut(c).filter(|_| hide) {
                col.set_constraint(ColumnConstraint::Hidden);
            }
        }
        fitted
    }
}

/// A table in the house style drawn a line at a time, for tables of any length: the caller
/// hands every row twice, once to [`Lines::measure`] and once to [`Lines::row`], so no cell is
/// held. Off a terminal it draws what comfy-table draws for [`table`] (a test holds the two
/// equal); on a terminal, what [`Tbl`] draws when the table fits once its expendable columns
/// are dropped. A table that would still need wrapping, or a cell of more than one line, is
/// left to comfy-table: [`Lines::streams`] says which.
#[derive(Debug, Clone)]
pub struct Lines {
    head: Vec<String>,
    /// Right-aligned columns (numbers).
    right: Vec<bool>,
    widths: Vec<usize>,
    expendable: Vec<usize>,
    multiline: bool,
    rows: u64,
    /// The line being drawn.
    buf: String,
}

impl Lines {
    /// A table of these columns, `right` saying which are right-aligned.
    pub fn new(head: &[&str], right: &[bool]) -> Lines {
        let widths = head.iter().map(|h| width(h)).collect();
        Lines {
            head: head.iter().map(|h| h.to_string()).collect(),
            right: right.to_vec(),
            widths,
            expendable: Vec::new(),
            multiline: head.iter().any(|h| h.contains('\n')),
            rows: 0,
            buf: String::new(),
        }
    }

    /// Names the columns to drop first on a narrow terminal, least important first.
    pub fn expendable(mut self, columns: &[usize]) -> Lines {
        self.expendable = columns.to_vec();
        self
    }

    /// Rows measured so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Takes a row's widths (the first pass).
    pub fn measure<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.rows += 1;
        for (w, c) in self.widths.iter_mut().zip(cells) {
            let c = c.as_ref();
            self.multiline |= c.contains('\n');
            *w = (*w).max(width(c));
        }
    }

    /// Takes the widths `part` measured (rows measured apart, on another thread).
    pub fn absorb(&mut self, part: &Lines) {
        self.rows += part.rows;
        self.multiline |= part.multiline;
        for (w, p) in self.widths.iter_mut().zip(&part.widths) {
            *w = (*w).max(*p);
        }
    }

    /// Which columns are drawn (false: dropped to fit the terminal), or None when comfy-table
    /// must draw the table.
    pub fn streams(&self) -> Option<Vec<bool>> {
        if self.multiline {
            return None;
        }
        let st = style();
        if st.tsv || !st.fit {
            return Some(vec![true; self.widths.len()]);
        }
        self.shown_in(fit_width())
    }

    /// [`Lines::streams`] for a terminal `width` wide (None: full width).
    fn shown_in(&self, width: Option<usize>) -> Option<Vec<bool>> {
        let Some(width) = width else { return Some(vec![true; self.widths.len()]) };
        let widths: Vec<usize> = self.widths.iter().map(|&w| w.max(1)).collect();
        let hidden = hidden_columns(&widths, &self.expendable, width);
        let drawn = widths.iter().zip(&hidden).filter(|(_, h)| !**h).map(|(w, _)| w + 3).sum::<usize>() + 1;
        (drawn <= width).then(|| hidden.iter().map(|h| !h).collect())
    }

    /// Writes the top of the table and its header (the second pass begins).
    pub fn begin(&mut self, out: &mut dyn Write, shown: &[bool]) -> io::Result<()> {
        if style().tsv {
            let head: Vec<String> = self.head.iter().map(|h| tsv_cell(h)).collect();
            return writeln!(out, "{}", head.join("\t"));
        }
        self.rule(out, shown, ['┌', '─', '┬', '┐'])?;
        let head = self.head.clone();
        self.line(out, shown, &head, false)?;
        self.rule(out, shown, ['╞', '═', '╪', '╡'])
    }

    /// Writes one row.
    pub fn row<S: AsRef<str>>(&mut self, out: &mut dyn Write, shown: &[bool], cells: &[S]) -> io::Result<()> {
        if style().tsv {
            let mut s = std::mem::take(&mut self.buf);
            s.clear();
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    s.push('\t');
                }
                let c = c.as_ref();
                if c.contains(['\t', '\n', '\r']) {
                    s.push_str(&tsv_cell(c));
                } else {
                    s.push_str(c);
                }
            }
            s.push('\n');
            let written = out.write_all(s.as_bytes());
            self.buf = s;
            return written;
        }
        self.line(out, shown, cells, true)
    }

    /// Writes the bottom of the table.
    pub fn end(&self, out: &mut dyn Write, shown: &[bool]) -> io::Result<()> {
        if style().tsv {
            return Ok(());
        }
        self.rule(out, shown, ['└', '─', '┴', '┘'])
    }

    fn rule(&self, out: &mut dyn Write, shown: &[bool], [left, fill, mid, right]: [char; 4]) -> io::Result<()> {
        let mut s = String::new();
        s.push(left);
        let mut first = true;
        for (w, _) in self.widths.iter().zip(shown).filter(|(_, s)| **s) {
            if !first {
                s.push(mid);
            }
            first = false;
            s.extend(std::iter::repeat_n(fill, w.max(&1) + 2));
        }
        s.push(right);
        s.push('\n');
        out.write_all(s.as_bytes())
    }

    fn line<S: AsRef<str>>(&mut self, out: &mut dyn Write, shown: &[bool], cells: &[S], aligned: bool) -> io::Result<()> {
        // The line is made whole, then written at once.
        let mut s = std::mem::take(&mut self.buf);
        s.clear();
        s.push('│');
        let mut first = true;
        for (((w, c), &show), &right) in self.widths.iter().zip(cells).zip(shown).zip(&self.right) {
            if !show {
                continue;
            }
            if !first {
                s.push('┆');
            }
            first = false;
            let c = c.as_ref();
            let room = w.max(&1).saturating_sub(width(c));
            if aligned && right {
                spaces(&mut s, room + 1);
                s.push_str(c);
                s.push(' ');
            } else {
                s.push(' ');
                s.push_str(c);
                spaces(&mut s, room + 1);
            }
        }
        s.push_str("│\n");
        let written = out.write_all(s.as_bytes());
        self.buf = s;
        written
    }
}

/// Pushes `n` spaces, a run at a time rather than a character at a time (tables may have
/// millions of lines).
fn spaces(s: &mut String, mut n: usize) {
    const RUN: &str = "                                                                ";
    while n > 0 {
        let k = n.min(RUN.len());
        s.push_str(RUN.get(..k).unwrap_or(""));
        n -= k;
    }
}

/// A cell's width on the terminal, as comfy-table measures it.
fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        unicode_width::UnicodeWidthStr::width(s)
    }
}

/// A table in the house style.
pub fn table(header: &[&str]) -> Tbl {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled).set_header(header.iter().map(Cell::new));
    Tbl { t, expendable: Vec::new() }
}

/// A right-aligned numeric cell.
pub fn num_cell(v: impl std::fmt::Display) -> Cell {
    Cell::new(v).set_alignment(CellAlignment::Right)
}

/// `n` and the noun for it: `1 packet`, `2 packets`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_table_off_a_terminal_is_drawn_whole() {
        let mut t = table(&["a", "b"]);
        t.add_row(vec![Cell::new("x y"), num_cell(1)]);
        assert_eq!(t.to_string(), "┌─────┬───┐\n│ a   ┆ b │\n╞═════╪═══╡\n│ x y ┆ 1 │\n└─────┴───┘");
    }

    #[test]
    fn a_narrow_terminal_drops_the_expendable_columns_first() {
        let mut t = table(&["address", "state", "vendor", "frames"]).expendable(&[2, 3]);
        t.add_row(vec![Cell::new("192.168.100.200"), Cell::new("reachable"), Cell::new("Some Vendor, Inc."), num_cell(12)]);
        // Whole: 15+3 + 9+3 + 17+3 + 6+3 + 1 = 60 columns.
        assert_eq!(t.fitted(60).to_string(), t.to_string());
        let narrow = t.fitted(40).to_string();
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
        assert!(narrow.contains("192.168.100.200") && narrow.contains("frames") && !narrow.contains("vendor"), "{narrow}");
        // Narrower than what is left: the kept columns wrap rather than overflow.
        let tiny = t.fitted(24).to_string();
        assert!(tiny.lines().all(|l| l.chars().count() <= 24), "{tiny}");
        assert!(!tiny.contains("frames"), "{tiny}");
    }

    /// Draws `rows` with [`Lines`] for a terminal `width` wide (None: full width).
    fn lines(head: &[&str], right: &[bool], expendable: &[usize], rows: &[Vec<&str>], width: Option<usize>) -> Option<String> {
        let mut l = Lines::new(head, right).expendable(expendable);
        for r in rows {
            l.measure(r);
        }
        let shown = l.shown_in(width)?;
        let mut out = Vec::new();
        l.begin(&mut out, &shown).unwrap();
        for r in rows {
            l.row(&mut out, &shown, r).unwrap();
        }
        l.end(&mut out, &shown).unwrap();
        Some(String::from_utf8(out).unwrap())
    }

    /// The same rows through comfy-table, as [`Tbl`] draws them.
    fn comfy(head: &[&str], right: &[bool], expendable: &[usize], rows: &[Vec<&str>], width: Option<usize>) -> String {
        let mut t = table(head).expendable(expendable);
        for r in rows {
            t.add_row(r.iter().zip(right).map(|(c, &r)| if r { num_cell(c) } else { Cell::new(c) }));
        }
        match width {
            Some(w) => format!("{}\n", t.fitted(w).t),
            None => format!("{t}\n"),
        }
    }

    #[test]
    fn a_table_drawn_line_by_line_is_the_house_table() {
        let head = ["address A", "port A", "frames A→B", "bytes", "", "rel start"];
        let right = [false, true, true, true, false, true];
        let rows = vec![
            vec!["192.168.100.200", "443", "12", "123456789", "", "0.000000"],
            vec!["fe80::1", "", "7", "1", "x", "12.5"],
            vec!["10.0.0.1", "65535", "1234567", "60", "→ÿ", "-"],
        ];
        assert_eq!(lines(&head, &right, &[], &rows, None).unwrap(), comfy(&head, &right, &[], &rows, None));
        // One row, one column of one character.
        let one = vec![vec!["1"]];
        assert_eq!(lines(&["n"], &[true], &[], &one, None).unwrap(), comfy(&["n"], &[true], &[], &one, None));
        // On a terminal: as wide as the table, or narrower so that expendable columns go.
        let whole = lines(&head, &right, &[5, 2], &rows, None).unwrap();
        let full = whole.lines().map(|l| l.chars().count()).max().unwrap();
        for width in [full + 10, full, full - 1, full - 10] {
            let drawn = lines(&head, &right, &[5, 2], &rows, Some(width)).expect("fits once the columns go");
            assert_eq!(drawn, comfy(&head, &right, &[5, 2], &rows, Some(width)), "width {width}");
        }
        // Too narrow even without them: comfy-table wraps it.
        assert_eq!(lines(&head, &right, &[5, 2], &rows, Some(30)), None);
    }

    #[test]
    fn hidden_columns_stop_once_the_table_fits() {
        assert_eq!(hidden_columns(&[10, 10, 10], &[2, 0], 100), vec![false, false, false]);
        assert_eq!(hidden_columns(&[10, 10, 10], &[2, 0], 27), vec![false, false, true]);
        assert_eq!(hidden_columns(&[10, 10, 10], &[2, 0], 10), vec![true, false, true]);
    }
}
