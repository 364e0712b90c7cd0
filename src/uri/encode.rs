//! Percent-encoding and PHP's text forms: how values become bytes of a URL, the way wechatpay-php
//! (`rawurlencode`, `http_build_query(…, PHP_QUERY_RFC3986)`, `(string)$float`) writes them.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// A JSON number as text: integers in decimal, floats in PHP's 14-significant-digit form.
pub(crate) fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        php_float(n.as_f64().unwrap_or(0.0))
    }
}

/// PHP's string form of a float at `precision=14` (`%.14G` with PHP's exponent style):
/// `0.30000000000000004` → `0.3`, `2.0` → `2`, `1e20` → `1.0E+20`, `1.5e-7` → `1.5E-7`.
pub(crate) fn php_float(v: f64) -> String {
    if v.is_nan() {
        return "NAN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "INF" } else { "-INF" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let sci = format!("{:.13e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if v < 0.0 { "-" } else { "" };
    if !(-4..14).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { "0" } else { tail };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}.{tail}E{esign}{}", exp.unsigned_abs());
    }
    if exp < 0 {
        let zeros = "0".repeat(exp.unsigned_abs() as usize - 1);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = exp as usize + 1;
    if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_reserved(b: u8) -> bool {
    b":/?#[]@!$&'()*+,;=".contains(&b)
}

/// Percent-encodes `text` into `out`: bytes for which `keep` holds pass unchanged, and so do valid
/// `%XX` escapes when `keep_escapes` is set; every other byte becomes uppercase `%XX`.
pub(crate) fn percent_encode(text: &str, keep: impl Fn(u8) -> bool, keep_escapes: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let escape = keep_escapes
            && b == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit();
        if keep(b) || escape {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// RFC 6570 value encoding: unreserved characters pass; with `reserved` ("U+R"), the reserved set and
/// existing `%XX` escapes pass too.
pub(crate) fn encode_into(text: &str, reserved: bool, out: &mut String) {
    percent_encode(text, |b| is_unreserved(b) || (reserved && is_reserved(b)), reserved, out);
}

/// Writes `value` as a PHP `http_build_query(..., PHP_QUERY_RFC3986)` query string into `out`:
/// insertion order, `rawurlencode` of keys and values, `true` → `1`, `false` → `0`, `null` skipped,
/// nested arrays as `key%5B0%5D=…`, floats with 14 significant digits.
pub(crate) fn php_query(map: &Map<String, Value>, out: &mut String) {
    for (k, v) in map {
        let mut key = String::with_capacity(k.len());
        encode_into(k, false, &mut key);
        query_pair(&key, v, out);
    }
}

fn query_pair(key: &str, value: &Value, out: &mut String) {
    let text: std::borrow::Cow<'_, str> = match value {
        Value::Null => return,
        Value::Bool(b) => (if *b { "1" } else { "0" }).into(),
        Value::Number(n) => number_text(n).into(),
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut nested = String::with_capacity(key.len() + 8);
                let _ = write!(nested, "{key}%5B{i}%5D");
                query_pair(&nested, item, out);
            }
            return;
        }
        Value::Object(map) => {
            for (k, item) in map {
                let mut nested = String::with_capacity(key.len() + k.len() + 6);
                nested.push_str(key);
                nested.push_str("%5B");
                encode_into(k, false, &mut nested);
                nested.push_str("%5D");
                query_pair(&nested, item, out);
            }
            return;
        }
    };
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(key);
    out.push('=');
    encode_into(&text, false, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_floats() {
        for (v, want) in [
            (0.30000000000000004, "0.3"),
            (1e20, "1.0E+20"),
            (2.0, "2"),
            (1.25, "1.25"),
            (1.5, "1.5"),
            (-0.0, "-0"),
            (1.5e-7, "1.5E-7"),
            (0.0001, "0.0001"),
            (0.00001, "1.0E-5"),
            (2.5e15, "2.5E+15"),
            (12345678901234.0, "12345678901234"),
            (123456789012345.0, "1.2345678901234E+14"),
            (-3.75, "-3.75"),
        ] {
            assert_eq!(php_float(v), want, "{v}");
        }
    }

    #[test]
    fn php_http_build_query() {
        let mut out = String::new();
        let q = json!({"ids": [1, 2], "filter": {"type": "A B", "n": [3]}, "t": true, "f": false, "n": null, "e": ""});
        php_query(q.as_object().expect("object"), &mut out);
        assert_eq!(out, "ids%5B0%5D=1&ids%5B1%5D=2&filter%5Btype%5D=A%20B&filter%5Bn%5D%5B0%5D=3&t=1&f=0&e=");
    }
}
