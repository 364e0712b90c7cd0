//! The APIv2 (XML) slice of the sandbox: `pay/micropay` (付款码支付), `pay/orderquery` and
//! `secapi/pay/refund`, which, like WeChat Pay's, demands the merchant's API certificate over mutual
//! TLS.
//!
//! As WeChat Pay does: a request whose XML does not parse, whose `sign` does not verify or whose
//! `mch_id` is not the sandbox's gets an unsigned `return_code` `FAIL`; a business failure is a signed
//! `result_code` `FAIL` with `err_code` / `err_code_des`; a success is signed with the request's
//! `sign_type`. Answers are `200 text/xml` either way.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::v2codec::{SignType, parse, sign, to_xml, verify};
use crate::keys::random_alnum;
use crate::pay::compact_time;
use crate::route::{Answer, Request, Xml};
use crate::state::State;

/// The APIv2 paths the sandbox serves (as sent: without the SDK's `v2/` prefix).
pub(crate) const PATHS: [&str; 3] = ["/pay/micropay", "/pay/orderquery", "/secapi/pay/refund"];

/// An `auth_code` (付款码) that makes `micropay` answer `USERPAYING` (the payer must enter a password),
/// for testing the query loop: 18 digits, like a real one. The first `orderquery` still reports
/// `USERPAYING`; by the next one the payer has confirmed and the order is paid.
pub const AUTH_CODE_USERPAYING: &str = "134599999999999999";

#[derive(Clone)]
struct Order {
    transaction_id: String,
    total_fee: u64,
    refunded: u64,
    time_end: String,
    paid: bool,
    request: Map<String, Value>,
}

#[derive(Clone)]
struct Refund {
    refund_id: String,
    out_trade_no: String,
    refund_fee: u64,
}

/// APIv2 orders and refunds, by `out_trade_no` / `out_refund_no`.
#[derive(Default)]
pub(crate) struct Ledger {
    orders: HashMap<String, Order>,
    refunds: HashMap<String, Refund>,
}

fn return_fail(message: &str) -> Xml {
    let mut fields = Map::new();
    fields.insert("return_code".to_owned(), "FAIL".into());
    fields.insert("return_msg".to_owned(), message.into());
    Xml { status: 200, body: to_xml(&fields), refused: Some(message.to_owned()) }
}

/// Whether a request is for the APIv2 slice: one of its paths, or any request that carries XML and no
/// APIv3 `Authorization`.
pub(crate) fn claims(path: &str, content_type: Option<&str>, authorization: bool) -> bool {
    PATHS.contains(&path) || (!authorization && content_type.is_some_and(|ct| ct.starts_with("text/xml")))
}

/// Serves one APIv2 request: `None` for a path the slice does not serve.
pub(crate) fn route(state: &State, request: &Request<'_>) -> Option<Answer> {
    if !PATHS.contains(&request.path) {
        return None;
    }
    let merchant_certificate = request.connection.merchant_cert;
    Some(Answer::Xml(handle(&state.v2, &state.mchid, &state.apiv2_key, request, merchant_certificate)))
}

