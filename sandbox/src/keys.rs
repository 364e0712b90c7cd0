//! Sandbox key material: generated throwaway keys or given ones.
//!
//! Everything here uses RustCrypto (`rsa`, `x509-cert`), not the client's ring-based code, so that a
//! bug in the client's key handling is not mirrored on the server side.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::sha2::Sha256;
use std::net::Ipv4Addr;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};

use x509_cert::der::asn1::{Ia5String, OctetString};
use x509_cert::der::{Decode, Encode, EncodePem};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::Validity;

/// A key the sandbox holds, with what the outside world sees of it.
#[derive(Clone)]
pub(crate) struct KeyPair {
    pub(crate) private: rsa::PrivateKey,
    /// PKCS#8 PEM of the private key (secret).
    pub(crate) private_pem: String,
    /// SPKI PEM of the public key.
    pub(crate) public_pem: String,
    /// PKCS#8 DER (for ring's signer).
    pub(crate) pkcs8_der: Vec<u8>,
}

impl KeyPair {
    pub(crate) fn generate() -> Result<KeyPair, String> {
        let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048)
            .map_err(|e| format!("RSA key generation failed: {e}"))?;
        KeyPair::from_private(private)
    }

    /// Loads a PKCS#8 or PKCS#1 private key PEM.
    pub(crate) fn from_pem(pem: &str) -> Result<KeyPair, String> {
        let private = rsa::PrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| rsa::PrivateKey::from_pkcs1_pem(pem))
            .map_err(|e| format!("not an RSA private key PEM (PKCS#8 or PKCS#1): {e}"))?;
        KeyPair::from_private(private)
    }

    fn from_private(private: rsa::PrivateKey) -> Result<KeyPair, String> {
        let fail = |e: &dyn fmt::Display| format!("encoding the sandbox key failed: {e}");
        let private_pem = private.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?.to_string();
        let pkcs8_der = private.to_pkcs8_der().map_err(|e| fail(&e))?.as_bytes().to_vec();
        let public = private.to_public_key();
        let public_pem = public.to_public_key_pem(LineEnding::LF).map_err(|e| fail(&e))?;
        Ok(KeyPair { private, private_pem, public_pem, pkcs8_der })
    }

    /// A self-signed X.509 certificate for this key with `serial` (40 uppercase hex digits), without
    /// extensions (so X.509 v1).
    pub(crate) fn certificate(&self, serial_hex: &str, common_name: &str, now: i64) -> Result<String, String> {
        self.certificate_with(serial_hex, common_name, now, None)
    }

    /// The merchant API certificate: as [`certificate`](KeyPair::certificate), with `basicConstraints
    /// CA:FALSE`, which makes it X.509 v3 as WeChat Pay's are: TLS stacks take only v3 client certificates.
    pub(crate) fn merchant_certificate(&self, serial_hex: &str, common_name: &str, now: i64) -> Result<String, String> {
        self.certificate_with(serial_hex, common_name, now, Some(Extras::Leaf))
    }

    fn certificate_with(
        &self,
        serial_hex: &str,
        common_name: &str,
        now: i64,
        extras: Option<Extras>,
    ) -> Result<String, String> {
        let fail = |e: &dyn fmt::Display| format!("building the sandbox certificate failed: {e}");
        let serial_bytes: Vec<u8> = (0..serial_hex.len() / 2)
            .map(|i| u8::from_str_radix(&serial_hex[2 * i..2 * i + 2], 16))
            .collect::<Result<_, _>>()
            .map_err(|e| fail(&e))?;
        let cert = self.issue(&serial_bytes, common_name, now, extras)?;
        cert.to_pem(x509_cert::der::pem::LineEnding::LF).map_err(|e| fail(&e))
    }

    /// The self-signed certificate of the sandbox's HTTPS side, for `127.0.0.1` and `localhost` (subject
    /// alternative names), with a random serial: `(PEM, DER)`.
    pub(crate) fn tls_server_certificate(&self, now: i64) -> Result<(String, Vec<u8>), String> {
        let fail = |e: &dyn fmt::Display| format!("building the sandbox TLS certificate failed: {e}");
        let mut serial = [0u8; 16];
        getrandom::fill(&mut serial).map_err(|e| fail(&e))?;
        serial[0] = 0x10 + serial[0] % 0x70;
        let localhost = Ia5String::new("localhost").map_err(|e| fail(&e))?;
        let names = vec![
            GeneralName::IpAddress(OctetString::new(Ipv4Addr::LOCALHOST.octets().to_vec()).map_err(|e| fail(&e))?),
            GeneralName::DnsName(localhost),
        ];
        let cert = self.issue(&serial, "127.0.0.1", now, Some(Extras::Names(SubjectAltName(names))))?;
        let pem = cert.to_pem(x509_cert::der::pem::LineEnding::LF).map_err(|e| fail(&e))?;
        let der = cert.to_der().map_err(|e| fail(&e))?;
        Ok((pem, der))
    }

    /// The SubjectPublicKeyInfo DER of this key (what a certificate for it carries).
    pub(crate) fn spki_der(&self) -> Result<Vec<u8>, String> {
        let der =
            self.private.to_public_key().to_public_key_der().map_err(|e| format!("encoding the key failed: {e}"))?;
        Ok(der.as_bytes().to_vec())
    }

    fn issue(
        &self,
        serial_bytes: &[u8],
        common_name: &str,
        now: i64,
        extras: Option<Extras>,
    ) -> Result<x509_cert::Certificate, String> {
        let fail = |e: &dyn fmt::Display| format!("building the sandbox certificate failed: {e}");
        let serial = SerialNumber::new(serial_bytes).map_err(|e| fail(&e))?;
        let (start, end) = validity(now);
        let at = |secs: i64| {
            let secs = u64::try_from(secs).unwrap_or(0);
            x509_cert::time::Time::try_from(std::time::UNIX_EPOCH + Duration::from_secs(secs)).map_err(|e| fail(&e))
        };
        let (not_before, not_after) = (at(start)?, at(end)?);
        let validity = Validity::new(not_before, not_after);
        let subject =
            Name::from_str(&format!("CN={common_name},O=wechatpay-chain sandbox,C=CN")).map_err(|e| fail(&e))?;
        let spki_der = self.private.to_public_key().to_public_key_der().map_err(|e| fail(&e))?;
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(|e| fail(&e))?;
        let mut builder = CertificateBuilder::new(SelfSigned(subject), serial, validity, spki).map_err(|e| fail(&e))?;
        match &extras {
            None => {}
            Some(Extras::Leaf) => {
                let leaf = BasicConstraints { ca: false, path_len_constraint: None };
                builder.add_extension(&leaf).map_err(|e| fail(&e))?;
            }
            Some(Extras::Names(names)) => builder.add_extension(names).map_err(|e| fail(&e))?,
        }
        let signer = SigningKey::<Sha256>::new(self.private.clone());
        builder.build::<_, rsa::pkcs1v15::Signature>(&signer).map_err(|e| fail(&e))
    }
}

