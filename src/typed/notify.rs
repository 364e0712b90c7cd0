//! Typed notification resources (回调通知): a verified, decrypted
//! [`Notification`] as the [`Transaction`] of `TRANSACTION.SUCCESS` or the [`RefundNotification`] of
//! `REFUND.SUCCESS`/`REFUND.ABNORMAL`/`REFUND.CLOSED`. Needs the feature `typed-pay-transactions`.
//!
//! Notifications are not endpoints, so their resources are written by hand here, except the order of
//! `TRANSACTION.SUCCESS`, which is the generated answer of the order query.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_sandbox::{NotificationSpec, Sandbox};
//! use wechatpay_chain::typed::notify::{Event, EventType, RefundStatus};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let resource = json!({
//!     "mchid": "1900000100", "transaction_id": "1008450740201411110005820873",
//!     "out_trade_no": "20150806125346", "refund_id": "50200207182018070300011301001",
//!     "out_refund_no": "7752501201407033233368018", "refund_status": "SUCCESS",
//!     "success_time": "2018-06-08T10:34:56+08:00", "user_received_account": "招商银行信用卡0403",
//!     "amount": {"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999},
//! });
//! let spec = NotificationSpec::new("REFUND.SUCCESS", resource).original_type("refund").associated_data("refund");
//! let forged = sandbox.notification(&spec)?;
//! let notification = client.notification(&forged.headers, &forged.body)?;
//! match Event::parse(&notification)? {
//!     Event::Refund(EventType::RefundSuccess, refund) => assert_eq!(refund.refund_status, RefundStatus::Success),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::notify::Notification;
use crate::typed::wire_enum;

/// The order of a `TRANSACTION.SUCCESS` notification: the answer of the order query
/// (`GET v3/pay/transactions/out-trade-no/{out_trade_no}`).
pub type Transaction = crate::typed::pay_transactions::GetPayTransactionsOutTradeNoByOutTradeNoResponse;

wire_enum! {
    /// `event_type` of a notification, for the events this module types.
    pub enum EventType {
        /// `TRANSACTION.SUCCESS`: an order was paid; the resource is a [`Transaction`].
        TransactionSuccess = "TRANSACTION.SUCCESS",
        /// `REFUND.SUCCESS`: a refund succeeded; the resource is a [`RefundNotification`].
        RefundSuccess = "REFUND.SUCCESS",
        /// `REFUND.ABNORMAL`: a refund failed; the resource is a [`RefundNotification`].
        RefundAbnormal = "REFUND.ABNORMAL",
        /// `REFUND.CLOSED`: a refund was closed; the resource is a [`RefundNotification`].
        RefundClosed = "REFUND.CLOSED",
    }
}

/// A notification's resource, typed by its `event_type`. `Debug` shows the resource without the payer's
/// openid.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `TRANSACTION.SUCCESS`.
    Transaction(Box<Transaction>),
    /// `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED` (the first field says which).
    Refund(EventType, Box<RefundNotification>),
    /// Any other event: read [`Notification::resource`] or
    /// [`resource_as`](Notification::resource_as) yourself.
    Other(EventType),
}

impl Event {
    /// The resource of `notification` as the type its `event_type` names. A resource that does not fit
    /// that type is an [`Error::Decode`].
    pub fn parse(notification: &Notification) -> Result<Event, Error> {
        let kind = EventType::from(notification.event_type());
        Ok(match kind {
            EventType::TransactionSuccess => Event::Transaction(Box::new(notification.resource_as()?)),
            EventType::RefundSuccess | EventType::RefundAbnormal | EventType::RefundClosed => {
                Event::Refund(kind, Box::new(notification.resource_as()?))
            }
            other => Event::Other(other),
        })
    }
}

wire_enum! {
    /// `status` of a refund (`refund_status` in notifications).
    pub enum RefundStatus {
        /// `SUCCESS`: refunded.
        Success = "SUCCESS",
        /// `CLOSED`: closed.
        Closed = "CLOSED",
        /// `PROCESSING`: being refunded.
        Processing = "PROCESSING",
        /// `ABNORMAL`: failed (the payer's card was cancelled, say); retry through the merchant platform.
        Abnormal = "ABNORMAL",
    }
}

/// The resource of a `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED` notification (退款结果通知):
/// `notification.resource_as::<RefundNotification>()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotification {
    /// The merchant id (direct merchants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    /// The service provider's merchant id (service-provider mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_mchid: Option<String>,
    /// The sub-merchant id (service-provider mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// WeChat Pay's order number.
    pub transaction_id: String,
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// WeChat Pay's refund number.
    pub refund_id: String,
    /// How the refund ended.
    pub refund_status: RefundStatus,
    /// When it succeeded (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// The account credited, in words.
    pub user_received_account: String,
    /// The amounts.
    pub amount: RefundNotificationAmount,
    /// The source of an e-commerce platform's advance refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_account: Option<String>,
}

/// `amount` of a [`RefundNotification`], in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotificationAmount {
    /// The order total.
    pub total: i64,
    /// The refund.
    pub refund: i64,
    /// What the payer paid.
    pub payer_total: i64,
    /// What goes back to the payer.
    pub payer_refund: i64,
    /// The currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The payer's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}
