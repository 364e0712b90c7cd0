//! The bundled endpoint catalog: 1020 APIv3 endpoints with method, path template, query names and flags.

/// One catalogued APIv3 endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// Path template without a leading slash, e.g. `v3/facemch/users/{face_sid}`.
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
pub static ENDPOINTS: &[Endpoint] = wechatpay_chain_macros::catalog_endpoints!();
