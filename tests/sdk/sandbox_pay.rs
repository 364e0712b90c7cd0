//! The sandbox's payment endpoints through the real client: orders of every kind and their validation,
//! idempotent replays, queries, payment with a delivered notification (by `Sandbox::pay` and by the
//! unauthenticated control endpoint), closing, refunds, and the rules every request is held to.

use crate::common;

use std::io::Write;
use std::net::TcpListener;
use std::thread::JoinHandle;

use serde_json::{Value, json};
use wechatpay_chain::error::ApiError;
use wechatpay_chain::http::HeaderMap;
use wechatpay_chain::{Client, Error, Verification};
use wechatpay_sandbox::Verdict;

use crate::common::pay::{APPID, HTTPS_NOTIFY, MCHID, OPENID, setup};

fn order(out_trade_no: &str, notify_url: &str) -> Value {
    json!({
        "appid": APPID,
        "mchid": MCHID,
        "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": out_trade_no,
        "attach": "自定义数据",
        "notify_url": notify_url,
        "amount": {"total": 100, "currency": "CNY"},
    })
}

/// The body of a `kind` order that WeChat Pay accepts.
fn body(kind: &str, out_trade_no: &str, notify_url: &str) -> Value {
    let mut body = order(out_trade_no, notify_url);
    match kind {
        "jsapi" => body["payer"] = json!({"openid": OPENID}),
        "h5" => body["scene_info"] = json!({"payer_client_ip": "14.23.150.211", "h5_info": {"type": "Wap"}}),
        _ => {}
    }
    body
}

fn create(client: &Client, kind: &str, body: &Value) -> Result<Value, Error> {
    let res = client.chain(&format!("v3/pay/transactions/{kind}")).post(json!({"json": body}))?;
    assert!(matches!(res.verification(), Verification::Signed { .. }));
    Ok(res.json()?)
}

fn query(client: &Client, out_trade_no: &str) -> Result<Value, Error> {
    client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({"out_trade_no": out_trade_no, "query": {"mchid": MCHID}}))?
        .json()
        .map_err(Error::from)
}

fn query_by_id(client: &Client, transaction_id: &str) -> Result<Value, Error> {
    client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({"transaction_id": transaction_id, "query": {"mchid": MCHID}}))?
        .json()
        .map_err(Error::from)
}

fn close(client: &Client, out_trade_no: &str) -> Result<u16, Error> {
    let res = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
        .post(json!({"out_trade_no": out_trade_no, "json": {"mchid": MCHID}}))?;
    assert!(res.body().is_empty());
    assert!(matches!(res.verification(), Verification::Signed { .. }), "the 204 is signed");
    Ok(res.status().as_u16())
}

fn refund(client: &Client, body: Value) -> Result<Value, Error> {
    Ok(client.chain("v3/refund/domestic/refunds").post(json!({"json": body}))?.json()?)
}

fn query_refund(client: &Client, out_refund_no: &str) -> Result<Value, Error> {
    Ok(client
        .chain("v3/refund/domestic/refunds/{out_refund_no}")
        .get(json!({"out_refund_no": out_refund_no}))?
        .json()?)
}

/// The API error of a failed call, with its status and code checked.
#[track_caller]
fn api<T: std::fmt::Debug>(result: Result<T, Error>, status: u16, code: &str) -> ApiError {
    let error = result.unwrap_err();
    let api = error.api().unwrap_or_else(|| panic!("not an API error: {error}")).clone();
    assert_eq!((api.status().as_u16(), api.code()), (status, Some(code)), "{:?}", api.message());
    assert!(api.signed_by().is_some(), "error answers are signed");
    api
}

#[track_caller]
fn param_error<T: std::fmt::Debug>(result: Result<T, Error>, field: &str, location: &str) {
    let api = api(result, 400, "PARAM_ERROR");
    let detail = api.detail().unwrap();
    assert_eq!((detail["field"].as_str(), detail["location"].as_str()), (Some(field), Some(location)));
    assert!(detail["issue"].is_string());
}

/// What a notification endpoint received, and the order it queried while handling the notification.
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
    queried: Value,
}

