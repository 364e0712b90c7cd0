//! Orders (JSAPI, APP, H5, Native), their payment, closing and refunds; WeChat Pay's rules for every
//! API request (a JSON body, the signing merchant's `mchid`); and the sandbox's control plane
//! (`/_sandbox/…`), which needs no `Authorization`.

use std::collections::HashMap;
use std::net::IpAddr;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::keys::random_alnum;
use super::notify::{self, ForgedNotification, NotificationSpec, rfc3339_cst};
use super::routes::{Reply, matches, parse_query};
use super::{Sandbox, State, lock};
use crate::error::Error;

/// The endpoints of this module (`*`: one placeholder segment).
const TABLE: &[(&str, &str)] = &[
    ("POST", "/v3/pay/transactions/jsapi"),
    ("POST", "/v3/pay/transactions/app"),
    ("POST", "/v3/pay/transactions/h5"),
    ("POST", "/v3/pay/transactions/native"),
    ("GET", "/v3/pay/transactions/out-trade-no/*"),
    ("GET", "/v3/pay/transactions/id/*"),
    ("POST", "/v3/pay/transactions/out-trade-no/*/close"),
    ("POST", "/v3/refund/domestic/refunds"),
    ("GET", "/v3/refund/domestic/refunds/*"),
];

/// The control plane: sandbox operations for programs that cannot call [`Sandbox`] methods.
const CONTROL: &[(&str, &str)] = &[("POST", "/_sandbox/pay/*")];

/// The longest `notify_url` WeChat Pay accepts.
const MAX_NOTIFY_URL: usize = 256;

/// Orders and refunds by their merchant numbers.
#[derive(Default)]
pub(crate) struct Ledger {
    orders: HashMap<String, Order>,
    refunds: HashMap<String, Refund>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jsapi,
    App,
    H5,
    Native,
}

impl Kind {
    fn from_path(path: &str) -> Option<Kind> {
        match path.strip_prefix("/v3/pay/transactions/")? {
            "jsapi" => Some(Kind::Jsapi),
            "app" => Some(Kind::App),
            "h5" => Some(Kind::H5),
            "native" => Some(Kind::Native),
            _ => None,
        }
    }

