//! The sandbox's request check against requests signed by wechatpay-php (`sign.json`): each one is sent
//! as raw HTTP to a sandbox holding the vector merchant key, with the sandbox clock at the case's own
//! signing time. The sandbox shares no signing code with the client, so this pins its verifier to
//! PHP/OpenSSL. Every case is decided by rule (`tests/data/README.md`): PHP refused to build it
//! (`not-sent`), another merchant, serial or key signed it (`foreign-signer`: 401, unsigned), it lacks
//! what WeChat Pay requires besides the signature — `Accept`, `User-Agent`, valid JSON under a JSON
//! `Content-Type` — (`invalid-request`: authenticated, then 400), or it is accepted.
//! Bodies given as `body_base64` are sent as those bytes. Run with `WECHATPAY_VECTORS_DIR=<dir>` to check
//! another capture of the same schema.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::common::rules::{self, Tally, known_kind, vector_cases};
use crate::common::*;
use base64::Engine;
use wechatpay_sandbox::{Sandbox, Verdict};

use crate::vectors_sign::{FILE, KINDS};

/// A sandbox holding the vector merchant key, whose clock reads `clock`.
fn vector_sandbox(clock: &Arc<AtomicI64>) -> Sandbox {
    let clock = Arc::clone(clock);
    Sandbox::builder()
        .mchid(MCHID)
        .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
        .clock(move || clock.load(Ordering::SeqCst))
        // Every tampered request stays in the log, however many the capture has.
        .log_capacity(usize::MAX)
        .start()
        .expect("sandbox")
}

/// Method, request target, headers, body and signing time of a captured request.
struct Parts {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timestamp: i64,
}

impl Parts {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The request PHP sent, if it sent one (a case without `output.request` is one PHP refused to build).
fn request_parts(case: &serde_json::Value) -> Option<Parts> {
    let r = case["output"].get("request")?;
    let id = &case["id"];
    let headers =
        r["headers"].as_object()?.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
    let body = match (r["body"].as_str(), r["body_base64"].as_str()) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD.decode(b64).expect("body_base64"),
        (None, None) => panic!("{id}: a request with neither body nor body_base64"),
    };
    let timestamp = r["authorization"]["timestamp"].as_str().and_then(|t| t.parse().ok());
    Some(Parts {
        method: r["method"].as_str().unwrap_or_else(|| panic!("{id}: method")).to_owned(),
        target: r["request_target"].as_str().unwrap_or_else(|| panic!("{id}: target")).to_owned(),
        headers,
        body,
        timestamp: timestamp.unwrap_or_else(|| panic!("{id}: authorization.timestamp")),
    })
}

/// Why a PHP-signed request is not the sandbox merchant's: another `mchid` or serial in its
/// `Authorization`, or a `config` that signed with another key. The sandbox then answers 401, unsigned.
fn foreign_signer(case: &serde_json::Value) -> Option<&'static str> {
    let auth = &case["output"]["request"]["authorization"];
    if auth["mchid"].as_str() != Some(MCHID) {
        return Some("another mchid");
    }
    if auth["serial_no"].as_str() != Some(MERCHANT_SERIAL) {
        return Some("another serial");
    }
    match case["input"]["config"]["privateKey"].as_str() {
        Some(p) if p != "<removed>" && rules::key_file(p, true) != "merchant_apiclient_key.pem" => Some("another key"),
        _ => None,
    }
}

/// Why the sandbox refuses an authenticated request, as WeChat Pay does (see `src/sandbox/mod.rs`).
fn invalid_reason(parts: &Parts) -> Option<&'static str> {
    let json = parts.header("content-type").is_some_and(|ct| ct.starts_with("application/json"));
    if parts.header("accept").is_none() {
        Some("no Accept")
    } else if parts.header("user-agent").is_none() {
        Some("no User-Agent")
    } else if !parts.body.is_empty() && json && serde_json::from_slice::<serde_json::Value>(&parts.body).is_err() {
        Some("a JSON Content-Type over a body that is not JSON")
    } else {
        None
    }
}

