//! Credentials: flags > environment (`WECHATPAY_*`) > profile (`--profile NAME`). Secrets are file
//! paths (except `WECHATPAY_APIV3_KEY`, the key itself); key files readable by others are refused.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use wechatpay_chain::auth::{RsaSigner, Signer};
use wechatpay_chain::crypto::PrivateKey;
use wechatpay_chain::{Client, ClientBuilder};

use crate::args::{ConnectionArgs, KeyArgs, MerchantArgs, TlsArgs, V2KeyArgs};
use crate::output::Failure;

/// One profile of `profiles.toml`: every secret is a path.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    mchid: Option<String>,
    serial: Option<String>,
    private_key: Option<String>,
    #[serde(default)]
    certs: BTreeMap<String, String>,
    public_key_id: Option<String>,
    public_key: Option<String>,
    apiv3_key_file: Option<String>,
    apiv2_key_file: Option<String>,
    merchant_cert: Option<String>,
    merchant_p12: Option<String>,
    root_cert: Option<String>,
    base_uri: Option<String>,
}

/// Every credential flag, as the subcommand's flag groups give them (a group the subcommand does not
/// take stays empty; its settings still come from the environment and the profile).
#[derive(Clone, Debug, Default)]
pub struct CredentialArgs {
    merchant: MerchantArgs,
    keys: KeyArgs,
    v2: V2KeyArgs,
    tls: TlsArgs,
    connection: ConnectionArgs,
}

impl CredentialArgs {
    /// The merchant's flags.
    pub fn new(merchant: &MerchantArgs) -> Self {
        CredentialArgs { merchant: merchant.clone(), ..CredentialArgs::default() }
    }

    /// With WeChat Pay's keys.
    pub fn keys(mut self, keys: &KeyArgs) -> Self {
        self.keys = keys.clone();
        self
    }

    /// With the APIv2 key.
    pub fn v2(mut self, v2: &V2KeyArgs) -> Self {
        self.v2 = v2.clone();
        self
    }

    /// With the merchant TLS certificate.
    pub fn tls(mut self, tls: &TlsArgs) -> Self {
        self.tls = tls.clone();
        self
    }

    /// With the connection settings.
    pub fn connection(mut self, connection: &ConnectionArgs) -> Self {
        self.connection = connection.clone();
        self
    }
}

/// Where `--profile` is read from: `$WECHATPAY_CONFIG`, else `$XDG_CONFIG_HOME/wechatpay/profiles.toml`,
/// else `$HOME/.config/wechatpay/profiles.toml`, else `%APPDATA%\wechatpay\profiles.toml`.
pub fn profiles_path() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(path) = var("WECHATPAY_CONFIG") {
        return Some(path);
    }
    if let Some(dir) = var("XDG_CONFIG_HOME") {
        return Some(dir.join("wechatpay").join("profiles.toml"));
    }
    if let Some(home) = var("HOME") {
        return Some(home.join(".config").join("wechatpay").join("profiles.toml"));
    }
    var("APPDATA").map(|dir| dir.join("wechatpay").join("profiles.toml"))
}

fn load_profile(name: &str) -> Result<Profile, Failure> {
    let path = profiles_path()
        .ok_or_else(|| Failure::config(format!("--profile {name}: no profiles file (set WECHATPAY_CONFIG or HOME)")))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::config(format!("--profile {name}: cannot read {} ({e})", path.display())))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| Failure::config(format!("{} is not valid TOML: {e}", path.display())))?;
    let value =
        table.remove(name).ok_or_else(|| Failure::config(format!("no profile `[{name}]` in {}", path.display())))?;
    if let Some(inline) = value
        .as_table()
        .and_then(|t| t.keys().find(|k| matches!(k.as_str(), "apiv3_key" | "apiv2_key" | "private_key_pem")))
    {
        return Err(Failure::config(format!(
            "profile `{name}` in {} has `{inline}`: profiles hold file paths, never keys; use `apiv3_key_file` / \
             `apiv2_key_file` / `private_key` with the path of a file readable only by you (chmod 600)",
            path.display()
        )));
    }
    value.try_into().map_err(|e| Failure::config(format!("profile `{name}` in {}: {e}", path.display())))
}

