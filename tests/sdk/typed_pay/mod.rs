//! The generated payment, refund, certificate and bill requests (features `typed-pay-transactions`,
//! `typed-refund`, `typed-certificates`, `typed-bill`) against the sandbox, blocking and async, and
//! against the JSON of WeChat Pay's documentation; and the `TRANSACTION.SUCCESS` / `REFUND.*`
//! notification resources of `typed::notify`.

use crate::common;

use std::io::Write;
use std::net::TcpListener;
use std::thread::JoinHandle;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use wechatpay_chain::crypto::ApiV3Key;
use wechatpay_chain::http::HeaderMap;
use wechatpay_chain::typed::bill::get_bill_fundflowbill::AccountType;
use wechatpay_chain::typed::bill::get_bill_tradebill::{BillType, TarType};
use wechatpay_chain::typed::bill::{GetBillFundflowbill, GetBillTradebill, GetBillTradebillResponse};
use wechatpay_chain::typed::certificates::{GetCertificates, GetCertificatesResponse};
use wechatpay_chain::typed::notify::{Event, EventType, RefundNotification, RefundStatus, Transaction};
use wechatpay_chain::typed::pay_transactions::{
    GetPayTransactionsIdByTransactionId as QueryById, GetPayTransactionsOutTradeNoByOutTradeNo as QueryByOutTradeNo,
    PostPayTransactionsApp, PostPayTransactionsH5, PostPayTransactionsJsapi, PostPayTransactionsNative,
    PostPayTransactionsOutTradeNoByOutTradeNoClose as CloseOrder, post_pay_transactions_h5,
    post_pay_transactions_jsapi,
};
use wechatpay_chain::typed::refund::{
    GetRefundDomesticRefundsByOutRefundNo as QueryRefund, PostRefundDomesticRefunds as CreateRefund,
    PostRefundDomesticRefundsResponse, post_refund_domestic_refunds,
};
use wechatpay_chain::typed::shared::{
    Amount, Detail, GoodsDetail, H5Info, SceneInfo, StoreInfo, TransactionTradeState as TradeState,
    TransactionTradeType as TradeType,
};
use wechatpay_chain::typed::{Endpoint, Typed};
use wechatpay_chain::{Error, Verification};
use wechatpay_sandbox::{NotificationSpec, Sandbox, SignMode};

use crate::common::pay::{APPID, HTTPS_NOTIFY, MCHID, OPENID, setup};

/// The typed value serializes back to exactly the JSON it was parsed from, and parses again to itself.
#[track_caller]
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(typed: &Typed<T>) {
    assert!(matches!(typed.raw().verification(), Verification::Signed { .. }));
    let sent: Value = typed.raw().json().unwrap();
    assert_eq!(serde_json::to_value(&**typed).unwrap(), sent);
    assert_eq!(serde_json::from_value::<T>(sent).unwrap(), **typed);
}

/// Documented JSON → model → JSON gives the same value.
#[track_caller]
fn documented<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(doc: Value) -> T {
    let parsed: T = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), doc);
    parsed
}

fn cny(total: i64) -> Amount {
    Amount { total, currency: Some("CNY".to_owned()), ..Amount::default() }
}

fn native(out_trade_no: &str, notify_url: &str) -> PostPayTransactionsNative {
    PostPayTransactionsNative {
        appid: APPID.into(),
        mchid: MCHID.into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: out_trade_no.into(),
        notify_url: notify_url.into(),
        amount: cny(100),
        attach: Some("自定义数据".to_owned()),
        ..Default::default()
    }
}

fn app(out_trade_no: &str) -> PostPayTransactionsApp {
    PostPayTransactionsApp {
        appid: APPID.into(),
        mchid: MCHID.into(),
        description: "QQ公仔".into(),
        out_trade_no: out_trade_no.into(),
        notify_url: HTTPS_NOTIFY.into(),
        amount: cny(100),
        ..Default::default()
    }
}

