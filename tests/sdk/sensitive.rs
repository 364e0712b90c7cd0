//! Sensitive fields end to end against the sandbox: encryption under the key named in `Wechatpay-Serial`
//! (`v3/profitsharing/receivers/add`), the conflict check, and decryption of `ASK_REAL_NAME` answers.

use std::sync::Arc;

use serde_json::{Value, json};
use wechatpay_chain::auth::Signer;
use wechatpay_chain::crypto::{OaepError, PrivateKey};
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::{Client, Error, Options, SensitiveEncryptor, Sent};
use wechatpay_sandbox::{Sandbox, SignMode};

const RECEIVERS: &str = "v3/profitsharing/receivers/add";

fn receiver(name_ciphertext: &str) -> Value {
    json!({
        "appid": "wx8888888888888888",
        "type": "MERCHANT_ID",
        "account": "86693852",
        "name": name_ciphertext,
        "relation_type": "SERVICE_PROVIDER",
    })
}

fn input_kind(e: &Error) -> Option<InputErrorKind> {
    match e {
        Error::Input(i) => Some(i.kind()),
        _ => None,
    }
}

#[test]
fn encryptor_and_header_agree() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let enc = client.sensitive_encryptor().unwrap();
    // The preferred key: the WeChat Pay public key.
    assert_eq!(enc.key_id(), sandbox.keys().public_key_id());
    assert_eq!(format!("{enc:?}"), format!("SensitiveEncryptor {{ key_id: {:?}, .. }}", enc.key_id()));

    let body = receiver(&enc.encrypt("海南某某有限公司").unwrap());
    // The generated chain, as in README-sensitive.md.
    let res = client.v3().profitsharing().receivers().add().post(Options::new().json(&body).encrypted_with(&enc));
    let res = res.unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().unwrap();
    assert_eq!(answer, json!({"type": "MERCHANT_ID", "account": "86693852", "relation_type": "SERVICE_PROVIDER"}));
    let logged = sandbox.requests().pop().unwrap();
    assert_eq!(logged.header("wechatpay-serial"), Some(enc.key_id()));

    // The same value also given explicitly is not a conflict; nor are several fields of one encryptor.
    let mut body = receiver(&enc.encrypt("张三").unwrap());
    body["type"] = json!("PERSONAL_OPENID");
    body["account"] = json!("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    let options = Options::new().header("Wechatpay-Serial", enc.key_id()).json(&body).encrypted_with(&enc);
    assert_eq!(client.chain(RECEIVERS).post(options).unwrap().status(), 200);
}

#[test]
fn platform_certificate_key_works_too() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Mixed).start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let serial = sandbox.keys().platform_serial().to_owned();
    let enc = SensitiveEncryptor::new(serial.clone(), client.keys().get(&serial).unwrap());
    let body = receiver(&enc.encrypt("张三").unwrap());
    let res = client.chain(RECEIVERS).post(Options::new().json(&body).encrypted_with(&enc)).unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(sandbox.requests().pop().unwrap().header("wechatpay-serial"), Some(serial.as_str()));
}

#[test]
fn conflicting_serial_is_refused_before_sending() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let enc = client.sensitive_encryptor().unwrap();
    let other = sandbox.keys().platform_serial().to_owned();
    let body = receiver(&enc.encrypt("张三").unwrap());

    // Header before or after `encrypted_with`, typed or from PHP-shaped options.
    let attempts = [
        Options::new().json(&body).encrypted_with(&enc).header("Wechatpay-Serial", &other),
        Options::new().header("wechatpay-serial", &other).json(&body).encrypted_with(&enc),
        Options::from(json!({"json": body, "headers": {"Wechatpay-Serial": other}})).encrypted_with(&enc),
    ];
    for options in attempts {
        let err = client.chain(RECEIVERS).post(options).unwrap_err();
        assert_eq!(input_kind(&err), Some(InputErrorKind::ConflictingOptions), "{err}");
        assert_eq!(err.sent(), Sent::No);
        let text = err.to_string();
        assert!(text.contains(&other) && text.contains(enc.key_id()), "{text}");
    }

    // Two encryptors with different keys in one request.
    let platform = SensitiveEncryptor::new(other.clone(), client.keys().get(&other).unwrap());
    let options = Options::new().json(&body).encrypted_with(&enc).encrypted_with(&platform);
    let err = client.chain(RECEIVERS).post(options).unwrap_err();
    assert_eq!(input_kind(&err), Some(InputErrorKind::ConflictingOptions), "{err}");
    assert!(sandbox.requests().is_empty(), "nothing may reach the sandbox");
}

