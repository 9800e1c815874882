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

    /// The width the table takes drawn whole.
    fn natural_width(&self) -> usize {
        let widths = self.t.column_max_content_widths();
        let shown = self.t.column_iter().zip(&widths).filter(|(c, _)| !matches!(c.constraint(), Some(ColumnConstraint::Hidden)));
        shown.map(|(_, w)| *w as usize + 3).sum::<usize>() + 1
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
        let mut fitted = self.clone();
        fitted.t.set_content_arrangement(ContentArrangement::Dynamic);
        for &c in &self.expendable {
            if fitted.natural_width() <= width as usize {
                break;
            }
            if let Some(col) = fitted.t.column_mut(c) {
                col.set_constraint(ColumnConstraint::Hidden);
            }
        }
        write!(f, "{}", fitted.t)
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
        assert_eq!(t.natural_width(), 11);
    }
}