/// The H5 scene. The schema's `scene_info` of H5 orders lacks `payer_client_ip`, which WeChat Pay (and the
/// sandbox) require: it goes in `extra`, the map of fields the schema does not describe.
fn h5_scene(ip: &str) -> post_pay_transactions_h5::SceneInfo {
    let mut extra = Map::new();
    extra.insert("payer_client_ip".to_owned(), json!(ip));
    post_pay_transactions_h5::SceneInfo {
        h5_info: Some(H5Info {
            r#type: Some("Wap".to_owned()),
            app_url: Some("https://pay.qq.com".to_owned()),
            ..H5Info::default()
        }),
        extra,
    }
}

fn h5(out_trade_no: &str, total: i64) -> PostPayTransactionsH5 {
    PostPayTransactionsH5 {
        appid: APPID.into(),
        mchid: MCHID.into(),
        description: "QQ公仔".into(),
        out_trade_no: out_trade_no.into(),
        notify_url: HTTPS_NOTIFY.into(),
        amount: cny(total),
        scene_info: h5_scene("14.23.150.211"),
        ..Default::default()
    }
}

fn jsapi(out_trade_no: &str) -> PostPayTransactionsJsapi {
    PostPayTransactionsJsapi {
        appid: APPID.into(),
        mchid: MCHID.into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: out_trade_no.into(),
        notify_url: HTTPS_NOTIFY.into(),
        amount: cny(100),
        payer: post_pay_transactions_jsapi::Payer { openid: OPENID.into(), ..Default::default() },
        ..Default::default()
    }
}

fn by_out_trade_no(out_trade_no: &str) -> QueryByOutTradeNo {
    QueryByOutTradeNo { out_trade_no: out_trade_no.into(), mchid: MCHID.into() }
}

fn close(out_trade_no: &str) -> CloseOrder {
    CloseOrder { out_trade_no: out_trade_no.into(), mchid: MCHID.into(), ..Default::default() }
}

fn refund(out_refund_no: &str, refund: i64, total: i64) -> CreateRefund {
    CreateRefund {
        out_refund_no: out_refund_no.into(),
        amount: post_refund_domestic_refunds::Amount { refund, total, currency: "CNY".into(), ..Default::default() },
        ..Default::default()
    }
}

fn query_refund(out_refund_no: &str) -> QueryRefund {
    QueryRefund { out_refund_no: out_refund_no.into(), sub_mchid: None }
}

fn trade_bill(date: &str) -> GetBillTradebill {
    GetBillTradebill { bill_date: date.into(), ..Default::default() }
}

/// `amount.total` of an order: the schema's answer amount names only the payer's part, so the total
/// arrives among the undescribed fields.
fn order_total(order: &Transaction) -> Option<i64> {
    order.amount.as_ref().and_then(|a| a.extra.get("total")).and_then(Value::as_i64)
}

#[test]
fn every_prepay_kind_answers_in_its_shape() {
    let (_sandbox, client) = setup();
    let prepay = client.call(jsapi("T-typed-jsapi")).unwrap();
    assert!(prepay.prepay_id.as_deref().unwrap().starts_with("wx"));
    round_trips(&prepay);
    let prepay = client.call(app("T-typed-app")).unwrap();
    assert!(prepay.prepay_id.as_deref().unwrap().starts_with("wx"));
    round_trips(&prepay);
    let answer = client.call(h5("T-typed-h5", 100)).unwrap();
    assert!(answer.h5_url.as_deref().unwrap().starts_with("https://wx.tenpay.com/"));
    round_trips(&answer);
    let code = client.call(native("T-typed-native", HTTPS_NOTIFY)).unwrap();
    assert!(code.code_url.as_deref().unwrap().starts_with("weixin://wxpay/bizpayurl?pr="));
    round_trips(&code);

    // The sandbox's validation comes through as the API error it is.
    let mut bad = h5("T-typed-h5-bad", 100);
    bad.scene_info = h5_scene("not an ip");
    let err = client.call(bad).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("PARAM_ERROR"), "{err}");
}

