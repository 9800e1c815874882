//! Big-endian numbers read out of packet bytes, never past their end.

/// The big-endian `u16` at `at` in `b`, if `b` holds it.
#[inline]
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

/// The big-endian `u32` at `at` in `b`, if `b` holds it.
#[inline]
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// [`be16`], or 0 where `b` ends first: for views that show whatever a header holds.
#[inline]
pub fn be16_or0(b: &[u8], at: usize) -> u16 {
    be16(b, at).unwrap_or(0)
}

/// [`be32`], or 0 where `b` ends first.
#[inline]
pub fn be32_or0(b: &[u8], at: usize) -> u32 {
    be32(b, at).unwrap_or(0)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn reads_inside_and_refuses_past_the_end() {
        let b = [1, 2, 3, 4, 5];
        assert_eq!(be16(&b, 0), Some(0x0102));
        assert_eq!(be16(&b, 3), Some(0x0405));
        assert_eq!(be16(&b, 4), None);
        assert_eq!(be16(&b, usize::MAX), None);
        assert_eq!(be32(&b, 1), Some(0x0203_0405));
        assert_eq!(be32(&b, 2), None);
        assert_eq!(be32_or0(&b, 2), 0);
        assert_eq!(be16_or0(&b, 1), 0x0203);
    }
}
