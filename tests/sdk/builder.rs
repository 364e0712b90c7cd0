//! `ClientBuilder::build`: every accepted key form, and every refusal with a message that says what to
//! load instead.

use crate::common;

use std::sync::Arc;

use crate::common::*;
use base64::Engine;
use wechatpay_chain::auth::Signer;
use wechatpay_chain::{Client, ClientBuilder, Error};

fn config_error(result: Result<Client, Error>) -> (String, String) {
    match result {
        Err(Error::Config(e)) => {
            assert!(!Error::Config(e.clone()).may_have_been_sent());
            (e.setting().to_owned(), e.message().to_owned())
        }
        Err(other) => panic!("expected a configuration error, got {other}"),
        Ok(_) => panic!("expected a configuration error, the client was built"),
    }
}

fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

fn with_private_key(key: &str) -> ClientBuilder {
    Client::builder()
        .mchid(MCHID)
        .serial(MERCHANT_SERIAL)
        .private_key(key)
        .cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
}

fn with_cert(id: &str, key: &str) -> ClientBuilder {
    Client::builder()
        .mchid(MCHID)
        .serial(MERCHANT_SERIAL)
        .private_key(key_uri("merchant_apiclient_key.pem"))
        .cert(id, key)
}

#[test]
fn accepts_every_private_key_form() {
    let pkcs8 = key_text("merchant_apiclient_key.pem");
    let pkcs1 = key_text("merchant_apiclient_key_pkcs1.pem");
    let forms = [
        pkcs8.clone(),
        pkcs1.clone(),
        pkcs8.replace('\n', "\r\n"),
        key_uri("merchant_apiclient_key.pem"),
        key_uri("merchant_apiclient_key_pkcs1.pem"),
        format!("private.pkcs8://{}", pem_body(&pkcs8)),
        format!("private.pkcs1://{}", pem_body(&pkcs1)),
    ];
    for form in forms {
        let client = with_private_key(&form).build().unwrap_or_else(|e| panic!("{}: {e}", &form[..30.min(form.len())]));
        // Every form is the same key: the signature of a fixed message is identical.
        let prepared =
            client.chain("v3/certificates").prepare(wechatpay_chain::http::Method::GET, ()).expect("prepare");
        let header = client.authorization(&prepared, 1795562040, "ie6Ww8xzgiRtxZ1KgHOI28ygJwFLp1la").expect("sign");
        let expected = cases("sign.json").into_iter().find(|c| c["id"] == "default-host").expect("case")["output"]
            ["request"]["headers"]["Authorization"]
            .as_str()
            .expect("authorization")
            .to_owned();
        assert_eq!(header, expected);
    }
}

#[test]
fn accepts_every_public_key_form() {
    let spki = key_text("platform_public_key.pem");
    let forms = [
        (PLATFORM_SERIAL, key_text("platform_cert.pem")),
        (PLATFORM_SERIAL, key_uri("platform_cert.pem")),
        (PUB_KEY_ID, spki.clone()),
        (PUB_KEY_ID, spki.replace('\n', "\r\n")),
        (PUB_KEY_ID, key_uri("wechatpay_public_key.pem")),
        (PUB_KEY_ID, format!("public.spki://{}", pem_body(&spki))),
    ];
    for (id, form) in forms {
        let client = with_cert(id, &form).build().unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(client.keys().ids(), [id]);
    }
    // PKCS#1 public keys (`BEGIN RSA PUBLIC KEY` and `public.pkcs1://`); the vector set has the merchant's
    // only, so sign with a custom signer to keep the own-key guard out of the way.
    let pkcs1 = key_text("merchant_public_key_pkcs1.pem");
    for form in
        [pkcs1.clone(), format!("public.pkcs1://{}", pem_body(&pkcs1)), key_uri("merchant_public_key_pkcs1.pem")]
    {
        let client = Client::builder()
            .mchid(MCHID)
            .serial(MERCHANT_SERIAL)
            .signer(Arc::new(Refusing))
            .cert(PUB_KEY_ID, form)
            .build()
            .expect("pkcs1 public key");
        let key = client.keys().get(PUB_KEY_ID).expect("stored");
        let spki = wechatpay_chain::crypto::PublicKey::load(&key_uri("merchant_public_key.pem")).expect("spki");
        assert_eq!(key.rsa_public_key_der(), spki.rsa_public_key_der());
    }
}

