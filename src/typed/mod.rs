//! Typed calls (preview): request structs that know their endpoint, and parsed responses that keep the
//! raw, verified [`Response`].
//!
//! A request type implements [`Endpoint`], usually with `#[derive(Endpoint)]`; [`Client::call`] and
//! [`Client::call_async`] send it through exactly the same pipeline as
//! `client.chain(E::PATH).request(E::METHOD, options)` and parse the body into `E::Response`.
//!
//! ```
//! use wechatpay_sandbox::Sandbox;
//! use wechatpay_chain::typed::facemch::{InfoType, QueryFaceUser};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let user = client.call(QueryFaceUser::new("aabbccdd12345", InfoType::AskRealName, "wx2b029c08a6233333"))?;
//! assert!(user.openid.is_some());
//! assert_eq!(user.raw().status(), 200);
//! // Decrypted while parsing; `Debug` shows neither the name nor the number.
//! let real = user.real_name_info.as_ref().expect("asked for the real name");
//! assert_eq!(real.credential_id.len(), 18);
//! assert!(!format!("{user:?}").contains(real.credential_id.expose()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Models
//!
//! | Module | Endpoints |
//! |---|---|
//! | [`facemch`] | `GET v3/facemch/users/{face_sid}` |
//! | [`pay`] | JSAPI/APP/H5/Native prepay, query by `out_trade_no` and by `transaction_id`, close |
//! | [`refund`] | `POST v3/refund/domestic/refunds`, `GET v3/refund/domestic/refunds/{out_refund_no}` |
//! | [`certificates`] | `GET v3/certificates` |
//! | [`bill`] | `GET v3/bill/tradebill`, `GET v3/bill/fundflowbill` |
//! | [`notify`] | the resources of `TRANSACTION.SUCCESS` and `REFUND.*` notifications |
//!
//! Field names are WeChat Pay's, so a model serializes back to the JSON it came from; money is integer
//! fen (`i64`); timestamps are the RFC 3339 strings WeChat Pay sends; every enum has an `Unknown` variant
//! that keeps a value this version does not know, so a new WeChat Pay value never breaks parsing. Every
//! other endpoint is reached through the chain, or typed in a few lines by deriving [`Endpoint`] on your
//! own struct (see the [`guide`]).
//!
//! # Sensitive fields (敏感信息)
//!
//! Personal data travels encrypted, and in a model it is a [`Sensitive`],
//! which never shows in `Debug` or `Display`:
//!
//! * **In requests** a field marked `#[body] #[encrypt]` (or, deeper in the body,
//!   `#[serde(with = "wechatpay_chain::typed::encrypt")]`) holds plain text and is sent as ciphertext:
//!   [`Client::call`] picks one WeChat Pay key for the request
//!   ([`Client::sensitive_encryptor`](crate::Client::sensitive_encryptor)), encrypts every such field with
//!   it and names it in `Wechatpay-Serial` ([`Options::encrypted_with`]).
//! * **In answers** a field marked `#[serde(with = "wechatpay_chain::typed::decrypt")]` arrives as
//!   ciphertext and is decrypted with the merchant private key while the answer is parsed, at any depth.
//!
//! Outside a call neither happens: encrypting needs the client's WeChat Pay key and decrypting its
//! merchant key, so serializing or deserializing such a field on its own is an error, never plain text
//! where ciphertext belongs or the other way round.

pub mod bill;
pub mod certificates;
pub mod decrypt;
pub mod encrypt;
pub mod facemch;
#[doc = include_str!("../../docs/typed-endpoints.md")]
pub mod guide {}
pub mod notify;
pub mod pay;
pub mod refund;
mod scope;

use std::future::Future;
use std::ops::Deref;

use http::Method;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::Error;
use crate::request::Options;
use crate::response::Response;
use crate::sensitive::Sensitive;
use crate::transport::ResponseFuture;

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
    /// What a successful answer's JSON body parses into (`()` for an empty `204` answer).
    type Response: DeserializeOwned;

    /// The request options: path variables, query parameters and the JSON body. Fails when a field
    /// cannot be serialized, and for encrypted fields outside [`Client::call`] (which encrypts them; see
    /// [`Client::endpoint_options`]).
    fn to_options(&self) -> Result<Options, Error>;
}

/// What can be an encrypted ([`encrypt`]) or decrypted ([`decrypt`]) field: [`Sensitive`] and
/// `Option<Sensitive>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a sensitive field",
    label = "an encrypted or decrypted field must be a `Sensitive` or an `Option<Sensitive>`",
    note = "`Sensitive` keeps the plain text out of `Debug` and `Display`; build one with `Sensitive::from(\"…\")`"
)]
pub trait SensitiveField: private::Sealed + Sized {
    /// The plain text, `None` for an absent optional field.
    #[doc(hidden)]
    fn plaintext(&self) -> Option<&str>;
    /// The field from decrypted plain text (`None`: the field was `null`); `None` when the field cannot
    /// be absent.
    #[doc(hidden)]
    fn from_plain(plain: Option<Sensitive>) -> Option<Self>;
}

