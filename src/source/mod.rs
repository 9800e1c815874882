//! Where frames come from: capture files and live interfaces.
//!
//! A source only yields raw frames with their metadata; it never decodes them. Keeping decoding
//! out of here means a file replay and a live capture feed the exact same pipeline.

pub mod file;
pub mod filter;
pub mod live;
pub mod write;

use std::fmt;

/// A capture timestamp: seconds since the Unix epoch and nanoseconds within the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Ts {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    pub sec: i64,
    /// Nanoseconds within the second, always below 1,000,000,000.
    pub nsec: u32,
}

impl Ts {
    /// Builds a timestamp from seconds and a fraction counted in `units_per_sec`.
    #[inline]
    pub fn from_parts(sec: i64, frac: u64, units_per_sec: u64) -> Ts {
        // Microseconds (classic pcap, pcapng's default) and nanoseconds come first: divided by a
        // constant, the compiler multiplies instead of dividing (three divisions a frame, one of
        // 128 bits, otherwise). Same values as the general case.
        match units_per_sec {
            1_000_000 => {
                return Ts { sec: sec.saturating_add((frac / 1_000_000) as i64), nsec: (frac % 1_000_000 * 1_000) as u32 };
            }
            1_000_000_000 => {
                return Ts { sec: sec.saturating_add((frac / 1_000_000_000) as i64), nsec: (frac % 1_000_000_000) as u32 };
            }
            _ => {}
        }
        let units = units_per_sec.max(1);
        let extra = (frac / units) as i64;
        let rem = frac % units;
        let nsec = ((rem as u128 * 1_000_000_000u128) / units as u128) as u32;
        Ts { sec: sec.saturating_add(extra), nsec }
    }

    /// Nanoseconds since the epoch, as a wide integer that cannot overflow.
    pub fn as_nanos(self) -> i128 {
        self.sec as i128 * 1_000_000_000 + self.nsec as i128
    }

    /// Seconds since the epoch as a float (for JSON `frame.time_epoch` and durations).
    pub fn as_secs_f64(self) -> f64 {
        self.sec as f64 + self.nsec as f64 / 1e9
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn secs_since(self, earlier: Ts) -> f64 {
        (self.as_nanos() - earlier.as_nanos()) as f64 / 1e9
    }

    /// This timestamp moved forward by `secs` seconds (fractions allowed).
    pub fn plus_secs(self, secs: f64) -> Ts {
        let total = self.as_nanos() + (secs * 1e9) as i128;
        Ts { sec: total.div_euclid(1_000_000_000) as i64, nsec: total.rem_euclid(1_000_000_000) as u32 }
    }

    /// Broken-down UTC civil time: (year, month, day, hour, minute, second).
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.sec.div_euclid(86_400);
        let secs = self.sec.rem_euclid(86_400) as u32;
        // Howard Hinnant's days-from-civil inverse (public domain algorithm description).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = if m <= 2 { y + 1 } else { y };
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }
}

impl fmt::Display for Ts {
    /// ISO 8601 in UTC with microseconds, as `2024-01-31 12:00:00.123456`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.civil();
        write!(f, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:06}", self.nsec / 1000)
    }
}

/// One captured frame, borrowed from the source's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based position of the frame in its input, as Wireshark's `frame.number`.
    pub number: u64,
    /// When the frame was captured.
    pub ts: Ts,
    /// The LINKTYPE_ value saying what the first header is.
    pub linktype: u32,
    /// Length on the wire (may exceed `data.len()` when the snap length cut the frame).
    pub len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Which interface (pcapng) captured it; 0 for classic pcap and live capture.
    pub interface: u32,
    /// False when the record carries no time (a pcapng Simple Packet Block): `ts` is then the
    /// previous frame's time, so timers still run, but no time is shown.
    pub ts_known: bool,
}

impl Frame<'_> {
    /// Number of bytes captured.
    pub fn caplen(&self) -> u32 {
        self.data.len() as u32
    }
}

#[cfg(test)]
mod test {
    use super::Ts;

    /// The general division, as `Ts::from_parts` makes it for any resolution.
    fn general(sec: i64, frac: u64, units: u64) -> Ts {
        let extra = (frac / units) as i64;
        let rem = frac % units;
        Ts { sec: sec.saturating_add(extra), nsec: ((rem as u128 * 1_000_000_000u128) / units as u128) as u32 }
    }

    /// Microseconds and nanoseconds, made by multiplication, give the general division's
    /// timestamp, fractions of a second or more included; other resolutions go the general way.
    #[test]
    fn timestamps_of_the_common_resolutions_equal_the_general_division() {
        let fracs = [0u64, 1, 999, 999_999, 1_000_000, 1_000_001, 123_456_789, 999_999_999, 1_000_000_000, 5_000_000_123, u64::MAX];
        for units in [1_000_000u64, 1_000_000_000, 1_000, 1 << 30, 10] {
            for &frac in &fracs {
                for sec in [0i64, 1_700_000_000, -5, i64::MAX - 1] {
                    assert_eq!(Ts::from_parts(sec, frac, units), general(sec, frac, units), "{sec} {frac} / {units}");
                }
            }
        }
    }
}
