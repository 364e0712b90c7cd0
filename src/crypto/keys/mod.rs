//! RSA key loading in every form the PHP SDK accepts, parsed once.
//!
//! | input | private key | public key |
//! | --- | --- | --- |
//! | PEM text, LF or CRLF | `BEGIN PRIVATE KEY` (PKCS#8), `BEGIN RSA PRIVATE KEY` (PKCS#1) | `BEGIN CERTIFICATE` (X.509), `BEGIN PUBLIC KEY` (SPKI), `BEGIN RSA PUBLIC KEY` (PKCS#1) |
//! | `file://<path>` | a file holding one of the above (PEM or DER) | same |
//! | pseudo-URL, base64 DER | `private.pkcs8://…`, `private.pkcs1://…` | `public.spki://…`, `public.pkcs1://…` |
//!
//! The same forms load through typed constructors: `from_pem` (text), `from_pem_file` (a path; PEM
//! or DER inside) and `from_der`. Every failure is a [`KeyError`] with a [`KeyErrorKind`].
//!
//! Encrypted private keys are refused (decrypt them first). Keys must be RSA with a 2048–8192-bit
//! modulus, which is what WeChat Pay issues and what the verifier accepts. Each key is handed to the
//! crypto backend once, at load: signing, verifying and RSA-OAEP then use the parsed key.

mod error;
mod source;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};
use x509_cert::Certificate;
use x509_cert::spki::SubjectPublicKeyInfoRef;

pub use self::error::{KeyError, KeyErrorKind};
use self::source::{Form, Material, Role};
use super::backend::{RsaPrivate, RsaPublic};
use super::oaep::{self, OaepError, Sensitive};

/// `rsaEncryption`, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
#[derive(Sequence)]
pub(super) struct RsaPublicKeyDer<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// The merchant's RSA private key (`apiclient_key.pem`), parsed once by the crypto backend (signing
/// and RSA-OAEP decryption). `Debug` never shows key material.
#[derive(Clone)]
pub struct PrivateKey {
    key: Arc<RsaPrivate>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA-{}, redacted)", self.key.modulus_len() * 8)
    }
}

impl PrivateKey {
    /// Loads a private key from PEM text, a `file://` path, or `private.pkcs8://` / `private.pkcs1://`
    /// base64. The error says what was given instead and what to load.
    ///
    /// ```
    /// use wechatpay_chain::crypto::PrivateKey;
    /// let key = PrivateKey::load("file://tests/data/keys/merchant_apiclient_key.pem").unwrap();
    /// assert_eq!(format!("{key:?}"), "PrivateKey(RSA-2048, redacted)");
    /// assert!(PrivateKey::load("file://tests/data/keys/platform_cert.pem").is_err());
    /// ```
    pub fn load(input: &str) -> Result<PrivateKey, KeyError> {
        PrivateKey::from_material(source::php_string(input, Role::Private)?)
    }

    /// Loads a private key from PEM text: `BEGIN PRIVATE KEY` (PKCS#8) or `BEGIN RSA PRIVATE KEY`
    /// (PKCS#1).
    ///
    /// ```
    /// use wechatpay_chain::crypto::{KeyErrorKind, PrivateKey};
    /// let pem = std::fs::read_to_string("tests/data/keys/merchant_apiclient_key.pem")?;
    /// let key = PrivateKey::from_pem(&pem)?;
    /// assert_eq!(key.bits(), 2048);
    /// let e = PrivateKey::from_pem("file://tests/data/keys/merchant_apiclient_key.pem").unwrap_err();
    /// assert_eq!(e.kind(), KeyErrorKind::Format); // a path is not PEM: use `from_pem_file` or `load`
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_pem(pem: &str) -> Result<PrivateKey, KeyError> {
        PrivateKey::from_material(source::pem_text(pem)?)
    }

    /// Loads a private key from a file holding it as PEM or DER (PKCS#8 or PKCS#1). The file must be
    /// a regular file of at most 1 MiB.
    ///
    /// ```
    /// use wechatpay_chain::crypto::PrivateKey;
    /// let key = PrivateKey::from_pem_file("tests/data/keys/merchant_apiclient_key.pem")?;
    /// # Ok::<(), wechatpay_chain::crypto::KeyError>(())
    /// ```
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<PrivateKey, KeyError> {
        PrivateKey::from_material(source::file(path.as_ref())?)
    }

