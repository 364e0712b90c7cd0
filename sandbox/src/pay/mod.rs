//! Orders (JSAPI, APP, H5, Native), their payment and closing ([`refund`]: refunds; [`control`]: paying an
//! order, from Rust or through the control plane `/_sandbox/…`, which needs no `Authorization`).

mod control;
mod refund;
mod validate;

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::{Map, Value, json};

pub use control::Payment;
pub(crate) use control::control;
use refund::Refund;
pub(crate) use validate::compact_time;
use validate::*;

use crate::keys::random_alnum;
use crate::lock;
use crate::route::{Answer, Reply, Request, find, parse_query};
use crate::state::State;

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

/// Orders and refunds; `None` for other paths.
pub(crate) fn route(state: &State, request: &Request<'_>) -> Option<Answer> {
    let (pattern, params) = match find(TABLE, request)? {
        Ok(found) => found,
        Err(answer) => return Some(answer),
    };
    let param = params.into_iter().next().unwrap_or_default();
    let (json, query, now) = (request.json(), request.query, request.now);
    let mut ledger = lock(&state.pay);
    Some(Answer::Json(match pattern {
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
            None => Reply::error(404, "RESOURCE_NOT_EXISTS", format!("sandbox: no endpoint at {}", request.path)),
        },
    }))
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
            return crate::route::param_error("mchid", "query", "is required");
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
}