#[test]
fn sandbox_accepts_every_php_signed_request() {
    let clock = Arc::new(AtomicI64::new(0));
    let sandbox = vector_sandbox(&clock);
    let cases = vector_cases(FILE);
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        known_kind(FILE, case, &KINDS);
        let id = case["id"].as_str().expect("id").to_owned();
        let Some(parts) = request_parts(case) else {
            assert!(case["output"]["error"].is_object(), "{id}: no request and no error");
            tally.record(&id, &["not-sent"]);
            continue;
        };
        clock.store(parts.timestamp, Ordering::SeqCst);
        let (status, answer_headers, _) =
            raw_request(sandbox.addr(), &parts.method, &parts.target, &parts.headers, &parts.body);
        let log = sandbox.requests();
        let entry = log.last().expect("logged");
        assert_eq!(entry.target, parts.target, "{id}");
        assert_eq!(entry.body.as_ref(), parts.body.as_slice(), "{id}: the body as sent");
        let answer = |name: &str| answer_headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if let Some(why) = foreign_signer(case) {
            // Signed, but not by the sandbox's merchant: 401 SIGN_ERROR, unsigned, as WeChat Pay.
            assert!(matches!(entry.verdict, Verdict::Unauthenticated { .. }), "{id} ({why}): {:?}", entry.verdict);
            assert_eq!(status, 401, "{id} ({why})");
            assert!(answer("wechatpay-signature").is_none() && answer("wechatpay-signature-type").is_none(), "{id}");
            tally.record(&id, &["foreign-signer"]);
            continue;
        }
        match invalid_reason(&parts) {
            Some(why) => {
                // Signed correctly, then refused with 400 like WeChat Pay.
                assert!(matches!(entry.verdict, Verdict::Invalid { .. }), "{id} ({why}): {:?}", entry.verdict);
                assert_eq!(status, 400, "{id} ({why})");
                tally.record(&id, &["invalid-request"]);
            }
            None => {
                assert_eq!(entry.verdict, Verdict::Authenticated, "{id}");
                assert_ne!(status, 401, "{id}");
                tally.record(&id, &[]);
            }
        }
        // Every answer to an authenticated request is signed, and names its algorithm as WeChat Pay's do.
        assert!(answer("wechatpay-signature").is_some(), "{id}: status {status} unsigned");
        assert_eq!(answer("wechatpay-signature-type"), Some("WECHATPAY2-SHA256-RSA2048"), "{id}");
        assert!(entry.header("authorization").is_some_and(|a| a.ends_with("signature=\"<redacted>\"")), "{id}");
    }
    tally.finish();
}

/// A PHP-signed POST with a JSON body (a fixture from the repository's file, picked by its shape).
fn signed_json_post() -> Parts {
    cases(FILE)
        .iter()
        .filter_map(|c| {
            request_parts(c).filter(|p| p.method == "POST" && p.body.len() > 2 && invalid_reason(p).is_none())
        })
        .next()
        .expect("a signed JSON POST")
}

#[test]
fn sandbox_rejects_tampered_php_requests() {
    let parts = signed_json_post();
    let clock = Arc::new(AtomicI64::new(parts.timestamp));
    let sandbox = vector_sandbox(&clock);
    let Parts { method, target, headers, body, timestamp } = parts;

    // One byte of the body changed.
    let mut tampered = body.clone();
    tampered[2] ^= 1;
    let (status, response_headers, answer) = raw_request(sandbox.addr(), &method, &target, &headers, &tampered);
    assert_eq!(status, 401);
    assert!(String::from_utf8_lossy(&answer).contains("SIGN_ERROR"));
    assert!(!response_headers.iter().any(|(n, _)| n == "wechatpay-signature"), "401 SIGN_ERROR is unsigned");
    assert!(!response_headers.iter().any(|(n, _)| n == "wechatpay-signature-type"), "401 SIGN_ERROR is unsigned");

    // Another target.
    let (status, _, _) = raw_request(sandbox.addr(), &method, "/v3/pay/transactions/app", &headers, &body);
    assert_eq!(status, 401);

    // The same request outside the ±300 s window.
    let late = Arc::new(AtomicI64::new(timestamp + 301));
    let late = vector_sandbox(&late);
    let (status, _, answer) = raw_request(late.addr(), &method, &target, &headers, &body);
    assert_eq!(status, 401);
    assert!(String::from_utf8_lossy(&answer).contains("300"));

    // Another merchant.
    let other = Sandbox::builder()
        .mchid("1900000002")
        .merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem"))
        .clock(move || timestamp)
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
    let clock = Arc::new(AtomicI64::new(0));
    let sandbox = vector_sandbox(&clock);
    let other = |c: u8| if c == b'A' { b'B' } else { b'A' };
    let (mut sent, mut expected) = (0, 0);
    for case in vector_cases(FILE) {
        let Some(Parts { method, target, headers, body, timestamp }) = request_parts(&case) else { continue };
        clock.store(timestamp, Ordering::SeqCst);
        let auth_at = headers.iter().position(|(n, _)| n.eq_ignore_ascii_case("authorization")).expect("auth");
        let authorization = headers[auth_at].1.clone();
        expected += method.len() + target.len() - 1 + authorization.len() + body.len();
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
    assert!(sent > 0, "no signed request in the file");
    assert_eq!(sent, expected, "every single-byte change was sent");
    let log = sandbox.requests();
    assert_eq!(log.len(), sent);
    assert!(log.iter().all(|r| matches!(r.verdict, Verdict::Unauthenticated { .. })), "one got through");
}
