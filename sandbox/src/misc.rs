//! The endpoints without a module of their own: `GET v3/facemch/users/{face_sid}` (the seed),
//! the complaint-notification callback URL, the business-coupon budget, and `GET v3/certificates`.

use std::collections::HashMap;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::route::{Answer, Reply, Request, find, parse_query};
use crate::state::{State, newest_first};
use crate::{SignMode, keys::random_alnum, lock, notify};

/// In-memory state of the imitated endpoints.
#[derive(Default)]
pub(crate) struct Misc {
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

impl Misc {
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
        if let Some(current) = number("current_max_coupons")
            && current != entry.0
        {
            return Reply::error(400, "INVALID_REQUEST", format!("current_max_coupons is {} not {current}", entry.0));
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

/// The endpoints of this module: `GET v3/facemch/users/{face_sid}`, the complaint-notification URL,
/// the business-coupon budget, `GET v3/certificates`.
pub(crate) fn route(state: &State, request: &Request<'_>) -> Option<Answer> {
    let (pattern, params) = match find(TABLE, request)? {
        Ok(found) => found,
        Err(answer) => return Some(answer),
    };
    let json = request.json();
    let param = params.into_iter().next().unwrap_or_default();
    let reply = match pattern {
        "/v3/facemch/users/*" => {
            let merchant_key = lock(&state.misc).merchant_key.clone();
            facemch_user(&param, &parse_query(request.query), merchant_key.as_ref())
        }
        "/v3/merchant-service/complaint-notifications" => {
            lock(&state.misc).complaint_notifications(&state.mchid, request.method, &json)
        }
        "/v3/marketing/busifavor/stocks/*/budget" => lock(&state.misc).budget(&param, &json),
        _ => certificates(state, request.now),
    };
    Some(Answer::Json(reply))
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

/// `GET /v3/certificates`: the unexpired platform certificates, each encrypted with the APIv3 key; 404 in
/// public-key mode, as WeChat Pay answers merchants without platform certificates.
fn certificates(state: &State, now: i64) -> Reply {
    if state.mode == SignMode::PublicKey {
        return Reply::error(404, "RESOURCE_NOT_EXISTS", "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥");
    }
    let platforms = lock(&state.platforms);
    let mut data = Vec::new();
    for p in newest_first(&platforms, Some(now)) {
        let nonce = random_alnum(12);
        let sealed = match notify::seal(&state.apiv3_key, &nonce, "certificate", p.certificate_pem.as_bytes()) {
            Ok(sealed) => sealed,
            Err(e) => return Reply::error(500, "SYSTEM_ERROR", format!("sandbox: {e}")),
        };
        data.push(serde_json::json!({
            "serial_no": p.serial,
            "effective_time": notify::rfc3339_cst(p.not_before),
            "expire_time": notify::rfc3339_cst(p.not_after),
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": STANDARD.encode(&sealed),
            },
        }));
    }
    Reply::ok(serde_json::json!({ "data": data }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::matches;

    #[test]
    fn routing_patterns() {
        assert_eq!(matches("/v3/facemch/users/*", "/v3/facemch/users/abc"), Some(vec!["abc".to_owned()]));
        assert_eq!(matches("/v3/facemch/users/*", "/v3/facemch/users/"), None);
        assert_eq!(matches("/v3/facemch/users/*", "/v3/facemch/users/a/b"), None);
        let a = facemch_user("x", &parse_query("appid=wx1&sub_appid=wx2"), None);
        assert_eq!(a.status, 400, "info_type is required");
        let q = parse_query("info_type=ASK_UNIONID&appid=wx1&sub_appid=wx2");
        let (a, b) = (facemch_user("x", &q, None), facemch_user("x", &q, None));
        assert_eq!(a.status, 200);
        assert_eq!(a.body, b.body);
        assert!(a.body.as_ref().and_then(|v| v.get("sub_openid")).is_some());
        // Without the merchant key, real-name queries are refused.
        let q = parse_query("info_type=ASK_REAL_NAME&appid=wx1");
        assert_eq!(facemch_user("x", &q, None).status, 403);
    }
}
