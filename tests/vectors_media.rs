//! `media.json`: every media upload wechatpay-php 1.4.12 built and signed (`MediaUtil`), rebuilt here byte
//! for byte: meta JSON, request `Content-Type`, multipart body with the vector's boundary, the signed
//! message (over the meta JSON, not the body) and `Authorization` with the vector's timestamp and nonce.
//!
//! Deliberate differences, each checked: the body is sent with a `Content-Length` rather than chunked
//! with `Expect: 100-Continue`; and a file whose extension `v3/merchant/media/upload` does not take
//! (`blob`) is refused before sending (PHP sends it and WeChat Pay rejects it); its bytes are checked
//! on another upload endpoint.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::Value;
use wechatpay_chain::auth::{RsaSigner, authorization};
use wechatpay_chain::chain::php_normalize;
use wechatpay_chain::crypto::PrivateKey;
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::http::Method;
use wechatpay_chain::{Client, Error, Media, Options, PreparedRequest};

/// Cases this SDK refuses to send, and why.
const REFUSED: &[(&str, &str)] = &[("no-extension", "v3/merchant/media/upload takes jpg, jpeg, png and bmp only")];

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` is a string"))
}

/// The wire template PHP derives from the case's chain (segments joined, PHP's case folding applied).
fn template(input: &Value) -> String {
    input["chain"]
        .as_array()
        .expect("chain")
        .iter()
        .map(|s| php_normalize(s.as_str().expect("segment")))
        .collect::<Vec<_>>()
        .join("/")
}

fn media_for(input: &Value, boundary: &str) -> Media {
    let bytes = STANDARD.decode(str_of(input, "file_base64")).expect("file_base64");
    let media = Media::from_bytes(str_of(input, "filename"), bytes).expect("media");
    assert_eq!(media.sha256(), str_of(input, "file_sha256"));
    let media = match input.get("set_meta_json").and_then(Value::as_str) {
        Some(json) => media.meta_json(json).expect("custom meta"),
        None => media,
    };
    media.boundary(boundary).expect("boundary")
}

fn expected_body(request: &Value) -> Vec<u8> {
    match request["body_base64"].as_str() {
        Some(b64) => STANDARD.decode(b64).expect("body_base64"),
        None => str_of(request, "body").as_bytes().to_vec(),
    }
}

fn signer() -> RsaSigner {
    RsaSigner::new(PrivateKey::load(&key_uri("merchant_apiclient_key.pem")).expect("merchant key"))
}

/// Body, headers, signed bytes, signed message and `Authorization` against the vector.
fn check(id: &str, client: &Client, prepared: &PreparedRequest, output: &Value, target: &str) {
    let request = &output["request"];
    assert_eq!(prepared.body().as_ref(), expected_body(request).as_slice(), "{id}: multipart body");
    assert_eq!(prepared.signed_body().as_ref(), str_of(output, "meta_json").as_bytes(), "{id}: meta");
    assert_eq!(prepared.signed_body().as_ref(), str_of(request, "signed_body").as_bytes(), "{id}: signed body");
    let headers = prepared.headers();
    assert_eq!(headers["content-type"], str_of(output, "content_type"), "{id}: content type");
    for (name, value) in request["headers"].as_object().expect("headers") {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            // Deliberate: a fixed-length body instead of chunked with `Expect: 100-Continue`.
            "transfer-encoding" | "expect" => assert!(headers.get(&lower).is_none(), "{id}: {name}"),
            "host" | "user-agent" | "authorization" => {}
            _ => assert_eq!(headers.get(&lower).and_then(|v| v.to_str().ok()), value.as_str(), "{id}: {name}"),
        }
    }

    let auth = &request["authorization"];
    let timestamp: i64 = str_of(auth, "timestamp").parse().expect("timestamp");
    let nonce = str_of(auth, "nonce_str");
    let expected = str_of(&request["headers"], "Authorization");
    if prepared.request_target() == target {
        assert_eq!(prepared.sign_message(timestamp, nonce), str_of(request, "sign_message").as_bytes(), "{id}");
        assert_eq!(client.authorization(prepared, timestamp, nonce).expect("sign"), expected, "{id}: Authorization");
    } else {
        // Prepared for another endpoint: sign the same meta for the vector's target.
        let value =
            authorization(MCHID, MERCHANT_SERIAL, &signer(), "POST", target, timestamp, nonce, prepared.signed_body())
                .expect("sign");
        assert_eq!(value, expected, "{id}: Authorization");
    }
    assert!(str_of(auth, "signature").len() > 300, "{id}");
}

#[test]
fn media_vectors() {
    let cases = cases("media.json");
    assert!(cases.len() >= 8, "expected the full visible set");
    let client = vector_builder().build().expect("client");
    let mut exact = 0;
    for case in &cases {
        let id = str_of(case, "id");
        let (input, output) = (&case["input"], &case["output"]);
        assert_eq!(str_of(input, "method"), "POST", "{id}");
        let request = &output["request"];
        let target = str_of(request, "request_target");
        let media = media_for(input, str_of(output, "boundary"));
        assert_eq!(media.meta_bytes().as_ref(), str_of(output, "meta_json").as_bytes(), "{id}: meta JSON");

        // A custom meta given as a JSON value encodes to the same bytes PHP was handed as text.
        if let Some(json) = input.get("set_meta_json").and_then(Value::as_str) {
            let value: Value = serde_json::from_str(json).expect("meta JSON");
            let typed = media.clone().meta(value).expect("meta value");
            assert_eq!(typed.meta_bytes().as_ref(), json.as_bytes(), "{id}: meta from a value");
        }

        let chain = client.chain(&template(input));
        let prepared = chain.prepare(Method::POST, Options::new().media(media.clone()));
        if let Some((_, why)) = REFUSED.iter().find(|(i, _)| *i == id) {
            let err = prepared.expect_err(id);
            assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::Media), "{id} ({why}): {err}");
            let elsewhere = client
                .chain("v3/marketing/favor/media/image-upload")
                .prepare(Method::POST, Options::new().media(media))
                .expect("general upload endpoint");
            check(id, &client, &elsewhere, output, target);
            continue;
        }
        let prepared = prepared.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(prepared.url().to_string(), str_of(request, "url"), "{id}: url");
        assert_eq!(prepared.request_target(), target, "{id}");
        check(id, &client, &prepared, output, target);
        exact += 1;
    }
    assert_eq!(exact, cases.len() - REFUSED.len());
}

/// The chain forms of the vectors (generated methods, as the PHP property chains) reach the same URL.
#[test]
fn generated_chain_methods() {
    let client = vector_builder().build().expect("client");
    let url = |c: &wechatpay_chain::Chain| c.prepare(Method::POST, ()).expect("prepare").url().to_string();
    let base = "https://api.mch.weixin.qq.com/";
    assert_eq!(url(&client.v3().merchant().media().upload()), format!("{base}v3/merchant/media/upload"));
    assert_eq!(url(&client.v3().merchant().media().video_upload()), format!("{base}v3/merchant/media/video_upload"));
    assert_eq!(
        url(&client.v3().marketing().favor().media().image_upload()),
        format!("{base}v3/marketing/favor/media/image-upload")
    );
    assert_eq!(
        url(&client.v3().merchant_service().images().upload()),
        format!("{base}v3/merchant-service/images/upload")
    );
}