    /// Loads a private key from DER bytes: PKCS#8 `PrivateKeyInfo` or PKCS#1 `RSAPrivateKey`.
    pub fn from_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        PrivateKey::from_material(source::der(der.to_vec())?)
    }

    fn from_material(material: Material) -> Result<PrivateKey, KeyError> {
        let pkcs8 = match material.form {
            Form::Pkcs8Private => material.der,
            Form::Pkcs1Private => super::pkcs8_from_pkcs1(&material.der)
                .map_err(|e| KeyError::new(KeyErrorKind::Malformed, format!("the PKCS#1 private key {e}")))?,
            other => return Err(other.not_private()),
        };
        let key = RsaPrivate::from_pkcs8(&pkcs8).map_err(|e| {
            KeyError::new(
                KeyErrorKind::Backend,
                format!(
                    "the private key was rejected ({e}); it must be an unencrypted RSA key of 2048–8192 bits such as \
                     the merchant's apiclient_key.pem"
                ),
            )
        })?;
        check_bits(key.modulus_len() * 8)?;
        check_pair(&key)?;
        Ok(PrivateKey { key: Arc::new(key) })
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.modulus_len() * 8
    }

    /// The matching public key as a PKCS#1 `RSAPublicKey` DER.
    pub fn public_key_der(&self) -> &[u8] {
        self.key.public_der()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        // The backend produced this DER from a key it accepted, so it parses; should it not, the
        // error is kept and surfaces when the key is used.
        match from_rsa_der(self.key.public_der(), None) {
            Ok(key) => key,
            Err(e) => PublicKey {
                der: Arc::from(self.key.public_der()),
                bits: self.key.modulus_len() * 8,
                certificate: None,
                key: Err(e.to_string()),
            },
        }
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 ("SHA256withRSA") over `message`.
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.key.sign_sha256(message).map_err(|e| KeyError::new(KeyErrorKind::Backend, e))
    }

    /// Decrypts a sensitive field WeChat Pay encrypted for the merchant: base64 RSA-OAEP with SHA-1,
    /// MGF1-SHA-1 and an empty label (ASCII whitespace in the base64 is ignored). PKCS#1 v1.5 and
    /// OAEP-SHA256 ciphertexts are refused with [`OaepError::Decryption`].
    ///
    /// ```
    /// use wechatpay_chain::crypto::{PrivateKey, PublicKey};
    /// let private = PrivateKey::load("file://tests/data/keys/merchant_apiclient_key.pem").unwrap();
    /// let public = PublicKey::load("file://tests/data/keys/merchant_apiclient_cert.pem").unwrap();
    /// let ciphertext = public.encrypt_oaep("张三").unwrap();
    /// let name = private.decrypt_oaep(&ciphertext).unwrap();
    /// assert_eq!(name.expose(), "张三");
    /// assert_eq!(format!("{name:?}"), "Sensitive(<redacted, 6 bytes>)");
    /// ```
    pub fn decrypt_oaep(&self, ciphertext_base64: &str) -> Result<Sensitive, OaepError> {
        let ciphertext = oaep::ciphertext_bytes(ciphertext_base64, self.key.modulus_len())?;
        let plain = self.key.decrypt_oaep_sha1(&ciphertext)?;
        String::from_utf8(plain).map(Sensitive::from).map_err(|_| OaepError::NotUtf8)
    }
}

/// Signs a fixed message and verifies it with the key's own public half. A backend may accept a key whose
/// CRT parameters (`dP`, `dQ`, `qInv`) do not match its modulus and only notice when signing (ring does), so
/// such a damaged key would load and then fail every request; it is refused here, once, instead.
fn check_pair(key: &RsaPrivate) -> Result<(), KeyError> {
    const PROBE: &[u8] = b"wechatpay-chain private key consistency check";
    let damaged = || {
        KeyError::new(
            KeyErrorKind::Malformed,
            "the private key failed a test signature: it is damaged (its CRT parameters do not match its modulus) \
             or the system random source failed; load an intact copy of apiclient_key.pem",
        )
    };
    let signature = key.sign_sha256(PROBE).map_err(|_| damaged())?;
    let public = from_rsa_der(key.public_der(), None).map_err(|_| damaged())?;
    match public.verify_sha256(PROBE, &signature) {
        true => Ok(()),
        false => Err(damaged()),
    }
}

