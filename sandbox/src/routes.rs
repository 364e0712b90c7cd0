//! The endpoints the sandbox imitates, with their state.

use std::collections::HashMap;

use ring::digest;
use serde_json::{Value, json};

/// A route's answer: status and JSON body (`None` for an empty body).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
}

impl Reply {
    pub(crate) fn ok(body: Value) -> Reply {
        Reply { status: 200, body: Some(body) }
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply { status, body: None }
    }

    pub(crate) fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply { status, body: Some(json!({"code": code, "message": message.into()})) }
    }

    pub(crate) fn field_error(status: u16, code: &str, message: &str, field: &str, issue: &str) -> Reply {
        Reply {
            status,
            body: Some(json!({
                "code": code,
                "message": message,
                "detail": {"field": field, "location": "body", "issue": issue},
            })),
        }
    }
}

/// In-memory state of the imitated endpoints.
#[derive(Default)]
pub(crate) struct Routes {
    /// The merchant's public key, which encrypts `ASK_REAL_NAME` answers; without it they answer 403.
    pub(crate) merchant_key: Option<rsa::PublicKey>,
    complaint_notify_url: Option<String>,
    budgets: HashMap<String, (u64, u64)>,
}

/// The method/path table: patterns use `*` for one placeholder segment.
const TABLE: &[(&str, &str)] = &[
    ("GET", "/v3/facemch/users/*"),
    ("GET", "/v3/merchant-service/complaint-notifications"),
    ("POST", "/v3/merchant-service/complaint-notifications"),
    ("PUT", "/v3/merchant-service/complaint-notifications"),
    ("DELETE", "/v3/merchant-service/complaint-notifications"),
    ("PATCH", "/v3/marketing/busifavor/stocks/*/budget"),
    ("GET", "/v3/certificates"),
];

pub(crate) fn matches(pattern: &str, path: &str) -> Option<Vec<String>> {
    let mut params = Vec::new();
    let mut p = pattern.split('/');
    let mut s = path.split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return Some(params),
            (Some("*"), Some(seg)) if !seg.is_empty() => {
                params.push(percent_encoding::percent_decode_str(seg).decode_utf8_lossy().into_owned());
            }
            (Some(a), Some(b)) if a == b => {}
            _ => return None,
        }
    }
}

/// Decodes `a=1&b=%20` into pairs (first value wins).
pub(crate) fn parse_query(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        out.entry(decode(k)).or_insert_with(|| decode(v));
    }
    out
}

/// A stable pseudo-identifier derived from its inputs (so repeated queries agree).
fn derive_id(prefix: &str, parts: &[&str]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(p.as_bytes());
        ctx.update(b"\x1f");
    }
    let d = ctx.finish();
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let tail: String = d.as_ref().iter().take(26).map(|b| ALPHABET[usize::from(b % 64)] as char).collect();
    format!("{prefix}{tail}")
}

impl Routes {
    /// Dispatches an authenticated request. `mchid` is the sandbox merchant; `certificates` answers
    /// `GET /v3/certificates` (from the sandbox's key state, which these routes do not hold).
    pub(crate) fn handle(
        &mut self,
        mchid: &str,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        certificates: impl FnOnce() -> Reply,
    ) -> Reply {
        let mut path_known = false;
        for (m, pattern) in TABLE {
            let Some(params) = matches(pattern, path) else { continue };
            path_known = true;
            if *m != method {
                continue;
            }
            let json: Value =
                if body.is_empty() { Value::Null } else { serde_json::from_slice(body).unwrap_or(Value::Null) };
            return match *pattern {
                "/v3/facemch/users/*" => facemch_user(&params[0], &parse_query(query), self.merchant_key.as_ref()),
                "/v3/merchant-service/complaint-notifications" => self.complaint_notifications(mchid, method, &json),
                "/v3/marketing/busifavor/stocks/*/budget" => self.budget(&params[0], &json),
                "/v3/certificates" => certificates(),
                _ => Reply::error(404, "RESOURCE_NOT_EXISTS", "sandbox: no such endpoint"),
            };
        }
        if path_known {
            Reply::error(405, "METHOD_NOT_ALLOWED", format!("sandbox: {method} is not allowed on {path}"))
        } else {
            Reply::error(404, "RESOURCE_NOT_EXISTS", format!("sandbox: no endpoint at {path}"))
        }
    }

    fn complaint_notifications(&mut self, mchid: &str, method: &str, json: &Value) -> Reply {
        let url = || json.get("url").and_then(Value::as_str).map(str::to_owned);
        match method {
            "GET" => match &self.complaint_notify_url {
                Some(url) => Reply::ok(json!({"mchid": mchid, "url": url})),
                None => Reply::error(404, "RESOURCE_NOT_EXISTS", "投诉通知回调地址不存在 (no callback configured)"),
            },
            "POST" | "PUT" => {
                let Some(url) = url() else {
                    return Reply::field_error(400, "PARAM_ERROR", "参数错误", "url", "url is required");
                };
                if !url.starts_with("https://") {
                    return Reply::field_error(400, "PARAM_ERROR", "参数错误", "url", "url must be https");
                }
                match (method, self.complaint_notify_url.is_some()) {
                    ("POST", true) => {
                        Reply::error(400, "INVALID_REQUEST", "投诉通知回调地址已存在 (already configured; use PUT)")
                    }
                    ("PUT", false) => {
                        Reply::error(404, "RESOURCE_NOT_EXISTS", "投诉通知回调地址不存在 (create it with POST)")
                    }
                    _ => {
                        self.complaint_notify_url = Some(url.clone());
                        Reply::ok(json!({"mchid": mchid, "url": url}))
                    }
                }
            }
            _ => {
                self.complaint_notify_url = None;
                Reply::empty(204)
            }
        }
    }

