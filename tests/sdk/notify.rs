//! Notifications (回调通知): verified with the client's key store and the ±300 s window, decrypted with
//! the APIv3 key; every kind of tampering refused with its own error; the `aesgcm.json` refund
//! envelope opened through the same path.

use crate::common::*;
use serde_json::json;
use wechatpay_chain::Error;
use wechatpay_chain::crypto::AeadError;
use wechatpay_chain::error::{NotificationError, NotificationErrorKind, VerificationFailure};
use wechatpay_chain::http::{HeaderMap, HeaderValue, StatusCode};
use wechatpay_chain::notify::MAX_NOTIFICATION_BODY;
use wechatpay_sandbox::{NotificationSpec, Sandbox, SignMode, Tamper};

fn transaction() -> serde_json::Value {
    json!({
        "mchid": "1900000001",
        "appid": "wxdace645e0bc2cXXX",
        "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "4200000000202411240000000001",
        "trade_state": "SUCCESS",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 100, "payer_total": 100, "currency": "CNY", "payer_currency": "CNY"},
    })
}

fn kind(error: &NotificationError) -> NotificationErrorKind {
    error.kind().clone()
}

#[test]
fn a_forged_notification_verifies_and_decrypts() {
    for mode in [SignMode::PublicKey, SignMode::Certificate] {
        let sandbox = Sandbox::builder().sign_mode(mode).start().unwrap();
        let client = sandbox.client_builder().build().unwrap();
        let forged = sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", transaction())).unwrap();
        let n = client.notification(&forged.headers, &forged.body).unwrap();
        assert_eq!(n.id(), forged.id);
        assert_eq!(n.event_type(), "TRANSACTION.SUCCESS");
        assert_eq!(n.resource_type(), "encrypt-resource");
        assert_eq!(n.original_type(), "transaction");
        assert_eq!(n.summary(), "支付成功");
        assert!(n.create_time().ends_with("+08:00"));
        assert_eq!(n.resource(), &transaction());
        let keys = sandbox.keys();
        let expected_key = if mode == SignMode::PublicKey { keys.public_key_id() } else { keys.platform_serial() };
        assert_eq!(n.signed_by(), expected_key);
        let debug = format!("{n:?}");
        assert!(!debug.contains("oUpF8uMuAJO"), "decrypted personal data must not reach Debug: {debug}");
    }
}

#[test]
fn async_notification_on_a_foreign_runtime() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let forged = sandbox
        .notification(
            &NotificationSpec::new("REFUND.SUCCESS", json!({"refund_status": "SUCCESS"}))
                .original_type("refund")
                .associated_data("refund"),
        )
        .unwrap();
    let n = futures::executor::block_on(client.notification_async(&forged.headers, &forged.body)).unwrap();
    assert_eq!(n.original_type(), "refund");
    assert_eq!(n.resource()["refund_status"], "SUCCESS");
}

#[test]
fn every_tampering_is_refused_with_its_own_error() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let forge = |tamper| {
        sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", transaction()).tamper(tamper)).unwrap()
    };
    let check = |tamper, expect: &dyn Fn(&NotificationErrorKind) -> bool, status: StatusCode| {
        let forged = forge(tamper);
        let error = client.notification(&forged.headers, &forged.body).unwrap_err();
        assert!(expect(&kind(&error)), "{tamper:?}: {error}");
        assert_eq!(error.http_status(), status, "{tamper:?}");
        assert_eq!(Error::from(error.clone()).sent(), wechatpay_chain::Sent::No);
    };
    use NotificationErrorKind as K;
    use VerificationFailure as V;
    check(Tamper::Body, &|k| matches!(k, K::Signature(V::BadSignature { .. })), StatusCode::UNAUTHORIZED);
    check(Tamper::Signature, &|k| matches!(k, K::Signature(V::BadSignature { .. })), StatusCode::UNAUTHORIZED);
    check(Tamper::Serial, &|k| matches!(k, K::Signature(V::UnknownKey { .. })), StatusCode::INTERNAL_SERVER_ERROR);
    check(Tamper::Timestamp, &|k| matches!(k, K::Signature(V::ClockSkew { .. })), StatusCode::UNAUTHORIZED);
    check(Tamper::Ciphertext, &|k| matches!(k, K::Decrypt(AeadError::Authentication)), StatusCode::BAD_REQUEST);
    check(Tamper::AssociatedData, &|k| matches!(k, K::Decrypt(AeadError::Authentication)), StatusCode::BAD_REQUEST);
    check(Tamper::Probe, &|k| matches!(k, K::SignatureProbe), StatusCode::UNAUTHORIZED);
}

