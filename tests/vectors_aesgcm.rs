//! `aesgcm.json`: AEAD_AES_256_GCM resource decryption, every case. Two PHP quirks are refused on
//! purpose (see `crypto::aead`): a truncated tag and a 16-byte key. Base64 with line breaks is
//! accepted, as in PHP.

mod common;

use common::*;
use serde_json::Value;
use wechatpay_chain::crypto::{AeadError, ApiV3Key, aead};

enum Expect {
    Plaintext(Vec<u8>),
    Fails,
    /// A PHP quirk this SDK refuses, with the error it gives instead.
    Refused(fn(&AeadError) -> bool),
}

fn expectation(case: &Value) -> Expect {
    match case["id"].as_str().unwrap_or_default() {
        // PHP takes inputs shorter than 16 bytes as a truncated tag; a short tag weakens authentication.
        "empty-plaintext-tag-truncated-to-12" => return Expect::Refused(|e| matches!(e, AeadError::TooShort { .. })),
        // PHP's OpenSSL zero-pads a 16-byte key; an APIv3 key is always 32 characters.
        "key-16-bytes" => return Expect::Refused(|e| matches!(e, AeadError::KeyLength { length: 16 })),
        _ => {}
    }
    let output = &case["output"];
    if let Some(text) = output["plaintext"].as_str() {
        Expect::Plaintext(text.as_bytes().to_vec())
    } else if let Some(b64) = output["plaintext_base64"].as_str() {
        use base64::Engine;
        Expect::Plaintext(base64::engine::general_purpose::STANDARD.decode(b64).unwrap())
    } else {
        assert!(output["error"].is_object(), "{}: no expected output", case["id"]);
        Expect::Fails
    }
}

fn open(input: &Value) -> Result<Vec<u8>, AeadError> {
    let key = ApiV3Key::new(input["key"].as_str().unwrap())?;
    aead::decrypt(
        &key,
        input["nonce"].as_str().unwrap().as_bytes(),
        input["associated_data"].as_str().unwrap().as_bytes(),
        input["ciphertext"].as_str().unwrap(),
    )
}

#[test]
fn every_case() {
    let cases = cases("aesgcm.json");
    assert!(cases.len() >= 21);
    let mut refused = 0;
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let got = open(&case["input"]);
        match expectation(case) {
            Expect::Plaintext(expected) => assert_eq!(got.as_deref(), Ok(expected.as_slice()), "{id}"),
            Expect::Fails => assert!(got.is_err(), "{id}: decrypted but PHP refused it"),
            Expect::Refused(check) => {
                refused += 1;
                let error = got.expect_err(id);
                assert!(check(&error), "{id}: {error:?}");
            }
        }
    }
    assert_eq!(refused, 2);
}

#[test]
fn failures_say_what_went_wrong() {
    for case in cases("aesgcm.json") {
        let id = case["id"].as_str().unwrap();
        let expected = match id {
            "tampered-tag-last-byte" | "wrong-associated-data" | "wrong-nonce" | "wrong-key" => {
                AeadError::Authentication
            }
            "ciphertext-empty" => AeadError::TooShort { length: 0 },
            _ => continue,
        };
        assert_eq!(open(&case["input"]), Err(expected), "{id}");
    }
    let url_safe = cases("aesgcm.json").into_iter().find(|c| c["id"] == "base64-url-safe-alphabet").unwrap();
    assert!(matches!(open(&url_safe["input"]), Err(AeadError::Base64(_))));
}

#[test]
fn round_trips_with_the_vector_key() {
    for case in cases("aesgcm.json") {
        let Expect::Plaintext(plaintext) = expectation(&case) else { continue };
        let input = &case["input"];
        let key = ApiV3Key::new(input["key"].as_str().unwrap()).unwrap();
        let nonce = input["nonce"].as_str().unwrap().as_bytes();
        let aad = input["associated_data"].as_str().unwrap().as_bytes();
        let sealed = aead::encrypt(&key, nonce, aad, &plaintext).unwrap();
        let compact: String = input["ciphertext"].as_str().unwrap().split_whitespace().collect();
        assert_eq!(sealed, compact, "{}", case["id"]);
    }
}
