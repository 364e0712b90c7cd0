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

// --- pay transactions ---

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

// --- refunds ---

/// `doc` with the top-level fields of `patch` replaced.
fn patched(mut doc: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().into_iter().flatten() {
        doc[k] = v.clone();
    }
    doc
}

/// WeChat Pay's documented refund answer (申请退款), with fields replaced by `patch`.
fn refund_doc(patch: Value) -> Value {
    let doc = json!({
        "refund_id": "50000000382019052709732678859", "out_refund_no": "1217752501201407033233368018",
        "transaction_id": "1217752501201407033233368018", "out_trade_no": "1217752501201407033233368018",
        "channel": "ORIGINAL", "user_received_account": "招商银行信用卡0403",
        "success_time": "2020-12-01T16:18:12+08:00", "create_time": "2020-12-01T16:18:12+08:00",
        "status": "SUCCESS", "funds_account": "UNSETTLED",
        "amount": {
            "total": 100, "refund": 100, "from": [{"account": "AVAILABLE", "amount": 444}],
            "payer_total": 90, "payer_refund": 90, "settlement_refund": 100, "settlement_total": 100,
            "discount_refund": 10, "currency": "CNY", "refund_fee": 100,
        },
        "promotion_detail": [{
            "promotion_id": "109519", "scope": "SINGLE", "type": "DISCOUNT", "amount": 5, "refund_amount": 100,
            "goods_detail": [{
                "merchant_goods_id": "1217752501201407033233368018", "wechatpay_goods_id": "1001",
                "goods_name": "iPhone6s 16G", "unit_price": 528800, "refund_amount": 528800, "refund_quantity": 1,
            }],
        }],
    });
    patched(doc, patch)
}

#[test]
fn documented_refund_round_trips() {
    let refund: PostRefundDomesticRefundsResponse = documented(refund_doc(json!({})));
    assert_eq!((refund.status.as_deref(), refund.channel.as_deref()), (Some("SUCCESS"), Some("ORIGINAL")));
    assert_eq!(refund.funds_account.as_deref(), Some("UNSETTLED"));
    let amount = refund.amount.as_ref().unwrap();
    assert_eq!(amount.from.as_ref().unwrap()[0].account.as_deref(), Some("AVAILABLE"));
    assert_eq!((amount.refund, amount.discount_refund, amount.refund_fee), (Some(100), Some(10), Some(100)));
    let promotion = &refund.promotion_detail.as_ref().unwrap()[0];
    assert_eq!((promotion.scope.as_deref(), promotion.r#type.as_deref()), (Some("SINGLE"), Some("DISCOUNT")));
    // The same JSON is the answer of the refund query.
    let _: wechatpay_chain::typed::refund::GetRefundDomesticRefundsByOutRefundNoResponse =
        documented(refund_doc(json!({"status": "PROCESSING"})));
}

#[test]
fn refunds_against_the_sandbox() {
    let (sandbox, client) = setup();
    client.call(native("T-typed-refund", HTTPS_NOTIFY)).unwrap();
    let transaction_id = sandbox.pay("T-typed-refund").unwrap().transaction_id;

    let mut request = refund("R-typed-1", 30, 100);
    request.out_trade_no = Some("T-typed-refund".to_owned());
    request.reason = Some("商品已售完".to_owned());
    let created = client.call(request.clone()).unwrap();
    round_trips(&created);
    assert_eq!(created.status.as_deref(), Some("PROCESSING"));
    assert_eq!(created.transaction_id.as_deref(), Some(transaction_id.as_str()));
    let amount = created.amount.as_ref().unwrap();
    assert_eq!((amount.refund, amount.payer_refund, amount.total), (Some(30), Some(30), Some(100)));
    assert_eq!(created.channel.as_deref(), Some("ORIGINAL"));
    assert_eq!(created.funds_account.as_deref(), Some("AVAILABLE"));
    assert_eq!(created.promotion_detail, Some(Vec::new()));
    assert_eq!(*client.call(request).unwrap(), *created, "an identical replay");

    let queried = client.call(query_refund("R-typed-1")).unwrap();
    round_trips(&queried);
    assert_eq!(queried.status.as_deref(), Some("SUCCESS"));
    assert_eq!(queried.success_time, created.create_time);

    let mut by_id = refund("R-typed-2", 80, 100);
    by_id.transaction_id = Some(transaction_id);
    let err = client.call(by_id).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("NOT_ENOUGH"), "only 70 fen are left");
    let err = client.call(query_refund("R-typed-nothing")).unwrap_err();
    assert!(err.api().is_some(), "{err}");
}

#[tokio::test]
async fn refunds_work_async() {
    let (sandbox, client) = setup();
    client.call_async(native("T-async-refund", HTTPS_NOTIFY)).await.unwrap();
    let transaction_id = sandbox.pay("T-async-refund").unwrap().transaction_id;
    let mut request = refund("R-async-1", 100, 100);
    request.transaction_id = Some(transaction_id);
    let created = client.call_async(request).await.unwrap();
    assert_eq!(created.out_trade_no.as_deref(), Some("T-async-refund"));
    let queried = client.call_async(query_refund("R-async-1")).await.unwrap();
    round_trips(&queried);
    let order = client.call_async(by_out_trade_no("T-async-refund")).await.unwrap();
    assert_eq!(order.trade_state, Some(TradeState::Refund), "fully refunded");
}

// --- certificates and bills ---

#[test]
fn certificates_list_and_decrypt() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let list = client.call(GetCertificates { algorithm_type: None }).unwrap();
    round_trips(&list);
    let key = ApiV3Key::new(sandbox.keys().apiv3_key()).unwrap();
    let platforms = sandbox.platform_certificates();
    let data = list.data.as_ref().unwrap();
    assert_eq!(data.len(), platforms.len());
    for certificate in data {
        let pem = certificate.encrypt_certificate.as_ref().unwrap().decrypt(&key).unwrap();
        let serial = certificate.serial_no.as_deref().unwrap();
        assert!(platforms.iter().any(|(known_serial, known)| known_serial == serial && *known == pem));
        assert!(certificate.effective_time.as_deref().unwrap().ends_with("+08:00"));
        assert!(certificate.expire_time.as_deref().unwrap().ends_with("+08:00"));
    }
    let other = ApiV3Key::new("0123456789abcdef0123456789abcdef").unwrap();
    assert!(matches!(data[0].encrypt_certificate.as_ref().unwrap().decrypt(&other), Err(Error::Decode(_))));

    // Merchants on the WeChat Pay public key have none: 404.
    let (_public, client) = setup();
    let err = client.call(GetCertificates { algorithm_type: None }).unwrap_err();
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(404));
}

