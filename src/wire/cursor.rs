//! A read-only cursor over a frame that reads primitives exactly as yrs's
//! `DecoderV1` does (same varint wrapping, same limits), refusing instead
//! of panicking where yrs would overflow in a debug build. It never
//! allocates.

use super::WireError;

pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(super) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(super) fn u8(&mut self) -> Result<u8, WireError> {
        let byte = *self.buf.get(self.pos).ok_or(WireError::Truncated)?;
        self.pos += 1;
        Ok(byte)
    }

    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        if len > self.remaining() {
            return Err(WireError::Truncated);
        }
        let slice = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    /// yrs's `read_var_u32`: 7 bits a byte, the shift wrapping at 32, at
    /// most 11 bytes.
    pub(super) fn var_u32(&mut self) -> Result<u32, WireError> {
        let mut num: u32 = 0;
        let mut shift: u32 = 0;
        loop {
            let byte = self.u8()?;
            num |= u32::wrapping_shl(u32::from(byte & 0x7f), shift);
            shift += 7;
            if byte < 0x80 {
                return Ok(num);
            }
            if shift > 70 {
                return Err(WireError::BadVarint);
            }
        }
    }

    /// yrs's `read_var_u64` (also its `usize`).
    pub(super) fn var_u64(&mut self) -> Result<u64, WireError> {
        let mut num: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let byte = self.u8()?;
            num |= u64::wrapping_shl(u64::from(byte & 0x7f), shift);
            shift += 7;
            if byte < 0x80 {
                return Ok(num);
            }
            if shift > 70 {
                return Err(WireError::BadVarint);
            }
        }
    }

    /// A client id: a `var_u64` below 2^53, as Yjs makes them. yrs's
    /// `ClientID::new` asserts that in a debug build and silently drops
    /// the high bits in release.
    pub(super) fn client(&mut self) -> Result<u64, WireError> {
        let id = self.var_u64()?;
        if id >= 1 << 53 {
            return Err(WireError::BadClient);
        }
        Ok(id)
    }

    /// yrs's `read_var_i64` (sign in the first byte). yrs shifts an i64 by
    /// up to 69 and negates `i64::MIN` without a check: both panic in a
    /// debug build, so both are refused here.
    pub(super) fn var_i64(&mut self) -> Result<i64, WireError> {
        let first = self.u8()?;
        let negative = first & 0x40 != 0;
        let mut num = i64::from(first & 0x3f);
        let mut shift: u32 = 6;
        let mut more = first & 0x80 != 0;
        while more {
            let byte = self.u8()?;
            if shift >= i64::BITS {
                return Err(WireError::BadVarint);
            }
            num |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            more = byte >= 0x80;
        }
        if negative {
            num.checked_neg().ok_or(WireError::BadVarint)
        } else {
            Ok(num)
        }
    }

    /// A length-prefixed byte string (`read_buf`).
    pub(super) fn buf(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.var_u32()?;
        self.take(len as usize)
    }

    /// A length-prefixed UTF-8 string (`read_string`).
    pub(super) fn string(&mut self) -> Result<&'a str, WireError> {
        std::str::from_utf8(self.buf()?).map_err(|_| WireError::BadUtf8)
    }

    /// A declared element count, checked against what is left: each
    /// element takes at least `min_bytes`, so a count the rest of the
    /// frame cannot hold is refused before anyone reserves for it.
    pub(super) fn count(&self, declared: u64, min_bytes: usize) -> Result<usize, WireError> {
        let needed = declared.saturating_mul(min_bytes as u64);
        if needed > self.remaining() as u64 {
            return Err(WireError::CountTooLarge);
        }
        // `needed` fits in the frame, so `declared` fits in a usize.
        Ok(declared as usize)
    }
}