/// The extensions of a sandbox certificate beyond none.
enum Extras {
    /// `basicConstraints CA:FALSE`: an end-entity certificate.
    Leaf,
    /// Subject alternative names (the TLS server certificate).
    Names(SubjectAltName),
}

/// The key of the sandbox's HTTPS side. Generated once per process (RSA key generation is the slow part
/// of a sandbox start); each sandbox makes its own certificate for it.
pub(crate) fn tls_server_key() -> Result<KeyPair, String> {
    static KEY: std::sync::OnceLock<Result<KeyPair, String>> = std::sync::OnceLock::new();
    KEY.get_or_init(KeyPair::generate).clone()
}

/// The validity of a certificate made at `now` by [`KeyPair::certificate`], Unix seconds: from one day
/// before `now` (not before the epoch) for five years of 365 days.
pub(crate) fn validity(now: i64) -> (i64, i64) {
    let start = now.saturating_sub(86_400).max(0);
    (start, start.saturating_add(5 * 365 * 86_400))
}

/// A self-signed leaf without extensions (what WeChat Pay's test fixtures look like).
struct SelfSigned(Name);

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.0.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(Vec::new())
    }
}

/// Random uppercase hex serial of 40 digits that never starts with `0` (WeChat Pay's shape).
pub(crate) fn random_serial() -> Result<String, String> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| format!("the system random source failed: {e}"))?;
    bytes[0] = 0x10 + bytes[0] % 0x70;
    Ok(bytes.iter().map(|b| format!("{b:02X}")).collect())
}

