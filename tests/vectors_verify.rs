//! `verify.json`: captured responses replayed over loopback through the client's full pipeline, with
//! the clock pinned to the vector's `local_timestamp`. Every case is checked; two deliberate
//! differences from wechatpay-php are named in `expectation`.

mod common;

use base64::Engine;
use common::*;
use serde_json::Value;
use wechatpay_chain::error::VerificationFailure;
use wechatpay_chain::http::Method;
use wechatpay_chain::{Error, Options, Sent, Verification};

enum Expect {
    Accepted(u16),
    Api { status: u16, signed: bool },
    Missing,
    Skew,
    Malformed,
    UnknownKey,
    BadSignature,
}

fn expectation(case: &Value) -> Expect {
    let id = case["id"].as_str().unwrap_or_default();
    let output = &case["output"];
    let signed = !case["input"]["response_signed_by"].is_null();
    let status = case["input"]["response"]["status"].as_u64().unwrap_or(0) as u16;
    match id {
        // PHP accepts this only with `http_errors => false`, which has no equivalent here: a 401 is an API
        // error, whose signature is checked and reported (`signed_by`).
        "client-error-401-http-errors-off-signed" => return Expect::Api { status, signed: true },
        // PHP's `intval("1795562040xyz")` reads the leading digits; this SDK requires digits only.
        "timestamp-numeric-prefix" => return Expect::Malformed,
        "timestamp-not-numeric" => return Expect::Malformed,
        _ => {}
    }
    if output["accepted"].as_bool() == Some(true) {
        return Expect::Accepted(output["status"].as_u64().unwrap_or(0) as u16);
    }
    match case["kind"].as_str().unwrap_or_default() {
        "http-error" => Expect::Api { status, signed },
        "missing-headers" | "exempt-path" => Expect::Missing,
        "timestamp" => Expect::Skew,
        "unknown-serial" => Expect::UnknownKey,
        "tampered" | "wrong-serial" | "bad-signature" | "overseas" => Expect::BadSignature,
        other => panic!("{id}: unhandled kind {other}"),
    }
}

#[test]
fn verify_vectors() {
    let cases = cases("verify.json");
    assert!(cases.len() >= 35);
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        let input = &case["input"];
        let response = &input["response"];
        let status = response["status"].as_u64().expect("status") as u16;
        let replay =
            Replay::start(Canned { status, headers: captured_headers(response), body: captured_body(response) });
        let now = input["local_timestamp"].as_i64().expect("local_timestamp");
        let client = vector_builder().base_uri(replay.base_uri()).clock(move || now).build().expect("client");

        let url = input["request"]["url"].as_str().expect("url");
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path_and_query = &after_scheme[after_scheme.find('/').expect("path")..];
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let method: Method = input["request"]["method"].as_str().expect("method").parse().expect("method");
        let mut options = Options::new();
        if !query.is_empty() {
            options = options.query_string(query);
        }
        let result = client.chain(path).request(method, options);

        // The request reached the replay server with the path as written (case kept).
        let seen = replay.seen.lock().expect("lock").clone();
        assert!(seen.first().is_some_and(|h| h.contains(path)), "{id}: {seen:?}");

        let header = |name: &str| {
            response["headers"]
                .as_object()
                .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .and_then(|(_, v)| v.as_str())
        };
        match (expectation(case), result) {
            (Expect::Accepted(status), Ok(res)) => {
                assert_eq!(res.status().as_u16(), status, "{id}");
                match res.verification() {
                    Verification::Signed { key_id } => {
                        assert_eq!(Some(key_id.as_str()), header("wechatpay-serial"), "{id}")
                    }
                    Verification::UnsignedDownload => assert_eq!(case["kind"], "exempt-path", "{id}"),
                    other => panic!("{id}: {other:?}"),
                }
            }
            (Expect::Api { status, signed }, Err(Error::Api(e))) => {
                assert_eq!(e.status().as_u16(), status, "{id}");
                assert_eq!(e.signed_by().is_some(), signed, "{id}: signature of the error body");
                let body: Value = serde_json::from_slice(e.body()).unwrap_or(Value::Null);
                assert_eq!(e.code(), body["code"].as_str(), "{id}");
                assert_eq!(e.request_id(), header("request-id"), "{id}");
            }
            (expect, Err(Error::Verification(e))) => {
                let ok = match (&expect, e.failure()) {
                    (Expect::Missing, VerificationFailure::MissingHeaders(names)) => !names.is_empty(),
                    (Expect::Skew, VerificationFailure::ClockSkew { local, .. }) => *local == now,
                    (Expect::Malformed, VerificationFailure::MalformedTimestamp(_)) => true,
                    (Expect::UnknownKey, VerificationFailure::UnknownKey { serial, known }) => {
                        Some(serial.as_str()) == header("wechatpay-serial") && known.len() == 2
                    }
                    (Expect::BadSignature, VerificationFailure::BadSignature { .. }) => true,
                    _ => false,
                };
                assert!(ok, "{id}: unexpected failure {:?}", e.failure());
                // The raw answer is kept, and the error says the server may have acted.
                assert_eq!(e.response().body().as_ref(), captured_body(response).as_slice(), "{id}");
                assert_eq!(e.response().verification(), &Verification::Rejected, "{id}");
                let err = Error::Verification(e);
                assert_eq!(err.sent(), Sent::Yes, "{id}");
                assert!(err.to_string().contains("may already have acted"), "{id}: {err}");
            }
            (_, other) => panic!("{id}: unexpected outcome {other:?}"),
        }
    }
}

fn captured_body(response: &Value) -> Vec<u8> {
    match response["body"].as_str() {
        Some(text) => text.as_bytes().to_vec(),
        None => base64::engine::general_purpose::STANDARD
            .decode(response["body_base64"].as_str().expect("body_base64"))
            .expect("base64"),
    }
}

fn captured_headers(response: &Value) -> Vec<(String, String)> {
    response["headers"]
        .as_object()
        .expect("headers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// The statement rule checks the SHA-1 of the body as well as the signature over `{"sha1":"…"}`.
#[test]
fn statement_digest_must_match_the_body() {
    let case = cases("verify.json")
        .into_iter()
        .find(|c| c["id"] == "overseas-statements-sha1-digest")
        .expect("statement case");
    let response = &case["input"]["response"];
    // Same signed headers, different body: the signature (over the header) still verifies, the digest not.
    let body = b"date,amount\n2024-11-24,9.99\n".to_vec();
    let replay = Replay::start(Canned { status: 200, headers: captured_headers(response), body });
    let now = case["input"]["local_timestamp"].as_i64().expect("now");
    let client = vector_builder().base_uri(replay.base_uri()).clock(move || now).build().expect("client");
    let err = client.chain("v3/global/statements").get(Options::new().query("date", "2024-11-24")).expect_err("digest");
    assert!(
        matches!(err.verification().map(|v| v.failure()), Some(VerificationFailure::DigestMismatch { .. })),
        "{err}"
    );
}
