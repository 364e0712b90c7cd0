//! `rsa.json`: RSA-OAEP (SHA-1) encryption and decryption, SHA256withRSA signing and verification, key
//! loading and `pkcs1ToSpki`, every case. A case gives PHP's result, or falls under a deviation derived
//! from its own input (never its id):
//!
//! | deviation | derived from | asserted here |
//! | --- | --- | --- |
//! | `no-padding-parameter` | an `encrypt` with a `padding` other than OAEP (4); PHP refuses it | [`PublicKey::encrypt_oaep`] has no padding parameter: the same plaintext encrypts with OAEP and decrypts |
//! | `refused-at-load` | a `sign` whose private key file is a public key or certificate; PHP fails when signing | [`PrivateKey::load`] already refuses it, saying it is a public key |
//!
//! Failures of `decrypt` say what went wrong, derived from the ciphertext: not base64 → `Base64`, not
//! 256 bytes → `CiphertextLength`, else `Decryption` (whose text names OAEP with SHA-1). Error texts differ
//! from PHP's `UnexpectedValueException` messages (ours say what to use instead); accept/refuse is
//! compared. `verify` takes signature bytes: base64 with line breaks is decoded by the caller as PHP's
//! lenient `base64_decode` does (WeChat Pay's `Wechatpay-Signature` header cannot hold line breaks).
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common::rules::{Tally, known_kind, vector_cases, vector_doc};
use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use wechatpay_chain::crypto::{OaepError, PrivateKey, PublicKey, pkcs1_to_spki};

const FILE: &str = "rsa.json";
const KINDS: [&str; 6] = ["encrypt", "decrypt", "sign", "verify", "pkcs1-to-spki", "key-load"];

fn merchant_private() -> PrivateKey {
    PrivateKey::load(&key_uri("merchant_apiclient_key.pem")).unwrap()
}

/// The base64 body of a PEM file.
fn pem_body(file: &str) -> String {
    key_text(file).lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect()
}

/// The key string a case describes by file and form (the form's first word; the rest is a comment).
fn key_in_form(file: &str, form: &str) -> String {
    match form.split_whitespace().next().unwrap_or_default() {
        "private.pkcs8-protocol" => format!("private.pkcs8://{}", pem_body(file)),
        "private.pkcs1-protocol" => format!("private.pkcs1://{}", pem_body(file)),
        "public.spki-protocol" => format!("public.spki://{}", pem_body(file)),
        "public.pkcs1-protocol" => format!("public.pkcs1://{}", pem_body(file)),
        "pkcs8-pem" | "pkcs1-pem" | "spki-pem" | "certificate-pem" => key_text(file),
        other => panic!("unknown key form `{other}`: teach `key_in_form` how to write it"),
    }
}

/// Lenient base64, as PHP's `base64_decode`: line breaks and spaces are skipped.
fn lenient_base64(text: &str) -> Vec<u8> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).unwrap_or_default()
}

fn hex_sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the SubjectPublicKeyInfo DER of `key`, through our `pkcs1_to_spki`.
fn spki_sha256(key: &PublicKey) -> String {
    let spki = pkcs1_to_spki(&STANDARD.encode(key.rsa_public_key_der())).unwrap();
    hex_sha256(&STANDARD.decode(spki).unwrap())
}

