//! Bogon sources: addresses no real client sends a SYN from, taken from the one special-address
//! table the subnet calculator also reads ([`crate::special`]), and the target's own address (a
//! LAND attack). Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) are not
//! bogons: they are normal on a LAN.

use std::net::IpAddr;

/// Whether `src` is an address no real client sends a SYN from, or the target `dst` itself.
pub fn is_bogon(src: IpAddr, dst: IpAddr) -> bool {
    src == dst || crate::special::bogon_source(src)
}
