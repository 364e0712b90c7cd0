//! `verify.json`: captured responses replayed over loopback through the client's full pipeline, with
//! the clock pinned to the vector's `local_timestamp` and the file's `certs` as the client's keys. The
//! expected outcome is derived from each case's own response by this SDK's documented checks, in their
//! order (status, unsigned downloads, statements, headers, timestamp, key, signature), with an
//! independent signature check as the oracle; where that outcome differs from PHP's, a named
//! deviation must explain it:
//!
//! | deviation | derived from | asserted here |
//! | --- | --- | --- |
//! | `http-errors-option` | a 4xx/5xx with the request option `http_errors: false` (PHP then verifies and accepts it) | an API error, its signature checked (`signed_by`) |
//! | `strict-timestamp` | a `Wechatpay-Timestamp` that is not 1–18 digits (PHP's `intval` reads a prefix) | `MalformedTimestamp` |
//! | `strict-base64-signature` | a signature that only lenient base64 decodes | `BadSignature` |
//! | `wider-unsigned-downloads` | a `GET` on this SDK's unsigned-download list that PHP verifies | accepted unsigned |
//! | `unsigned-only-for-get` | a PHP-exempt path with another method | verified |
//! | `statement-digest` | an overseas statement whose body's SHA-1 is not the announced one | `DigestMismatch` |
//!
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common::rules::{self, decide_every_case, vector_doc};
use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use wechatpay_chain::auth::is_unsigned_download;
use wechatpay_chain::crypto::PublicKey;
use wechatpay_chain::error::VerificationFailure;
use wechatpay_chain::http::Method;
use wechatpay_chain::{Error, Options, Sent, Verification};

const FILE: &str = "verify.json";
const KINDS: [&str; 11] = [
    "valid",
    "tampered",
    "wrong-serial",
    "unknown-serial",
    "timestamp",
    "missing-headers",
    "no-body",
    "http-error",
    "exempt-path",
    "overseas",
    "bad-signature",
];
const MAX_OFFSET: i64 = 300;

/// What the client must do with a response.
#[derive(Debug, PartialEq)]
enum Expect {
    Accepted { signed_by: Option<String> },
    Api { signed: bool },
    Missing,
    Malformed,
    Skew,
    UnknownKey,
    BadSignature,
    DigestMismatch,
}

struct Response<'a> {
    status: u16,
    headers: &'a Map<String, Value>,
    body: Vec<u8>,
}