#[tokio::test]
async fn certificates_async() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Mixed).start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let list = client.call_async(GetCertificates { algorithm_type: None }).await.unwrap();
    assert_eq!(list.data.as_ref().unwrap()[0].serial_no.as_deref(), Some(sandbox.keys().platform_serial()));
}

#[test]
fn documented_certificates_and_bills_round_trip() {
    let certificates: GetCertificatesResponse = documented(json!({"data": [{
        "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "effective_time": "2018-06-08T10:34:56+08:00", "expire_time": "2018-12-08T10:34:56+08:00",
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM", "nonce": "61f9c719728a", "associated_data": "certificate",
            "ciphertext": "sRvt…",
        },
    }]}));
    let envelope = certificates.data.as_ref().unwrap()[0].encrypt_certificate.as_ref().unwrap();
    assert_eq!(envelope.associated_data.as_deref(), Some("certificate"));
    let key = ApiV3Key::new("0123456789abcdef0123456789abcdef").unwrap();
    assert!(matches!(envelope.decrypt(&key), Err(Error::Decode(_))), "not a real ciphertext");
    let bill: GetBillTradebillResponse = documented(json!({
        "hash_type": "SHA1", "hash_value": "79bb0f45fc4c42234a918000b2668d689e2bde04",
        "download_url": "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO",
    }));
    assert_eq!(bill.hash_type.as_deref(), Some("SHA1"));
    let unknown: GetBillTradebillResponse =
        documented(json!({"hash_type": "SM3", "hash_value": "00", "download_url": "x"}));
    assert_eq!(unknown.hash_type.as_deref(), Some("SM3"));
}

#[test]
fn bills_against_the_sandbox() {
    let (_sandbox, client) = setup();
    let mut trade = trade_bill("2024-11-24");
    trade.bill_type = Some(BillType::Success);
    trade.tar_type = Some(TarType::Gzip);
    let bill = client.call(trade).unwrap();
    round_trips(&bill);
    assert_eq!((bill.hash_type.as_deref(), bill.hash_value.as_ref().map(String::len)), (Some("SHA1"), Some(40)));
    assert!(bill.download_url.as_deref().unwrap().contains("/v3/billdownload/file?token="));
    // The query went out with WeChat Pay's names and values.
    let mut refunds = trade_bill("2024-11-24");
    refunds.bill_type = Some(BillType::Refund);
    let prepared =
        client.chain(GetBillTradebill::PATH).prepare(GetBillTradebill::METHOD, refunds.to_options().unwrap()).unwrap();
    assert_eq!(prepared.request_target(), "/v3/bill/tradebill?bill_date=2024-11-24&bill_type=REFUND");

    let fund = GetBillFundflowbill {
        bill_date: "2024-11-24".into(),
        account_type: Some(AccountType::Operation),
        ..Default::default()
    };
    let bill = client.call(fund).unwrap();
    round_trips(&bill);
    assert_eq!(bill.hash_value.as_ref().map(String::len), Some(40));

    let err = client.call(trade_bill("2024-13-01")).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("PARAM_ERROR"));
}

#[tokio::test]
async fn bills_async() {
    let (_sandbox, client) = setup();
    let trade = client.call_async(trade_bill("2024-11-24")).await.unwrap();
    let fund =
        client.call_async(GetBillFundflowbill { bill_date: "2024-11-24".into(), ..Default::default() }).await.unwrap();
    assert_ne!(trade.hash_value, fund.hash_value);
    round_trips(&fund);
}

