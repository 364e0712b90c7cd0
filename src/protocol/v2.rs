//! APIv2: the request's fields carry a `sign` (MD5 or HMAC-SHA256 with the APIv2 key) and a `nonce_str`,
//! written as XML (or, for `GET`, as the query); an answer is checked by its own `sign` and its
//! `return_code` / `result_code`. Security endpoints go over mutual TLS with the merchant certificate.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Map, Value};

use super::{Exchange, Protocol};
use crate::auth::SigningError;
use crate::error::{DecodeError, Error, InputErrorKind, V2Error, VerificationError, VerificationFailure};
use crate::request::{PreparedRequest, V2Draft};
use crate::response::{Response, Verification};
use crate::transport::Received;
use crate::v2::response::{Checked, RejectionKind, check_response};
use crate::v2::sign::{nonce_str, sign};
use crate::v2::{ApiV2Key, SignError, SignType};

/// The APIv2 protocol of one merchant: its id and, when configured, its APIv2 key.
pub(crate) struct V2 {
    mchid: String,
    key: Option<ApiV2Key>,
}

fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
    Error::input(kind, message)
}

fn invalid(e: impl std::fmt::Display) -> Error {
    input(InputErrorKind::InvalidOption, e.to_string())
}

impl V2 {
    pub(crate) fn new(mchid: String, key: Option<ApiV2Key>) -> V2 {
        V2 { mchid, key }
    }

    /// The APIv2 key, when configured.
    pub(crate) fn key(&self) -> Option<&ApiV2Key> {
        self.key.as_ref()
    }

    fn require_key(&self, why: &str) -> Result<&ApiV2Key, Error> {
        self.key.as_ref().ok_or_else(|| Error::config("apiv2_key", format!("{why}; set it with `.apiv2_key(…)`")))
    }

    /// Completes and signs a drafted request: checks its `mch_id`, adds `nonce_str` (unless nonceless)
    /// and `sign` (replacing a caller's `sign` in place, as wechatpay-php does).
    pub(crate) fn seal(&self, mut draft: V2Draft) -> Result<PreparedRequest, Error> {
        let key = self.require_key("APIv2 requests are signed with the APIv2 key")?;
        let mut fields = std::mem::take(&mut draft.fields);
        check_mchid(&self.mchid, &fields)?;
        if draft.method != http::Method::GET {
            check_names(&fields)?;
        }
        let sign_type = match fields.get("sign_type") {
            None | Some(Value::Null) => SignType::Md5,
            Some(Value::String(s)) => SignType::from_field(Some(s)).map_err(invalid)?,
            Some(other) => {
                return Err(input(
                    InputErrorKind::InvalidOption,
                    format!("`sign_type` must be \"MD5\" or \"HMAC-SHA256\", not {other}"),
                ));
            }
        };
        if !draft.nonceless && fields.get("nonce_str").is_none_or(Value::is_null) {
            let nonce = nonce_str().map_err(|e| SigningError::new(e.to_string(), None))?;
            fields.insert("nonce_str".to_owned(), Value::String(nonce));
        }
        let signature = sign(sign_type, &fields, key).map_err(invalid)?;
        fields.insert("sign".to_owned(), Value::String(signature));
        draft.finish(&fields)
    }
}

impl Protocol for V2 {
    /// The request as sealed: its authorization is the `sign` field already in it.
    fn authorize(&self, prepared: PreparedRequest) -> Result<http::Request<Full<Bytes>>, Error> {
        Ok(prepared.into_http())
    }

