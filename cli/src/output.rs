//! What goes to stdout and stderr, and how failures become messages and exit codes.

use std::io::{IsTerminal, Write};

use wechatpay_chain::error::{CertificateError, CertificateErrorKind, NotificationErrorKind};
use wechatpay_chain::{Error, Sent, Verification};

/// Exit code of API, verification, transport and other run-time failures.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of usage and configuration errors.
pub const EXIT_USAGE: i32 = 2;

/// A failed command: the exit code and the message (which starts with the error kind).
#[derive(Debug)]
pub struct Failure {
    /// The process exit code.
    pub code: i32,
    /// `kind: what happened`, plus whether the request may have been sent when that applies.
    pub message: String,
}

impl Failure {
    /// A configuration problem (missing or refused credential, unreadable file): exit 2.
    pub fn config(message: impl std::fmt::Display) -> Failure {
        Failure { code: EXIT_USAGE, message: format!("config: {message}") }
    }

    /// Bad input on the command line (bad JSON, malformed NAME=VALUE): exit 2.
    pub fn input(message: impl std::fmt::Display) -> Failure {
        Failure { code: EXIT_USAGE, message: format!("input: {message}; nothing was sent") }
    }

    /// A local I/O failure after the work was done (writing the output): exit 1.
    pub fn io(message: impl std::fmt::Display) -> Failure {
        Failure { code: EXIT_FAILURE, message: format!("io: {message}") }
    }

    /// An SDK error: the kind, the SDK's message, and whether the request may have been sent.
    pub fn sdk(error: &Error) -> Failure {
        let code = match error {
            Error::Config(_) | Error::Input(_) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        };
        let sent = match error {
            Error::Notification(_) | Error::Sensitive(_) => None,
            other => Some(other.sent()),
        };
        let mut message = format!("{}: {error}", kind(error));
        if let Error::Certificates(c) = error {
            // `sent()` is about the call the certificates guarded; say what happened to the download.
            message.push_str(&format!("\n{}", certificate_download(c)));
            message.push_str("\nthe call that needed the certificates was not sent");
            return Failure { code, message };
        }
        match sent {
            Some(Sent::No) => message.push_str("\nthe request was not sent"),
            Some(Sent::Maybe) => {
                message.push_str("\nthe request may have been sent: query the resource before retrying")
            }
            Some(Sent::Yes) => message.push_str("\nthe request was sent (WeChat Pay received it and may have acted)"),
            None => {}
        }
        Failure { code, message }
    }

    /// A failed `certificates download`: the download is the command's own request.
    /// With `public_key` (the id of the WeChat Pay public key configured), a merchant without platform
    /// certificates is told it needs none.
    pub fn certificates(error: &Error, public_key: Option<&str>) -> Failure {
        let Error::Certificates(c) = error else { return Failure::sdk(error) };
        let not_found = c.cause().and_then(Error::api).is_some_and(|api| api.status().as_u16() == 404);
        let message = match public_key {
            Some(id) if not_found => format!(
                "certificates: {error}\nthe certificate download (GET v3/certificates) was sent and WeChat Pay answered \
                 404: this merchant has no platform certificates. It uses the WeChat Pay public key, and {id} is \
                 configured: nothing to download, calls verify with it"
            ),
            _ => format!("certificates: {error}\n{}", certificate_download(c)),
        };
        Failure { code: EXIT_FAILURE, message }
    }
}

/// What happened to a platform certificate download (`GET v3/certificates`) and what to do.
fn certificate_download(error: &CertificateError) -> String {
    let answered = "the certificate download (GET v3/certificates) was sent and answered";
    match error.kind() {
        CertificateErrorKind::RateLimited => {
            return "no certificate download was sent: another one failed moments ago, and the SDK waits before \
                    asking again"
                .to_owned();
        }
        CertificateErrorKind::Decrypt => {
            return format!("{answered}, but a certificate did not decrypt with the APIv3 key: check the APIv3 key");
        }
        CertificateErrorKind::Certificate | CertificateErrorKind::NoValidCertificate => {
            return format!("{answered}, but no usable certificate came with it; nothing was installed");
        }
        _ => {}
    }
    let Some(cause) = error.cause() else { return format!("{answered}, and refused") };
    if let Some(api) = cause.api() {
        let mut text = format!(
            "the certificate download (GET v3/certificates) was sent and WeChat Pay answered {} {}",
            api.status().as_u16(),
            api.code().unwrap_or("")
        );
        if api.status().as_u16() == 404 {
            text.push_str(
                ": this merchant has no platform certificates, it uses a WeChat Pay public key. Configure it: \
                 --public-key-id PUB_KEY_ID_… --public-key pub_key.pem (or WECHATPAY_PUBLIC_KEY_ID and \
                 WECHATPAY_PUBLIC_KEY, or public_key_id and public_key in the profile); both are shown in the \
                 merchant platform under 账户中心 → API安全 → 微信支付公钥",
            );
        }
        return text;
    }
    match cause.sent() {
        Sent::No => "the certificate download was not sent".to_owned(),
        Sent::Maybe => "the certificate download may have reached WeChat Pay (it is a harmless GET: retry)".to_owned(),
        _ => "the certificate download reached WeChat Pay, but its answer was refused".to_owned(),
    }
}

