//! Paying an order as the payer would: [`Sandbox::pay`] from Rust, and the control plane
//! `POST /_sandbox/pay/{out_trade_no}` for programs in other languages. Either sends the order's
//! `TRANSACTION.SUCCESS` notification.

use bytes::Bytes;
use serde_json::{Value, json};

use super::validate::*;
use super::{Paid, TradeState};
use crate::keys::random_alnum;
use crate::notify::{self, ForgedNotification, NotificationSpec, rfc3339_cst};
use crate::route::{Answer, Reply, Request, find};
use crate::state::State;
use crate::{Error, Sandbox, lock};

/// The control plane's endpoints.
const CONTROL: &[(&str, &str)] = &[("POST", "/_sandbox/pay/*")];

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
pub(crate) async fn control(state: &State, request: &Request<'_>) -> Reply {
    let out_trade_no = match find(CONTROL, request) {
        None => {
            let message = format!("sandbox: no control endpoint at {}", request.path);
            return Reply::error(404, "RESOURCE_NOT_EXISTS", message);
        }
        Some(Err(Answer::Json(reply))) => return reply,
        Some(Err(_)) => return Reply::error(405, "METHOD_NOT_ALLOWED", "sandbox: not allowed"),
        Some(Ok((_, params))) => params.into_iter().next().unwrap_or_default(),
    };
    let settled = match settle(state, &out_trade_no, request.now) {
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
