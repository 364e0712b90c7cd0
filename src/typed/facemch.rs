//! 刷脸用户信息: `GET v3/facemch/users/{face_sid}`, the user behind a face-recognition `face_sid`.
//!
//! With [`InfoType::AskRealName`] the answer carries [`RealNameInfo`]: the name and credential number,
//! encrypted for the merchant; [`RealNameInfo::decrypt`] turns them into [`RealName`], whose personal
//! fields never show in `Debug`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::crypto::Sensitive;
use crate::error::Error;
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

/// The answer to [`QueryFaceUser`]. Ids only; the personal data inside [`RealNameInfo`] stays encrypted
/// until [`RealNameInfo::decrypt`].
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
    /// The encrypted real-name information (`ASK_REAL_NAME` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_name_info: Option<RealNameInfo>,
}

/// `real_name_info`: the name and credential number as WeChat Pay sent them, RSA-OAEP-encrypted for the
/// merchant and base64-encoded. `Debug` shows only the ciphertext lengths.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameInfo {
    /// The encrypted name.
    pub encrypted_real_name: String,
    /// The kind of credential.
    pub credential_type: CredentialType,
    /// The encrypted credential number.
    pub encrypted_credential_id: String,
}

impl fmt::Debug for RealNameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealNameInfo")
            .field("encrypted_real_name", &format_args!("<ciphertext, {} bytes>", self.encrypted_real_name.len()))
            .field("credential_type", &self.credential_type)
            .field(
                "encrypted_credential_id",
                &format_args!("<ciphertext, {} bytes>", self.encrypted_credential_id.len()),
            )
            .finish()
    }
}

impl RealNameInfo {
    /// Decrypts the name and the credential number with the client's merchant private key (see
    /// [`Client::decrypt_sensitive`] for the errors).
    pub fn decrypt(&self, client: &Client) -> Result<RealName, Error> {
        Ok(RealName {
            real_name: client.decrypt_sensitive(&self.encrypted_real_name)?,
            credential_type: self.credential_type,
            credential_id: client.decrypt_sensitive(&self.encrypted_credential_id)?,
        })
    }
}

/// Decrypted real-name information. `Debug` redacts the name and the number.
#[derive(Debug)]
pub struct RealName {
    /// The user's name.
    pub real_name: Sensitive,
    /// The kind of credential.
    pub credential_type: CredentialType,
    /// The credential number.
    pub credential_id: Sensitive,
}

/// `credential_type`: the kind of credential behind the real name.
///
/// WeChat Pay documents the values `1` to `11` for this API; `1` is the resident identity card (身份证).
/// The sources at hand do not say which credential each of the others is, so they are kept as
/// [`Unknown`](CredentialType::Unknown) with their number rather than guessed; a value added later never
/// breaks deserialization either. Serializes back to the same number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum CredentialType {
    /// `1`: 身份证, the mainland resident identity card.
    IdCard,
    /// Any other value, as sent.
    Unknown(i64),
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