/// A notification endpoint on a loopback port for one POST: it queries `out_trade_no` through `client`
/// before answering (so the sandbox must keep serving during a delivery), then answers 204.
fn endpoint(client: Client, out_trade_no: &str) -> (String, JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/wechatpay/notify", listener.local_addr().unwrap());
    let out_trade_no = out_trade_no.to_owned();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let (line, headers, body) = common::read_http_request(&stream);
        assert!(line.starts_with("POST /wechatpay/notify HTTP/1.1"), "{line}");
        let queried = query(&client, &out_trade_no).unwrap();
        stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").unwrap();
        Received { headers, body, queried }
    });
    (url, handle)
}

#[test]
fn every_kind_answers_in_its_shape() {
    let (sandbox, client) = setup();
    for (i, kind) in ["jsapi", "app", "h5", "native"].into_iter().enumerate() {
        let answer = create(&client, kind, &body(kind, &format!("T2024112400{i}"), HTTPS_NOTIFY)).unwrap();
        let fields: Vec<&String> = answer.as_object().unwrap().keys().collect();
        let prepay_id = |id: &str| {
            assert_eq!(id.len(), 36, "{id}");
            assert!(id.starts_with("wx") && id[2..16].bytes().all(|b| b.is_ascii_digit()), "{id}");
        };
        match kind {
            "jsapi" | "app" => {
                assert_eq!(fields, ["prepay_id"]);
                prepay_id(answer["prepay_id"].as_str().unwrap());
            }
            "h5" => {
                assert_eq!(fields, ["h5_url"]);
                let url = answer["h5_url"].as_str().unwrap();
                let rest = url.strip_prefix("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=").unwrap();
                let (id, package) = rest.split_once("&package=").unwrap();
                prepay_id(id);
                assert!(!package.is_empty() && package.bytes().all(|b| b.is_ascii_digit()));
            }
            _ => {
                assert_eq!(fields, ["code_url"]);
                let pr = answer["code_url"].as_str().unwrap().strip_prefix("weixin://wxpay/bizpayurl?pr=").unwrap();
                assert!(!pr.is_empty() && pr.bytes().all(|b| b.is_ascii_alphanumeric()));
            }
        }
    }
    assert!(sandbox.requests().iter().all(|r| r.verdict == Verdict::Authenticated && r.status == 200));
}

#[test]
fn replays_are_idempotent_and_conflicts_refused() {
    let (_sandbox, client) = setup();
    let first = body("jsapi", "T20241124replay", HTTPS_NOTIFY);
    let answer = create(&client, "jsapi", &first).unwrap();
    assert_eq!(create(&client, "jsapi", &first).unwrap(), answer, "same body, same prepay_id");
    // The same JSON value with its keys in another order is the same request.
    let mut reordered = serde_json::Map::new();
    for (k, v) in first.as_object().unwrap().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    assert_eq!(create(&client, "jsapi", &Value::Object(reordered)).unwrap(), answer);

    let mut changed = first.clone();
    changed["amount"]["total"] = json!(101);
    let refused = api(create(&client, "jsapi", &changed), 400, "INVALID_REQUEST");
    assert!(refused.message().unwrap().contains("商户订单号重复"));
    api(create(&client, "app", &first), 400, "INVALID_REQUEST");
    // The order is unchanged by the refused replays.
    assert_eq!(query(&client, "T20241124replay").unwrap()["amount"]["total"], 100);
}

