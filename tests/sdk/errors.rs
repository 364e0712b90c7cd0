//! Every error kind, end to end, with what it says about whether the request may have been sent.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Canned, Replay};
use serde_json::json;
use wechatpay_chain::auth::Signer;
use wechatpay_chain::error::{InputErrorKind, VerificationFailure};
use wechatpay_chain::{Client, Error, Options, RetryPolicy, Sent, Verification};
use wechatpay_sandbox::{Sandbox, Verdict};

/// One attempt per call: these tests look at the error of one attempt (retries: tests/sdk/retry.rs).
fn setup() -> (Sandbox, Client) {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().retry(RetryPolicy::none()).build().expect("client");
    (sandbox, client)
}

fn seed() -> serde_json::Value {
    json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}})
}

fn with_fault(fault: &str) -> Options {
    Options::new()
        .param("face_sid", "aabbccdd12345")
        .query("info_type", "ASK_UNIONID")
        .query("appid", "wx2b029c08a6233333")
        .header("X-Sandbox-Fault", fault)
}

fn call(client: &Client, options: Options) -> Result<wechatpay_chain::Response, Error> {
    client.chain("v3/facemch/users/{face_sid}").get(options)
}

#[test]
fn input_errors_send_nothing() {
    let (sandbox, client) = setup();
    let err = client
        .chain("v3/facemch/users/{face_sid}")
        .get(json!({"query": {"info_type": "ASK_UNIONID"}}))
        .expect_err("missing");
    assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::MissingVariable));
    assert_eq!(err.sent(), Sent::No);
    let err = futures::executor::block_on(client.chain("v3/x").post_async(json!({"body": 1}))).expect_err("bad body");
    assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::InvalidOption));
    assert!(sandbox.requests().is_empty(), "nothing reached the server");
}

#[test]
fn signer_failures_send_nothing() {
    struct Offline;
    impl Signer for Offline {
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
            Err("HSM offline".into())
        }
    }
    let sandbox = Sandbox::start().expect("sandbox");
    let keys = sandbox.keys();
    let client = Client::builder()
        .mchid(keys.mchid())
        .serial(keys.merchant_serial())
        .signer(Arc::new(Offline))
        .cert(keys.public_key_id(), keys.public_key_pem())
        .base_uri(sandbox.base_uri())
        .build()
        .expect("client");
    let err = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect_err("signer");
    assert!(err.to_string().contains("HSM offline"), "{err}");
    // The signer's own error is the source, so it can be downcast.
    let Error::Signing(signing) = &err else { panic!("{err:?}") };
    let source = std::error::Error::source(signing).expect("the signer's error");
    assert!(source.to_string().contains("HSM offline"), "{source}");
    assert!(!err.may_have_been_sent());
    assert!(sandbox.requests().is_empty());
}

#[test]
fn connect_failures_say_nothing_was_sent() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    // The listener is dropped: nothing listens on `port` now.
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().base_uri(format!("http://127.0.0.1:{port}/")).build().expect("client");
    let err = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect_err("refused");
    assert!(matches!(&err, Error::Transport(_)), "{err}");
    assert_eq!(err.sent(), Sent::No);
    assert!(err.to_string().contains("nothing was sent"), "{err}");
}

#[test]
fn broken_connections_say_the_request_may_have_been_sent() {
    let (sandbox, client) = setup();
    let err = call(&client, with_fault("reset")).expect_err("reset");
    assert!(matches!(&err, Error::Transport(_)), "{err}");
    assert_eq!(err.sent(), Sent::Maybe);
    assert!(err.to_string().contains("query before retrying"), "{err}");
    let err = call(&client, with_fault("truncate")).expect_err("truncated body");
    assert!(matches!(&err, Error::Transport(_)), "{err}");
    assert_eq!(err.sent(), Sent::Yes, "the answer had started: the server got the request");
    // The server saw (and acted on) both.
    assert_eq!(sandbox.requests().iter().filter(|r| r.verdict == Verdict::Authenticated).count(), 2);
}

#[test]
fn timeouts_say_the_request_may_have_been_sent() {
    let (_sandbox, client) = setup();
    let err = call(&client, with_fault("delay=2000").timeout(Duration::from_millis(200))).expect_err("timeout");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.sent(), Sent::Maybe);
    // The client-wide limit applies when the request sets none; async behaves the same.
    let quick = _sandbox.client_builder().timeout(Duration::from_millis(200)).build().expect("client");
    let err =
        futures::executor::block_on(quick.chain("v3/facemch/users/{face_sid}").get_async(with_fault("delay=2000")))
            .expect_err("timeout");
    assert!(err.is_timeout(), "{err}");
}

#[test]
fn api_errors_carry_status_code_message_detail_and_request_id() {
    let (_sandbox, client) = setup();
    let err = call(&client, with_fault("status=500:SYSTEM_ERROR")).expect_err("500");
    let api = err.api().expect("api error");
    assert_eq!(api.status(), 500);
    assert_eq!(api.code(), Some("SYSTEM_ERROR"));
    assert!(api.message().is_some_and(|m| m.contains("sandbox fault")));
    assert!(api.request_id().is_some());
    assert!(api.signed_by().is_some(), "WeChat Pay signs error answers; the SDK checks and reports it");
    assert_eq!(err.sent(), Sent::Yes);
    assert!(err.to_string().contains("500") && err.to_string().contains("SYSTEM_ERROR"), "{err}");

    let err = call(&client, with_fault("status=429")).expect_err("429");
    assert_eq!(err.api().and_then(|a| a.code()), Some("FREQUENCY_LIMITED"));

    // A validation error names the field in `detail`.
    let err = client.v3().merchant_service().complaint_notifications().post(json!({"json": {}})).expect_err("400");
    let api = err.api().expect("api error");
    assert_eq!((api.status().as_u16(), api.code()), (400, Some("PARAM_ERROR")));
    assert_eq!(api.detail().and_then(|d| d.get("field")).and_then(|f| f.as_str()), Some("url"));

    // Unknown path and wrong method.
    let err = client.chain("v3/no/such/endpoint").get(()).expect_err("404");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(404));
    let err = client.chain("v3/facemch/users/x").post(()).expect_err("405");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(405));

    // Async gives the same error.
    let err = futures::executor::block_on(client.chain("v3/no/such/endpoint").get_async(())).expect_err("404");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(404));
}

