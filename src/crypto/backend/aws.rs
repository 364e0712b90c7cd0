//! RSA with aws-lc-rs: PKCS#1 v1.5 SHA-256 signatures and RSA-OAEP (SHA-1, MGF1-SHA-1), keys parsed once.

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair};

use crate::crypto::oaep::OaepError;

/// The merchant's private key: signing, and OAEP decryption of the fields WeChat Pay encrypts for it.
pub(crate) struct RsaPrivate {
    pair: RsaKeyPair,
    oaep: OaepPrivateDecryptingKey,
}

impl RsaPrivate {
    /// Parses a PKCS#8 `PrivateKeyInfo` holding an RSA key.
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<RsaPrivate, String> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| e.to_string())?;
        let oaep = PrivateDecryptingKey::from_pkcs8(der)
            .map_err(|e| e.to_string())
            .and_then(|key| OaepPrivateDecryptingKey::new(key).map_err(|e| e.to_string()))?;
        Ok(RsaPrivate { pair, oaep })
    }

    /// The public half as a PKCS#1 `RSAPublicKey` DER.
    pub(crate) fn public_der(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The modulus length in bytes (the signature and ciphertext length).
    pub(crate) fn modulus_len(&self) -> usize {
        self.pair.public_modulus_len()
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub(crate) fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut out)
            .map_err(|_| "RSA signing failed".to_owned())?;
        Ok(out)
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) decryption of a ciphertext of the modulus length.
    pub(crate) fn decrypt_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Vec<u8>, OaepError> {
        let mut out = vec![0u8; self.oaep.min_output_size()];
        let plain =
            self.oaep.decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None).map_err(|_| OaepError::Decryption)?;
        let length = plain.len();
        out.truncate(length);
        Ok(out)
    }
}

/// A WeChat Pay public key: signature verification, and OAEP encryption of sensitive fields.
pub(crate) struct RsaPublic {
    verify: ParsedPublicKey,
    oaep: OaepPublicEncryptingKey,
}

impl RsaPublic {
    /// Parses a PKCS#1 `RSAPublicKey` DER (its SubjectPublicKeyInfo form is `spki`).
    pub(crate) fn from_der(pkcs1: &[u8], spki: &[u8]) -> Result<RsaPublic, String> {
        let verify = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pkcs1).map_err(|e| e.to_string())?;
        let oaep = PublicEncryptingKey::from_der(spki)
            .map_err(|e| e.to_string())
            .and_then(|key| OaepPublicEncryptingKey::new(key).map_err(|e| e.to_string()))?;
        Ok(RsaPublic { verify, oaep })
    }

    /// Whether `signature` is RSASSA-PKCS1-v1_5 SHA-256 of `message` under this key.
    pub(crate) fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verify.verify_sig(message, signature).is_ok()
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) encryption; the caller checked the length.
    pub(crate) fn encrypt_oaep_sha1(&self, plaintext: &[u8]) -> Result<Vec<u8>, OaepError> {
        let mut out = vec![0u8; self.oaep.ciphertext_size()];
        let length = self
            .oaep
            .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut out, None)
            .map_err(|_| OaepError::Key("RSA-OAEP encryption failed".to_owned()))?
            .len();
        out.truncate(length);
        Ok(out)
    }
}
