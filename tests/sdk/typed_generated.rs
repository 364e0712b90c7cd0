//! The generated typed layer (feature `typed-all`), endpoint by endpoint: the checks in
//! `tests/generated/typed/` are written by `wechatpay-codegen` from the schema catalog. For every
//! endpoint the request is built from the schema's example values twice (required fields only, then every
//! field) and must produce exactly the path, query, headers and JSON body the schema names (encrypted
//! fields decrypt to the example under the key `Wechatpay-Serial` names); its answer must parse from a JSON
//! made of the schema's examples, keep an unknown field, and serialize back to the same JSON (decrypted
//! fields instead decrypt to the example and refuse to serialize). This file holds the checks they call.

use crate::common;
#[path = "../generated/typed/mod.rs"]
mod generated;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wechatpay_chain::crypto::{PrivateKey, PublicKey};
use wechatpay_chain::http::Method;
use wechatpay_chain::request::PreparedRequest;
use wechatpay_chain::typed::{DownloadEndpoint, Endpoint, decrypt};
use wechatpay_chain::{Client, Media, SensitiveEncryptor};

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| common::vector_builder().build().expect("client"))
}

/// Decrypts what the client encrypted for WeChat Pay (the vector WeChat Pay public key).
fn wechatpay_decrypt(ciphertext: &str) -> String {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    let key = KEY.get_or_init(|| PrivateKey::load(&common::key_uri("wechatpay_pubkey_private_key.pem")).expect("key"));
    key.decrypt_oaep(ciphertext).expect("a ciphertext under the WeChat Pay public key").into_inner()
}

/// Encrypts `text` for the merchant, as WeChat Pay encrypts personal data in answers.
fn for_merchant(text: &str) -> String {
    static KEY: OnceLock<SensitiveEncryptor> = OnceLock::new();
    let encryptor = KEY.get_or_init(|| {
        SensitiveEncryptor::new("merchant", PublicKey::load(&common::key_uri("merchant_public_key.pem")).expect("key"))
    });
    encryptor.encrypt(text).expect("encrypt")
}

/// The file the generated upload checks send.
pub fn media(name: &str) -> Media {
    Media::from_bytes(name, vec![0xff, 0xd8, 0xff, 0xd9, 0x00, 0x01]).expect("media")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// The prepared request's path and query are the expected ones (decoded; encrypted query values decrypt
/// to the expected plain text), and so are the headers.
fn check_target(
    prepared: &PreparedRequest,
    path: &str,
    query: &[(&str, &str)],
    sealed_query: &[&str],
    headers: &[(&str, &str)],
) {
    let target = prepared.request_target();
    let (got_path, got_query) = target.split_once('?').unwrap_or((target, ""));
    assert_eq!(percent_decode(got_path), path, "{target}");
    let pairs: Vec<(String, String)> = got_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            let v = if sealed_query.contains(&k.as_str()) { wechatpay_decrypt(&v) } else { v };
            (k, v)
        })
        .collect();
    let expected: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    assert_eq!(pairs, expected, "{target}");
    for (name, value) in headers {
        assert_eq!(prepared.headers().get(*name).and_then(|v| v.to_str().ok()), Some(*value), "header {name}");
    }
}

/// Replaces the ciphertexts at `pointers` by their plain text.
fn open_at(value: &mut Value, pointers: &[&str]) {
    for pointer in pointers {
        let shown = value.to_string();
        let slot = value.pointer_mut(pointer).unwrap_or_else(|| panic!("no encrypted value at {pointer}: {shown}"));
        let ciphertext = slot.as_str().unwrap_or_else(|| panic!("{pointer} is not a string")).to_owned();
        assert_eq!(ciphertext.len(), 344, "{pointer}: RSA-2048 OAEP, base64");
        *slot = Value::String(wechatpay_decrypt(&ciphertext));
    }
}

fn sealed_serial(prepared: &PreparedRequest, sealed: bool) {
    if sealed {
        assert_eq!(
            prepared.headers().get("wechatpay-serial").and_then(|v| v.to_str().ok()),
            Some(common::PUB_KEY_ID),
            "the key of the encrypted fields is named"
        );
    }
}

/// A JSON request: target, headers and exactly the expected body.
#[allow(clippy::too_many_arguments)]
pub fn check_request<E: Endpoint>(
    request: E,
    path: &str,
    query: &[(&str, &str)],
    sealed_query: &[&str],
    headers: &[(&str, &str)],
    body: Option<&str>,
    sealed: &[&str],
) {
    let options = client().endpoint_options(&request).expect("options");
    let prepared = client().chain(E::PATH).prepare(E::METHOD, options).expect("prepare");
    assert_eq!(prepared.method(), E::METHOD);
    check_target(&prepared, path, query, sealed_query, headers);
    sealed_serial(&prepared, !sealed.is_empty() || !sealed_query.is_empty());
    match body {
        Some(expected) => {
            let mut got: Value = serde_json::from_slice(prepared.body()).expect("a JSON body");
            open_at(&mut got, sealed);
            let expected: Value = serde_json::from_str(expected).expect("expected JSON");
            assert_eq!(got, expected);
        }
        None => assert!(prepared.body().is_empty(), "no body"),
    }
}

