//! `wechatpay`: WeChat Pay APIv3 from the command line, on the `wechatpay-chain` SDK.
//!
//! ```text
//! wechatpay get 'v3/facemch/users/{face_sid}' --param face_sid=aabbccdd12345 --query info_type=ASK_UNIONID
//! wechatpay certificates download --output DIR
//! wechatpay notify verify --headers FILE --body FILE
//! wechatpay sign --method GET --target /v3/certificates
//! wechatpay download URL --output FILE --hash-type SHA1 --hash-value HEX
//! wechatpay sandbox --keys-dir DIR
//! ```
//!
//! One job per module: [`args`] (the command line), [`credentials`] (flags > environment > profile),
//! [`call`] (API calls and downloads), [`certificates`], [`notify`], [`sign`], [`sandbox`], and
//! [`output`] (stdout/stderr formatting and exit codes). Built with `--features cli`.

mod args;
mod call;
mod certificates;
mod credentials;
mod notify;
mod output;
mod sandbox;
mod sign;

use clap::Parser;

use args::{CertificatesCommand, Cli, Command, NotifyCommand};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Get(call) => call::run(&cli, wechatpay_chain::http::Method::GET, call),
        Command::Post(call) => call::run(&cli, wechatpay_chain::http::Method::POST, call),
        Command::Put(call) => call::run(&cli, wechatpay_chain::http::Method::PUT, call),
        Command::Patch(call) => call::run(&cli, wechatpay_chain::http::Method::PATCH, call),
        Command::Delete(call) => call::run(&cli, wechatpay_chain::http::Method::DELETE, call),
        Command::Download(download) => call::download(&cli, download),
        Command::Certificates { command: CertificatesCommand::Download { output } } => {
            certificates::download(&cli, output.as_deref())
        }
        Command::Notify { command: NotifyCommand::Verify { headers, body } } => notify::verify(&cli, headers, body),
        Command::Sign(sign) => sign::run(&cli, sign),
        Command::Sandbox(options) => sandbox::run(&cli, options),
    };
    if let Err(failure) = result {
        output::report(&failure);
        std::process::exit(failure.code);
    }
}
