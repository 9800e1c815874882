//! The record kinds as Parquet files (`--parquet DIR`), with typed columns that duckdb, pandas
//! and Spark read as they are: addresses and names as strings, times as UTC timestamps in
//! microseconds (Zeek's precision), intervals as seconds (double), counts as 64-bit and ports
//! as 32-bit signed integers (Spark has no unsigned ones), sets and vectors as lists.
//!
//! Rows are gathered in Arrow builders and handed to the writer every [`BATCH`] rows; the
//! writer closes a row group every [`ROW_GROUP`] rows, so memory stays flat however long the
//! run. Unset fields are nulls.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use super::{RowSink, Ty, Val};

/// Rows gathered before they go to the writer.
const BATCH: usize = 8192;
/// Rows in a row group.
const ROW_GROUP: usize = 128 * 1024;

/// One column being filled.
enum Col {
    Time(TimestampMicrosecondBuilder),
    Str(StringBuilder),
    Count(Int64Builder),
    Port(Int32Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Strs(ListBuilder<StringBuilder>),
    Floats(ListBuilder<Float64Builder>),
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The Arrow type of a field type.
fn arrow_type(t: Ty) -> DataType {
    match t {
        Ty::Time => utc(),
        Ty::Str | Ty::Addr | Ty::Enum => DataType::Utf8,
        Ty::Port => DataType::Int32,
        Ty::Count => DataType::Int64,
        Ty::Interval | Ty::Double => DataType::Float64,
        Ty::Bool => DataType::Boolean,
        Ty::SetStr | Ty::SetEnum | Ty::VecStr => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        Ty::VecInterval => DataType::List(Arc::new(Field::new("item", DataType::Float64, true))),
    }
}

impl Col {
    fn new(t: Ty) -> Col {
        match t {
            Ty::Time => Col::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
            Ty::Str | Ty::Addr | Ty::Enum => Col::Str(StringBuilder::new()),
            Ty::Port => Col::Port(Int32Builder::new()),
            Ty::Count => Col::Count(Int64Builder::new()),
            Ty::Interval | Ty::Double => Col::Float(Float64Builder::new()),
            Ty::Bool => Col::Bool(BooleanBuilder::new()),
            Ty::SetStr | Ty::SetEnum | Ty::VecStr => Col::Strs(ListBuilder::new(StringBuilder::new())),
            Ty::VecInterval => Col::Floats(ListBuilder::new(Float64Builder::new())),
        }
    }

    /// Appends `v` (a value of another shape than the column's is a null).
    fn push(&mut self, v: &Val<'_>) {
        match (self, v) {
            (Col::Time(b), Val::F(f)) => b.append_value((f * 1e6).round() as i64),
            (Col::Str(b), Val::S(s)) => b.append_value(s),
            (Col::Str(b), Val::A(a)) => b.append_value(a.to_string()),
            (Col::Count(b), Val::N(n)) => b.append_value(i64::try_from(*n).unwrap_or(i64::MAX)),
            (Col::Port(b), Val::N(n)) => b.append_value(i32::try_from(*n).unwrap_or(i32::MAX)),
            (Col::Float(b), Val::F(f)) => b.append_value(*f),
            (Col::Bool(b), Val::B(x)) => b.append_value(*x),
            (Col::Strs(b), Val::L(l)) => {
                for s in l {
                    b.values().append_value(s);
                }
                b.append(true);
            }
            (Col::Floats(b), Val::FL(l)) => {
                for f in l {
                    b.values().append_value(*f);
                }
                b.append(true);
            }
            (Col::Time(b), _) => b.append_null(),
            (Col::Str(b), _) => b.append_null(),
            (Col::Count(b), _) => b.append_null(),
            (Col::Port(b), _) => b.append_null(),
            (Col::Float(b), _) => b.append_null(),
            (Col::Bool(b), _) => b.append_null(),
            (Col::Strs(b), _) => b.append(false),
            (Col::Floats(b), _) => b.append(false),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Col::Time(b) => Arc::new(b.finish()),
            Col::Str(b) => Arc::new(b.finish()),
            Col::Count(b) => Arc::new(b.finish()),
            Col::Port(b) => Arc::new(b.finish()),
            Col::Float(b) => Arc::new(b.finish()),
            Col::Bool(b) => Arc::new(b.finish()),
            Col::Strs(b) => Arc::new(b.finish()),
            Col::Floats(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Col::Time(b) => b.len(),
            Col::Str(b) => b.len(),
            Col::Count(b) => b.len(),
            Col::Port(b) => b.len(),
            Col::Float(b) => b.len(),
            Col::Bool(b) => b.len(),
            Col::Strs(b) => b.len(),
            Col::Floats(b) => b.len(),
        }
    }
}

/// One kind's Parquet file.
pub struct ParquetFile {
    schema: SchemaRef,
    cols: Vec<Col>,
    writer: Option<ArrowWriter<File>>,
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl ParquetFile {
    /// Creates the file for rows of `fields`.
    pub fn create(path: &Path, fields: &'static [(&'static str, Ty)]) -> io::Result<ParquetFile> {
        let schema: SchemaRef = Arc::new(Schema::new(fields.iter().map(|(n, t)| Field::new(*n, arrow_type(*t), true)).collect::<Vec<_>>()));
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(ROW_GROUP)).set_created_by("inspect".into()).build();
        let writer = ArrowWriter::try_new(File::create(path)?, schema.clone(), Some(props)).map_err(to_io)?;
        Ok(ParquetFile { schema, cols: fields.iter().map(|(_, t)| Col::new(*t)).collect(), writer: Some(writer) })
    }

    /// Hands the gathered rows to the writer.
    fn flush_rows(&mut self) -> io::Result<()> {
        if self.cols.first().is_none_or(|c| c.len() == 0) {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.cols.iter_mut().map(Col::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(to_io)?;
        match self.writer.as_mut() {
            Some(w) => w.write(&batch).map_err(to_io),
            None => Ok(()),
        }
    }
}

impl RowSink for ParquetFile {
    fn row(&mut self, row: &[Val<'_>]) -> io::Result<()> {
        for (c, v) in self.cols.iter_mut().zip(row) {
            c.push(v);
        }
        if self.cols.first().is_some_and(|c| c.len() >= BATCH) {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        self.flush_rows()?;
        match self.writer.take() {
            Some(w) => w.close().map(|_| ()).map_err(to_io),
            None => Ok(()),
        }
    }
}
