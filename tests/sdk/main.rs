//! The SDK's integration tests in one binary (one link instead of one per file): the client against the
//! sandbox (`wechatpay_sandbox`, on an ephemeral port) and against purpose-built servers on 127.0.0.1,
//! one module per area. Modules that need a typed group or the `fuzzing` feature compile only with it;
//! `cargo test --workspace --all-features` runs them all. The golden vectors are the `vectors` binary;
//! compile-time refusals are in `macros/tests/compile_fail.rs`.

#[path = "../common/mod.rs"]
mod common;

mod blocking;
mod builder;
mod catalog;
mod chain_macro;
mod download;
mod errors;
mod frontend;
#[cfg(feature = "fuzzing")]
mod fuzz_replay;
mod hostile;
mod media;
mod mtls;
mod notify;
mod observability;
mod offline_example;
mod requests;
mod retry;
mod sandbox_pay;
mod sandbox_soak;
mod sandbox_trust;
mod sandbox_v2;
mod sensitive;
mod trust;
#[cfg(feature = "typed-facemch")]
mod typed;
#[cfg(feature = "typed-all")]
mod typed_generated;
#[cfg(all(
    feature = "typed-pay-transactions",
    feature = "typed-refund",
    feature = "typed-certificates",
    feature = "typed-bill"
))]
mod typed_pay;
#[cfg(all(
    feature = "typed-merchant-service",
    feature = "typed-marketing-busifavor",
    feature = "typed-profitsharing",
    feature = "typed-merchant",
    feature = "typed-bill",
    feature = "typed-billdownload"
))]
mod typed_sandbox;
mod verbs;
