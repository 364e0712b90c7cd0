//! Typed calls (preview): one request type per catalogued APIv3 endpoint, generated from the schema
//! catalog, and parsed answers that keep the raw, verified [`Response`].
//!
//! A request type implements [`Endpoint`] (or [`DownloadEndpoint`] for file downloads);
//! [`Client::call`] and [`Client::call_async`] send it through exactly the same pipeline as
//! `client.chain(E::PATH).request(E::METHOD, options)` and parse the body into `E::Response`. With the
//! feature `typed-facemch` (the seed endpoint):
//!
//! ```
//! # #[cfg(feature = "typed-facemch")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use wechatpay_sandbox::Sandbox;
//! use wechatpay_chain::typed::facemch::GetFacemchUsersByFaceSid;
//! use wechatpay_chain::typed::facemch::get_facemch_users_by_face_sid::{CredentialType, InfoType};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let user = client.call(GetFacemchUsersByFaceSid {
//!     face_sid: "aabbccdd12345".into(),
//!     info_type: InfoType::AskRealName,
//!     appid: "wx2b029c08a6233333".into(),
//!     sub_mchid: None,
//!     sub_appid: None,
//!     sub_serial_no: None,
//! })?;
//! assert!(user.openid.is_some());
//! assert_eq!(user.raw().status(), 200);
//! // Decrypted while parsing; `Debug` shows neither the name nor the number.
//! let real = user.real_name_info.as_ref().expect("asked for the real name");
//! let number = real.encrypted_credential_id.as_ref().expect("an ID number");
//! assert_eq!(number.len(), 18);
//! assert_eq!(real.credential_type, Some(CredentialType::IdCard)); // 身份证
//! assert!(!format!("{:?}", *user).contains(number.expose()));
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "typed-facemch"))]
//! # fn main() {}
//! ```
//!
//! # The generated layer
//!
//! `wechatpay-codegen` (`codegen/` in the repository) writes one module per catalog group
//! (`typed::pay_transactions`, `typed::refund`, `typed::facemch`, …), each behind its own feature
//! (`typed-pay-transactions`, `typed-refund`, `typed-facemch`, …; `typed-all` enables every group). In a
//! group module every endpoint has its own module (`typed::facemch::get_facemch_users_by_face_sid`) with
//! the request, its answer and the types of their fields; the request and the answer are re-exported in
//! the group module. Definitions the schema shares between endpoints are shared types
//! (`typed::shared`). The naming rules, the mapping of the schema to Rust types and the examples are
//! described in the [`guide`].
//!
//! * **Names.** The request is the HTTP method and the CamelCase path without the leading `v3`,
//!   placeholders as `By<Name>`: `GET v3/pay/transactions/id/{transaction_id}` is
//!   `GetPayTransactionsIdByTransactionId`, its answer `GetPayTransactionsIdByTransactionIdResponse`, its
//!   module `get_pay_transactions_id_by_transaction_id`. Each chain node's documentation links the typed
//!   requests of its path (with their feature on).
//! * **Requests** hold the path and query parameters and the JSON body's fields, required ones plain and
//!   optional ones `Option`s left out when `None`; uploads take a [`Media`](crate::Media) as `media`.
//! * **Answers** keep every field WeChat Pay sends: the documented ones (all `Option`s: a field WeChat Pay
//!   leaves out never fails a call) and the others in `extra`, so an answer serializes back unchanged.
//! * Money and other integers are `i64`; timestamps the RFC 3339 strings WeChat Pay sends; every enum
//!   keeps a value it does not know (`Unknown(…)`) and documents each value with WeChat Pay's label.
//!
//! Every other endpoint (and any endpoint, typed by hand) is a struct deriving [`Endpoint`] (see the
//! [`guide`]).
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
//!   it and names it in `Wechatpay-Serial` ([`Options::encrypted_with`]). The generated requests mark
//!   their encrypted fields (also in query parameters) the same way.
//! * **In answers** a field marked `#[serde(with = "wechatpay_chain::typed::decrypt")]` arrives as
//!   ciphertext and is decrypted with the merchant private key while the answer is parsed, at any depth.
//! * **Envelopes** (`AEAD_AES_256_GCM`, such as a platform certificate's `encrypt_certificate`) have a
//!   `decrypt(&ApiV3Key)` method.
//!
//! Outside a call neither happens: encrypting needs the client's WeChat Pay key and decrypting its
//! merchant key, so serializing or deserializing such a field on its own is an error, never plain text
//! where ciphertext belongs or the other way round.

