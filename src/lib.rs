//! # wechatpay-chain
//!
//! A WeChat Pay (微信支付) APIv3 and APIv2 SDK that mirrors the declarative endpoint chain of the official PHP SDK
//! (wechatpay-php): every catalogued endpoint is a chain of generated methods, any endpoint is reachable
//! with a path template, every verb comes blocking and async, and responses are raw, verified bytes with
//! JSON helpers.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_sandbox::Sandbox;
//!
//! // A local WeChat Pay imitation with throwaway keys; use `Client::builder()` for the real API.
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//!
//! // $instance->v3->facemch->users->_face_sid_->get([...])
//! let res = client.v3().facemch().users().param("face_sid").get(json!({
//!     "face_sid": "aabbccdd12345",
//!     "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"},
//! }))?;
//! assert_eq!(res.status(), 200);
//! let value: serde_json::Value = res.json()?;
//! assert!(value["openid"].is_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pipeline, one module per step, each calling only the ones after it: [`chain`] (segments,
//! placeholders) → [`request`] (RFC 6570 expansion and options → one prepared request; the body is
//! serialized once) → the protocol (APIv3: sign those bytes into `Authorization`, verify the answer's
//! `Wechatpay-*` signature with one [`KeyStore`](auth::KeyStore); APIv2: a `sign` field, and the
//! answer's) → the transport (hyper, pooled, time-limited, with [`retry`] and failover to WeChat Pay's
//! backup domain) → [`Response`] or one [`Error`] that says whether the request may have been sent.
//! Every call is a `tracing` span, `wechatpay.request`, under the caller's span (see the README,
//! "Observability"). Beside them: [`auth`] (signer, verifier, keys, clock),
//! [`certificates`] (platform certificate downloads and refresh), [`crypto`], [`notify`], [`media`],
//! [`download`], [`v2`] (the APIv2 codec) and, with the `typed` feature, `typed`.
//!
//! APIv2 (XML) endpoints are chains under `v2/` ([`Client::v2`]); their fields go in the `xml` option,
//! the SDK adds `nonce_str` and `sign` and checks the answer's (see [`v2`] and [`request`]):
//!
//! ```
//! # use serde_json::json;
//! # let sandbox = wechatpay_sandbox::Sandbox::start()?;
//! # let client = sandbox.client_builder().build()?;
//! // $instance->v2->pay->micropay->post(['xml' => [...]])
//! let res = client.v2().pay().micropay().post(json!({"xml": {
//!     "appid": "wx2421b1c4370ec43b", "mch_id": sandbox.mchid(), "body": "QQ公仔",
//!     "out_trade_no": "1415757673", "total_fee": "888", "spbill_create_ip": "14.17.22.52",
//!     "auth_code": "120061098828009406",
//! }}))?;
//! assert_eq!(res.xml()?["result_code"], "SUCCESS");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// `#[derive(Endpoint)]` names `::wechatpay_chain::…`; this makes that path work inside the crate too.
#[cfg(feature = "typed")]
extern crate self as wechatpay_chain;

pub mod auth;
pub mod catalog;
pub mod certificates;
pub mod chain;
mod client;
pub mod crypto;
pub mod download;
pub mod error;
pub mod frontend;
pub mod media;
pub mod notify;
mod pipeline;
mod protocol;
pub mod request;
pub mod response;
pub mod retry;
pub mod sensitive;
mod transport;
#[cfg(feature = "typed")]
pub mod typed;
mod uri;
pub mod v2;

pub use auth::{Clock, SystemClock};
pub use chain::Chain;
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URI, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY, DEFAULT_TIMEOUT,
};
pub use error::{Error, Sent};
pub use frontend::{AppPayParams, JsapiPayParams};
pub use media::Media;
pub use request::{Options, PreparedRequest};
pub use response::{Response, Verification};
pub use retry::RetryPolicy;
pub use sensitive::SensitiveEncryptor;
pub use transport::ResponseFuture;

/// Re-exported so users can name `Method`, `StatusCode` and `HeaderMap` without another dependency.
pub use http;
