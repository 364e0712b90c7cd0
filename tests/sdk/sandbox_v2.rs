//! APIv2 end to end against the sandbox's XML slice: micropay, orderquery, refund over mutual TLS,
//! XML failures, business failures and tampered answers, blocking and async; and that a `security`
//! request presents the merchant certificate while an ordinary one on the same client does not.

use crate::common;

use crate::common::{MERCHANT_SERIAL, key_text, raw_request};
use serde_json::{Value, json};
use wechatpay_chain::error::VerificationFailure;
use wechatpay_chain::response::Verification;
use wechatpay_chain::{Client, Error, Sent};
use wechatpay_sandbox::{AUTH_CODE_USERPAYING, Sandbox};

const APPID: &str = "wx2421b1c4370ec43b";

fn micropay(sandbox: &Sandbox, out_trade_no: &str, auth_code: &str) -> Value {
    json!({"xml": {
        "appid": APPID,
        "mch_id": sandbox.mchid(),
        "body": "image形象店-深圳腾大- QQ公仔",
        "out_trade_no": out_trade_no,
        "total_fee": "888",
        "spbill_create_ip": "8.8.8.8",
        "auth_code": auth_code,
    }})
}

fn refund(sandbox: &Sandbox, out_trade_no: &str, out_refund_no: &str, fee: &str) -> Value {
    json!({"security": true, "xml": {
        "appid": APPID,
        "mch_id": sandbox.mchid(),
        "out_trade_no": out_trade_no,
        "out_refund_no": out_refund_no,
        "total_fee": "888",
        "refund_fee": fee,
    }})
}

fn https_client(sandbox: &Sandbox) -> Client {
    sandbox.client_builder().base_uri(sandbox.https_base_uri()).build().expect("client")
}

fn v2_error(result: Result<wechatpay_chain::Response, Error>) -> Box<wechatpay_chain::error::V2Error> {
    match result {
        Err(Error::V2(e)) => {
            assert_eq!(Error::V2(e.clone()).sent(), Sent::Yes);
            e
        }
        other => panic!("expected an APIv2 failure, got {other:?}"),
    }
}

/// (tls, client certificate presented, status) of each logged request.
fn tls_log(sandbox: &Sandbox) -> Vec<(bool, bool, u16)> {
    sandbox.requests().iter().map(|r| (r.tls, r.client_cert, r.status)).collect()
}

#[test]
fn micropay_query_and_refund_over_mutual_tls() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = https_client(&sandbox);

    let paid = client.v2().pay().micropay().post(micropay(&sandbox, "1415757673", "120061098828009406")).expect("pay");
    assert_eq!(paid.verification(), &Verification::V2Sign { algorithm: "MD5" });
    let fields = paid.xml().expect("xml");
    assert_eq!((fields["return_code"].as_str(), fields["result_code"].as_str()), (Some("SUCCESS"), Some("SUCCESS")));
    assert_eq!(fields["total_fee"], "888");
    let transaction_id = fields["transaction_id"].as_str().expect("transaction_id").to_owned();

    // Query by the WeChat Pay id, the same order.
    let query = json!({"xml": {"appid": APPID, "mch_id": sandbox.mchid(), "transaction_id": transaction_id}});
    let found = client.v2().pay().orderquery().post(query).expect("query").xml().expect("xml");
    assert_eq!((found["trade_state"].as_str(), found["out_trade_no"].as_str()), (Some("SUCCESS"), Some("1415757673")));

    // The refund needs the merchant certificate; the same out_refund_no answers the same refund.
    let first = client.v2().secapi().pay().refund().post(refund(&sandbox, "1415757673", "R1", "300")).expect("refund");
    let again = client.v2().secapi().pay().refund().post(refund(&sandbox, "1415757673", "R1", "300")).expect("again");
    let (first, again) = (first.xml().expect("xml"), again.xml().expect("xml"));
    assert_eq!(first["refund_id"], again["refund_id"]);
    assert_eq!(first["refund_fee"], "300");
    // More than is left: a signed business failure.
    let e = v2_error(client.v2().secapi().pay().refund().post(refund(&sandbox, "1415757673", "R2", "600")));
    assert_eq!((e.result_code(), e.err_code()), (Some("FAIL"), Some("NOTENOUGH")));
    assert!(e.sign_verified());

    // Only the refunds presented the certificate.
    let log = tls_log(&sandbox);
    assert_eq!(log, [(true, false, 200), (true, false, 200), (true, true, 200), (true, true, 200), (true, true, 200)]);
    // APIv2 requests carry no Authorization, and the v2/ prefix is not sent.
    for request in sandbox.requests() {
        assert!(!request.target.starts_with("/v2/"), "{}", request.target);
        assert!(request.headers.iter().all(|(name, _)| name != "authorization"));
    }
}

