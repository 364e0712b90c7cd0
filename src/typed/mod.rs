//! Typed calls (preview): request structs that know their endpoint, and parsed responses that keep the
//! raw, verified [`Response`].
//!
//! A request type implements [`Endpoint`], usually with `#[derive(Endpoint)]`; [`Client::call`] and
//! [`Client::call_async`] send it through exactly the same pipeline as
//! `client.chain(E::PATH).request(E::METHOD, options)` and parse the body into `E::Response`.
//!
//! ```
//! use wechatpay_chain::sandbox::Sandbox;
//! use wechatpay_chain::typed::facemch::{InfoType, QueryFaceUser};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let user = client.call(QueryFaceUser::new("aabbccdd12345", InfoType::AskUnionid, "wx2b029c08a6233333"))?;
//! assert!(user.openid.is_some());
//! assert_eq!(user.raw().status(), 200);
//! # Ok::<(), wechatpay_chain::Error>(())
//! ```
//!
//! Only the seed endpoint has a model so far ([`facemch`]); more come later. Every other endpoint stays
//! reachable through the chain.

pub mod facemch;

use std::future::Future;
use std::ops::Deref;

use http::Method;
use serde::de::DeserializeOwned;

use crate::chain::ResponseFuture;
use crate::client::Client;
use crate::error::Error;
use crate::request::Options;
use crate::response::Response;

pub use wechatpay_chain_macros::Endpoint;

/// A request type that knows its endpoint: method, path template, how its fields become [`Options`]
/// (path variables, query, JSON body) and what the answer parses into.
///
/// Derive it with `#[derive(Endpoint)]` (see [`wechatpay_chain_macros::Endpoint`]) or implement it by
/// hand.
pub trait Endpoint {
    /// The HTTP method.
    const METHOD: Method;
    /// The path template, e.g. `v3/facemch/users/{face_sid}` (as [`Client::chain`] takes it).
    const PATH: &'static str;
    /// What a successful answer's JSON body parses into.
    type Response: DeserializeOwned;

    /// The request options: path variables, query parameters and the JSON body. Fails when a field
    /// cannot be serialized.
    fn to_options(&self) -> Result<Options, Error>;
}

/// A parsed answer together with the raw, verified [`Response`] it came from.
///
/// Dereferences to the parsed value.
#[derive(Clone, Debug)]
pub struct Typed<T> {
    value: T,
    raw: Response,
}

impl<T: DeserializeOwned> Typed<T> {
    /// Parses the body of `raw` into `T`.
    pub fn from_response(raw: Response) -> Result<Self, Error> {
        let value = raw.json_as()?;
        Ok(Typed { value, raw })
    }
}

impl<T> Typed<T> {
    /// The raw response: status, headers, body bytes, how it was verified.
    pub fn raw(&self) -> &Response {
        &self.raw
    }

    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The parsed value and the raw response.
    pub fn into_parts(self) -> (T, Response) {
        (self.value, self.raw)
    }
}

impl<T> Deref for Typed<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl Client {
    /// Sends a typed request and parses the verified answer (blocking; see [`Chain::get`](crate::Chain::get)
    /// for where it may be called). Same pipeline as `self.chain(E::PATH).request(E::METHOD, options)`.
    pub fn call<E: Endpoint>(&self, endpoint: E) -> Result<Typed<E::Response>, Error> {
        let options = endpoint.to_options()?;
        let raw = self.chain(E::PATH).request(E::METHOD, options)?;
        Typed::from_response(raw)
    }

    /// Sends a typed request; the future resolves to the parsed, verified answer. Nothing is sent until
    /// it is first polled; it works on any executor (see [`Chain::get_async`](crate::Chain::get_async)).
    pub fn call_async<E: Endpoint>(
        &self,
        endpoint: E,
    ) -> impl Future<Output = Result<Typed<E::Response>, Error>> + Send + 'static {
        let sending: ResponseFuture = match endpoint.to_options() {
            Ok(options) => self.chain(E::PATH).request_async(E::METHOD, options),
            Err(e) => ResponseFuture::ready(Err(e)),
        };
        async move { Typed::from_response(sending.await?) }
    }
}

/// Used by the code `#[derive(Endpoint)]` generates; not a stable API.
#[doc(hidden)]
pub mod __private {
    use serde::Serialize;
    use serde_json::Value;

    use crate::error::{Error, InputErrorKind};

    pub use serde_json::Map;

    /// `field` as JSON.
    pub fn value<T: Serialize + ?Sized>(name: &str, field: &T) -> Result<Value, Error> {
        serde_json::to_value(field).map_err(|e| {
            Error::input(InputErrorKind::InvalidOption, format!("the field `{name}` cannot be serialized: {e}"))
        })
    }

    /// `field` as JSON, or `None` when it is `null` (an absent `Option`).
    pub fn present<T: Serialize + ?Sized>(name: &str, field: &T) -> Result<Option<Value>, Error> {
        value(name, field).map(|v| if v.is_null() { None } else { Some(v) })
    }
}
