//! The bundled endpoint catalogs: 1020 APIv3 endpoints ([`ENDPOINTS`]) and 136 APIv2 endpoints
//! ([`ENDPOINTS_V2`]) with method, path template, query names and flags.
//!
//! The rows are generated from `macros/data/endpoints*.json` by `cargo run -p wechatpay-codegen` into
//! `src/catalog/data.rs`.

mod data;

/// One catalogued endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// Path template without a leading slash, as [`Client::chain`](crate::Client::chain) takes it, e.g.
    /// `v3/facemch/users/{face_sid}` or `v2/pay/micropay`.
    pub path: &'static str,
    /// Path placeholders in order.
    pub params: &'static [&'static str],
    /// Known query parameter names.
    pub query: &'static [&'static str],
    /// The API's name (Chinese, as documented by WeChat Pay).
    pub summary: &'static str,
    /// The host it is served on (`api.mch.weixin.qq.com` unless noted).
    pub host: &'static str,
    /// A multipart media upload (`meta` + `file`).
    pub upload: bool,
    /// Returns a file rather than JSON.
    pub download: bool,
    /// The body carries fields encrypted with WeChat Pay's key (needs `Wechatpay-Serial`).
    pub encrypted_fields: bool,
}

/// Every catalogued APIv3 endpoint, sorted by path then method.
///
/// ```
/// use wechatpay_chain::catalog::ENDPOINTS;
/// let seed = ENDPOINTS.iter().find(|e| e.path == "v3/facemch/users/{face_sid}").unwrap();
/// assert_eq!(seed.method, "GET");
/// assert!(seed.query.contains(&"info_type"));
/// ```
pub static ENDPOINTS: &[Endpoint] = data::V3;

/// Every catalogued APIv2 (XML) endpoint, with paths under `v2/` (the prefix routes a chain to the APIv2
/// pipeline and is not sent).
///
/// ```
/// use wechatpay_chain::catalog::ENDPOINTS_V2;
/// let micropay = ENDPOINTS_V2.iter().find(|e| e.path == "v2/pay/micropay").unwrap();
/// assert_eq!(micropay.method, "POST");
/// ```
pub static ENDPOINTS_V2: &[Endpoint] = data::V2;
