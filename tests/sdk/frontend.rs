//! Front-end payment parameters: JSAPI/mini-program `paySign` and APP `sign`, their JSON shape, and the
//! signatures against the vector merchant key (PKCS#1 v1.5 is deterministic).

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use wechatpay_chain::crypto::{PrivateKey, PublicKey};
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::frontend::pay_sign_message;
use wechatpay_chain::{Error, JsapiPayParams};

const APPID: &str = "wx8888888888888888";
const PREPAY_ID: &str = "wx201410272009395522657a690389285100";
const NONCE: &str = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";

fn merchant_public() -> PublicKey {
    PublicKey::load(&key_uri("merchant_public_key.pem")).unwrap()
}

fn independent_signature(message: &str) -> String {
    let key = PrivateKey::load(&key_uri("merchant_apiclient_key.pem")).unwrap();
    STANDARD.encode(key.sign_sha256(message.as_bytes()).unwrap())
}

#[test]
fn jsapi_parameters() {
    let client = vector_builder().build().unwrap();
    let p = client.jsapi_pay_params_at(APPID, PREPAY_ID, 1414561699, NONCE).unwrap();
    let message = format!("{APPID}\n1414561699\n{NONCE}\nprepay_id={PREPAY_ID}\n");
    assert_eq!(p.pay_sign, independent_signature(&message));
    assert!(merchant_public().verify_sha256(message.as_bytes(), &STANDARD.decode(&p.pay_sign).unwrap()));
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({
            "appId": APPID,
            "timeStamp": "1414561699",
            "nonceStr": NONCE,
            "package": format!("prepay_id={PREPAY_ID}"),
            "signType": "RSA",
            "paySign": p.pay_sign,
        })
    );
    // The key order is the documented one, too.
    let text = serde_json::to_string(&p).unwrap();
    let order: Vec<usize> = ["appId", "timeStamp", "nonceStr", "package", "signType", "paySign"]
        .iter()
        .map(|k| text.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    // `prepay_id=…` is accepted as given, and the struct round-trips.
    let same = client.jsapi_pay_params_at(APPID, &format!("prepay_id={PREPAY_ID}"), 1414561699, NONCE).unwrap();
    assert_eq!(same, p);
    assert_eq!(serde_json::from_str::<JsapiPayParams>(&text).unwrap(), p);
}

#[test]
fn app_parameters() {
    let client = vector_builder().build().unwrap();
    let p = client.app_pay_params_at(APPID, PREPAY_ID, 1414561699, NONCE).unwrap();
    let message = format!("{APPID}\n1414561699\n{NONCE}\n{PREPAY_ID}\n");
    assert_eq!(p.sign, independent_signature(&message));
    assert!(merchant_public().verify_sha256(message.as_bytes(), &STANDARD.decode(&p.sign).unwrap()));
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({
            "appid": APPID,
            "partnerid": MCHID,
            "prepayid": PREPAY_ID,
            "package": "Sign=WXPay",
            "noncestr": NONCE,
            "timestamp": "1414561699",
            "sign": p.sign,
        })
    );
}

#[test]
fn fresh_parameters_use_clock_and_nonce() {
    let client = vector_builder().clock(|| 1795562040_i64).build().unwrap();
    let a = client.jsapi_pay_params(APPID, PREPAY_ID).unwrap();
    let b = client.jsapi_pay_params(APPID, PREPAY_ID).unwrap();
    assert_eq!(a.time_stamp, "1795562040");
    assert_eq!(a.nonce_str.len(), 32);
    assert_ne!(a.nonce_str, b.nonce_str);
    let message = pay_sign_message(&[&a.app_id, &a.time_stamp, &a.nonce_str, &a.package]);
    assert!(merchant_public().verify_sha256(&message, &STANDARD.decode(&a.pay_sign).unwrap()));
    let app = client.app_pay_params(APPID, PREPAY_ID).unwrap();
    let message = pay_sign_message(&[&app.appid, &app.timestamp, &app.noncestr, &app.prepayid]);
    assert!(merchant_public().verify_sha256(&message, &STANDARD.decode(&app.sign).unwrap()));
}

#[test]
fn line_breaks_are_refused() {
    let client = vector_builder().build().unwrap();
    for (appid, prepay, nonce) in [("wx1\n2", PREPAY_ID, NONCE), (APPID, "", NONCE), (APPID, PREPAY_ID, "a\nb")] {
        for result in [
            client.jsapi_pay_params_at(appid, prepay, 1, nonce).map(|_| ()),
            client.app_pay_params_at(appid, prepay, 1, nonce).map(|_| ()),
        ] {
            match result {
                Err(Error::Input(e)) => assert_eq!(e.kind(), InputErrorKind::InvalidOption),
                other => panic!("{other:?}"),
            }
        }
    }
}