    fn budget(&mut self, stock_id: &str, json: &Value) -> Reply {
        if json.get("modify_budget_request_no").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Reply::field_error(400, "PARAM_ERROR", "参数错误", "modify_budget_request_no", "required");
        }
        let entry = self.budgets.entry(stock_id.to_owned()).or_insert((1000, 100));
        let number = |name: &str| json.get(name).and_then(Value::as_u64);
        if let Some(current) = number("current_max_coupons") {
            if current != entry.0 {
                return Reply::error(
                    400,
                    "INVALID_REQUEST",
                    format!("current_max_coupons is {} not {current}", entry.0),
                );
            }
        }
        match (number("target_max_coupons"), number("target_max_coupons_by_day")) {
            (Some(total), None) => {
                entry.0 = total;
                Reply::ok(json!({"max_coupons": total}))
            }
            (None, Some(day)) => {
                entry.1 = day;
                Reply::ok(json!({"max_coupons_by_day": day}))
            }
            _ => Reply::field_error(
                400,
                "PARAM_ERROR",
                "参数错误",
                "target_max_coupons",
                "give exactly one of target_max_coupons and target_max_coupons_by_day",
            ),
        }
    }
}

fn facemch_user(face_sid: &str, query: &HashMap<String, String>, merchant_key: Option<&rsa::PublicKey>) -> Reply {
    let Some(appid) = query.get("appid").filter(|a| !a.is_empty()) else {
        return Reply::error(400, "PARAM_ERROR", "参数错误: appid is required");
    };
    let real_name = match (query.get("info_type").map(String::as_str), merchant_key) {
        (Some("ASK_UNIONID"), _) => None,
        (Some("ASK_REAL_NAME"), Some(key)) => match super::realname::real_name_info(face_sid, key) {
            Ok(info) => Some(info),
            Err(e) => return Reply::error(500, "SYSTEM_ERROR", format!("sandbox: {e}")),
        },
        (Some("ASK_REAL_NAME"), None) => {
            return Reply::error(
                403,
                "NO_AUTH",
                "商户无权限获取实名信息 (this sandbox merchant has no real-name permission)",
            );
        }
        _ => return Reply::error(400, "PARAM_ERROR", "参数错误: info_type must be ASK_UNIONID or ASK_REAL_NAME"),
    };
    let mut body = json!({
        "union_id": derive_id("oU", &["union", face_sid]),
        "openid": derive_id("o", &["openid", appid, face_sid]),
    });
    if let Some(sub_appid) = query.get("sub_appid").filter(|a| !a.is_empty()) {
        body["sub_openid"] = json!(derive_id("o", &["openid", sub_appid, face_sid]));
    }
    if let Some(info) = real_name {
        body["real_name_info"] = info;
    }
    Reply::ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing() {
        assert_eq!(matches("/v3/facemch/users/*", "/v3/facemch/users/abc"), Some(vec!["abc".to_owned()]));
        assert_eq!(matches("/v3/facemch/users/*", "/v3/facemch/users/"), None);
        assert_eq!(matches("/v3/facemch/users/*", "/v3/facemch/users/a/b"), None);
        let mut r = Routes::default();
        let certs = || Reply::ok(json!({"data": []}));
        assert_eq!(r.handle("1", "GET", "/v3/nope", "", b"", certs).status, 404);
        assert_eq!(r.handle("1", "POST", "/v3/facemch/users/x", "", b"", certs).status, 405);
        assert_eq!(r.handle("1", "GET", "/v3/certificates", "", b"", certs).body, Some(json!({"data": []})));
        assert_eq!(r.handle("1", "POST", "/v3/certificates", "", b"", certs).status, 405);
        let q = "info_type=ASK_UNIONID&appid=wx1&sub_appid=wx2";
        let a = r.handle("1", "GET", "/v3/facemch/users/x", q, b"", certs);
        let b = r.handle("1", "GET", "/v3/facemch/users/x", q, b"", certs);
        assert_eq!(a.status, 200);
        assert_eq!(a.body, b.body);
        assert!(a.body.as_ref().and_then(|v| v.get("sub_openid")).is_some());
        // Without the merchant key, real-name queries are refused.
        let q = "info_type=ASK_REAL_NAME&appid=wx1";
        assert_eq!(r.handle("1", "GET", "/v3/facemch/users/x", q, b"", certs).status, 403);
    }
}
