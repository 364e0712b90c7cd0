//! The golden vectors captured from wechatpay-php 1.4.12 (`tests/data/vectors/`, or the directory named by
//! `WECHATPAY_VECTORS_DIR`), one module per vector file, in one binary; each case is decided by rule, so a
//! later, larger capture runs unchanged.

#[path = "../common/mod.rs"]
mod common;

mod sandbox_vectors;
mod v2_codec;
mod vectors_aesgcm;
mod vectors_chain;
mod vectors_media;
mod vectors_rsa;
mod vectors_sign;
mod vectors_v2;
mod vectors_verify;