    fn check(&self, exchange: &Exchange, received: Received) -> Result<Response, Error> {
        let key = self.require_key("APIv2 answers are checked with the APIv2 key")?;
        let path = exchange.catalog_path();
        let Received { status, headers, body } = received;
        let rejection = match check_response(path, status, &body, key) {
            Ok(Checked::Verified { sign_type, .. }) => {
                let verification = Verification::V2Sign { algorithm: sign_type.as_str() };
                return Ok(Response::new(status, headers, body, verification));
            }
            Ok(_) => return Ok(Response::new(status, headers, body, Verification::V2Unsigned)),
            Err(rejection) => rejection,
        };
        let fields = rejection.map().cloned().unwrap_or_default();
        let failure = match rejection.kind() {
            RejectionKind::Decode(e) => {
                return Err(Error::Decode(DecodeError::new(
                    format!("the APIv2 answer (status {status}) is not XML this SDK accepts: {e}"),
                    None,
                )));
            }
            RejectionKind::Verification(SignError::MissingSign) => VerificationFailure::MissingV2Sign,
            RejectionKind::Verification(_) => {
                let given = fields.get("sign").and_then(Value::as_str).unwrap_or_default();
                VerificationFailure::BadV2Sign { algorithm: SignType::of_sign(given).as_str() }
            }
            RejectionKind::ResultCode => {
                return Err(Error::V2(Box::new(V2Error { status, fields, headers, body, sign_verified: true })));
            }
            _ => return Err(Error::V2(Box::new(V2Error { status, fields, headers, body, sign_verified: false }))),
        };
        tracing::warn!(path, %failure, "wechatpay APIv2 answer failed verification");
        Err(Error::Verification(Box::new(VerificationError {
            failure,
            response: Response::new(status, headers, body, Verification::Rejected),
        })))
    }
}

/// Every field of an XML body must be written under its own name: `to_xml` writes a name that is not an
/// element name as `<item>` (as wechatpay-php does), while the signature covers the real name, so WeChat Pay
/// could never verify such a request.
fn check_names(fields: &Map<String, Value>) -> Result<(), Error> {
    match fields.keys().find(|name| !crate::v2::xml::is_element_name(name)) {
        Some(name) => Err(input(
            InputErrorKind::InvalidOption,
            format!(
                "the field name `{}` cannot be an XML element name (a letter or `_`, then letters, digits, `.`, `_`, \
                 `:`, `-`); it would be sent as `<item>` but signed under its own name, which WeChat Pay cannot verify",
                name.chars().take(64).collect::<String>().escape_debug()
            ),
        )),
        None => Ok(()),
    }
}

fn check_mchid(configured: &str, fields: &Map<String, Value>) -> Result<(), Error> {
    let named = ["mch_id", "mchid", "combine_mch_id"]
        .into_iter()
        .find_map(|name| fields.get(name).filter(|v| !v.is_null()).map(|v| (name, v)));
    let Some((name, value)) = named else {
        return Err(input(
            InputErrorKind::InvalidOption,
            format!(
                "an APIv2 request must name the merchant: add `mch_id` (or `mchid` / `combine_mch_id`) = \
                 \"{configured}\" to its fields"
            ),
        ));
    };
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(input(
                InputErrorKind::InvalidOption,
                format!("`{name}` must be the merchant id as a string, not {other}"),
            ));
        }
    };
    if text != configured {
        return Err(input(
            InputErrorKind::InvalidOption,
            format!(
                "`{name}` is \"{text}\" but the client is configured for mchid \"{configured}\"; an APIv2 request \
                 can only be signed for the configured merchant"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_field_names_must_be_element_names() {
        let ok: Map<String, Value> = serde_json::from_str(r#"{"mch_id": "1", "中文": "x", "a.b-c:d": "y"}"#).unwrap();
        assert!(check_names(&ok).is_ok());
        for bad in ["1abc", "has space", "a}b", ""] {
            let fields: Map<String, Value> = [(bad.to_owned(), Value::from("v"))].into_iter().collect();
            let message = check_names(&fields).unwrap_err().to_string();
            assert!(message.contains("<item>"), "{message}");
        }
    }

    #[test]
    fn mchid_compares_as_text() {
        let ok: Map<String, Value> = serde_json::from_str(r#"{"mch_id": 1900000001}"#).unwrap();
        assert!(check_mchid("1900000001", &ok).is_ok());
        let fallback: Map<String, Value> = serde_json::from_str(r#"{"mch_id": null, "mchid": "1900000001"}"#).unwrap();
        assert!(check_mchid("1900000001", &fallback).is_ok());
        let wrong: Map<String, Value> = serde_json::from_str(r#"{"combine_mch_id": "1900000002"}"#).unwrap();
        let message = check_mchid("1900000001", &wrong).unwrap_err().to_string();
        assert!(message.contains("1900000002") && message.contains("1900000001"), "{message}");
        assert!(check_mchid("1900000001", &Map::new()).is_err());
    }
}
