//! `sign.json`: every APIv3 request wechatpay-php 1.4.12 built and signed, rebuilt here (URL, request
//! target, body, headers, signed message, `Authorization` with the same timestamp and nonce). Each case
//! either matches PHP byte for byte or falls under deviations derived from its own input (never its
//! id), and each deviation's own behaviour is asserted:
//!
//! | deviation | derived from | asserted here |
//! | --- | --- | --- |
//! | `case-mangling` | a segment PHP rewrites (`merchantService` → `merchant-service`) | this SDK keeps the text; written with PHP's spelling, the request is PHP's |
//! | `unused-option` | an option key that is no template variable (PHP ignores it) | refused (`UnknownOption`); without it, PHP's request |
//! | `empty-path-variable` | a path variable missing, `null`, `false` or empty (PHP sends an empty segment) | refused, `MissingVariable` / `BadVariable`, naming it |
//! | `refused-headers` | `headers: null`, a list, or `Authorization`/`Host`/`Content-Length`/`Transfer-Encoding` | refused (`InvalidOption` / `ConflictingOptions`) |
//! | `base-uri-directory` | a `base_uri` whose path has no trailing `/` | the base path is kept as a directory |
//! | `json-escaping` | a `json` string with `/` or non-ASCII | compact UTF-8; PHP's escaping of our bytes gives PHP's bytes; our signature verifies |
//! | `no-content-type-without-body` | a request without a body | no `Content-Type` (PHP sends its default) |
//! | `refused-as-php` | PHP refused (`output.error`) | refused too (configuration or options) |
//! | `inexpressible-config` | a setting Rust's types cannot hold (an integer `mchid`, a PHP `TypeError`) | the same value as text builds |
//!
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common::rules::{self, decide_every_case};
use crate::common::*;
use base64::Engine;
use serde_json::{Value, json};
use wechatpay_chain::chain::php_normalize;
use wechatpay_chain::crypto::PublicKey;
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::http::Method;
use wechatpay_chain::{Chain, Client, Error, Options};

pub(crate) const FILE: &str = "sign.json";
/// The kinds of `sign.json` cases (the sandbox checks the same requests in `sandbox_vectors`).
pub(crate) const KINDS: [&str; 11] = [
    "get-query",
    "post-json",
    "post-body",
    "put-patch-delete",
    "query-encoding",
    "path-param",
    "normalization",
    "host",
    "headers",
    "wechatpay-serial",
    "error",
];

fn segments(input: &Value) -> Vec<&str> {
    input["chain"].as_array().expect("chain").iter().map(|s| s.as_str().expect("segment")).collect()
}

/// The chain as this SDK reads the PHP segments (no normalisation).
fn native_chain(client: &Client, segments: &[&str]) -> Chain {
    let (first, rest) = segments.split_first().expect("a segment");
    rest.iter().fold(client.chain(first), |chain, s| chain.seg(s))
}

/// PHP's pathname template: each segment normalised, joined with `/`.
fn php_template(segments: &[&str]) -> String {
    segments.iter().map(|s| php_normalize(s)).collect::<Vec<_>>().join("/")
}

/// This SDK's documented reading of the segments: the text as given, `_x_` (a whole piece) and `<x>` as
/// the variable `x`. Stated independently of the SDK's code (the chain vectors read segments the same way).
pub(crate) fn kept_text(segments: &[&str]) -> String {
    let piece = |p: &str| {
        let inner = p.get(1..p.len().saturating_sub(1)).unwrap_or_default();
        let name = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if p.len() >= 3 && p.starts_with('_') && p.ends_with('_') && name {
            format!("{{{inner}}}")
        } else {
            p.replace('<', "{").replace('>', "}")
        }
    };
    segments.iter().map(|s| s.split('/').map(piece).collect::<Vec<_>>().join("/")).collect::<Vec<_>>().join("/")
}

/// The refusal an option's shape gets (PHP refuses some of these too).
fn shape_refusal(options: &Value) -> Option<InputErrorKind> {
    let bad = |key: &str, ok: fn(&Value) -> bool| options.get(key).is_some_and(|v| !ok(v));
    if bad("query", |v| v.is_null() || v.is_object() || v.is_string() || v.as_array().is_some_and(Vec::is_empty))
        || bad("body", |v| v.is_null() || v.is_string())
        || bad("base_uri", Value::is_string)
    {
        return Some(InputErrorKind::InvalidOption);
    }
    None
}

