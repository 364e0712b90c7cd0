//! Every verb against the sandbox, blocking and async, from plain threads, inside tokio runtimes
//! (current-thread and multi-thread) and on a non-tokio executor.

use std::time::Duration;

use serde_json::{Value, json};
use wechatpay_chain::{Client, Verification};
use wechatpay_sandbox::{Sandbox, SignMode, Verdict};

fn setup() -> (Sandbox, Client) {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    (sandbox, client)
}

fn seed() -> Value {
    json!({
        "face_sid": "aabbccdd12345",
        "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333", "sub_mchid": "123456789",
                  "sub_appid": "wx2b029c08a6255555", "sub_serial_no": "wx2b029c08a6255555"},
    })
}

#[test]
fn get_in_all_three_forms_blocking() {
    let (sandbox, client) = setup();
    let a = client.v3().facemch().users().param("face_sid").get(seed()).expect("segments");
    let b = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("braces");
    let c = client.chain("v3/facemch/users/<face_sid>").get(seed()).expect("angle brackets");
    let values: Vec<Value> = [a, b, c].iter().map(|r| r.json().expect("json")).collect();
    assert!(values.iter().all(|v| v == &values[0]));
    assert!(
        values[0]["openid"].is_string() && values[0]["union_id"].is_string() && values[0]["sub_openid"].is_string()
    );
    let log = sandbox.requests();
    assert_eq!(log.len(), 3);
    for entry in &log {
        assert_eq!(entry.verdict, Verdict::Authenticated);
        assert_eq!(entry.method, "GET");
        assert!(entry.target.starts_with("/v3/facemch/users/aabbccdd12345?info_type=ASK_UNIONID&appid="));
        assert!(entry.header("user-agent").is_some_and(|ua| ua.starts_with("wechatpay-chain/")));
        assert!(entry.header("accept").is_some());
        assert!(entry.header("content-type").is_none(), "no body, no Content-Type");
    }
}