impl<'a> Response<'a> {
    /// The answer a case captured (`input.response`).
    fn captured(response: &'a Value) -> Response<'a> {
        Response {
            status: response["status"].as_u64().expect("status") as u16,
            headers: response["headers"].as_object().expect("headers"),
            body: captured_body(response),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str())
    }
}

fn captured_body(response: &Value) -> Vec<u8> {
    match response["body"].as_str() {
        Some(text) => text.as_bytes().to_vec(),
        None => STANDARD.decode(response["body_base64"].as_str().expect("body or body_base64")).expect("base64"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn strict_timestamp(value: &str) -> Option<i64> {
    (!value.is_empty() && value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse().ok())
        .flatten()
}

/// PHP's `intval`: the leading decimal digits, 0 if none.
fn intval(value: &str) -> i64 {
    let digits: String = value.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// PHP's lenient `base64_decode`: characters outside the alphabet are skipped.
fn lenient_base64(text: &str) -> Option<Vec<u8>> {
    let kept: String = text.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/').collect();
    base64::engine::general_purpose::STANDARD_NO_PAD.decode(kept).ok()
}

/// The independent signature check: `signature` (already decoded) over `TIMESTAMP\nNONCE\nBODY\n` with
/// the key the file's `certs` give for the serial.
fn signature_verifies(
    certs: &Map<String, Value>,
    r: &Response,
    signed_body: &[u8],
    signature: Option<Vec<u8>>,
) -> bool {
    let (Some(ts), Some(nonce), Some(serial), Some(signature)) =
        (r.header("wechatpay-timestamp"), r.header("wechatpay-nonce"), r.header("wechatpay-serial"), signature)
    else {
        return false;
    };
    let Some(file) = certs.get(serial).and_then(Value::as_str) else { return false };
    let key = PublicKey::load(&key_uri(rules::key_file(file, false))).expect("vector key");
    let mut message = format!("{ts}\n{nonce}\n").into_bytes();
    message.extend_from_slice(signed_body);
    message.push(b'\n');
    key.verify_sha256(&message, &signature)
}

/// The outcome this SDK's rules give, and the deviations from PHP's rules it involves.
fn derive(case: &Value, certs: &Map<String, Value>) -> (Expect, Vec<&'static str>) {
    let input = &case["input"];
    let r = Response::captured(&input["response"]);
    let now = input["local_timestamp"].as_i64().expect("local_timestamp");
    let method: Method = input["request"]["method"].as_str().expect("method").parse().expect("method");
    let url = input["request"]["url"].as_str().expect("url");
    let path = url_path(url);
    let mut deviations = Vec::new();

    let strict_signature = || r.header("wechatpay-signature").and_then(|s| STANDARD.decode(s.trim()).ok());
    let full_check = |signed_body: &[u8]| -> Result<String, Expect> {
        let names = ["wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"];
        if names.iter().any(|n| r.header(n).is_none()) {
            return Err(Expect::Missing);
        }
        let ts = strict_timestamp(r.header("wechatpay-timestamp").unwrap_or_default()).ok_or(Expect::Malformed)?;
        if (now - ts).abs() > MAX_OFFSET {
            return Err(Expect::Skew);
        }
        let serial = r.header("wechatpay-serial").unwrap_or_default();
        if !certs.contains_key(serial) {
            return Err(Expect::UnknownKey);
        }
        if signature_verifies(certs, &r, signed_body, strict_signature()) {
            Ok(serial.to_owned())
        } else {
            Err(Expect::BadSignature)
        }
    };

    if r.status >= 400 {
        if input["request"]["options"]["http_errors"] == false {
            deviations.push("http-errors-option");
        }
        return (Expect::Api { signed: full_check(&r.body).is_ok() }, deviations);
    }
    let php_exempt = path.eq_ignore_ascii_case("/v3/billdownload/file")
        || (path.to_ascii_lowercase().starts_with("/v3/merchant-service/images/")
            && !path.eq_ignore_ascii_case("/v3/merchant-service/images/upload"));
    if is_unsigned_download(&method, &path) {
        if !php_exempt {
            deviations.push("wider-unsigned-downloads");
        }
        return (Expect::Accepted { signed_by: None }, deviations);
    }
    if php_exempt {
        deviations.push("unsigned-only-for-get");
    }
    let statement = ["/v3/global/statements", "/hk/v3/statements"].iter().any(|s| path.eq_ignore_ascii_case(s));
    let statement_sha1 = r.header("wechatpay-statement-sha1").filter(|_| statement);
    let signed_body = match statement_sha1 {
        Some(sha1) => format!("{{\"sha1\":\"{sha1}\"}}").into_bytes(),
        None => r.body.clone(),
    };
    let outcome = match (full_check(&signed_body), statement_sha1) {
        (Err(e), _) => e,
        (Ok(serial), None) => Expect::Accepted { signed_by: Some(serial) },
        (Ok(serial), Some(sha1)) => {
            let actual = hex(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &r.body).as_ref());
            if actual.eq_ignore_ascii_case(sha1) {
                Expect::Accepted { signed_by: Some(serial) }
            } else {
                deviations.push("statement-digest");
                Expect::DigestMismatch
            }
        }
    };
    match outcome {
        Expect::Malformed => deviations.push("strict-timestamp"),
        Expect::BadSignature => {
            let lenient = r.header("wechatpay-signature").and_then(lenient_base64);
            if signature_verifies(certs, &r, &signed_body, lenient) {
                deviations.push("strict-base64-signature");
            }
        }
        _ => {}
    }
    (outcome, deviations)
}

/// What PHP's rules decide, for the cross-check against the captured `accepted`: the same checks with
/// `intval` timestamps, lenient base64, any-method exemptions, no digest check.
fn php_accepts(case: &Value, certs: &Map<String, Value>) -> bool {
    let input = &case["input"];
    let r = Response::captured(&input["response"]);
    let path = url_path(input["request"]["url"].as_str().expect("url"));
    if r.status >= 400 && input["request"]["options"]["http_errors"] != false {
        return false;
    }
    if path.eq_ignore_ascii_case("/v3/billdownload/file")
        || (path.to_ascii_lowercase().starts_with("/v3/merchant-service/images/")
            && !path.eq_ignore_ascii_case("/v3/merchant-service/images/upload"))
    {
        return true;
    }
    let names = ["wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"];
    if names.iter().any(|n| r.header(n).is_none()) {
        return false;
    }
    let now = input["local_timestamp"].as_i64().expect("local_timestamp");
    if (now - intval(r.header("wechatpay-timestamp").unwrap_or_default())).abs() > MAX_OFFSET {
        return false;
    }
    let serial = r.header("wechatpay-serial").unwrap_or_default();
    if !certs.contains_key(serial) {
        return false;
    }
    let statement = ["/v3/global/statements", "/hk/v3/statements"].contains(&path.as_str());
    let signed = match (statement, r.header("wechatpay-statement-sha1")) {
        (true, Some(sha1)) => format!("{{\"sha1\":\"{sha1}\"}}").into_bytes(),
        _ => r.body.clone(),
    };
    signature_verifies(certs, &r, &signed, r.header("wechatpay-signature").and_then(lenient_base64))
}

fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_query = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path_and_query.split_once('?').map_or(path_and_query, |(p, _)| p).to_owned()
}

/// The client for a case: its `config` as given, the file's `certs` unless the config replaces them,
/// and the replay server in place of the host.
fn client_for(case: &Value, certs: &Map<String, Value>, replay: &Replay, now: i64) -> wechatpay_chain::Client {
    let mut config = case["input"]["config"].as_object().cloned().unwrap_or_default();
    config.remove("base_uri");
    config.entry("certs").or_insert_with(|| Value::Object(certs.clone()));
    let configured = rules::configured(Some(&Value::Object(config)));
    assert!(configured.refused.is_none(), "{}: the configuration is refused", case["id"]);
    configured.builder.base_uri(replay.base_uri()).clock(move || now).build().expect("client")
}

fn check(case: &Value, certs: &Map<String, Value>) -> Vec<&'static str> {
    let id = case["id"].as_str().expect("id");
    let input = &case["input"];
    let response = &input["response"];
    let (expect, deviations) = derive(case, certs);

    // Our rules and PHP's agree on acceptance unless a deviation says why not.
    let php = php_accepts(case, certs);
    assert_eq!(
        php,
        case["output"]["accepted"] == true,
        "{id}: the test's restatement of PHP's rules disagrees with the capture"
    );
    let ours = matches!(expect, Expect::Accepted { .. });
    assert!(
        ours == php || !deviations.is_empty(),
        "{id}: this SDK {} where PHP {}, and no deviation explains it",
        if ours { "accepts" } else { "rejects" },
        if php { "accepts" } else { "rejects" }
    );

    let status = response["status"].as_u64().expect("status") as u16;
    let body = captured_body(response);
    let headers: Vec<(String, String)> = response["headers"]
        .as_object()
        .expect("headers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let replay = Replay::start(Canned { status, headers: headers.clone(), body: body.clone() });
    let now = input["local_timestamp"].as_i64().expect("local_timestamp");
    let client = client_for(case, certs, &replay, now);

    let url = input["request"]["url"].as_str().expect("url");
    let path = url_path(url);
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let method: Method = input["request"]["method"].as_str().expect("method").parse().expect("method");
    let mut options = Options::new();
    if !query.is_empty() {
        options = options.query_string(query);
    }
    let result = client.chain(&path).request(method, options);
    let seen = replay.seen.lock().expect("lock").clone();
    assert!(seen.first().is_some_and(|h| h.contains(&path)), "{id}: the request reached the server: {seen:?}");

    match (expect, result) {
        (Expect::Accepted { signed_by }, Ok(res)) => {
            assert_eq!(res.status().as_u16(), status, "{id}");
            assert_eq!(res.body().as_ref(), body.as_slice(), "{id}: the body as received");
            match (signed_by, res.verification()) {
                (Some(serial), Verification::Signed { key_id }) => assert_eq!(key_id, &serial, "{id}"),
                (None, Verification::UnsignedDownload) => {}
                (expected, got) => panic!("{id}: expected {expected:?}, got {got:?}"),
            }
        }
        (Expect::Api { signed }, Err(Error::Api(e))) => {
            assert_eq!(e.status().as_u16(), status, "{id}");
            assert_eq!(e.signed_by().is_some(), signed, "{id}: the error body's signature");
            let parsed: Value = serde_json::from_slice(e.body()).unwrap_or(Value::Null);
            assert_eq!(e.code(), parsed["code"].as_str(), "{id}");
            assert_eq!(e.request_id(), header("request-id"), "{id}");
        }
        (expect, Err(Error::Verification(e))) => {
            let ok = match (&expect, e.failure()) {
                (Expect::Missing, VerificationFailure::MissingHeaders(names)) => !names.is_empty(),
                (Expect::Skew, VerificationFailure::ClockSkew { local, .. }) => *local == now,
                (Expect::Malformed, VerificationFailure::MalformedTimestamp(v)) => {
                    Some(v.as_str()) == header("wechatpay-timestamp")
                }
                (Expect::UnknownKey, VerificationFailure::UnknownKey { serial, known }) => {
                    Some(serial.as_str()) == header("wechatpay-serial") && known.len() == certs.len()
                }
                (Expect::BadSignature, VerificationFailure::BadSignature { .. }) => true,
                (Expect::DigestMismatch, VerificationFailure::DigestMismatch { .. }) => true,
                _ => false,
            };
            assert!(ok, "{id}: expected {expect:?}, got {:?}", e.failure());
            // The raw answer is kept, and the error says the server may have acted.
            assert_eq!(e.response().body().as_ref(), body.as_slice(), "{id}");
            assert_eq!(e.response().verification(), &Verification::Rejected, "{id}");
            let err = Error::Verification(e);
            assert_eq!(err.sent(), Sent::Yes, "{id}");
            assert!(err.to_string().contains("may already have acted"), "{id}: {err}");
        }
        (expect, other) => panic!("{id}: expected {expect:?}, got {other:?}"),
    }
    deviations
}

#[test]
fn verify_vectors() {
    let doc = vector_doc(FILE);
    let certs = doc["certs"].as_object().expect("top-level certs").clone();
    if let Some(offset) = doc["maximum_clock_offset_seconds"].as_i64() {
        assert_eq!(offset, MAX_OFFSET, "the clock window this SDK uses");
    }
    decide_every_case(FILE, &KINDS, |case| check(case, &certs));
}

/// The statement rule checks the SHA-1 of the body as well as the signature over `{"sha1":"…"}`: a
/// captured statement (a fixture from the repository's file, picked by its shape) with another body.
#[test]
fn statement_digest_must_match_the_body() {
    let case = cases("verify.json")
        .into_iter()
        .find(|c| {
            c["output"]["accepted"] == true
                && c["input"]["response"]["headers"].get("Wechatpay-Statement-Sha1").is_some()
                && url_path(c["input"]["request"]["url"].as_str().unwrap_or_default()) == "/v3/global/statements"
        })
        .expect("an accepted /v3/global/statements capture");
    let response = &case["input"]["response"];
    let headers = response["headers"]
        .as_object()
        .expect("headers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    // Same signed headers, different body: the signature (over the header) still verifies, the digest not.
    let body = b"date,amount\n2024-11-24,9.99\n".to_vec();
    let replay = Replay::start(Canned { status: 200, headers, body });
    let now = case["input"]["local_timestamp"].as_i64().expect("now");
    let client = vector_builder().base_uri(replay.base_uri()).clock(move || now).build().expect("client");
    let err = client.chain("v3/global/statements").get(Options::new().query("date", "2024-11-24")).expect_err("digest");
    assert!(
        matches!(err.verification().map(|v| v.failure()), Some(VerificationFailure::DigestMismatch { .. })),
        "{err}"
    );
}