struct Refusing;
impl Signer for Refusing {
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        Err("the HSM is offline".into())
    }
}

#[test]
fn refuses_missing_or_malformed_identity() {
    let b = || vector_builder();
    let (s, m) = config_error(
        Client::builder()
            .serial(MERCHANT_SERIAL)
            .private_key(key_uri("merchant_apiclient_key.pem"))
            .cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
            .build(),
    );
    assert_eq!(s, "mchid");
    assert!(m.contains("required"), "{m}");
    assert_eq!(config_error(b().mchid("").build()).0, "mchid");
    let (s, m) = config_error(b().mchid("1900000001\n").build());
    assert_eq!(s, "mchid");
    assert!(m.contains("whitespace"), "{m}");
    assert_eq!(config_error(b().serial("").build()).0, "serial");
    let (s, m) = config_error(b().serial(format!("{MERCHANT_SERIAL}\n")).build());
    assert_eq!(s, "serial");
    assert!(m.contains("trim"), "{m}");
    assert_eq!(config_error(b().serial("1946DD7B-DF37").build()).0, "serial");
}

#[test]
fn refuses_bad_private_keys_with_guidance() {
    let cases = [
        ("not a key at all", "expected PEM text"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "rejected"),
        ("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n", "base64"),
        ("file:///nonexistent/apiclient_key.pem", "cannot read"),
        ("private.pkcs8://@@@", "base64"),
    ];
    for (input, needle) in cases {
        let (s, m) = config_error(with_private_key(input).build());
        assert_eq!(s, "private_key");
        assert!(m.contains(needle), "{input}: {m}");
    }
    // A public key or certificate given as the private key says what to load instead.
    for input in [
        key_text("merchant_public_key.pem"),
        key_text("merchant_public_key_pkcs1.pem"),
        key_text("merchant_apiclient_cert.pem"),
        key_uri("platform_cert.pem"),
        format!("public.spki://{}", pem_body(&key_text("merchant_public_key.pem"))),
    ] {
        let (s, m) = config_error(with_private_key(&input).build());
        assert_eq!(s, "private_key");
        assert!(m.contains("not a private key") && m.contains("apiclient_key.pem"), "{m}");
    }
    // Encrypted keys: decrypt first.
    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let (_, m) = config_error(with_private_key(encrypted).build());
    assert!(m.contains("encrypted") && m.contains("openssl"), "{m}");
    // A bare path gets a hint.
    let path = common::data("keys/merchant_apiclient_key.pem").display().to_string();
    let (_, m) = config_error(with_private_key(&path).build());
    assert!(m.contains("did you mean `file://"), "{m}");
    // No key at all, or two signers.
    let (s, m) = config_error(
        Client::builder()
            .mchid(MCHID)
            .serial(MERCHANT_SERIAL)
            .cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
            .build(),
    );
    assert_eq!(s, "private_key");
    assert!(m.contains("required"), "{m}");
    let (_, m) = config_error(vector_builder().signer(Arc::new(Refusing)).build());
    assert!(m.contains("use one"), "{m}");
}