/// Facts about the X.509 certificate a [`PublicKey`] came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// Serial as WeChat Pay writes it in `Wechatpay-Serial`: uppercase hex, leading zero bytes dropped.
    pub serial: String,
    /// `notBefore`, Unix seconds.
    pub not_before: i64,
    /// `notAfter`, Unix seconds.
    pub not_after: i64,
}

/// An RSA public key (WeChat Pay platform certificate or WeChat Pay public key), parsed once.
#[derive(Clone)]
pub struct PublicKey {
    der: Arc<[u8]>,
    bits: usize,
    certificate: Option<CertificateInfo>,
    /// The key parsed by the crypto backend, or why it refused it.
    key: Result<Arc<RsaPublic>, String>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("PublicKey");
        s.field("bits", &self.bits);
        if let Some(cert) = &self.certificate {
            s.field("certificate_serial", &cert.serial);
        }
        s.finish()
    }
}

impl PublicKey {
    /// Loads a public key from an X.509 certificate, SPKI or PKCS#1 PEM, a `file://` path, or
    /// `public.spki://` / `public.pkcs1://` base64.
    ///
    /// ```
    /// use wechatpay_chain::crypto::PublicKey;
    /// let cert = PublicKey::load("file://tests/data/keys/platform_cert.pem").unwrap();
    /// assert_eq!(cert.certificate().unwrap().serial, "7B9F2C366F58149F90CC94CDEEAD667C4816FFDC");
    /// let key = PublicKey::load("file://tests/data/keys/platform_public_key.pem").unwrap();
    /// assert_eq!(key.rsa_public_key_der(), cert.rsa_public_key_der());
    /// ```
    pub fn load(input: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_material(source::php_string(input, Role::Public)?)
    }

    /// Loads a public key from PEM text: `BEGIN CERTIFICATE` (X.509), `BEGIN PUBLIC KEY` (SPKI) or
    /// `BEGIN RSA PUBLIC KEY` (PKCS#1).
    ///
    /// ```
    /// use wechatpay_chain::crypto::PublicKey;
    /// let pem = std::fs::read_to_string("tests/data/keys/wechatpay_public_key.pem")?;
    /// let key = PublicKey::from_pem(&pem)?;
    /// assert_eq!(key.bits(), 2048);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_material(source::pem_text(pem)?)
    }

    /// Loads a public key from a file holding a certificate, SPKI or PKCS#1 public key as PEM or DER.
    /// The file must be a regular file of at most 1 MiB.
    ///
    /// ```
    /// use wechatpay_chain::crypto::PublicKey;
    /// let cert = PublicKey::from_pem_file("tests/data/keys/platform_cert.pem")?;
    /// assert!(cert.certificate().is_some());
    /// # Ok::<(), wechatpay_chain::crypto::KeyError>(())
    /// ```
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<PublicKey, KeyError> {
        PublicKey::from_material(source::file(path.as_ref())?)
    }

    /// Loads a public key from DER bytes: an X.509 certificate, a SubjectPublicKeyInfo or a PKCS#1
    /// `RSAPublicKey`.
    pub fn from_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        PublicKey::from_material(source::der(der.to_vec())?)
    }

    fn from_material(material: Material) -> Result<PublicKey, KeyError> {
        match material.form {
            Form::Certificate => from_certificate(&material.der),
            Form::Spki => {
                let spki = SubjectPublicKeyInfoRef::from_der(&material.der)
                    .map_err(|e| malformed(format!("the `PUBLIC KEY` is not a valid SubjectPublicKeyInfo ({e})")))?;
                from_spki(spki, None)
            }
            Form::Pkcs1Public => from_rsa_der(&material.der, None),
            other => Err(other.not_public()),
        }
    }

    /// The PKCS#1 `RSAPublicKey` DER that signatures are verified with.
    pub fn rsa_public_key_der(&self) -> &[u8] {
        &self.der
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Certificate facts when the key was loaded from an X.509 certificate.
    pub fn certificate(&self) -> Option<&CertificateInfo> {
        self.certificate.as_ref()
    }

    /// Whether `signature` is a valid SHA256withRSA signature of `message` under this key.
    pub fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.as_ref().is_ok_and(|key| key.verify_sha256(message, signature))
    }

    /// Encrypts a sensitive field for WeChat Pay under this key: RSA-OAEP with SHA-1, MGF1-SHA-1 and an
    /// empty label, base64. The ciphertext is random each time. At most
    /// [`oaep_max_plaintext`](super::oaep_max_plaintext) bytes of UTF-8 (214 for a 2048-bit key).
    ///
    /// Send the id of this key in `Wechatpay-Serial` with the request; [`Client::sensitive_encryptor`]
    /// keeps the two together.
    ///
    /// [`Client::sensitive_encryptor`]: crate::Client::sensitive_encryptor
    ///
    /// ```
    /// use wechatpay_chain::crypto::{OaepError, PublicKey};
    /// let key = PublicKey::load("file://tests/data/keys/wechatpay_public_key.pem").unwrap();
    /// assert_eq!(key.encrypt_oaep("张三").unwrap().len(), 344); // 256 bytes, base64
    /// assert!(matches!(key.encrypt_oaep(&"a".repeat(215)), Err(OaepError::TooLong { max: 214, .. })));
    /// ```
    pub fn encrypt_oaep(&self, plaintext: &str) -> Result<String, OaepError> {
        let key = self.key.as_ref().map_err(|e| OaepError::Key(e.clone()))?;
        let max = oaep::oaep_max_plaintext(self.bits);
        if plaintext.len() > max {
            return Err(OaepError::TooLong { length: plaintext.len(), max, bits: self.bits });
        }
        Ok(STANDARD.encode(key.encrypt_oaep_sha1(plaintext.as_bytes())?))
    }
}

