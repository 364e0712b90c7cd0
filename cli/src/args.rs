//! The command line (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// WeChat Pay APIv3 from the command line: signed calls with verified answers, platform certificates,
/// notifications, signatures, downloads and a local sandbox.
///
/// Credentials come from flags, else the WECHATPAY_* environment, else a profile (--profile NAME) in
/// $WECHATPAY_CONFIG, $XDG_CONFIG_HOME/wechatpay/profiles.toml or ~/.config/wechatpay/profiles.toml.
/// Exit codes: 0 success, 1 API/verification/transport failure, 2 usage or configuration error.
#[derive(Debug, Parser)]
#[command(name = "wechatpay", version)]
pub struct Cli {
    /// Credentials and connection settings.
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Also print to stderr the exact message that was signed and the Authorization header (signature
    /// shortened).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Time limit of each call, in seconds (default 30).
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Credentials: flags win over the environment, which wins over the profile. Secrets are always given
/// as file paths.
#[derive(Debug, Default, Args)]
pub struct CredentialArgs {
    /// Profile name in the profiles file (a TOML table per profile).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Merchant id [env: WECHATPAY_MCHID].
    #[arg(long, global = true, value_name = "ID")]
    pub mchid: Option<String>,
    /// Merchant API certificate serial [env: WECHATPAY_SERIAL].
    #[arg(long, global = true, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Merchant private key file, apiclient_key.pem; must be mode 600 [env: WECHATPAY_PRIVATE_KEY].
    #[arg(long, global = true, value_name = "PATH")]
    pub private_key: Option<String>,
    /// A WeChat Pay platform certificate (or public key) as ID=PATH; repeatable [env: WECHATPAY_CERTS,
    /// comma-separated].
    #[arg(long = "cert", global = true, value_name = "ID=PATH")]
    pub certs: Vec<String>,
    /// The WeChat Pay public key id, PUB_KEY_ID_… [env: WECHATPAY_PUBLIC_KEY_ID].
    #[arg(long, global = true, value_name = "ID")]
    pub public_key_id: Option<String>,
    /// The WeChat Pay public key file, pub_key.pem [env: WECHATPAY_PUBLIC_KEY].
    #[arg(long, global = true, value_name = "PATH")]
    pub public_key: Option<String>,
    /// A file holding the APIv3 key; must be mode 600 [env: WECHATPAY_APIV3_KEY, the key itself].
    #[arg(long, global = true, value_name = "PATH")]
    pub apiv3_key_file: Option<String>,
    /// Base URI, e.g. `https://api2.mch.weixin.qq.com/` [env: WECHATPAY_BASE_URI].
    #[arg(long, global = true, value_name = "URL")]
    pub base_uri: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// GET an endpoint and print the verified JSON body.
    Get(CallArgs),
    /// POST to an endpoint (body with --json).
    Post(CallArgs),
    /// PUT to an endpoint.
    Put(CallArgs),
    /// PATCH an endpoint.
    Patch(CallArgs),
    /// DELETE an endpoint.
    Delete(CallArgs),
    /// Stream a file download (bill, receipt, image…) into a file, optionally checking its digest.
    Download(DownloadArgs),
    /// WeChat Pay platform certificates.
    Certificates {
        /// What to do with them.
        #[command(subcommand)]
        command: CertificatesCommand,
    },
    /// Notifications (回调通知) from WeChat Pay.
    Notify {
        /// What to do with one.
        #[command(subcommand)]
        command: NotifyCommand,
    },
    /// Sign a request by hand and print the message and the FULL Authorization header (to compare with
    /// a server's log; it is a credential for that one request). Needs only mchid, serial and private key.
    Sign(SignArgs),
    /// Run the local WeChat Pay sandbox (like the wechatpay-sandbox binary).
    Sandbox(SandboxArgs),
}

/// One API call.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The endpoint: a chain template such as 'v3/facemch/users/{face_sid}', or an absolute URL.
    pub chain: String,
    /// A template variable, NAME=VALUE; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// A query parameter, NAME=VALUE; repeatable, kept in order.
    #[arg(long, value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// The JSON body, inline or @FILE.
    #[arg(long, value_name = "JSON|@FILE")]
    pub json: Option<String>,
    /// An extra request header, NAME:VALUE; repeatable.
    #[arg(long, value_name = "NAME:VALUE")]
    pub header: Vec<String>,
}

/// A streaming download.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The download URL (e.g. a bill's download_url) or a chain template.
    pub chain: String,
    /// Where to save the file (written to FILE.part first, renamed when complete and checked).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// The digest algorithm of --hash-value: SHA1 or SHA256.
    #[arg(long, value_name = "TYPE", requires = "hash_value")]
    pub hash_type: Option<String>,
    /// The expected digest (hex), e.g. the bill's hash_value.
    #[arg(long, value_name = "HEX", requires = "hash_type")]
    pub hash_value: Option<String>,
    /// A template variable, NAME=VALUE; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// A query parameter, NAME=VALUE; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// An extra request header, NAME:VALUE; repeatable.
    #[arg(long, value_name = "NAME:VALUE")]
    pub header: Vec<String>,
}

/// `certificates …`.
#[derive(Debug, Subcommand)]
pub enum CertificatesCommand {
    /// Download, decrypt (APIv3 key) and check the platform certificates; save them as
    /// `wechatpay_<serial>.pem`.
    Download {
        /// The directory to save into (default: the current directory).
        #[arg(long, short, value_name = "DIR")]
        output: Option<PathBuf>,
    },
}

/// `notify …`.
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Verify and decrypt a captured notification; print the decrypted resource JSON.
    Verify {
        /// The request headers: raw `Name: value` lines as captured, or a JSON object.
        #[arg(long, value_name = "FILE")]
        headers: PathBuf,
        /// The raw request body, byte for byte.
        #[arg(long, value_name = "FILE")]
        body: PathBuf,
    },
}

/// `sign …`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The HTTP method, e.g. GET.
    #[arg(long, value_name = "METHOD")]
    pub method: String,
    /// The request target: path and query exactly as sent, e.g. /v3/certificates.
    #[arg(long, value_name = "TARGET")]
    pub target: String,
    /// A file with the exact body bytes (none: empty body).
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// The Unix timestamp (default: now).
    #[arg(long, value_name = "N")]
    pub timestamp: Option<i64>,
    /// The nonce (default: 32 random characters).
    #[arg(long, value_name = "S")]
    pub nonce: Option<String>,
}

/// `sandbox …`: the options of the wechatpay-sandbox binary (its merchant id is the global `--mchid`,
/// default 1900000001).
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Write the throwaway keys and sandbox.json here.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// How answers are signed: public-key, certificate or mixed.
    #[arg(long, default_value = "public-key", value_name = "MODE")]
    pub sign_mode: String,
    /// The share (0 to 1) of requests that get a random fault.
    #[arg(long, value_name = "R")]
    pub fault_rate: Option<f64>,
    /// The seed of the random faults.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// No JSON request lines.
    #[arg(long)]
    pub quiet: bool,
}