#[test]
fn raw_header_mismatch_fails_at_wechat_pay() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let enc = client.sensitive_encryptor().unwrap();
    let other = sandbox.keys().platform_serial().to_owned();
    // Without `encrypted_with` nothing ties the header to the ciphertext: WeChat Pay refuses it.
    let options = Options::new().json(&receiver(&enc.encrypt("张三").unwrap())).header("Wechatpay-Serial", &other);
    let err = client.chain(RECEIVERS).post(options).unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(api.status(), 400);
    assert_eq!(api.code(), Some("PARAM_ERROR"));
    assert!(api.message().unwrap().starts_with("敏感信息解密失败"), "{:?}", api.message());
    // And without any Wechatpay-Serial the client names its preferred key, which decrypts.
    let res = client.chain(RECEIVERS).post(Options::new().json(&receiver(&enc.encrypt("张三").unwrap()))).unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn real_name_answer_decrypts() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let res = client
        .chain("v3/facemch/users/{face_sid}")
        .get(json!({
            "face_sid": "aabbccdd12345",
            "query": {"info_type": "ASK_REAL_NAME", "appid": "wx2b029c08a6233333"},
        }))
        .unwrap();
    let info = &res.json().unwrap()["real_name_info"];
    let name = client.decrypt_sensitive(info["encrypted_real_name"].as_str().unwrap()).unwrap();
    let number = client.decrypt_sensitive(info["encrypted_credential_id"].as_str().unwrap()).unwrap();
    assert!(["张三", "李四", "王五", "赵六", "陈小明", "刘晓红"].contains(&name.expose()));
    assert_eq!(number.len(), 18);
    assert!(number.expose().starts_with("110101"));
    for shown in [format!("{name:?}"), format!("{number:?}"), name.to_string(), format!("{number}")] {
        assert!(shown.contains("<redacted,"), "{shown}");
        assert!(!shown.contains(name.expose()) && !shown.contains(number.expose()), "{shown}");
    }
    assert_eq!(format!("{number:?}"), "Sensitive(<redacted, 18 bytes>)");
    assert_eq!(number.clone().into_inner(), number.expose());

    // A field encrypted for another key, or not OAEP at all, is a sensitive-field error that says why;
    // nothing was sent.
    let foreign = client.sensitive_encryptor().unwrap().encrypt("张三").unwrap();
    let err = client.decrypt_sensitive(&foreign).unwrap_err();
    assert_eq!(err, OaepError::Decryption, "{err:?}");
    assert!(err.to_string().contains("OAEP (SHA-1"), "{err}");
    // With `?` it becomes the crate's error, which says nothing was sent.
    let converted = Error::from(err);
    assert!(matches!(converted, Error::Sensitive(_)), "{converted:?}");
    assert_eq!(converted.sent(), wechatpay_chain::Sent::No);
    assert_eq!(client.decrypt_sensitive("%%%"), Err(OaepError::Base64));
}

struct Remote(PrivateKey);

impl Signer for Remote {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        self.0.sign_sha256(message).map_err(Into::into)
    }
}

#[test]
fn custom_signer_cannot_decrypt() {
    let sandbox = Sandbox::start().unwrap();
    let keys = sandbox.keys();
    let private = PrivateKey::load(keys.merchant_private_key_pem()).unwrap();
    let ciphertext = private.public_key().encrypt_oaep("张三").unwrap();
    let client = Client::builder()
        .mchid(keys.mchid())
        .serial(keys.merchant_serial())
        .signer(Arc::new(Remote(private)))
        .public_key(keys.public_key_id(), keys.public_key_pem())
        .base_uri(sandbox.base_uri())
        .build()
        .unwrap();
    let err = client.decrypt_sensitive(&ciphertext).unwrap_err();
    assert!(matches!(&err, OaepError::Key(_)), "{err:?}");
    assert!(err.to_string().contains("custom Signer"), "{err}");
    // Encrypting needs no private key.
    assert!(client.sensitive_encryptor().unwrap().encrypt("张三").is_ok());
}

#[test]
fn no_key_and_too_long() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let enc = client.sensitive_encryptor().unwrap();
    let err = enc.encrypt(&"长".repeat(72)).unwrap_err(); // 216 bytes of UTF-8
    assert_eq!(input_kind(&err), Some(InputErrorKind::InvalidOption), "{err}");
    assert!(err.to_string().contains("at most 214 bytes"), "{err}");
    assert!(enc.encrypt(&"a".repeat(214)).is_ok());

    for id in client.keys().ids() {
        client.keys().remove(&id);
    }
    let err = client.sensitive_encryptor().unwrap_err();
    match &err {
        Error::Config(c) => assert_eq!(c.setting(), "certs"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(".public_key(\"PUB_KEY_ID_"), "{err}");
}
