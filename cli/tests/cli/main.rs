//! The `wechatpay` command-line tool's integration tests in one binary: the tool driven as a process
//! against in-process sandboxes (calls, usage and help, workflows).

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod usage;
mod workflows;