#[test]
fn orders_are_validated_like_wechat_pay() {
    let (_sandbox, client) = setup();
    type Edit = fn(&mut Value);
    let cases: &[(&str, &str, Edit)] = &[
        ("native", "appid", |b| b["appid"] = Value::Null),
        ("native", "mchid", |b| {
            b.as_object_mut().unwrap().remove("mchid");
        }),
        ("native", "description", |b| b["description"] = json!("")),
        ("native", "description", |b| b["description"] = json!(7)),
        ("native", "out_trade_no", |b| b["out_trade_no"] = json!("T1234")),
        ("native", "out_trade_no", |b| b["out_trade_no"] = json!("T2024#1124")),
        ("native", "out_trade_no", |b| b["out_trade_no"] = json!("T".repeat(33))),
        ("native", "attach", |b| b["attach"] = json!("a".repeat(129))),
        ("native", "notify_url", |b| {
            b.as_object_mut().unwrap().remove("notify_url");
        }),
        ("native", "notify_url", |b| b["notify_url"] = json!("http://shop.example/notify")),
        ("native", "notify_url", |b| b["notify_url"] = json!("http://localhost.example/notify")),
        ("native", "notify_url", |b| b["notify_url"] = json!("https://shop.example/notify?order=1")),
        ("native", "amount.total", |b| b["amount"]["total"] = json!(0)),
        ("native", "amount.total", |b| b["amount"]["total"] = json!("100")),
        ("native", "amount.total", |b| b["amount"]["total"] = json!(1.5)),
        ("native", "amount.total", |b| b["amount"] = json!({})),
        ("native", "amount.currency", |b| b["amount"]["currency"] = json!("USD")),
        ("jsapi", "payer.openid", |b| b["payer"] = json!({})),
        ("h5", "scene_info.payer_client_ip", |b| b["scene_info"]["payer_client_ip"] = Value::Null),
        ("h5", "scene_info.payer_client_ip", |b| b["scene_info"]["payer_client_ip"] = json!("not an ip")),
        ("h5", "scene_info.h5_info.type", |b| b["scene_info"]["h5_info"] = json!({})),
    ];
    for (kind, field, edit) in cases {
        let mut b = body(kind, "T20241124valid", HTTPS_NOTIFY);
        edit(&mut b);
        param_error(create(&client, kind, &b), field, "body");
    }
    api(create(&client, "native", &json!([1, 2])), 400, "PARAM_ERROR");
    // Accepted: the currency defaults to CNY; local http:// notify URLs (a sandbox deviation).
    let mut b = body("native", "T20241124default", "http://127.0.0.1:9/notify");
    b["amount"] = json!({"total": 1});
    create(&client, "native", &b).unwrap();
    assert_eq!(query(&client, "T20241124default").unwrap()["amount"]["currency"], "CNY");
    for (i, url) in ["http://localhost/notify", "http://[::1]:8080/n", "https://shop.example"].into_iter().enumerate() {
        create(&client, "app", &body("app", &format!("T20241124url{i}"), url)).unwrap();
    }
    create(&client, "native", &body("native", "a-b_c|d*", HTTPS_NOTIFY)).unwrap();
}

