//! Refunds (退款): creating one, querying it, the [`Refund`] both answer, and the resource of the
//! `REFUND.SUCCESS`, `REFUND.ABNORMAL` and `REFUND.CLOSED` notifications ([`RefundNotification`]).
//!
//! ```
//! use wechatpay_sandbox::Sandbox;
//! use wechatpay_chain::typed::pay::{NativePrepay, OrderAmount};
//! use wechatpay_chain::typed::refund::{CreateRefund, QueryRefund, RefundAmountRequest, RefundStatus};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! client.call(NativePrepay::new(
//!     "wxd678efh567hg6787", "1900000001", "QQ公仔", "1217752501201407033233368018",
//!     "https://www.weixin.qq.com/wxpay/pay.php", OrderAmount::cny(100),
//! ))?;
//! sandbox.pay("1217752501201407033233368018")?;
//!
//! let refund = client.call(CreateRefund::by_out_trade_no(
//!     "1217752501201407033233368018", "1217752501201407033233368018-R1", RefundAmountRequest::cny(40, 100),
//! ))?;
//! assert_eq!(refund.status, RefundStatus::Processing);
//! assert_eq!(refund.amount.refund, 40);
//! let settled = client.call(QueryRefund::new("1217752501201407033233368018-R1"))?;
//! assert_eq!(settled.status, RefundStatus::Success);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::typed::pay::PromotionScope;
use crate::typed::{Endpoint, wire_enum};

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

wire_enum! {
    /// `channel`: where the money goes back to.
    pub enum RefundChannel {
        /// `ORIGINAL`: the way it was paid.
        Original = "ORIGINAL",
        /// `BALANCE`: the payer's WeChat balance (零钱).
        Balance = "BALANCE",
        /// `OTHER_BALANCE`: another balance, the original account being unavailable.
        OtherBalance = "OTHER_BALANCE",
        /// `OTHER_BANKCARD`: another bank card, the original being unavailable.
        OtherBankcard = "OTHER_BANKCARD",
    }
}

wire_enum! {
    /// `funds_account` and `from[].account`: the merchant account a refund is paid from.
    pub enum FundsAccount {
        /// `UNSETTLED`: unsettled funds.
        Unsettled = "UNSETTLED",
        /// `AVAILABLE`: available funds.
        Available = "AVAILABLE",
        /// `UNAVAILABLE`: unavailable funds.
        Unavailable = "UNAVAILABLE",
        /// `OPERATION`: the operating account.
        Operation = "OPERATION",
        /// `BASIC`: the basic account (with its unsettled funds).
        Basic = "BASIC",
        /// `ECNY_BASIC`: the e-CNY basic account.
        EcnyBasic = "ECNY_BASIC",
    }
}

wire_enum! {
    /// `type` of a promotion in a [`Refund`].
    pub enum RefundPromotionType {
        /// `COUPON`: a funded coupon (代金券).
        Coupon = "COUPON",
        /// `DISCOUNT`: an unfunded discount (优惠券).
        Discount = "DISCOUNT",
    }
}

/// `amount` of [`CreateRefund`], in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmountRequest {
    /// How much to refund (at most what is left of the order).
    pub refund: i64,
    /// Which accounts pay the refund, and how much each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<FundsFrom>>,
    /// The order's total, as ordered.
    pub total: i64,
    /// The currency, `CNY`.
    pub currency: String,
}

impl RefundAmountRequest {
    /// `refund` of an order of `total` fen, in `CNY`.
    pub fn cny(refund: i64, total: i64) -> Self {
        RefundAmountRequest { refund, from: None, total, currency: "CNY".to_owned() }
    }
}

/// One entry of `amount.from`: an account and the amount (fen) it pays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundsFrom {
    /// The account.
    pub account: FundsAccount,
    /// The amount, in fen.
    pub amount: i64,
}

/// One entry of `goods_detail` of a refund (request and answer). Amounts in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundGoodsDetail {
    /// The merchant's goods id.
    pub merchant_goods_id: String,
    /// WeChat Pay's goods id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechatpay_goods_id: Option<String>,
    /// The goods' name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_name: Option<String>,
    /// The unit price.
    pub unit_price: i64,
    /// The amount refunded for these goods.
    pub refund_amount: i64,
    /// How many are returned.
    pub refund_quantity: i64,
}

