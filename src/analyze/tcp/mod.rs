//! TCP connections (and UDP flows) as Zeek keeps them: state per endpoint ([`endpoint`]), the
//! connection built of two endpoints ([`conn`]), Zeek's `conn_state` as a pure function of them
//! ([`zeek`]), and the tracker that holds every connection in the flow table ([`tracker`]).

pub mod conn;
pub mod endpoint;
pub mod tracker;
pub mod zeek;

pub use tracker::{parse_state_filter, ConnConfig, ConnTracker, StateFilter};
