//! Sensitive fields (敏感信息) through the client: an encryptor under the key it names in
//! `Wechatpay-Serial`, and decryption with the merchant private key.

use super::Client;
use crate::crypto::OaepError;
use crate::error::Error;
use crate::sensitive::{Sensitive, SensitiveEncryptor};

impl Client {
    /// An encryptor for the sensitive fields of one request, under the key this client names in
    /// `Wechatpay-Serial` ([`KeyStore::preferred_id`](crate::auth::KeyStore::preferred_id) now): the WeChat
    /// Pay public key, else the newest valid platform certificate. The key is picked once, so every field
    /// of the request shares it; pair it with [`Options::encrypted_with`](crate::Options::encrypted_with).
    ///
    /// Fails with a configuration error when the client has no WeChat Pay key to encrypt with (in
    /// automatic certificate mode before the first download, call
    /// [`refresh_certificates`](Client::refresh_certificates) first). See the [module](crate::sensitive)
    /// example.
    pub fn sensitive_encryptor(&self) -> Result<SensitiveEncryptor, Error> {
        let keys = self.keys();
        let found = keys.preferred_id(self.now()).and_then(|id| keys.get(&id).map(|key| (id, key)));
        let Some((key_id, key)) = found else {
            return Err(Error::config(
                "certs",
                "no WeChat Pay key to encrypt sensitive fields with: add the WeChat Pay public key with \
                 .public_key(\"PUB_KEY_ID_…\", \"file:///path/to/pub_key.pem\") or a valid platform certificate with \
                 .cert(\"<serial>\", \"file:///path/to/wechatpay_<serial>.pem\"); with .apiv3_key(…) alone, call \
                 client.refresh_certificates() first",
            ));
        };
        Ok(SensitiveEncryptor::new(key_id, key))
    }

    /// Decrypts a sensitive field WeChat Pay encrypted for the merchant (e.g. `real_name_info.encrypted_real_name`)
    /// with the merchant private key. The result never shows its content in `Debug` or `Display`. Nothing
    /// is sent, so the error is the local [`OaepError`] (it converts into [`Error::Sensitive`] with `?`).
    ///
    /// A ciphertext that does not decrypt says why (WeChat Pay uses RSA-OAEP with SHA-1; PKCS#1 v1.5,
    /// OAEP-SHA256 and ciphertexts for another key are refused). A client built with a custom
    /// [`Signer`](crate::auth::Signer) that holds no private key gets [`OaepError::Key`].
    pub fn decrypt_sensitive(&self, ciphertext_base64: &str) -> Result<Sensitive, OaepError> {
        let Some(key) = self.signer_ref().private_key() else {
            return Err(OaepError::Key(
                "decrypting sensitive fields needs the merchant private key, but this client signs with a custom \
                 Signer that holds none; decrypt where the key is (RSA-OAEP, SHA-1), or implement \
                 `Signer::private_key`"
                    .to_owned(),
            ));
        };
        key.decrypt_oaep(ciphertext_base64)
    }
}