/// `POST v3/refund/domestic/refunds` (退款申请): refunds (part of) a paid order, named by
/// `transaction_id` or `out_trade_no`. The answer is the [`Refund`], usually `PROCESSING`.
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "POST", path = "v3/refund/domestic/refunds", response = Refund)]
pub struct CreateRefund {
    /// The sub-merchant (service-provider mode).
    #[body]
    pub sub_mchid: Option<String>,
    /// WeChat Pay's order number (preferred when both are given).
    #[body]
    pub transaction_id: Option<String>,
    /// The merchant's order number.
    #[body]
    pub out_trade_no: Option<String>,
    /// The merchant's refund number (1–64 characters of `0-9A-Za-z_-|*@`); retrying with the same number
    /// and parameters is safe.
    #[body]
    pub out_refund_no: String,
    /// Why, as the payer sees it.
    #[body]
    pub reason: Option<String>,
    /// Where the `REFUND.*` notifications go.
    #[body]
    pub notify_url: Option<String>,
    /// The account refunds of unsettled funds come from (`AVAILABLE`).
    #[body]
    pub funds_account: Option<FundsAccount>,
    /// The amounts.
    #[body]
    pub amount: RefundAmountRequest,
    /// The goods returned.
    #[body]
    pub goods_detail: Option<Vec<RefundGoodsDetail>>,
}

impl CreateRefund {
    /// A refund of the order `out_trade_no`.
    pub fn by_out_trade_no(
        out_trade_no: impl Into<String>,
        out_refund_no: impl Into<String>,
        amount: RefundAmountRequest,
    ) -> Self {
        CreateRefund { out_trade_no: Some(out_trade_no.into()), ..CreateRefund::blank(out_refund_no.into(), amount) }
    }

    /// A refund of the order `transaction_id`.
    pub fn by_transaction_id(
        transaction_id: impl Into<String>,
        out_refund_no: impl Into<String>,
        amount: RefundAmountRequest,
    ) -> Self {
        CreateRefund {
            transaction_id: Some(transaction_id.into()),
            ..CreateRefund::blank(out_refund_no.into(), amount)
        }
    }

    fn blank(out_refund_no: String, amount: RefundAmountRequest) -> Self {
        CreateRefund {
            sub_mchid: None,
            transaction_id: None,
            out_trade_no: None,
            out_refund_no,
            reason: None,
            notify_url: None,
            funds_account: None,
            amount,
            goods_detail: None,
        }
    }
}

/// `GET v3/refund/domestic/refunds/{out_refund_no}` (查询单笔退款): the [`Refund`] by the merchant's
/// refund number.
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "GET", path = "v3/refund/domestic/refunds/{out_refund_no}", response = Refund)]
pub struct QueryRefund {
    /// The merchant's refund number.
    #[param]
    pub out_refund_no: String,
    /// The sub-merchant (service-provider mode).
    #[query]
    pub sub_mchid: Option<String>,
}

impl QueryRefund {
    /// The query for `out_refund_no`.
    pub fn new(out_refund_no: impl Into<String>) -> Self {
        QueryRefund { out_refund_no: out_refund_no.into(), sub_mchid: None }
    }
}

/// A refund as [`CreateRefund`] and [`QueryRefund`] answer it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// WeChat Pay's refund number.
    pub refund_id: String,
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// WeChat Pay's order number.
    pub transaction_id: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Where the money goes back to.
    pub channel: RefundChannel,
    /// The account credited, in words (`支付用户零钱`, `招商银行信用卡0403`, …).
    pub user_received_account: String,
    /// When it succeeded (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// When it was created (RFC 3339).
    pub create_time: String,
    /// Where it stands.
    pub status: RefundStatus,
    /// The account it is paid from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funds_account: Option<FundsAccount>,
    /// The amounts.
    pub amount: RefundAmount,
    /// The promotions refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_detail: Option<Vec<RefundPromotion>>,
}

/// `amount` of a [`Refund`], in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    /// The order total.
    pub total: i64,
    /// The refund.
    pub refund: i64,
    /// Which accounts pay the refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<FundsFrom>>,
    /// What the payer paid.
    pub payer_total: i64,
    /// What goes back to the payer (the refund less coupons).
    pub payer_refund: i64,
    /// The settlement refund (the refund less unfunded coupons).
    pub settlement_refund: i64,
    /// The settlement total.
    pub settlement_total: i64,
    /// The coupon part of the refund.
    pub discount_refund: i64,
    /// The currency.
    pub currency: String,
    /// The fee refunded (手续费退款金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<i64>,
}

/// One entry of `promotion_detail` of a [`Refund`]. Amounts in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPromotion {
    /// The coupon id.
    pub promotion_id: String,
    /// What it applies to.
    pub scope: PromotionScope,
    /// Its kind.
    pub r#type: RefundPromotionType,
    /// The coupon's face value.
    pub amount: i64,
    /// The coupon part refunded.
    pub refund_amount: i64,
    /// The goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<RefundGoodsDetail>>,
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