#[tokio::test]
async fn every_prepay_kind_works_async() {
    let (_sandbox, client) = setup();
    assert!(client.call_async(jsapi("T-async-jsapi")).await.unwrap().prepay_id.as_deref().unwrap().starts_with("wx"));
    assert!(client.call_async(app("T-async-app")).await.unwrap().prepay_id.as_deref().unwrap().starts_with("wx"));
    assert!(client.call_async(h5("T-async-h5", 100)).await.unwrap().h5_url.as_deref().unwrap().starts_with("https://"));
    let code = client.call_async(native("T-async-native", HTTPS_NOTIFY)).await.unwrap();
    round_trips(&code);
}

#[test]
fn queries_before_and_after_payment() {
    let (sandbox, client) = setup();
    client.call(jsapi("T-typed-query")).unwrap();
    let unpaid = client.call(by_out_trade_no("T-typed-query")).unwrap();
    round_trips(&unpaid);
    assert_eq!(unpaid.trade_state, Some(TradeState::Notpay));
    assert_eq!((unpaid.transaction_id.as_ref(), unpaid.payer.as_ref()), (None, None));
    assert_eq!(order_total(&unpaid), Some(100));
    assert_eq!(unpaid.amount.as_ref().and_then(|a| a.payer_total), None, "not paid yet");

    let payment = sandbox.pay("T-typed-query").unwrap();
    let paid = client.call(by_out_trade_no("T-typed-query")).unwrap();
    round_trips(&paid);
    assert_eq!(paid.trade_state, Some(TradeState::Success));
    assert_eq!(paid.trade_type, Some(TradeType::Jsapi));
    assert_eq!(paid.transaction_id.as_deref(), Some(payment.transaction_id.as_str()));
    assert_eq!(paid.payer.as_ref().map(|p| p.openid.as_deref()), Some(Some(OPENID)));
    assert!(!format!("{:?}", *paid).contains(OPENID), "the payer's openid stays out of Debug");
    assert_eq!(paid.amount.as_ref().and_then(|a| a.payer_total), Some(100));
    assert!(paid.success_time.as_deref().is_some_and(|t| t.ends_with("+08:00")));
    assert_eq!(serde_json::to_value(&*paid).unwrap(), payment.order);

    let by_id = client.call(QueryById { transaction_id: payment.transaction_id.clone(), mchid: MCHID.into() }).unwrap();
    round_trips(&by_id);
    assert_eq!(serde_json::to_value(&*by_id).unwrap(), serde_json::to_value(&*paid).unwrap());

    let err = client.call(by_out_trade_no("T-typed-nothing")).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("ORDER_NOT_EXIST"));
    // H5 orders are `MWEB` once paid.
    client.call(h5("T-typed-mweb", 1)).unwrap();
    sandbox.pay("T-typed-mweb").unwrap();
    assert_eq!(client.call(by_out_trade_no("T-typed-mweb")).unwrap().trade_type, Some(TradeType::Mweb));
}

#[tokio::test]
async fn queries_and_close_work_async() {
    let (sandbox, client) = setup();
    client.call_async(native("T-async-query", HTTPS_NOTIFY)).await.unwrap();
    let unpaid = client.call_async(by_out_trade_no("T-async-query")).await.unwrap();
    assert_eq!(unpaid.trade_state, Some(TradeState::Notpay));
    // An https:// notify_url is not delivered to, so paying does not block.
    let transaction_id = sandbox.pay("T-async-query").unwrap().transaction_id;
    let by_id = client.call_async(QueryById { transaction_id, mchid: MCHID.into() }).await.unwrap();
    assert_eq!(by_id.trade_state, Some(TradeState::Success));
    round_trips(&by_id);

    client.call_async(native("T-async-close", HTTPS_NOTIFY)).await.unwrap();
    let closed = client.call_async(close("T-async-close")).await.unwrap();
    assert_eq!(closed.raw().status(), 204);
    let after = client.call_async(by_out_trade_no("T-async-close")).await.unwrap();
    assert_eq!(after.trade_state, Some(TradeState::Closed));
}