    fn trade_type(self) -> &'static str {
        match self {
            Kind::Jsapi => "JSAPI",
            Kind::App => "APP",
            Kind::H5 => "MWEB",
            Kind::Native => "NATIVE",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TradeState {
    NotPay,
    Success,
    Closed,
    Refund,
}

struct Order {
    kind: Kind,
    /// The creating request's body and the answer to it, for idempotent replays.
    request: Value,
    answer: Value,
    appid: String,
    mchid: String,
    out_trade_no: String,
    attach: Option<String>,
    notify_url: String,
    total: u64,
    currency: String,
    /// From `payer.openid` (JSAPI), otherwise assigned at payment.
    openid: Option<String>,
    state: TradeState,
    paid: Option<Paid>,
    refunded: u64,
}

struct Paid {
    transaction_id: String,
    success_time: String,
}

impl Order {
    /// The order as `GET /v3/pay/transactions/out-trade-no/{out_trade_no}` answers it. Like WeChat Pay,
    /// the payment's fields (`transaction_id`, `trade_type`, `bank_type`, `success_time`, `payer`,
    /// `amount.payer_total`) appear once it is paid.
    fn json(&self) -> Value {
        let mut o = Map::new();
        let mut put = |k: &str, v: Value| o.insert(k.to_owned(), v);
        put("appid", json!(self.appid));
        put("mchid", json!(self.mchid));
        put("out_trade_no", json!(self.out_trade_no));
        if let Some(paid) = &self.paid {
            put("transaction_id", json!(paid.transaction_id));
            put("trade_type", json!(self.kind.trade_type()));
        }
        let (state, desc) = match self.state {
            TradeState::NotPay => ("NOTPAY", "订单未支付"),
            TradeState::Success => ("SUCCESS", "支付成功"),
            TradeState::Closed => ("CLOSED", "订单已关闭"),
            TradeState::Refund => ("REFUND", "转入退款"),
        };
        put("trade_state", json!(state));
        put("trade_state_desc", json!(desc));
        if let Some(attach) = &self.attach {
            put("attach", json!(attach));
        }
        match &self.paid {
            Some(paid) => {
                put("bank_type", json!("OTHERS"));
                put("success_time", json!(paid.success_time));
                put("payer", json!({"openid": self.openid}));
                put(
                    "amount",
                    json!({"total": self.total, "payer_total": self.total, "currency": self.currency,
                           "payer_currency": self.currency}),
                );
            }
            None => {
                put("amount", json!({"total": self.total, "currency": self.currency, "payer_currency": self.currency}));
            }
        }
        Value::Object(o)
    }
}

struct Refund {
    /// The creating request's body and the answer to it, for idempotent replays.
    request: Value,
    answer: Value,
}

impl Refund {
    /// The refund as `GET /v3/refund/domestic/refunds/{out_refund_no}` answers it: refunds settle at once.
    fn settled(&self) -> Value {
        let mut settled = Map::new();
        for (k, v) in self.answer.as_object().into_iter().flatten() {
            match k.as_str() {
                "create_time" => {
                    settled.insert("success_time".to_owned(), v.clone());
                    settled.insert(k.clone(), v.clone());
                }
                "status" => {
                    settled.insert(k.clone(), json!("SUCCESS"));
                }
                _ => {
                    settled.insert(k.clone(), v.clone());
                }
            }
        }
        Value::Object(settled)
    }
}

/// A 400 `PARAM_ERROR` naming the offending field (dotted for nested ones: `amount.total`).
fn field_error(field: &str, location: &str, issue: impl Into<String>) -> Reply {
    let issue = issue.into();
    Reply {
        status: 400,
        body: Some(json!({
            "code": "PARAM_ERROR",
            "message": format!("参数错误 (invalid parameter) {field}: {issue}"),
            "detail": {"field": field, "location": location, "issue": issue},
        })),
    }
}

fn param(field: &str, issue: impl Into<String>) -> Reply {
    field_error(field, "body", issue)
}

fn order_not_exist() -> Reply {
    Reply::error(404, "ORDER_NOT_EXIST", "订单不存在 (no such order)")
}

fn order_paid(status: u16) -> Reply {
    Reply::error(status, "ORDERPAID", "该订单已支付 (the order is already paid)")
}

fn order_closed() -> Reply {
    Reply::error(400, "ORDER_CLOSED", "订单已关闭 (the order is closed)")
}

/// The value at a dotted path (`amount.total`).
fn lookup<'a>(body: &'a Value, field: &str) -> Option<&'a Value> {
    field.split('.').try_fold(body, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// An optional string of at most `max` characters.
fn text<'a>(body: &'a Value, field: &str, max: usize) -> Result<Option<&'a str>, Reply> {
    match lookup(body, field) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => Err(param(field, format!("longer than {max} characters"))),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(param(field, "must be a string")),
    }
}

/// A required non-empty string of at most `max` characters.
fn required<'a>(body: &'a Value, field: &str, max: usize) -> Result<&'a str, Reply> {
    text(body, field, max)?.filter(|s| !s.is_empty()).ok_or_else(|| param(field, "is required"))
}

/// A required integer amount in fen, above zero.
fn amount(body: &Value, field: &str) -> Result<u64, Reply> {
    let value = lookup(body, field).ok_or_else(|| param(field, "is required"))?;
    value.as_u64().filter(|n| *n > 0).ok_or_else(|| param(field, "must be an integer above 0 (fen)"))
}

/// `amount.currency`: only `CNY`; `default` when absent (`None`: required).
fn currency(body: &Value, default: Option<&'static str>) -> Result<String, Reply> {
    let field = "amount.currency";
    match (text(body, field, 16)?, default) {
        (Some("CNY"), _) | (None, Some("CNY")) => Ok("CNY".to_owned()),
        (None, _) => Err(param(field, "is required")),
        (Some(_), _) => Err(param(field, "only CNY is supported")),
    }
}

/// A merchant number: `min..=max` characters of `0-9A-Za-z` and `extra`.
fn number<'a>(body: &'a Value, field: &str, min: usize, max: usize, extra: &str) -> Result<&'a str, Reply> {
    let value = required(body, field, max)?;
    if value.len() < min || !value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c)) {
        return Err(param(field, format!("must be {min} to {max} characters of 0-9, A-Z, a-z and `{extra}`")));
    }
    Ok(value)
}

