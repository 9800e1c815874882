//! The application layer: what the bytes above TCP and UDP say. Each protocol's parser works on
//! what its transport hands it (a reassembled TCP stream, a datagram), bounded in memory, and
//! turns hostile bytes into an error in its record, never a panic.

pub mod http;
pub mod session;
pub mod tls;
