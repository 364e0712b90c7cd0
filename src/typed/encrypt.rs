//! `#[serde(with = "wechatpay_chain::typed::encrypt")]`: a sensitive field anywhere in a request body,
//! sent encrypted for WeChat Pay (敏感信息加密).
//!
//! The field is a [`Sensitive`](crate::sensitive::Sensitive) (or an `Option` of one: `None` serializes as
//! `null`, so add `skip_serializing_if = "Option::is_none"` to leave it out). It holds the plain text,
//! which never shows in `Debug`; when [`Client::call`](crate::Client::call) serializes the request it
//! becomes RSA-OAEP ciphertext under the WeChat Pay key of that call, the same key for every encrypted
//! field of the request, and `Wechatpay-Serial` names that key. Serialized anywhere else (logging the
//! request as JSON, say) it is an error, never plain text.
//!
//! At the top level of a `#[derive(Endpoint)]` struct, `#[body] #[encrypt]` does the same.
//!
//! ```
//! use serde::Serialize;
//! use wechatpay_chain::sensitive::Sensitive;
//! use wechatpay_chain::typed::Endpoint;
//!
//! #[derive(Debug, Serialize)]
//! struct Contact {
//!     #[serde(with = "wechatpay_chain::typed::encrypt")]
//!     contact_name: Sensitive,
//!     #[serde(with = "wechatpay_chain::typed::encrypt", skip_serializing_if = "Option::is_none")]
//!     mobile_phone: Option<Sensitive>,
//! }
//!
//! let contact = Contact { contact_name: Sensitive::from("张三"), mobile_phone: None };
//! assert!(!format!("{contact:?}").contains("张三"));
//! // Outside a call there is no key to encrypt with, and plain text is never written instead.
//! assert!(serde_json::to_string(&contact).is_err());
//! ```

use serde::Serializer;
use serde::ser::Error as _;

use super::SensitiveField;
use super::scope;

/// Serializes a sensitive field as its ciphertext (see the [module](self) documentation).
pub fn serialize<T: SensitiveField, S: Serializer>(field: &T, serializer: S) -> Result<S::Ok, S::Error> {
    match field.plaintext() {
        None => serializer.serialize_none(),
        Some(text) => match scope::seal(text) {
            Ok(ciphertext) => serializer.serialize_str(&ciphertext),
            Err(message) => Err(S::Error::custom(message)),
        },
    }
}

/// `#[serde(with = "wechatpay_chain::typed::encrypt::each")]`: a list of sensitive values
/// (`Vec<Sensitive>` or `Option<Vec<Sensitive>>`), each sent as its own ciphertext under the request's one
/// WeChat Pay key.
pub mod each {
    use serde::Serializer;
    use serde::ser::{Error as _, SerializeSeq};

    use crate::typed::SensitiveList;
    use crate::typed::scope;

    /// Serializes every value as its ciphertext (`None` as `null`).
    pub fn serialize<T: SensitiveList, S: Serializer>(field: &T, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(items) = field.items() else { return serializer.serialize_none() };
        let mut seq = serializer.serialize_seq(Some(items.len()))?;
        for item in items {
            let ciphertext = scope::seal(item.expose()).map_err(S::Error::custom)?;
            seq.serialize_element(&ciphertext)?;
        }
        seq.end()
    }
}