/// A notification URL: `https://` with a host, as WeChat Pay demands, or — a sandbox deviation, so that
/// local endpoints can receive notifications — `http://` to `127.0.0.1`, `localhost` or `[::1]`. No
/// query string, as with WeChat Pay.
fn notify_url<'a>(body: &'a Value, field: &str) -> Result<&'a str, Reply> {
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
fn object(body: &Value) -> Result<(), Reply> {
    if body.is_object() {
        Ok(())
    } else {
        Err(Reply::error(400, "PARAM_ERROR", "请求体必须是JSON对象 (the body must be a JSON object)"))
    }
}

/// The digits of `yyyyMMddHHmmss` in China Standard Time.
pub(super) fn compact_time(now: i64) -> String {
    rfc3339_cst(now).chars().take(19).filter(char::is_ascii_digit).collect()
}

/// The digits of `yyyyMMdd` in China Standard Time.
fn compact_date(now: i64) -> String {
    compact_time(now).chars().take(8).collect()
}

fn random_digits(len: usize) -> String {
    random_alnum(len).bytes().map(|b| char::from(b'0' + b % 10)).collect()
}

/// WeChat Pay's rules for every authenticated request before routing: a body comes as
/// `application/json` (or `multipart/form-data`, for uploads) and a `mchid` in a JSON body or in the
/// query string is the signing merchant's. Returns the parsed JSON body (`Null` when none).
fn screen(mchid: &str, content_type: Option<&str>, query: &str, body: &[u8]) -> Result<Value, Reply> {
    let media = content_type.and_then(|ct| ct.split(';').next()).map(str::trim).unwrap_or_default();
    let mut json = Value::Null;
    if !body.is_empty() {
        if media.eq_ignore_ascii_case("application/json") {
            json = serde_json::from_slice(body)
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
        return Err(field_error("mchid", "body", mismatch));
    }
    if parse_query(query).get("mchid").is_some_and(|m| m != mchid) {
        return Err(field_error("mchid", "query", mismatch));
    }
    Ok(json)
}

/// The pattern of `table` matching `path` and `method`, with its placeholders; a 405 answer when the
/// path matches with other methods only; `None` when it matches no pattern.
fn find(table: &[(&str, &'static str)], method: &str, path: &str) -> Option<Result<(&'static str, String), Reply>> {
    let mut known = false;
    for (m, pattern) in table {
        let Some(params) = matches(pattern, path) else { continue };
        if *m == method {
            return Some(Ok((pattern, params.into_iter().next().unwrap_or_default())));
        }
        known = true;
    }
    known.then(|| Err(Reply::error(405, "METHOD_NOT_ALLOWED", format!("sandbox: {method} is not allowed on {path}"))))
}

/// Applies [`screen`] to an authenticated request, then answers it when it is for one of this module's
/// endpoints; `None` sends it on to the other routes.
pub(crate) fn handle(
    state: &State,
    content_type: Option<&str>,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    now: i64,
) -> Option<Reply> {
    let json = match screen(&state.mchid, content_type, query, body) {
        Ok(json) => json,
        Err(reply) => return Some(reply),
    };
    let (pattern, param) = match find(TABLE, method, path)? {
        Ok(found) => found,
        Err(reply) => return Some(reply),
    };
    let mut ledger = lock(&state.pay);
    Some(match pattern {
        "/v3/pay/transactions/out-trade-no/*" => ledger.query(query, |o| o.out_trade_no == param),
        "/v3/pay/transactions/id/*" => {
            ledger.query(query, |o| o.paid.as_ref().is_some_and(|p| p.transaction_id == param))
        }
        "/v3/pay/transactions/out-trade-no/*/close" => ledger.close(&param, &json),
        "/v3/refund/domestic/refunds" => ledger.refund(&json, now),
        "/v3/refund/domestic/refunds/*" => ledger.refunds.get(&param).map_or_else(
            || Reply::error(404, "RESOURCE_NOT_EXISTS", "退款单不存在 (no such refund)"),
            |r| Reply::ok(r.settled()),
        ),
        _ => match Kind::from_path(pattern) {
            Some(kind) => ledger.create(kind, &json, now),
            None => Reply::error(404, "RESOURCE_NOT_EXISTS", format!("sandbox: no endpoint at {path}")),
        },
    })
}

impl Ledger {
    /// `POST /v3/pay/transactions/{jsapi,app,h5,native}`.
    fn create(&mut self, kind: Kind, body: &Value, now: i64) -> Reply {
        match self.try_create(kind, body, now) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    fn try_create(&mut self, kind: Kind, body: &Value, now: i64) -> Result<Reply, Reply> {
        object(body)?;
        let appid = required(body, "appid", 32)?;
        let mchid = required(body, "mchid", 32)?;
        required(body, "description", 127)?;
        let out_trade_no = number(body, "out_trade_no", 6, 32, "_-|*")?;
        let attach = text(body, "attach", 128)?;
        let notify_url = notify_url(body, "notify_url")?;
        let total = amount(body, "amount.total")?;
        let currency = currency(body, Some("CNY"))?;
        let openid = match kind {
            Kind::Jsapi => Some(required(body, "payer.openid", 128)?.to_owned()),
            _ => None,
        };
        if kind == Kind::H5 {
            let ip = required(body, "scene_info.payer_client_ip", 45)?;
            if ip.parse::<IpAddr>().is_err() {
                return Err(param("scene_info.payer_client_ip", "must be an IPv4 or IPv6 address"));
            }
            required(body, "scene_info.h5_info.type", 32)?;
        }

        if let Some(existing) = self.orders.get(out_trade_no) {
            return Err(match existing.state {
                TradeState::Success | TradeState::Refund => order_paid(403),
                TradeState::Closed => order_closed(),
                TradeState::NotPay if existing.kind == kind && existing.request == *body => {
                    Reply::ok(existing.answer.clone())
                }
                TradeState::NotPay => Reply::error(
                    400,
                    "INVALID_REQUEST",
                    "商户订单号重复 (this out_trade_no was ordered before with other parameters)",
                ),
            });
        }

        let prepay_id = format!("wx{}{}", compact_time(now), random_alnum(20).to_ascii_lowercase());
        let answer = match kind {
            Kind::Jsapi | Kind::App => json!({"prepay_id": prepay_id}),
            Kind::H5 => json!({"h5_url": format!(
                "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay_id}&package={}",
                random_digits(10)
            )}),
            Kind::Native => json!({"code_url": format!("weixin://wxpay/bizpayurl?pr={}", random_alnum(9))}),
        };
        let order = Order {
            kind,
            request: body.clone(),
            answer: answer.clone(),
            appid: appid.to_owned(),
            mchid: mchid.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            attach: attach.map(str::to_owned),
            notify_url: notify_url.to_owned(),
            total,
            currency,
            openid,
            state: TradeState::NotPay,
            paid: None,
            refunded: 0,
        };
        self.orders.insert(out_trade_no.to_owned(), order);
        Ok(Reply::ok(answer))
    }

    /// `GET …/out-trade-no/{out_trade_no}` and `GET …/id/{transaction_id}` (both need `?mchid=`).
    fn query(&self, query: &str, found: impl Fn(&Order) -> bool) -> Reply {
        if parse_query(query).get("mchid").is_none_or(String::is_empty) {
            return field_error("mchid", "query", "is required");
        }
        self.orders.values().find(|o| found(o)).map_or_else(order_not_exist, |o| Reply::ok(o.json()))
    }

    /// `POST …/out-trade-no/{out_trade_no}/close`: 204, also for a closed order.
    fn close(&mut self, out_trade_no: &str, body: &Value) -> Reply {
        if let Err(reply) = object(body).and_then(|()| required(body, "mchid", 32)) {
            return reply;
        }
        match self.orders.get_mut(out_trade_no) {
            None => order_not_exist(),
            Some(order) => match order.state {
                TradeState::Success | TradeState::Refund => order_paid(400),
                TradeState::NotPay | TradeState::Closed => {
                    order.state = TradeState::Closed;
                    Reply::empty(204)
                }
            },
        }
    }

    /// `POST /v3/refund/domestic/refunds`.
    fn refund(&mut self, body: &Value, now: i64) -> Reply {
        match self.try_refund(body, now) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    fn try_refund(&mut self, body: &Value, now: i64) -> Result<Reply, Reply> {
        object(body)?;
        let transaction_id = text(body, "transaction_id", 32)?.filter(|s| !s.is_empty());
        let out_trade_no = text(body, "out_trade_no", 32)?.filter(|s| !s.is_empty());
        if transaction_id.is_none() && out_trade_no.is_none() {
            return Err(param("out_trade_no", "give transaction_id or out_trade_no"));
        }
        let out_refund_no = number(body, "out_refund_no", 1, 64, "_-|*@")?;
        text(body, "reason", 80)?;
        if lookup(body, "notify_url").is_some() {
            notify_url(body, "notify_url")?;
        }
        let refund = amount(body, "amount.refund")?;
        let total = amount(body, "amount.total")?;
        currency(body, None)?;

        if let Some(existing) = self.refunds.get(out_refund_no) {
            return Err(if existing.request == *body {
                Reply::ok(existing.answer.clone())
            } else {
                Reply::error(
                    400,
                    "INVALID_REQUEST",
                    "商户退款单号重复 (this out_refund_no was used before with other parameters)",
                )
            });
        }

        let order = match transaction_id {
            // WeChat Pay prefers `transaction_id` when both are given.
            Some(id) => self.orders.values_mut().find(|o| o.paid.as_ref().is_some_and(|p| p.transaction_id == id)),
            None => out_trade_no.and_then(|no| self.orders.get_mut(no)),
        };
        let Some(order) = order else {
            return Err(Reply::error(404, "RESOURCE_NOT_EXISTS", "订单不存在 (no such order)"));
        };
        if out_trade_no.is_some_and(|no| no != order.out_trade_no) {
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                "transaction_id与out_trade_no不匹配 (they name different orders)",
            ));
        }
        let Some(paid) = order.paid.as_ref() else {
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                "订单未支付，不能退款 (only a paid order can be refunded)",
            ));
        };
        if total != order.total {
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                format!("订单金额与原订单不符 (amount.total {total} differs from the order's {})", order.total),
            ));
        }
        let refundable = order.total.saturating_sub(order.refunded);
        if refund > refundable {
            return Err(Reply::error(
                403,
                "NOT_ENOUGH",
                format!("申请退款金额超过订单可退金额 (the refund exceeds the {refundable} fen left to refund)"),
            ));
        }

        let answer = json!({
            "refund_id": format!("50000{}{}{}", random_digits(5), compact_date(now), random_digits(11)),
            "out_refund_no": out_refund_no,
            "transaction_id": paid.transaction_id,
            "out_trade_no": order.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": rfc3339_cst(now),
            "status": "PROCESSING",
            "funds_account": "AVAILABLE",
            "amount": {
                "total": order.total,
                "refund": refund,
                "payer_total": order.total,
                "payer_refund": refund,
                "settlement_refund": refund,
                "settlement_total": order.total,
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
            },
            "promotion_detail": [],
        });
        order.refunded = order.refunded.saturating_add(refund);
        if order.refunded == order.total {
            order.state = TradeState::Refund;
        }
        self.refunds.insert(out_refund_no.to_owned(), Refund { request: body.clone(), answer: answer.clone() });
        Ok(Reply::ok(answer))
    }
}