#[tokio::test]
async fn the_same_flow_async_gives_the_same_answers_and_errors() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = https_client(&sandbox);
    let paid = client.v2().pay().micropay().post_async(micropay(&sandbox, "A1", "130061098828009406")).await;
    assert_eq!(paid.expect("pay").xml().expect("xml")["result_code"], "SUCCESS");
    let refunded = client.v2().secapi().pay().refund().post_async(refund(&sandbox, "A1", "AR1", "888")).await;
    assert_eq!(refunded.expect("refund").xml().expect("xml")["refund_fee"], "888");

    // A business failure is the same value blocking and async (PHP's differ).
    let blocking = v2_error(client.v2().pay().micropay().post(micropay(&sandbox, "A2", "999")));
    let asynchronous = v2_error(client.v2().pay().micropay().post_async(micropay(&sandbox, "A2", "999")).await);
    assert_eq!(blocking.err_code(), Some("AUTH_CODE_INVALID"));
    assert_eq!(
        (
            blocking.status(),
            blocking.return_code(),
            blocking.result_code(),
            blocking.err_code(),
            blocking.err_code_des()
        ),
        (
            asynchronous.status(),
            asynchronous.return_code(),
            asynchronous.result_code(),
            asynchronous.err_code(),
            asynchronous.err_code_des()
        )
    );
    assert_eq!(blocking.to_string(), asynchronous.to_string());
    assert!(blocking.to_string().contains("AUTH_CODE_INVALID"), "{blocking}");
}

#[test]
fn userpaying_then_query_until_paid() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    let e = v2_error(client.v2().pay().micropay().post(micropay(&sandbox, "U1", AUTH_CODE_USERPAYING)));
    assert_eq!(e.err_code(), Some("USERPAYING"));
    let query = json!({"xml": {"appid": APPID, "mch_id": sandbox.mchid(), "out_trade_no": "U1"}});
    let first = client.v2().pay().orderquery().post(query.clone()).expect("query").xml().expect("xml");
    assert_eq!(first["trade_state"], "USERPAYING");
    assert!(first.get("transaction_id").is_none());
    let second = client.v2().pay().orderquery().post(query).expect("query").xml().expect("xml");
    assert_eq!(second["trade_state"], "SUCCESS");
    // An unknown order.
    let none = json!({"xml": {"appid": APPID, "mch_id": sandbox.mchid(), "out_trade_no": "none"}});
    assert_eq!(v2_error(client.v2().pay().orderquery().post(none)).err_code(), Some("ORDERNOTEXIST"));
}

#[test]
fn hmac_sha256_requests_get_hmac_sha256_answers() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    let mut options = micropay(&sandbox, "H1", "120061098828009406");
    options["xml"]["sign_type"] = json!("HMAC-SHA256");
    let paid = client.v2().pay().micropay().post(options).expect("pay");
    assert_eq!(paid.verification(), &Verification::V2Sign { algorithm: "HMAC-SHA256" });
    let body = String::from_utf8(sandbox.requests()[0].body.to_vec()).expect("utf-8");
    let sign = body.split("<sign>").nth(1).and_then(|s| s.split("</sign>").next()).expect("sign");
    assert_eq!(sign.len(), 64, "{body}");
}

#[test]
fn refused_requests_get_unsigned_return_code_failures() {
    let sandbox = Sandbox::start().expect("sandbox");
    // Without the certificate (the security option left out, or plain http): 证书错误.
    let client = https_client(&sandbox);
    let mut options = refund(&sandbox, "X", "XR", "1");
    options["security"] = json!(false);
    let e = v2_error(client.v2().secapi().pay().refund().post(options));
    assert_eq!(e.return_code(), Some("FAIL"));
    assert!(e.return_msg().is_some_and(|m| m.contains("证书")), "{e}");
    assert!(!e.sign_verified());
    let plain = sandbox.client_builder().build().expect("client");
    let e = v2_error(plain.v2().secapi().pay().refund().post(refund(&sandbox, "X", "XR", "1")));
    assert!(e.return_msg().is_some_and(|m| m.contains("证书")), "{e}");

    // Another APIv2 key: 签名错误.
    let other = sandbox.client_builder().apiv2_key("00000000000000000000000000000000").build().expect("client");
    let e = v2_error(other.v2().pay().micropay().post(micropay(&sandbox, "K1", "120061098828009406")));
    assert!(e.return_msg().is_some_and(|m| m.contains("签名错误")), "{e}");

    // Not XML at all, sent by hand: XML格式错误.
    let headers = [("Content-Type".to_owned(), "text/xml; charset=utf-8".to_owned())];
    let (status, _, body) = raw_request(sandbox.addr(), "POST", "/pay/micropay", &headers, b"<xml><a>1</b></xml>");
    let body = String::from_utf8(body).expect("utf-8");
    assert_eq!(status, 200);
    assert!(body.contains("<return_code><![CDATA[FAIL]]></return_code>") && body.contains("XML格式错误"), "{body}");
}