fn message(input: &Value) -> Vec<u8> {
    match input["message_base64"].as_str() {
        Some(b64) => STANDARD.decode(b64).unwrap(),
        None => input["message"].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn encrypt_case(id: &str, input: &Value, output: &Value) -> Vec<&'static str> {
    if input.get("padding").is_some_and(|p| p != 4) {
        // There is no padding parameter (see the module comment): PHP refused, OAEP is all there is.
        assert!(output["error"].is_object(), "{id}");
        let key = PublicKey::load(input["public_key"].as_str().unwrap()).unwrap_or_else(|e| panic!("{id}: {e}"));
        let plaintext = input["plaintext"].as_str().unwrap();
        if plaintext.len() <= 214 {
            let ours = key.encrypt_oaep(plaintext).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(merchant_private().decrypt_oaep(&ours).unwrap().expose(), plaintext, "{id}");
        }
        return vec!["no-padding-parameter"];
    }
    let key = PublicKey::load(input["public_key"].as_str().unwrap()).unwrap_or_else(|e| panic!("{id}: {e}"));
    let plaintext = input["plaintext"].as_str().unwrap();
    let got = key.encrypt_oaep(plaintext);
    if output["error"].is_object() {
        match got {
            Err(OaepError::TooLong { length, max: 214, bits: 2048 }) => assert_eq!(length, plaintext.len(), "{id}"),
            other => panic!("{id}: expected TooLong, got {other:?}"),
        }
        return Vec::new();
    }
    let expected = output["decrypts_to"].as_str().unwrap();
    let ours = got.unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(STANDARD.decode(&ours).unwrap().len(), output["ciphertext_bytes"].as_u64().unwrap() as usize, "{id}");
    let private = merchant_private();
    assert_eq!(private.decrypt_oaep(&ours).unwrap().expose(), expected, "{id}: our ciphertext");
    // PHP's own ciphertext decrypts with our decryption too.
    let php = output["ciphertext"].as_str().unwrap();
    assert_eq!(private.decrypt_oaep(php).unwrap().expose(), expected, "{id}: PHP ciphertext");
    // Random each time.
    assert_ne!(key.encrypt_oaep(plaintext).unwrap(), ours, "{id}");
    Vec::new()
}

fn decrypt_case(id: &str, input: &Value, output: &Value) {
    let key = PrivateKey::load(&key_uri(input["private_key_file"].as_str().unwrap())).unwrap();
    let got = key.decrypt_oaep(input["ciphertext"].as_str().unwrap());
    match output["plaintext"].as_str() {
        Some(plain) => assert_eq!(got.unwrap_or_else(|e| panic!("{id}: {e}")).expose(), plain, "{id}"),
        None => {
            let err = got.expect_err(id);
            let ciphertext = input["ciphertext"].as_str().unwrap();
            let compact: String = ciphertext.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            match STANDARD.decode(compact) {
                Err(_) => assert_eq!(err, OaepError::Base64, "{id}"),
                Ok(bytes) if bytes.len() != 256 => {
                    assert_eq!(err, OaepError::CiphertextLength { length: bytes.len(), expected: 256 }, "{id}")
                }
                Ok(_) => {
                    assert_eq!(err, OaepError::Decryption, "{id}");
                    let text = err.to_string();
                    assert!(
                        text.contains("OAEP") && text.contains("SHA-1") && text.contains("PKCS#1 v1.5"),
                        "{id}: {text}"
                    );
                }
            }
        }
    }
}

fn sign_case(id: &str, input: &Value, output: &Value) -> Vec<&'static str> {
    let file = input["private_key_file"].as_str().unwrap();
    let text = key_in_form(file, input["private_key_form"].as_str().unwrap());
    let loaded = PrivateKey::load(&text);
    if file.contains("public") || file.contains("cert") {
        // PHP fails at signing; the key is refused at load here.
        assert!(output["error"].is_object(), "{id}");
        let err = loaded.expect_err(id);
        assert_eq!(err.kind(), wechatpay_chain::crypto::KeyErrorKind::WrongKind, "{id}: {err}");
        assert!(err.to_string().contains("not a private key"), "{id}: {err}");
        return vec!["refused-at-load"];
    }
    let Some(expected) = output["signature"].as_str() else {
        assert!(output["error"].is_object(), "{id}");
        assert!(loaded.is_err(), "{id}: PHP failed to sign with it, this SDK loaded it");
        return Vec::new();
    };
    let key = loaded.unwrap_or_else(|e| panic!("{id}: {e}"));
    let message = message(input);
    let signature = key.sign_sha256(&message).unwrap();
    assert_eq!(STANDARD.encode(&signature), expected, "{id}");
    let merchant = PublicKey::load(&key_uri("merchant_public_key.pem")).unwrap();
    assert_eq!(
        merchant.verify_sha256(&message, &signature),
        output["verifies_with_merchant_public_key"].as_bool().unwrap(),
        "{id}"
    );
    if let Some(pieces) = input["joined_by_line_feed"].as_array() {
        let pieces: Vec<&str> = pieces.iter().map(|p| p.as_str().unwrap()).collect();
        assert_eq!(wechatpay_chain::frontend::pay_sign_message(&pieces), message, "{id}");
        // The JSAPI shape (appId, timeStamp, nonceStr, package=prepay_id=…): the front-end helper
        // produces exactly this paySign.
        let jsapi = pieces.len() == 4 && pieces[1].parse::<i64>().is_ok();
        if let (true, Some(prepay_id)) = (jsapi, pieces.get(3).and_then(|p| p.strip_prefix("prepay_id="))) {
            let client = vector_builder().build().unwrap();
            let params =
                client.jsapi_pay_params_at(pieces[0], prepay_id, pieces[1].parse().unwrap(), pieces[2]).unwrap();
            assert_eq!(params.pay_sign, expected, "{id}");
            assert_eq!(params.package, pieces[3], "{id}");
        }
    }
    Vec::new()
}