/// Why an order cannot be paid.
enum Refusal {
    Unknown,
    Paid,
    Closed,
    Forge(Error),
}

impl Refusal {
    fn reply(&self) -> Reply {
        match self {
            Refusal::Unknown => order_not_exist(),
            Refusal::Paid => order_paid(400),
            Refusal::Closed => order_closed(),
            Refusal::Forge(e) => Reply::error(500, "SYSTEM_ERROR", format!("sandbox: {e}")),
        }
    }

    fn into_error(self, out_trade_no: &str) -> Error {
        let why = match self {
            Refusal::Forge(e) => return e,
            Refusal::Unknown => "the sandbox has no such order",
            Refusal::Paid => "it is already paid",
            Refusal::Closed => "it is closed",
        };
        Error::new(format!("cannot pay order `{out_trade_no}`: {why}"))
    }
}

/// An order just paid.
struct Settled {
    transaction_id: String,
    order: Value,
    notification: ForgedNotification,
    /// The order's `notify_url` when the sandbox delivers to it (`http://` on this machine).
    deliver_to: Option<String>,
}

/// Marks a `NOTPAY` order paid and forges its `TRANSACTION.SUCCESS` notification, all or nothing.
fn settle(state: &State, out_trade_no: &str, now: i64) -> Result<Settled, Refusal> {
    let mut ledger = lock(&state.pay);
    let taken = |id: &str| ledger.orders.values().any(|o| o.paid.as_ref().is_some_and(|p| p.transaction_id == id));
    let mut transaction_id = String::new();
    for _ in 0..8 {
        transaction_id = format!("42000{}{}{}", random_digits(5), compact_date(now), random_digits(10));
        if !taken(&transaction_id) {
            break;
        }
    }
    let order = ledger.orders.get_mut(out_trade_no).ok_or(Refusal::Unknown)?;
    match order.state {
        TradeState::NotPay => {}
        TradeState::Success | TradeState::Refund => return Err(Refusal::Paid),
        TradeState::Closed => return Err(Refusal::Closed),
    }
    let openid = order.openid.clone().unwrap_or_else(|| format!("o{}", random_alnum(27)));
    let paid = Paid { transaction_id: transaction_id.clone(), success_time: rfc3339_cst(now) };
    let (before_openid, before_paid) = (order.openid.replace(openid), order.paid.replace(paid));
    order.state = TradeState::Success;
    let resource = order.json();
    let spec = NotificationSpec::new("TRANSACTION.SUCCESS", resource.clone())
        .original_type("transaction")
        .associated_data("transaction")
        .summary("支付成功");
    match state.notification(&spec) {
        Ok(notification) => {
            let deliver_to = order.notify_url.starts_with("http://").then(|| order.notify_url.clone());
            Ok(Settled { transaction_id, order: resource, notification, deliver_to })
        }
        Err(e) => {
            (order.openid, order.paid, order.state) = (before_openid, before_paid, TradeState::NotPay);
            Err(Refusal::Forge(e))
        }
    }
}