/// `headers` this SDK refuses: `null` (would drop `Accept` and `User-Agent`), a non-empty list, anything
/// but a map, or a header the SDK computes.
fn headers_refusal(options: &Value) -> Option<InputErrorKind> {
    match options.get("headers")? {
        Value::Object(map) => map
            .keys()
            .any(|k| {
                ["authorization", "host", "content-length", "transfer-encoding"]
                    .contains(&k.to_ascii_lowercase().as_str())
            })
            .then_some(InputErrorKind::ConflictingOptions),
        Value::Array(a) if a.is_empty() => None,
        _ => Some(InputErrorKind::InvalidOption),
    }
}

fn input_error(
    id: &str,
    result: Result<wechatpay_chain::PreparedRequest, Error>,
) -> wechatpay_chain::error::InputError {
    match result {
        Err(Error::Input(e)) => e,
        other => panic!("{id}: expected a refusal before sending, got {other:?}"),
    }
}

/// The URL `base` + `/` + the relative path, when the base path does not end in `/` (this SDK keeps it
/// as a directory; RFC 3986 resolution in PHP drops its last segment).
fn directory_base(base: Option<&str>, template: &str, php_url: &str) -> Option<String> {
    let base = base?;
    let after_scheme = base.split_once("://")?.1;
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    if path.is_empty() || path.ends_with('/') || template.starts_with('/') || template.contains("://") {
        return None;
    }
    let directory = &base[..base.rfind('/')? + 1];
    let relative = php_url.strip_prefix(directory)?;
    Some(format!("{base}/{relative}"))
}

