#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wechatpay_chain::fuzzing::notification_v3(data));
