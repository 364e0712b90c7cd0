//! Shared by the sandbox's tests.

use std::net::SocketAddr;

/// Sends one raw HTTP/1.1 request and returns the status, headers and body of the answer.
pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    wechatpay_sandbox::raw_request(addr, method, target, headers, body).expect("raw request")
}
