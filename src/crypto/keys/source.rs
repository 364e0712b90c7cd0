//! Where key material comes from: PEM text, a file (PEM or DER), DER bytes, or the PHP SDK's
//! strings (`file://…`, `private.pkcs8://…` and the other pseudo-URLs). Each yields the DER and what
//! it holds; [`super`] turns that into a key.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::Decode;
use x509_cert::Certificate;
use x509_cert::spki::SubjectPublicKeyInfoRef;

use super::RsaPublicKeyDer;
use super::error::{KeyError, KeyErrorKind};
use crate::crypto::backend::RsaPrivate;
use crate::crypto::pem;

/// Which kind of key the caller is loading.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Private,
    Public,
}

/// What a piece of DER holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    Pkcs8Private,
    Pkcs1Private,
    EncryptedPrivate,
    Certificate,
    Spki,
    Pkcs1Public,
}

impl Form {
    fn from_label(label: &str) -> Option<Form> {
        Some(match label {
            "PRIVATE KEY" => Form::Pkcs8Private,
            "RSA PRIVATE KEY" => Form::Pkcs1Private,
            "ENCRYPTED PRIVATE KEY" => Form::EncryptedPrivate,
            "CERTIFICATE" | "X509 CERTIFICATE" => Form::Certificate,
            "PUBLIC KEY" => Form::Spki,
            "RSA PUBLIC KEY" => Form::Pkcs1Public,
            _ => return None,
        })
    }

    /// The error for this form given where a private key belongs.
    pub(super) fn not_private(self) -> KeyError {
        let (kind, message) = match self {
            Form::EncryptedPrivate => (
                KeyErrorKind::Encrypted,
                "the private key is encrypted; decrypt it first (`openssl pkcs8 -in key.pem -out apiclient_key.pem`) \
                 and load the plain PEM",
            ),
            Form::Certificate => (
                KeyErrorKind::WrongKind,
                "this is an X.509 certificate, not a private key; load the merchant's private key (apiclient_key.pem, \
                 `-----BEGIN PRIVATE KEY-----`) here, certificates go to `cert(id, …)`",
            ),
            Form::Spki | Form::Pkcs1Public => (
                KeyErrorKind::WrongKind,
                "this is a public key, not a private key; load the merchant's private key (apiclient_key.pem, \
                 `-----BEGIN PRIVATE KEY-----`) here, WeChat Pay public keys go to `cert(id, …)`",
            ),
            Form::Pkcs8Private | Form::Pkcs1Private => (KeyErrorKind::WrongKind, "not a private key"),
        };
        KeyError::new(kind, message)
    }

    /// The error for this form given where a public key or certificate belongs.
    pub(super) fn not_public(self) -> KeyError {
        match self {
            Form::Pkcs8Private | Form::Pkcs1Private | Form::EncryptedPrivate => KeyError::new(
                KeyErrorKind::WrongKind,
                "this is a private key; `cert(id, …)` takes a WeChat Pay platform certificate (wechatpay_<serial>.pem) \
                 or the WeChat Pay public key (pub_key.pem), never a private key",
            ),
            _ => KeyError::new(KeyErrorKind::WrongKind, "not a public key or certificate"),
        }
    }
}

/// DER and what it holds.
pub(super) struct Material {
    pub(super) form: Form,
    pub(super) der: Vec<u8>,
}

const PSEUDO: [(&str, Form, Role); 4] = [
    ("private.pkcs1://", Form::Pkcs1Private, Role::Private),
    ("private.pkcs8://", Form::Pkcs8Private, Role::Private),
    ("public.pkcs1://", Form::Pkcs1Public, Role::Public),
    ("public.spki://", Form::Spki, Role::Public),
];