/// Checks one case and returns the deviations it falls under (none: byte for byte PHP's request).
fn check(case: &Value, merchant_public: &PublicKey) -> Vec<&'static str> {
    let id = case["id"].as_str().expect("id");
    let (input, output) = (&case["input"], &case["output"]);
    let segments = segments(input);
    let php = php_template(&segments);
    if let Some(t) = output["pathname_template"].as_str() {
        assert_eq!(php, t, "{id}: php_normalize");
    }
    let php_refused = output["error"].is_object();

    // Configuration, applied as given.
    let config = rules::configured(input.get("config"));
    if let Some(why) = &config.inexpressible {
        assert!(php_refused, "{id}: {why}, but PHP accepted it");
        if config.refused.is_none() {
            config.builder.build().unwrap_or_else(|e| panic!("{id}: the same value as text: {e}"));
        }
        return vec!["inexpressible-config"];
    }
    let built = config.builder.build();
    if let Some(setting) = config.refused {
        match built {
            Err(Error::Config(e)) => assert_eq!(e.setting(), setting, "{id}: {e}"),
            other => panic!("{id}: expected the `{setting}` setting refused, got {:?}", other.map(|_| "a client")),
        }
        assert!(php_refused, "{id}: this SDK refuses `{setting}`, PHP accepted it");
        return vec!["refused-as-php"];
    }
    let client = built.unwrap_or_else(|e| panic!("{id}: building the client failed: {e}"));

    let mut deviations = Vec::new();
    let native = native_chain(&client, &segments);
    let mut template = native.template().to_owned();
    if template != php {
        assert_eq!(template, kept_text(&segments), "{id}: this SDK keeps the segments' text");
        deviations.push("case-mangling");
        template = php.clone();
    }
    let chain = client.chain(&template);
    let method: Method = input["method"].as_str().expect("method").parse().expect("method");
    let mut options = input["options"].clone();

    // Refusals, in the order the SDK checks: option shapes, headers, unknown keys, path variables.
    if let Some(kind) = shape_refusal(&options).or_else(|| headers_refusal(&options)) {
        let err = input_error(id, chain.prepare(method, options));
        assert_eq!(err.kind(), kind, "{id}: {err}");
        return if php_refused { vec!["refused-as-php"] } else { vec!["refused-headers"] };
    }
    if !rules::unused_keys(&options, &template).is_empty() {
        let err = input_error(id, chain.prepare(method.clone(), options.clone()));
        assert_eq!(err.kind(), InputErrorKind::UnknownOption, "{id}: {err}");
        deviations.push("unused-option");
        options = rules::without_unused(&options, &template);
    }
    if let Some((kind, name)) = rules::variable_refusal(&template, &options) {
        let err = input_error(id, chain.prepare(method, options));
        assert_eq!(err.kind(), kind, "{id}: {err}");
        assert!(err.message().contains(&format!("`{name}`")), "{id}: the error names `{name}`: {err}");
        deviations.push(if php_refused { "refused-as-php" } else { "empty-path-variable" });
        return deviations;
    }
    assert!(!php_refused, "{id}: PHP refused ({}), this SDK has no reason to", output["error"]);

    let prepared = chain.prepare(method, options.clone()).unwrap_or_else(|e| panic!("{id}: {e}"));
    let request = &output["request"];
    let php_url = request["url"].as_str().expect("url");
    let base = options["base_uri"].as_str().or_else(|| input["config"]["base_uri"].as_str());
    let (url, target) = match directory_base(base, &template, php_url) {
        Some(ours) => {
            deviations.push("base-uri-directory");
            assert_ne!(ours, php_url, "{id}");
            let path = ours.split_once("://").and_then(|(_, r)| r.find('/').map(|i| r[i..].to_owned())).expect("path");
            (ours, path)
        }
        None => (php_url.to_owned(), request["request_target"].as_str().expect("target").to_owned()),
    };
    assert_eq!(prepared.url().to_string(), url, "{id}: url");
    assert_eq!(prepared.request_target(), target, "{id}: request target");

    // Headers: everything PHP sent except transport/environment ones.
    let ours = prepared.headers();
    for (name, value) in request["headers"].as_object().expect("headers") {
        let lower = name.to_ascii_lowercase();
        if ["host", "user-agent", "content-length", "authorization"].contains(&lower.as_str()) {
            continue;
        }
        if lower == "content-type" && prepared.body().is_empty() {
            assert!(ours.get("content-type").is_none(), "{id}: no Content-Type without a body");
            deviations.push("no-content-type-without-body");
            continue;
        }
        let got = ours.get(name.as_str()).and_then(|v| v.to_str().ok());
        assert_eq!(got, value.as_str(), "{id}: header {name}");
    }
    assert!(ours.get("user-agent").is_some(), "{id}: User-Agent is always sent");

    // Body: PHP's bytes, or PHP's escaping away from them.
    let php_body = request["body"].as_str().expect("body");
    let body = std::str::from_utf8(prepared.body()).expect("UTF-8 body");
    if options.get("json").is_some_and(rules::needs_php_escaping) {
        assert_ne!(body, php_body, "{id}: derived as an escaping deviation but identical");
        assert_eq!(rules::php_escaped(body), php_body, "{id}: our body, escaped as PHP escapes, is PHP's");
        deviations.push("json-escaping");
    } else {
        assert_eq!(body, php_body, "{id}: body");
    }

    // The signature: PHP's exactly when the signed parts are, else ours verifies over what we send.
    let auth = &request["authorization"];
    let timestamp: i64 = auth["timestamp"].as_str().and_then(|t| t.parse().ok()).expect("timestamp");
    let nonce = auth["nonce_str"].as_str().expect("nonce");
    let message = prepared.sign_message(timestamp, nonce);
    let header = client.authorization(&prepared, timestamp, nonce).expect("sign");
    if body == php_body && target == request["request_target"] {
        assert_eq!(message, request["sign_message"].as_str().expect("sign_message").as_bytes(), "{id}: signed message");
        assert_eq!(Some(header.as_str()), request["headers"]["Authorization"].as_str(), "{id}: Authorization");
    } else {
        let expected = format!("{}\n{target}\n{timestamp}\n{nonce}\n{body}\n", prepared.method());
        assert_eq!(message, expected.as_bytes(), "{id}: our signed message covers what is sent");
        let signature = header.rsplit_once("signature=\"").map(|(_, s)| s.trim_end_matches('"')).expect("signature");
        let raw = base64::engine::general_purpose::STANDARD.decode(signature).expect("base64");
        assert!(merchant_public.verify_sha256(&message, &raw), "{id}: our signature verifies");
    }
    deviations.dedup();
    deviations
}

#[test]
fn sign_vectors() {
    let merchant_public = PublicKey::load(&key_uri("merchant_public_key.pem")).expect("merchant key");
    decide_every_case(FILE, &KINDS, |case| check(case, &merchant_public));
}

