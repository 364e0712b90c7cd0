//! `POST /v3/profitsharing/receivers/add` (添加分账接收方): the endpoint with an encrypted field.
//!
//! `name` is encrypted by the merchant with RSA-OAEP/SHA-1 under a WeChat Pay key, and the request's
//! `Wechatpay-Serial` names that key. As WeChat Pay does, the sandbox decrypts `name` with the private key
//! of the key the header names (the WeChat Pay public key or any platform certificate it ever held); a
//! field that does not decrypt answers `400 PARAM_ERROR`. The answer echoes the receiver without `name`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::route::{Answer, Reply, Request, matches, method_not_allowed};
use crate::state::State;

const PATH: &str = "/v3/profitsharing/receivers/add";

const TYPES: [&str; 3] = ["MERCHANT_ID", "PERSONAL_OPENID", "PERSONAL_SUB_OPENID"];

const RELATIONS: [&str; 11] = [
    "STORE",
    "STAFF",
    "STORE_OWNER",
    "PARTNER",
    "HEADQUARTER",
    "BRAND",
    "DISTRIBUTOR",
    "USER",
    "SUPPLIER",
    "CUSTOM",
    "SERVICE_PROVIDER",
];

/// Answers the profit-sharing receiver endpoint; `None` for other paths.
pub(crate) fn route(state: &State, request: &Request<'_>) -> Option<Answer> {
    matches(PATH, request.path)?;
    if request.method != "POST" {
        return Some(method_not_allowed(request));
    }
    let json = request.json();
    let Some(fields) = json.as_object() else {
        return Some(Answer::Json(Reply::error(
            400,
            "PARAM_ERROR",
            "请求体必须是JSON对象 (the body must be a JSON object)",
        )));
    };
    let serial = request.header("wechatpay-serial");
    Some(Answer::Json(add_receiver(state, fields, serial).unwrap_or_else(|reply| reply)))
}

fn add_receiver(state: &State, fields: &Map<String, Value>, serial: Option<&str>) -> Result<Reply, Reply> {
    let text = |name: &str| fields.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let required =
        |name: &str| text(name).ok_or_else(|| Reply::field_error(400, "PARAM_ERROR", "参数错误", name, "required"));
    required("appid")?;
    let kind = required("type")?;
    if !TYPES.contains(&kind) {
        return Err(Reply::field_error(400, "PARAM_ERROR", "参数错误", "type", "unknown receiver type"));
    }
    let account = required("account")?;
    let relation = required("relation_type")?;
    if !RELATIONS.contains(&relation) {
        return Err(Reply::field_error(400, "PARAM_ERROR", "参数错误", "relation_type", "unknown relation type"));
    }
    let custom = text("custom_relation");
    if relation == "CUSTOM" && custom.is_none() {
        return Err(Reply::field_error(400, "PARAM_ERROR", "参数错误", "custom_relation", "required for CUSTOM"));
    }
    match text("name") {
        Some(ciphertext) => decrypt_name(state, serial, ciphertext)?,
        None if kind == "MERCHANT_ID" => {
            return Err(Reply::field_error(400, "PARAM_ERROR", "参数错误", "name", "required for MERCHANT_ID"));
        }
        None => {}
    }
    let mut answer = json!({"type": kind, "account": account, "relation_type": relation});
    if let Some(custom) = custom {
        answer["custom_relation"] = json!(custom);
    }
    if let Some(sub_mchid) = text("sub_mchid") {
        answer["sub_mchid"] = json!(sub_mchid);
    }
    Ok(Reply::ok(answer))
}

/// Decrypts `name` with the private key of the key `serial` names; the plaintext is checked and dropped.
fn decrypt_name(state: &State, serial: Option<&str>, ciphertext: &str) -> Result<(), Reply> {
    let Some(serial) = serial else {
        return Err(Reply::error(
            400,
            "PARAM_ERROR",
            "HTTP头缺少Wechatpay-Serial (a request with encrypted fields must name the key in Wechatpay-Serial)",
        ));
    };
    let key = if serial == state.public.id {
        Some(state.public_key_pair.private.clone())
    } else {
        super::lock(&state.platforms).iter().find(|p| p.serial == serial).map(|p| p.pair.private.clone())
    };
    let Some(key) = key else {
        return Err(Reply::error(
            400,
            "PARAM_ERROR",
            format!("Wechatpay-Serial `{serial}` 无效 (names no WeChat Pay public key or platform certificate)"),
        ));
    };
    let decrypted = STANDARD
        .decode(ciphertext)
        .ok()
        .and_then(|bytes| key.oaep_decrypt::<sha1::Sha1>(&bytes).ok())
        .filter(|plain| !plain.is_empty() && std::str::from_utf8(plain).is_ok());
    match decrypted {
        Some(_) => Ok(()),
        None => Err(Reply::field_error(
            400,
            "PARAM_ERROR",
            "敏感信息解密失败 (decryption failed: Wechatpay-Serial does not name the key the field was encrypted with)",
            "name",
            "decryption failed",
        )),
    }
}
