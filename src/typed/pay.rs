//! Payments (基础支付, direct merchants): placing an order for each way of paying (JSAPI, APP, H5,
//! Native), querying it by `out_trade_no` or `transaction_id`, closing it, and the [`Transaction`] those
//! queries and the `TRANSACTION.SUCCESS` notification carry.
//!
//! ```
//! use wechatpay_sandbox::Sandbox;
//! use wechatpay_chain::typed::pay::{NativePrepay, OrderAmount, QueryByOutTradeNo, TradeState};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let order = NativePrepay::new(
//!     "wxd678efh567hg6787", "1900000001", "Image形象店-深圳腾大-QQ公仔", "1217752501201407033233368018",
//!     "https://www.weixin.qq.com/wxpay/pay.php", OrderAmount::cny(100),
//! );
//! let code = client.call(order)?;
//! assert!(code.code_url.starts_with("weixin://"));
//!
//! let query = QueryByOutTradeNo::new("1217752501201407033233368018", "1900000001");
//! assert_eq!(client.call(query.clone())?.trade_state, TradeState::NotPay);
//! sandbox.pay("1217752501201407033233368018")?;
//! let paid = client.call(query)?;
//! assert_eq!(paid.trade_state, TradeState::Success);
//! assert_eq!(paid.amount.payer_total, Some(100));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::typed::{Endpoint, wire_enum};

/// `amount` of an order: the total in fen and the currency (`CNY`; WeChat Pay's default when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAmount {
    /// The total, in fen (分).
    pub total: i64,
    /// The currency, `CNY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl OrderAmount {
    /// `total` fen in `CNY`.
    pub fn cny(total: i64) -> Self {
        OrderAmount { total, currency: Some("CNY".to_owned()) }
    }
}

/// `payer` of a JSAPI order: who pays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPayer {
    /// The payer's openid under `appid`.
    pub openid: String,
}

/// `detail`: the goods of an order (优惠功能).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    /// The original price, in fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<i64>,
    /// The merchant's receipt id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// The goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<GoodsDetail>>,
}

/// One entry of `detail.goods_detail`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsDetail {
    /// The merchant's goods id.
    pub merchant_goods_id: String,
    /// WeChat Pay's goods id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechatpay_goods_id: Option<String>,
    /// The goods' name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_name: Option<String>,
    /// How many.
    pub quantity: i64,
    /// The unit price, in fen.
    pub unit_price: i64,
}

/// `scene_info` of an order: where it is paid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneInfo {
    /// The payer's IP address (required for H5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_client_ip: Option<String>,
    /// The merchant's device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_info: Option<StoreInfo>,
    /// The H5 scene (required for H5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h5_info: Option<H5Info>,
}

/// `scene_info.store_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The store's id.
    pub id: String,
    /// The store's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The region code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    /// The address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `scene_info.h5_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5Info {
    /// The scene type: `iOS`, `Android` or `Wap`.
    pub r#type: String,
    /// The app's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// The site's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_url: Option<String>,
    /// The iOS bundle id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// The Android package name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
}

/// `settle_info`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettleInfo {
    /// Whether the order will be profit-shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profit_sharing: Option<bool>,
}

/// The answer to [`JsapiPrepay`] and [`AppPrepay`]: the prepay id for the front end (see
/// [`JsapiPayParams`](crate::JsapiPayParams), [`AppPayParams`](crate::AppPayParams)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepayId {
    /// `prepay_id`, valid for two hours.
    pub prepay_id: String,
}

/// The answer to [`H5Prepay`]: the page that starts the payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5Url {
    /// `h5_url`, valid for five minutes.
    pub h5_url: String,
}

/// The answer to [`NativePrepay`]: the text of the QR code to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeUrl {
    /// `code_url` (`weixin://wxpay/bizpayurl?pr=…`), valid for two hours.
    pub code_url: String,
}