fn malformed(message: String) -> KeyError {
    KeyError::new(KeyErrorKind::Malformed, message)
}

fn check_bits(bits: usize) -> Result<(), KeyError> {
    if (2048..=8192).contains(&bits) {
        return Ok(());
    }
    Err(KeyError::new(
        KeyErrorKind::Unsupported,
        format!("the RSA key has {bits} bits; WeChat Pay keys have 2048 (2048–8192 are accepted)"),
    ))
}

fn from_certificate(der_bytes: &[u8]) -> Result<PublicKey, KeyError> {
    let cert = Certificate::from_der(der_bytes)
        .map_err(|e| malformed(format!("the X.509 certificate cannot be parsed ({e})")))?;
    let tbs = cert.tbs_certificate();
    let serial_bytes = tbs.serial_number().as_bytes();
    let first = serial_bytes.iter().position(|&b| b != 0).unwrap_or(serial_bytes.len().saturating_sub(1));
    let serial: String = serial_bytes[first..].iter().map(|b| format!("{b:02X}")).collect();
    let validity = tbs.validity();
    let info = CertificateInfo {
        serial,
        not_before: unix(validity.not_before.to_unix_duration()),
        not_after: unix(validity.not_after.to_unix_duration()),
    };
    let spki_der = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|e| malformed(format!("the certificate's public key cannot be re-encoded ({e})")))?;
    let spki = SubjectPublicKeyInfoRef::from_der(&spki_der)
        .map_err(|e| malformed(format!("the certificate's public key is malformed ({e})")))?;
    from_spki(spki, Some(info))
}

fn unix(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn from_spki(spki: SubjectPublicKeyInfoRef<'_>, info: Option<CertificateInfo>) -> Result<PublicKey, KeyError> {
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return Err(KeyError::new(
            KeyErrorKind::Unsupported,
            format!(
                "the key algorithm is {}, not RSA; WeChat Pay platform certificates and public keys are RSA",
                spki.algorithm.oid
            ),
        ));
    }
    let raw = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| malformed("the public key bit string has unused bits".to_owned()))?;
    from_rsa_der(raw, info)
}

fn from_rsa_der(der_bytes: &[u8], info: Option<CertificateInfo>) -> Result<PublicKey, KeyError> {
    let key = RsaPublicKeyDer::from_der(der_bytes)
        .map_err(|e| malformed(format!("the RSA public key is malformed ({e})")))?;
    let modulus = key.modulus.as_bytes();
    let bits = modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
    check_bits(bits)?;
    if key.public_exponent.as_bytes().is_empty() {
        return Err(malformed("the RSA public exponent is zero".to_owned()));
    }
    let spki = super::spki_from_pkcs1(der_bytes).map_err(malformed)?;
    let key = RsaPublic::from_der(der_bytes, &spki).map(Arc::new);
    Ok(PublicKey { der: Arc::from(der_bytes), bits, certificate: info, key })
}

#[cfg(test)]
mod tests;
