//! The field checks of the payment endpoints, with WeChat Pay's error shapes, and the identifiers they
//! make (times, transaction numbers).

use serde_json::Value;

use super::MAX_NOTIFY_URL;
use crate::keys::random_alnum;
use crate::notify::rfc3339_cst;
use crate::route::{Reply, param_error};

pub(super) fn param(field: &str, issue: impl Into<String>) -> Reply {
    param_error(field, "body", issue)
}

pub(super) fn order_not_exist() -> Reply {
    Reply::error(404, "ORDER_NOT_EXIST", "订单不存在 (no such order)")
}

pub(super) fn order_paid(status: u16) -> Reply {
    Reply::error(status, "ORDERPAID", "该订单已支付 (the order is already paid)")
}

pub(super) fn order_closed() -> Reply {
    Reply::error(400, "ORDER_CLOSED", "订单已关闭 (the order is closed)")
}

/// The value at a dotted path (`amount.total`).
pub(super) fn lookup<'a>(body: &'a Value, field: &str) -> Option<&'a Value> {
    field.split('.').try_fold(body, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// An optional string of at most `max` characters.
pub(super) fn text<'a>(body: &'a Value, field: &str, max: usize) -> Result<Option<&'a str>, Reply> {
    match lookup(body, field) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => Err(param(field, format!("longer than {max} characters"))),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(param(field, "must be a string")),
    }
}

/// A required non-empty string of at most `max` characters.
pub(super) fn required<'a>(body: &'a Value, field: &str, max: usize) -> Result<&'a str, Reply> {
    text(body, field, max)?.filter(|s| !s.is_empty()).ok_or_else(|| param(field, "is required"))
}

/// A required integer amount in fen, above zero.
pub(super) fn amount(body: &Value, field: &str) -> Result<u64, Reply> {
    let value = lookup(body, field).ok_or_else(|| param(field, "is required"))?;
    value.as_u64().filter(|n| *n > 0).ok_or_else(|| param(field, "must be an integer above 0 (fen)"))
}

/// `amount.currency`: only `CNY`; `default` when absent (`None`: required).
pub(super) fn currency(body: &Value, default: Option<&'static str>) -> Result<String, Reply> {
    let field = "amount.currency";
    match (text(body, field, 16)?, default) {
        (Some("CNY"), _) | (None, Some("CNY")) => Ok("CNY".to_owned()),
        (None, _) => Err(param(field, "is required")),
        (Some(_), _) => Err(param(field, "only CNY is supported")),
    }
}

/// A merchant number: `min..=max` characters of `0-9A-Za-z` and `extra`.
pub(super) fn number<'a>(body: &'a Value, field: &str, min: usize, max: usize, extra: &str) -> Result<&'a str, Reply> {
    let value = required(body, field, max)?;
    if value.len() < min || !value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c)) {
        return Err(param(field, format!("must be {min} to {max} characters of 0-9, A-Z, a-z and `{extra}`")));
    }
    Ok(value)
}

/// A notification URL: `https://` with a host, as WeChat Pay demands, or — a sandbox deviation, so that
/// local endpoints can receive notifications — `http://` to `127.0.0.1`, `localhost` or `[::1]`. No
/// query string, as with WeChat Pay.
pub(super) fn notify_url<'a>(body: &'a Value, field: &str) -> Result<&'a str, Reply> {
    let url = required(body, field, MAX_NOTIFY_URL)?;
    let host = |rest: &'a str| rest.split(['/', '#']).next().unwrap_or_default();
    let https = url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    let ok = if https {
        !host(&url[8..]).is_empty()
    } else if url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")) {
        let authority = host(&url[7..]);
        let name = match authority.rsplit_once(':') {
            Some((name, port)) if !port.contains(']') && port.parse::<u16>().is_ok() => name,
            _ => authority,
        };
        name == "127.0.0.1" || name == "[::1]" || name.eq_ignore_ascii_case("localhost")
    } else {
        false
    };
    if !ok {
        return Err(param(
            field,
            "must be an https:// URL (the sandbox also accepts http:// to 127.0.0.1, localhost or [::1])",
        ));
    }
    if url.contains('?') || url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(param(field, "must not carry a query string, spaces or control characters"));
    }
    Ok(url)
}

/// The body must be a JSON object.
pub(super) fn object(body: &Value) -> Result<(), Reply> {
    if body.is_object() {
        Ok(())
    } else {
        Err(Reply::error(400, "PARAM_ERROR", "请求体必须是JSON对象 (the body must be a JSON object)"))
    }
}

/// The digits of `yyyyMMddHHmmss` in China Standard Time.
pub(crate) fn compact_time(now: i64) -> String {
    rfc3339_cst(now).chars().take(19).filter(char::is_ascii_digit).collect()
}

/// The digits of `yyyyMMdd` in China Standard Time.
pub(super) fn compact_date(now: i64) -> String {
    compact_time(now).chars().take(8).collect()
}

pub(super) fn random_digits(len: usize) -> String {
    random_alnum(len).bytes().map(|b| char::from(b'0' + b % 10)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notify_urls() {
        for good in [
            "https://shop.example/notify",
            "HTTPS://shop.example",
            "http://127.0.0.1:8080/n",
            "http://localhost/n",
            "http://[::1]:9/n",
        ] {
            assert!(notify_url(&json!({"u": good}), "u").is_ok(), "{good}");
        }
        for bad in [
            "http://shop.example/n",
            "http://localhost.example/n",
            "http://127.0.0.1.example/n",
            "https:///n",
            "https://shop.example/n?x=1",
            "ftp://127.0.0.1/",
            "",
        ] {
            assert!(notify_url(&json!({"u": bad}), "u").is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_have_wechat_pay_shapes() {
        let t = compact_time(1_732_426_175);
        assert_eq!(t, "20241124132935");
        assert!(random_digits(12).bytes().all(|b| b.is_ascii_digit()));
    }
}