#[test]
fn headers_are_case_insensitive_and_missing_ones_are_named() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let forged = sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", transaction())).unwrap();
    // Rebuild the map from names spelled as a framework might (HeaderMap normalizes them).
    let mut headers = HeaderMap::new();
    for (name, value) in &forged.headers {
        let shouted = name.as_str().to_ascii_uppercase();
        headers.insert(wechatpay_chain::http::HeaderName::try_from(shouted).unwrap(), value.clone());
    }
    assert!(client.notification(&headers, &forged.body).is_ok());
    headers.remove("wechatpay-nonce");
    let error = client.notification(&headers, &forged.body).unwrap_err();
    assert!(
        matches!(kind(&error), NotificationErrorKind::Signature(VerificationFailure::MissingHeaders(m)) if m == ["Wechatpay-Nonce"])
    );
}

#[test]
fn limits_and_configuration() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let forged = sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", transaction())).unwrap();
    let mut big = forged.body.to_vec();
    big.resize(MAX_NOTIFICATION_BODY + 1, b' ');
    let error = client.notification(&forged.headers, &big).unwrap_err();
    assert_eq!(
        kind(&error),
        NotificationErrorKind::TooLarge { size: MAX_NOTIFICATION_BODY + 1, limit: MAX_NOTIFICATION_BODY }
    );
    assert_eq!(error.http_status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Without the APIv3 key a genuine notification cannot be opened: a 500, so WeChat Pay retries.
    let keys = sandbox.keys();
    let no_key = sandbox.merchant_builder().public_key(keys.public_key_id(), keys.public_key_pem()).build().unwrap();
    let error = no_key.notification(&forged.headers, &forged.body).unwrap_err();
    assert_eq!(kind(&error), NotificationErrorKind::NoApiV3Key);
    assert_eq!(error.http_status(), StatusCode::INTERNAL_SERVER_ERROR);

    let error = client.notification(&forged.headers, b"{\"not\":\"an envelope\"}").unwrap_err();
    assert!(matches!(kind(&error), NotificationErrorKind::Signature(VerificationFailure::BadSignature { .. })));
}

fn signed_headers(key_file: &str, id: &str, timestamp: i64, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in wechatpay_signature_headers(key_file, id, timestamp, body) {
        headers
            .insert(wechatpay_chain::http::HeaderName::try_from(name).unwrap(), HeaderValue::try_from(value).unwrap());
    }
    headers
}

#[test]
fn the_vector_refund_envelope_opens_through_the_client() {
    let case = cases("aesgcm.json").into_iter().find(|c| c["input"]["notification"].is_object()).unwrap();
    let input = &case["input"];
    let body = serde_json::to_vec(&input["notification"]).unwrap();
    let timestamp = 1795562040;
    let client = vector_builder().apiv3_key(input["key"].as_str().unwrap()).clock(move || timestamp).build().unwrap();
    for (key_file, id) in
        [("wechatpay_pubkey_private_key.pem", PUB_KEY_ID), ("platform_private_key.pem", PLATFORM_SERIAL)]
    {
        let headers = signed_headers(key_file, id, timestamp, &body);
        let n = client.notification(&headers, &body).unwrap();
        assert_eq!(n.event_type(), "REFUND.SUCCESS");
        assert_eq!(n.signed_by(), id);
        assert_eq!(n.plaintext(), case["output"]["plaintext"].as_str().unwrap().as_bytes());
        // Signed by the other key's id: refused.
        let other = if id == PUB_KEY_ID { PLATFORM_SERIAL } else { PUB_KEY_ID };
        let headers = signed_headers(key_file, other, timestamp, &body);
        assert!(matches!(
            kind(&client.notification(&headers, &body).unwrap_err()),
            NotificationErrorKind::Signature(VerificationFailure::BadSignature { .. })
        ));
    }
    // 301 s later the same message is stale.
    let late =
        vector_builder().apiv3_key(input["key"].as_str().unwrap()).clock(move || timestamp + 301).build().unwrap();
    let headers = signed_headers("platform_private_key.pem", PLATFORM_SERIAL, timestamp, &body);
    assert!(matches!(
        kind(&late.notification(&headers, &body).unwrap_err()),
        NotificationErrorKind::Signature(VerificationFailure::ClockSkew { .. })
    ));
}

#[test]
fn delivered_to_a_real_endpoint() {
    // The sandbox POSTs the notification to a URL; a minimal endpoint verifies it with the client.
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let (_, headers, body) = read_http_request(&stream);
        let result = client.notification(&headers, &body);
        let answer = match &result {
            Ok(_) => "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_owned(),
            Err(e) => {
                let body = wechatpay_chain::notify::failure_body(&e.to_string());
                format!("HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            }
        };
        use std::io::Write;
        (&stream).write_all(answer.as_bytes()).unwrap();
        result.map(|n| n.resource().clone()).map_err(|e| e.to_string())
    });
    let forged = sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", transaction())).unwrap();
    let (status, _) = sandbox.deliver(&url, &forged).unwrap();
    assert_eq!(status, 204);
    assert_eq!(server.join().unwrap().unwrap(), transaction());
}