// --- notifications ---

/// A notification endpoint on a loopback port for one POST; it answers 204.
fn endpoint() -> (String, JoinHandle<(HeaderMap, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/wechatpay/notify", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let (line, headers, body) = common::read_http_request(&stream);
        assert!(line.starts_with("POST /wechatpay/notify "), "{line}");
        stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").unwrap();
        (headers, body)
    });
    (url, handle)
}

#[test]
fn transaction_success_is_delivered_and_typed() {
    let (sandbox, client) = setup();
    let (url, received) = endpoint();
    client.call(native("T-typed-notify", &url)).unwrap();
    let payment = sandbox.pay("T-typed-notify").unwrap();
    assert_eq!(payment.delivery.unwrap().unwrap().0, 204);
    let (headers, body) = received.join().unwrap();

    let notification = client.notification(&headers, &body).unwrap();
    assert_eq!(notification.event_type(), "TRANSACTION.SUCCESS");
    let transaction: Transaction = notification.resource_as().unwrap();
    assert_eq!(transaction.trade_state, Some(TradeState::Success));
    assert_eq!(transaction.transaction_id.as_deref(), Some(payment.transaction_id.as_str()));
    assert_eq!(transaction.attach.as_deref(), Some("自定义数据"));
    assert_eq!(serde_json::to_value(&transaction).unwrap(), *notification.resource(), "round trip");
    // The notification's resource is the order as the query answers it.
    assert_eq!(*client.call(by_out_trade_no("T-typed-notify")).unwrap(), transaction);
    match Event::parse(&notification).unwrap() {
        Event::Transaction(t) => assert_eq!(*t, transaction),
        other => panic!("{other:?}"),
    }
}

/// WeChat Pay's documented REFUND.SUCCESS resource, with fields replaced by `patch`.
fn refund_notification_doc(patch: Value) -> Value {
    let doc = json!({
        "mchid": "1900000100", "transaction_id": "1008450740201411110005820873",
        "out_trade_no": "20150806125346", "refund_id": "50200207182018070300011301001",
        "out_refund_no": "7752501201407033233368018", "refund_status": "SUCCESS",
        "success_time": "2018-06-08T10:34:56+08:00", "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999},
    });
    patched(doc, patch)
}

#[test]
fn refund_notifications_are_typed() {
    let (sandbox, client) = setup();
    for (event, status, patch) in [
        ("REFUND.SUCCESS", RefundStatus::Success, json!({})),
        ("REFUND.ABNORMAL", RefundStatus::Abnormal, json!({"refund_status": "ABNORMAL"})),
        ("REFUND.CLOSED", RefundStatus::Closed, json!({"refund_status": "CLOSED"})),
    ] {
        let mut resource = refund_notification_doc(patch);
        if status != RefundStatus::Success {
            resource.as_object_mut().unwrap().remove("success_time");
        }
        let spec = NotificationSpec::new(event, resource.clone())
            .original_type("refund")
            .associated_data("refund")
            .summary("退款状态变更");
        let forged = sandbox.notification(&spec).unwrap();
        let notification = client.notification(&forged.headers, &forged.body).unwrap();
        let typed: RefundNotification = notification.resource_as().unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), resource, "round trip");
        assert_eq!(typed.refund_status, status);
        assert_eq!((typed.amount.refund, typed.amount.payer_refund), (999, 999));
        match Event::parse(&notification).unwrap() {
            Event::Refund(kind, refund) => {
                assert_eq!(kind.as_str(), event);
                assert_eq!(*refund, typed);
            }
            other => panic!("{other:?}"),
        }
    }

    // Other events are passed through; a resource that does not fit its event is a decode error.
    let forged = sandbox.notification(&NotificationSpec::new("PROFITSHARING.SUCCESS", json!({"x": 1}))).unwrap();
    let notification = client.notification(&forged.headers, &forged.body).unwrap();
    assert!(
        matches!(Event::parse(&notification).unwrap(), Event::Other(EventType::Unknown(e)) if e == "PROFITSHARING.SUCCESS")
    );
    let forged = sandbox.notification(&NotificationSpec::new("REFUND.SUCCESS", json!({"refund_status": 1}))).unwrap();
    let notification = client.notification(&forged.headers, &forged.body).unwrap();
    assert!(matches!(Event::parse(&notification), Err(Error::Decode(_))));
}

#[test]
fn documented_refund_notification_round_trips() {
    let partner = refund_notification_doc(json!({
        "sp_mchid": "1900000100", "sub_mchid": "1900000109", "refund_account": "REFUND_SOURCE_SUB_MERCHANT",
        "amount": {"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999, "currency": "CNY",
                   "payer_currency": "CNY"},
    }));
    let typed: RefundNotification = documented(partner);
    assert_eq!(typed.sub_mchid.as_deref(), Some("1900000109"));
    let direct: RefundNotification = documented(refund_notification_doc(json!({})));
    assert_eq!(direct.mchid.as_deref(), Some("1900000100"));
}