#[test]
fn query_before_and_after_payment() {
    let (sandbox, client) = setup();
    let no = "T20241124query";
    create(&client, "jsapi", &body("jsapi", no, HTTPS_NOTIFY)).unwrap();
    let unpaid = query(&client, no).unwrap();
    assert_eq!(
        unpaid,
        json!({
            "appid": APPID, "mchid": MCHID, "out_trade_no": no, "trade_state": "NOTPAY",
            "trade_state_desc": "订单未支付", "attach": "自定义数据",
            "amount": {"total": 100, "currency": "CNY", "payer_currency": "CNY"},
        })
    );
    param_error(client.chain("v3/pay/transactions/out-trade-no/{no}").get(json!({"no": no})), "mchid", "query");
    api(query(&client, "T20241124nothing"), 404, "ORDER_NOT_EXIST");

    let payment = sandbox.pay(no).unwrap();
    assert!(payment.delivery.is_none(), "https:// notify URLs are not delivered to");
    let id = &payment.transaction_id;
    assert!(id.len() == 28 && id.starts_with("42000") && id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert!(!format!("{payment:?}").contains(OPENID), "the order is redacted in Debug");

    let paid = query(&client, no).unwrap();
    assert_eq!(paid, payment.order);
    assert_eq!(paid["transaction_id"], id.as_str());
    assert_eq!(paid["trade_type"], "JSAPI");
    assert_eq!(paid["trade_state"], "SUCCESS");
    assert_eq!(paid["trade_state_desc"], "支付成功");
    assert_eq!(paid["bank_type"], "OTHERS");
    assert_eq!(paid["payer"], json!({"openid": OPENID}));
    assert_eq!(paid["amount"], json!({"total": 100, "payer_total": 100, "currency": "CNY", "payer_currency": "CNY"}));
    let success_time = paid["success_time"].as_str().unwrap();
    assert!(success_time.len() == 25 && success_time.ends_with("+08:00"), "{success_time}");
    assert_eq!(query_by_id(&client, id).unwrap(), paid);
    api(query_by_id(&client, "4200000000000000000000000000"), 404, "ORDER_NOT_EXIST");

    // The notification carries the order as the query answers it.
    let n = client.notification(&payment.notification.headers, &payment.notification.body).unwrap();
    assert_eq!((n.event_type(), n.summary(), n.original_type()), ("TRANSACTION.SUCCESS", "支付成功", "transaction"));
    assert_eq!(n.resource(), &paid);

    assert!(sandbox.pay(no).unwrap_err().to_string().contains("already paid"));
    assert!(sandbox.pay("T20241124nothing").is_err());
    // A native order gets a generated openid when paid.
    create(&client, "native", &body("native", "T20241124native", HTTPS_NOTIFY)).unwrap();
    sandbox.pay("T20241124native").unwrap();
    let native = query(&client, "T20241124native").unwrap();
    assert_eq!(native["trade_type"], "NATIVE");
    assert!(native["payer"]["openid"].as_str().is_some_and(|o| o.starts_with('o') && o.len() == 28));
}

#[test]
fn pay_delivers_the_notification_to_a_local_endpoint() {
    let (sandbox, client) = setup();
    let no = "T20241124deliver";
    let (url, received) = endpoint(sandbox.client_builder().build().unwrap(), no);
    create(&client, "h5", &body("h5", no, &url)).unwrap();
    let payment = sandbox.pay(no).unwrap();
    let (status, answer) = payment.delivery.unwrap().unwrap();
    assert_eq!((status, answer.is_empty()), (204, true));
    let received = received.join().unwrap();
    assert_eq!(received.body, payment.notification.body);
    let n = client.notification(&received.headers, &received.body).unwrap();
    let order = query(&client, no).unwrap();
    assert_eq!(n.resource(), &order);
    assert_eq!(received.queried, order, "the endpoint could query the paid order while handling it");
    assert_eq!(order["trade_type"], "MWEB");
}

#[test]
fn the_control_endpoint_pays_without_authentication() {
    let (sandbox, client) = setup();
    let no = "T20241124control";
    let (url, received) = endpoint(sandbox.client_builder().build().unwrap(), no);
    create(&client, "app", &body("app", no, &url)).unwrap();
    let post = |target: &str| {
        let (status, _, body) = common::raw_request(sandbox.addr(), "POST", target, &[], b"");
        (status, serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null))
    };

    let (status, answer) = post(&format!("/_sandbox/pay/{no}"));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["notified"], 204);
    let received = received.join().unwrap();
    let order = query(&client, no).unwrap();
    assert_eq!(answer["transaction_id"], order["transaction_id"]);
    assert_eq!(order["trade_state"], "SUCCESS");
    assert_eq!(client.notification(&received.headers, &received.body).unwrap().resource(), &order);
    assert_eq!(received.queried, order, "the sandbox kept serving during the delivery");
    let control: Vec<_> = sandbox.requests().into_iter().filter(|r| r.verdict == Verdict::Control).collect();
    assert_eq!((control.len(), control[0].status), (1, 200));

    let (status, answer) = post(&format!("/_sandbox/pay/{no}"));
    assert_eq!((status, answer["code"].as_str()), (400, Some("ORDERPAID")));
    let (status, answer) = post("/_sandbox/pay/T20241124nothing");
    assert_eq!((status, answer["code"].as_str()), (404, Some("ORDER_NOT_EXIST")));
    let (status, _) = post("/_sandbox/nothing");
    assert_eq!(status, 404);
    let (status, _, _) = common::raw_request(sandbox.addr(), "GET", "/_sandbox/pay/x", &[], b"");
    assert_eq!(status, 405);

    // An https:// order is paid without a delivery; an unreachable local endpoint is reported.
    create(&client, "native", &body("native", "T20241124remote", HTTPS_NOTIFY)).unwrap();
    let (status, answer) = post("/_sandbox/pay/T20241124remote");
    assert_eq!((status, &answer["notified"], answer.get("notify_error")), (200, &Value::Null, None));
    let closed_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    create(&client, "native", &body("native", "T20241124unreached", &format!("http://{closed_port}/n"))).unwrap();
    let (status, answer) = post("/_sandbox/pay/T20241124unreached");
    assert_eq!((status, &answer["notified"]), (200, &Value::Null));
    assert!(answer["notify_error"].is_string(), "{answer}");
    assert_eq!(query(&client, "T20241124unreached").unwrap()["trade_state"], "SUCCESS");
}

