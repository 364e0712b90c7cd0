//! `GET v3/certificates` (下载平台证书): WeChat Pay's platform certificates, each encrypted with the
//! merchant's APIv3 key.
//!
//! The client downloads and installs them by itself in automatic certificate mode (see
//! [`certificates`](crate::certificates)); this model is for looking at the list.
//!
//! ```
//! use wechatpay_chain::crypto::ApiV3Key;
//! use wechatpay_sandbox::{Sandbox, SignMode};
//! use wechatpay_chain::typed::certificates::QueryCertificates;
//!
//! // Merchants on the WeChat Pay public key have no platform certificates (the list answers 404).
//! let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start()?;
//! let client = sandbox.client_builder().build()?;
//! let list = client.call(QueryCertificates)?;
//! let newest = &list.data[0];
//! assert_eq!(newest.serial_no, sandbox.keys().platform_serial());
//! let key = ApiV3Key::new(sandbox.keys().apiv3_key()).expect("32 bytes");
//! assert!(newest.encrypt_certificate.decrypt(&key)?.starts_with("-----BEGIN CERTIFICATE-----"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::crypto::{ApiV3Key, aead};
use crate::error::{DecodeError, Error};
use crate::typed::Endpoint;

/// `GET v3/certificates`: the unexpired platform certificates; the answer is [`Certificates`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Endpoint)]
#[endpoint(method = "GET", path = "v3/certificates", response = Certificates)]
pub struct QueryCertificates;

/// The answer to [`QueryCertificates`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificates {
    /// The certificates.
    pub data: Vec<Certificate>,
}

/// One platform certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The certificate's serial number (what `Wechatpay-Serial` names).
    pub serial_no: String,
    /// When it becomes valid (RFC 3339).
    pub effective_time: String,
    /// When it expires (RFC 3339).
    pub expire_time: String,
    /// The certificate, encrypted.
    pub encrypt_certificate: EncryptCertificate,
}

/// `encrypt_certificate`: a PEM certificate encrypted with AES-256-GCM under the APIv3 key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptCertificate {
    /// `AEAD_AES_256_GCM`.
    pub algorithm: String,
    /// The nonce.
    pub nonce: String,
    /// The associated data (`certificate`).
    pub associated_data: String,
    /// The base64 ciphertext with its tag.
    pub ciphertext: String,
}

impl EncryptCertificate {
    /// The PEM certificate, decrypted with the APIv3 key. Fails for another algorithm, a ciphertext that
    /// does not decrypt under `key`, or plain text that is not UTF-8. (The certificate is not checked;
    /// the client's automatic download does that before trusting one.)
    pub fn decrypt(&self, key: &ApiV3Key) -> Result<String, Error> {
        let fail = |message: String| Error::Decode(DecodeError::new(message, None));
        if self.algorithm != crate::notify::ALGORITHM {
            return Err(fail(format!("encrypt_certificate.algorithm is `{}`, not AEAD_AES_256_GCM", self.algorithm)));
        }
        let plain = aead::decrypt(key, self.nonce.as_bytes(), self.associated_data.as_bytes(), &self.ciphertext)
            .map_err(|e| fail(format!("the certificate does not decrypt: {e}")))?;
        String::from_utf8(plain).map_err(|_| fail("the decrypted certificate is not text".to_owned()))
    }
}
