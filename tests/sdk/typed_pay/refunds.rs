//! Refunds: WeChat Pay's documented refund JSON, and refunds against the sandbox, blocking and async.

use super::*;

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
