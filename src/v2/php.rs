//! PHP's string cast of scalars, which decides both the XML text and the signed text of APIv2 fields:
//! `true` → `1`, `false` and `null` → empty, integers in decimal, floats as PHP's `(string)` cast
//! writes them (14 significant digits, `precision=14`).

use std::borrow::Cow;

use serde_json::{Number, Value};

/// The PHP string cast of a scalar JSON value; `None` for arrays and objects.
pub(crate) fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Null | Value::Bool(false) => Some(Cow::Borrowed("")),
        Value::Bool(true) => Some(Cow::Borrowed("1")),
        Value::Number(n) => Some(Cow::Owned(number_text(n))),
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Integers in decimal; floats through [`float_text`].
pub(crate) fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        n.as_f64().map_or_else(|| n.to_string(), float_text)
    }
}

/// Significant digits of PHP's default `precision` ini setting.
const PRECISION: i32 = 14;

/// `(string)$float` in PHP 8 with `precision=14` (`zend_gcvt`): 14 significant digits, trailing
/// zeros dropped, fixed notation unless the decimal exponent is below -4 or at least 15, where it is
/// `d.dE+X` with at least one fractional digit (`1.0E+20`, `1.5E-7`). `-0.0` is `-0`.
pub(crate) fn float_text(value: f64) -> String {
    if value.is_nan() {
        return "NAN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "INF" } else { "-INF" }.to_owned();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value == 0.0 {
        return format!("{sign}0");
    }
    // Rust rounds the exact binary value correctly, as zend_dtoa's mode 2 does.
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, value.abs());
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return value.to_string();
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return value.to_string();
    };
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    // zend_gcvt's `decpt`: where the decimal point goes relative to the digits.
    let point = exponent + 1;
    let mut out = String::from(sign);
    if if point < 0 { point < -3 } else { point > PRECISION } {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        out.push('E');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&exponent.unsigned_abs().to_string());
    } else if point <= 0 {
        out.push_str("0.");
        for _ in point..0 {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = point as usize;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_php_writes_them() {
        for (value, text) in [
            (1.5, "1.5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1 + 0.2, "0.3"),
            (100.0, "100"),
            (0.5, "0.5"),
            (0.0001, "0.0001"),
            (0.00001, "1.0E-5"),
            (1.5e-7, "1.5E-7"),
            (1e14, "1.0E+14"),
            (1e13, "10000000000000"),
            (1e20, "1.0E+20"),
            (2.5e15, "2.5E+15"),
            (123.456, "123.456"),
            (-3.25, "-3.25"),
            (1.0 / 3.0, "0.33333333333333"),
            (f64::NAN, "NAN"),
            (f64::NEG_INFINITY, "-INF"),
        ] {
            assert_eq!(float_text(value), text, "{value:e}");
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(scalar_text(&Value::Bool(true)).as_deref(), Some("1"));
        assert_eq!(scalar_text(&Value::Bool(false)).as_deref(), Some(""));
        assert_eq!(scalar_text(&Value::Null).as_deref(), Some(""));
        assert_eq!(scalar_text(&serde_json::json!(u64::MAX)).as_deref(), Some("18446744073709551615"));
        assert_eq!(scalar_text(&serde_json::json!(-7)).as_deref(), Some("-7"));
        assert!(scalar_text(&serde_json::json!([])).is_none());
    }
}
