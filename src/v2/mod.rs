//! APIv2 (XML) building blocks, without HTTP: the XML codec ([`xml`]), MD5/HMAC-SHA256 signatures
//! ([`sign`]), the AES-256-ECB of refund notifications ([`crypto`]), notifications ([`notify`]) and
//! the checking of answers ([`response`]). WeChat Pay's APIv2 is the older XML API; the PHP SDK
//! still supports it (and documents it as deprecated).
//!
//! ```
//! use serde_json::json;
//! use wechatpay_chain::http::StatusCode;
//! use wechatpay_chain::v2::{self, ApiV2Key, Checked};
//!
//! let key = ApiV2Key::new("GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1")?;
//!
//! // A request body: nonce, signature, XML.
//! let mut fields = json!({"appid": "wx2421b1c4370ec43b", "mch_id": "1900000001", "out_trade_no": "1415757673"})
//!     .as_object().unwrap().clone();
//! v2::sign::ensure_nonce(&mut fields)?;
//! v2::sign::sign_fields(&mut fields, &key)?;
//! let body = v2::xml::to_xml(&fields)?;
//!
//! // An answer, checked: it parses, return_code is SUCCESS, the sign verifies.
//! let mut answer = json!({"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS"})
//!     .as_object().unwrap().clone();
//! v2::sign::sign_fields(&mut answer, &key)?;
//! let answer = v2::xml::to_xml(&answer)?;
//! let checked = v2::response::check_response("/pay/orderquery", StatusCode::OK, answer.as_bytes(), &key)?;
//! assert!(matches!(checked, Checked::Verified { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Where this module deliberately differs from the PHP SDK (wechatpay-php 1.4.12):
//!
//! | PHP SDK | here | why |
//! | --- | --- | --- |
//! | `]]>` in a value is written inside one CDATA section (invalid XML) | split across two sections | the body must be well-formed and read back as sent |
//! | control characters are written as is (invalid XML) | [`XmlError::UnwritableCharacter`] | same |
//! | a raw carriage return is written in CDATA | `&#13;` | a parser reads a raw CR as LF, so the receiver would sign other text |
//! | internal DTD entities are expanded | any DOCTYPE is refused ([`XmlError::Doctype`]) | entity expansion attacks (XXE, billion laughs) |
//! | unparsable XML gives `[]`; invalid characters are stripped | an [`XmlError`] | silent data loss hides tampering and bugs |
//! | an unknown or wrong-case `sign_type` sends an empty `<sign>` | [`SignError::UnknownSignType`] | the request can only fail at WeChat Pay |
//! | nested values are signed as `Array` | [`SignError::NestedValue`] | such a signature protects none of the nested content |
//! | `result_code` is checked before the signature | after it | error codes reported to the caller are authenticated |
//!
//! The APIv2 key is an [`ApiV2Key`]; no error or `Debug` output of this module shows it, or a
//! decrypted `req_info`.

pub mod crypto;
mod error;
mod key;
pub mod notify;
mod php;
pub mod response;
pub mod sign;
pub mod xml;

pub use error::{EcbError, MAX_NAME_IN_ERROR, NotifyError, SignError, XmlError};
pub use key::ApiV2Key;
pub use response::{Checked, RejectionKind, V2Rejection, check_response};
pub use sign::SignType;
