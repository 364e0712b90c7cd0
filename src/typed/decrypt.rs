//! `#[serde(with = "wechatpay_chain::typed::decrypt")]`: a field WeChat Pay encrypted for the merchant,
//! decrypted while the answer is parsed (敏感信息解密).
//!
//! The field is a [`Sensitive`](crate::sensitive::Sensitive) (or an `Option` of one, with
//! `#[serde(default)]` so an absent field is `None`). On the wire it is base64 RSA-OAEP ciphertext; when
//! [`Client::call`](crate::Client::call) (or [`Typed::parse`](super::Typed::parse)) parses the answer it
//! is decrypted with the client's merchant private key, so the model holds plain text that never shows in
//! `Debug` or `Display`. The field may be nested at any depth (in `Option`s, `Vec`s, other structs). A
//! ciphertext that does not decrypt fails the call with [`Error::Sensitive`].
//!
//! JSON from elsewhere (a chain call, a stored answer) is parsed the same way with [`from_slice`] or
//! [`from_value`]. Parsed anywhere else there is no key, and deserializing fails rather than putting
//! ciphertext where plain text is expected. Serializing a decrypted field fails too (`None` serializes as `null`): the
//! plain text leaves a model only through [`Sensitive::expose`](crate::sensitive::Sensitive::expose).
//!
//! ```
//! use serde::Deserialize;
//! use wechatpay_chain::sensitive::Sensitive;
//!
//! #[derive(Debug, Deserialize)]
//! struct Holder {
//!     #[serde(rename = "encrypted_name", with = "wechatpay_chain::typed::decrypt")]
//!     name: Sensitive,
//!     #[serde(default, with = "wechatpay_chain::typed::decrypt")]
//!     mobile: Option<Sensitive>,
//! }
//!
//! // Without a client (outside `Client::call` / `Typed::parse`) nothing is decrypted:
//! let err = serde_json::from_str::<Holder>(r#"{"encrypted_name": "bm90IHBsYWluIHRleHQ="}"#).unwrap_err();
//! assert!(err.to_string().contains("merchant private key"));
//! ```

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

use super::SensitiveField;
use super::scope;
use crate::client::Client;
use crate::error::{DecodeError, Error};

/// Deserializes the JSON `bytes` into `T`, decrypting its [`decrypt`](self) fields with `client`'s
/// merchant private key, as [`Client::call`](crate::Client::call) parses answers.
///
/// A field that does not decrypt is an [`Error::Sensitive`] (a configuration error when the client holds
/// no private key); JSON that does not fit `T` is an [`Error::Decode`].
///
/// ```
/// use serde::Deserialize;
/// use serde_json::json;
/// use wechatpay_sandbox::Sandbox;
/// use wechatpay_chain::sensitive::Sensitive;
/// use wechatpay_chain::typed::decrypt;
///
/// #[derive(Deserialize)]
/// struct RealName {
///     #[serde(default, with = "wechatpay_chain::typed::decrypt")]
///     encrypted_credential_id: Option<Sensitive>,
/// }
///
/// #[derive(Deserialize)]
/// struct FaceUser {
///     real_name_info: Option<RealName>,
/// }
///
/// let sandbox = Sandbox::start()?;
/// let client = sandbox.client_builder().build()?;
/// let res = client.chain("v3/facemch/users/{face_sid}").get(json!({
///     "face_sid": "aabbccdd12345", "query": {"info_type": "ASK_REAL_NAME", "appid": "wx2b029c08a6233333"},
/// }))?;
/// let user: FaceUser = decrypt::from_slice(&client, res.body())?;
/// let id = user.real_name_info.and_then(|r| r.encrypted_credential_id);
/// assert_eq!(id.map(|id| id.len()), Some(18));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_slice<T: DeserializeOwned>(client: &Client, bytes: &[u8]) -> Result<T, Error> {
    scope::opening(client, || serde_json::from_slice(bytes).map_err(|e| decode_error::<T>(e)))
}

/// [`from_slice`] for a parsed JSON value.
pub fn from_value<T: DeserializeOwned>(client: &Client, value: serde_json::Value) -> Result<T, Error> {
    scope::opening(client, || serde_json::from_value(value).map_err(|e| decode_error::<T>(e)))
}

fn decode_error<T>(e: serde_json::Error) -> Error {
    Error::Decode(DecodeError::new(format!("the JSON does not decode as {}", std::any::type_name::<T>()), Some(e)))
}

/// Deserializes a ciphertext and decrypts it (see the [module](self) documentation).
pub fn deserialize<'de, D: Deserializer<'de>, T: SensitiveField>(deserializer: D) -> Result<T, D::Error> {
    let plain = match Option::<String>::deserialize(deserializer)? {
        None => None,
        Some(ciphertext) => Some(scope::open(&ciphertext).map_err(D::Error::custom)?),
    };
    T::from_plain(plain).ok_or_else(|| D::Error::custom("expected an encrypted field (a base64 string), found null"))
}

/// Refuses to serialize decrypted plain text (`None` serializes as `null`).
pub fn serialize<T: SensitiveField, S: Serializer>(field: &T, serializer: S) -> Result<S::Ok, S::Error> {
    match field.plaintext() {
        None => serializer.serialize_none(),
        Some(_) => Err(S::Error::custom(
            "a decrypted field does not serialize (it would write personal data as plain text); use \
             Sensitive::expose where the plain text is really needed",
        )),
    }
}

/// `#[serde(with = "wechatpay_chain::typed::decrypt::each")]`: a list of values WeChat Pay encrypted for
/// the merchant (`Vec<Sensitive>` or `Option<Vec<Sensitive>>`), each decrypted while the answer is parsed.
pub mod each {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::typed::SensitiveList;
    use crate::typed::scope;

    /// Deserializes a list of ciphertexts and decrypts each.
    pub fn deserialize<'de, D: Deserializer<'de>, T: SensitiveList>(deserializer: D) -> Result<T, D::Error> {
        let items = match Option::<Vec<String>>::deserialize(deserializer)? {
            None => None,
            Some(ciphertexts) => Some(
                ciphertexts.iter().map(|c| scope::open(c)).collect::<Result<Vec<_>, _>>().map_err(D::Error::custom)?,
            ),
        };
        T::from_items(items).ok_or_else(|| D::Error::custom("expected a list of encrypted values, found null"))
    }

    /// Refuses to serialize decrypted plain text (`None` serializes as `null`).
    pub fn serialize<T: SensitiveList, S: Serializer>(field: &T, serializer: S) -> Result<S::Ok, S::Error> {
        match field.items() {
            None => serializer.serialize_none(),
            Some(_) => Err(S::Error::custom(
                "a decrypted field does not serialize (it would write personal data as plain text); use \
                 Sensitive::expose where the plain text is really needed",
            )),
        }
    }
}