/// The outcome of [`Sandbox::pay`]: the payment, its notification and, for a local `notify_url`, the
/// delivery. `Debug` leaves out the order (it holds the payer's openid).
#[non_exhaustive]
pub struct Payment {
    /// The WeChat Pay order number assigned (`transaction_id`, 28 digits starting `42000`).
    pub transaction_id: String,
    /// The order as `GET /v3/pay/transactions/out-trade-no/{out_trade_no}` answers right after the
    /// payment; also the notification's resource.
    pub order: Value,
    /// The `TRANSACTION.SUCCESS` notification (summary `支付成功`, resource type `transaction`).
    pub notification: ForgedNotification,
    /// `None` when the order's `notify_url` is `https://` (the sandbox delivers only on this machine);
    /// otherwise what [`Sandbox::deliver`] to it returned: the endpoint's status and body, or why the
    /// delivery failed.
    pub delivery: Option<Result<(u16, Bytes), Error>>,
}

impl std::fmt::Debug for Payment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payment")
            .field("transaction_id", &self.transaction_id)
            .field("order", &"<redacted>")
            .field("notification", &self.notification)
            .field("delivery", &self.delivery)
            .finish()
    }
}

impl Sandbox {
    /// Pays a `NOTPAY` order as its payer would: the order becomes `SUCCESS` with a new `transaction_id`,
    /// `success_time` (sandbox clock), `bank_type` `OTHERS` and the payer's openid (`payer.openid` for
    /// JSAPI, otherwise a generated one). A `TRANSACTION.SUCCESS` notification is forged with the order
    /// as its resource and, when the order's `notify_url` is `http://` on this machine, delivered there
    /// with [`Sandbox::deliver`] before this returns (the sandbox keeps answering meanwhile, so the
    /// endpoint may query the order).
    ///
    /// Fails when the sandbox has no such order or it is paid or closed. A failed delivery is not an
    /// error of this call: it is reported in [`Payment::delivery`] and the order stays paid.
    ///
    /// The delivery blocks the calling thread (each step up to 10 s): from async code whose runtime also
    /// serves the notify endpoint, call this through `spawn_blocking`.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::start()?;
    /// let client = sandbox.client_builder().build()?;
    /// client.chain("v3/pay/transactions/native").post(json!({"json": {
    ///     "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "Image形象店-深圳腾大-QQ公仔",
    ///     "out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
    ///     "amount": {"total": 100},
    /// }}))?;
    /// let payment = sandbox.pay("1217752501201407033233368018")?;
    /// assert!(payment.delivery.is_none(), "https:// is not delivered to");
    /// let order = client.chain("v3/pay/transactions/out-trade-no/{out_trade_no}").get(json!({
    ///     "out_trade_no": "1217752501201407033233368018", "query": {"mchid": "1900000001"},
    /// }))?.json()?;
    /// assert_eq!(order["trade_state"], "SUCCESS");
    /// assert_eq!(order["transaction_id"], payment.transaction_id.as_str());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pay(&self, out_trade_no: &str) -> Result<Payment, Error> {
        let now = self.state.clock.now();
        let settled = settle(&self.state, out_trade_no, now).map_err(|r| r.into_error(out_trade_no))?;
        let delivery = settled.deliver_to.map(|url| notify::deliver(&url, &settled.notification));
        Ok(Payment {
            transaction_id: settled.transaction_id,
            order: settled.order,
            notification: settled.notification,
            delivery,
        })
    }
}

