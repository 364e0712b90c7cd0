//! The command line (clap derive). Each subcommand takes only the flags it uses: calls take the
//! credentials, `sign` the merchant's identity, `sandbox` none of them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// WeChat Pay APIv3 and APIv2 from the command line: signed calls with verified answers, bills and
/// other downloads, platform certificates, notifications, signatures and a local sandbox.
///
/// Credentials come from flags, else the WECHATPAY_* environment, else a profile (--profile NAME) in
/// $WECHATPAY_CONFIG, $XDG_CONFIG_HOME/wechatpay/profiles.toml or ~/.config/wechatpay/profiles.toml;
/// they are flags of the subcommands that use them (`wechatpay get --help`).
/// Exit codes: 0 success, 1 API/verification/transport failure, 2 usage or configuration error.
#[derive(Debug, Parser)]
#[command(name = "wechatpay", version, after_help = TOP_EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const TOP_EXAMPLES: &str = "\
Examples:
  wechatpay get 'v3/facemch/users/{face_sid}' --param face_sid=aabbccdd12345 --query info_type=ASK_UNIONID
  wechatpay post v3.pay.transactions.native --json @order.json
  wechatpay post v2/pay/orderquery --xml mch_id=1900000001 --xml out_trade_no=1415757673
  wechatpay download-bill trade --bill-date 2024-11-24 --tar-type GZIP --gunzip --output bill.csv
  wechatpay notify verify --headers headers.txt --body body.json";

/// The merchant: who signs (a profile may hold all of it).
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Merchant")]
pub struct MerchantArgs {
    /// Profile name in the profiles file (a TOML table per profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Merchant id [env: WECHATPAY_MCHID].
    #[arg(long, value_name = "ID")]
    pub mchid: Option<String>,
    /// Merchant API certificate serial [env: WECHATPAY_SERIAL].
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Merchant private key file, apiclient_key.pem; must be mode 600 [env: WECHATPAY_PRIVATE_KEY].
    #[arg(long, value_name = "PATH")]
    pub private_key: Option<String>,
}

/// WeChat Pay's keys: what verifies its answers.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "WeChat Pay keys")]
pub struct KeyArgs {
    /// A WeChat Pay platform certificate (or public key) as ID=PATH; repeatable [env: WECHATPAY_CERTS,
    /// comma-separated].
    #[arg(long = "cert", value_name = "ID=PATH")]
    pub certs: Vec<String>,
    /// The WeChat Pay public key id, PUB_KEY_ID_… [env: WECHATPAY_PUBLIC_KEY_ID].
    #[arg(long, value_name = "ID")]
    pub public_key_id: Option<String>,
    /// The WeChat Pay public key file, pub_key.pem [env: WECHATPAY_PUBLIC_KEY].
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<String>,
    /// A file holding the APIv3 key; must be mode 600 [env: WECHATPAY_APIV3_KEY, the key itself].
    #[arg(long, value_name = "PATH")]
    pub apiv3_key_file: Option<String>,
}

/// The APIv2 key: signs APIv2 requests and checks their answers and notifications.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "APIv2")]
pub struct V2KeyArgs {
    /// A file holding the APIv2 key; must be mode 600 [env: WECHATPAY_APIV2_KEY, the key itself].
    #[arg(long, value_name = "PATH")]
    pub apiv2_key_file: Option<String>,
}

/// The merchant API certificate for mutual TLS (`--security`).
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "APIv2")]
pub struct TlsArgs {
    /// The merchant API certificate, apiclient_cert.pem, for --security (its key is --private-key)
    /// [env: WECHATPAY_MERCHANT_CERT].
    #[arg(long, value_name = "PATH", conflicts_with = "merchant_p12")]
    pub merchant_cert: Option<String>,
    /// The merchant API certificate with its key, apiclient_cert.p12 (password: the merchant id), for
    /// --security [env: WECHATPAY_MERCHANT_P12].
    #[arg(long, value_name = "PATH")]
    pub merchant_p12: Option<String>,
}

