//! The house style of text, shared by every renderer: tables, and counts with their nouns.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

/// A table in the house style.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled).set_header(header.iter().map(Cell::new));
    t
}

/// A right-aligned numeric cell.
pub fn num_cell(v: impl std::fmt::Display) -> Cell {
    Cell::new(v).set_alignment(CellAlignment::Right)
}

/// `n` and the noun for it: `1 packet`, `2 packets`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
