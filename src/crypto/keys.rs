//! RSA key loading in every form the PHP SDK accepts, parsed once.
//!
//! | input | private key | public key |
//! | --- | --- | --- |
//! | PEM text, LF or CRLF | `BEGIN PRIVATE KEY` (PKCS#8), `BEGIN RSA PRIVATE KEY` (PKCS#1) | `BEGIN CERTIFICATE` (X.509), `BEGIN PUBLIC KEY` (SPKI), `BEGIN RSA PUBLIC KEY` (PKCS#1) |
//! | `file://<path>` | a file holding one of the above (PEM or DER) | same |
//! | pseudo-URL, base64 DER | `private.pkcs8://…`, `private.pkcs1://…` | `public.spki://…`, `public.pkcs1://…` |
//!
//! Encrypted private keys are refused (decrypt them first). Keys must be RSA with a 2048–8192-bit
//! modulus, which is what WeChat Pay issues and what the verifier (ring) accepts.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair};
use x509_cert::Certificate;
use x509_cert::spki::SubjectPublicKeyInfoRef;

use super::oaep::{self, OaepError, Sensitive};
use super::pem;

/// `rsaEncryption`, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
#[derive(Sequence)]
struct RsaPublicKeyDer<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// The merchant's RSA private key (`apiclient_key.pem`), parsed once. `Debug` never shows key material.
///
/// It is held twice: as a ring key pair (signing) and as an `rsa` key (RSA-OAEP decryption of sensitive
/// fields, which ring cannot do), both parsed at load.
#[derive(Clone)]
pub struct PrivateKey {
    pair: Arc<RsaKeyPair>,
    /// The same key for OAEP decryption, or why `rsa` refused it (signing still works then).
    oaep: Result<Arc<rsa::PrivateKey>, String>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA-{}, redacted)", self.pair.public().modulus_len() * 8)
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
    pub fn load(input: &str) -> Result<PrivateKey, String> {
        let material = resolve(input, Role::Private)?;
        let pair = match material.kind {
            Kind::Pkcs8Private => RsaKeyPair::from_pkcs8(&material.der).map_err(|e| {
                format!(
                    "the PKCS#8 private key was rejected ({e}); it must be an unencrypted RSA key of 2048–8192 bits \
                     such as the merchant's apiclient_key.pem"
                )
            })?,
            Kind::Pkcs1Private => RsaKeyPair::from_der(&material.der).map_err(|e| {
                format!("the PKCS#1 RSA private key was rejected ({e}); it must be a valid RSA key of 2048–8192 bits")
            })?,
            other => return Err(other.not_private()),
        };
        check_pair(&pair)?;
        let oaep = match material.kind {
            Kind::Pkcs8Private => <rsa::PrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(&material.der)
                .map_err(|e| e.to_string()),
            _ => <rsa::PrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_der(&material.der)
                .map_err(|e| e.to_string()),
        };
        Ok(PrivateKey { pair: Arc::new(pair), oaep: oaep.map(Arc::new) })
    }

    /// The matching public key as a PKCS#1 `RSAPublicKey` DER.
    pub fn public_key_der(&self) -> &[u8] {
        self.pair.public().as_ref()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let der = self.public_key_der();
        PublicKey {
            der: Arc::from(der),
            bits: self.pair.public().modulus_len() * 8,
            certificate: None,
            oaep: match &self.oaep {
                Ok(key) => Ok(Arc::new(key.to_public_key())),
                Err(_) => rsa_public(der),
            },
        }
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 ("SHA256withRSA") over `message`.
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut out)
            .map_err(|_| "RSA signing failed (system random source unavailable?)".to_owned())?;
        Ok(out)
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
        let key = self.oaep.as_ref().map_err(|e| OaepError::Key(e.clone()))?;
        oaep::decrypt(key, self.pair.public().modulus_len(), ciphertext_base64)
    }
}

/// Signs a fixed message and verifies it with the key's own public half. ring accepts a key whose CRT
/// parameters (`dP`, `dQ`, …) do not match its modulus and only notices when signing, so such a damaged key
/// would load and then fail every request with a signing error; it is refused here instead.
fn check_pair(pair: &RsaKeyPair) -> Result<(), String> {
    const PROBE: &[u8] = b"wechatpay-chain private key consistency check";
    let damaged = || {
        "the private key failed a test signature: it is damaged (its CRT parameters do not match its modulus) \
         or the system random source failed; load an intact copy of apiclient_key.pem"
            .to_owned()
    };
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), PROBE, &mut signature).map_err(|_| damaged())?;
    signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pair.public().as_ref())
        .verify(PROBE, &signature)
        .map_err(|_| damaged())
}