/// Where and how long.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Base URI, e.g. `https://api2.mch.weixin.qq.com/` [env: WECHATPAY_BASE_URI].
    #[arg(long, value_name = "URL")]
    pub base_uri: Option<String>,
    /// Also trust this CA certificate (PEM) for HTTPS, e.g. a TLS-intercepting proxy's or the sandbox's
    /// sandbox_tls_root.pem [env: WECHATPAY_ROOT_CERT].
    #[arg(long, value_name = "PATH")]
    pub root_cert: Option<String>,
    /// Time limit of each call, in seconds (default 30).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Also print to stderr the exact message that was signed and the Authorization header (signature
    /// shortened).
    #[arg(long, short)]
    pub verbose: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// GET an endpoint and print the verified body.
    #[command(after_help = GET_EXAMPLES)]
    Get(CallArgs),
    /// POST to an endpoint (APIv3 body with --json, APIv2 fields with --xml).
    #[command(after_help = POST_EXAMPLES)]
    Post(CallArgs),
    /// PUT to an endpoint.
    #[command(
        after_help = "Example:\n  wechatpay put 'v3/merchant-service/complaint-notifications' --json '{\"url\":\"https://example.com/n\"}'"
    )]
    Put(CallArgs),
    /// PATCH an endpoint.
    #[command(
        after_help = "Example:\n  wechatpay patch 'v3/marketing/busifavor/stocks/{stock_id}/budget' --param stock_id=1212 \\\n      --json '{\"target_max_coupons\": 3000, \"current_max_coupons\": 500, \"modify_budget_request_no\": \"1002600620019090123143254436\"}'"
    )]
    Patch(CallArgs),
    /// DELETE an endpoint.
    #[command(after_help = "Example:\n  wechatpay delete v3/merchant-service/complaint-notifications")]
    Delete(CallArgs),
    /// Stream a file download (bill, receipt, image…) into a file, optionally checking its digest.
    #[command(after_help = DOWNLOAD_EXAMPLES)]
    Download(DownloadArgs),
    /// Ask for a trade or fund-flow bill and save it: digest checked over the original bill, gunzipped on
    /// request, written to FILE.part and renamed once complete.
    #[command(after_help = BILL_EXAMPLES)]
    DownloadBill(BillArgs),
    /// WeChat Pay platform certificates.
    #[command(
        after_help = "Example:\n  wechatpay certificates download --apiv3-key-file apiv3.key --output /etc/wechatpay/"
    )]
    Certificates {
        /// What to do with them.
        #[command(subcommand)]
        command: CertificatesCommand,
    },
    /// Notifications (回调通知) from WeChat Pay.
    #[command(after_help = NOTIFY_EXAMPLES)]
    Notify {
        /// What to do with one.
        #[command(subcommand)]
        command: NotifyCommand,
    },
    /// Sign a request by hand and print the message and the FULL Authorization header (to compare with
    /// a server's log; it is a credential for that one request). Needs only mchid, serial and private key.
    #[command(
        after_help = "Example:\n  wechatpay sign --method GET --target /v3/certificates --timestamp 1795562040 --nonce N1"
    )]
    Sign(SignArgs),
    /// Run the local WeChat Pay sandbox (like the wechatpay-sandbox binary).
    #[command(after_help = "Example:\n  wechatpay sandbox --port 0 --keys-dir ./sandbox-keys --sign-mode mixed")]
    Sandbox(SandboxArgs),
}

const GET_EXAMPLES: &str = "\
Examples:
  wechatpay get 'v3/facemch/users/{face_sid}' --param face_sid=aabbccdd12345 --query info_type=ASK_UNIONID
  wechatpay get v3.pay.transactions.outTradeNo._out_trade_no_ --param out_trade_no=1217752501201407033233368018 \\
      --query mchid=1900000001            # dotted chain, as in PHP: outTradeNo is out-trade-no";

const POST_EXAMPLES: &str = "\
Examples:
  wechatpay post v3/pay/transactions/native --json @order.json
  wechatpay post v2/pay/orderquery --xml mch_id=1900000001 --xml appid=wx2421b1c4370ec43b \\
      --xml out_trade_no=1415757673
  wechatpay post v2/secapi/pay/refund --security --merchant-cert apiclient_cert.pem --xml @refund.xml";

const DOWNLOAD_EXAMPLES: &str = "\
Examples:
  wechatpay download \"$DOWNLOAD_URL\" --output bill.csv --hash-type SHA1 --hash-value \"$HASH\"
  wechatpay download \"$DOWNLOAD_URL\" --gunzip --output bill.csv --hash-type SHA1 --hash-value \"$HASH\"
                                      # tar_type=GZIP: the digest covers the decompressed bill";

const BILL_EXAMPLES: &str = "\
Examples:
  wechatpay download-bill trade --bill-date 2024-11-24 --output tradebill.csv
  wechatpay download-bill fundflow --bill-date 2024-11-24 --account-type BASIC --tar-type GZIP --gunzip \\
      --output fundflow.csv";

/// One API call.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The endpoint: a path template such as 'v3/facemch/users/{face_sid}', a dotted chain such as
    /// v3.pay.transactions.native (PHP's rules: `outTradeNo` is `out-trade-no`, `_x_` a placeholder), or
    /// an absolute URL. Paths under v2/ are APIv2 (XML).
    pub chain: String,
    /// A template variable, NAME=VALUE; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// A query parameter, NAME=VALUE; repeatable, kept in order. An APIv2 GET sends its fields here.
    #[arg(long, value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// The APIv3 JSON body, inline or @FILE.
    #[arg(long, value_name = "JSON|@FILE")]
    pub json: Option<String>,
    /// An extra request header, NAME:VALUE; repeatable.
    #[arg(long, value_name = "NAME:VALUE")]
    pub header: Vec<String>,
    /// An APIv2 field, NAME=VALUE, or @FILE with the fields as XML (<xml><k>v</k></xml>) or a JSON
    /// object; repeatable, later ones win. `nonce_str` and `sign` are added.
    #[arg(long, value_name = "NAME=VALUE|@FILE", help_heading = "APIv2")]
    pub xml: Vec<String>,
    /// APIv2: send no automatic nonce_str (for the few endpoints that take none).
    #[arg(long, help_heading = "APIv2")]
    pub nonceless: bool,
    /// APIv2: send over mutual TLS with the merchant API certificate (secapi/…, red packets, transfers).
    #[arg(long, help_heading = "APIv2")]
    pub security: bool,
    #[command(flatten)]
    pub merchant: MerchantArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub v2: V2KeyArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Limits and digest of a download.