fn verify_case(id: &str, input: &Value, output: &Value) {
    let text = key_in_form(input["public_key_file"].as_str().unwrap(), input["public_key_form"].as_str().unwrap());
    let key = PublicKey::load(&text).unwrap_or_else(|e| panic!("{id}: {e}"));
    let signature = lenient_base64(input["signature"].as_str().unwrap());
    let verified = key.verify_sha256(input["message"].as_str().unwrap().as_bytes(), &signature);
    assert_eq!(verified, output["verified"].as_bool().unwrap(), "{id}");
}

fn key_load_case(id: &str, input: &Value, output: &Value) {
    let thing = input["thing"].as_str().unwrap();
    let loaded = match input["type"].as_str().unwrap() {
        "public" => PublicKey::load(thing),
        _ => PrivateKey::load(thing).map(|k| k.public_key()),
    };
    if output["loaded"].as_bool().unwrap() {
        let key = loaded.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(spki_sha256(&key), output["public_key_spki_der_sha256"].as_str().unwrap(), "{id}");
    } else {
        assert!(loaded.is_err(), "{id}: loaded, PHP refused it");
    }
}

#[test]
fn every_case() {
    let cases = vector_cases(FILE);
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let (input, output) = (&case["input"], &case["output"]);
        let deviations = match known_kind(FILE, case, &KINDS) {
            "encrypt" => encrypt_case(id, input, output),
            "decrypt" => {
                decrypt_case(id, input, output);
                Vec::new()
            }
            "sign" => sign_case(id, input, output),
            "verify" => {
                verify_case(id, input, output);
                Vec::new()
            }
            "pkcs1-to-spki" => {
                let got = pkcs1_to_spki(input["pkcs1_base64"].as_str().unwrap());
                match output["spki_base64"].as_str() {
                    Some(expected) => assert_eq!(got.as_deref(), Ok(expected), "{id}"),
                    None => assert!(got.is_err() && output["error"].is_object(), "{id}: {got:?}"),
                }
                Vec::new()
            }
            "key-load" => {
                key_load_case(id, input, output);
                Vec::new()
            }
            other => unreachable!("{other}: checked by known_kind"),
        };
        tally.record(id, &deviations);
    }
    tally.finish();
}

#[test]
fn merchant_spki_digest() {
    let doc = vector_doc(FILE);
    let expected = doc["merchant_public_key_spki_der_sha256"].as_str().unwrap();
    assert_eq!(spki_sha256(&merchant_private().public_key()), expected);
    assert_eq!(hex_sha256(&STANDARD.decode(pem_body("merchant_public_key.pem")).unwrap()), expected);
}

/// The equivalent of PHP's non-OAEP padding refusal: a PKCS#1 v1.5 ciphertext is refused on decryption.
/// (The PKCS#1 v1.5 ciphertext is made with RustCrypto `rsa`, a dev-dependency.)
#[test]
fn pkcs1_v15_ciphertext_is_refused() {
    use rsa::pkcs8::DecodePublicKey;
    let public = rsa::PublicKey::from_public_key_pem(&key_text("merchant_public_key.pem")).unwrap();
    let ciphertext = public.encrypt(&mut getrandom::SysRng, rsa::Pkcs1v15Encrypt, "张三".as_bytes()).unwrap();
    let err = merchant_private().decrypt_oaep(&STANDARD.encode(ciphertext)).unwrap_err();
    assert_eq!(err, OaepError::Decryption);
    assert!(err.to_string().contains("PKCS#1 v1.5 or OAEP-SHA256"), "{err}");
}

#[test]
fn malformed_ciphertexts() {
    let key = merchant_private();
    assert_eq!(key.decrypt_oaep("not base64!").unwrap_err(), OaepError::Base64);
    assert_eq!(key.decrypt_oaep("AAAA").unwrap_err(), OaepError::CiphertextLength { length: 3, expected: 256 });
    // Line breaks in the base64 are ignored.
    let ciphertext = key.public_key().encrypt_oaep("13800138000").unwrap();
    let wrapped = format!("{}\r\n{}", &ciphertext[..100], &ciphertext[100..]);
    assert_eq!(key.decrypt_oaep(&wrapped).unwrap().expose(), "13800138000");
}