#[test]
fn closed_orders_stay_closed() {
    let (sandbox, client) = setup();
    let no = "T20241124close";
    let b = body("native", no, HTTPS_NOTIFY);
    create(&client, "native", &b).unwrap();
    assert_eq!(close(&client, no).unwrap(), 204);
    let closed = query(&client, no).unwrap();
    assert_eq!((closed["trade_state"].as_str(), closed.get("transaction_id")), (Some("CLOSED"), None));
    assert_eq!(close(&client, no).unwrap(), 204, "closing twice is fine");
    api(create(&client, "native", &b), 400, "ORDER_CLOSED");
    assert!(sandbox.pay(no).is_err());
    api(close(&client, "T20241124nothing"), 404, "ORDER_NOT_EXIST");
    param_error(
        client.chain("v3/pay/transactions/out-trade-no/{no}/close").post(json!({"no": no, "json": {}})),
        "mchid",
        "body",
    );

    create(&client, "native", &body("native", "T20241124paid", HTTPS_NOTIFY)).unwrap();
    sandbox.pay("T20241124paid").unwrap();
    api(close(&client, "T20241124paid"), 400, "ORDERPAID");
    api(create(&client, "native", &body("native", "T20241124paid", HTTPS_NOTIFY)), 403, "ORDERPAID");
}

