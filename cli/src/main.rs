//! `wechatpay`: WeChat Pay APIv3 and APIv2 from the command line, on the `wechatpay-chain` SDK.
//!
//! ```text
//! wechatpay get 'v3/facemch/users/{face_sid}' --param face_sid=aabbccdd12345 --query info_type=ASK_UNIONID
//! wechatpay post v3.pay.transactions.native --json @order.json
//! wechatpay post v2/pay/orderquery --xml mch_id=1900000001 --xml out_trade_no=1415757673
//! wechatpay download-bill trade --bill-date 2024-11-24 --tar-type GZIP --gunzip --output bill.csv
//! wechatpay certificates download --output DIR
//! wechatpay notify verify --headers FILE --body FILE
//! wechatpay sign --method GET --target /v3/certificates
//! wechatpay sandbox --keys-dir DIR
//! ```
//!
//! One job per module: [`args`] (the command line), [`credentials`] (flags > environment > profile),
//! [`chainform`] (path, URL or dotted chain), [`call`] (API calls), [`download`] (downloads and bills),
//! [`certificates`], [`notify`], [`sign`], [`sandbox`], and [`output`] (stdout/stderr formatting,
//! errors and exit codes).

mod args;
mod call;
mod certificates;
mod chainform;
mod credentials;
mod download;
mod notify;
mod output;
mod sandbox;
mod sign;

use clap::Parser;
use wechatpay_chain::http::Method;

use args::{CertificatesCommand, Cli, Command, NotifyCommand};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Get(call) => call::run(Method::GET, call),
        Command::Post(call) => call::run(Method::POST, call),
        Command::Put(call) => call::run(Method::PUT, call),
        Command::Patch(call) => call::run(Method::PATCH, call),
        Command::Delete(call) => call::run(Method::DELETE, call),
        Command::Download(args) => download::download(args),
        Command::DownloadBill(args) => download::download_bill(args),
        Command::Certificates { command: CertificatesCommand::Download { output, merchant, keys, connection } } => {
            certificates::download(output.as_deref(), merchant, keys, connection)
        }
        Command::Notify { command: NotifyCommand::Verify(args) } => notify::verify(args),
        Command::Sign(args) => sign::run(args),
        Command::Sandbox(args) => sandbox::run(args),
    };
    if let Err(failure) = result {
        output::report(&failure);
        std::process::exit(failure.code);
    }
}
