//! `aesgcm.json`: AEAD_AES_256_GCM resource decryption, every case. A case decrypts to PHP's plaintext,
//! fails where PHP failed, or falls under a deviation derived from its own input (never its id):
//!
//! | deviation | derived from | asserted here |
//! | --- | --- | --- |
//! | `key-length` | an APIv3 key that is not 32 bytes (PHP's OpenSSL zero-pads it) | `AeadError::KeyLength` with that length |
//! | `truncated-tag` | input that decodes to fewer than 16 bytes (PHP takes it as a truncated tag) | `AeadError::TooShort` with that length |
//! | `strict-base64` | input with characters outside the base64 alphabet (PHP's decoder skips them) | `AeadError::Base64` |
//!
//! Failures say what went wrong, derived the same way: input that is not base64 (standard alphabet,
//! whitespace skipped as PHP does) is `Base64`; anything else that does not open is `Authentication`.
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common::rules::{decide_every_case, vector_cases};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use wechatpay_chain::crypto::{AeadError, ApiV3Key, aead};

const FILE: &str = "aesgcm.json";
const KINDS: [&str; 3] = ["decrypt-ok", "decrypt-fail", "decrypt-quirk"];

fn text<'a>(input: &'a Value, key: &str) -> &'a str {
    input[key].as_str().unwrap_or_else(|| panic!("`{key}` is a string"))
}

fn open(input: &Value) -> Result<Vec<u8>, AeadError> {
    let key = ApiV3Key::new(text(input, "key"))?;
    aead::decrypt(
        &key,
        text(input, "nonce").as_bytes(),
        text(input, "associated_data").as_bytes(),
        text(input, "ciphertext"),
    )
}

/// The ciphertext decoded the way this SDK documents: standard base64, whitespace skipped.
fn decoded(ciphertext: &str) -> Option<Vec<u8>> {
    let compact: String = ciphertext.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

fn php_plaintext(output: &Value) -> Option<Vec<u8>> {
    match (output["plaintext"].as_str(), output["plaintext_base64"].as_str()) {
        (Some(text), _) => Some(text.as_bytes().to_vec()),
        (None, Some(b64)) => Some(STANDARD.decode(b64).expect("plaintext_base64")),
        (None, None) => {
            assert!(output["error"].is_object(), "no plaintext and no error");
            None
        }
    }
}

/// Checks one case; returns its deviations.
fn check(case: &Value) -> Vec<&'static str> {
    let id = case["id"].as_str().expect("id");
    let (input, output) = (&case["input"], &case["output"]);
    let php = php_plaintext(output);
    let got = open(input);

    // The notification envelope, when given, carries the same resource.
    if let Some(resource) = input.get("notification").map(|n| &n["resource"]) {
        assert_eq!(resource["algorithm"], "AEAD_AES_256_GCM", "{id}");
        for (field, top) in [("ciphertext", "ciphertext"), ("nonce", "nonce"), ("associated_data", "associated_data")] {
            assert_eq!(resource[field], input[top], "{id}: resource.{field}");
        }
    }

    let key_length = text(input, "key").len();
    if key_length != 32 {
        assert_eq!(got, Err(AeadError::KeyLength { length: key_length }), "{id}");
        return vec!["key-length"];
    }
    let bytes = decoded(text(input, "ciphertext"));
    match bytes {
        Some(b) if b.len() < 16 => {
            assert_eq!(got, Err(AeadError::TooShort { length: b.len() }), "{id}");
            if php.is_some() { vec!["truncated-tag"] } else { Vec::new() }
        }
        None => {
            assert!(matches!(got, Err(AeadError::Base64(_))), "{id}: {got:?}");
            if php.is_some() { vec!["strict-base64"] } else { Vec::new() }
        }
        Some(_) => {
            match php {
                Some(plaintext) => assert_eq!(got.as_deref(), Ok(plaintext.as_slice()), "{id}"),
                None => assert_eq!(got, Err(AeadError::Authentication), "{id}"),
            }
            Vec::new()
        }
    }
}

#[test]
fn every_case() {
    decide_every_case(FILE, &KINDS, check);
}

/// Every plaintext this SDK decrypts seals back to the same bytes with the same key, nonce and AAD.
#[test]
fn round_trips_with_the_vector_key() {
    for case in vector_cases(FILE) {
        let input = &case["input"];
        let Ok(plaintext) = open(input) else { continue };
        let key = ApiV3Key::new(text(input, "key")).expect("key");
        let sealed =
            aead::encrypt(&key, text(input, "nonce").as_bytes(), text(input, "associated_data").as_bytes(), &plaintext)
                .expect("encrypt");
        assert_eq!(STANDARD.decode(sealed).ok(), decoded(text(input, "ciphertext")), "{}", case["id"]);
    }
}
