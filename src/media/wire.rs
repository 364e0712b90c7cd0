//! The bytes of an upload: its `multipart/form-data` boundary (RFC 2046) and `Content-Type`, and the
//! `meta` JSON encoded as wechatpay-php's `json_encode` writes it (those bytes are signed).

use serde_json::Value;

use super::hex;
use crate::crypto::backend::rand::{SecureRandom, SystemRandom};
use crate::error::Error;

/// RFC 2046 §5.1.1 `boundary`: 1 to 70 `bchars`, the last not a space.
pub(super) fn check_boundary(boundary: &str) -> Result<(), &'static str> {
    let bchar = |b: u8| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b);
    if boundary.is_empty() {
        return Err("it is empty");
    }
    if boundary.len() > 70 {
        return Err("it is longer than 70 characters");
    }
    if !boundary.bytes().all(bchar) {
        return Err("it has a character outside the allowed set");
    }
    if boundary.ends_with(' ') {
        return Err("it ends in a space");
    }
    Ok(())
}

/// `multipart/form-data; boundary=…`, the boundary quoted when it is not an RFC 2045 `token` (it
/// holds a `tspecial` such as `=` or `/`, or a space). Boundaries never contain `"` or `\`, so the
/// quoted form needs no escapes.
pub(super) fn multipart_content_type(boundary: &str) -> String {
    let tspecial = |b: u8| b"()<>@,;:\\\"/[]?= ".contains(&b);
    if boundary.bytes().any(tspecial) {
        format!("multipart/form-data; boundary=\"{boundary}\"")
    } else {
        format!("multipart/form-data; boundary={boundary}")
    }
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// 40 hex characters from 20 random bytes, as PHP's `bin2hex(random_bytes(20))`.
pub(super) fn random_boundary() -> Result<String, Error> {
    let mut raw = [0u8; 20];
    SystemRandom::new().fill(&mut raw).map_err(|_| {
        crate::auth::SigningError::new("the system random source failed while making a multipart boundary", None)
    })?;
    Ok(hex(&raw))
}

/// Compact JSON as PHP's `json_encode` with default flags writes it: `/` → `\/`, every non-ASCII
/// character → `\uxxxx` (lowercase, UTF-16 surrogate pairs), control characters escaped.
pub(super) fn php_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => php_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                php_json(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                php_string(key, out);
                out.push(b':');
                php_json(item, out);
            }
            out.push(b'}');
        }
    }
}

pub(super) fn php_string(text: &str, out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let unit = |u: u16, out: &mut Vec<u8>| {
        out.extend_from_slice(b"\\u");
        for shift in [12, 8, 4, 0] {
            out.push(DIGITS[usize::from((u >> shift) & 0xf)]);
        }
    };
    out.push(b'"');
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' => out.extend_from_slice(b"\\/"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if c < ' ' || !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    unit(*u, out);
                }
            }
            // ASCII, so the cast is exact.
            c => out.push(c as u8),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Media, upload};
    use http::Method;
    use serde_json::json;

    fn php(value: Value) -> String {
        let mut out = Vec::new();
        php_json(&value, &mut out);
        String::from_utf8(out).expect("ascii")
    }

    #[test]
    fn php_escaping() {
        assert_eq!(php(json!({"a": "营业/执照"})), r#"{"a":"\u8425\u4e1a\/\u6267\u7167"}"#);
        assert_eq!(
            php(json!(["😀", "\u{1}\t\"\\", 1, 1.5, null, true, {}])),
            r#"["\ud83d\ude00","\u0001\t\"\\",1,1.5,null,true,{}]"#
        );
    }

    #[test]
    fn boundaries_follow_rfc_2046() {
        for good in ["a", "0123456789", "'()+_,-./:=?", "a b", &"x".repeat(70), "--==--"] {
            assert_eq!(check_boundary(good), Ok(()), "{good:?}");
        }
        for bad in ["", "a ", " ", "a;b", "a\"b", "a\\b", "ä", "a\tb", "a\r\nb", &"x".repeat(71)] {
            assert!(check_boundary(bad).is_err(), "{bad:?}");
        }
        let media = Media::from_bytes("a.bin", vec![7; 3]).expect("media");
        assert!(media.clone().boundary("ok ").is_err());
        let e = media.boundary("a;b").unwrap_err().to_string();
        assert!(e.contains("`a;b` is not a usable multipart boundary"), "{e}");
    }

    #[test]
    fn boundaries_with_tspecials_are_quoted() {
        assert_eq!(multipart_content_type("abc-1_2.3+'"), "multipart/form-data; boundary=abc-1_2.3+'");
        for special in ["a=b", "a/b", "a:b", "a?b", "(a)", "a,b", "a b"] {
            assert_eq!(
                multipart_content_type(special),
                format!("multipart/form-data; boundary=\"{special}\""),
                "{special:?}"
            );
        }
        // End to end: the quoted boundary reaches the header, the bare one the body's delimiters.
        let media = Media::from_bytes("a.png", vec![1, 2, 3]).expect("media").boundary("a=b").expect("boundary");
        let upload = upload(&media, &Method::POST, "v3/merchant/media/upload").expect("upload");
        assert_eq!(upload.content_type, "multipart/form-data; boundary=\"a=b\"");
        assert!(upload.body.starts_with(b"--a=b\r\n") && upload.body.ends_with(b"\r\n--a=b--\r\n"));
    }
}
