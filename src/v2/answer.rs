//! An APIv2 answer, as the client returns it: checked by [`check_response`](super::check_response),
//! then turned into a [`Response`] or the crate's [`Error`].

use serde_json::Value;

use super::response::{Checked, RejectionKind, check_response};
use super::{ApiV2Key, SignError, SignType};
use crate::error::{DecodeError, Error, V2Error, VerificationError, VerificationFailure};
use crate::response::{Response, Verification};
use crate::transport::Received;

/// Checks an APIv2 answer to `path` (the URL path without a base URI prefix).
pub(crate) fn answer(path: &str, received: Received, key: &ApiV2Key) -> Result<Response, Error> {
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