/// Declares a prepay request: the common order fields plus `$extra` fields.
macro_rules! prepay {
    (
        $(#[$meta:meta])*
        $name:ident, $path:literal, $response:ty,
        { $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $init:expr, )* }
        new($( $arg:ident : $arg_ty:ty ),*)
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
        #[endpoint(method = "POST", path = $path, response = $response)]
        pub struct $name {
            /// The appid the order is under.
            #[body]
            pub appid: String,
            /// The merchant id (the signing merchant's).
            #[body]
            pub mchid: String,
            /// What is bought, as the payer sees it.
            #[body]
            pub description: String,
            /// The merchant's order number (6–32 characters of `0-9A-Za-z_-|*`).
            #[body]
            pub out_trade_no: String,
            /// When the order expires (RFC 3339).
            #[body]
            pub time_expire: Option<String>,
            /// Data given back unchanged in queries and notifications.
            #[body]
            pub attach: Option<String>,
            /// Where `TRANSACTION.SUCCESS` is sent (`https://`, no query string).
            #[body]
            pub notify_url: String,
            /// The goods tag (for coupons).
            #[body]
            pub goods_tag: Option<String>,
            /// Whether the payment page offers a fapiao (电子发票).
            #[body]
            pub support_fapiao: Option<bool>,
            /// The amount.
            #[body]
            pub amount: OrderAmount,
            $( $(#[$fmeta])* #[body] pub $field: $ty, )*
            /// The goods.
            #[body]
            pub detail: Option<OrderDetail>,
            /// Settlement.
            #[body]
            pub settle_info: Option<SettleInfo>,
        }

        impl $name {
            /// An order with the required fields; set the optional ones on the result.
            pub fn new(
                appid: impl Into<String>,
                mchid: impl Into<String>,
                description: impl Into<String>,
                out_trade_no: impl Into<String>,
                notify_url: impl Into<String>,
                amount: OrderAmount,
                $( $arg: $arg_ty, )*
            ) -> Self {
                $name {
                    appid: appid.into(),
                    mchid: mchid.into(),
                    description: description.into(),
                    out_trade_no: out_trade_no.into(),
                    time_expire: None,
                    attach: None,
                    notify_url: notify_url.into(),
                    goods_tag: None,
                    support_fapiao: None,
                    amount,
                    $( $field: $init, )*
                    detail: None,
                    settle_info: None,
                }
            }
        }
    };
}

prepay! {
    /// `POST v3/pay/transactions/jsapi` (JSAPI/小程序下单): an order paid in WeChat's browser or a mini
    /// program by `payer.openid`; the answer is a [`PrepayId`].
    JsapiPrepay, "v3/pay/transactions/jsapi", PrepayId,
    {
        /// The payer.
        payer: OrderPayer = payer,
        /// The scene.
        scene_info: Option<SceneInfo> = None,
    }
    new(payer: OrderPayer)
}

prepay! {
    /// `POST v3/pay/transactions/app` (APP下单): an order paid in a mobile app; the answer is a
    /// [`PrepayId`].
    AppPrepay, "v3/pay/transactions/app", PrepayId,
    {
        /// The scene.
        scene_info: Option<SceneInfo> = None,
    }
    new()
}

prepay! {
    /// `POST v3/pay/transactions/h5` (H5下单): an order paid from a mobile browser outside WeChat; the
    /// answer is an [`H5Url`]. `scene_info` with `payer_client_ip` and `h5_info` is required.
    H5Prepay, "v3/pay/transactions/h5", H5Url,
    {
        /// The scene: the payer's IP address and the H5 scene.
        scene_info: SceneInfo = scene_info,
    }
    new(scene_info: SceneInfo)
}

prepay! {
    /// `POST v3/pay/transactions/native` (Native下单): an order paid by scanning a QR code; the answer is a
    /// [`CodeUrl`].
    NativePrepay, "v3/pay/transactions/native", CodeUrl,
    {
        /// The scene.
        scene_info: Option<SceneInfo> = None,
    }
    new()
}

/// `GET v3/pay/transactions/out-trade-no/{out_trade_no}` (商户订单号查询订单): the [`Transaction`] by the
/// merchant's order number.
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "GET", path = "v3/pay/transactions/out-trade-no/{out_trade_no}", response = Transaction)]
pub struct QueryByOutTradeNo {
    /// The merchant's order number.
    #[param]
    pub out_trade_no: String,
    /// The merchant id.
    #[query]
    pub mchid: String,
}

impl QueryByOutTradeNo {
    /// The query for `out_trade_no` of merchant `mchid`.
    pub fn new(out_trade_no: impl Into<String>, mchid: impl Into<String>) -> Self {
        QueryByOutTradeNo { out_trade_no: out_trade_no.into(), mchid: mchid.into() }
    }
}

/// `GET v3/pay/transactions/id/{transaction_id}` (微信支付订单号查询订单): the [`Transaction`] by WeChat
/// Pay's order number.
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "GET", path = "v3/pay/transactions/id/{transaction_id}", response = Transaction)]
pub struct QueryById {
    /// WeChat Pay's order number.
    #[param]
    pub transaction_id: String,
    /// The merchant id.
    #[query]
    pub mchid: String,
}

impl QueryById {
    /// The query for `transaction_id` of merchant `mchid`.
    pub fn new(transaction_id: impl Into<String>, mchid: impl Into<String>) -> Self {
        QueryById { transaction_id: transaction_id.into(), mchid: mchid.into() }
    }
}

/// `POST v3/pay/transactions/out-trade-no/{out_trade_no}/close` (关闭订单): closes an unpaid order. The
/// answer is `204 No Content`, so the response type is `()`.
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "POST", path = "v3/pay/transactions/out-trade-no/{out_trade_no}/close", response = ())]
pub struct CloseOrder {
    /// The merchant's order number.
    #[param]
    pub out_trade_no: String,
    /// The merchant id.
    #[body]
    pub mchid: String,
}

