//! TCP streams: each direction's bytes put back in order ([`reassembly`]), a conversation's two
//! directions together ([`follow`]), and Wireshark's stream numbers ([`index`]).

pub mod follow;
pub mod index;
pub mod reassembly;