/// Facts about the X.509 certificate a [`PublicKey`] came from.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The same key for OAEP encryption (ring cannot encrypt), or why `rsa` refused it.
    oaep: Result<Arc<rsa::PublicKey>, String>,
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
    pub fn load(input: &str) -> Result<PublicKey, String> {
        let material = resolve(input, Role::Public)?;
        match material.kind {
            Kind::Certificate => from_certificate(&material.der),
            Kind::Spki => {
                let spki = SubjectPublicKeyInfoRef::from_der(&material.der)
                    .map_err(|e| format!("the `PUBLIC KEY` is not a valid SubjectPublicKeyInfo ({e})"))?;
                from_spki(spki, None)
            }
            Kind::Pkcs1Public => from_rsa_der(&material.der, None),
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
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.der[..])
            .verify(message, signature)
            .is_ok()
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
        let key = self.oaep.as_ref().map_err(|e| OaepError::Key(e.clone()))?;
        oaep::encrypt(key, self.bits, plaintext.as_bytes())
    }
}

fn from_certificate(der_bytes: &[u8]) -> Result<PublicKey, String> {
    let cert = Certificate::from_der(der_bytes).map_err(|e| format!("the X.509 certificate cannot be parsed ({e})"))?;
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
        .map_err(|e| format!("the certificate's public key cannot be re-encoded ({e})"))?;
    let spki = SubjectPublicKeyInfoRef::from_der(&spki_der)
        .map_err(|e| format!("the certificate's public key is malformed ({e})"))?;
    from_spki(spki, Some(info))
}

fn unix(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn from_spki(spki: SubjectPublicKeyInfoRef<'_>, info: Option<CertificateInfo>) -> Result<PublicKey, String> {
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return Err(format!(
            "the key algorithm is {}, not RSA; WeChat Pay platform certificates and public keys are RSA",
            spki.algorithm.oid
        ));
    }
    let raw = spki.subject_public_key.as_bytes().ok_or("the public key bit string has unused bits")?;
    from_rsa_der(raw, info)
}

fn from_rsa_der(der_bytes: &[u8], info: Option<CertificateInfo>) -> Result<PublicKey, String> {
    let key = RsaPublicKeyDer::from_der(der_bytes).map_err(|e| format!("the RSA public key is malformed ({e})"))?;
    let modulus = key.modulus.as_bytes();
    let bits = modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
    if !(2048..=8192).contains(&bits) {
        return Err(format!("the RSA key has {bits} bits; WeChat Pay keys have 2048 (2048–8192 are accepted)"));
    }
    if key.public_exponent.as_bytes().is_empty() {
        return Err("the RSA public exponent is zero".to_owned());
    }
    Ok(PublicKey { der: Arc::from(der_bytes), bits, certificate: info, oaep: rsa_public(der_bytes) })
}

/// The PKCS#1 `RSAPublicKey` DER as an `rsa` key, for OAEP encryption.
fn rsa_public(der_bytes: &[u8]) -> Result<Arc<rsa::PublicKey>, String> {
    <rsa::PublicKey as rsa::pkcs1::DecodeRsaPublicKey>::from_pkcs1_der(der_bytes)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Private,
    Public,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Pkcs8Private,
    Pkcs1Private,
    EncryptedPrivate,
    Certificate,
    Spki,
    Pkcs1Public,
    /// DER read from a file whose type is not yet known.
    UnknownDer,
}

impl Kind {
    fn from_label(label: &str) -> Option<Kind> {
        Some(match label {
            "PRIVATE KEY" => Kind::Pkcs8Private,
            "RSA PRIVATE KEY" => Kind::Pkcs1Private,
            "ENCRYPTED PRIVATE KEY" => Kind::EncryptedPrivate,
            "CERTIFICATE" | "X509 CERTIFICATE" => Kind::Certificate,
            "PUBLIC KEY" => Kind::Spki,
            "RSA PUBLIC KEY" => Kind::Pkcs1Public,
            _ => return None,
        })
    }

    fn not_private(self) -> String {
        match self {
            Kind::EncryptedPrivate => "the private key is encrypted; decrypt it first \
                 (`openssl pkcs8 -in key.pem -out apiclient_key.pem`) and load the plain PEM"
                .to_owned(),
            Kind::Certificate => "this is an X.509 certificate, not a private key; load the merchant's private key \
                 (apiclient_key.pem, `-----BEGIN PRIVATE KEY-----`) here, certificates go to `cert(id, …)`"
                .to_owned(),
            Kind::Spki | Kind::Pkcs1Public => "this is a public key, not a private key; load the merchant's private \
                 key (apiclient_key.pem, `-----BEGIN PRIVATE KEY-----`) here, WeChat Pay public keys go to `cert(id, …)`"
                .to_owned(),
            _ => "not a private key".to_owned(),
        }
    }