/// Random string over `0-9A-Za-z`.
pub(crate) fn random_alnum(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = vec![0u8; len];
    // On the (practically impossible) failure of the OS source, fall back to a time-derived filler:
    // sandbox nonces protect nothing.
    if getrandom::fill(&mut bytes).is_err() {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(7, |d| d.subsec_nanos());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (seed as usize).wrapping_mul(31).wrapping_add(i * 17) as u8;
        }
    }
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// The identities and keys of a sandbox, as a snapshot taken by [`Sandbox::keys`](super::Sandbox::keys).
/// Private keys and the APIv3 key are redacted in `Debug`.
#[derive(Clone)]
pub struct SandboxKeys {
    pub(crate) mchid: String,
    pub(crate) merchant_serial: String,
    pub(crate) merchant: KeyPair,
    pub(crate) merchant_certificate_pem: Option<String>,
    pub(crate) platform_serial: String,
    pub(crate) platform: KeyPair,
    pub(crate) platform_certificate_pem: String,
    pub(crate) public_key_id: String,
    pub(crate) public_key: KeyPair,
    pub(crate) apiv3_key: String,
    pub(crate) apiv2_key: String,
}

impl fmt::Debug for SandboxKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxKeys")
            .field("mchid", &self.mchid)
            .field("merchant_serial", &self.merchant_serial)
            .field("platform_serial", &self.platform_serial)
            .field("public_key_id", &self.public_key_id)
            .field("private_keys", &"<redacted>")
            .field("apiv3_key", &"<redacted>")
            .field("apiv2_key", &"<redacted>")
            .finish()
    }
}

impl SandboxKeys {
    /// The merchant id the sandbox accepts.
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// The merchant API certificate serial the sandbox accepts in `Authorization`.
    pub fn merchant_serial(&self) -> &str {
        &self.merchant_serial
    }

    /// The merchant private key (PKCS#8 PEM) a client signs with. Secret in real life; throwaway here.
    pub fn merchant_private_key_pem(&self) -> &str {
        &self.merchant.private_pem
    }

    /// The merchant public key (SPKI PEM).
    pub fn merchant_public_key_pem(&self) -> &str {
        &self.merchant.public_pem
    }

    /// The merchant API certificate (PEM), when the sandbox generated the merchant key.
    pub fn merchant_certificate_pem(&self) -> Option<&str> {
        self.merchant_certificate_pem.as_deref()
    }

    /// The serial of the newest platform certificate (the one certificate-mode answers are signed with
    /// by default) when this snapshot was taken; see [`Sandbox::rotate_certificate`](super::Sandbox::rotate_certificate).
    pub fn platform_serial(&self) -> &str {
        &self.platform_serial
    }

    /// The newest platform certificate (PEM) when this snapshot was taken, which verifies certificate-mode
    /// responses signed by default.
    pub fn platform_certificate_pem(&self) -> &str {
        &self.platform_certificate_pem
    }

    /// The WeChat Pay public key id (`PUB_KEY_ID_…`) used in public-key mode.
    pub fn public_key_id(&self) -> &str {
        &self.public_key_id
    }

    /// The WeChat Pay public key (SPKI PEM) that verifies public-key-mode responses.
    pub fn public_key_pem(&self) -> &str {
        &self.public_key.public_pem
    }

    /// The APIv3 key (32 characters) of this sandbox merchant. Throwaway.
    pub fn apiv3_key(&self) -> &str {
        &self.apiv3_key
    }

    /// The APIv2 key (32 characters) of this sandbox merchant: signs and checks the APIv2 slice's XML.
    /// Throwaway.
    pub fn apiv2_key(&self) -> &str {
        &self.apiv2_key
    }
}
