//! Front-end payment parameters (调起支付签名): what a web page, mini-program or app needs to open the
//! WeChat Pay cashier for a `prepay_id`, signed with the merchant key (RSA-SHA256, base64).
//!
//! | front end | signed message | struct |
//! | --- | --- | --- |
//! | JSAPI (`WeixinJSBridge`/`wx.chooseWXPay`), mini-program (`wx.requestPayment`) | `appId\ntimeStamp\nnonceStr\npackage\n` | [`JsapiPayParams`] |
//! | APP (OpenSDK `PayReq`) | `appid\ntimestamp\nnoncestr\nprepayid\n` | [`AppPayParams`] |
//!
//! Both serialize (serde) with exactly the field names the front end takes; timestamps are strings.
//!
//! ```
//! use wechatpay_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let params = client.jsapi_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100")?;
//! let json = serde_json::to_value(&params).unwrap();
//! assert_eq!(json["package"], "prepay_id=wx201410272009395522657a690389285100");
//! assert_eq!(json["signType"], "RSA");
//! assert!(json["paySign"].is_string() && json["timeStamp"].is_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Signer};
use crate::client::Client;
use crate::error::{Error, InputErrorKind};

/// Parameters for JSAPI (`WeixinJSBridge.invoke('getBrandWCPayRequest', …)`, `wx.chooseWXPay`) and
/// mini-program (`wx.requestPayment`) payment. Serializes as
/// `{"appId","timeStamp","nonceStr","package","signType","paySign"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsapiPayParams {
    /// The AppID the order was placed for.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// Unix seconds, as a string.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// A random string.
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=…`.
    pub package: String,
    /// Always `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// Base64 RSA-SHA256 signature of `appId\ntimeStamp\nnonceStr\npackage\n`.
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

/// Parameters for APP payment (the OpenSDK's `PayReq`). Serializes as
/// `{"appid","partnerid","prepayid","package","noncestr","timestamp","sign"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppPayParams {
    /// The mobile application's AppID.
    pub appid: String,
    /// The merchant id (商户号).
    pub partnerid: String,
    /// The `prepay_id` from the APP order.
    pub prepayid: String,
    /// Always `Sign=WXPay`.
    pub package: String,
    /// A random string.
    pub noncestr: String,
    /// Unix seconds, as a string.
    pub timestamp: String,
    /// Base64 RSA-SHA256 signature of `appid\ntimestamp\nnoncestr\nprepayid\n`.
    pub sign: String,
}

/// `piece\n` for each piece, the message both front-end signatures cover.
///
/// ```
/// let m = wechatpay_chain::frontend::pay_sign_message(&["wx1", "1414561699", "N", "prepay_id=p"]);
/// assert_eq!(m, b"wx1\n1414561699\nN\nprepay_id=p\n");
/// ```
pub fn pay_sign_message(pieces: &[&str]) -> Vec<u8> {
    let mut message = Vec::with_capacity(pieces.iter().map(|p| p.len() + 1).sum());
    for piece in pieces {
        message.extend_from_slice(piece.as_bytes());
        message.push(b'\n');
    }
    message
}

/// Refuses pieces that would change the signed message (a line feed) or that are empty.
fn check_piece(name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() || value.contains(['\n', '\r']) || value.trim() != value {
        return Err(Error::input(
            InputErrorKind::InvalidOption,
            format!(
                "`{name}` must be non-empty without line breaks or surrounding spaces, not `{}`",
                value.escape_debug()
            ),
        ));
    }
    Ok(())
}

fn sign(signer: &dyn Signer, pieces: &[&str]) -> Result<String, Error> {
    let signature = signer
        .sign(&pay_sign_message(pieces))
        .map_err(|e| crate::auth::SigningError::new("the signer failed", Some(e)))?;
    Ok(STANDARD.encode(signature))
}

impl Client {
    /// Signed JSAPI / mini-program payment parameters for `prepay_id` (from
    /// `v3/pay/transactions/jsapi`), with the current time and a fresh 32-character nonce. `prepay_id` may
    /// also be given as `prepay_id=…`. See the [module](crate::frontend) example.
    pub fn jsapi_pay_params(&self, appid: &str, prepay_id: &str) -> Result<JsapiPayParams, Error> {
        self.jsapi_pay_params_at(appid, prepay_id, self.now(), &auth::nonce()?)
    }

    /// [`jsapi_pay_params`](Client::jsapi_pay_params) with a given timestamp and nonce (for tests and
    /// for reproducing a signature).
    ///
    /// ```
    /// use wechatpay_chain::crypto::PublicKey;
    /// use wechatpay_chain::{Client, frontend};
    ///
    /// let client = Client::builder()
    ///     .mchid("1900000001")
    ///     .serial("1946DD7BDF37823B2192F1DB21574B1D465D9A21")
    ///     .private_key("file://tests/data/keys/merchant_apiclient_key.pem")
    ///     .cert("PUB_KEY_ID_0112345678202411240000000000000000", "file://tests/data/keys/wechatpay_public_key.pem")
    ///     .build()?;
    /// let p = client.jsapi_pay_params_at("wx8888888888888888", "wx2014", 1414561699, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS")?;
    /// assert_eq!(p.package, "prepay_id=wx2014");
    /// let merchant = PublicKey::load("file://tests/data/keys/merchant_public_key.pem").unwrap();
    /// let message = frontend::pay_sign_message(&[&p.app_id, &p.time_stamp, &p.nonce_str, &p.package]);
    /// use base64::Engine;
    /// let signature = base64::engine::general_purpose::STANDARD.decode(&p.pay_sign).unwrap();
    /// assert!(merchant.verify_sha256(&message, &signature));
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn jsapi_pay_params_at(
        &self,
        appid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<JsapiPayParams, Error> {
        let prepay_id = prepay_id.strip_prefix("prepay_id=").unwrap_or(prepay_id);
        check_piece("appid", appid)?;
        check_piece("prepay_id", prepay_id)?;
        check_piece("nonce", nonce)?;
        let time_stamp = timestamp.to_string();
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = sign(self.signer_ref(), &[appid, &time_stamp, nonce, &package])?;
        Ok(JsapiPayParams {
            app_id: appid.to_owned(),
            time_stamp,
            nonce_str: nonce.to_owned(),
            package,
            sign_type: "RSA".to_owned(),
            pay_sign,
        })
    }

    /// Signed APP payment parameters for `prepay_id` (from `v3/pay/transactions/app`), with the current
    /// time and a fresh 32-character nonce; `partnerid` is this client's merchant id.
    pub fn app_pay_params(&self, appid: &str, prepay_id: &str) -> Result<AppPayParams, Error> {
        self.app_pay_params_at(appid, prepay_id, self.now(), &auth::nonce()?)
    }

    /// [`app_pay_params`](Client::app_pay_params) with a given timestamp and nonce.
    pub fn app_pay_params_at(
        &self,
        appid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<AppPayParams, Error> {
        check_piece("appid", appid)?;
        check_piece("prepay_id", prepay_id)?;
        check_piece("nonce", nonce)?;
        let timestamp = timestamp.to_string();
        let sign = sign(self.signer_ref(), &[appid, &timestamp, nonce, prepay_id])?;
        Ok(AppPayParams {
            appid: appid.to_owned(),
            partnerid: self.mchid().to_owned(),
            prepayid: prepay_id.to_owned(),
            package: "Sign=WXPay".to_owned(),
            noncestr: nonce.to_owned(),
            timestamp,
            sign,
        })
    }
}