    fn not_public(self) -> String {
        match self {
            Kind::Pkcs8Private | Kind::Pkcs1Private | Kind::EncryptedPrivate => {
                "this is a private key; `cert(id, …)` takes a WeChat Pay platform certificate \
                 (wechatpay_<serial>.pem) or the WeChat Pay public key (pub_key.pem), never a private key"
                    .to_owned()
            }
            _ => "not a public key or certificate".to_owned(),
        }
    }
}

struct Material {
    kind: Kind,
    der: Vec<u8>,
}

const PSEUDO: [(&str, Kind, Role); 4] = [
    ("private.pkcs1://", Kind::Pkcs1Private, Role::Private),
    ("private.pkcs8://", Kind::Pkcs8Private, Role::Private),
    ("public.pkcs1://", Kind::Pkcs1Public, Role::Public),
    ("public.spki://", Kind::Spki, Role::Public),
];

fn resolve(input: &str, role: Role) -> Result<Material, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err("the key is empty".to_owned());
    }
    if let Some(path) = trimmed.strip_prefix("file://") {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read the key file `{path}` ({e})"))?;
        return from_bytes(&bytes).map_err(|e| format!("{e} (in `{path}`)"));
    }
    for (prefix, kind, kind_role) in PSEUDO {
        if let Some(b64) = trimmed.strip_prefix(prefix) {
            if kind_role != role {
                return Err(match role {
                    Role::Private => kind.not_private(),
                    Role::Public => kind.not_public(),
                });
            }
            let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let der = STANDARD
                .decode(compact.as_bytes())
                .map_err(|e| format!("the base64 after `{prefix}` is invalid ({e})"))?;
            return Ok(Material { kind, der });
        }
    }
    if trimmed.contains("-----BEGIN") {
        return from_bytes(trimmed.as_bytes());
    }
    let hint = if std::path::Path::new(trimmed).is_file() {
        format!("; `{trimmed}` is a file, did you mean `file://{trimmed}`?")
    } else {
        String::new()
    };
    Err(format!(
        "expected PEM text (`-----BEGIN …-----`), a `file://` path, or a `{}` base64 string{hint}",
        match role {
            Role::Private => "private.pkcs8://` / `private.pkcs1://",
            Role::Public => "public.spki://` / `public.pkcs1://",
        }
    ))
}

fn from_bytes(bytes: &[u8]) -> Result<Material, String> {
    let text = std::str::from_utf8(bytes).ok().filter(|t| t.contains("-----BEGIN"));
    let Some(text) = text else {
        // Binary DER file: find out what it is by trying the parsers.
        return sniff_der(bytes.to_vec());
    };
    let block = pem::decode(text)?;
    if block.legacy_encrypted {
        return Err(Kind::EncryptedPrivate.not_private());
    }
    let kind = Kind::from_label(&block.label).ok_or_else(|| {
        format!(
            "unsupported PEM block `{}`; expected PRIVATE KEY, RSA PRIVATE KEY, CERTIFICATE, PUBLIC KEY or RSA PUBLIC KEY",
            block.label
        )
    })?;
    Ok(Material { kind, der: block.der })
}

fn sniff_der(der_bytes: Vec<u8>) -> Result<Material, String> {
    let kind = if Certificate::from_der(&der_bytes).is_ok() {
        Kind::Certificate
    } else if SubjectPublicKeyInfoRef::from_der(&der_bytes).is_ok() {
        Kind::Spki
    } else if RsaKeyPair::from_pkcs8(&der_bytes).is_ok() {
        Kind::Pkcs8Private
    } else if RsaKeyPair::from_der(&der_bytes).is_ok() {
        Kind::Pkcs1Private
    } else if RsaPublicKeyDer::from_der(&der_bytes).is_ok() {
        Kind::Pkcs1Public
    } else {
        Kind::UnknownDer
    };
    if kind == Kind::UnknownDer {
        return Err("the file is neither PEM nor a recognisable DER key or certificate".to_owned());
    }
    Ok(Material { kind, der: der_bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_crt_parameters_are_refused() {
        // Found by the `key_load` fuzz target: with one byte of `dP` changed, ring loads the key and then
        // refuses every signature.
        let pem = std::fs::read_to_string("tests/data/keys/merchant_apiclient_key_pkcs1.pem").expect("test key");
        let mut der = pem::decode(&pem).expect("PEM").der;
        assert!(PrivateKey::load(&format!("private.pkcs1://{}", STANDARD.encode(&der))).is_ok());
        der[842] ^= 0x1b;
        let refused = PrivateKey::load(&format!("private.pkcs1://{}", STANDARD.encode(&der))).unwrap_err();
        assert!(refused.contains("damaged"), "{refused}");
    }
}
