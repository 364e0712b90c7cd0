//! JSON request bodies with wechatpay-php's numbers.
//!
//! Bodies are serde_json's compact output (key order kept, strings as UTF-8) except for floats, which
//! are written the way PHP 8's `json_encode` writes them with the default `serialize_precision = -1`.
//! Ported PHP code produces floats where WeChat Pay expects integers (amounts in fen computed as
//! `$yuan * 100`); with the same numbers this SDK then sends the same bytes as wechatpay-php:
//! `1.0` → `1`, `2.5e15` → `2500000000000000`, `-0.0` → `-0`, `1e20` → `1.0e+20`. Integers are
//! unchanged.
//!
//! # PHP's algorithm
//!
//! `json_encode` calls `php_gcvt(value, 17, '.', 'e')` in "mode 0" (`serialize_precision = -1`):
//!
//! 1. `zend_dtoa(value, mode 0)` gives the **shortest** digit string that reads back as the same
//!    double, the closest one to the exact value when several are that short, and on an exact tie the
//!    one with an even last digit (David Gay's `dtoa`, as Python's `repr`), with `decpt`, the position
//!    of the decimal point relative to the first digit (`value = 0.DIGITS × 10^decpt`), and the sign
//!    (also for `-0.0`). serde_json's float writer produces the same digits (Rust's `{}` does not
//!    always: it rounds `1608882928643910.25` up to `…910.3` where `dtoa` gives `…910.2`), so this
//!    module takes the digits from serde_json and applies PHP's layout to them.
//! 2. If `decpt < -3` (the value is below `1e-4`) or `decpt > 17` (at least `1e17`): exponent form,
//!    the first digit, `.`, the remaining digits or `0` when there are none, `e`, the sign of the
//!    exponent (`+` or `-`, always written), the exponent `decpt - 1` in decimal without padding:
//!    `1.0e+17`, `1.5e-7`, `1.7976931348623157e+308`, `5.0e-324`.
//! 3. If `-3 <= decpt < 0`: `0.`, `-decpt` zeros, the digits: `0.0001`, `0.00123`.
//! 4. Otherwise (`0 <= decpt <= 17`): the digits, padded with zeros up to `decpt` integer digits, then
//!    `.` and the remaining digits if any (`0.` first when `decpt` is 0): `1`, `10000000000000000`,
//!    `0.30000000000000004`, `123.5`.
//!
//! A leading `-` is written for negative values, `-0.0` included. Without
//! `JSON_PRESERVE_ZERO_FRACTION` (wechatpay-php does not set it) nothing else is appended.
//!
//! `json_encode` refuses NaN and infinities; serde_json writes them as `null` before this formatter
//! is asked, and so does this SDK. An `f32` is written from its own shortest digits (`0.1f32` → `0.1`,
//! not the `0.10000000149011612` of its `f64` widening): PHP has no `f32`, and the value a Rust
//! program meant is the short one.

use std::fmt::Write as _;
use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, Serializer};

/// serde_json's compact formatter, floats written as PHP's `json_encode` writes them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PhpNumbers;

impl Formatter for PhpNumbers {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        // serde_json's own float writer gives the shortest round-trip digits (ties to even, as Gay's
        // dtoa in PHP); only the layout is PHP's.
        let mut shortest = Stack::new();
        CompactFormatter.write_f64(&mut shortest, value.abs())?;
        write_php(writer, value.is_sign_negative(), shortest.as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        let mut shortest = Stack::new();
        CompactFormatter.write_f32(&mut shortest, value.abs())?;
        write_php(writer, value.is_sign_negative(), shortest.as_bytes())
    }
}

/// Serializes `value` as a compact JSON body with PHP's floats, in one pass (no `Value` in between).
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    value.serialize(&mut Serializer::with_formatter(&mut out, PhpNumbers))?;
    Ok(out)
}

