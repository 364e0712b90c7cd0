//! Typed notification resources (回调通知): a verified, decrypted
//! [`Notification`] as the [`Transaction`] of `TRANSACTION.SUCCESS` or the [`RefundNotification`] of
//! `REFUND.SUCCESS`/`REFUND.ABNORMAL`/`REFUND.CLOSED`.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_sandbox::{NotificationSpec, Sandbox};
//! use wechatpay_chain::typed::notify::{Event, EventType};
//! use wechatpay_chain::typed::refund::RefundStatus;
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

use crate::error::Error;
use crate::notify::Notification;
use crate::typed::wire_enum;

pub use crate::typed::pay::Transaction;
pub use crate::typed::refund::RefundNotification;

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
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `TRANSACTION.SUCCESS`.
    Transaction(Transaction),
    /// `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED` (the first field says which).
    Refund(EventType, RefundNotification),
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
            EventType::TransactionSuccess => Event::Transaction(notification.resource_as()?),
            EventType::RefundSuccess | EventType::RefundAbnormal | EventType::RefundClosed => {
                Event::Refund(kind, notification.resource_as()?)
            }
            other => Event::Other(other),
        })
    }
}