#[test]
fn close_answers_no_content() {
    let (_sandbox, client) = setup();
    client.call(native("T-typed-close", HTTPS_NOTIFY)).unwrap();
    let closed = client.call(close("T-typed-close")).unwrap();
    assert_eq!((closed.raw().status().as_u16(), closed.raw().body().is_empty()), (204, true));
    let () = closed.into_inner();
    let after = client.call(by_out_trade_no("T-typed-close")).unwrap();
    assert_eq!(
        (after.trade_state.clone(), after.trade_state_desc.as_deref()),
        (Some(TradeState::Closed), Some("订单已关闭"))
    );
    let err = client.call(close("T-typed-nothing")).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("ORDER_NOT_EXIST"));
}

#[test]
fn jsapi_request_body_is_wechat_pays_documented_request() {
    // 官方文档 JSAPI下单 request example, built from the typed request.
    let documented = json!({
        "appid": "wxd678efh567hg6787", "mchid": "1230000109", "description": "Image形象店-深圳腾大-QQ公仔",
        "attach": "自定义数据说明", "out_trade_no": "1217752501201407033233368018",
        "amount": {"total": 100, "currency": "CNY"}, "time_expire": "2018-06-08T10:34:56+08:00",
        "notify_url": "https://www.weixin.qq.com/wxpay/pay.php", "goods_tag": "WXG", "support_fapiao": false,
        "detail": {"cost_price": 608800, "invoice_id": "微信123", "goods_detail": [{
            "merchant_goods_id": "1246464644", "wechatpay_goods_id": "1001", "goods_name": "iPhone6s 16G",
            "quantity": 1, "unit_price": 528800,
        }]},
        "scene_info": {"payer_client_ip": "14.23.150.211", "device_id": "013467007045764", "store_info": {
            "id": "0001", "name": "腾讯大厦分店", "area_code": "440305", "address": "广东省深圳市南山区科技中一道10000号",
        }},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "settle_info": {"profit_sharing": false},
    });
    let mut order = jsapi("1217752501201407033233368018");
    order.mchid = "1230000109".into();
    order.time_expire = Some("2018-06-08T10:34:56+08:00".to_owned());
    order.attach = Some("自定义数据说明".to_owned());
    order.goods_tag = Some("WXG".to_owned());
    order.support_fapiao = Some(false);
    order.detail = Some(Detail {
        cost_price: Some(608800),
        invoice_id: Some("微信123".to_owned()),
        goods_detail: Some(vec![GoodsDetail {
            merchant_goods_id: "1246464644".to_owned(),
            wechatpay_goods_id: Some("1001".to_owned()),
            goods_name: Some("iPhone6s 16G".to_owned()),
            quantity: 1,
            unit_price: 528800,
            ..GoodsDetail::default()
        }]),
        ..Detail::default()
    });
    order.scene_info = Some(SceneInfo {
        payer_client_ip: Some("14.23.150.211".to_owned()),
        device_id: Some("013467007045764".to_owned()),
        store_info: Some(StoreInfo {
            id: Some("0001".to_owned()),
            name: "腾讯大厦分店".to_owned(),
            area_code: "440305".to_owned(),
            address: "广东省深圳市南山区科技中一道10000号".to_owned(),
            ..StoreInfo::default()
        }),
        ..SceneInfo::default()
    });
    order.settle_info =
        Some(post_pay_transactions_jsapi::SettleInfo { profit_sharing: Some(false), ..Default::default() });
    let (_sandbox, client) = setup();
    type Jsapi = PostPayTransactionsJsapi;
    let prepared = client.chain(Jsapi::PATH).prepare(Jsapi::METHOD, order.to_options().unwrap()).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(prepared.body()).unwrap(), documented);
}