#[test]
fn tampered_and_failed_answers_are_typed_errors() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    let tampered = client.v2().pay().micropay().post(
        wechatpay_chain::Options::from(micropay(&sandbox, "T1", "120061098828009406"))
            .header("X-Sandbox-Fault", "bad-signature"),
    );
    match tampered {
        Err(Error::Verification(e)) => {
            assert_eq!(e.failure(), &VerificationFailure::BadV2Sign { algorithm: "MD5" });
            assert_eq!(Error::Verification(e).sent(), Sent::Yes);
        }
        other => panic!("expected a verification failure, got {other:?}"),
    }
    let failed = client.v2().pay().micropay().post(
        wechatpay_chain::Options::from(micropay(&sandbox, "T2", "120061098828009406"))
            .header("X-Sandbox-Fault", "status=500"),
    );
    let e = v2_error(failed);
    assert_eq!(e.status().as_u16(), 500);
}

#[test]
fn security_requests_present_the_merchant_certificate_and_others_do_not() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = https_client(&sandbox);
    client.v2().pay().micropay().post(micropay(&sandbox, "S1", "120061098828009406")).expect("pay");
    for security in [true, false, true] {
        let mut options = refund(&sandbox, "S1", &format!("SR{security}"), "1");
        options["security"] = json!(security);
        let _ = client.v2().secapi().pay().refund().post(options);
    }
    let log: Vec<bool> = tls_log(&sandbox).iter().map(|(_, cert, _)| *cert).collect();
    assert_eq!(log, [false, true, false, true]);
}

#[test]
fn pem_pair_and_pkcs12_both_present_the_certificate_and_another_does_not_count() {
    let sandbox = Sandbox::builder()
        .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
        .start()
        .expect("sandbox");
    let p12 = std::fs::read(common::data("keys/merchant_apiclient_cert.p12")).expect("p12 fixture");
    let other = Sandbox::start().expect("another sandbox").keys();
    let builders = [
        sandbox
            .client_builder()
            .merchant_tls_pem(key_text("merchant_apiclient_cert.pem"), key_text("merchant_apiclient_key_pkcs1.pem")),
        sandbox.client_builder().merchant_tls_pkcs12(p12, None),
        sandbox
            .client_builder()
            .merchant_tls_pem(other.merchant_certificate_pem().expect("certificate"), other.merchant_private_key_pem()),
    ];
    let query = json!({"security": true, "xml": {"appid": APPID, "mch_id": sandbox.mchid(), "out_trade_no": "none"}});
    for builder in builders {
        let client = builder.base_uri(sandbox.https_base_uri()).build().expect("client");
        let _ = client.v2().pay().orderquery().post(query.clone());
    }
    assert_eq!(tls_log(&sandbox), [(true, true, 200), (true, true, 200), (true, false, 200)]);
}

#[test]
fn security_without_an_identity_is_refused_before_sending() {
    // A given merchant key comes without a certificate, so the sandbox's builder has no identity.
    let sandbox = Sandbox::builder()
        .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
        .start()
        .expect("sandbox");
    let client = sandbox.client_builder().base_uri(sandbox.https_base_uri()).build().expect("client");
    let err = client.v2().secapi().pay().refund().post(refund(&sandbox, "N", "NR", "1")).expect_err("no identity");
    let Error::Config(config) = &err else { panic!("expected a configuration error, got {err:?}") };
    assert_eq!(config.setting(), "merchant_tls");
    assert!(config.message().contains("merchant_tls_pem"), "{err}");
    assert_eq!(err.sent(), Sent::No);
    assert!(sandbox.requests().is_empty());
}
