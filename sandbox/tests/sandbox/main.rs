//! The sandbox's integration tests in one binary: its binary driven as a process, its file endpoints,
//! its header and body rules.

#[path = "../common/mod.rs"]
mod common;

mod sandbox_binary;
mod sandbox_files;
mod sandbox_rules;
