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
//! The pipeline, one module per step, each calling only the ones after it: [`chain`](mod@chain) (segments,
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
//!
//! ## Stability
//!
//! The generated chain methods (`client.v3().pay().transactions().native()` and the other catalogued
//! endpoints, v3 and v2) are public API and follow semver like hand-written items: a catalogued
//! endpoint's chain is never removed or renamed within a major version; new endpoints add methods in
//! minor releases. An endpoint WeChat Pay retires stays reachable (its chain, or
//! [`Client::chain`] with its path) until the next major version. Public data types that may gain
//! fields are `#[non_exhaustive]` and have constructors; error kinds are `#[non_exhaustive]` enums.
//! Key loading takes the PHP SDK's strings ([`crypto::PrivateKey::load`]) or typed sources
//! ([`crypto::PrivateKey::from_pem`], [`from_pem_file`](crypto::PrivateKey::from_pem_file),
//! [`from_der`](crypto::PrivateKey::from_der)), all failing with a [`crypto::KeyError`].

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
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod hint;
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
/// A path template checked against the endpoint catalog at compile time: `chain!("v3/…")` is the
/// literal (a `&'static str`), `chain!(client, "v3/…")` is `client.chain("v3/…")`.
///
/// The template must have the shape of a catalogued endpoint (APIv3, or APIv2 under `v2/`): every
/// literal segment as catalogued, and a placeholder (`{x}`, `{+x}`, `<x>` or `_x_`, any name) wherever
/// the catalog has one; a leading `/`, a `?query` and a trailing `{?a,b}` are allowed. Anything else is
/// a compile error naming the closest catalogued paths (the rules of [`hint`]), and so is a value
/// written where the catalog has a placeholder (`…/out-trade-no/123`: values come from the options).
/// [`Client::chain`] stays the way to an endpoint the catalog lacks.
///
/// ```
/// use serde_json::json;
/// use wechatpay_chain::chain;
/// # let sandbox = wechatpay_sandbox::Sandbox::start()?;
/// # let client = sandbox.client_builder().build()?;
/// const NATIVE: &str = chain!("v3/pay/transactions/native");
/// let order = json!({
///     "appid": "wx2b029c08a6233333", "mchid": sandbox.mchid(), "description": "T-shirt",
///     "out_trade_no": "1217752501201407033233368018", "notify_url": "https://example.com/notify",
///     "amount": {"total": 100},
/// });
/// let res = client.chain(NATIVE).post(json!({"json": order}))?;
/// assert!(res.json()?["code_url"].is_string());
/// let res = chain!(client, "v3/pay/transactions/out-trade-no/{out_trade_no}")
///     .get(json!({"out_trade_no": "1217752501201407033233368018", "query": {"mchid": sandbox.mchid()}}))?;
/// assert_eq!(res.status(), 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ```compile_fail
/// // `outTradeNo` is PHP's spelling: the error names `v3/pay/transactions/out-trade-no/{out_trade_no}`.
/// const QUERY: &str = wechatpay_chain::chain!("v3/pay/transactions/outTradeNo/{out_trade_no}");
/// ```
pub use wechatpay_chain_macros::chain;

/// Re-exported so users can name `Method`, `StatusCode` and `HeaderMap` without another dependency.
pub use http;