#[test]
fn refunds() {
    let (sandbox, client) = setup();
    let no = "T20241124refund";
    create(&client, "native", &body("native", no, HTTPS_NOTIFY)).unwrap();
    let request = |out_refund_no: &str, refund: u64| {
        json!({"out_trade_no": no, "out_refund_no": out_refund_no, "reason": "商品已售完",
               "amount": {"refund": refund, "total": 100, "currency": "CNY"}})
    };
    api(refund(&client, request("R1", 30)), 400, "INVALID_REQUEST");
    let transaction_id = sandbox.pay(no).unwrap().transaction_id;

    let first = refund(&client, request("R1", 30)).unwrap();
    let refund_id = first["refund_id"].as_str().unwrap().to_owned();
    assert!(refund_id.len() == 29 && refund_id.bytes().all(|b| b.is_ascii_digit()), "{refund_id}");
    let create_time = first["create_time"].as_str().unwrap().to_owned();
    assert!(create_time.ends_with("+08:00"));
    assert_eq!(
        first,
        json!({
            "refund_id": refund_id, "out_refund_no": "R1", "transaction_id": transaction_id, "out_trade_no": no,
            "channel": "ORIGINAL", "user_received_account": "支付用户零钱", "create_time": create_time,
            "status": "PROCESSING", "funds_account": "AVAILABLE",
            "amount": {"total": 100, "refund": 30, "payer_total": 100, "payer_refund": 30, "settlement_refund": 30,
                       "settlement_total": 100, "discount_refund": 0, "currency": "CNY", "refund_fee": 0},
            "promotion_detail": [],
        })
    );
    assert_eq!(refund(&client, request("R1", 30)).unwrap(), first, "an identical replay");
    api(refund(&client, request("R1", 31)), 400, "INVALID_REQUEST");
    let over = api(refund(&client, request("R2", 71)), 403, "NOT_ENOUGH");
    assert!(over.message().unwrap().contains("申请退款金额超过订单可退金额"));
    let mut wrong_total = request("R2", 10);
    wrong_total["amount"]["total"] = json!(99);
    api(refund(&client, wrong_total), 400, "INVALID_REQUEST");
    param_error(
        refund(&client, json!({"out_refund_no": "R2", "amount": {"refund": 1, "total": 100, "currency": "CNY"}})),
        "out_trade_no",
        "body",
    );
    param_error(refund(&client, request("R2", 0)), "amount.refund", "body");
    let mut no_currency = request("R2", 1);
    no_currency["amount"].as_object_mut().unwrap().remove("currency");
    param_error(refund(&client, no_currency), "amount.currency", "body");
    let mut unknown = request("R2", 1);
    unknown["out_trade_no"] = json!("T20241124nothing");
    api(refund(&client, unknown), 404, "RESOURCE_NOT_EXISTS");

    let settled = query_refund(&client, "R1").unwrap();
    assert_eq!(settled["status"], "SUCCESS");
    assert_eq!(settled["success_time"], create_time.as_str());
    assert_eq!(settled["refund_id"], refund_id.as_str());
    assert_eq!(settled["amount"], first["amount"]);
    api(query_refund(&client, "R404"), 404, "RESOURCE_NOT_EXISTS");
    assert_eq!(query(&client, no).unwrap()["trade_state"], "SUCCESS", "partly refunded");

    // The rest, by transaction_id: the order is fully refunded.
    let rest = json!({"transaction_id": transaction_id, "out_refund_no": "R2",
                      "amount": {"refund": 70, "total": 100, "currency": "CNY"}});
    assert_eq!(refund(&client, rest.clone()).unwrap()["amount"]["refund"], 70);
    let refunded = query(&client, no).unwrap();
    assert_eq!(
        (refunded["trade_state"].as_str(), &refunded["transaction_id"]),
        (Some("REFUND"), &json!(transaction_id))
    );
    api(refund(&client, request("R3", 1)), 403, "NOT_ENOUGH");
    assert_eq!(refund(&client, rest).unwrap()["out_refund_no"], "R2", "replays still answer");
    api(create(&client, "native", &body("native", no, HTTPS_NOTIFY)), 403, "ORDERPAID");
}

#[test]
fn every_request_is_held_to_the_signing_merchant_and_json() {
    let (sandbox, client) = setup();
    let mut other = body("native", "T20241124mchid", HTTPS_NOTIFY);
    other["mchid"] = json!("1900000002");
    param_error(create(&client, "native", &other), "mchid", "body");
    param_error(
        client
            .chain("v3/pay/transactions/out-trade-no/{no}")
            .get(json!({"no": "T20241124mchid", "query": {"mchid": "1900000002"}})),
        "mchid",
        "query",
    );
    // The rule applies to every route.
    param_error(
        client.chain("v3/facemch/users/{face_sid}").get(json!({
            "face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID", "appid": APPID, "mchid": "1"},
        })),
        "mchid",
        "query",
    );
    param_error(
        client
            .v3()
            .merchant_service()
            .complaint_notifications()
            .post(json!({"json": {"url": "https://a.example", "mchid": "2"}})),
        "mchid",
        "body",
    );

    let form = client.chain("v3/pay/transactions/native").post(json!({
        "body": "appid=wx1&mchid=1900000001",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }));
    let refused = api(form, 400, "PARAM_ERROR");
    assert!(refused.message().unwrap().contains("application/json"));
    let entry = sandbox.requests().pop().unwrap();
    assert_eq!((entry.verdict, entry.status), (Verdict::Authenticated, 400));

    api(client.chain("v3/pay/transactions/native").get(()), 405, "METHOD_NOT_ALLOWED");
    api(
        client.chain("v3/pay/transactions/out-trade-no/{no}").post(json!({"no": "T1", "json": {}})),
        405,
        "METHOD_NOT_ALLOWED",
    );
    api(client.chain("v3/pay/transactions/bitcoin").post(json!({"json": {}})), 404, "RESOURCE_NOT_EXISTS");
    api(query(&client, "T20241124none"), 404, "ORDER_NOT_EXIST");
}
