//! RSA with ring (signatures) and RustCrypto `rsa` (RSA-OAEP, which ring lacks), keys parsed once.

use ring::signature::{self, KeyPair, RsaKeyPair};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePrivateKey;

use crate::crypto::oaep::OaepError;

/// The merchant's private key: signing, and OAEP decryption of the fields WeChat Pay encrypts for it.
pub(crate) struct RsaPrivate {
    pair: RsaKeyPair,
    oaep: rsa::PrivateKey,
}

impl RsaPrivate {
    /// Parses a PKCS#8 `PrivateKeyInfo` holding an RSA key.
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<RsaPrivate, String> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| e.to_string())?;
        let oaep = rsa::PrivateKey::from_pkcs8_der(der).map_err(|e| e.to_string())?;
        Ok(RsaPrivate { pair, oaep })
    }

    /// The public half as a PKCS#1 `RSAPublicKey` DER.
    pub(crate) fn public_der(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The modulus length in bytes (the signature and ciphertext length).
    pub(crate) fn modulus_len(&self) -> usize {
        self.pair.public().modulus_len()
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub(crate) fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), message, &mut out)
            .map_err(|_| "RSA signing failed (system random source unavailable?)".to_owned())?;
        Ok(out)
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) decryption of a ciphertext of the modulus length.
    pub(crate) fn decrypt_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Vec<u8>, OaepError> {
        self.oaep.oaep_decrypt_with_rng::<sha1::Sha1, _>(&mut getrandom::SysRng, ciphertext).map_err(|e| match e {
            rsa::Error::Rng => OaepError::Random,
            _ => OaepError::Decryption,
        })
    }
}

/// A WeChat Pay public key: signature verification, and OAEP encryption of sensitive fields.
pub(crate) struct RsaPublic {
    pkcs1: Box<[u8]>,
    oaep: rsa::PublicKey,
}

impl RsaPublic {
    /// Parses a PKCS#1 `RSAPublicKey` DER (its SubjectPublicKeyInfo form `_spki` is not needed here).
    pub(crate) fn from_der(pkcs1: &[u8], _spki: &[u8]) -> Result<RsaPublic, String> {
        let oaep = rsa::PublicKey::from_pkcs1_der(pkcs1).map_err(|e| e.to_string())?;
        Ok(RsaPublic { pkcs1: pkcs1.into(), oaep })
    }

    /// Whether `signature` is RSASSA-PKCS1-v1_5 SHA-256 of `message` under this key.
    pub(crate) fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.pkcs1[..])
            .verify(message, signature)
            .is_ok()
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) encryption; the caller checked the length.
    pub(crate) fn encrypt_oaep_sha1(&self, plaintext: &[u8]) -> Result<Vec<u8>, OaepError> {
        self.oaep.oaep_encrypt_with_rng::<sha1::Sha1, _>(&mut getrandom::SysRng, plaintext).map_err(|e| match e {
            rsa::Error::Rng => OaepError::Random,
            other => OaepError::Key(other.to_string()),
        })
    }
}
