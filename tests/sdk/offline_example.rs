//! The README's "Testing your integration offline" example, kept compiling and true: create a Native
//! order with the generated chain, pay it in the sandbox, and receive the notification.

use crate::common;

use serde_json::json;
use wechatpay_sandbox::Sandbox;

#[test]
fn checkout_marks_the_order_paid() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();

    // A local notify endpoint that hands the raw notification back to the test.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let notify_url = format!("http://{}/wechatpay/notify", listener.local_addr().unwrap());
    let endpoint = std::thread::spawn(move || {
        use std::io::Write;
        let (stream, _) = listener.accept().unwrap();
        let (_, headers, body) = common::read_http_request(&stream);
        (&stream).write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").unwrap();
        (headers, body)
    });

    let order = client
        .v3()
        .pay()
        .transactions()
        .native()
        .post(json!({"json": {
            "appid": "wx2b029c08a6233333", "mchid": sandbox.keys().mchid(), "description": "T-shirt",
            "out_trade_no": "ORDER20261125001", "notify_url": notify_url,
            "amount": {"total": 100, "currency": "CNY"},
        }}))
        .unwrap();
    assert!(order.json().unwrap()["code_url"].is_string());

    let payment = sandbox.pay("ORDER20261125001").unwrap();
    assert_eq!(payment.delivery.as_ref().map(|d| d.as_ref().map(|(status, _)| *status).ok()), Some(Some(204)));
    let (headers, body) = endpoint.join().unwrap();
    let notification = client.notification(&headers, &body).unwrap();
    assert_eq!(notification.event_type(), "TRANSACTION.SUCCESS");
    assert_eq!(notification.resource()["transaction_id"], payment.transaction_id.as_str());
    let paid = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({"out_trade_no": "ORDER20261125001", "query": {"mchid": sandbox.keys().mchid()}}))
        .unwrap();
    assert_eq!(paid.json().unwrap()["trade_state"], "SUCCESS");
}