/// A PHP-SDK-style string: PEM text, `file://<path>`, or a pseudo-URL with base64 DER.
pub(super) fn php_string(input: &str, role: Role) -> Result<Material, KeyError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(KeyError::new(KeyErrorKind::Empty, "the key is empty"));
    }
    if let Some(path) = trimmed.strip_prefix("file://") {
        return file(Path::new(path));
    }
    for (prefix, form, form_role) in PSEUDO {
        if let Some(b64) = trimmed.strip_prefix(prefix) {
            if form_role != role {
                return Err(match role {
                    Role::Private => form.not_private(),
                    Role::Public => form.not_public(),
                });
            }
            let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let der = STANDARD.decode(compact.as_bytes()).map_err(|e| {
                KeyError::new(KeyErrorKind::Format, format!("the base64 after `{prefix}` is invalid ({e})"))
            })?;
            return Ok(Material { form, der });
        }
    }
    if trimmed.contains("-----BEGIN") {
        return pem_text(trimmed);
    }
    let hint = if Path::new(trimmed).is_file() {
        format!("; `{trimmed}` is a file, did you mean `file://{trimmed}`?")
    } else {
        String::new()
    };
    let pseudo = match role {
        Role::Private => "private.pkcs8://` / `private.pkcs1://",
        Role::Public => "public.spki://` / `public.pkcs1://",
    };
    Err(KeyError::new(
        KeyErrorKind::Format,
        format!("expected PEM text (`-----BEGIN …-----`), a `file://` path, or a `{pseudo}` base64 string{hint}"),
    ))
}

/// A file holding PEM or DER, read with a size bound.
pub(super) fn file(path: &Path) -> Result<Material, KeyError> {
    let bytes = crate::crypto::file::read_bounded(path, "key").map_err(|e| KeyError::new(KeyErrorKind::File, e))?;
    bytes_of_file(&bytes).map_err(|e| e.within(format_args!("in `{}`", path.display())))
}

fn bytes_of_file(bytes: &[u8]) -> Result<Material, KeyError> {
    match std::str::from_utf8(bytes).ok().filter(|t| t.contains("-----BEGIN")) {
        Some(text) => pem_text(text),
        None => der(bytes.to_vec()),
    }
}

/// PEM text: the first block, which must not be encrypted.
pub(super) fn pem_text(text: &str) -> Result<Material, KeyError> {
    if text.trim().is_empty() {
        return Err(KeyError::new(KeyErrorKind::Empty, "the PEM text is empty"));
    }
    let block = pem::decode(text).map_err(|e| KeyError::new(KeyErrorKind::Format, e))?;
    if block.legacy_encrypted {
        return Err(Form::EncryptedPrivate.not_private());
    }
    let form = Form::from_label(&block.label).ok_or_else(|| {
        KeyError::new(
            KeyErrorKind::Format,
            format!(
                "unsupported PEM block `{}`; expected PRIVATE KEY, RSA PRIVATE KEY, CERTIFICATE, PUBLIC KEY or RSA \
                 PUBLIC KEY",
                block.label
            ),
        )
    })?;
    Ok(Material { form, der: block.der })
}

/// DER of unknown form: found out by trying the parsers.
pub(super) fn der(der_bytes: Vec<u8>) -> Result<Material, KeyError> {
    if der_bytes.is_empty() {
        return Err(KeyError::new(KeyErrorKind::Empty, "the DER input is empty"));
    }
    let form = if Certificate::from_der(&der_bytes).is_ok() {
        Form::Certificate
    } else if SubjectPublicKeyInfoRef::from_der(&der_bytes).is_ok() {
        Form::Spki
    } else if RsaPrivate::from_pkcs8(&der_bytes).is_ok() {
        Form::Pkcs8Private
    } else if crate::crypto::pkcs8_from_pkcs1(&der_bytes).is_ok_and(|pkcs8| RsaPrivate::from_pkcs8(&pkcs8).is_ok()) {
        Form::Pkcs1Private
    } else if RsaPublicKeyDer::from_der(&der_bytes).is_ok() {
        Form::Pkcs1Public
    } else {
        return Err(KeyError::new(
            KeyErrorKind::Format,
            "neither PEM nor a recognisable DER key or certificate (X.509, SPKI, PKCS#8 or PKCS#1)",
        ));
    };
    Ok(Material { form, der: der_bytes })
}