/// Large enough for any `f64` in either form: at most 17 digits, a sign, `0.` and three zeros, or
/// `.`, `e`, an exponent sign and three exponent digits.
const CAPACITY: usize = 40;

/// A fixed-size text buffer on the stack (the hot path allocates nothing per number).
struct Stack {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl Stack {
    fn new() -> Stack {
        Stack { bytes: [0; CAPACITY], len: 0 }
    }

    fn push(&mut self, byte: u8) {
        // Cannot overflow for a finite float (see CAPACITY); a longer text would be cut, never panic.
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl io::Write for Stack {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.len + bytes.len() > CAPACITY {
            return Err(io::Error::other("a float longer than 40 bytes"));
        }
        self.extend(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > CAPACITY {
            return Err(std::fmt::Error);
        }
        self.extend(s.as_bytes());
        Ok(())
    }
}

/// Lays out the shortest digits, given as a non-negative decimal (`1.0`, `0.0001`, `1e16`, `1.5e-7`,
/// `5e-324`: any of serde_json's forms), the way PHP's `php_gcvt` does in mode 0 (see the module
/// documentation).
fn write_php<W: ?Sized + io::Write>(writer: &mut W, negative: bool, shortest: &[u8]) -> io::Result<()> {
    let split = shortest.iter().position(|&b| b == b'e' || b == b'E').unwrap_or(shortest.len());
    let (mantissa, exponent) = shortest.split_at(split);
    let exponent: i32 = std::str::from_utf8(exponent.get(1..).unwrap_or_default())
        .ok()
        .map(|e| e.strip_prefix('+').unwrap_or(e))
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let integer_digits = mantissa.iter().take_while(|&&b| b != b'.').count() as i32;
    // All mantissa digits without the point; `decpt` counts from the first significant one.
    let mut digits = [0u8; CAPACITY];
    let (mut count, mut leading_zeros, mut significant) = (0, 0, false);
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        significant |= b != b'0';
        if !significant {
            leading_zeros += 1;
        } else if let Some(slot) = digits.get_mut(count) {
            *slot = b;
            count += 1;
        }
    }
    while count > 0 && digits[count - 1] == b'0' {
        count -= 1;
    }
    let (digits, decpt) = if count == 0 {
        // Zero: dtoa gives "0" with the point after it.
        (&b"0"[..], 1)
    } else {
        (&digits[..count], integer_digits - leading_zeros + exponent)
    };
    let exponent = decpt - 1;

    let mut out = Stack::new();
    if negative {
        out.push(b'-');
    }
    if !(-3..=17).contains(&decpt) {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let mut text = Stack::new();
        let _ = write!(text, "{}", exponent.unsigned_abs());
        out.extend(text.as_bytes());
    } else if decpt < 0 {
        out.extend(b"0.");
        for _ in 0..-decpt {
            out.push(b'0');
        }
        out.extend(digits);
    } else {
        let decpt = decpt as usize;
        if decpt == 0 {
            out.push(b'0');
        }
        for i in 0..decpt {
            out.push(digits.get(i).copied().unwrap_or(b'0'));
        }
        if digits.len() > decpt {
            out.push(b'.');
            out.extend(&digits[decpt..]);
        }
    }
    writer.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn php(value: f64) -> String {
        String::from_utf8(to_vec(&value).unwrap()).unwrap()
    }

    /// Expected texts derived by hand from `php_gcvt` (see the module documentation), each with the
    /// rule that decides it.
    #[test]
    fn floats_as_php_prints_them() {
        let cases: &[(f64, &str)] = &[
            // Whole floats lose the fraction; the sign of zero is kept.
            (1.0, "1"),
            (0.0, "0"),
            (-0.0, "-0"),
            (-1.0, "-1"),
            (100.0, "100"),
            (2.5e15, "2500000000000000"),
            // decpt 16 and 17: still written out.
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
            (2f64.powi(53), "9007199254740992"),
            (1.2345678901234568e16, "12345678901234568"),
            // decpt 18: exponent form, at least one fractional digit.
            (1e17, "1.0e+17"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (1e20, "1.0e+20"),
            (1e21, "1.0e+21"),
            (1e25, "1.0e+25"),
            (-1.5e300, "-1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            // Shortest round-trip digits.
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.25, "1.25"),
            (123.5, "123.5"),
            (-0.5, "-0.5"),
            (1.0 / 3.0, "0.3333333333333333"),
            (99.99, "99.99"),
            // An exact tie between two 17-digit candidates: the even last digit, as dtoa.
            (1608882928643910.0 + 0.25, "1608882928643910.2"),
            // decpt -3 (1e-4 <= |v| < 1e-3): still positional; below: exponent form.
            (0.0001, "0.0001"),
            (0.00123, "0.00123"),
            (0.00001, "1.0e-5"),
            (1e-7, "1.0e-7"),
            (1.5e-7, "1.5e-7"),
            (-2.5e-10, "-2.5e-10"),
            // The smallest normal and subnormal doubles.
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5.0e-324"),
            (2.5e-323, "2.5e-323"),
            (-2.0 * f64::MIN_POSITIVE, "-4.450147717014403e-308"),
        ];
        for &(value, expected) in cases {
            assert_eq!(php(value), expected, "{value:e}");
        }
    }

    #[test]
    fn integers_and_non_finite_values() {
        let body = to_vec(&json!({"i": 1, "n": -7, "u": u64::MAX, "big": i64::MIN})).unwrap();
        assert_eq!(body, br#"{"i":1,"n":-7,"u":18446744073709551615,"big":-9223372036854775808}"#);
        // serde_json writes NaN and infinities as null (PHP's json_encode refuses them).
        assert_eq!(to_vec(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]).unwrap(), b"[null,null,null]");
    }

    #[test]
    fn f32_uses_its_own_shortest_digits() {
        assert_eq!(to_vec(&0.1f32).unwrap(), b"0.1");
        assert_eq!(to_vec(&1.0f32).unwrap(), b"1");
        assert_eq!(to_vec(&-0.0f32).unwrap(), b"-0");
        assert_eq!(to_vec(&3.4028235e38f32).unwrap(), b"3.4028235e+38");
    }

    #[test]
    fn everything_else_is_serde_json_compact() {
        #[derive(Serialize)]
        struct Amount {
            total: f64,
            currency: &'static str,
        }
        let typed = to_vec(&Amount { total: 100.0, currency: "CNY" }).unwrap();
        assert_eq!(typed, br#"{"total":100,"currency":"CNY"}"#);
        let value = json!({"a/b": "中文 \"q\" \u{1}", "list": [1.0, 2.5, [], {}], "null": null, "t": true});
        let ours = to_vec(&value).unwrap();
        let expected = r#"{"a/b":"中文 \"q\" \u0001","list":[1,2.5,[],{}],"null":null,"t":true}"#;
        assert_eq!(ours, expected.as_bytes());
        // Still JSON, and the same value for every non-float.
        let back: serde_json::Value = serde_json::from_slice(&ours).unwrap();
        assert_eq!(back["a/b"], value["a/b"]);
        // Map keys that are floats (serde_json allows them) get the same digits, quoted.
        let keyed: std::collections::BTreeMap<i32, f64> = [(1, 1e21)].into();
        assert_eq!(to_vec(&keyed).unwrap(), br#"{"1":1.0e+21}"#);
    }

    /// Every float written reads back as the same double.
    #[test]
    fn round_trips() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            // xorshift over all bit patterns: normals, subnormals, every exponent.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = f64::from_bits(x);
            if !value.is_finite() {
                continue;
            }
            let text = php(value);
            let back: f64 = text.parse().unwrap_or_else(|_| panic!("{text}"));
            assert_eq!(back.to_bits(), value.to_bits(), "{text}");
        }
    }
}