#[test]
fn every_verb_blocking() {
    let (sandbox, client) = setup();
    let notifications = client.v3().merchant_service().complaint_notifications();
    let created = notifications.post(json!({"json": {"url": "https://shop.example/notify"}})).expect("POST");
    assert_eq!(created.json().expect("json"), json!({"mchid": "1900000001", "url": "https://shop.example/notify"}));
    let read = notifications.get(()).expect("GET");
    assert_eq!(read.json().expect("json")["url"], "https://shop.example/notify");
    let updated = notifications.put(json!({"json": {"url": "https://shop.example/v2/notify"}})).expect("PUT");
    assert_eq!(updated.json().expect("json")["url"], "https://shop.example/v2/notify");
    let deleted = notifications.delete(()).expect("DELETE");
    assert_eq!(deleted.status(), 204);
    assert!(deleted.body().is_empty());
    assert_eq!(deleted.json().expect("empty body is null"), Value::Null);
    assert!(matches!(deleted.verification(), Verification::Signed { .. }), "204 is verified too");
    let patched = client
        .v3()
        .marketing()
        .busifavor()
        .stocks()
        .param("stock_id")
        .budget()
        .patch(json!({"stock_id": "101156451224", "json": {"target_max_coupons": 3000, "current_max_coupons": 1000, "modify_budget_request_no": "1002600620019090123143254436"}}))
        .expect("PATCH");
    assert_eq!(patched.json().expect("json"), json!({"max_coupons": 3000}));
    let methods: Vec<String> = sandbox.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["POST", "GET", "PUT", "DELETE", "PATCH"]);
    let post = &sandbox.requests()[0];
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(post.body.as_ref(), b"{\"url\":\"https://shop.example/notify\"}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_verb_async() {
    let (sandbox, client) = setup();
    let a = client.v3().facemch().users().param("face_sid").get_async(seed()).await.expect("segments");
    let b = client.chain("v3/facemch/users/{face_sid}").get_async(seed()).await.expect("braces");
    let c = client.chain("v3/facemch/users/<face_sid>").get_async(seed()).await.expect("angle brackets");
    assert_eq!(a.json().expect("a"), b.json().expect("b"));
    assert_eq!(b.json().expect("b"), c.json().expect("c"));
    let notifications = client.chain("v3/merchant-service/complaint-notifications");
    notifications.post_async(json!({"json": {"url": "https://shop.example/n"}})).await.expect("POST");
    notifications.put_async(json!({"json": {"url": "https://shop.example/m"}})).await.expect("PUT");
    assert_eq!(notifications.get_async(()).await.expect("GET").json().expect("json")["url"], "https://shop.example/m");
    assert_eq!(notifications.delete_async(()).await.expect("DELETE").status(), 204);
    let patched = client
        .chain("v3/marketing/busifavor/stocks/{stock_id}/budget")
        .patch_async(
            json!({"stock_id": "9", "json": {"target_max_coupons_by_day": 50, "modify_budget_request_no": "1"}}),
        )
        .await
        .expect("PATCH");
    assert_eq!(patched.json().expect("json"), json!({"max_coupons_by_day": 50}));
    assert_eq!(sandbox.requests().len(), 8);
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_calls_inside_a_current_thread_runtime() {
    let (_sandbox, client) = setup();
    // A blocking call from async code blocks this thread but does not panic: the I/O runs elsewhere.
    let res = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("blocking inside a runtime");
    assert_eq!(res.status(), 200);
    // And async calls still work on the same runtime afterwards.
    let res = client.chain("v3/facemch/users/{face_sid}").get_async(seed()).await.expect("async");
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_calls_inside_a_multi_thread_runtime_and_spawn_blocking() {
    let (_sandbox, client) = setup();
    assert_eq!(client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("worker thread").status(), 200);
    let c = client.clone();
    let status =
        tokio::task::spawn_blocking(move || c.chain("v3/facemch/users/{face_sid}").get(seed()).map(|r| r.status()))
            .await
            .expect("join")
            .expect("blocking pool");
    assert_eq!(status, 200);
}

#[test]
fn async_calls_work_on_any_executor_and_outlive_runtimes() {
    let (_sandbox, client) = setup();
    // A non-tokio executor.
    let res = futures::executor::block_on(client.chain("v3/facemch/users/{face_sid}").get_async(seed()))
        .expect("futures executor");
    assert_eq!(res.status(), 200);
    // The same client used from two runtimes in turn: the first one is gone before the second call.
    for _ in 0..2 {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let res = runtime.block_on(client.chain("v3/facemch/users/{face_sid}").get_async(seed())).expect("call");
        assert_eq!(res.status(), 200);
        drop(runtime);
    }
}

#[test]
fn futures_are_lazy_and_cancel_on_drop() {
    let (sandbox, client) = setup();
    let pending = client.chain("v3/facemch/users/{face_sid}").get_async(seed());
    std::thread::sleep(Duration::from_millis(100));
    assert!(sandbox.requests().is_empty(), "nothing is sent before the future is polled");
    drop(pending);
    assert!(sandbox.requests().is_empty());
}

/// Dropping an async call while its request is in flight aborts it and abandons the connection: the
/// sandbox, still delaying its answer, sees the client go away. (Without the abort-on-drop the SDK task
/// would wait out the delay and take the answer; nothing would be abandoned.)
#[test]
fn dropping_a_call_in_flight_abandons_its_connection() {
    let (sandbox, client) = setup();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let options = wechatpay_chain::Options::from(seed()).header("X-Sandbox-Fault", "delay=20000");
    runtime.block_on(async {
        let mut call = Box::pin(client.chain("v3/facemch/users/{face_sid}").get_async(options));
        let received = async {
            while sandbox.requests().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            answer = &mut call => panic!("answered despite the delay: {answer:?}"),
            () = received => {}
        }
        assert_eq!(sandbox.abandoned_requests(), 0, "the sandbox is still working on it");
        drop(call);
    });
    // Hang detector, far shorter than the 20 s delay the sandbox would otherwise wait out.
    let started = std::time::Instant::now();
    while sandbox.abandoned_requests() == 0 {
        assert!(started.elapsed() < Duration::from_secs(15), "the dropped call kept its connection open");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sandbox.abandoned_requests(), 1);
    // The client goes on working.
    assert_eq!(client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("call").status(), 200);
}

#[test]
fn concurrent_calls_share_one_client() {
    let (sandbox, client) = setup();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let results = runtime.block_on(async {
        let calls = (0..32).map(|i| {
            client.chain("v3/facemch/users/{face_sid}").get_async(
                json!({"face_sid": format!("sid{i}"), "query": {"info_type": "ASK_UNIONID", "appid": "wx1"}}),
            )
        });
        futures::future::join_all(calls).await
    });
    assert!(results.iter().all(Result::is_ok));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || c.chain("v3/facemch/users/{face_sid}").get(seed()).map(|r| r.status()))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread").expect("call"), 200);
    }
    assert_eq!(sandbox.requests().len(), 36);
}

#[test]
fn certificate_mode_is_verified_with_the_platform_certificate() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    let res = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("call");
    assert_eq!(res.verification(), &Verification::Signed { key_id: sandbox.keys().platform_serial().to_owned() });
    let request_id = res.request_id().expect("Request-ID").to_owned();
    assert!(request_id.ends_with("-0"));
}
