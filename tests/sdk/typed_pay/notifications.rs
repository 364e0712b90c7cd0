//! The `TRANSACTION.SUCCESS` and `REFUND.*` notifications the sandbox delivers, read as `typed::notify`
//! resources.

use super::*;

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