#[test]
fn refuses_bad_verification_keys_with_guidance() {
    // No WeChat Pay key at all.
    let (s, m) = config_error(
        Client::builder()
            .mchid(MCHID)
            .serial(MERCHANT_SERIAL)
            .private_key(key_uri("merchant_apiclient_key.pem"))
            .build(),
    );
    assert_eq!(s, "certs");
    assert!(m.contains("PUB_KEY_ID_") && m.contains("pub_key.pem"), "{m}");
    // The merchant's own serial among the certs (PHP refuses this too), in either case.
    for id in [MERCHANT_SERIAL.to_owned(), MERCHANT_SERIAL.to_ascii_lowercase()] {
        let (s, m) = config_error(with_cert(&id, &key_uri("platform_cert.pem")).build());
        assert_eq!(s, "certs");
        assert!(m.contains("merchant's own certificate serial") && m.contains("WeChat Pay public key"), "{m}");
    }
    // The merchant certificate under another id: same key as the private key.
    let (_, m) = config_error(with_cert(PUB_KEY_ID, &key_uri("merchant_apiclient_cert.pem")).build());
    assert!(m.contains("merchant's own public key"), "{m}");
    // A certificate under the wrong serial.
    let (_, m) = config_error(with_cert("ABCDEF", &key_uri("platform_cert.pem")).build());
    assert!(m.contains(PLATFORM_SERIAL), "{m}");
    // A private key given as a WeChat Pay key.
    let (_, m) = config_error(with_cert(PUB_KEY_ID, &key_uri("wechatpay_pubkey_private_key.pem")).build());
    assert!(m.contains("this is a private key"), "{m}");
    let (_, m) = config_error(with_cert(PUB_KEY_ID, "private.pkcs8://AAAA").build());
    assert!(m.contains("this is a private key"), "{m}");
    // Garbage, a bad id, a duplicate.
    assert_eq!(config_error(with_cert(PUB_KEY_ID, "junk").build()).0, "certs");
    assert_eq!(config_error(with_cert("", &key_uri("wechatpay_public_key.pem")).build()).0, "certs");
    assert_eq!(config_error(with_cert("PUB_KEY_ID_1 ", &key_uri("wechatpay_public_key.pem")).build()).0, "certs");
    let (_, m) = config_error(vector_builder().cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem")).build());
    assert!(m.contains("twice"), "{m}");
}

#[test]
fn refuses_bad_transport_settings() {
    for base in
        ["http://api.mch.weixin.qq.com/", "ftp://example.com/", "api.mch.weixin.qq.com", "https://u:p@example.com/"]
    {
        assert_eq!(config_error(vector_builder().base_uri(base).build()).0, "base_uri", "{base}");
    }
    assert_eq!(config_error(vector_builder().timeout(std::time::Duration::ZERO).build()).0, "timeout");
    assert_eq!(config_error(vector_builder().connect_timeout(std::time::Duration::ZERO).build()).0, "connect_timeout");
    assert_eq!(config_error(vector_builder().max_response_body(0).build()).0, "max_response_body");
    assert_eq!(config_error(vector_builder().user_agent_suffix("app/1\r\nX: y").build()).0, "user_agent_suffix");
    // Loopback http and a path prefix are fine; the prefix is kept as a directory.
    let client = vector_builder().base_uri("https://api.mch.weixin.qq.com/hk").build().expect("client");
    assert_eq!(client.base_uri_string(), "https://api.mch.weixin.qq.com/hk/");
    assert!(vector_builder().base_uri("http://127.0.0.1:9/").build().is_ok());
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let key = key_text("merchant_apiclient_key.pem");
    let builder = with_private_key(&key);
    let client = with_private_key(&key).build().expect("client");
    let secret_line = key.lines().nth(1).expect("a base64 line");
    for text in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{:?}", wechatpay_chain::crypto::PrivateKey::load(&key)),
    ] {
        assert!(!text.contains(secret_line), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
    }
    assert!(format!("{client:?}").contains(MCHID));
}

#[test]
fn the_signer_trait_is_pluggable() {
    // A custom signer producing ring-compatible signatures is used as is.
    struct Delegate(wechatpay_chain::auth::RsaSigner);
    impl Signer for Delegate {
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
            self.0.sign(message)
        }
    }
    let key = wechatpay_chain::crypto::PrivateKey::load(&key_uri("merchant_apiclient_key.pem")).expect("key");
    let client = Client::builder()
        .mchid(MCHID)
        .serial(MERCHANT_SERIAL)
        .signer(Arc::new(Delegate(wechatpay_chain::auth::RsaSigner::new(key))))
        .cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
        .build()
        .expect("client");
    let prepared = client.chain("v3/certificates").prepare(wechatpay_chain::http::Method::GET, ()).expect("prepare");
    let value = client.authorization(&prepared, 1795562040, "ie6Ww8xzgiRtxZ1KgHOI28ygJwFLp1la").expect("sign");
    assert!(value.ends_with(&format!(
        "signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(
            wechatpay_chain::crypto::PrivateKey::load(&key_uri("merchant_apiclient_key.pem"))
                .expect("key")
                .sign_sha256(&prepared.sign_message(1795562040, "ie6Ww8xzgiRtxZ1KgHOI28ygJwFLp1la"))
                .expect("sign")
        )
    )));
}
