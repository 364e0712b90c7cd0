//! 刷脸用户信息: `GET v3/facemch/users/{face_sid}`, the user behind a face-recognition `face_sid`.
//!
//! With [`InfoType::AskRealName`] the answer carries [`RealName`]: the name and credential number, which
//! WeChat Pay encrypts for the merchant and [`Client::call`](crate::Client::call) decrypts while parsing;
//! they never show in `Debug`.

use serde::{Deserialize, Serialize};

use crate::crypto::Sensitive;
use crate::typed::Endpoint;

/// What [`QueryFaceUser`] asks for (`info_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InfoType {
    /// `ASK_UNIONID`: the user's ids (`union_id`, `openid`, `sub_openid`).
    AskUnionid,
    /// `ASK_REAL_NAME`: the ids and the encrypted real-name information (needs WeChat Pay's permission).
    AskRealName,
}

/// `GET v3/facemch/users/{face_sid}`: query the user behind a `face_sid`.
///
/// Send it with [`Client::call`](crate::Client::call); the answer is a [`FaceUser`].
#[derive(Clone, Debug, PartialEq, Eq, Endpoint)]
#[endpoint(method = "GET", path = "v3/facemch/users/{face_sid}", response = FaceUser)]
pub struct QueryFaceUser {
    /// The credential the face-recognition device returned for the user.
    #[param]
    pub face_sid: String,
    /// What to ask for.
    #[query]
    pub info_type: InfoType,
    /// The merchant's (service provider's) appid.
    #[query]
    pub appid: String,
    /// The sub-merchant id (service-provider mode).
    #[query]
    pub sub_mchid: Option<String>,
    /// The sub-merchant's appid; the answer then has `sub_openid`.
    #[query]
    pub sub_appid: Option<String>,
    /// The sub-merchant's certificate serial (service-provider mode, when asking for the real name).
    #[query]
    pub sub_serial_no: Option<String>,
}

impl QueryFaceUser {
    /// A direct-merchant query: `face_sid`, `info_type` and `appid`, no sub-merchant fields.
    pub fn new(face_sid: impl Into<String>, info_type: InfoType, appid: impl Into<String>) -> Self {
        QueryFaceUser {
            face_sid: face_sid.into(),
            info_type,
            appid: appid.into(),
            sub_mchid: None,
            sub_appid: None,
            sub_serial_no: None,
        }
    }
}

/// The answer to [`QueryFaceUser`]: the user's ids and, for [`InfoType::AskRealName`], the real name,
/// already decrypted (see [`RealName`]).
///
/// A `FaceUser` with `real_name_info` does not serialize (that would write the name and number as plain
/// text); without it, it serializes back to the JSON it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceUser {
    /// The user's id under `appid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// The user's UnionID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub union_id: Option<String>,
    /// The user's id under `sub_appid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_openid: Option<String>,
    /// The real-name information (`ASK_REAL_NAME` only), decrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_name_info: Option<RealName>,
}

/// `real_name_info`: the user's name and credential. WeChat Pay sends the name and the number
/// RSA-OAEP-encrypted for the merchant (`encrypted_real_name`, `encrypted_credential_id`); they are
/// decrypted with the merchant private key while the answer is parsed ([`decrypt`](crate::typed::decrypt)),
/// and `Debug` shows neither.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealName {
    /// The user's name (`encrypted_real_name` on the wire).
    #[serde(rename = "encrypted_real_name", with = "crate::typed::decrypt")]
    pub real_name: Sensitive,
    /// The kind of credential.
    pub credential_type: CredentialType,
    /// The credential number (`encrypted_credential_id` on the wire).
    #[serde(rename = "encrypted_credential_id", with = "crate::typed::decrypt")]
    pub credential_id: Sensitive,
}

/// `credential_type`: the kind of credential behind the real name.
///
/// WeChat Pay documents the values `1` to `11` for this API without naming them in the public reference
/// (wechatpay.im's page for `v3/facemch/users/{face_sid}`, which mirrors WeChat Pay's face-payment
/// real-name document `wxfacepay/develop/*/sid.html`); the same documents call the credential number
/// 身份证号. `1` as the resident identity card follows that and Tencent's usual numbering, and is what the
/// sandbox sends. The other values are kept as [`Unknown`](CredentialType::Unknown) with their number
/// rather than guessed; a value added later never breaks deserialization either. Serializes back to the
/// same number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum CredentialType {
    /// `1`: 身份证, the mainland resident identity card.
    IdCard,
    /// Any other value, as sent.
    Unknown(i64),
}

impl CredentialType {
    /// The wire value.
    ///
    /// ```
    /// use wechatpay_chain::typed::facemch::CredentialType;
    /// assert_eq!(CredentialType::from(1), CredentialType::IdCard);
    /// assert_eq!(CredentialType::from(7).code(), 7);
    /// ```
    pub fn code(self) -> i64 {
        i64::from(self)
    }
}

impl From<i64> for CredentialType {
    fn from(value: i64) -> Self {
        match value {
            1 => CredentialType::IdCard,
            other => CredentialType::Unknown(other),
        }
    }
}

impl From<CredentialType> for i64 {
    fn from(value: CredentialType) -> Self {
        match value {
            CredentialType::IdCard => 1,
            CredentialType::Unknown(other) => other,
        }
    }
}