/// The error kind as the first word(s) of the message: `config`, `input`, `api 404 ORDER_NOT_EXIST`,
/// `verification`, `transport`, `timeout`, `notification bad signature`, …
pub fn kind(error: &Error) -> String {
    match error {
        Error::Config(_) => "config".to_owned(),
        Error::Input(_) => "input".to_owned(),
        Error::Signing(_) => "signing".to_owned(),
        Error::Transport(_) => "transport".to_owned(),
        Error::Timeout(_) => "timeout".to_owned(),
        Error::Api(api) => match api.code() {
            Some(code) => format!("api {} {code}", api.status().as_u16()),
            None => format!("api {}", api.status().as_u16()),
        },
        Error::Verification(_) => "verification".to_owned(),
        Error::Decode(_) => "decode".to_owned(),
        Error::Certificates(_) => "certificates".to_owned(),
        Error::Notification(n) => format!(
            "notification {}",
            match n.kind() {
                NotificationErrorKind::SignatureProbe => "signature probe",
                NotificationErrorKind::Signature(_) => "bad signature",
                NotificationErrorKind::TooLarge { .. } => "too large",
                NotificationErrorKind::Malformed => "malformed",
                NotificationErrorKind::Algorithm(_) => "algorithm",
                NotificationErrorKind::Decrypt(_) => "decrypt",
                NotificationErrorKind::NoApiV3Key => "no APIv3 key",
                _ => "rejected",
            }
        ),
        Error::Download(_) => "download".to_owned(),
        Error::Sensitive(_) => "sensitive".to_owned(),
        Error::V2(v2) => match (v2.err_code(), v2.return_code()) {
            (Some(code), _) => format!("api v2 {code}"),
            (None, Some(code)) if code != "SUCCESS" => format!("api v2 return_code {code}"),
            _ => format!("api v2 {}", v2.status().as_u16()),
        },
        _ => "error".to_owned(),
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::sdk(&error)
    }
}

/// Prints the failure on stderr as `error: kind: …`.
pub fn report(failure: &Failure) {
    status(&format!("error: {}", failure.message));
}

/// One line on stderr; a closed stderr is ignored (never a panic).
pub fn status(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Bytes on stdout, as they are.
pub fn stdout_bytes(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // `wechatpay get … | head`: the reader left, nothing to report.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::io(format!("cannot write to stdout ({e})"))),
    }
}

/// A body on stdout: JSON pretty-printed on a terminal and compact when piped; anything else raw; an
/// empty body prints nothing.
pub fn body(bytes: &[u8]) -> Result<(), Failure> {
    if bytes.is_empty() {
        return Ok(());
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => {
            let text = if std::io::stdout().is_terminal() {
                serde_json::to_string_pretty(&value)
            } else {
                serde_json::to_string(&value)
            };
            let text = text.map_err(|e| Failure::io(e.to_string()))?;
            stdout_bytes(format!("{text}\n").as_bytes())
        }
        Err(_) => stdout_bytes(bytes),
    }
}

/// How an answer was authenticated, for stderr.
pub fn verification(verification: &Verification) -> String {
    match verification {
        Verification::Signed { key_id } => format!("signed by {key_id}"),
        Verification::UnsignedDownload => "unsigned download".to_owned(),
        Verification::V2Sign { algorithm } => format!("APIv2 sign ({algorithm}) verified"),
        Verification::V2Unsigned => "unsigned (WeChat Pay does not sign this APIv2 endpoint's answers)".to_owned(),
        _ => "rejected".to_owned(),
    }
}

/// Text with its line feeds shown as `\n`, so a signed message fits on one line.
pub fn visible(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\n', "\\n")
}

/// An Authorization value with the signature cut to its first 8 characters and `…`.
pub fn shorten_signature(authorization: &str) -> String {
    const MARK: &str = "signature=\"";
    match authorization.find(MARK) {
        Some(at) => {
            let start = at + MARK.len();
            let signature = authorization[start..].trim_end_matches('"');
            let short: String = signature.chars().take(8).collect();
            format!("{}{short}…\"", &authorization[..start])
        }
        None => authorization.to_owned(),
    }
}