/// The control plane (`/_sandbox/…`, no `Authorization`): `POST /_sandbox/pay/{out_trade_no}` does what
/// [`Sandbox::pay`] does and answers `{"transaction_id", "notified"}`, `notified` being the status the
/// notify endpoint answered, or `null` when nothing was delivered (`notify_error` then says why, if a
/// delivery failed).
///
/// The delivery is blocking I/O, so it runs on the runtime's blocking pool: the sandbox's single
/// thread keeps serving meanwhile, and a notify endpoint that queries the order (in this process or
/// another) gets its answer instead of a deadlock. The control answer waits for the delivery, so when
/// it arrives the notification has been handled.
pub(crate) async fn control(state: &State, method: &str, path: &str, now: i64) -> Reply {
    let out_trade_no = match find(CONTROL, method, path) {
        None => return Reply::error(404, "RESOURCE_NOT_EXISTS", format!("sandbox: no control endpoint at {path}")),
        Some(Err(reply)) => return reply,
        Some(Ok((_, param))) => param,
    };
    let settled = match settle(state, &out_trade_no, now) {
        Ok(settled) => settled,
        Err(refusal) => return refusal.reply(),
    };
    let mut answer = json!({"transaction_id": settled.transaction_id, "notified": null});
    if let Some(url) = settled.deliver_to {
        let notification = settled.notification;
        let delivered = tokio::task::spawn_blocking(move || notify::deliver(&url, &notification)).await;
        match delivered {
            Ok(Ok((status, _))) => answer["notified"] = json!(status),
            Ok(Err(e)) => answer["notify_error"] = json!(e.to_string()),
            Err(e) => answer["notify_error"] = json!(format!("the delivery task failed: {e}")),
        }
    }
    Reply::ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn screening() {
        let json = Some("application/json; charset=utf-8");
        assert_eq!(screen("1", json, "", b"{\"mchid\":\"1\"}").ok(), Some(json!({"mchid": "1"})));
        assert_eq!(screen("1", None, "mchid=1", b"").ok(), Some(Value::Null));
        assert!(screen("1", Some("multipart/form-data; boundary=x"), "", b"--x").is_ok());
        for (ct, query, body) in [
            (json, "", &b"{\"mchid\":\"2\"}"[..]),
            (json, "", b"{\"mchid\":1}"),
            (json, "mchid=2", b""),
            (json, "", b"{"),
            (Some("text/plain"), "", b"a"),
            (None, "", b"a"),
        ] {
            let reply = screen("1", ct, query, body).expect_err("refused");
            assert_eq!(reply.status, 400);
        }
    }

    #[test]
    fn identifiers_have_wechat_pay_shapes() {
        let t = compact_time(1_732_426_175);
        assert_eq!(t, "20241124132935");
        assert!(random_digits(12).bytes().all(|b| b.is_ascii_digit()));
    }
}