fn handle(ledger: &Mutex<Ledger>, mchid: &str, key: &str, request: &Request<'_>, merchant_certificate: bool) -> Xml {
    let now = request.now;
    let fields = match parse(request.body) {
        Ok(fields) => fields,
        Err(e) => return return_fail(&format!("XML格式错误 (the body is not XML: {e})")),
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    if fields.get("sign").is_none() {
        return return_fail("缺少参数sign (sign is missing)");
    }
    let sign_type = match SignType::from_field(fields.get("sign_type").and_then(Value::as_str)) {
        Ok(t) => t,
        Err(_) => return return_fail("sign_type参数错误 (sign_type must be MD5 or HMAC-SHA256)"),
    };
    match verify(&fields, key) {
        Some(used) if used == sign_type => {}
        _ => return return_fail("签名错误 (the sign does not verify with the APIv2 key)"),
    }
    if text("mch_id") != mchid {
        return return_fail("mch_id参数错误 (mch_id is not this merchant's)");
    }
    if text("nonce_str").is_empty() || text("nonce_str").len() > 32 {
        return return_fail("nonce_str参数错误 (nonce_str must be 1 to 32 characters)");
    }
    if request.path.starts_with("/secapi/") && !merchant_certificate {
        return return_fail("证书错误 (this endpoint needs the merchant API certificate over mutual TLS)");
    }

    let mut guard = match ledger.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    let outcome = match request.path {
        "/pay/micropay" => micropay(&mut guard, &fields, now),
        "/pay/orderquery" => orderquery(&mut guard, &fields),
        _ => refund(&mut guard, &fields),
    };
    drop(guard);
    let mut answer = Map::new();
    answer.insert("return_code".to_owned(), "SUCCESS".into());
    answer.insert("return_msg".to_owned(), "OK".into());
    for name in ["appid", "mch_id", "sub_mch_id", "device_info"] {
        if let Some(v) = fields.get(name) {
            answer.insert(name.to_owned(), v.clone());
        }
    }
    answer.insert("nonce_str".to_owned(), random_alnum(16).into());
    let refused = match outcome {
        Ok(result) => {
            answer.insert("result_code".to_owned(), "SUCCESS".into());
            answer.extend(result);
            None
        }
        Err((code, description)) => {
            answer.insert("result_code".to_owned(), "FAIL".into());
            answer.insert("err_code".to_owned(), code.into());
            answer.insert("err_code_des".to_owned(), description.clone().into());
            Some(format!("{code}: {description}"))
        }
    };
    if sign_type == SignType::HmacSha256 {
        answer.insert("sign_type".to_owned(), sign_type.as_str().into());
    }
    answer.insert("sign".to_owned(), sign(sign_type, &answer, key).into());
    Xml { status: 200, body: to_xml(&answer), refused }
}

type Outcome = Result<Map<String, Value>, (&'static str, String)>;

fn param(name: &str, issue: &str) -> (&'static str, String) {
    ("PARAM_ERROR", format!("{name}参数错误 ({name} {issue})"))
}

fn fee(fields: &Map<String, Value>, name: &str) -> Result<u64, (&'static str, String)> {
    let text = fields.get(name).and_then(Value::as_str).ok_or_else(|| param(name, "is required"))?;
    text.parse::<u64>().ok().filter(|f| *f > 0).ok_or_else(|| param(name, "must be a positive number of fen"))
}

fn required<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, (&'static str, String)> {
    fields.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| param(name, "is required"))
}

fn order_fields(out_trade_no: &str, order: &Order) -> Map<String, Value> {
    let mut result = Map::new();
    for name in ["openid", "trade_type", "bank_type", "fee_type", "attach"] {
        let value = match name {
            "openid" => "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "trade_type" => "MICROPAY",
            "bank_type" => "OTHERS",
            "fee_type" => "CNY",
            _ => order.request.get("attach").and_then(Value::as_str).unwrap_or_default(),
        };
        result.insert(name.to_owned(), value.into());
    }
    result.insert("total_fee".to_owned(), order.total_fee.to_string().into());
    result.insert("cash_fee".to_owned(), order.total_fee.to_string().into());
    result.insert("transaction_id".to_owned(), order.transaction_id.clone().into());
    result.insert("out_trade_no".to_owned(), out_trade_no.into());
    result.insert("time_end".to_owned(), order.time_end.clone().into());
    result
}

fn micropay(ledger: &mut Ledger, fields: &Map<String, Value>, now: i64) -> Outcome {
    for name in ["appid", "body", "spbill_create_ip"] {
        required(fields, name)?;
    }
    let out_trade_no = required(fields, "out_trade_no")?;
    let total_fee = fee(fields, "total_fee")?;
    let auth_code = required(fields, "auth_code")?;
    let valid_code = auth_code.len() == 18
        && auth_code.bytes().all(|b| b.is_ascii_digit())
        && ("10".."16").contains(&&auth_code[..2]);
    if !valid_code {
        return Err((
            "AUTH_CODE_INVALID",
            "付款码无效，请重新扫码 (auth_code must be 18 digits starting 10–15)".to_owned(),
        ));
    }
    let mut request = fields.clone();
    for volatile in ["nonce_str", "sign", "sign_type"] {
        request.shift_remove(volatile);
    }
    if let Some(order) = ledger.orders.get(out_trade_no) {
        if order.request != request {
            return Err(("OUT_TRADE_NO_USED", "商户订单号重复 (out_trade_no was used for another order)".to_owned()));
        }
        if order.paid {
            return Ok(order_fields(out_trade_no, order));
        }
    }
    let paid = auth_code != AUTH_CODE_USERPAYING;
    let order = ledger.orders.entry(out_trade_no.to_owned()).or_insert_with(|| Order {
        transaction_id: format!(
            "4200{}",
            random_alnum(24).bytes().map(|b| char::from(b'0' + b % 10)).collect::<String>()
        ),
        total_fee,
        refunded: 0,
        time_end: compact_time(now),
        paid,
        request,
    });
    if order.paid {
        Ok(order_fields(out_trade_no, order))
    } else {
        Err(("USERPAYING", "需要用户输入支付密码 (the payer must confirm; query the order)".to_owned()))
    }
}

fn find<'a>(ledger: &'a Ledger, fields: &Map<String, Value>) -> Result<(String, &'a Order), (&'static str, String)> {
    let by_id = fields.get("transaction_id").and_then(Value::as_str).filter(|s| !s.is_empty());
    let by_no = fields.get("out_trade_no").and_then(Value::as_str).filter(|s| !s.is_empty());
    let found = match (by_id, by_no) {
        (Some(id), _) => ledger.orders.iter().find(|(_, o)| o.transaction_id == id),
        (None, Some(no)) => ledger.orders.get_key_value(no),
        (None, None) => return Err(param("out_trade_no", "or transaction_id is required")),
    };
    found
        .map(|(no, order)| (no.clone(), order))
        .ok_or_else(|| ("ORDERNOTEXIST", "此交易订单号不存在 (no such order)".to_owned()))
}

