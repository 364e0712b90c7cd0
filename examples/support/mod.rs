//! Shared by the examples: a client builder from the `WECHATPAY_*` environment variables.
//!
//! - `WECHATPAY_MCHID`: merchant id
//! - `WECHATPAY_SERIAL`: merchant API certificate serial
//! - `WECHATPAY_PRIVATE_KEY`: path of the merchant private key PEM (apiclient_key.pem)
//! - `WECHATPAY_CERTS`: comma-separated `ID=PEM_PATH` pairs: `PUB_KEY_ID_…=/path/pub_key.pem` for the
//!   WeChat Pay public key, or a platform certificate serial and its PEM
//! - `WECHATPAY_APIV3_KEY`: the APIv3 key
//! - `WECHATPAY_BASE_URI`: e.g. `https://api2.mch.weixin.qq.com/`

use wechatpay_chain::{Client, ClientBuilder};

/// The client the environment describes; `Ok(None)` when none of `required` is set (the example then
/// uses the sandbox), an error naming the missing ones when only some are.
pub fn client_from_env(required: &[&str]) -> Result<Option<Client>, Box<dyn std::error::Error>> {
    Ok(match builder_from_env(required)? {
        Some(builder) => Some(builder.build()?),
        None => None,
    })
}

fn builder_from_env(required: &[&str]) -> Result<Option<ClientBuilder>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let missing: Vec<&str> = required.iter().copied().filter(|n| var(n).is_none()).collect();
    if missing.len() == required.len() {
        return Ok(None);
    }
    if !missing.is_empty() {
        return Err(format!("set all of {} (missing: {})", required.join(", "), missing.join(", ")));
    }
    let mut builder = Client::builder();
    if let Some(mchid) = var("WECHATPAY_MCHID") {
        builder = builder.mchid(mchid);
    }
    if let Some(serial) = var("WECHATPAY_SERIAL") {
        builder = builder.serial(serial);
    }
    if let Some(path) = var("WECHATPAY_PRIVATE_KEY") {
        builder = builder.private_key(format!("file://{path}"));
    }
    for pair in var("WECHATPAY_CERTS").unwrap_or_default().split(',').filter(|p| !p.trim().is_empty()) {
        let (id, path) =
            pair.split_once('=').ok_or_else(|| format!("WECHATPAY_CERTS entry `{pair}` must look like ID=PEM_PATH"))?;
        let (id, path) = (id.trim(), format!("file://{}", path.trim()));
        builder = if id.starts_with("PUB_KEY_ID_") { builder.public_key(id, path) } else { builder.cert(id, path) };
    }
    if let Some(key) = var("WECHATPAY_APIV3_KEY") {
        builder = builder.apiv3_key(key);
    }
    if let Some(base) = var("WECHATPAY_BASE_URI") {
        builder = builder.base_uri(base);
    }
    Ok(Some(builder))
}