/// A case's `certs` are applied as given: the merchant's own serial among them is refused, as PHP's
/// factory refuses it (`error-factory-*` cases; a capture may carry one).
#[test]
fn config_certs_with_the_merchant_serial_are_refused() {
    let config = json!({"certs": {MERCHANT_SERIAL: "<merchant certificate>", PUB_KEY_ID: "<wechatpay public key>"}});
    let configured = rules::configured(Some(&config));
    assert_eq!(configured.refused, Some("certs"));
    match configured.builder.build() {
        Err(Error::Config(e)) => {
            assert_eq!(e.setting(), "certs");
            assert!(e.to_string().contains(MERCHANT_SERIAL), "{e}");
        }
        other => panic!("expected a certs refusal, got {:?}", other.map(|_| "a client")),
    }
    // The standard keys under their own ids build.
    let config = json!({"certs": {PLATFORM_SERIAL: "<platform certificate>", PUB_KEY_ID: "<wechatpay public key>"}});
    let configured = rules::configured(Some(&config));
    assert_eq!(configured.refused, None);
    configured.builder.build().expect("client");
}

/// Floats in JSON bodies are PHP's `json_encode` text (`serialize_precision = -1`), from a `Value`, the
/// `json` option and a typed body alike, and the signature covers exactly those bytes. The expected
/// texts follow PHP's `php_gcvt` rules (see `src/request/json.rs`).
#[test]
fn float_bodies_are_php_json_encode() {
    let client = vector_builder().build().expect("client");
    let merchant_public = PublicKey::load(&key_uri("merchant_public_key.pem")).expect("merchant key");
    let body = json!({
        "amount": {"total": 100.0, "refund": 2.5e15, "zero": -0.0},
        "big": 1e20, "small": 1.5e-7, "sum": 0.1 + 0.2, "whole": 1e16, "int": 7,
    });
    let expected = r#"{"amount":{"total":100,"refund":2500000000000000,"zero":-0},"big":1.0e+20,"small":1.5e-7,"sum":0.30000000000000004,"whole":10000000000000000,"int":7}"#;
    let chain = client.v3().pay().transactions().native();
    let from_value = chain.prepare(Method::POST, json!({"json": body.clone()})).expect("json option");
    assert_eq!(std::str::from_utf8(from_value.body()), Ok(expected));

    #[derive(serde::Serialize)]
    struct Amount {
        total: f64,
        refund: f64,
        zero: f64,
    }
    #[derive(serde::Serialize)]
    struct Typed {
        amount: Amount,
        big: f64,
        small: f64,
        sum: f64,
        whole: f64,
        int: u32,
    }
    let typed = Typed {
        amount: Amount { total: 100.0, refund: 2.5e15, zero: -0.0 },
        big: 1e20,
        small: 1.5e-7,
        sum: 0.1 + 0.2,
        whole: 1e16,
        int: 7,
    };
    let from_typed = chain.prepare(Method::POST, Options::new().json(&typed)).expect("typed body");
    assert_eq!(from_typed.body(), from_value.body());

    let message = from_value.sign_message(1795562040, "n0nce");
    assert!(message.ends_with(format!("\n{expected}\n").as_bytes()));
    let header = client.authorization(&from_value, 1795562040, "n0nce").expect("sign");
    let signature = header.rsplit_once("signature=\"").map(|(_, s)| s.trim_end_matches('"')).expect("signature");
    let raw = base64::engine::general_purpose::STANDARD.decode(signature).expect("base64");
    assert!(merchant_public.verify_sha256(&message, &raw));
}

/// `facemch-users-async`: the async verb prepares the identical request (the vectors say PHP's
/// `getAsync()->wait()` sends the same bytes); here both go through `prepare`, and the async path is
/// exercised end to end in `verbs.rs`.
#[test]
fn value_and_typed_options_prepare_identically() {
    let client = vector_builder().build().expect("client");
    let chain = client.v3().facemch().users().param("face_sid");
    let from_json = chain
        .prepare(
            Method::GET,
            serde_json::json!({"face_sid": "async-0001", "query": {"info_type": "ASK_PHONE", "appid": "wx2b029c08a6233333"}}),
        )
        .expect("json options");
    let typed = chain
        .prepare(
            Method::GET,
            Options::new()
                .param("face_sid", "async-0001")
                .query("info_type", "ASK_PHONE")
                .query("appid", "wx2b029c08a6233333"),
        )
        .expect("typed options");
    assert_eq!(from_json.request_target(), typed.request_target());
    assert_eq!(from_json.request_target(), "/v3/facemch/users/async-0001?info_type=ASK_PHONE&appid=wx2b029c08a6233333");
    assert_eq!(client.authorization(&from_json, 1, "n").ok(), client.authorization(&typed, 1, "n").ok());
}
