//! `media.json`: every media upload wechatpay-php 1.4.12 built and signed (`MediaUtil`), rebuilt here byte
//! for byte: meta JSON, request `Content-Type`, multipart body with the vector's boundary, the signed
//! message (over the meta JSON, not the body) and `Authorization` with the vector's timestamp and nonce.
//! The path is written with PHP's spelling (`php_normalize`), as a port does.
//!
//! Always different, and checked on every case: the body is sent with a `Content-Length` rather than
//! chunked with `Expect: 100-Continue`. Deviations derived from a case's own input (never its id):
//!
//! | deviation | derived from | asserted here |
//! | --- | --- | --- |
//! | `upload-refused` | the documented upload rules (`src/media.rs`): `POST` only; `v3/merchant/media/upload` takes jpg, jpeg, png, bmp up to 2 MiB; `video_upload` its video types up to 5 MiB; elsewhere 5 MiB images, 10 MiB others; no empty files (PHP sends them and WeChat Pay rejects them) | refused before sending (`Media`); where the file is acceptable elsewhere, its bytes and signature on a general upload endpoint are PHP's |
//! | `meta-refused` | a `set_meta_json` that is not an object or whose `sha256` is not the file's | `Media::meta_json` refuses it |
//! | `filename-refused` | a file name with `"`, `\` or a control character (a multipart header cannot carry it) | `Media::from_bytes` refuses it |
//!
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common::rules::decide_every_case;
use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use wechatpay_chain::auth::{RsaSigner, authorization};
use wechatpay_chain::chain::php_normalize;
use wechatpay_chain::crypto::PrivateKey;
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::http::Method;
use wechatpay_chain::{Client, Error, Media, Options, PreparedRequest};

const FILE: &str = "media.json";
const KINDS: [&str; 2] = ["upload", "custom-meta"];
const MIB: usize = 1024 * 1024;

/// Why the documented upload rules refuse `filename` with `size` bytes on `path` by `method`, if they do.
fn upload_refusal(method: &str, path: &str, filename: &str, size: usize) -> Option<String> {
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let images = ["jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff"];
    let videos = ["avi", "wmv", "mpeg", "mp4", "mov", "mkv", "flv", "f4v", "m4v", "rmvb"];
    let (allowed, limit): (Option<&[&str]>, usize) = match path.trim_start_matches('/') {
        "v3/merchant/media/upload" => (Some(&images[..4]), 2 * MIB),
        "v3/merchant/media/video_upload" => (Some(&videos), 5 * MIB),
        _ if images.contains(&ext.as_str()) => (None, 5 * MIB),
        _ => (None, 10 * MIB),
    };
    if method != "POST" {
        return Some(format!("media are uploaded with POST, not {method}"));
    }
    if allowed.is_some_and(|a| !a.contains(&ext.as_str())) {
        return Some(format!("{path} does not take `.{ext}` files"));
    }
    if size == 0 {
        return Some("an empty file".to_owned());
    }
    (size > limit).then(|| format!("{size} bytes is over the {limit}-byte limit of {path}"))
}

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

fn media_for(input: &Value, boundary: &str) -> Result<Media, Error> {
    let bytes = STANDARD.decode(str_of(input, "file_base64")).expect("file_base64");
    let media = Media::from_bytes(str_of(input, "filename"), bytes)?;
    assert_eq!(media.sha256(), str_of(input, "file_sha256"));
    let media = match input.get("set_meta_json").and_then(Value::as_str) {
        Some(json) => media.meta_json(json)?,
        None => media,
    };
    Ok(media.boundary(boundary).expect("boundary"))
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
fn check_request(id: &str, client: &Client, prepared: &PreparedRequest, output: &Value, target: &str) {
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

/// Checks one case; returns its deviations.
fn check(client: &Client, case: &Value) -> Vec<&'static str> {
    let id = str_of(case, "id");
    let (input, output) = (&case["input"], &case["output"]);
    let request = &output["request"];
    let target = str_of(request, "request_target");
    let filename = str_of(input, "filename");
    let file = STANDARD.decode(str_of(input, "file_base64")).expect("file_base64");
    let basename = filename.rsplit('/').next().unwrap_or_default();

    // The file name and custom meta, by this SDK's rules.
    if basename.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        let err = media_for(input, str_of(output, "boundary")).expect_err(id);
        assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::Media), "{id}: {err}");
        return vec!["filename-refused"];
    }
    if let Some(json) = input.get("set_meta_json").and_then(Value::as_str) {
        let sha256 = str_of(input, "file_sha256");
        let acceptable = match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => {
                map.get("sha256").and_then(Value::as_str).is_none_or(|s| s.eq_ignore_ascii_case(sha256))
            }
            _ => false,
        };
        if !acceptable {
            let err = media_for(input, str_of(output, "boundary")).expect_err(id);
            assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::Media), "{id}: {err}");
            return vec!["meta-refused"];
        }
        // A custom meta given as a JSON value encodes to the same bytes PHP was handed as text.
        let value: Value = serde_json::from_str(json).expect("meta JSON");
        let media = Media::from_bytes(filename, file.clone()).expect("media").meta(value).expect("meta value");
        assert_eq!(media.meta_bytes().as_ref(), json.as_bytes(), "{id}: meta from a value");
    }

    let media = media_for(input, str_of(output, "boundary")).unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(media.meta_bytes().as_ref(), str_of(output, "meta_json").as_bytes(), "{id}: meta JSON");
    let path = template(input);
    let method = str_of(input, "method");
    let prepared = client.chain(&path).prepare(method.parse().expect("method"), Options::new().media(media.clone()));
    if let Some(why) = upload_refusal(method, &path, basename, file.len()) {
        let err = prepared.expect_err(id);
        assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::Media), "{id} ({why}): {err}");
        // Where the file itself is acceptable, its bytes on a general upload endpoint are PHP's.
        let general = "v3/marketing/favor/media/image-upload";
        if upload_refusal("POST", general, basename, file.len()).is_none() {
            let elsewhere = client
                .chain(general)
                .prepare(Method::POST, Options::new().media(media))
                .expect("general upload endpoint");
            check_request(id, client, &elsewhere, output, target);
        }
        return vec!["upload-refused"];
    }
    let prepared = prepared.unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(prepared.url().to_string(), str_of(request, "url"), "{id}: url");
    assert_eq!(prepared.request_target(), target, "{id}");
    check_request(id, client, &prepared, output, target);
    Vec::new()
}

#[test]
fn media_vectors() {
    let client = vector_builder().build().expect("client");
    decide_every_case(FILE, &KINDS, |case| check(&client, case));
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