impl CloseOrder {
    /// Closes `out_trade_no` of merchant `mchid`.
    pub fn new(out_trade_no: impl Into<String>, mchid: impl Into<String>) -> Self {
        CloseOrder { out_trade_no: out_trade_no.into(), mchid: mchid.into() }
    }
}

wire_enum! {
    /// `trade_state`: where an order stands.
    pub enum TradeState {
        /// `SUCCESS`: paid.
        Success = "SUCCESS",
        /// `REFUND`: (partly) refunded.
        Refund = "REFUND",
        /// `NOTPAY`: not paid yet.
        NotPay = "NOTPAY",
        /// `CLOSED`: closed.
        Closed = "CLOSED",
        /// `REVOKED`: revoked (payment-code orders).
        Revoked = "REVOKED",
        /// `USERPAYING`: the payer is paying (entering a password).
        UserPaying = "USERPAYING",
        /// `PAYERROR`: payment failed.
        PayError = "PAYERROR",
    }
}

wire_enum! {
    /// `trade_type`: how an order was paid.
    pub enum TradeType {
        /// `JSAPI`: WeChat's browser or a mini program.
        Jsapi = "JSAPI",
        /// `NATIVE`: a scanned QR code.
        Native = "NATIVE",
        /// `APP`: a mobile app.
        App = "APP",
        /// `MICROPAY`: the payer's payment code, scanned by the merchant.
        Micropay = "MICROPAY",
        /// `MWEB`: H5, a mobile browser outside WeChat.
        Mweb = "MWEB",
        /// `FACEPAY`: face payment.
        Facepay = "FACEPAY",
    }
}

/// An order as `GET v3/pay/transactions/out-trade-no/{out_trade_no}` and `…/id/{transaction_id}` answer
/// it, and the resource of a `TRANSACTION.SUCCESS` notification. The payment's fields
/// (`transaction_id`, `trade_type`, `bank_type`, `success_time`, `payer`) appear once it is paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The appid the order is under.
    pub appid: String,
    /// The merchant id.
    pub mchid: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// WeChat Pay's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// How it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<TradeType>,
    /// Where it stands.
    pub trade_state: TradeState,
    /// `trade_state` in words.
    pub trade_state_desc: String,
    /// The paying bank (`OTHERS`, `CMC`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
    /// The order's `attach`, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// When it was paid (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// Who paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<TransactionPayer>,
    /// The amounts.
    pub amount: TransactionAmount,
    /// The scene.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_info: Option<TransactionSceneInfo>,
    /// The coupons and discounts applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_detail: Option<Vec<PromotionDetail>>,
}

/// `payer` of a [`Transaction`]. `Debug` leaves out the openid (the notification carrying it is
/// redacted in `Debug` too, see [`Notification`](crate::notify::Notification)).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionPayer {
    /// The payer's openid under `appid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
}

impl std::fmt::Debug for TransactionPayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionPayer").field("openid", &self.openid.as_ref().map(|_| "<redacted>")).finish()
    }
}

/// `amount` of a [`Transaction`], in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAmount {
    /// The order total.
    pub total: i64,
    /// What the payer paid (the total less discounts), once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    /// The order currency (`CNY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The currency the payer paid in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}

/// `scene_info` of a [`Transaction`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionSceneInfo {
    /// The merchant's device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

wire_enum! {
    /// `scope` of a promotion.
    pub enum PromotionScope {
        /// `GLOBAL`: the whole order.
        Global = "GLOBAL",
        /// `SINGLE`: single goods.
        Single = "SINGLE",
    }
}

wire_enum! {
    /// `type` of a promotion in a [`Transaction`].
    pub enum PromotionType {
        /// `CASH`: a funded coupon (充值型).
        Cash = "CASH",
        /// `NOCASH`: an unfunded coupon (免充值型).
        NoCash = "NOCASH",
    }
}

/// One entry of `promotion_detail` of a [`Transaction`]. Amounts in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionDetail {
    /// The coupon id.
    pub coupon_id: String,
    /// The promotion's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<PromotionScope>,
    /// Its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<PromotionType>,
    /// The discount.
    pub amount: i64,
    /// The stock (batch) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_id: Option<String>,
    /// WeChat Pay's contribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechatpay_contribute: Option<i64>,
    /// The merchant's contribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_contribute: Option<i64>,
    /// Others' contribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_contribute: Option<i64>,
    /// The currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The goods the promotion applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<PromotionGoods>>,
}

/// One entry of `promotion_detail[].goods_detail`. Amounts in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionGoods {
    /// The goods id.
    pub goods_id: String,
    /// How many.
    pub quantity: i64,
    /// The unit price.
    pub unit_price: i64,
    /// The discount on these goods.
    pub discount_amount: i64,
    /// A remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_remark: Option<String>,
}