#[test]
fn documented_transaction_round_trips() {
    // 官方文档 查询订单 / 支付成功通知 resource example; `promotion_detail` and `amount.total` are not in the
    // schema's answer and come back unchanged from `extra`.
    let doc = json!({
        "transaction_id": "1217752501201407033233368018",
        "amount": {"payer_total": 100, "total": 100, "currency": "CNY", "payer_currency": "CNY"},
        "mchid": "1230000109", "trade_state": "SUCCESS", "bank_type": "CMC",
        "promotion_detail": [{
            "amount": 100, "wechatpay_contribute": 0, "coupon_id": "109519", "scope": "GLOBAL",
            "merchant_contribute": 0, "name": "单品惠-6", "other_contribute": 0, "currency": "CNY",
            "stock_id": "931386", "type": "CASH",
            "goods_detail": [
                {"goods_remark": "商品备注信息", "quantity": 1, "discount_amount": 1, "goods_id": "M1006", "unit_price": 100},
                {"goods_remark": "商品备注信息", "quantity": 1, "discount_amount": 1, "goods_id": "M1006", "unit_price": 100},
            ],
        }],
        "success_time": "2018-06-08T10:34:56+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "out_trade_no": "1217752501201407033233368018", "appid": "wxd678efh567hg6787",
        "trade_state_desc": "支付成功", "trade_type": "MICROPAY", "attach": "自定义数据",
        "scene_info": {"device_id": "013467007045764"},
    });
    let t: Transaction = documented(doc);
    assert_eq!((t.trade_type.clone(), t.trade_state.clone()), (Some(TradeType::Micropay), Some(TradeState::Success)));
    assert_eq!(t.extra["promotion_detail"][0]["goods_detail"].as_array().map(Vec::len), Some(2));
    assert_eq!(order_total(&t), Some(100));
    assert_eq!(t.amount.as_ref().and_then(|a| a.payer_currency.as_deref()), Some("CNY"));
}

#[test]
fn unknown_enum_values_survive() {
    let doc = json!({
        "appid": APPID, "mchid": MCHID, "out_trade_no": "T1", "trade_state": "SOME_NEW_STATE",
        "trade_state_desc": "新状态", "trade_type": "WRISTPAY", "amount": {"total": 1},
    });
    let t: Transaction = documented(doc);
    assert_eq!(t.trade_state, Some(TradeState::Unknown("SOME_NEW_STATE".to_owned())));
    assert_eq!(t.trade_type.as_ref().map(TradeType::as_str), Some("WRISTPAY"));
    assert_eq!(TradeState::from("USERPAYING"), TradeState::Userpaying);
    for (state, wire) in [
        (TradeState::Success, "SUCCESS"),
        (TradeState::Refund, "REFUND"),
        (TradeState::Notpay, "NOTPAY"),
        (TradeState::Closed, "CLOSED"),
        (TradeState::Revoked, "REVOKED"),
        (TradeState::Userpaying, "USERPAYING"),
        (TradeState::Payerror, "PAYERROR"),
    ] {
        assert_eq!(serde_json::to_value(&state).unwrap(), json!(wire));
        assert_eq!(serde_json::from_value::<TradeState>(json!(wire)).unwrap(), state);
        assert_eq!(state.to_string(), wire);
    }
    for (status, wire) in [
        (RefundStatus::Success, "SUCCESS"),
        (RefundStatus::Closed, "CLOSED"),
        (RefundStatus::Processing, "PROCESSING"),
        (RefundStatus::Abnormal, "ABNORMAL"),
        (RefundStatus::Unknown("PENDING_REVIEW".to_owned()), "PENDING_REVIEW"),
    ] {
        assert_eq!(serde_json::from_value::<RefundStatus>(json!(wire)).unwrap(), status);
        assert_eq!(serde_json::to_value(&status).unwrap(), json!(wire));
    }
    let bill_type = serde_json::from_value::<BillType>(json!("EVERYTHING")).unwrap();
    assert_eq!(bill_type, BillType::Unknown("EVERYTHING".to_owned()));
    // Wrong JSON types are errors, never panics.
    assert!(serde_json::from_value::<TradeState>(json!(1)).is_err());
    assert!(serde_json::from_value::<Transaction>(json!({"trade_state": 1})).is_err());
    // Answers are read leniently: a field WeChat Pay leaves out is `None`.
    assert_eq!(serde_json::from_value::<Transaction>(json!({})).unwrap(), Transaction::default());
}

/// `doc` with the top-level fields of `patch` replaced.
fn patched(mut doc: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().into_iter().flatten() {
        doc[k] = v.clone();
    }
    doc
}

mod bills;
mod notifications;
mod refunds;
