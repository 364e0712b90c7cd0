//! `sandbox`: the local WeChat Pay imitation, exactly as the `wechatpay-sandbox` binary runs it.

use wechatpay_sandbox::{ProcessOptions, run_process};

use crate::args::SandboxArgs;
use crate::output::Failure;

/// Runs until the process is stopped; returns only when the sandbox cannot start.
pub fn run(args: &SandboxArgs) -> Result<(), Failure> {
    let mut options = ProcessOptions::default();
    options.port = args.port;
    options.keys_dir = args.keys_dir.clone();
    options.mchid = args.mchid.clone();
    options.sign_mode = args.sign_mode.parse().map_err(Failure::input)?;
    options.fault_rate = args.fault_rate;
    options.seed = args.seed;
    options.quiet = args.quiet;
    let Err(message) = run_process(&options);
    Err(Failure { code: crate::output::EXIT_FAILURE, message: format!("sandbox: {message}") })
}
