//! The sandbox's request check against requests signed by wechatpay-php (`sign.json`): each one is sent
//! as raw HTTP to a sandbox holding the vector merchant key, with the sandbox clock at the vector time.
//! The sandbox shares no signing code with the client, so this pins its verifier to PHP/OpenSSL.

mod common;

use common::*;
use wechatpay_sandbox::{Sandbox, Verdict};

fn vector_sandbox() -> Sandbox {
    Sandbox::builder()
        .mchid(MCHID)
        .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
        .clock(|| 1795562040)
        .start()
        .expect("sandbox")
}

/// Method, request target, headers and body of a captured request.
type Parts = (String, String, Vec<(String, String)>, Vec<u8>);

fn request_parts(case: &serde_json::Value) -> Option<Parts> {
    let r = case["output"].get("request")?;
    let headers =
        r["headers"].as_object()?.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
    Some((
        r["method"].as_str()?.to_owned(),
        r["request_target"].as_str()?.to_owned(),
        headers,
        r["body"].as_str()?.as_bytes().to_vec(),
    ))
}

#[test]
fn sandbox_accepts_every_php_signed_request() {
    let sandbox = vector_sandbox();
    let mut sent = 0;
    for case in cases("sign.json") {
        let id = case["id"].as_str().unwrap_or_default().to_owned();
        let Some((method, target, headers, body)) = request_parts(&case) else { continue };
        let (status, _, _) = raw_request(sandbox.addr(), &method, &target, &headers, &body);
        let log = sandbox.requests();
        let entry = log.last().expect("logged");
        assert_eq!(entry.target, target, "{id}");
        if id == "headers-null-drops-defaults" {
            // Signed correctly, but without Accept/User-Agent: authenticated, then refused with 400.
            assert!(matches!(entry.verdict, Verdict::Invalid { .. }), "{id}: {:?}", entry.verdict);
            assert_eq!(status, 400, "{id}");
        } else {
            assert_eq!(entry.verdict, Verdict::Authenticated, "{id}");
            assert_ne!(status, 401, "{id}");
        }
        assert!(entry.header("authorization").is_some_and(|a| a.ends_with("signature=\"<redacted>\"")), "{id}");
        sent += 1;
    }
    assert!(sent >= 40, "only {sent} requests replayed");
}

#[test]
fn sandbox_rejects_tampered_php_requests() {
    let sandbox = vector_sandbox();
    let case = cases("sign.json").into_iter().find(|c| c["id"] == "post-jsapi-slashes").expect("case");
    let (method, target, headers, body) = request_parts(&case).expect("request");

    // One byte of the body changed.
    let mut tampered = body.clone();
    tampered[2] ^= 1;
    let (status, response_headers, answer) = raw_request(sandbox.addr(), &method, &target, &headers, &tampered);
    assert_eq!(status, 401);
    assert!(String::from_utf8_lossy(&answer).contains("SIGN_ERROR"));
    assert!(!response_headers.iter().any(|(n, _)| n == "wechatpay-signature"), "401 SIGN_ERROR is unsigned");

    // Another target.
    let (status, _, _) = raw_request(sandbox.addr(), &method, "/v3/pay/transactions/app", &headers, &body);
    assert_eq!(status, 401);

    // The same request outside the ±300 s window.
    let late = Sandbox::builder()
        .mchid(MCHID)
        .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
        .clock(|| 1795562040 + 301)
        .start()
        .expect("sandbox");
    let (status, _, answer) = raw_request(late.addr(), &method, &target, &headers, &body);
    assert_eq!(status, 401);
    assert!(String::from_utf8_lossy(&answer).contains("300"));

    // Another merchant.
    let other = Sandbox::builder()
        .mchid("1900000002")
        .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
        .clock(|| 1795562040)
        .start()
        .expect("sandbox");
    let (status, _, _) = raw_request(other.addr(), &method, &target, &headers, &body);
    assert_eq!(status, 401);

    let verdicts: Vec<_> = sandbox.requests().into_iter().map(|r| r.verdict).collect();
    assert!(verdicts.iter().all(|v| matches!(v, Verdict::Unauthenticated { .. })), "{verdicts:?}");
}