/// Where a setting came from, for messages.
#[derive(Clone, Copy, Debug)]
enum Source {
    Flag,
    Env,
    Profile,
}

/// A setting and its source.
type Sourced<T> = Option<(T, Source)>;

fn pick<T>(flag: Option<T>, env: Option<T>, profile: Option<T>) -> Sourced<T> {
    flag.map(|v| (v, Source::Flag))
        .or_else(|| env.map(|v| (v, Source::Env)))
        .or_else(|| profile.map(|v| (v, Source::Profile)))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The credentials as resolved; files are read when a command needs them.
#[derive(Debug)]
pub struct Credentials {
    mchid: Sourced<String>,
    serial: Sourced<String>,
    private_key: Sourced<String>,
    certs: Vec<(String, String)>,
    public_key_id: Sourced<String>,
    public_key: Sourced<String>,
    apiv3_key_file: Sourced<String>,
    /// `WECHATPAY_APIV3_KEY` (the key itself); never printed.
    apiv3_key_env: Option<String>,
    apiv2_key_file: Sourced<String>,
    /// `WECHATPAY_APIV2_KEY` (the key itself); never printed.
    apiv2_key_env: Option<String>,
    merchant_cert: Sourced<String>,
    merchant_p12: Sourced<String>,
    root_cert: Sourced<String>,
    base_uri: Sourced<String>,
    timeout: Option<u64>,
    profile: Option<String>,
}

fn parse_pair(text: &str, what: &str) -> Result<(String, String), Failure> {
    match text.split_once('=') {
        Some((id, path)) if !id.trim().is_empty() && !path.trim().is_empty() => {
            Ok((id.trim().to_owned(), path.trim().to_owned()))
        }
        _ => Err(Failure::config(format!("{what} entry `{text}` must look like ID=PATH"))),
    }
}

impl Credentials {
    /// Resolves every setting from flags, environment and the profile (read only with `--profile`).
    pub fn resolve(all: &CredentialArgs) -> Result<Credentials, Failure> {
        let (args, keys, v2, tls, connection) = (&all.merchant, &all.keys, &all.v2, &all.tls, &all.connection);
        let profile = match &args.profile {
            Some(name) => load_profile(name)?,
            None => Profile::default(),
        };
        let certs = if !keys.certs.is_empty() {
            keys.certs.iter().map(|c| parse_pair(c, "--cert")).collect::<Result<Vec<_>, _>>()?
        } else if let Some(list) = env("WECHATPAY_CERTS") {
            list.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| parse_pair(p, "WECHATPAY_CERTS"))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            profile.certs.into_iter().collect()
        };
        Ok(Credentials {
            mchid: pick(args.mchid.clone(), env("WECHATPAY_MCHID"), profile.mchid),
            serial: pick(args.serial.clone(), env("WECHATPAY_SERIAL"), profile.serial),
            private_key: pick(args.private_key.clone(), env("WECHATPAY_PRIVATE_KEY"), profile.private_key),
            certs,
            public_key_id: pick(keys.public_key_id.clone(), env("WECHATPAY_PUBLIC_KEY_ID"), profile.public_key_id),
            public_key: pick(keys.public_key.clone(), env("WECHATPAY_PUBLIC_KEY"), profile.public_key),
            apiv3_key_file: match (&keys.apiv3_key_file, env("WECHATPAY_APIV3_KEY")) {
                (Some(path), _) => Some((path.clone(), Source::Flag)),
                (None, Some(_)) => None,
                (None, None) => profile.apiv3_key_file.map(|p| (p, Source::Profile)),
            },
            apiv3_key_env: if keys.apiv3_key_file.is_some() { None } else { env("WECHATPAY_APIV3_KEY") },
            apiv2_key_file: match (&v2.apiv2_key_file, env("WECHATPAY_APIV2_KEY")) {
                (Some(path), _) => Some((path.clone(), Source::Flag)),
                (None, Some(_)) => None,
                (None, None) => profile.apiv2_key_file.map(|p| (p, Source::Profile)),
            },
            apiv2_key_env: if v2.apiv2_key_file.is_some() { None } else { env("WECHATPAY_APIV2_KEY") },
            merchant_cert: pick(tls.merchant_cert.clone(), env("WECHATPAY_MERCHANT_CERT"), profile.merchant_cert),
            merchant_p12: pick(tls.merchant_p12.clone(), env("WECHATPAY_MERCHANT_P12"), profile.merchant_p12),
            root_cert: pick(connection.root_cert.clone(), env("WECHATPAY_ROOT_CERT"), profile.root_cert),
            base_uri: pick(connection.base_uri.clone(), env("WECHATPAY_BASE_URI"), profile.base_uri),
            timeout: connection.timeout,
            profile: args.profile.clone(),
        })
    }

    fn missing(&self, what: &str, flag: &str, var: &str, key: &str) -> Failure {
        let profile = match &self.profile {
            Some(name) => format!("or `{key}` in profile `{name}`"),
            None => format!("or `{key}` in a profile (--profile NAME)"),
        };
        Failure::config(format!("missing {what}: pass {flag}, set {var}, {profile}"))
    }

    fn required<'a>(
        &self,
        value: &'a Sourced<String>,
        what: &str,
        flag: &str,
        var: &str,
        key: &str,
    ) -> Result<&'a str, Failure> {
        value.as_ref().map(|(v, _)| v.as_str()).ok_or_else(|| self.missing(what, flag, var, key))
    }

    /// Merchant id, serial and the loaded private key: all `sign` needs.
    pub fn merchant(&self) -> Result<(String, String, PrivateKey), Failure> {
        self.merchant_parts().map(|(mchid, serial, key, _)| (mchid, serial, key))
    }

    /// [`merchant`](Credentials::merchant) and the key's PEM text (for mutual TLS).
    fn merchant_parts(&self) -> Result<(String, String, PrivateKey, String), Failure> {
        let mchid = self.required(&self.mchid, "merchant id", "--mchid", "WECHATPAY_MCHID", "mchid")?;
        let serial =
            self.required(&self.serial, "merchant certificate serial", "--serial", "WECHATPAY_SERIAL", "serial")?;
        let (path, source) = self
            .private_key
            .as_ref()
            .ok_or_else(|| self.missing("private key", "--private-key PATH", "WECHATPAY_PRIVATE_KEY", "private_key"))?;
        let path = key_path(path, "private key", *source)?;
        let text = read_secret(&path, "private key")?;
        let key = PrivateKey::load(&text)
            .map_err(|e| Failure::config(format!("the private key {} was refused: {e}", path.display())))?;
        Ok((mchid.to_owned(), serial.to_owned(), key, text))
    }

    /// The WeChat Pay public key id, when configured.
    pub fn public_key_id(&self) -> Option<&str> {
        self.public_key_id.as_ref().map(|(v, _)| v.as_str())
    }

    /// The merchant id, when configured (messages about APIv2 fields quote it).
    pub fn mchid(&self) -> Option<&str> {
        self.mchid.as_ref().map(|(v, _)| v.as_str())
    }

    /// A key given as an environment variable (the key itself) or a file (trailing line feed removed).
    fn key_from(env_value: &Option<String>, file: &Sourced<String>, what: &str) -> Result<Option<String>, Failure> {
        if let Some(key) = env_value {
            return Ok(Some(key.trim().to_owned()));
        }
        match file {
            Some((path, source)) => {
                let path = key_path(path, what, *source)?;
                if !path.exists() && path.to_string_lossy().len() == 32 && !path.to_string_lossy().contains(['/', '.'])
                {
                    return Err(Failure::config(format!(
                        "the {what} setting looks like the key itself: write the key to a file (chmod 600) and give \
                         its path"
                    )));
                }
                Ok(Some(read_secret(&path, what)?.trim().to_owned()))
            }
            None => Ok(None),
        }
    }

    /// The APIv3 key: `WECHATPAY_APIV3_KEY`, or the content of the key file.
    pub fn apiv3_key(&self) -> Result<Option<String>, Failure> {
        Self::key_from(&self.apiv3_key_env, &self.apiv3_key_file, "APIv3 key file")
    }

    /// The APIv2 key: `WECHATPAY_APIV2_KEY`, or the content of the key file.
    pub fn apiv2_key(&self) -> Result<Option<String>, Failure> {
        Self::key_from(&self.apiv2_key_env, &self.apiv2_key_file, "APIv2 key file")
    }

    /// The APIv2 key, or a configuration error naming where to give it.
    pub fn require_apiv2_key(&self) -> Result<String, Failure> {
        self.apiv2_key()?
            .ok_or_else(|| self.missing("APIv2 key", "--apiv2-key-file PATH", "WECHATPAY_APIV2_KEY", "apiv2_key_file"))
    }

    /// A client for calls: merchant identity with a [`RecordingSigner`], WeChat Pay's keys, the APIv3
    /// key (required with `need.apiv3`), the APIv2 key (required with `need.apiv2`), the merchant TLS
    /// certificate (required with `need.security`), base URI, extra root certificate and time limit.
    pub fn client(&self, need: Need) -> Result<(Client, Arc<RecordingSigner>), Failure> {
        let (mchid, serial, key, key_text) = self.merchant_parts()?;
        let signer = Arc::new(RecordingSigner::new(key));
        let mut builder: ClientBuilder =
            Client::builder().mchid(mchid.clone()).serial(serial).signer(Arc::clone(&signer) as Arc<dyn Signer>);
        for (id, path) in &self.certs {
            let path = key_path(path, "certificate", Source::Flag)?;
            builder = builder.cert(id.clone(), format!("file://{}", path.display()));
        }
        match (&self.public_key_id, &self.public_key) {
            (Some((id, _)), Some((path, source))) => {
                let path = key_path(path, "public key", *source)?;
                builder = builder.public_key(id.clone(), format!("file://{}", path.display()));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(self.missing("public key file", "--public-key PATH", "WECHATPAY_PUBLIC_KEY", "public_key"));
            }
            (None, Some(_)) => {
                return Err(self.missing(
                    "public key id",
                    "--public-key-id PUB_KEY_ID_…",
                    "WECHATPAY_PUBLIC_KEY_ID",
                    "public_key_id",
                ));
            }
        }
        let apiv3_key = self.apiv3_key()?;
        if need.apiv3 && apiv3_key.is_none() {
            return Err(self.missing("APIv3 key", "--apiv3-key-file PATH", "WECHATPAY_APIV3_KEY", "apiv3_key_file"));
        }
        if self.certs.is_empty() && self.public_key_id.is_none() && apiv3_key.is_none() {
            return Err(Failure::config(
                "no way to verify WeChat Pay's answers: give its public key (--public-key-id and --public-key, or \
                 WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY), platform certificates (--cert ID=PATH, \
                 WECHATPAY_CERTS), or the APIv3 key to download certificates",
            ));
        }
        if let Some(key) = apiv3_key {
            builder = builder.apiv3_key(key);
        }
        if need.apiv2 {
            builder = builder.apiv2_key(self.require_apiv2_key()?);
        }
        match (&self.merchant_cert, &self.merchant_p12) {
            (Some((cert, source)), _) => {
                let cert = key_path(cert, "merchant certificate", *source)?;
                let pem = read_public(&cert, "merchant certificate")?;
                builder = builder.merchant_tls_pem(pem, key_text);
            }
            (None, Some((p12, source))) => {
                let p12 = key_path(p12, "merchant PKCS#12 file", *source)?;
                let der = read_secret_bytes(&p12, "merchant PKCS#12 file")?;
                builder = builder.merchant_tls_pkcs12(der, None);
            }
            (None, None) if need.security => {
                return Err(self.missing(
                    "merchant API certificate (--security sends over mutual TLS with it)",
                    "--merchant-cert apiclient_cert.pem (its key is --private-key) or --merchant-p12 apiclient_cert.p12",
                    "WECHATPAY_MERCHANT_CERT or WECHATPAY_MERCHANT_P12",
                    "merchant_cert",
                ));
            }
            (None, None) => {}
        }
        if let Some((path, source)) = &self.root_cert {
            let path = key_path(path, "root certificate", *source)?;
            builder = builder.root_certificate(format!("file://{}", path.display()));
        }
        if let Some((uri, _)) = &self.base_uri {
            builder = builder.base_uri(uri.clone());
        }
        if let Some(secs) = self.timeout {
            builder = builder.timeout(Duration::from_secs(secs));
        }
        Ok((builder.build()?, signer))
    }
}