pub mod decrypt;
pub mod encrypt;
mod generated;
#[doc = include_str!("../../docs/typed-endpoints.md")]
pub mod guide {}
mod enums;
#[cfg(feature = "typed-pay-transactions")]
pub mod notify;
mod scope;

#[allow(unused_imports)] // unused without a typed group feature
pub(crate) use enums::{int_enum, wire_enum};

// Empty (and so unused) when no typed group feature is on.
#[allow(unused_imports)]
pub use generated::*;

use std::future::Future;
use std::ops::Deref;

use http::Method;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::download::Download;
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

/// A typed request whose answer is a file (bills, transfer receipts, complaint images, overseas
/// statements): [`Client::call_download`] streams it as a [`Download`] instead of parsing JSON. Always a
/// `GET`.
pub trait DownloadEndpoint {
    /// The path template, e.g. `v3/billdownload/file`.
    const PATH: &'static str;

    /// The request options (path variables and query).
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

/// What can be a list of encrypted ([`encrypt::each`]) or decrypted ([`decrypt::each`]) values:
/// `Vec<Sensitive>` and `Option<Vec<Sensitive>>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a list of sensitive values",
    label = "an encrypted or decrypted list must be a `Vec<Sensitive>` or an `Option<Vec<Sensitive>>`"
)]
pub trait SensitiveList: private::Sealed + Sized {
    /// The plain texts, `None` for an absent optional list.
    #[doc(hidden)]
    fn items(&self) -> Option<&[Sensitive]>;
    /// The field from decrypted values (`None`: the field was `null`); `None` when it cannot be absent.
    #[doc(hidden)]
    fn from_items(items: Option<Vec<Sensitive>>) -> Option<Self>;
}

impl SensitiveList for Vec<Sensitive> {
    fn items(&self) -> Option<&[Sensitive]> {
        Some(self)
    }

    fn from_items(items: Option<Vec<Sensitive>>) -> Option<Self> {
        items
    }
}

impl SensitiveList for Option<Vec<Sensitive>> {
    fn items(&self) -> Option<&[Sensitive]> {
        self.as_deref()
    }

    fn from_items(items: Option<Vec<Sensitive>>) -> Option<Self> {
        Some(items)
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for crate::sensitive::Sensitive {}
    impl Sealed for Option<crate::sensitive::Sensitive> {}
    impl Sealed for Vec<crate::sensitive::Sensitive> {}
    impl Sealed for Option<Vec<crate::sensitive::Sensitive>> {}
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

    /// Streams the file a typed download request names (blocking; see
    /// [`Chain::download`](crate::Chain::download)): the same pipeline as
    /// `self.chain(E::PATH).download(options)`, returning once the answer's head has arrived.
    pub fn call_download<E: DownloadEndpoint>(&self, endpoint: E) -> Result<Download, Error> {
        let options = self.download_options(&endpoint)?;
        self.chain(E::PATH).download(options)
    }

    /// [`call_download`](Client::call_download), async (any executor). The options are prepared right
    /// away; nothing is sent until the future is first polled.
    pub fn call_download_async<E: DownloadEndpoint>(
        &self,
        endpoint: E,
    ) -> impl Future<Output = Result<Download, Error>> + Send + 'static {
        let options = self.download_options(&endpoint);
        let chain = self.chain(E::PATH);
        async move { chain.download_async(options?).await }
    }