/// A media upload: target, and the signed `meta` (the expected fields, then those taken from the file).
#[allow(clippy::too_many_arguments)]
pub fn check_upload<E: Endpoint>(
    request: E,
    path: &str,
    query: &[(&str, &str)],
    sealed_query: &[&str],
    headers: &[(&str, &str)],
    meta: &str,
    fills: &[&str],
    sealed: &[&str],
) {
    let options = client().endpoint_options(&request).expect("options");
    let prepared = client().chain(E::PATH).prepare(E::METHOD, options).expect("prepare");
    check_target(&prepared, path, query, sealed_query, headers);
    sealed_serial(&prepared, !sealed.is_empty());
    let content_type = prepared.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("multipart/form-data; boundary="), "{content_type}");
    let mut got: Value = serde_json::from_slice(prepared.signed_body()).expect("the meta is JSON");
    open_at(&mut got, sealed);
    let mut expected: Value = serde_json::from_str(meta).expect("expected meta");
    let file = media(if path.ends_with("video_upload") { "example.mp4" } else { "example.jpg" });
    for fill in fills {
        let text = if *fill == "filename" { file.filename() } else { file.sha256() };
        expected[*fill] = json!(text);
    }
    assert_eq!(got, expected);
}

/// A file download: `GET` and the target.
pub fn check_download<E: DownloadEndpoint>(
    request: E,
    path: &str,
    query: &[(&str, &str)],
    sealed_query: &[&str],
    headers: &[(&str, &str)],
) {
    let options = request.to_options().expect("options");
    let prepared = client().chain(E::PATH).prepare(Method::GET, options).expect("prepare");
    check_target(&prepared, path, query, sealed_query, headers);
}

/// A request whose multipart shape `Media` cannot produce is refused before anything is sent.
pub fn check_unsendable<E: Endpoint>(request: &E) {
    let err = client().endpoint_options(request).expect_err("refused");
    assert!(err.to_string().contains("cannot be sent yet"), "{err}");
}

/// The answer parses from the documented JSON, serializes back to it, and keeps a field it does not know.
pub fn check_answer<T: DeserializeOwned + Serialize + PartialEq + Debug>(json: &str) {
    let doc: Value = serde_json::from_str(json).expect("JSON");
    let parsed: T = serde_json::from_str(json).expect("the documented answer parses");
    assert_eq!(serde_json::to_value(&parsed).expect("serializes"), doc, "round trip");
    let mut newer = doc.clone();
    newer["a_field_wechat_pay_adds_later"] = json!({"nested": [1, "two"]});
    let parsed: T = serde_json::from_value(newer.clone()).expect("an unknown field parses");
    assert_eq!(serde_json::to_value(&parsed).expect("serializes"), newer, "the unknown field is kept");
    assert_eq!(serde_json::from_value::<T>(newer).expect("again"), parsed);
}

/// An answer with fields encrypted for the merchant: they decrypt to the example while parsing (with the
/// client), do not parse without it, and the decrypted answer does not serialize.
pub fn check_sealed_answer<T: DeserializeOwned + Serialize + Debug>(
    json: &str,
    sealed: &[(&str, &str)],
    read: impl Fn(&T) -> Vec<String>,
) {
    let mut doc: Value = serde_json::from_str(json).expect("JSON");
    for (pointer, plain) in sealed {
        *doc.pointer_mut(pointer).expect("pointer") = json!(for_merchant(plain));
    }
    let parsed: T = decrypt::from_value(client(), doc.clone()).expect("decrypts");
    let plains: Vec<String> = sealed.iter().map(|(_, p)| (*p).to_owned()).collect();
    assert_eq!(read(&parsed), plains);
    assert!(serde_json::from_value::<T>(doc).is_err(), "no key, no parse");
    let err = serde_json::to_value(&parsed).expect_err("decrypted fields do not serialize").to_string();
    assert!(err.contains("does not serialize"), "{err}");
}

#[test]
fn one_request_per_schema_endpoint() {
    let read = |path: &str| -> Value {
        let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path);
        serde_json::from_str(&text).expect("JSON")
    };
    let key = |v: &Value| (v["method"].as_str().unwrap_or("").to_owned(), v["path"].as_str().unwrap_or("").to_owned());
    let catalog: BTreeSet<(String, String)> =
        read("macros/data/endpoints.json").as_array().expect("rows").iter().map(key).collect();
    let schemas: BTreeSet<(String, String)> =
        read("codegen/data/schemas.json")["endpoints"].as_array().expect("rows").iter().map(key).collect();
    let expected: BTreeSet<(String, String)> = catalog.intersection(&schemas).cloned().collect();
    assert_eq!(expected.len(), 1018);
    let generated: BTreeSet<(String, String)> =
        generated::REQUESTS.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(generated.len(), generated::REQUESTS.len(), "one type per endpoint");
    assert_eq!(generated, expected);
    let names: BTreeSet<&str> = generated::REQUESTS.iter().map(|(_, _, n)| *n).collect();
    assert_eq!(names.len(), 1018, "distinct names");
}
