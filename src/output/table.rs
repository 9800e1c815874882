//! The house style of text, shared by every renderer: tables, and counts with their nouns.
//!
//! How tables are drawn is decided once per run ([`init`]): on a terminal they fit its width
//! (comfy-table's dynamic arrangement, after dropping the columns a table names as least
//! important), off a terminal they are drawn at full width, and with `--format tsv` every table
//! is tab-separated values under a header line.

use std::fmt;
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

    #[test]
    fn hidden_columns_stop_once_the_table_fits() {
        assert_eq!(hidden_columns(&[10, 10, 10], &[2, 0], 100), vec![false, false, false]);
        assert_eq!(hidden_columns(&[10, 10, 10], &[2, 0], 27), vec![false, false, true]);
        assert_eq!(hidden_columns(&[10, 10, 10], &[2, 0], 10), vec![true, false, true]);
    }
}