    fn download_options<E: DownloadEndpoint>(&self, endpoint: &E) -> Result<Options, Error> {
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

/// Used by the code `#[derive(Endpoint)]` and the generator write; not a stable API.
#[doc(hidden)]
pub mod __private {
    use serde::Serialize;
    use serde_json::Value;

    use super::{SensitiveField, scope};
    use crate::crypto::{ApiV3Key, aead};
    use crate::error::{DecodeError, Error, InputErrorKind};
    use crate::media::Media;
    use crate::request::Options;

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

    /// Sets the path variable `name`.
    pub fn param<T: Serialize + ?Sized>(options: Options, name: &str, field: &T) -> Result<Options, Error> {
        Ok(options.param(name, value(name, field)?))
    }

    /// Adds the query parameter `name` unless the field is absent.
    pub fn query<T: Serialize + ?Sized>(options: Options, name: &str, field: &T) -> Result<Options, Error> {
        Ok(match present(name, field)? {
            Some(v) => options.query(name, v),
            None => options,
        })
    }

    /// Adds the query parameter `name`, encrypted, unless the field is absent.
    pub fn query_sensitive<T: SensitiveField>(options: Options, name: &str, field: &T) -> Result<Options, Error> {
        Ok(match encrypted(name, field)? {
            Some(v) => options.query(name, v),
            None => options,
        })
    }

    /// Sets the request header `name` unless the field is absent.
    pub fn header<T: Serialize + ?Sized>(options: Options, name: &str, field: &T) -> Result<Options, Error> {
        Ok(match present(name, field)? {
            Some(Value::String(text)) => options.header(name, text),
            Some(other) => options.header(name, other.to_string()),
            None => options,
        })
    }

    /// The upload of `media`: its meta is the fields of `meta` (if any) followed by those of `fills`
    /// (`filename`, `sha256`) taken from the file.
    pub fn media<M: Serialize>(
        options: Options,
        media: &Media,
        meta: Option<&M>,
        fills: &[&str],
    ) -> Result<Options, Error> {
        if meta.is_none() && fills == ["filename", "sha256"] {
            return Ok(options.media(media.clone()));
        }
        let mut fields = match meta.map(|m| value("meta", m)).transpose()? {
            Some(Value::Object(map)) => map,
            Some(_) | None => Map::new(),
        };
        for fill in fills {
            let text = match *fill {
                "filename" => media.filename(),
                "sha256" => media.sha256(),
                _ => continue,
            };
            if !fields.contains_key(*fill) {
                fields.insert((*fill).to_owned(), Value::String(text.to_owned()));
            }
        }
        Ok(options.media(media.clone().meta(Value::Object(fields))?))
    }

    /// The error of a generated request that cannot be sent as its endpoint wants.
    pub fn unsupported(why: &str) -> Error {
        Error::input(
            InputErrorKind::InvalidOption,
            format!("{why}; this typed request cannot be sent yet, send the body through the chain instead"),
        )
    }

    /// Opens an `AEAD_AES_256_GCM` envelope with the APIv3 key.
    pub fn open_aead(
        key: &ApiV3Key,
        algorithm: Option<&str>,
        nonce: Option<&str>,
        associated_data: Option<&str>,
        ciphertext: Option<&str>,
    ) -> Result<String, Error> {
        let fail = |message: String| Error::Decode(DecodeError::new(message, None));
        if algorithm != Some(crate::notify::ALGORITHM) {
            return Err(fail(format!("the envelope's algorithm is {algorithm:?}, not AEAD_AES_256_GCM")));
        }
        let (Some(nonce), Some(ciphertext)) = (nonce, ciphertext) else {
            return Err(fail("the envelope has no nonce or no ciphertext".to_owned()));
        };
        let plain = aead::decrypt(key, nonce.as_bytes(), associated_data.unwrap_or_default().as_bytes(), ciphertext)
            .map_err(|e| fail(format!("the envelope does not decrypt: {e}")))?;
        String::from_utf8(plain).map_err(|_| fail("the decrypted envelope is not text".to_owned()))
    }

    /// `Debug` of a user identifier: whether it is there, not what it is.
    pub struct Redacted<'a, T>(pub &'a T);

    impl std::fmt::Debug for Redacted<'_, String> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("\"<redacted>\"")
        }
    }

    impl std::fmt::Debug for Redacted<'_, Option<String>> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self.0 {
                Some(_) => f.write_str("Some(\"<redacted>\")"),
                None => f.write_str("None"),
            }
        }
    }
}