impl SensitiveField for Sensitive {
    fn plaintext(&self) -> Option<&str> {
        Some(self.expose())
    }

    fn from_plain(plain: Option<Sensitive>) -> Option<Self> {
        plain
    }
}

impl SensitiveField for Option<Sensitive> {
    fn plaintext(&self) -> Option<&str> {
        self.as_ref().map(Sensitive::expose)
    }

    fn from_plain(plain: Option<Sensitive>) -> Option<Self> {
        Some(plain)
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for crate::sensitive::Sensitive {}
    impl Sealed for Option<crate::sensitive::Sensitive> {}
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
    /// Parses the body of `raw` into `T`, with no key for [`decrypt`] fields: a `T` that has some fails to
    /// parse (use [`parse`](Typed::parse)).
    pub fn from_response(raw: Response) -> Result<Self, Error> {
        let value = raw.json_as()?;
        Ok(Typed { value, raw })
    }

    /// Parses the body of `raw` into `T` as [`Client::call`] does: fields marked [`decrypt`] are
    /// decrypted with `client`'s merchant private key. A field that does not decrypt is an
    /// [`Error::Sensitive`] (or a configuration error when the client holds no private key).
    pub fn parse(raw: Response, client: &Client) -> Result<Self, Error> {
        let value = scope::opening(client, || raw.json_as().map_err(Error::from))?;
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
    /// The options [`call`](Client::call) sends for `endpoint`: [`Endpoint::to_options`] with its
    /// [`encrypt`] fields encrypted under one WeChat Pay key, which `Wechatpay-Serial` then names
    /// ([`Options::encrypted_with`]). Without encrypted fields it is just `to_options()`.
    ///
    /// Fails when a field cannot be serialized, or for encrypted fields when the client has no WeChat Pay
    /// key to encrypt with or a field is too long to encrypt (nothing is sent then).
    pub fn endpoint_options<E: Endpoint>(&self, endpoint: &E) -> Result<Options, Error> {
        let (options, encryptor) = scope::sealing(self, || endpoint.to_options())?;
        Ok(match encryptor {
            Some(encryptor) => options.encrypted_with(&encryptor),
            None => options,
        })
    }

    /// Sends a typed request and parses the verified answer (blocking; see [`Chain::get`](crate::Chain::get)
    /// for where it may be called). Same pipeline as `self.chain(E::PATH).request(E::METHOD, options)` with
    /// the [`endpoint_options`](Client::endpoint_options); the answer is parsed with
    /// [`Typed::parse`].
    pub fn call<E: Endpoint>(&self, endpoint: E) -> Result<Typed<E::Response>, Error> {
        let options = self.endpoint_options(&endpoint)?;
        let raw = self.chain(E::PATH).request(E::METHOD, options)?;
        Typed::parse(raw, self)
    }

    /// Sends a typed request; the future resolves to the parsed, verified answer. The options (and any
    /// encryption) are prepared right away, but nothing is sent until the future is first polled; it
    /// works on any executor (see [`Chain::get_async`](crate::Chain::get_async)).
    pub fn call_async<E: Endpoint>(
        &self,
        endpoint: E,
    ) -> impl Future<Output = Result<Typed<E::Response>, Error>> + Send + 'static {
        let sending: ResponseFuture = match self.endpoint_options(&endpoint) {
            Ok(options) => self.chain(E::PATH).request_async(E::METHOD, options),
            Err(e) => ResponseFuture::ready(Err(e)),
        };
        let client = self.clone();
        async move { Typed::parse(sending.await?, &client) }
    }
}

/// A string enum of WeChat Pay's with a fallback: every documented value is a variant, anything else is
/// kept in `Unknown`. Serializes as the wire string.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// A value this version does not know is kept as [`Unknown`](Self::Unknown), so it never breaks
        /// parsing and serializes back unchanged. Build values with `From<&str>` (which picks the named
        /// variant for a known value) rather than `Unknown("…")`.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value not known to this version, as sent.
            Unknown(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
}
pub(crate) use wire_enum;

/// Used by the code `#[derive(Endpoint)]` generates; not a stable API.
#[doc(hidden)]
pub mod __private {
    use serde::Serialize;
    use serde_json::Value;

    use super::{SensitiveField, scope};
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

    /// An `#[encrypt]` field as its ciphertext, or `None` when it is absent.
    pub fn encrypted<T: SensitiveField>(name: &str, field: &T) -> Result<Option<Value>, Error> {
        let Some(text) = field.plaintext() else { return Ok(None) };
        scope::seal(text).map(|ciphertext| Some(Value::String(ciphertext))).map_err(|message| {
            Error::input(InputErrorKind::InvalidOption, format!("the field `{name}` cannot be encrypted: {message}"))
        })
    }
}