#[derive(Debug, Args)]
pub struct DownloadLimits {
    /// Refuse a download (and a decompressed bill) larger than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<u64>,
    /// Time limit of the whole download, in seconds (default 600).
    #[arg(long, value_name = "SECS")]
    pub download_timeout: Option<u64>,
}

/// A streaming download.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The download URL (e.g. a bill's download_url), a path template or a dotted chain.
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
    /// The file is gzip (a bill asked for with tar_type=GZIP): save it decompressed. The digest is
    /// checked over the decompressed bytes, as WeChat Pay computes it.
    #[arg(long, conflicts_with = "gzip")]
    pub gunzip: bool,
    /// The file is gzip: save it as downloaded, but check the digest over the decompressed bytes.
    #[arg(long, requires = "hash_value")]
    pub gzip: bool,
    /// A template variable, NAME=VALUE; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// A query parameter, NAME=VALUE; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// An extra request header, NAME:VALUE; repeatable.
    #[arg(long, value_name = "NAME:VALUE")]
    pub header: Vec<String>,
    #[command(flatten)]
    pub limits: DownloadLimits,
    #[command(flatten)]
    pub merchant: MerchantArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Which bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BillKind {
    /// 交易账单, GET v3/bill/tradebill.
    Trade,
    /// 资金账单, GET v3/bill/fundflowbill.
    Fundflow,
}

/// `download-bill …`.
#[derive(Debug, Args)]
pub struct BillArgs {
    /// Which bill.
    #[arg(value_enum)]
    pub kind: BillKind,
    /// The bill's day, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub bill_date: String,
    /// Trade bills: ALL, SUCCESS or REFUND (WeChat Pay's default: ALL).
    #[arg(long, value_name = "TYPE")]
    pub bill_type: Option<String>,
    /// Fund-flow bills: BASIC, OPERATION or FEES (WeChat Pay's default: BASIC).
    #[arg(long, value_name = "TYPE")]
    pub account_type: Option<String>,
    /// GZIP for a compressed file (the digest still covers the decompressed bill).
    #[arg(long, value_name = "TYPE")]
    pub tar_type: Option<String>,
    /// Service providers: the sub-merchant's bill (trade bills).
    #[arg(long, value_name = "ID")]
    pub sub_mchid: Option<String>,
    /// Save a GZIP bill decompressed.
    #[arg(long)]
    pub gunzip: bool,
    /// Where to save the bill (written to FILE.part first, renamed when complete and checked).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub limits: DownloadLimits,
    #[command(flatten)]
    pub merchant: MerchantArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `certificates …`.
#[derive(Debug, Subcommand)]
pub enum CertificatesCommand {
    /// Download, decrypt (APIv3 key) and check the platform certificates; save them as
    /// `wechatpay_<serial>.pem`. Merchants that use a WeChat Pay public key have none.
    #[command(
        after_help = "Example:\n  wechatpay certificates download --apiv3-key-file apiv3.key --output /etc/wechatpay/"
    )]
    Download {
        /// The directory to save into (default: the current directory).
        #[arg(long, short, value_name = "DIR")]
        output: Option<PathBuf>,
        #[command(flatten)]
        merchant: MerchantArgs,
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
}

/// `notify …`.
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Verify a captured notification and print its content: APIv3 (signature headers, decrypted
    /// resource), APIv2 (XML with a sign) or an APIv2 refund notification (req_info decrypted).
    #[command(after_help = NOTIFY_EXAMPLES)]
    Verify(NotifyArgs),
}

const NOTIFY_EXAMPLES: &str = "\
Examples:
  wechatpay notify verify --headers headers.txt --body body.json --apiv3-key-file apiv3.key
  wechatpay notify verify --body notify.xml --apiv2-key-file apiv2.key      # APIv2: no headers needed";

/// `notify verify …`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// The request headers (APIv3 only): raw `Name: value` lines as captured, or a JSON object.
    #[arg(long, value_name = "FILE")]
    pub headers: Option<PathBuf>,
    /// The raw request body, byte for byte (JSON for APIv3, XML for APIv2).
    #[arg(long, value_name = "FILE")]
    pub body: PathBuf,
    #[command(flatten)]
    pub merchant: MerchantArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub v2: V2KeyArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
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
    #[command(flatten)]
    pub merchant: MerchantArgs,
}

/// `sandbox …`: the options of the wechatpay-sandbox binary.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Write the throwaway keys and sandbox.json here.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// The sandbox merchant's id (default 1900000001).
    #[arg(long, value_name = "ID")]
    pub mchid: Option<String>,
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