#[test]
fn sign_error_answers_are_unsigned_api_errors() {
    let sandbox = Sandbox::start().expect("sandbox");
    let other = Sandbox::builder().fresh_keys().start().expect("another merchant key");
    // Right merchant id and serial, wrong private key.
    let keys = sandbox.keys();
    let client = Client::builder()
        .mchid(keys.mchid())
        .serial(keys.merchant_serial())
        .private_key(other.keys().merchant_private_key_pem())
        .cert(keys.public_key_id(), keys.public_key_pem())
        .base_uri(sandbox.base_uri())
        .build()
        .expect("client");
    let err = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect_err("401");
    let api = err.api().expect("api error");
    assert_eq!((api.status().as_u16(), api.code()), (401, Some("SIGN_ERROR")));
    assert_eq!(api.signed_by(), None);
    assert!(err.to_string().contains("[unsigned]"), "{err}");
    assert!(matches!(&sandbox.requests()[0].verdict, Verdict::Unauthenticated { .. }));
}

#[test]
fn verification_failures_keep_the_response_and_warn_it_may_have_acted() {
    let (_sandbox, client) = setup();
    type Check = fn(&VerificationFailure) -> bool;
    let cases: [(&str, Check); 4] = [
        ("bad-signature", |f| matches!(f, VerificationFailure::BadSignature { .. })),
        ("wrong-serial", |f| matches!(f, VerificationFailure::UnknownKey { known, .. } if known.len() == 2)),
        ("stale-timestamp", |f| matches!(f, VerificationFailure::ClockSkew { allowed: 300, .. })),
        ("no-signature", |f| matches!(f, VerificationFailure::MissingHeaders(names) if names.len() == 4)),
    ];
    for (fault, expected) in cases {
        let err = call(&client, with_fault(fault)).expect_err(fault);
        let v = err.verification().unwrap_or_else(|| panic!("{fault}: {err}"));
        assert!(expected(v.failure()), "{fault}: {:?}", v.failure());
        assert_eq!(v.response().status(), 200);
        assert!(v.response().json().expect("the raw body is kept")["openid"].is_string());
        assert_eq!(v.response().verification(), &Verification::Rejected);
        assert_eq!(err.sent(), Sent::Yes);
        assert!(err.to_string().contains("may already have acted"), "{err}");
    }
}

#[test]
fn a_client_without_the_signing_key_reports_the_unknown_key() {
    let sandbox = Sandbox::start().expect("sandbox");
    let keys = sandbox.keys();
    // Public-key mode sandbox, but the client only has the platform certificate.
    let client = Client::builder()
        .mchid(keys.mchid())
        .serial(keys.merchant_serial())
        .private_key(keys.merchant_private_key_pem())
        .cert(keys.platform_serial(), keys.platform_certificate_pem())
        .base_uri(sandbox.base_uri())
        .build()
        .expect("client");
    let err = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect_err("unknown key");
    match err.verification().map(|v| v.failure()) {
        Some(VerificationFailure::UnknownKey { serial, known }) => {
            assert_eq!(serial, keys.public_key_id());
            assert_eq!(known, &[keys.platform_serial().to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    // Adding the key at runtime fixes it without rebuilding the client.
    let key = wechatpay_chain::crypto::PublicKey::load(keys.public_key_pem()).expect("key");
    client.keys().insert(keys.public_key_id(), key);
    assert!(client.chain("v3/facemch/users/{face_sid}").get(seed()).is_ok());
}

#[test]
fn decode_errors_name_the_target_type() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        transaction_id: String,
    }
    let (_sandbox, client) = setup();
    let res = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("call");
    let err = res.json_as::<Wrong>().expect_err("decode");
    assert!(err.to_string().contains("Wrong"), "{err}");
    let err = Error::from(err);
    assert!(matches!(err, Error::Decode(_)));
    assert_eq!(err.sent(), Sent::Yes);
    let text = res.text().expect("utf-8");
    assert!(text.starts_with('{'));
}

#[test]
fn oversized_bodies_are_refused() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().max_response_body(16).build().expect("client");
    let err = client.chain("v3/facemch/users/{face_sid}").get(seed()).expect_err("too large");
    assert!(matches!(&err, Error::Transport(_)), "{err}");
    assert!(err.to_string().contains("max_response_body"), "{err}");
    assert_eq!(err.sent(), Sent::Yes);
}

#[test]
fn redirects_are_not_followed() {
    let replay = Replay::start(Canned {
        status: 302,
        headers: vec![("Location".into(), "https://evil.example/steal".into())],
        body: Vec::new(),
    });
    let client = common::vector_builder().base_uri(replay.base_uri()).build().expect("client");
    let err = client.chain("v3/certificates").get(()).expect_err("302");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(302));
    assert_eq!(replay.seen.lock().expect("lock").len(), 1, "exactly one request, no second hop");
}