/// What a command needs beyond the merchant's identity and a way to verify WeChat Pay.
#[derive(Clone, Copy, Debug, Default)]
pub struct Need {
    /// The APIv3 key (certificate downloads, APIv3 notifications).
    pub apiv3: bool,
    /// The APIv2 key (APIv2 calls).
    pub apiv2: bool,
    /// The merchant TLS certificate (`--security`).
    pub security: bool,
}

/// A setting that must be a file path: inline keys (`-----BEGIN`, several lines, `private.pkcs8://…`)
/// are refused; a `file://` prefix is accepted.
fn key_path(value: &str, what: &str, source: Source) -> Result<PathBuf, Failure> {
    let from = match source {
        Source::Flag => "the option",
        Source::Env => "the environment variable",
        Source::Profile => "the profile",
    };
    let inline = value.contains("-----BEGIN")
        || value.contains('\n')
        || ["private.", "public."].iter().any(|p| value.starts_with(p) && value.contains("://"));
    if inline {
        return Err(Failure::config(format!(
            "the {what} in {from} looks like an inline key: give the path of a file holding it, never the key itself"
        )));
    }
    Ok(PathBuf::from(value.strip_prefix("file://").unwrap_or(value)))
}

/// Reads a public file such as a certificate (any mode), at most 1 MiB.
fn read_public(path: &Path, what: &str) -> Result<String, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::config(format!("cannot open the {what} {} ({e})", path.display())))?;
    let mut text = String::new();
    file.take(1 << 20)
        .read_to_string(&mut text)
        .map_err(|e| Failure::config(format!("cannot read the {what} {} ({e})", path.display())))?;
    Ok(text)
}

