//! WeChat Pay's rules for every authenticated request before routing: a body comes as
//! `application/json` (or `multipart/form-data`, for uploads), and a `mchid` in a JSON body or in the
//! query string is the signing merchant's.

use serde_json::Value;

use crate::route::{Reply, Request, param_error, parse_query};

/// `Err` with the `400 PARAM_ERROR` answer when `request` breaks a rule.
pub(crate) fn screen(mchid: &str, request: &Request<'_>) -> Result<(), Reply> {
    let content_type = request.header("content-type");
    let media = content_type.and_then(|ct| ct.split(';').next()).map(str::trim).unwrap_or_default();
    let mut json = Value::Null;
    if !request.body.is_empty() {
        if media.eq_ignore_ascii_case("application/json") {
            json = serde_json::from_slice(request.body)
                .map_err(|_| Reply::error(400, "PARAM_ERROR", "请求体不是合法的JSON (the body is not valid JSON)"))?;
        } else if !media.eq_ignore_ascii_case("multipart/form-data") {
            return Err(Reply::error(
                400,
                "PARAM_ERROR",
                format!(
                    "请求体的Content-Type必须是application/json (a request body must be sent as application/json, \
                     not `{}`)",
                    content_type.unwrap_or("none")
                ),
            ));
        }
    }
    let mismatch = "mchid与签名商户号不一致 (mchid differs from the merchant that signed the request)";
    if json.get("mchid").is_some_and(|m| m.as_str() != Some(mchid)) {
        return Err(param_error("mchid", "body", mismatch));
    }
    if parse_query(request.query).get("mchid").is_some_and(|m| m != mchid) {
        return Err(param_error("mchid", "query", mismatch));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::Connection;

    fn screened(content_type: Option<&str>, query: &str, body: &[u8]) -> Result<(), Reply> {
        let mut headers = http::HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert("content-type", http::HeaderValue::from_str(ct).expect("header"));
        }
        let request = Request {
            method: "POST",
            path: "/v3/x",
            query,
            headers: &headers,
            body,
            now: 0,
            connection: Connection::default(),
        };
        screen("1", &request)
    }

    #[test]
    fn screening() {
        let json = Some("application/json; charset=utf-8");
        assert!(screened(json, "", b"{\"mchid\":\"1\"}").is_ok());
        assert!(screened(None, "mchid=1", b"").is_ok());
        assert!(screened(Some("multipart/form-data; boundary=x"), "", b"--x").is_ok());
        for (ct, query, body) in [
            (json, "", &b"{\"mchid\":\"2\"}"[..]),
            (json, "", b"{\"mchid\":1}"),
            (json, "mchid=2", b""),
            (json, "", b"{"),
            (Some("text/plain"), "", b"a"),
            (None, "", b"a"),
        ] {
            let reply = screened(ct, query, body).expect_err("refused");
            assert_eq!(reply.status, 400);
        }
    }
}
