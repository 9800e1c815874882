//! TCP streams: each direction's bytes put back in order ([`reassembly`]), for the views and
//! parsers that read what an application sent rather than what a segment carried.

pub mod reassembly;