fn orderquery(ledger: &mut Ledger, fields: &Map<String, Value>) -> Outcome {
    let (out_trade_no, order) = find(ledger, fields)?;
    let (out_trade_no, order) = (out_trade_no, order.clone());
    // The payer confirms while the merchant polls: the next query finds the order paid.
    if let Some(stored) = ledger.orders.get_mut(&out_trade_no) {
        stored.paid = true;
    }
    let mut result = order_fields(&out_trade_no, &order);
    let state = match (order.paid, order.refunded) {
        (false, _) => "USERPAYING",
        (true, 0) => "SUCCESS",
        (true, _) => "REFUND",
    };
    result.insert("trade_state".to_owned(), state.into());
    result.insert(
        "trade_state_desc".to_owned(),
        if state == "USERPAYING" { "需要用户输入支付密码" } else { "支付成功" }.into(),
    );
    if !order.paid {
        for name in ["transaction_id", "time_end", "bank_type", "cash_fee"] {
            result.shift_remove(name);
        }
    }
    Ok(result)
}

fn refund(ledger: &mut Ledger, fields: &Map<String, Value>) -> Outcome {
    let out_refund_no = required(fields, "out_refund_no")?.to_owned();
    let total_fee = fee(fields, "total_fee")?;
    let refund_fee = fee(fields, "refund_fee")?;
    let (out_trade_no, order) = find(ledger, fields)?;
    if !order.paid {
        return Err(("TRADE_STATE_ERROR", "订单状态错误 (the order is not paid)".to_owned()));
    }
    if total_fee != order.total_fee {
        return Err(param("total_fee", "is not the order's amount"));
    }
    let transaction_id = order.transaction_id.clone();
    let (refund_id, refund_fee) = match ledger.refunds.get(&out_refund_no) {
        // Idempotent: the same out_refund_no answers the same refund.
        Some(existing) if existing.out_trade_no == out_trade_no && existing.refund_fee == refund_fee => {
            (existing.refund_id.clone(), existing.refund_fee)
        }
        Some(_) => return Err(param("out_refund_no", "was used for another refund")),
        None => {
            if order.refunded + refund_fee > order.total_fee {
                return Err((
                    "NOTENOUGH",
                    "退款金额大于订单可退金额 (more than the order's refundable amount)".to_owned(),
                ));
            }
            let refund_id =
                format!("5030{}", random_alnum(24).bytes().map(|b| char::from(b'0' + b % 10)).collect::<String>());
            ledger.refunds.insert(
                out_refund_no.clone(),
                Refund { refund_id: refund_id.clone(), out_trade_no: out_trade_no.clone(), refund_fee },
            );
            if let Some(order) = ledger.orders.get_mut(&out_trade_no) {
                order.refunded += refund_fee;
            }
            (refund_id, refund_fee)
        }
    };
    let mut result = Map::new();
    result.insert("transaction_id".to_owned(), transaction_id.into());
    result.insert("out_trade_no".to_owned(), out_trade_no.into());
    result.insert("out_refund_no".to_owned(), out_refund_no.into());
    result.insert("refund_id".to_owned(), refund_id.into());
    result.insert("refund_fee".to_owned(), refund_fee.to_string().into());
    result.insert("total_fee".to_owned(), total_fee.to_string().into());
    result.insert("cash_fee".to_owned(), total_fee.to_string().into());
    result.insert("cash_refund_fee".to_owned(), refund_fee.to_string().into());
    Ok(result)
}

/// The `bad-signature` fault: the answer's `sign` with its first character changed.
pub(crate) fn tamper_sign(xml: &str) -> String {
    let Some(mut start) = xml.find("<sign>").map(|i| i + "<sign>".len()) else { return xml.to_owned() };
    if xml[start..].starts_with("<![CDATA[") {
        start += "<![CDATA[".len();
    }
    let replacement = match xml.get(start..start + 1) {
        Some("0") => "1",
        Some(c) if c != "<" => "0",
        _ => return xml.to_owned(),
    };
    let mut out = xml.to_owned();
    out.replace_range(start..start + 1, replacement);
    out
}