/// Reads a secret text file, refusing it (like ssh) when group or others may read it.
fn read_secret(path: &Path, what: &str) -> Result<String, Failure> {
    String::from_utf8(read_secret_bytes(path, what)?)
        .map_err(|_| Failure::config(format!("the {what} {} is not text (PEM or the key itself)", path.display())))
}

/// Reads a secret file, refusing it (like ssh) when group or others may read it. At most 1 MiB: key
/// files are a few KiB.
fn read_secret_bytes(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    const MAX_SECRET_FILE: u64 = 1 << 20;
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::config(format!("cannot open the {what} {} ({e})", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(|e| Failure::config(format!("cannot read the {what} {} ({e})", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Failure::config(format!(
                "\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
                 @         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n\
                 @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
                 Permissions {:04o} for '{}' ({what}) are too open.\n\
                 It is required that your secret key files are NOT accessible by others.\n\
                 This key is refused. Fix it with: chmod 600 '{}'",
                mode & 0o7777,
                path.display(),
                path.display()
            )));
        }
    }
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::config(format!("cannot read the {what} {} ({e})", path.display())))?;
    if bytes.len() as u64 > MAX_SECRET_FILE {
        return Err(Failure::config(format!("the {what} {} is larger than 1 MiB: not a key file", path.display())));
    }
    Ok(bytes)
}

/// One signature the client made: the exact message and the raw signature.
#[derive(Clone, Debug)]
pub struct Signed {
    /// `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`.
    pub message: Vec<u8>,
    /// The raw RSA signature.
    pub signature: Vec<u8>,
}

/// The merchant's RSA signer, remembering every message it signs: `--verbose` prints exactly what was
/// signed and sent, not a recomputation.
#[derive(Debug)]
pub struct RecordingSigner {
    inner: RsaSigner,
    signed: Mutex<Vec<Signed>>,
}

impl RecordingSigner {
    fn new(key: PrivateKey) -> Self {
        RecordingSigner { inner: RsaSigner::new(key), signed: Mutex::new(Vec::new()) }
    }

    /// Everything signed so far, in order.
    pub fn signed(&self) -> Vec<Signed> {
        self.signed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Signer for RecordingSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let signature = self.inner.sign(message)?;
        self.signed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Signed { message: message.to_vec(), signature: signature.clone() });
        Ok(signature)
    }

    fn private_key(&self) -> Option<&PrivateKey> {
        Some(self.inner.key())
    }
}