/// Answers signed by the sandbox with the vector platform / public keys verify under the vector certs.
#[test]
fn sandbox_signs_with_given_platform_and_public_keys() {
    use wechatpay_sandbox::SignMode;
    for (mode, id) in [(SignMode::Certificate, PLATFORM_SERIAL), (SignMode::PublicKey, PUB_KEY_ID)] {
        let sandbox = Sandbox::builder()
            .mchid(MCHID)
            .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
            .platform_key(PLATFORM_SERIAL, key_text("platform_private_key.pem"))
            .public_key(PUB_KEY_ID, key_text("wechatpay_pubkey_private_key.pem"))
            .sign_mode(mode)
            .start()
            .expect("sandbox");
        let client = vector_builder().base_uri(sandbox.base_uri()).build().expect("client");
        let res = client
            .v3()
            .facemch()
            .users()
            .param("face_sid")
            .get(serde_json::json!({"face_sid": "x", "query": {"info_type": "ASK_UNIONID", "appid": "wx1"}}))
            .expect("verified answer");
        assert_eq!(res.verification(), &wechatpay_chain::Verification::Signed { key_id: id.to_owned() });
        assert_eq!(sandbox.keys().platform_serial(), PLATFORM_SERIAL);
    }
}

#[test]
fn sandbox_refuses_malformed_given_identities() {
    let pem = key_text("platform_private_key.pem");
    for serial in ["中文", "ABC", "XYZ0", ""] {
        let err = Sandbox::builder().platform_key(serial, pem.clone()).start().expect_err(serial);
        assert!(err.message().contains("serial"), "{serial}: {err}");
    }
    let err = Sandbox::builder().public_key("PUB KEY", pem.clone()).start().expect_err("space");
    assert!(err.message().contains("PUB KEY"), "{err}");
    let err = Sandbox::builder().merchant_key(MERCHANT_SERIAL, "not a key").start().expect_err("bad pem");
    assert!(err.to_string().contains("not an RSA private key"), "{err}");
}

/// Every single-character change of a PHP-signed request — in the method, the request target, the
/// `Authorization` header or the body — is refused: none reaches the endpoints.
#[test]
fn sandbox_rejects_every_single_byte_tampering() {
    let sandbox = vector_sandbox();
    let other = |c: u8| if c == b'A' { b'B' } else { b'A' };
    let mut sent = 0;
    for case in cases("sign.json") {
        let Some((method, target, headers, body)) = request_parts(&case) else { continue };
        let auth_at = headers.iter().position(|(n, _)| n.eq_ignore_ascii_case("authorization")).expect("auth");
        let mut send = |method: &str, target: &str, headers: &[(String, String)], body: &[u8]| {
            let (status, _, _) = raw_request(sandbox.addr(), method, target, headers, body);
            assert!(status == 401 || status == 400, "{}: a tampered request got {status}", case["id"]);
            sent += 1;
        };
        for i in 0..method.len() {
            let mut m = method.clone().into_bytes();
            m[i] = other(m[i]);
            send(&String::from_utf8(m).unwrap(), &target, &headers, &body);
        }
        for i in 1..target.len() {
            let mut t = target.clone().into_bytes();
            t[i] = other(t[i]);
            send(&method, &String::from_utf8(t).unwrap(), &headers, &body);
        }
        let authorization = headers[auth_at].1.clone();
        for i in 0..authorization.len() {
            let mut a = authorization.clone().into_bytes();
            a[i] = other(a[i]);
            let mut h = headers.clone();
            h[auth_at].1 = String::from_utf8(a).unwrap();
            send(&method, &target, &h, &body);
        }
        for i in 0..body.len() {
            let mut b = body.clone();
            b[i] ^= 0x01;
            send(&method, &target, &headers, &b);
        }
    }
    assert!(sent > 10_000, "{sent}");
    let log = sandbox.requests();
    assert!(log.iter().all(|r| matches!(r.verdict, Verdict::Unauthenticated { .. })), "one got through");
}
