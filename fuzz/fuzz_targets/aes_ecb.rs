#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wechatpay_chain::fuzzing::aes_ecb(data));
